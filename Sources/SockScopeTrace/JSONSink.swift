import Glibc

/// Where JSON text is appended: a `JSONWriter`'s array, or a `JSONLineBuffer` written through raw
/// pointers. The escaping and number formatting are written once, here, for both.
protocol JSONSink {
  /// Appends one byte.
  mutating func put(_ byte: UInt8)
  /// Appends bytes as they are.
  mutating func put(_ bytes: UnsafeBufferPointer<UInt8>)
  /// Appends what `write` writes of `value` to a `JSONWriter` (for the parts only written that
  /// way). The value is passed, not captured: a closure capturing an event copies it.
  mutating func embed<Value>(_ value: borrowing Value, _ write: (borrowing Value, inout JSONWriter) -> Void)
  /// Appends `bytes` as lowercase hex, two digits a byte.
  mutating func putHex(_ bytes: UnsafeBufferPointer<UInt8>)
  /// Appends a string that recurs from line to line (a role, a call's name) as `putString` does.
  mutating func putName(_ name: String)
  /// Appends a decimal integer.
  mutating func putUnsigned(_ v: UInt64)
}

extension JSONWriter: JSONSink {
  mutating func put(_ byte: UInt8) { bytes.append(byte) }
  mutating func put(_ text: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: text) }
  mutating func embed<Value>(_ value: borrowing Value, _ write: (borrowing Value, inout JSONWriter) -> Void) {
    write(value, &self)
  }
  mutating func putName(_ name: String) { putString(name) }
}

extension JSONWriter {
  /// Whether `bytes` are all printable ASCII other than `"` and `\`: text (see
  /// `Payload.isText`) that `putString` writes as it is.
  static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    var i = 0
    // Eight bytes at a time: no high bit set, and none that `mayNeedEscape` finds.
    while i + 8 <= bytes.count {
      let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
      if word & 0x8080_8080_8080_8080 != 0 || mayNeedEscape(word) { return false }
      i += 8
    }
    while i < bytes.count {
      let b = bytes[i]
      if b < 0x20 || b >= 0x7F || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
      i += 1
    }
    return true
  }
}

extension JSONSink {
  /// Appends text that needs no escaping, as it is.
  @inline(__always)
  mutating func put(_ text: StaticString) {
    text.withUTF8Buffer { put($0) }
  }

  /// Appends a decimal integer.
  mutating func putInt(_ v: Int64) {
    if v < 0 {
      put(UInt8(ascii: "-"))
      putUnsigned(v.magnitude)
    } else {
      putUnsigned(UInt64(v))
    }
  }

  mutating func putUnsigned(_ v: UInt64) {
    // At most 20 digits, written backwards into a fixed buffer and appended in one piece.
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var count = 0
    var rest = v
    withUnsafeMutableBytes(of: &digits) { raw in
      let buffer = raw.bindMemory(to: UInt8.self)
      repeat {
        count += 1
        buffer[24 - count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
        rest /= 10
      } while rest > 0
      put(UnsafeBufferPointer(rebasing: buffer[(24 - count)...]))
    }
  }

  /// Appends a string in quotes, escaped as `JSONWriter.string(_:)` says.
  mutating func putString(_ s: String) {
    var s = s
    s.withUTF8 { putString(utf8: $0) }
  }

  /// Appends UTF-8 `text` (assumed valid) as a string in quotes, escaped as
  /// `JSONWriter.string(_:)` says.
  mutating func putString(utf8 text: UnsafeBufferPointer<UInt8>) {
    put(UInt8(ascii: "\""))
    var clean = 0  // Start of the run of bytes not yet copied.
    var i = 0
    guard let base = text.baseAddress else {
      put(UInt8(ascii: "\""))
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
      case 0xC2 where i + 1 < text.count && (0x80...0x9F).contains(text[i + 1]):
        escape = nil
      case 0xE2 where i + 2 < text.count && JSONWriter.isEscapedE2(text[i + 1], text[i + 2]):
        escape = nil
      default:
        i += 1
        continue
      }
      put(UnsafeBufferPointer(rebasing: text[clean..<i]))
      if let escape {
        put(escape)
        i += 1
      } else if c == 0xE2 {
        // U+2000 + the low bits of the last two bytes: E2 80 A8 is U+2028, E2 81 A6 is U+2066.
        let scalar = (UInt32(text[i + 1] & 0x3F) << 6) | UInt32(text[i + 2] & 0x3F)
        put("\\u20")
        putHexByte(UInt8(scalar))
        i += 3
      } else if c == 0xC2 {
        put("\\u00")
        putHexByte(text[i + 1])
        i += 2
      } else {
        put("\\u00")
        putHexByte(c)
        i += 1
      }
      clean = i
    }
    put(UnsafeBufferPointer(rebasing: text[clean..<text.count]))
    put(UInt8(ascii: "\""))
  }

  /// Appends `b` as two lowercase hex digits.
  mutating func putHexByte(_ b: UInt8) {
    let hex: StaticString = "0123456789abcdef"
    hex.withUTF8Buffer { digits in
      put(digits[Int(b >> 4)])
      put(digits[Int(b & 0xF)])
    }
  }

  /// Appends `bytes` as lowercase hex, two digits a byte.
  mutating func putHex(_ bytes: UnsafeBufferPointer<UInt8>) {
    for b in bytes { putHexByte(b) }
  }
}

/// A growing buffer of JSON text written through raw pointers: each piece is a bounds check and a
/// copy, where `Array.append` also checks uniqueness and goes through generic paths (encoding a
/// million trace lines appended some twenty pieces each).
final class JSONLineBuffer: JSONSink {
  private var start: UnsafeMutablePointer<UInt8>
  private(set) var count = 0
  private var capacity: Int
  /// Whether `start` is this buffer's own allocation (else the memory of the array being made by
  /// `bytes(capacity:_:)`).
  private var owned: Bool
  /// For the parts written only to a `JSONWriter` (a call's arguments), reused. Accessed only
  /// by `embed`, one call at a time: unchecked, since checking each access at run time was a
  /// call into the runtime for every line.
  @exclusivity(unchecked) private var scratch = JSONWriter(capacity: 256)
  /// Whether an `embed` is under way (checked in debug builds only).
  private var embedding = false
  /// Recurring names (roles, call names) as `putString` writes them, quotes included.
  private var names: [(utf8: [UInt8], json: [UInt8])] = []

  init(capacity: Int) {
    self.capacity = max(capacity, 64)
    start = .allocate(capacity: self.capacity)
    owned = true
  }

  private init(borrowing memory: UnsafeMutableBufferPointer<UInt8>) {
    // A buffer with no memory is a buffer with no room: the first put moves it to its own.
    start = memory.baseAddress ?? .allocate(capacity: 1)
    capacity = memory.baseAddress == nil ? 0 : memory.count
    owned = memory.baseAddress == nil
  }

  deinit { if owned { start.deallocate() } }

  /// What `fill` writes, as an array written in place: the text is not copied into an array
  /// afterwards unless it outgrew `capacity`.
  static func bytes(capacity: Int, _ fill: (JSONLineBuffer) -> Void) -> [UInt8] {
    var outgrown: [UInt8]?
    let made = [UInt8](unsafeUninitializedCapacity: max(capacity, 64)) { memory, initialized in
      let sink = JSONLineBuffer(borrowing: memory)
      fill(sink)
      if sink.owned {
        outgrown = sink.bytes
        initialized = 0
      } else {
        initialized = sink.count
      }
    }
    return outgrown ?? made
  }

  @inline(__always)
  private func room(_ n: Int) {
    if count + n > capacity { grow(count + n) }
  }

  private func grow(_ needed: Int) {
    let larger = max(needed, 2 * capacity)
    let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
    moved.initialize(from: start, count: count)
    if owned { start.deallocate() }
    start = moved
    owned = true
    capacity = larger
  }

  @inline(__always)
  func put(_ byte: UInt8) {
    room(1)
    start[count] = byte
    count += 1
  }

  @inline(__always)
  func put(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let from = bytes.baseAddress else { return }
    let n = bytes.count
    room(n)
    let to = UnsafeMutableRawPointer(start + count)
    let source = UnsafeRawPointer(from)
    // Most pieces are a key or a short value: copied in two overlapping words, or a byte at a
    // time, instead of a call to memmove for each (a sixth of encoding's time, `perf`).
    if n >= 8 && n <= 16 {
      to.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
      to.storeBytes(
        of: source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self
      )
    } else if n < 8 {
      for i in 0..<n { to.storeBytes(of: from[i], toByteOffset: i, as: UInt8.self) }
    } else {
      to.copyMemory(from: source, byteCount: n)
    }
    count += n
  }

  func putUnsigned(_ v: UInt64) {
    // Written in place from the end after counting the digits: no buffer to copy from. The
    // number is cut into pieces of eight digits, each written two digits at a time in 32-bit
    // arithmetic, so the divisions (by constants: multiplications) form short chains.
    room(20)
    let digits = Self.decimalDigits(v)
    var end = start + count + digits
    var rest = v
    while rest >= 100_000_000 {
      let (q, r) = rest.quotientAndRemainder(dividingBy: 100_000_000)
      Self.putEightDigits(UInt32(truncatingIfNeeded: r), endingAt: end)
      end -= 8
      rest = q
    }
    var small = UInt32(truncatingIfNeeded: rest)
    while small >= 100 {
      let (q, r) = small.quotientAndRemainder(dividingBy: 100)
      end -= 2
      Self.putTwoDigits(r, at: end)
      small = q
    }
    if small >= 10 {
      Self.putTwoDigits(small, at: end - 2)
    } else {
      end[-1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: small)
    }
    count += digits
  }

  /// Writes `v` (below 10⁸) as exactly eight digits, ending just before `end`.
  @inline(__always)
  private static func putEightDigits(_ v: UInt32, endingAt end: UnsafeMutablePointer<UInt8>) {
    let high = v / 10_000
    let low = v % 10_000
    putTwoDigits(high / 100, at: end - 8)
    putTwoDigits(high % 100, at: end - 6)
    putTwoDigits(low / 100, at: end - 4)
    putTwoDigits(low % 100, at: end - 2)
  }

  /// Writes `v` (below 100) as two digits at `at`.
  @inline(__always)
  private static func putTwoDigits(_ v: UInt32, at: UnsafeMutablePointer<UInt8>) {
    at[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v / 10)
    at[1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
  }

  /// How many decimal digits `v` has (1 for 0): compared with constants, with no loop.
  static func decimalDigits(_ v: UInt64) -> Int {
    if v < 100_000 {
      if v < 100 { return v < 10 ? 1 : 2 }
      return v < 1_000 ? 3 : v < 10_000 ? 4 : 5
    }
    if v < 10_000_000_000 {
      if v < 10_000_000 { return v < 1_000_000 ? 6 : 7 }
      return v < 100_000_000 ? 8 : v < 1_000_000_000 ? 9 : 10
    }
    if v < 1_000_000_000_000_000 {
      if v < 1_000_000_000_000 { return v < 100_000_000_000 ? 11 : 12 }
      return v < 10_000_000_000_000 ? 13 : v < 100_000_000_000_000 ? 14 : 15
    }
    if v < 10_000_000_000_000_000 { return 16 }
    if v < 100_000_000_000_000_000 { return 17 }
    if v < 1_000_000_000_000_000_000 { return 18 }
    return v < 10_000_000_000_000_000_000 ? 19 : 20
  }

  func embed<Value>(_ value: borrowing Value, _ write: (borrowing Value, inout JSONWriter) -> Void) {
    // `scratch` is not checked for overlapping access at run time: a `write` that embedded again
    // into this buffer would overwrite it unnoticed. Debug builds stop there instead.
    assert(!embedding, "JSONLineBuffer.embed called from inside an embed")
    embedding = true
    defer { embedding = false }
    scratch.bytes.removeAll(keepingCapacity: true)
    write(value, &scratch)
    scratch.bytes.withUnsafeBufferPointer { put($0) }
  }

  func putName(_ name: String) {
    // Most lines repeat a few roles and calls: each is escaped once. Compared by their bytes:
    // `==` also equates different spellings of one text (é, e + ´), which are written as they are.
    var name = name
    name.withUTF8 { utf8 in
      for n in names.indices where names[n].utf8.count == utf8.count {
        let same = names[n].utf8.withUnsafeBufferPointer { known in
          guard let a = known.baseAddress, let b = utf8.baseAddress else { return true }
          return memcmp(a, b, utf8.count) == 0
        }
        if same {
          names[n].json.withUnsafeBufferPointer { put($0) }
          return
        }
      }
      var w = JSONWriter(capacity: utf8.count + 2)
      w.putString(utf8: utf8)
      w.bytes.withUnsafeBufferPointer { put($0) }
      if names.count < 32 { names.append((Array(utf8), w.bytes)) }
    }
  }

  func putHex(_ bytes: UnsafeBufferPointer<UInt8>) {
    room(2 * bytes.count)
    let hex: StaticString = "0123456789abcdef"
    hex.withUTF8Buffer { digits in
      for b in bytes {
        start[count] = digits[Int(b >> 4)]
        start[count + 1] = digits[Int(b & 0xF)]
        count += 2
      }
    }
  }

  /// The text written so far, as an array.
  var bytes: [UInt8] { Array(UnsafeBufferPointer(start: start, count: count)) }
}
