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
  /// out) and padded with spaces to exactly `width`. Control characters are escaped first
  /// (``Swift/String/terminalSafe``), so a frame never holds one raw, whatever reaches it.
  public static func fit(_ text: String, _ width: Int) -> String {
    var out = ""
    var used = 0
    for scalar in text.terminalSafe.unicodeScalars {
      let w = of(scalar)
      if used + w > width { break }
      out.unicodeScalars.append(scalar)
      used += w
    }
    return out + String(repeating: " ", count: max(0, width - used))
  }

  /// `text` as it is when it takes at most `columns` columns, else cut to `columns - 1` and ended
  /// with `…`, so a cut is always visible.
  public static func cut(_ text: String, _ columns: Int) -> String {
    guard of(text) > columns else { return text }
    guard columns > 0 else { return "" }
    return fit(text, columns - 1).trimmingTrailingSpaces + "…"
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
  /// Without its trailing spaces. Walks UTF-8 bytes (a space is one byte, never part of another
  /// character), so a line costs its length, not its length squared.
  var trimmingTrailingSpaces: String {
    let bytes = utf8
    var end = bytes.endIndex
    while end > bytes.startIndex {
      let before = bytes.index(before: end)
      if bytes[before] != UInt8(ascii: " ") { break }
      end = before
    }
    return String(self[..<end])
  }
}
