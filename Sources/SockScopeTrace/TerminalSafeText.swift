extension String {
  /// The string with every character that a terminal would act on instead of showing written as an
  /// escape (`\n`, `\t`, `\e`, `\u{9b}`…), so that text taken from a trace, a log or a program's
  /// output cannot move the cursor, retitle, clear or reorder the terminal of whoever reads it.
  ///
  /// Escaped: C0 controls (U+0000–U+001F), DEL, C1 controls (U+0080–U+009F), the line and paragraph
  /// separators, and the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069). A
  /// backslash is left as it is: the result is for reading, not for parsing back.
  public var terminalSafe: String {
    guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
    var out = String.UnicodeScalarView()
    for scalar in unicodeScalars {
      guard Self.needsEscape(scalar) else {
        out.append(scalar)
        continue
      }
      let escape: String
      switch scalar {
      case "\n": escape = "\\n"
      case "\r": escape = "\\r"
      case "\t": escape = "\\t"
      case "\u{1B}": escape = "\\e"
      default: escape = "\\u{" + String(scalar.value, radix: 16) + "}"
      }
      out.append(contentsOf: escape.unicodeScalars)
    }
    return String(out)
  }

  /// Whether a terminal acts on `scalar` rather than showing it.
  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
    default: return false
    }
  }
}
