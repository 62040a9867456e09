import Foundation
import SockScopeAnalysis
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The page's figure drawn from its schematic file, and the run's figure with its decisions")
struct DocumentedFigureTests {
  @Test(
    "the page's figure from Resources/schematics alone matches its golden DOT",
    arguments: Language.allCases)
  func pageFigureGolden(language: Language) throws {
    let graph = Diagrams.graph(
      of: try DocumentedSchematic.datagramEcho, options: DiagramOptions(language: language))
    let dot = try Diagrams.render(graph, engine: .dot, format: .dot)
    try expectGolden(String(decoding: dot, as: UTF8.self), "page-figure-\(language.rawValue).dot")
  }

  @Test(
    "the page's figure has its diamonds, its print step, its True/False branches, the loop back and the arrow"
  )
  func pageFigureParts() throws {
    let dot = Diagrams.graph(of: try DocumentedSchematic.datagramEcho, options: DiagramOptions(language: .ru))
      .text
    #expect(dot.contains("shape=\"diamond\"") && dot.contains("if datagram"))
    #expect(dot.contains("if “DONE”"))
    #expect(dot.contains("shape=\"parallelogram\"") && dot.contains("print datagram"))
    #expect(dot.contains("datagram = recv(1024)") && dot.contains("bind(SOCKET_FILE)"))
    #expect(dot.contains("Сервер") && dot.contains("Клиент"))
    #expect(dot.contains("xlabel=\"True\"") && dot.contains("xlabel=\"False\""))
    // The loop back: drawn from Receive's top corner, arrow reversed, to the last decision.
    #expect(dot.contains("dir=\"back\""))
    #expect(dot.contains("cluster_loop"))
    #expect(dot.contains("arrowhead=\"empty\""), "the wide send→recv arrow")
    #expect(dot.contains("style=\"dashed\""), "the client's way from Send to Close")
    #expect(!dot.contains("×"), "a figure without a run has no counts")
  }

  @Test("the demo's figure counts each branch and each print from the run")
  func demoCounts() throws {
    let dot = try Diagrams.graph(
      of: try demoTrace(), view: .schematic, options: DiagramOptions(language: .en)
    ).0.text
    #expect(dot.contains("xlabel=\"True ×4\""), "if datagram: four datagrams had bytes")
    #expect(dot.contains("xlabel=\"False ×0\""))
    #expect(dot.contains("xlabel=\"False ×3\""), "if DONE: three were not DONE")
    #expect(dot.contains("xlabel=\"True ×1\""))
    #expect(dot.contains("print datagram  ×4"), "the server printed each datagram it received, DONE too")
    let none = try Diagrams.graph(
      of: try demoTrace(), view: .schematic, options: DiagramOptions(language: .en, documented: nil)
    ).0.text
    #expect(!none.contains("diamond"), "without a documented schematic there are no decisions to draw")
  }

  @Test("a server that received again after DONE: the branch that should have left the loop says so, in red")
  func receivedAfterDone() throws {
    var trace = try demoTrace()
    let done = try #require(trace.events.firstIndex { $0.role == "server" && $0.data?.text == "DONE" })
    var again = trace.events[done]
    again.index = 1000
    again.flows = []
    trace.events.insert(again, at: done + 1)
    let dot = try Diagrams.graph(of: trace, view: .schematic, options: DiagramOptions(language: .en)).0.text
    let line = try #require(dot.split(separator: "\n").first { $0.contains("True ×2") })
    #expect(line.contains("(yet it received again: 1)"), "\(line)")
    #expect(line.contains(DiagramPalette.light.failure))
  }

  @Test("a student's recv(16) keeps the decisions, and the cut datagram is said on the box")
  func shortBuffer() throws {
    var trace = try demoTrace()
    for i in trace.events.indices where trace.events[i].role == "server" && trace.events[i].call == .recv {
      trace.events[i].args["len"] = .int(16)
    }
    let i = try #require(trace.events.firstIndex { $0.role == "server" && $0.call == .recv })
    trace.events[i].data?.datagramLength = 42
    let dot = try Diagrams.graph(of: trace, view: .schematic, options: DiagramOptions(language: .en)).0.text
    #expect(dot.contains("diamond") && dot.contains("recv(16)") && dot.contains("cut: 42 B → 6 B"))
  }

  @Test("a run that did not make the documented steps gets no diamonds: the schematic's branches are not its")
  func noDiamondsForOtherPrograms() throws {
    var trace = try demoTrace()
    for i in trace.events.indices where trace.events[i].call == .socket {
      trace.events[i].args["type"] = .string("SOCK_STREAM")
    }
    let dot = try Diagrams.graph(of: trace, view: .schematic, options: DiagramOptions(language: .en)).0.text
    #expect(!dot.contains("diamond"))
  }

  @Test("an end of file is shown as EOF, never as empty data")
  func endOfFile() throws {
    let stream: JSONObject = ["domain": .string("AF_UNIX"), "type": .string("SOCK_STREAM")]
    let trace = Trace(
      header: TraceHeader(t0: 0),
      events: [
        TraceEvent(
          index: 0, time: 0, pid: 1, role: "server", call: .socket, args: stream, ret: 3,
          socket: SocketIdentity(inode: 7)),
        TraceEvent(
          index: 1, time: 1, pid: 1, role: "server", call: .recv, fd: 3, args: ["len": .int(64)], ret: 0,
          socket: SocketIdentity(inode: 7), data: Payload(length: 0, bytes: [])),
      ])
    let dot = Schematic(trace: trace, language: .en).graph(language: .en).text
    #expect(dot.contains("→ EOF (end of stream)"))
    #expect(!dot.contains("«»"))
  }
}
