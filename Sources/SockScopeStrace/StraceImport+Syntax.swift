import Foundation
import SockScopeMerge
import SockScopeTrace

// How strace writes a line: results, times, descriptors, arguments, C strings, addresses.
extension StraceImport {
  /// `args) = ret rest` split at the `) = ` that closes the argument list. strace pads short
  /// lines so results line up at column 40 (`close(3)        = 0`), so spaces may come before `=`.
  static func splitResult(_ body: String) -> (String, String)? {
    var end = body.endIndex
    while let range = body.range(of: " = ", options: .backwards, range: body.startIndex..<end) {
      let before = body[..<range.lowerBound].trimmingSpaces
      if before.hasSuffix(")") {
        return (String(before.dropLast()), String(body[range.upperBound...]))
      }
      end = range.lowerBound
    }
    return nil
  }

  /// `09:20:34.924024` as nanoseconds since midnight.
  static func timeOfDay(_ s: Substring) -> UInt64? {
    let parts = s.split(separator: ":", omittingEmptySubsequences: false)
    // In range, or a damaged line's huge "hour" would overflow the arithmetic below.
    guard parts.count == 3, let h = UInt64(parts[0]), let m = UInt64(parts[1]), h < 24, m < 60 else {
      return nil
    }
    let secParts = parts[2].split(separator: ".", omittingEmptySubsequences: false)
    guard secParts.count <= 2, let first = secParts.first, let sec = UInt64(first), sec <= 60 else {
      return nil
    }
    var frac: UInt64 = 0
    if secParts.count == 2 {
      let digits = String(secParts[1].prefix(9))
      frac = (UInt64(digits) ?? 0) * UInt64(pow10(9 - digits.count))
    }
    return ((h * 60 + m) * 60 + sec) * 1_000_000_000 + frac
  }

  /// A result without `-T`'s duration at its end (`6 <0.000123>`, `-1 ENOENT (…) <0.000011>`),
  /// and the duration in nanoseconds; strace's `<unavailable>` (a call that never returned) is
  /// removed too, with no duration.
  static func takingDuration(_ result: String) -> (String, UInt64?) {
    let text = Substring(result).trimmingSpaces
    guard text.hasSuffix(">"), let open = text.range(of: " <", options: .backwards) else {
      return (result, nil)
    }
    let inside = text[open.upperBound..<text.index(before: text.endIndex)]
    let rest = String(text[..<open.lowerBound].trimmingSpaces)
    if inside == "unavailable" { return (rest, nil) }
    guard let duration = seconds(inside) else { return (result, nil) }
    return (rest, duration)
  }

  /// `4.113649` (seconds, as `-T` writes them) in nanoseconds.
  static func seconds(_ s: Substring) -> UInt64? {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    // Bounded, or a damaged line's huge number would overflow the arithmetic below.
    guard parts.count == 2, parts[0].count <= 9, parts[1].count <= 9, let whole = UInt64(parts[0]),
      !parts[1].isEmpty, parts[1].allSatisfy(\.isASCII), let fraction = UInt64(parts[1])
    else { return nil }
    return whole * 1_000_000_000 + fraction * UInt64(pow10(9 - parts[1].count))
  }

  static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r * 10 } }
}

extension StraceImport {
  /// A socket as strace -yy annotates it: `3<UNIX:[14394]>`, `4<UNIX:[13615->14394]>`,
  /// `3<UNIX:[14394,"echo.socket"]>`, and `3<UNIX-STREAM:[14394]>`: strace prints the kernel's
  /// protocol name, and Linux 5.15 and later name stream sockets `UNIX-STREAM`.
  struct Descriptor {
    var fd: Int32
    var inode: UInt64
    var peer: UInt64?
  }

  static func descriptor(_ text: Substring) -> Descriptor? {
    guard let open = text.firstIndex(of: "<"), let fd = Int32(text[..<open].trimmingSpaces),
      let bracket = text[open...].firstIndex(of: "["),
      isUnixProtocol(text[text.index(after: open)..<bracket])
    else { return nil }
    let inside = text[text.index(after: bracket)...].prefix { $0 != "]" && $0 != "," }
    let parts = inside.components(separatedBy: "->")
    // Inodes fit in 63 bits, as the trace format's integers do.
    func inode(_ text: String) -> UInt64? { Int64(text).flatMap { $0 >= 0 ? UInt64($0) : nil } }
    guard let ino = inode(parts[0]) else { return nil }
    return Descriptor(fd: fd, inode: ino, peer: parts.count > 1 ? inode(parts[1]) : nil)
  }

  /// `UNIX:` or `UNIX-STREAM:` (any `UNIX-NAME:`), the part of an annotation before its `[`.
  static func isUnixProtocol(_ text: Substring) -> Bool {
    guard text.hasPrefix("UNIX"), text.hasSuffix(":") else { return false }
    let name = text.dropFirst(4).dropLast()
    return name.isEmpty || (name.count > 1 && name.first == "-" && name.dropFirst().allSatisfy(\.isUppercase))
  }

  /// Top-level arguments, split at commas outside quotes, braces, brackets, parentheses and
  /// descriptor annotations (`3<UNIX:[1->2]>`). A closer counts only when it closes the innermost
  /// opener, because strace also writes `>` in arrows: `[13615->14394]`, `[110 => 2]`.
  static func arguments(_ text: String) -> [Substring] {
    var out: [Substring] = []
    var closers: [Character] = []
    var previous: Character = " "
    var quoted = false
    var escaped = false
    var start = text.startIndex
    for i in text.indices {
      let c = text[i]
      if quoted {
        if escaped {
          escaped = false
        } else if c == "\\" {
          escaped = true
        } else if c == "\"" {
          quoted = false
        }
        continue
      }
      switch c {
      case "\"": quoted = true
      case "{": closers.append("}")
      case "[": closers.append("]")
      case "(": closers.append(")")
      case "<" where previous.isNumber: closers.append(">")
      case "}", "]", ")", ">":
        if closers.last == c { closers.removeLast() }
      case "," where closers.isEmpty:
        out.append(text[start..<i].trimmingSpaces)
        start = text.index(after: i)
      default: break
      }
      previous = c
    }
    let last = text[start...].trimmingSpaces
    if !last.isEmpty { out.append(last) }
    return out
  }

  /// A C string as strace prints it (`"\320\233ev\n"`), as bytes; `...` after it means strace cut it.
  static func bytes(_ text: Substring) -> [UInt8]? {
    guard text.hasPrefix("\"") else { return nil }
    var out: [UInt8] = []
    let utf8 = Array(text.utf8)
    var k = 1  // after the opening quote
    while k < utf8.count {
      let c = utf8[k]
      if c == UInt8(ascii: "\"") { break }
      if c == UInt8(ascii: "\\"), k + 1 < utf8.count {
        let e = utf8[k + 1]
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A); k += 2
        case UInt8(ascii: "t"): out.append(0x09); k += 2
        case UInt8(ascii: "r"): out.append(0x0D); k += 2
        case UInt8(ascii: "v"): out.append(0x0B); k += 2
        case UInt8(ascii: "f"): out.append(0x0C); k += 2
        case UInt8(ascii: "x"):
          var v: UInt8 = 0
          var j = k + 2
          while j < utf8.count, j < k + 4, let d = hexDigit(utf8[j]) { v = v << 4 | d; j += 1 }
          out.append(v); k = j
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
          var v = 0
          var j = k + 1
          while j < utf8.count, j < k + 4, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(utf8[j]) {
            v = v * 8 + Int(utf8[j] - UInt8(ascii: "0")); j += 1
          }
          out.append(UInt8(truncatingIfNeeded: v)); k = j
        default: out.append(e); k += 2
        }
      } else {
        out.append(c)
        k += 1
      }
    }
    return out
  }

  static func hexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  /// `{sa_family=AF_UNIX, sun_path="echo.socket"}` or `sun_path=@"name"` as an address object.
  static func address(_ text: Substring) -> JSONObject? {
    guard text.contains("AF_UNIX") else { return nil }
    guard let range = text.range(of: "sun_path=") else { return ["unnamed": .bool(true)] }
    var rest = text[range.upperBound...]
    let abstract = rest.hasPrefix("@")
    if abstract { rest = rest.dropFirst() }
    guard let bytes = bytes(rest) else { return nil }
    let name = String(decoding: bytes, as: UTF8.self)
    return abstract ? ["abstract": .string(name)] : ["path": .string(name)]
  }
}

extension Substring {
  var trimmingSpaces: Substring {
    var s = self
    while s.first == " " || s.first == "\t" { s = s.dropFirst() }
    while s.last == " " || s.last == "\t" || s.last == "\r" { s = s.dropLast() }
    return s
  }
}

extension String {
  var trimmingSpaces: String { String(Substring(self).trimmingSpaces) }
}
