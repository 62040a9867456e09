/// A JSON reader over bytes that the caller keeps alive. Besides whole values it reads single
/// tokens, for the trace line reader's fast path.
struct JSONParser {
  let bytes: UnsafeBufferPointer<UInt8>
  var i = 0

  init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  func fail(_ message: String) -> JSONSyntaxError { JSONSyntaxError(column: i + 1, message: message) }

  mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
    skipSpace()
    let value = try parseValue(depth: 0)
    skipSpace()
    guard i == bytes.count else { throw fail("unexpected text after the JSON value") }
    return value
  }

  mutating func skipSpace() {
    while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D {
      i += 1
    }
  }

  mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard depth < JSONValue.maximumDepth else { throw fail("nested deeper than \(JSONValue.maximumDepth)") }
    guard i < bytes.count else { throw fail("unexpected end of line (the line may be cut short)") }
    switch bytes[i] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectWord("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw fail(unexpectedCharacter())
    }
  }

  /// What the byte at `i` starts, said so a reader can find it: a byte order mark by name, any
  /// other character as itself (decoded as UTF-8, not byte by byte), escaped for the terminal.
  func unexpectedCharacter() -> String {
    let rest = bytes[i...]
    if rest.starts(with: [0xEF, 0xBB, 0xBF]) {
      return "a byte order mark (BOM, bytes EF BB BF), which JSON does not allow: save the file as UTF-8 "
        + "without a BOM"
    }
    var decoder = UTF8()
    var iterator = rest.prefix(4).makeIterator()
    guard case .scalarValue(let scalar) = decoder.decode(&iterator) else {
      return "unexpected byte 0x\(String(bytes[i], radix: 16, uppercase: true)) (not UTF-8)"
    }
    return "unexpected character '\(String(Character(scalar)).terminalSafe)'"
  }

  mutating func expectWord(_ word: String) throws(JSONSyntaxError) {
    let w = word.utf8
    guard i + w.count <= bytes.count, bytes[i..<(i + w.count)].elementsEqual(w) else {
      throw fail("expected \(word)")
    }
    i += w.count
  }

  mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    i += 1
    var object = JSONObject()
    skipSpace()
    if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
      i += 1
      return .object(object)
    }
    while true {
      skipSpace()
      guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key in quotes") }
      let key = try parseString()
      skipSpace()
      guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
      i += 1
      skipSpace()
      let value = try parseValue(depth: depth + 1)
      guard !object.members.contains(where: { $0.key == key }) else { throw fail("duplicate key \"\(key)\"") }
      object.appendUnchecked(key, value)
      skipSpace()
      guard i < bytes.count else { throw fail("unexpected end of line inside an object") }
      if bytes[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
      i += 1
      return .object(object)
    }
  }

  mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    i += 1
    var array: [JSONValue] = []
    skipSpace()
    if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
      i += 1
      return .array(array)
    }
    while true {
      skipSpace()
      array.append(try parseValue(depth: depth + 1))
      skipSpace()
      guard i < bytes.count else { throw fail("unexpected end of line inside an array") }
      if bytes[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
      i += 1
      return .array(array)
    }
  }

  mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
    if let v = plainInteger() { return .int(v) }
    let start = i
    if bytes[i] == UInt8(ascii: "-") { i += 1 }
    var isInteger = true
    while i < bytes.count {
      let c = bytes[i]
      if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
        i += 1
      } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
        || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
      {
        isInteger = false
        i += 1
      } else {
        break
      }
    }
    let text = String(decoding: bytes[start..<i], as: UTF8.self)
    if isInteger, let v = Int64(text) { return .int(v) }
    guard let d = Double(text), d.isFinite else {
      i = start
      throw fail("malformed number '\(text)'")
    }
    return .double(d)
  }

  /// Whether the next byte is `c`; consumes it when it is.
  mutating func consume(_ c: UInt8) -> Bool {
    guard i < bytes.count, bytes[i] == c else { return false }
    i += 1
    return true
  }

  /// The bytes of a string with no escapes, its quotes consumed; nil (nothing consumed) when the
  /// string has escapes, control characters or is not valid UTF-8, for `parseString` to handle.
  mutating func plainString() -> UnsafeBufferPointer<UInt8>? {
    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
    var end = i + 1
    var highBits: UInt8 = 0
    while end < bytes.count {
      let c = bytes[end]
      if c == UInt8(ascii: "\"") { break }
      if c == UInt8(ascii: "\\") || c < 0x20 { return nil }
      highBits |= c
      end += 1
    }
    guard end < bytes.count else { return nil }
    let text = UnsafeBufferPointer(rebasing: bytes[(i + 1)..<end])
    guard highBits < 0x80 || UTF8Validation.isValid(text) else { return nil }
    i = end + 1
    return text
  }

  /// An integer made of digits only (no fraction or exponent) that fits 64 bits; nil (nothing
  /// consumed) otherwise, for `parseNumber` to handle.
  mutating func plainInteger() -> Int64? {
    var k = i
    let negative = k < bytes.count && bytes[k] == UInt8(ascii: "-")
    if negative { k += 1 }
    let first = k
    var magnitude: UInt64 = 0
    while k < bytes.count, bytes[k] &- UInt8(ascii: "0") < 10 {
      let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
      let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[k] &- UInt8(ascii: "0")))
      guard !o1, !o2 else { return nil }
      magnitude = sum
      k += 1
    }
    guard k > first else { return nil }
    if k < bytes.count {
      let c = bytes[k]
      if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+")
        || c == UInt8(ascii: "-")
      {
        return nil
      }
    }
    let value: Int64
    if negative {
      guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
      value = magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
    } else {
      guard magnitude <= UInt64(Int64.max) else { return nil }
      value = Int64(magnitude)
    }
    i = k
    return value
  }

  mutating func parseString() throws(JSONSyntaxError) -> String {
    if let plain = plainString() { return String(decoding: plain, as: UTF8.self) }
    i += 1
    var out: [UInt8] = []
    while i < bytes.count {
      let c = bytes[i]
      switch c {
      case UInt8(ascii: "\""):
        i += 1
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return s
      case UInt8(ascii: "\\"):
        i += 1
        guard i < bytes.count else { throw fail("unexpected end of line in an escape") }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try parseHex4()
          if (0xD800..<0xDC00).contains(scalar) {
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u")
            else {
              throw fail("unpaired surrogate")
            }
            i += 2
            let low = try parseHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
          out.append(contentsOf: Array(String(Character(u)).utf8))
        default:
          i -= 1
          throw fail("invalid escape '\\\(Unicode.Scalar(e))'")
        }
      case 0..<0x20:
        throw fail("control character in a string (a raw newline or tab must be escaped)")
      default:
        out.append(c)
        i += 1
      }
    }
    throw fail("unterminated string (the line may be cut short)")
  }

  mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
    guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let c = bytes[i]
      let d: UInt8
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
      default: throw fail("invalid hex digit in \\u escape")
      }
      v = v << 4 | UInt32(d)
      i += 1
    }
    return v
  }
}
