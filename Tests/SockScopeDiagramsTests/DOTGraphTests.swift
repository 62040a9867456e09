import Testing

@testable import SockScopeGraphviz

@Suite("DOT graph model")
struct DOTGraphTests {
  @Test("quotes, backslashes, newlines and Cyrillic are escaped so the label shows them as typed")
  func escaping() {
    #expect(DOTValue.quoted(#"say "hi""#) == #""say \"hi\"""#)
    #expect(DOTValue.quoted(#"C:\path"#) == #""C:\\path""#)
    #expect(DOTValue.quoted("two\nlines") == #""two\nlines""#)
    #expect(DOTValue.quoted("Сервер") == "\"Сервер\"")
  }

  @Test("HTML labels escape markup characters")
  func htmlEscaping() {
    #expect(DOTValue.escapeHTML(#"bind("./a&b") <x>"#) == "bind(&quot;./a&amp;b&quot;) &lt;x&gt;")
    #expect(DOTValue.escapeHTML("a\nb") == "a<br/>b")
    #expect(DOTValue.escapeHTML("a\r\nb") == "a<br/>b", "a Windows line end is one line end")
    #expect(DOTValue.escapeHTML(#"a\Nb\Gc"#) == #"a\\Nb\\Gc"#, "dot shows a doubled backslash as one")
  }

  @Test("identifiers are bare when plain, quoted when not, and keywords are always quoted")
  func identifiers() {
    #expect(DOTGraph.identifier("c0s1") == "c0s1")
    #expect(DOTGraph.identifier("1abc") == "\"1abc\"")
    #expect(DOTGraph.identifier("node") == "\"node\"")
    #expect(DOTGraph.identifier("client#1") == "\"client#1\"")
    #expect(DOTGraph.identifier("Лев") == "\"Лев\"")
  }

  @Test("attributes keep their order; clusters, ranks and edges are written one per statement")
  func structure() {
    var g = DOTGraph(
      name: "g", attributes: ["rankdir": "TB", "newrank": .plain("true")], nodeDefaults: ["shape": "box"])
    g.node("a", ["label": .html("<b>A</b>"), "width": .number(1.5)])
    g.node("b")
    g.edge("a", "b", ["style": "dashed"])
    g.statements.append(.sameRank(["a", "b"]))
    g.statements.append(
      .subgraph(
        DOTSubgraph(name: "cluster_x", attributes: ["color": "red"], statements: [.node(id: "a", [:])])))
    #expect(
      g.text == """
        digraph g {
          graph [rankdir="TB", newrank=true];
          node [shape="box"];
          a [label=<<b>A</b>>, width=1.5];
          b;
          a -> b [style="dashed"];
          { rank=same; a; b; }
          subgraph cluster_x {
            graph [color="red"];
            a;
          }
        }

        """)
  }

  @Test("setting an attribute again replaces it in place; setting nil removes it")
  func attributeUpdates() {
    var a: DOTAttributes = ["x": "1", "y": "2"]
    a["x"] = "3"
    a["y"] = nil
    #expect(a.pairs.map(\.key) == ["x"])
    #expect(a["x"] == .text("3"))
  }
}

@Suite("libgraphviz in process")
struct GraphvizTests {
  @Test("a graph renders to SVG, PNG and PDF")
  func formats() throws {
    let dot = "digraph { a -> b; }"
    #expect(
      String(decoding: try Graphviz.render(dot, engine: .dot, format: .svg), as: UTF8.self).contains("<svg"))
    #expect(
      Array(try Graphviz.render(dot, engine: .dot, format: .png).prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    #expect(Array(try Graphviz.render(dot, engine: .dot, format: .pdf).prefix(4)) == Array("%PDF".utf8))
  }

  @Test("a syntax error is a GraphvizError with the library's message, not a crash")
  func syntaxError() {
    #expect {
      try Graphviz.render("digraph { a -> ; }", engine: .dot, format: .svg)
    } throws: { error in
      (error as? GraphvizError)?.description.contains("syntax error") == true
    }
  }

  @Test("renders from many tasks at once all succeed: the library is only ever entered by one")
  func concurrentRenders() async throws {
    let results = try await withThrowingTaskGroup(of: Int.self) { group in
      for i in 0..<16 {
        group.addTask { try Graphviz.render("digraph { n\(i) -> m\(i); }", engine: .dot, format: .svg).count }
      }
      return try await group.reduce(into: [Int]()) { $0.append($1) }
    }
    #expect(results.count == 16 && results.allSatisfy { $0 > 100 })
  }

  @Test("the linked library answers with its version")
  func version() {
    #expect(Graphviz.version.hasPrefix("2."))
  }
}
