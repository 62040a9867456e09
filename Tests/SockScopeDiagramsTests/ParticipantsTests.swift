import Foundation
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

/// Traces of other shapes than the demo's: built here, event by event.
enum Shapes {
  /// The demo's run with both clients given the same role, as two `client --trace` by hand or two
  /// `record --role client` record them.
  static func demoWithOneClientRole() throws -> Trace {
    var trace = try demoTrace()
    for i in trace.events.indices where trace.events[i].role.hasPrefix("client") {
      trace.events[i].role = "client"
    }
    for i in trace.header.processes.indices where trace.header.processes[i].role.hasPrefix("client") {
      trace.header.processes[i].role = "client"
    }
    return trace
  }

  /// A parent makes a datagram socketpair and forks; the child sends «ping» on fd 4, the parent
  /// receives it on fd 3. The child's role is its parent's (as the merge gave it before forked
  /// children were named apart).
  static func socketpairFork(childRole: String = "pair", childEnding: ProcessEnding = .closed) -> Trace {
    let ping = Array("ping".utf8)
    let events = [
      TraceEvent(
        index: 0, time: 100, pid: 10, seq: 0, role: "pair", call: .socketpair, fd: 3,
        args: [
          "domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM"), "protocol": .int(0),
          "fds": .array([.int(3), .int(4)]),
        ], ret: 0, socket: SocketIdentity(inode: 500, peer: 501)),
      TraceEvent(
        index: 1, time: 200, duration: 300, pid: 10, seq: 1, role: "pair", call: .recv, fd: 3,
        args: ["len": .int(64), "flags": .string("0")], ret: 4, socket: SocketIdentity(inode: 500, peer: 501),
        data: Payload(length: 4, bytes: ping, datagramLength: 4), flows: [1]),
      TraceEvent(
        index: 2, time: 300, duration: 10, pid: 11, seq: 0, role: childRole, call: .send, fd: 4,
        args: ["len": .int(4), "flags": .string("0")], ret: 4, socket: SocketIdentity(inode: 501, peer: 500),
        data: Payload(length: 4, bytes: ping), flow: 1),
      TraceEvent(index: 3, time: 600, pid: 10, seq: 2, role: "pair", call: .close, fd: 3, ret: 0),
    ]
    let header = TraceHeader(
      t0: 100,
      processes: [
        TracedProcess(pid: 10, ppid: 1, role: "pair", events: 3),
        TracedProcess(pid: 11, ppid: 10, role: childRole, events: 1, ending: childEnding),
      ])
    return Trace(header: header, events: events)
  }

  /// One process talking to itself over a stream: the repository's stream-echo example, shortened.
  static func oneProcess() -> Trace {
    let hello = Array("hello".utf8)
    let events = [
      TraceEvent(
        index: 0, time: 10, pid: 7, role: "stream-echo", call: .socket, fd: 3,
        args: ["domain": .string("AF_UNIX"), "type": .string("SOCK_STREAM"), "protocol": .int(0)], ret: 3,
        socket: SocketIdentity(inode: 1)),
      TraceEvent(
        index: 1, time: 20, pid: 7, seq: 1, role: "stream-echo", call: .send, fd: 4, ret: 5,
        socket: SocketIdentity(inode: 2, peer: 3), data: Payload(length: 5, bytes: hello), flow: 1),
      TraceEvent(
        index: 2, time: 30, pid: 7, seq: 2, role: "stream-echo", call: .recv, fd: 5,
        args: ["len": .int(64)], ret: 5, socket: SocketIdentity(inode: 3, peer: 2),
        data: Payload(length: 5, bytes: hello), flows: [1]),
    ]
    return Trace(
      header: TraceHeader(t0: 10, processes: [TracedProcess(pid: 7, role: "stream-echo", events: 3)]),
      events: events)
  }
}

@Suite("Every process its own participant, in every view")
struct ParticipantViewTests {
  @Test("two processes with one role are two participants, told apart by pid")
  func participantNames() throws {
    let trace = try Shapes.demoWithOneClientRole()
    let names = trace.participants.map(\.name)
    #expect(names.count == 3)
    #expect(names[0] == "server")
    #expect(names[1].hasPrefix("client (pid ") && names[2].hasPrefix("client (pid "))
    #expect(Set(names).count == 3)
    #expect(
      trace.participants.allSatisfy { $0.plays($0.pid == trace.participants[0].pid ? "server" : "client") })
  }

  @Test("a suffix that tells processes of one role apart still plays that role")
  func roleKinds() {
    for role in ["client", "client#2", "client/1", "client (pid 9)", "client.3"] {
      #expect(Participant.kind(of: role) == "client", "\(role)")
    }
    #expect(Participant.kind(of: "stream-echo") == "stream-echo")
    #expect(Participant.kind(of: "python3") == "python3")
    #expect(Participant.kind(of: "clients") == "clients", "another word is another role")
  }

  @Test("the same role twice: one lane per process in the sequence chart")
  func sameRoleLanes() throws {
    let trace = try Shapes.demoWithOneClientRole()
    let dot = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: .en)).0.text
    let pids = trace.participants.map(\.pid)
    for pid in pids { #expect(dot.contains("pid \(pid)\""), "a lane headed with pid \(pid)") }
    #expect(dot.components(separatedBy: "_head [").count - 1 == 4, "three processes and the kernel")
    // Each client's send is drawn in its own lane: the two lanes' x differ.
    let sends = trace.events.filter { $0.call == .send }
    let xs = Set(
      sends.compactMap { e -> String? in
        guard let r = dot.range(of: "e\(e.index) [") else { return nil }
        let line = dot[r.lowerBound...].prefix { $0 != "\n" }
        return line.range(of: "pos=\"").map { String(line[$0.upperBound...].prefix { $0 != "," }) }
      })
    #expect(xs.count == 2, "sends of two processes in two lanes: \(xs)")
  }

  @Test("the same role twice: the schematic keeps each process's calls apart, never one after the other")
  func sameRoleSchematic() throws {
    let schematic = Schematic(trace: try Shapes.demoWithOneClientRole(), language: .en)
    #expect(schematic.titles == ["Server", "Client ×2"])
    let clients = schematic.columns[1]
    #expect(clients.pids.count == 2)
    #expect(
      clients.steps.map(\.call) == [.socket, .connect, .send, .close], "not socket…close, socket…close")
    #expect(clients.steps.map(\.count) == [2, 2, 4, 2])
  }

  @Test("processes of one role that did different things get a column each, titled apart")
  func differentClients() throws {
    var trace = try demoTrace()
    // client#1 never closed: its steps differ from client#2's.
    trace.events.removeAll { $0.role == "client#1" && $0.call == .close }
    let titles = Schematic(trace: trace, language: .ru).titles
    #expect(titles == ["Сервер", "Клиент #1", "Клиент #2"])
  }

  @Test(
    "socketpair + fork: parent and child are two participants in every view", arguments: ["pair", "pair/1"])
  func socketpairFork(childRole: String) throws {
    let trace = Shapes.socketpairFork(childRole: childRole)
    #expect(trace.participants.map(\.pid) == [10, 11])
    let sequence = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: .en)).0
      .text
    #expect(sequence.contains("pid 10\"") && sequence.contains("pid 11\""))
    #expect(sequence.contains("e2 -> e1"), "the child's send is drawn to the parent's receive")
    #expect(!sequence.contains("kernel"), "no socket file, so no lane for the kernel's socket files")
    let schematic = Schematic(trace: trace, language: .en)
    #expect(schematic.columns.map(\.pids) == [[10], [11]])
    let topology = try Diagrams.graph(of: trace, view: .topology, options: DiagramOptions(language: .en)).0
      .text
    #expect(topology.contains("p10 [") && topology.contains("p11 ["))
    #expect(
      topology.contains("p10 -> s501 [label=\"fd 4\"]"), "the socketpair's second end, held by the parent")
    #expect(topology.contains("p11 -> s501 [label=\"fd 4\"]"), "and inherited by the child")
    for view in DiagramView.allCases {
      let svg = try Diagrams.render(trace, view: view, format: .svg, options: DiagramOptions(language: .en))
      #expect(String(decoding: svg, as: UTF8.self).contains("</svg>"))
    }
  }

  @Test("a one-process trace draws in all three views; a message to itself loops back to its lane")
  func oneProcess() throws {
    let trace = Shapes.oneProcess()
    for view in DiagramView.allCases {
      let svg = try Diagrams.render(trace, view: view, format: .svg, options: DiagramOptions(language: .en))
      #expect(String(decoding: svg, as: UTF8.self).contains("</svg>"), "\(view)")
    }
    let sequence = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: .en)).0
      .text
    #expect(sequence.contains("e1 -> m1_2_bend") && sequence.contains("m1_2_bend -> e2"))
    #expect(Schematic(trace: trace, language: .en).titles == ["stream-echo"])
    let topology = try Diagrams.graph(of: trace, view: .topology, options: DiagramOptions(language: .en)).0
      .text
    #expect(topology.contains("5 B in 1 send"), "a stream carries bytes, not datagrams")
    #expect(!topology.contains("datagram"))
  }

  @Test(
    "a column whose calls never fold (one process sending to itself 5 000 times) draws its ends and says what it left out"
  )
  func longColumn() throws {
    var events: [TraceEvent] = []
    for i in 0..<5_000 {
      let text = Array("m\(i)".utf8)
      events.append(
        TraceEvent(
          index: 2 * i, time: UInt64(10 * i), pid: 7, seq: UInt64(2 * i), role: "self", call: .send, fd: 3,
          ret: Int64(text.count), socket: SocketIdentity(inode: 1, peer: 2),
          data: Payload(length: UInt64(text.count), bytes: text), flow: i + 1))
      events.append(
        TraceEvent(
          index: 2 * i + 1, time: UInt64(10 * i + 5), pid: 7, seq: UInt64(2 * i + 1), role: "self",
          call: .recv,
          fd: 4, args: ["len": .int(64)], ret: Int64(text.count), socket: SocketIdentity(inode: 2, peer: 1),
          data: Payload(length: UInt64(text.count), bytes: text, datagramLength: UInt64(text.count)),
          flows: [i + 1]))
    }
    let trace = Trace(header: TraceHeader(t0: 0), events: events)
    let schematic = Schematic(trace: trace, language: .en)
    let column = try #require(schematic.columns.first)
    #expect(column.steps.count == Schematic.maximumSteps + 1)
    let gap = column.steps[Schematic.maximumSteps / 2]
    #expect(gap.omitted == 10_000 - Schematic.maximumSteps)
    #expect(gap.events.count == gap.omitted, "the left-out events are still the box's, for compare's marks")
    #expect(column.loop == nil)
    let dot = schematic.graph(language: .en).text
    #expect(dot.contains("9960 more steps not drawn"))
    let svg = try Diagrams.render(
      trace, view: .schematic, format: .svg, options: DiagramOptions(language: .en))
    #expect(String(decoding: svg, as: UTF8.self).contains("more steps not drawn"))
    #expect(Schematic(trace: trace, language: .en, maximumSteps: nil).columns[0].steps.count == 10_000)
  }

  @Test("a trace of one call draws in all three views")
  func oneCall() throws {
    var trace = Shapes.oneProcess()
    trace.events = [trace.events[0]]
    for view in DiagramView.allCases {
      let svg = try Diagrams.render(trace, view: view, format: .svg, options: DiagramOptions(language: .ru))
      let text = String(decoding: svg, as: UTF8.self)
      #expect(text.contains("</svg>"), "\(view)")
      let expected =
        switch view {
        case .topology: "pid 7"
        case .queues: "очереди приёма"
        default: "socket(AF_UNIX, SOCK_STREAM)"
        }
      #expect(text.contains(expected), "\(view)")
    }
  }
}

@Suite("How processes ended, on the sequence chart")
struct ProcessEndMarkTests {
  @Test("a killed process's lifeline stops under a cross at its last step, with the signal")
  func killed() throws {
    var trace = Shapes.socketpairFork(childRole: "pair/1")
    trace.header.processes[1].ending = .killed
    trace.header.processes[1].signal = "SIGKILL"
    let dot = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: .en)).0.text
    #expect(dot.contains("label=\"killed: SIGKILL\""))
    #expect(dot.contains("label=\"✕\""))
    let ru = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: .ru)).0.text
    #expect(ru.contains("убит: SIGKILL"))
    // The mark sits just below the child's last call (its send, e2), and the lifeline ends there.
    func y(_ node: String) throws -> Double {
      let r = try #require(dot.range(of: "\n  \(node) ["))
      let line = dot[r.upperBound...].prefix { $0 != "\n" }
      let pos = try #require(line.range(of: "pos=\""))
      return try #require(Double(line[pos.upperBound...].drop { $0 != "," }.dropFirst().prefix { $0 != "!" }))
    }
    let send = try y("e2")
    let mark = try y("lane_pair_1_killed")
    #expect(mark < send && send - mark < 30)
    #expect(try y("lane_pair_1_foot") == mark)
    #expect(try y("lane_pair_foot") == -26, "the parent's lifeline runs to the bottom")
  }

  @Test(
    "the schematic ends a killed process's column with the signal, apart from the processes that ended by themselves"
  )
  func killedColumn() throws {
    var trace = try demoTrace()
    trace.events.removeAll { $0.role == "client#1" && $0.call == .close }
    for i in trace.header.processes.indices where trace.header.processes[i].role == "client#1" {
      trace.header.processes[i].ending = .killed
      trace.header.processes[i].signal = "SIGINT"
    }
    let schematic = Schematic(trace: trace, language: .ru)
    #expect(schematic.columns.map(\.killedBy) == [nil, "SIGINT", nil])
    let dot = schematic.graph(language: .ru).text
    #expect(dot.contains("c1killed [shape=\"plaintext\", style=\"\", label=\"✕ убит: SIGINT\""))
    #expect(!dot.contains("c2killed"))
  }

  @Test("a process whose log was cut for an unknown reason ends its lifeline there, without a guess")
  func cut() throws {
    let trace = Shapes.socketpairFork(childRole: "pair/1", childEnding: .cut)
    let dot = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: .en)).0.text
    #expect(dot.contains("ended without closing its log"))
    #expect(!dot.contains("killed") && !dot.contains("✕"))
  }

  @Test("two processes of one role: each lane is titled with the role and its own pid, once")
  func sharedRoleTitles() throws {
    let dot = try Diagrams.graph(
      of: try Shapes.demoWithOneClientRole(), view: .sequence, options: DiagramOptions(language: .en)
    ).0.text
    #expect(dot.components(separatedBy: "label=\"client\\npid ").count - 1 == 2)
    #expect(!dot.contains("(pid "))
  }

  @Test("a process still running when merged is said so, and nothing is called dead")
  func running() throws {
    let trace = Shapes.socketpairFork(childEnding: .running)
    let dot = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: .en)).0.text
    #expect(dot.contains("still running when merged"))
    #expect(!dot.contains("killed"))
    #expect(!dot.contains("✕"))
  }
}
