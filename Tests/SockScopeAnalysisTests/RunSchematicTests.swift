import Foundation
import SockScopeAnalysis
import SockScopeMerge
import SockScopeTrace
import Testing

let demoTracePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("SockScopeTraceTests/Fixtures/demo-trace.jsonl").path

func demoTrace() throws -> Trace {
  let result = try TraceFile.read(path: demoTracePath)
  try #require(result.problems.isEmpty)
  return result.trace
}

@Suite("Folding a run against the documented schematic")
struct RunSchematicTests {
  @Test("the demo's server loop: both decisions counted from the data, prints from its output")
  func demoDecisions() throws {
    let run = RunSchematic(trace: try demoTrace(), documented: try DocumentedSchematic.datagramEcho)
    let flow = try #require(run.columns[0].loop?.flow)
    let decisions = flow.items.compactMap { if case .decision(let d) = $0 { d } else { nil } }
    let outputs = flow.items.compactMap { if case .output(let o) = $0 { o } else { nil } }
    #expect(decisions.map(\.trueCount) == [4, 1])
    #expect(decisions.map(\.falseCount) == [0, 3])
    #expect(decisions.map(\.wentOn) == [0, 0])
    #expect(outputs.map(\.count) == [4])
    #expect(run.columns[1].loop?.flow == nil, "the client's loop has no decisions")
  }

  @Test("receiving after DONE is said at the branch that should have left the loop")
  func wentOn() throws {
    var trace = try demoTrace()
    let done = try #require(trace.events.firstIndex { $0.role == "server" && $0.data?.text == "DONE" })
    var again = trace.events[done]
    again.index = 1000
    again.seq += 100
    again.time += 1
    again.flows = []
    trace.events.insert(again, at: done + 1)
    let run = RunSchematic(trace: trace, documented: try DocumentedSchematic.datagramEcho)
    let decisions = try #require(run.columns[0].loop?.flow).items.compactMap {
      if case .decision(let d) = $0 { d } else { nil }
    }
    #expect(decisions[1].trueCount == 2 && decisions[1].wentOn == 1)
  }

  @Test("DONE is compared as whole bytes: DONEX, done and DONE with a space are not DONE")
  func exactDone() {
    func recv(_ text: String) -> TraceEvent {
      let bytes = Array(text.utf8)
      return TraceEvent(
        time: 0, pid: 1, role: "server", call: .recv, ret: Int64(bytes.count),
        data: Payload(length: UInt64(bytes.count), bytes: bytes))
    }
    for text in ["DONEX", "done", "DONE ", " DONE", "DON"] {
      #expect(ControlFlow.holds(.equals("DONE"), on: recv(text)) == false, "\(text)")
    }
    #expect(ControlFlow.holds(.equals("DONE"), on: recv("DONE")) == true)
    #expect(ControlFlow.holds(.received, on: recv("")) == false)
  }

  @Test(
    "a read of 0 bytes on a stream is end of file, a step of its own; on a datagram socket an empty datagram")
  func emptyReads() {
    let stream: JSONObject = ["domain": .string("AF_UNIX"), "type": .string("SOCK_STREAM")]
    var events = [
      TraceEvent(
        index: 0, time: 0, pid: 1, role: "server", call: .socket, args: stream, ret: 3,
        socket: SocketIdentity(inode: 7))
    ]
    for (i, text) in ["a", "b", ""].enumerated() {
      let bytes = Array(text.utf8)
      events.append(
        TraceEvent(
          index: i + 1, time: UInt64(i + 1), pid: 1, role: "server", call: .recv, fd: 3,
          args: ["len": .int(64)],
          ret: Int64(bytes.count), socket: SocketIdentity(inode: 7),
          data: Payload(length: UInt64(bytes.count), bytes: bytes)))
    }
    let run = RunSchematic(trace: Trace(header: TraceHeader(t0: 0), events: events))
    let steps = run.columns[0].steps
    #expect(steps.map(\.count) == [1, 2, 1])
    #expect(steps[1].empty == nil && steps[2].empty == .endOfFile)
    #expect(steps[2].data.isEmpty)
    var dgram = events
    dgram[0].args = ["domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM")]
    #expect(
      RunSchematic(trace: Trace(header: TraceHeader(t0: 0), events: dgram)).columns[0].steps[2].empty
        == .emptyDatagram)
  }

  @Test("a request/reply loop declared in the schematic folds into one loop of two steps")
  func requestReply() throws {
    let text = try String(
      contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/schematics/request-reply.schematic")
        .path,
      encoding: .utf8)
    let schematic = try DocumentedSchematic.parse(text, file: "request-reply.schematic")
    var events: [TraceEvent] = []
    func add(_ call: SocketCall, _ data: String? = nil) {
      let bytes = data.map { Array($0.utf8) }
      events.append(
        TraceEvent(
          index: events.count, time: UInt64(events.count), pid: 1, role: "server", call: call, fd: 4,
          args: call == .recv ? ["len": .int(64)] : [:], ret: Int64(bytes?.count ?? 0),
          socket: SocketIdentity(inode: 9),
          data: bytes.map { Payload(length: UInt64($0.count), bytes: $0) }))
    }
    add(.accept)
    for word in ["a", "b", "c"] {
      add(.recv, word)
      add(.send, word)
    }
    add(.recv, "")
    add(.close)
    let without = RunSchematic(trace: Trace(header: TraceHeader(t0: 0), events: events))
    #expect(without.columns[0].steps.count == 9, "alternating calls do not fold by themselves")
    let run = RunSchematic(trace: Trace(header: TraceHeader(t0: 0), events: events), documented: schematic)
    let column = run.columns[0]
    #expect(column.steps.map(\.call) == [.accept, .recv, .send, .recv, .close])
    #expect(column.loop?.range == 1..<3 && column.loop?.count == 3)
    #expect(column.steps[1].count == 3 && column.steps[2].count == 3)
  }

  @Test("a recorded stream server's accept loop folds, each connection's request/reply counting as one pass")
  func acceptLoop() throws {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let trace = try TraceFile.read(
      path: here.appendingPathComponent("Fixtures/stream-server-trace.jsonl").path
    ).trace
    let text = try String(
      contentsOfFile: here.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/schematics/stream-server.schematic").path, encoding: .utf8)
    let run = RunSchematic(
      trace: trace, documented: try DocumentedSchematic.parse(text, file: "stream-server"))
    let server = run.columns[0]
    #expect(server.isServer)
    #expect(
      server.steps.map(\.call) == [
        .socket, .bind, .listen, .accept4, .recv, .send, .recv, .close, .close, .unlink,
      ])
    #expect(server.loop?.range == 3..<8 && server.loop?.count == 2, "two connections")
    #expect(server.steps[4].count == 3 && server.steps[6].empty == .endOfFile && server.steps[6].count == 2)
    let clients = run.columns[1]
    #expect(clients.roles == ["client#1", "client#2"])
    #expect(clients.loop?.range == 2..<4 && clients.loop?.count == 3)
    // The arrows both ways, from the run's flows.
    let links = Set(run.links(in: trace).map { [$0.from.column, $0.from.step, $0.to.column, $0.to.step] })
    #expect(links == [[1, 2, 0, 4], [0, 5, 1, 3]])
  }
}
