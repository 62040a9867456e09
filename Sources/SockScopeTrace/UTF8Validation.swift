/// UTF-8 checks on raw bytes, without making a `String` (which would allocate for every payload
/// longer than 15 bytes while loading a trace).
enum UTF8Validation {
  /// Whether `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
  static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    let n = bytes.count
    while i < n {
      let b = bytes[i]
      if b < 0x80 {
        i += 1
        continue
      }
      let length: Int
      var low: UInt8 = 0x80
      var high: UInt8 = 0xBF
      switch b {
      case 0xC2...0xDF: length = 2
      case 0xE0: (length, low) = (3, 0xA0)
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED: (length, high) = (3, 0x9F)
      case 0xF0: (length, low) = (4, 0x90)
      case 0xF1...0xF3: length = 4
      case 0xF4: (length, high) = (4, 0x8F)
      default: return false
      }
      guard i + length <= n, (low...high).contains(bytes[i + 1]) else { return false }
      for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return false }
      i += length
    }
    return true
  }

  /// Whether `bytes` reads as text: valid UTF-8 with no control characters but tab, newline and
  /// carriage return.
  static func isText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    for b in bytes where (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F { return false }
    return isValid(bytes)
  }
}
