import Foundation
import SockScopeAnalysis
import SockScopeTrace
import Testing

@Suite("Reading a schematic file: decisions, output steps and errors with line and column")
struct SchematicParsingTests {
  @Test("the built-in schematic describes the page's loop: receive, two decisions, print")
  func pageLoop() throws {
    let loop = try #require(try DocumentedSchematic.datagramEcho.roles[0].loop)
    #expect(loop.body.map(\.call) == ["recv"])
    #expect(loop.body[0].label == "datagram = recv(1024)")
    guard loop.items.count == 4, case .decision(let received) = loop.items[1],
      case .output(let print) = loop.items[2],
      case .decision(let done) = loop.items[3]
    else {
      Issue.record("items: \(loop.items)")
      return
    }
    #expect(received.condition == .received && !received.exitsWhen && received.label == "if datagram")
    #expect(print.label == "print datagram")
    #expect(done.condition == .equals("DONE") && done.exitsWhen && done.label == "if “DONE”")
  }

  @Test(
    "each bad line is an error with its line and the column of the word at fault",
    arguments: [
      ("role s\n  stpe recv\n", 2, 3, "unknown keyword \"stpe\""),
      ("role s\n  loop\n    step recv\n", 2, 3, "never closed"),
      ("role s\n  loop\n    step recv\n    if datagram \"x\" sometimes exit\n", 4, 21, "write: if datagram"),
      ("role s\n  loop\n    step recv\n    if color \"x\" else exit\n  end\n", 4, 8, "unknown condition"),
      ("role s\n  print datagram\n", 2, 3, "inside a loop"),
      ("role s \"unclosed\n", 1, 8, "a quote is not closed"),
    ])
  func errors(text: String, line: Int, column: Int, message: String) throws {
    let error = try #require(throws: SchematicError.self) {
      try DocumentedSchematic.parse(text, file: "f.schematic")
    }
    #expect(error.line == line)
    if column > 0 { #expect(error.column == column) }
    #expect(error.message.contains(message), "\(error)")
    #expect(error.description.hasPrefix("f.schematic:\(line):"))
  }

  @Test("with CRLF line ends and a byte order mark, errors keep their line and column")
  func crlfAndBOM() throws {
    let text = "role s \"S\"\n  loop\n    step recv\n    stpe send\n  end\n"
    for variant in [text, text.replacingOccurrences(of: "\n", with: "\r\n"), "\u{FEFF}" + text] {
      let error = try #require(throws: SchematicError.self) {
        try DocumentedSchematic.parse(variant, file: "f")
      }
      #expect(error.line == 4 && error.column == 5, "\(error)")
      #expect(
        error.description
          == "f:4:5: unknown keyword \"stpe\"; a line starts with schematic, role, step, loop, if, print, end, arrow, exit or socket"
      )
    }
    let unclosed = "\u{FEFF}role s\r\n  loop\r\n    step recv\r\n"
    let error = try #require(throws: SchematicError.self) {
      try DocumentedSchematic.parse(unclosed, file: "f")
    }
    #expect(error.line == 2 && error.column == 3)
    #expect(error.message.contains("never closed"))
  }

  @Test("a step's box text is read after `as`, and the loop keeps the figure's order")
  func labels() throws {
    let s = try DocumentedSchematic.parse(
      "role r\n  loop\n    step recv 64 as \"n = recv(64)\"\n    print datagram\n  end\n", file: "f")
    let loop = try #require(s.roles[0].loop)
    #expect(
      loop.body == [DocumentedSchematic.Step(call: "recv", arguments: ["64"], line: 3, label: "n = recv(64)")]
    )
    #expect(loop.items.count == 2)
  }
}
