import Foundation
import FoundationXML
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("Diagrams of the demo's run")
struct DiagramsTests {
  @Test(
    "each view's DOT matches its golden file, in both languages",
    arguments: DiagramView.allCases, Language.allCases)
  func golden(view: DiagramView, language: Language) throws {
    let dot = try Diagrams.render(
      try demoTrace(), view: view, format: .dot, options: DiagramOptions(language: language))
    try expectGolden(String(decoding: dot, as: UTF8.self), "\(view.rawValue)-\(language.rawValue).dot")
  }

  @Test("the SVG is well-formed XML and carries the labels a reader expects", arguments: DiagramView.allCases)
  func svg(view: DiagramView) throws {
    let svg = try Diagrams.render(
      try demoTrace(), view: view, format: .svg, options: DiagramOptions(language: .ru))
    let parser = XMLParser(data: Data(svg))
    #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    let text = String(decoding: svg, as: UTF8.self)
    switch view {
    case .schematic:
      for label in ["Сервер", "Клиент ×2", "Receive", "recv(1024)", "«Толстой»", "цикл: 4 раза", "Unlink"] {
        #expect(text.contains(label), "schematic SVG lacks \(label)")
      }
    case .sequence:
      for label in ["client#1", "send(«Лев») = 6", "recv(1024) = 14", "./echo.socket создан"] {
        #expect(text.contains(label), "sequence SVG lacks \(label)")
      }
    case .topology:
      for label in ["./echo.socket", "4 датагр., 30 Б", "очередь приёма"] {
        #expect(text.contains(label), "topology SVG lacks \(label)")
      }
    case .queues:
      for label in ["Очередь приёма сокета", "./echo.socket", "датаграмм в очереди", "наибольшая глубина: 1"]
      {
        #expect(text.contains(label), "queues SVG lacks \(label)")
      }
    }
  }

  @Test(
    "backslashes in payloads and paths show as typed in every view, not as Graphviz's \\N, \\G, \\l escapes",
    arguments: DiagramView.allCases)
  func backslashesShowAsTyped(view: DiagramView) throws {
    var trace = try demoTrace()
    let payload = #"a\Nb\Gc\E\T\H\L\l\r\n"#
    let path = #".\dir\N\G.sock"#
    for i in trace.events.indices {
      let e = trace.events[i]
      if e.call.sendsData || e.call.receivesData, e.data != nil {
        trace.events[i].data = Payload(
          capturing: Array(payload.utf8), length: UInt64(payload.utf8.count), limit: 256)
      }
      if e.addressPath != nil, case .object(var addr) = e.args["addr"] {
        addr["path"] = .string(path)
        trace.events[i].args["addr"] = .object(addr)
      }
      if e.call == .unlink { trace.events[i].args["path"] = .string(path) }
    }
    let svg = try Diagrams.render(trace, view: view, format: .svg, options: DiagramOptions(language: .en))
    let text = String(decoding: svg, as: UTF8.self)
    // Graphviz would write the node's or graph's name in place of \N or \G, and drop \l.
    let shown = #"a\Nb\Gc\E\T\H\L\l\r\n"#
    switch view {
    case .schematic, .sequence:
      #expect(
        text.contains(shown),
        "the payload as typed: \(text.split(separator: "\n").filter { $0.contains("a\\") })")
    case .topology, .queues:
      break
    }
    #expect(text.contains(path), "the path as typed")
    #expect(!text.contains("aG") && !text.contains("a" + "s0"), "no expansion")
  }

  @Test(
    "Graphviz's own command reads the same DOT: a second, independent reader",
    .enabled(
      if: which("dot") != nil || ProcessInfo.processInfo.environment["CI"] == "true",
      "the graphviz package is installed by make test; under CI=true a missing dot fails"),
    arguments: DiagramView.allCases)
  func secondReader(view: DiagramView) throws {
    let dot = try Diagrams.render(try demoTrace(), view: view, format: .dot, options: DiagramOptions())
    let program = view == .sequence ? (which("neato") ?? "") : (which("dot") ?? "")
    let arguments = view == .sequence ? ["-n2", "-Tsvg"] : ["-Tsvg"]
    let result = try run(program, arguments, input: String(decoding: dot, as: UTF8.self))
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("</svg>"))
    #expect(result.error.isEmpty, "warnings: \(result.error)")
  }
}

@Suite("Folding runs into a schematic")
struct SchematicTests {
  @Test("the demo folds into a server column and one column for both clients, each with its loop")
  func demoColumns() throws {
    let schematic = Schematic(trace: try demoTrace(), language: .ru)
    #expect(schematic.titles == ["Сервер", "Клиент ×2"])
    let server = schematic.columns[0]
    #expect(server.steps.map(\.call) == [.socket, .bind, .recv, .close, .unlink])
    #expect(server.loop?.range == 2..<3)
    #expect(server.steps[2].count == 4)
    #expect(server.steps[2].data.map(\.text) == ["Лев", "Толстой", "Лев", "DONE"])
    let clients = schematic.columns[1]
    #expect(clients.roles == ["client#1", "client#2"])
    #expect(clients.steps.map(\.call) == [.socket, .connect, .send, .close])
    #expect(clients.steps[2].count == 4)
    #expect(clients.loop?.range == 2..<3)
  }

  @Test("a failed call is drawn on its own, with its errno, never folded into successes")
  func failedCallsStandApart() throws {
    var trace = try demoTrace()
    let i = try #require(trace.events.firstIndex { $0.role == "server" && $0.call == .recv })
    trace.events[i].failure = CallFailure(name: "EINTR", message: "Interrupted system call")
    trace.events[i].ret = -1
    let server = Schematic(trace: trace, language: .en).columns[0]
    #expect(server.steps.map(\.count) == [1, 1, 1, 3, 1, 1])
    #expect(server.steps[2].failure?.name == "EINTR")
    let dot = Schematic(trace: trace, language: .en).graph(language: .en).text
    #expect(dot.contains("✗ EINTR: Interrupted system call"))
  }

  @Test("a process running another program gets a column of its own")
  func thirdProgram() throws {
    var trace = try demoTrace()
    let last = try #require(trace.events.last)
    trace.events.append(
      TraceEvent(
        index: last.index + 1, time: last.time + 1, pid: 99, role: "observer", call: .socket,
        args: ["domain": .string("AF_UNIX"), "type": .string("SOCK_STREAM")], ret: 3))
    #expect(
      Schematic(trace: trace, language: .en).titles == ["Server", "Client ×2", "observer"])
  }

  @Test("a datagram cut by the receive buffer is said on the box")
  func cutDatagram() throws {
    var trace = try demoTrace()
    let i = try #require(trace.events.firstIndex { $0.role == "server" && $0.call == .recv })
    trace.events[i].data?.datagramLength = 4000
    let server = Schematic(trace: trace, language: .en).columns[0]
    #expect(server.steps[2].cut?.full == 4000 && server.steps[2].cut?.kept == 6)
    #expect(Schematic(trace: trace, language: .en).graph(language: .en).text.contains("cut: 4000 B → 6 B"))
  }

  @Test("sendto names its address only when it has one: a connected socket's is NULL")
  func sendtoLabel() {
    var e = TraceEvent(time: 0, pid: 1, role: "client", call: .sendto, ret: 6)
    #expect(e.stepText == "sendto(message)")
    e.args["addr"] = .object(["path": .string("./echo.socket")])
    #expect(e.stepText == "sendto(message, \"./echo.socket\")")
    e.args["addr"] = .object(["abstract": .string("echo")])
    #expect(e.stepText == "sendto(message, \"@echo\")")
  }
}

@Suite("Drawing bad or large input")
struct DiagramInputTests {
  @Test("a trace without a socket call is a clear error that says what to do")
  func emptyTrace() throws {
    let empty = Trace(header: TraceHeader(t0: 0), events: [])
    for view in DiagramView.allCases {
      #expect(throws: DiagramError.emptyTrace) {
        try Diagrams.graph(of: empty, view: view, options: DiagramOptions())
      }
    }
    let printedOnly = Trace(
      header: TraceHeader(t0: 0),
      events: [
        TraceEvent(
          time: 1, pid: 1, role: "app", call: .output, data: Payload(length: 3, bytes: Array("hi\n".utf8)))
      ])
    #expect(throws: DiagramError.emptyTrace) {
      try Diagrams.graph(of: printedOnly, view: .sequence, options: DiagramOptions())
    }
    #expect(DiagramError.emptyTrace.description.contains("sockscope record --out DIR -- PROGRAM"))
  }

  @Test("a 100 000-event trace draws as its beginning and end, and the figure says what was left out")
  func largeTraceFolds() throws {
    var events: [TraceEvent] = []
    for i in 0..<50_000 {
      let text = Array("m\(i)".utf8)
      events.append(
        TraceEvent(
          index: 2 * i, time: UInt64(1000 + 20 * i), duration: 5, pid: 2, role: "client", call: .send, fd: 3,
          ret: Int64(text.count), socket: SocketIdentity(inode: 20, peer: 10),
          data: Payload(length: UInt64(text.count), bytes: text), flow: i + 1))
      events.append(
        TraceEvent(
          index: 2 * i + 1, time: UInt64(1010 + 20 * i), duration: 5, pid: 1, role: "server", call: .recv,
          fd: 3,
          ret: Int64(text.count), socket: SocketIdentity(inode: 10),
          data: Payload(length: UInt64(text.count), bytes: text, datagramLength: UInt64(text.count)),
          flows: [i + 1]))
    }
    let trace = Trace(header: TraceHeader(t0: 1000), events: events)
    let (graph, engine) = try Diagrams.graph(
      of: trace, view: .sequence, options: DiagramOptions(language: .en))
    #expect(engine == .nop2)
    let text = graph.text
    #expect(text.contains("99600 more events not drawn"))
    let svg = try Diagrams.render(
      trace, view: .sequence, format: .svg, options: DiagramOptions(language: .en))
    #expect(String(decoding: svg, as: UTF8.self).contains("more events not drawn"))
    // The schematic folds the whole run into two loops.
    let schematic = Schematic(trace: trace, language: .en)
    #expect(schematic.columns.map { $0.steps.map(\.count) } == [[50_000], [50_000]])
  }

  @Test("the time axis places calls by their real times and draws waits as bars")
  func timeAxis() throws {
    let dot = try Diagrams.graph(
      of: try demoTrace(), view: .sequence, options: DiagramOptions(timestamps: true, timeAxis: true)
    ).0.text
    #expect(dot.contains("_bar"))
    #expect(dot.contains(" ms  recv(1024) = 6"))
  }
}
