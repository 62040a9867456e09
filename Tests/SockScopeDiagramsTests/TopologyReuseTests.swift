import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The topology tells a reused descriptor number's sockets apart")
struct TopologyReuseTests {
  @Test(
    "fd 3 closed, then given to a new socket: the first edge says the number was later reused",
    arguments: Language.allCases)
  func reusedNumber(_ language: Language) throws {
    func pair(_ seq: UInt64, _ time: UInt64, _ fds: [Int64], _ ino: UInt64) -> TraceEvent {
      TraceEvent(
        time: time, duration: 10, pid: 1, seq: seq, role: "main", call: .socketpair,
        args: [
          "domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM"), "fds": .array(fds.map { .int($0) }),
        ],
        socket: SocketIdentity(inode: ino, peer: ino + 1))
    }
    let events = [
      pair(0, 1_000, [3, 4], 10),
      TraceEvent(
        time: 2_000, duration: 10, pid: 1, seq: 1, role: "main", call: .close, fd: 3,
        socket: SocketIdentity(inode: 10, peer: 11)),
      pair(2, 3_000, [3, 5], 20),
    ]
    var indexed = events
    for i in indexed.indices { indexed[i].index = i }
    let trace = Trace(
      header: TraceHeader(t0: 1_000, processes: [TracedProcess(pid: 1, role: "main")]), events: indexed)
    var edges: [String: String] = [:]
    for case .edge(let from, let to, let a) in Topology(trace: trace, language: language).graph.statements {
      if case .text(let s)? = a["label"] { edges[from + " -> " + to] = s }
    }
    #expect(
      edges["p1 -> s10"]
        == (language == .en ? "fd 3 (number later reused)" : "fd 3 (номер потом занят снова)"))
    #expect(edges["p1 -> s20"] == "fd 3")
    #expect(edges["p1 -> s11"] == "fd 4")
  }
}
