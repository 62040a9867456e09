import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The sequence chart names getsockopt's option and the descriptors a poll or select watched")
struct WaitLabelTests {
  @Test("getsockopt(SO_PEERCRED), poll(fd 4), select(fd 4, fd 5) instead of bare parentheses")
  func labelsNameOptionAndDescriptors() throws {
    let events = [
      TraceEvent(
        time: 1_000, duration: 10, pid: 7, seq: 0, role: "p", call: .getsockopt, fd: 4,
        args: ["level": .string("SOL_SOCKET"), "optname": .string("SO_PEERCRED"), "optlen": .int(12)],
        socket: SocketIdentity(inode: 11)),
      TraceEvent(
        time: 2_000, duration: 10, pid: 7, seq: 1, role: "p", call: .poll,
        args: [
          "nfds": .int(1),
          "fds": .array([.object(["fd": .int(4), "events": .string("POLLIN"), "revents": .string("POLLIN")])]
          ),
        ], ret: 1),
      TraceEvent(
        time: 3_000, duration: 10, pid: 7, seq: 2, role: "p", call: .select,
        args: ["nfds": .int(6), "read": .array([.int(4)]), "write": .array([.int(5)])], ret: 0),
    ]
    var indexed = events
    for i in indexed.indices { indexed[i].index = i }
    let trace = Trace(
      header: TraceHeader(t0: 1_000, processes: [TracedProcess(pid: 7, role: "p")]), events: indexed)
    let graph = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: .en)).0
    var labels: [String: String] = [:]
    for case .node(let id, let a) in graph.statements {
      if case .text(let s)? = a["label"] { labels[id] = s }
    }
    #expect(labels["e0_label"] == "getsockopt(SO_PEERCRED) = 0")
    #expect(labels["e1_label"] == "poll(fd 4) = 1")
    #expect(labels["e2_label"] == "select(fd 4, fd 5) = 0")
  }
}
