/// Compact JSON, appended as UTF-8 bytes.
///
/// Writing bytes rather than appending to a `String` matters for traces of a million events: the
/// string path re-validated and re-counted every piece it was given, and cost most of a merge.
public struct JSONWriter: Sendable {
  /// What has been written so far.
  public var bytes: [UInt8] = []

  /// A writer whose buffer first holds `capacity` bytes without growing.
  public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

  /// Appends one value.
  public mutating func value(_ value: JSONValue) {
    switch value {
    case .null: raw("null")
    case .bool(let b): raw(b ? "true" : "false")
    case .int(let v): int(v)
    case .double(let d):
      if d.isFinite { bytes.append(contentsOf: "\(d)".utf8) } else { raw("null") }
    case .string(let s): string(s)
    case .array(let items):
      bytes.append(UInt8(ascii: "["))
      for (n, item) in items.enumerated() {
        if n > 0 { bytes.append(UInt8(ascii: ",")) }
        self.value(item)
      }
      bytes.append(UInt8(ascii: "]"))
    case .object(let object): self.object(object)
    }
  }

  /// Appends an object, keys in their order.
  public mutating func object(_ object: JSONObject) {
    bytes.append(UInt8(ascii: "{"))
    for (n, member) in object.members.enumerated() {
      if n > 0 { bytes.append(UInt8(ascii: ",")) }
      string(member.key)
      bytes.append(UInt8(ascii: ":"))
      value(member.value)
    }
    bytes.append(UInt8(ascii: "}"))
  }

  /// Whether any of the 8 bytes in `word` is a control character, DEL, a quote, a backslash,
  /// 0xC2 (which starts the C1 controls) or 0xE2 (which starts U+2028, U+2029 and the
  /// bidirectional overrides); false means all 8 can be copied as they are.
  @inline(__always)
  static func mayNeedEscape(_ word: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
    let below20 = (word &- ones &* 0x20) & ~word & highs
    return
      (below20 | hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x5C))
      | hasZero(word ^ (ones &* 0x7F)) | hasZero(word ^ (ones &* 0xC2))
      | hasZero(word ^ (ones &* 0xE2))) != 0
  }

  /// Appends text that needs no escaping, as it is.
  mutating func raw(_ text: StaticString) { put(text) }

  /// Appends a decimal integer.
  public mutating func int(_ v: Int64) { putInt(v) }

  mutating func unsigned(_ v: UInt64) { putUnsigned(v) }

  /// Appends a string in quotes. Control characters, quotes, backslashes, DEL and the line and
  /// paragraph separators U+2028 and U+2029 are escaped, so a line never breaks inside a
  /// string; so are the C1 controls and the bidirectional overrides and isolates (the characters
  /// `String.terminalSafe` escapes), so JSON printed on a terminal cannot act on it. Other text
  /// stays UTF-8.
  public mutating func string(_ s: String) { putString(s) }

  /// Appends UTF-8 `text` (assumed valid) as a string in quotes.
  public mutating func string(utf8 text: UnsafeBufferPointer<UInt8>) { putString(utf8: text) }

  /// Whether E2 `b1` `b2` is U+2028, U+2029, U+202A–U+202E or U+2066–U+2069.
  @inline(__always)
  static func isEscapedE2(_ b1: UInt8, _ b2: UInt8) -> Bool {
    (b1 == 0x80 && (0xA8...0xAE).contains(b2)) || (b1 == 0x81 && (0xA6...0xA9).contains(b2))
  }
}
