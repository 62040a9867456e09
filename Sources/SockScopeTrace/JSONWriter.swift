/// Compact JSON, appended as UTF-8 bytes.
///
/// Writing bytes rather than appending to a `String` matters for traces of a million events: the
/// string path re-validated and re-counted every piece it was given, and cost most of a merge.
public struct JSONWriter: Sendable {
  /// What has been written so far.
  public var bytes: [UInt8] = []

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
  /// 0xC2 (which starts the C1 controls U+0080–U+009F) or 0xE2 (which starts U+2028 and U+2029);
  /// false means all 8 can be copied as they are.
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
  mutating func raw(_ text: StaticString) {
    text.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  /// Appends a decimal integer.
  public mutating func int(_ v: Int64) {
    if v < 0 {
      bytes.append(UInt8(ascii: "-"))
      unsigned(v.magnitude)
    } else {
      unsigned(UInt64(v))
    }
  }

  mutating func unsigned(_ v: UInt64) {
    // At most 20 digits, written backwards into a fixed buffer.
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var count = 0
    var rest = v
    withUnsafeMutableBytes(of: &digits) { buffer in
      repeat {
        count += 1
        buffer[24 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
      } while rest > 0
      bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
    }
  }

  /// Appends a string in quotes. Control characters (C0, DEL and C1), quotes, backslashes and the
  /// line and paragraph separators U+2028 and U+2029 are escaped, so a line never breaks inside a
  /// string, not even for Python's `str.splitlines()` (which also splits at U+0085); other text
  /// stays UTF-8.
  public mutating func string(_ s: String) {
    var s = s
    s.withUTF8 { string(utf8: $0) }
  }

  /// Appends UTF-8 `text` (assumed valid) as a string in quotes.
  public mutating func string(utf8 text: UnsafeBufferPointer<UInt8>) {
    bytes.append(UInt8(ascii: "\""))
    var clean = 0  // Start of the run of bytes not yet copied.
    var i = 0
    guard let base = text.baseAddress else {
      bytes.append(UInt8(ascii: "\""))
      return
    }
    while i < text.count {
      // Eight bytes at a time while none of them needs escaping (most text).
      if i + 8 <= text.count
        && !JSONWriter.mayNeedEscape(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
      {
        i += 8
        continue
      }
      let c = text[i]
      let escape: StaticString?
      switch c {
      case UInt8(ascii: "\""): escape = "\\\""
      case UInt8(ascii: "\\"): escape = "\\\\"
      case 0x0A: escape = "\\n"
      case 0x0D: escape = "\\r"
      case 0x09: escape = "\\t"
      case 0x00..<0x20, 0x7F: escape = nil
      case 0xC2 where i + 1 < text.count && (0x80..<0xA0).contains(text[i + 1]):
        escape = nil
      case 0xE2
      where i + 2 < text.count && text[i + 1] == 0x80 && (text[i + 2] == 0xA8 || text[i + 2] == 0xA9):
        escape = nil
      default:
        i += 1
        continue
      }
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[clean..<i]))
      if let escape {
        raw(escape)
        i += 1
      } else if c == 0xE2 {
        raw(text[i + 2] == 0xA8 ? "\\u2028" : "\\u2029")
        i += 3
      } else {
        // A C0 control or DEL is the byte itself; a C1 control is 0xC2 and the code point.
        let code = c == 0xC2 ? text[i + 1] : c
        raw("\\u00")
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { digits in
          bytes.append(digits[Int(code >> 4)])
          bytes.append(digits[Int(code & 0xF)])
        }
        i += c == 0xC2 ? 2 : 1
      }
      clean = i
    }
    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[clean..<text.count]))
    bytes.append(UInt8(ascii: "\""))
  }
}
