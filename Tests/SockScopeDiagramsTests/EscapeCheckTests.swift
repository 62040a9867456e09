import SockScopeTrace
import Testing

@testable import SockScopeDiagrams
@testable import SockScopeGraphviz

/// The byte-level checks that keep a chart of every call fast say exactly what the per-character
/// rules they stand in for say.
@Suite("Fast checks on DOT text")
struct EscapeCheckTests {
  /// Characters at and around every edge of the ranges `String.terminalSafe` escapes.
  static let edges: [Unicode.Scalar] = [
    "\u{0}", "\u{9}", "\n", "\r", "\u{1B}", "\u{1F}", " ", "~", "\u{7F}", "\u{80}", "\u{85}", "\u{9B}",
    "\u{9F}",
    "\u{A0}", "é", "Л", "\u{2027}", "\u{2028}", "\u{2029}", "\u{202A}", "\u{202E}", "\u{202F}", "\u{2065}",
    "\u{2066}", "\u{2069}", "\u{206A}", "\u{20AC}", "😀", "\\", "\"",
  ]

  @Test("the byte check finds a character that needs an escape exactly when the per-character rule does")
  func escapeCheckAgrees() {
    for scalar in Self.edges {
      for (before, after) in [("", ""), ("label=\"", "\""), ("Лев ", " x"), ("a", "")] {
        let text = before + String(scalar) + after
        let expected = text.unicodeScalars.contains { $0 != "\n" && String($0).terminalSafe != String($0) }
        #expect(Diagrams.mayNeedEscape(text) == expected, "U+\(String(scalar.value, radix: 16))")
      }
    }
  }

  @Test("identifiers and quoted values are written as before: words bare, keywords and the rest quoted")
  func identifiers() {
    #expect(DOTGraph.identifier("e12_label") == "e12_label")
    #expect(DOTGraph.identifier("lane_server") == "lane_server")
    #expect(DOTGraph.identifier("12e") == "\"12e\"")
    #expect(DOTGraph.identifier("Node") == "\"Node\"")
    #expect(DOTGraph.identifier("subgraphs") == "subgraphs")
    #expect(DOTGraph.identifier("") == "\"\"")
    #expect(DOTGraph.identifier("lane_Лев") == "\"lane_Лев\"")
    #expect(DOTGraph.identifier("a-b") == "\"a-b\"")
    #expect(DOTValue.quoted("plain «text»") == "\"plain «text»\"")
    #expect(DOTValue.quoted("a\"b\\c\nd\re") == "\"a\\\"b\\\\c\\nde\"")
  }
}
