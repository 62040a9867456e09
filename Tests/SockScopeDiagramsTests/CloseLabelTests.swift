import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The sequence chart says which descriptor a close released")
struct CloseLabelTests {
  @Test("after fork each process closes another end: `close(4)` and `close(3)`, as the player says")
  func closeNamesItsDescriptor() throws {
    // pid 7 makes a pair (fds 3, 4), forks pid 8; the parent closes 4, the child 3.
    let events = [
      TraceEvent(
        time: 1_000, duration: 10, pid: 7, seq: 0, role: "pair", call: .socketpair,
        args: [
          "domain": .string("AF_UNIX"), "type": .string("SOCK_STREAM"), "fds": .array([.int(3), .int(4)]),
        ],
        socket: SocketIdentity(inode: 11, peer: 12)),
      TraceEvent(time: 2_000, duration: 10, pid: 7, seq: 1, role: "pair", call: .fork, ret: 8),
      TraceEvent(
        time: 3_000, duration: 10, pid: 7, seq: 2, role: "pair", call: .close, fd: 4,
        socket: SocketIdentity(inode: 12, peer: 11)),
      TraceEvent(
        time: 4_000, duration: 10, pid: 8, seq: 0, role: "pair/1", call: .close, fd: 3,
        socket: SocketIdentity(inode: 11, peer: 12)),
    ]
    var indexed = events
    for i in indexed.indices { indexed[i].index = i }
    let trace = Trace(
      header: TraceHeader(
        t0: 1_000,
        processes: [TracedProcess(pid: 7, role: "pair"), TracedProcess(pid: 8, ppid: 7, role: "pair/1")]),
      events: indexed)
    let graph = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: .en)).0
    var labels: [String: String] = [:]
    for case .node(let id, let a) in graph.statements {
      if case .text(let s)? = a["label"] { labels[id] = s }
    }
    #expect(labels["e2_label"] == "close(4) = 0")
    #expect(labels["e3_label"] == "close(3) = 0")
  }
}
