/// Terminal column widths, so that Cyrillic, CJK and combining marks line up (a column is not a
/// byte, and not always one character).
public enum DisplayWidth {
  /// Columns a scalar takes: 0 for combining marks and controls, 2 for East Asian wide and emoji.
  public static func of(_ scalar: Unicode.Scalar) -> Int {
    let v = scalar.value
    if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return 0
    default: break
    }
    if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
      || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
      || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v) || (0x1F900...0x1F9FF).contains(v)
      || (0x20000...0x3FFFD).contains(v)
    {
      return 2
    }
    return 1
  }

  /// Columns a string takes.
  public static func of(_ text: String) -> Int { text.unicodeScalars.reduce(0) { $0 + of($1) } }

  /// `text` cut to at most `width` columns (a wide character that would straddle the edge is left
  /// out) and padded with spaces to exactly `width`.
  public static func fit(_ text: String, _ width: Int) -> String {
    var out = ""
    var used = 0
    for scalar in text.unicodeScalars {
      let w = of(scalar)
      if used + w > width { break }
      out.unicodeScalars.append(scalar)
      used += w
    }
    return out + String(repeating: " ", count: max(0, width - used))
  }

  /// `text` broken into lines of at most `width` columns (at spaces when possible).
  public static func wrap(_ text: String, _ width: Int) -> [String] {
    var lines: [String] = []
    var line = ""
    var used = 0
    for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
      let w = of(word)
      if used > 0 && used + 1 + w > width {
        lines.append(line)
        line = ""
        used = 0
      }
      if used > 0 {
        line += " "
        used += 1
      }
      var rest = word
      while of(rest) > width {
        let head = fit(rest, width - used).trimmingTrailingSpaces
        lines.append(line + head)
        rest = String(rest.dropFirst(head.count))
        line = ""
        used = 0
      }
      line += rest
      used += of(rest)
    }
    if !line.isEmpty || lines.isEmpty { lines.append(line) }
    return lines
  }
}

extension String {
  var trimmingTrailingSpaces: String {
    var s = Substring(self)
    while s.last == " " { s = s.dropLast() }
    return String(s)
  }
}
