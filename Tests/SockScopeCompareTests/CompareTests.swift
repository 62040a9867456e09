import Foundation
import SockScopeDiagrams
import SockScopeMerge
import SockScopeTrace
import Testing

@testable import SockScopeCompare

let demoTracePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("SockScopeTraceTests/Fixtures/demo-trace.jsonl").path
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

func demoTrace() throws -> Trace {
  let result = try TraceFile.read(path: demoTracePath)
  try #require(result.problems.isEmpty)
  return result.trace
}

func compareWithPage(_ trace: Trace) throws -> Comparison {
  Comparer.compare(
    trace, with: try DocumentedSchematic.datagramEcho, reference: "the page",
    options: ComparisonOptions(language: .en))
}

extension Trace {
  /// The trace without the events `drop` selects, renumbered.
  func without(_ drop: (TraceEvent) -> Bool) -> Trace {
    var copy = self
    copy.events = events.filter { !drop($0) }
    for i in copy.events.indices { copy.events[i].index = i }
    return copy
  }

  func index(_ role: String, _ call: SocketCall, _ n: Int = 0) throws -> Int {
    let matching = events.indices.filter { events[$0].role == role && events[$0].call == call }
    return try #require(matching.count > n ? matching[n] : nil)
  }
}

@Suite("Checking runs against the page's schematic")
struct CompareTests {
  @Test(
    "the demo's run conforms without a note: removing the socket file is the page's clean-up, not an extra step"
  )
  func demoConforms() throws {
    let c = try compareWithPage(try demoTrace())
    #expect(c.conforms)
    #expect(c.findings.isEmpty, "\(c.findings.map(\.message))")
    #expect(
      c.summaries.map(\.steps) == [
        "socket, bind, recv ×4, close, unlink", "socket, connect, send ×2, close",
        "socket, connect, send ×2, close",
      ])
  }

  @Test("a dropped bind is a missing step")
  func droppedBind() throws {
    let c = try compareWithPage(try demoTrace().without { $0.role == "server" && $0.call == .bind })
    #expect(!c.conforms)
    #expect(
      c.findings.contains { $0.kind == .missingStep && $0.role == "server" && $0.step == "bind($SOCKET)" })
    #expect(c.missing.map(\.step) == ["bind($SOCKET)"])
  }

  @Test("connect after send is reported as steps out of order")
  func connectAfterSend() throws {
    var trace = try demoTrace()
    let connect = try trace.index("client#1", .connect)
    let send = try trace.index("client#1", .send)
    let moved = trace.events.remove(at: connect)
    trace.events.insert(moved, at: send)
    let c = try compareWithPage(trace)
    #expect(!c.conforms)
    // The send came too early: before the connect that the schematic has first.
    #expect(
      c.findings.contains {
        $0.kind == .wrongOrder && $0.role == "client#1"
          && $0.message
            == "client#1 made send right after socket and before connect: the schematic has it elsewhere"
      })
    #expect(!c.findings.contains { $0.role == "client#2" && $0.severity == .difference })
  }

  @Test("a recv that failed is flagged with its errno")
  func failedReceive() throws {
    var trace = try demoTrace()
    let i = try trace.index("server", .recv, 1)
    trace.events[i].failure = CallFailure(name: "EBADF", message: "Bad file descriptor")
    trace.events[i].ret = -1
    let c = try compareWithPage(trace)
    #expect(!c.conforms)
    let f = try #require(c.findings.first { $0.kind == .failedCall })
    #expect(f.message == "recv failed: EBADF: Bad file descriptor")
    #expect(f.event == trace.events[i].index)
  }

  @Test("a datagram that was sent but never received is reported with its content")
  func unreceivedDatagram() throws {
    let trace = try demoTrace().without {
      $0.role == "server" && $0.call == .recv && $0.data?.text == "Толстой"
    }
    let c = try compareWithPage(trace)
    #expect(!c.conforms)
    #expect(
      c.findings.contains {
        $0.kind == .unreceivedDatagram && $0.role == "client#1" && $0.message.contains("«Толстой»")
      })
  }

  @Test("a server that never closed misses its close step")
  func neverClosed() throws {
    let c = try compareWithPage(try demoTrace().without { $0.role == "server" && $0.call == .close })
    #expect(!c.conforms)
    #expect(c.findings.contains { $0.kind == .missingStep && $0.role == "server" && $0.step == "close()" })
  }

  @Test("a third role that the schematic does not have is reported")
  func thirdRole() throws {
    var trace = try demoTrace()
    let last = try #require(trace.events.last)
    trace.events.append(
      TraceEvent(
        index: last.index + 1, time: last.time + 1, pid: 99, role: "observer", call: .socket,
        args: ["domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM")], ret: 3))
    let c = try compareWithPage(trace)
    #expect(!c.conforms)
    #expect(c.findings.contains { $0.kind == .extraRole && $0.role == "observer" })
  }

  @Test("a role of the schematic that never appeared is reported")
  func missingRole() throws {
    let c = try compareWithPage(try demoTrace().without { $0.role.hasPrefix("client") })
    #expect(c.findings.contains { $0.kind == .missingRole && $0.role == "client" })
  }

  @Test("a server whose loop did not end on DONE breaks the exit condition")
  func exitCondition() throws {
    let c = try compareWithPage(try demoTrace().without { $0.data?.text == "DONE" })
    #expect(
      c.findings.contains { $0.kind == .exitCondition && $0.message.contains("never received \"DONE\"") })
  }

  @Test("a bind to another path is a wrong argument")
  func wrongPath() throws {
    var trace = try demoTrace()
    let i = try trace.index("server", .bind)
    trace.events[i].args["addr"] = .object(["path": .string("/tmp/other.socket")])
    let c = try compareWithPage(trace)
    #expect(
      c.findings.contains { $0.kind == .wrongArgument && $0.message.contains("$SOCKET is \"./echo.socket\"") }
    )
  }

  @Test("reports in JSON and Markdown carry the verdict and every finding")
  func reportFormats() throws {
    let c = try compareWithPage(try demoTrace().without { $0.role == "server" && $0.call == .bind })
    let json = try JSONValue.parse(c.report(.json, trace: "t.jsonl"))
    #expect(json.objectValue?["conforms"] == .bool(false))
    #expect(json.objectValue?["findings"]?.arrayValue?.count == c.findings.count)
    let markdown = c.report(.markdown, trace: "t.jsonl")
    #expect(markdown.contains("**Does not conform**"))
    #expect(markdown.contains("| **missing step** | server |"))
    #expect(c.report(.text, trace: "t.jsonl").contains("missing step: server"))
  }

  @Test("the marked figure shows conforming steps green, extra ones dashed, missing ones inserted in red")
  func markedFigure() throws {
    let trace = try demoTrace().without { $0.role == "server" && $0.call == .bind }
    let c = try compareWithPage(trace)
    let figure = Schematic(trace: trace, language: .en).marked(c.marks, missing: c.missing)
    let server = figure.columns[0]
    #expect(server.steps.map(\.mark) == [.conforming, .missing, .conforming, .conforming, .extra])
    #expect(server.loop?.range == 2..<3)
    let dot = figure.graph(language: .en).text
    #expect(dot.contains("Missing from the run"))
    #expect(dot.contains("#2e7d32"))
  }
}

@Suite("Comparing two runs")
struct DiffTests {
  @Test("a run compared with itself has no differences")
  func sameRun() throws {
    let trace = try demoTrace()
    let (reference, options) = Comparer.reference(from: trace, language: .en)
    #expect(reference.roles.map(\.name) == ["server", "client"])
    #expect(options.loopCounts == ["server": [4], "client": [2, 2]])
    #expect(reference.exit?.word == "DONE")
    let c = Comparer.compare(trace, with: reference, reference: "A", options: options)
    #expect(c.conforms, "\(c.findings)")
  }

  @Test("a run with a step missing, or whose loop ran fewer times, differs from the reference")
  func differentRun() throws {
    let a = try demoTrace()
    let (reference, options) = Comparer.reference(from: a, language: .en)
    let b = a.without { $0.role == "server" && $0.call == .unlink }
    let c = Comparer.compare(b, with: reference, reference: "A", options: options)
    #expect(c.findings.map(\.kind) == [.missingStep])

    let fewer = a.without { $0.role == "client#1" && $0.call == .send && $0.data?.text == "Толстой" }
    let d = Comparer.compare(fewer, with: reference, reference: "A", options: options)
    #expect(
      d.findings.contains {
        $0.kind == .loopCount && $0.role == "client#1" && $0.message.contains("ran 1 time;")
      })
  }
}

@Suite("The schematic format")
struct SchematicFormatTests {
  @Test("the built-in schematic says what the page's figure shows")
  func builtIn() throws {
    let s = try DocumentedSchematic.datagramEcho
    #expect(s.roles.map(\.name) == ["server", "client"])
    #expect(s.roles[0].titles == ["Сервер", "Server"])
    #expect(
      s.roles[0].allSteps.map(\.text) == [
        "socket(AF_UNIX, SOCK_DGRAM)", "bind($SOCKET)", "recv(1024)", "close()",
      ])
    #expect(
      s.arrows == [
        DocumentedSchematic.Arrow(
          fromRole: "client", fromCall: "send", toRole: "server", toCall: "recv", line: 32)
      ])
    #expect(s.exit?.role == "server" && s.exit?.word == "DONE")
    #expect(s.socketPath == "./echo.socket")
  }

  @Test("a schematic saved with Windows line ends (CRLF) or a byte order mark reads as the same schematic")
  func windowsLineEnds() throws {
    let text = try String(
      contentsOfFile: repositoryRoot + "/examples/schematics/stream-echo.schematic", encoding: .utf8)
    let plain = try DocumentedSchematic.parse(text, file: "s.schematic")
    let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
    #expect(crlf.count < text.utf8.count, "\\r\\n is one Character, as it is when read from a file")
    #expect(try DocumentedSchematic.parse(crlf, file: "s.schematic") == plain)
    #expect(try DocumentedSchematic.parse("\u{FEFF}" + crlf, file: "s.schematic") == plain)
    #expect {
      try DocumentedSchematic.parse("role s \"S\"\r\n  step recv\r\n  step fly\r\n", file: "f.schematic")
    } throws: { error in
      (error as? SchematicError)?.line == 3
    }
  }

  @Test("a stream variant is described without code changes, and a stream run conforms to it")
  func streamVariant() throws {
    let text = try String(
      contentsOfFile: repositoryRoot + "/examples/schematics/stream-echo.schematic", encoding: .utf8)
    let schematic = try DocumentedSchematic.parse(text, file: "stream-echo.schematic")
    #expect(
      schematic.roles[0].allSteps.map(\.call) == [
        "socket", "bind", "listen", "accept", "recv", "close", "close",
      ])

    var events: [TraceEvent] = []
    func add(
      _ role: String, _ call: SocketCall, _ args: JSONObject = [:], data: String? = nil, flow: Int? = nil,
      flows: [Int] = []
    ) {
      let bytes = data.map { Array($0.utf8) }
      events.append(
        TraceEvent(
          index: events.count, time: UInt64(events.count * 10), pid: role == "server" ? 1 : 2, role: role,
          call: call,
          args: args, ret: Int64(bytes?.count ?? 0),
          socket: SocketIdentity(inode: role == "server" ? 10 : 20),
          data: bytes.map { Payload(length: UInt64($0.count), bytes: $0) }, flow: flow, flows: flows))
    }
    let stream: JSONObject = ["domain": .string("AF_UNIX"), "type": .string("SOCK_STREAM")]
    let path: JSONObject = ["addr": .object(["path": .string("./echo.socket")])]
    add("server", .socket, stream)
    add("server", .bind, path)
    add("server", .listen, ["backlog": .int(5)])
    add("client", .socket, stream)
    add("client", .connect, path)
    add("server", .accept4)
    add("client", .send, data: "hi", flow: 1)
    add("server", .recv, data: "hi", flows: [1])
    add("client", .send, data: "DONE", flow: 2)
    add("server", .recv, data: "DONE", flows: [2])
    add("client", .close)
    add("server", .close)
    add("server", .close)
    // The clean-up the page's server makes too: without it the socket file is left behind.
    add("server", .unlink, ["path": .string("./echo.socket")])
    let c = Comparer.compare(
      Trace(header: TraceHeader(t0: 0), events: events), with: schematic, reference: "stream")
    #expect(c.conforms, "\(c.findings)")
    #expect(c.findings.isEmpty)
  }

  @Test(
    "each mistake in a schematic file is reported with its line and a fix",
    arguments: [
      ("role server\n  stp socket\n", 2, "unknown keyword \"stp\""),
      ("role server\n  step sned\n", 2, "unknown call \"sned\""),
      ("step socket\n", 1, "must come after the `role`"),
      ("role s\n  loop\n    step recv\n", 2, "never closed with `end`"),
      ("role s\n  end\n", 2, "`end` without an open `loop`"),
      ("role s\n  step send\narrow s.send -> t.recv\n", 3, "names role \"t\""),
      ("role s\nrole s\n", 2, "defined twice"),
      ("schematic \"unclosed\n", 1, "a quote is not closed"),
      ("# nothing\n", 0, "no roles"),
    ])
  func errors(text: String, line: Int, message: String) {
    #expect {
      try DocumentedSchematic.parse(text, file: "f.schematic")
    } throws: { error in
      guard let e = error as? SchematicError else { return false }
      return e.line == line && e.message.contains(message) && e.description.hasPrefix("f.schematic")
    }
  }
}
