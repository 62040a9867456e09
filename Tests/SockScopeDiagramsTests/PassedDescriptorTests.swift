import SockScopeAnalysis
import SockScopeGraphviz
import SockScopeLanguage
import SockScopeMerge
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

/// The label text of the node `id`, or of the edge `from -> to`.
private func labels(_ graph: DOTGraph) -> (nodes: [String: String], edges: [String: [String]]) {
  var nodes: [String: String] = [:]
  var edges: [String: [String]] = [:]
  for statement in graph.statements {
    switch statement {
    case .node(let id, let a):
      if case .text(let s)? = a["label"] { nodes[id] = s }
    case .edge(let from, let to, let a):
      if case .text(let s)? = a["label"] { edges[from + " -> " + to, default: []].append(s) }
    default: break
    }
  }
  return (nodes, edges)
}

/// The centre of the node `id` (its pinned `pos`).
private func position(_ graph: DOTGraph, _ id: String) -> (x: Double, y: Double)? {
  for case .node(let n, let a) in graph.statements where n == id {
    guard case .text(let pos)? = a["pos"] else { return nil }
    let parts = pos.dropLast().split(separator: ",").compactMap { Double($0) }
    return parts.count == 2 ? (parts[0], parts[1]) : nil
  }
  return nil
}

@Suite("A descriptor passed with SCM_RIGHTS, on the sequence chart and the topology")
struct PassedDescriptorTests {
  /// pid 1 makes a channel pair (fds 3, 4: sockets 10, 11), forks pid 2, makes a work pair (fds 5, 6: sockets 100,
  /// 101), and sends the work pair's end 101, its fd 6, over the channel to pid 2, which gets it as
  /// its new fd 5; `received` is what pid 2's recvmsg recorded.
  static func trace(
    passed: [JSONValue] = [.object(["fd": .int(6), "ino": .int(101)])],
    received: [JSONValue]? = [.object(["fd": .int(5), "ino": .int(101)])], returnedFlags: String = "0"
  ) -> Trace {
    let message = Array("a socket".utf8)
    var recvArgs: JSONObject = [
      "len": .int(100), "msg_flags": .string(returnedFlags), "controllen": .int(20),
    ]
    if let received { recvArgs["rights"] = .array(received) }
    let events = [
      TraceEvent(
        time: 1_000, duration: 10, pid: 1, seq: 0, role: "parent", call: .socketpair,
        args: [
          "domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM"), "fds": .array([.int(3), .int(4)]),
        ],
        socket: SocketIdentity(inode: 10, peer: 11)),
      TraceEvent(time: 1_500, duration: 10, pid: 1, seq: 1, role: "parent", call: .fork, ret: 2),
      TraceEvent(
        time: 2_000, duration: 10, pid: 1, seq: 2, role: "parent", call: .socketpair,
        args: [
          "domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM"), "fds": .array([.int(5), .int(6)]),
        ],
        socket: SocketIdentity(inode: 100, peer: 101)),
      TraceEvent(
        time: 3_000, duration: 10, pid: 1, seq: 3, role: "parent", call: .sendmsg, fd: 3,
        args: ["len": .int(8), "controllen": .int(24), "rights": .array(passed)], ret: 8,
        socket: SocketIdentity(inode: 10, peer: 11), data: Payload(length: 8, bytes: message)),
      TraceEvent(
        time: 4_000, duration: 10, pid: 2, seq: 0, role: "child", call: .recvmsg, fd: 4, args: recvArgs,
        ret: 8, socket: SocketIdentity(inode: 11, peer: 10), data: Payload(length: 8, bytes: message)),
    ]
    return TraceMerger.merge(
      events: events,
      processes: [TracedProcess(pid: 1, role: "parent"), TracedProcess(pid: 2, ppid: 1, role: "child")])
  }

  static func message(_ trace: Trace, _ language: Language) throws -> String {
    let graph = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: language)).0
    let messages = labels(graph).nodes.filter { $0.key.hasPrefix("m") && !$0.key.hasSuffix("_bend") }
    try #require(messages.count == 1, "\(messages)")
    return try #require(messages.first?.value)
  }

  @Test("the message arrow names the sender's fd, the receiver's new fd and the socket both refer to")
  func arrowLabel() throws {
    let trace = Self.trace()
    #expect(try Self.message(trace, .en) == "«a socket» 8 B + SCM_RIGHTS\nfd 6 → fd 5 (socket 101)")
    #expect(try Self.message(trace, .ru) == "«a socket» 8 Б + SCM_RIGHTS\nfd 6 → fd 5 (сокет 101)")
  }

  @Test("a message that passed nothing keeps its one-line label; bytes that are not text are said once")
  func plainMessage() throws {
    #expect(try Self.message(Self.trace(passed: [], received: nil), .en) == "«a socket» 8 B")
    let binary = TraceEvent(
      time: 0, pid: 1, seq: 0, role: "r", call: .send, fd: 3, ret: 2,
      data: Payload(length: 2, bytes: [0, 0xFF]))
    #expect(DiagramText(language: .en).message(binary, passed: []) == "2 B")
  }

  @Test("a passed file the trace does not show as a socket is named by its inode, not called a socket")
  func notASocket() throws {
    let trace = Self.trace(
      passed: [.object(["fd": .int(7), "ino": .int(999)])],
      received: [.object(["fd": .int(6), "ino": .int(999)])])
    #expect(try Self.message(trace, .en).hasSuffix("\nfd 7 → fd 6 (inode 999)"))
  }

  @Test("MSG_CTRUNC: a descriptor the receiver had no room for is said to be not delivered")
  func truncated() throws {
    let trace = Self.trace(received: nil, returnedFlags: "MSG_CTRUNC")
    #expect(try Self.message(trace, .en).hasSuffix("\nfd 6 → not delivered (MSG_CTRUNC)"))
    #expect(try Self.message(trace, .ru).hasSuffix("\nfd 6 → не доставлен (MSG_CTRUNC)"))
  }

  @Test("two descriptors in one message are paired by the socket they refer to, not by position")
  func pairedByInode() throws {
    let trace = Self.trace(
      passed: [.object(["fd": .int(6), "ino": .int(101)]), .object(["fd": .int(5), "ino": .int(100)])],
      received: [.object(["fd": .int(7), "ino": .int(100)]), .object(["fd": .int(5), "ino": .int(101)])])
    #expect(
      try Self.message(trace, .en)
        == "«a socket» 8 B + SCM_RIGHTS\nfd 6 → fd 5 (socket 101)\nfd 5 → fd 7 (socket 100)")
  }

  @Test("the topology shows the passed socket held by both processes, each under its own number")
  func topology() throws {
    for (language, received, sent) in [
      (
        Language.en, "fd 5, received by SCM_RIGHTS\nfrom pid 1 (its fd 6)",
        "passed by SCM_RIGHTS to pid 2 (as fd 5)"
      ),
      (.ru, "fd 5, получен SCM_RIGHTS\nот pid 1 (там fd 6)", "передан SCM_RIGHTS в pid 2 (там fd 5)"),
    ] {
      let graph = try Diagrams.graph(
        of: Self.trace(), view: .topology, options: DiagramOptions(language: language)
      ).0
      let edges = labels(graph).edges
      #expect(edges["p2 -> s101"] == [received], "\(edges)")
      #expect(edges["p1 -> s101"] == ["fd 6\n" + sent], "\(edges)")
      // The sender's other descriptors say nothing of passing.
      #expect(edges["p1 -> s100"] == ["fd 5"])
    }
  }

  @Test("the label of a message is beside its arrow, not across it nor over a call's label")
  func labelPlacement() throws {
    let graph = try Diagrams.graph(of: Self.trace(), view: .sequence, options: DiagramOptions(language: .en))
      .0
    let all = labels(graph).nodes
    let (id, note) = try #require(all.first { $0.key.hasPrefix("m") })
    let at = try #require(position(graph, id))
    let box = MessageLabelPlacer.Box(
      centerX: at.x, centerY: at.y, width: SequenceChart.width(of: note),
      height: SequenceChart.height(of: note))
    // The arrow runs from the sendmsg (event 3) to the recvmsg (event 4).
    let from = try #require(position(graph, "e3"))
    let to = try #require(position(graph, "e4"))
    #expect(!box.crosses(from, to), "the label \(at) is crossed by its arrow \(from) → \(to)")
    for (callLabel, text) in all where callLabel.hasSuffix("_label") {
      let p = try #require(position(graph, callLabel))
      let other = MessageLabelPlacer.Box(
        centerX: p.x, centerY: p.y, width: SequenceChart.width(of: text),
        height: SequenceChart.height(of: text))
      #expect(!box.overlaps(other), "the message's label covers \(text)")
    }
  }
}
