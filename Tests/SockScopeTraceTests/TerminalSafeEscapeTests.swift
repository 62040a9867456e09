import Testing

@testable import SockScopeTrace

@Suite("Text from a trace is made safe for a terminal")
struct TerminalSafeEscapeTests {
  @Test("every character a terminal acts on is written as an escape, each on its own")
  func everyControlIsEscaped() {
    let acted: [UInt32] =
      Array(0x00...0x1F) + Array(0x7F...0x9F) + [0x2028, 0x2029] + Array(0x202A...0x202E)
      + Array(0x2066...0x2069)
    for value in acted {
      let scalar = Unicode.Scalar(value)!
      let safe = ("a" + String(Character(scalar)) + "b").terminalSafe
      let hex = String(value, radix: 16)
      #expect(safe.unicodeScalars.allSatisfy { !String.needsEscape($0) }, "U+\(hex) reached the terminal")
      #expect(safe.hasPrefix("a\\") && safe.hasSuffix("b"), "U+\(hex) became \(safe.debugDescription)")
    }
  }

  @Test("the escapes name the character: \\n, \\r, \\t, \\e, and \\u{…} for the rest (CSI is \\u{9b})")
  func escapesNameTheCharacter() {
    #expect("\n\r\t\u{1B}".terminalSafe == #"\n\r\t\e"#)
    #expect("\u{9B}2J".terminalSafe == #"\u{9b}2J"#)
    #expect("\u{85}\u{2028}\u{202E}".terminalSafe == #"\u{85}\u{2028}\u{202e}"#)
  }

  @Test("printable text, Cyrillic and emoji included, and backslashes stay as they are")
  func printableTextIsKept() {
    for text in ["Лев Толстой", "«ОТПРАВЛЕНО»", "😀 é ß \u{A0}\u{2027}\u{202F}", #"C:\path\n"#, ""] {
      #expect(text.terminalSafe == text)
    }
  }
}
