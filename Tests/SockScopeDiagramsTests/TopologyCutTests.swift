import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The topology counts what a receiver got, not what was sent, when a record was cut")
struct TopologyCutTests {
  /// One process: a seqpacket pair (sockets 11, 12); 39 B sent on 11, read on 12 with recv(16).
  static func trace() -> Trace {
    let bytes = Array("Lev Nikolayevich Tolstoy, 1828 to 1910.".utf8)
    let events = [
      TraceEvent(
        time: 1_000, duration: 10, pid: 7, seq: 0, role: "records", call: .socketpair,
        args: [
          "domain": .string("AF_UNIX"), "type": .string("SOCK_SEQPACKET"), "fds": .array([.int(3), .int(4)]),
        ],
        socket: SocketIdentity(inode: 11, peer: 12)),
      TraceEvent(
        time: 2_000, duration: 10, pid: 7, seq: 1, role: "records", call: .send, fd: 3,
        args: ["len": .int(39)], ret: 39, socket: SocketIdentity(inode: 11, peer: 12),
        data: Payload(length: 39, bytes: bytes), flow: 1),
      TraceEvent(
        time: 3_000, duration: 10, pid: 7, seq: 2, role: "records", call: .recv, fd: 4,
        args: ["len": .int(16)], ret: 16, socket: SocketIdentity(inode: 12, peer: 11),
        data: Payload(length: 16, bytes: Array(bytes.prefix(16)), datagramLength: 39), flows: [1]),
    ]
    var indexed = events
    for i in indexed.indices { indexed[i].index = i }
    return Trace(
      header: TraceHeader(t0: 1_000, processes: [TracedProcess(pid: 7, role: "records")]), events: indexed)
  }

  @Test(
    "into the queue 39 B; out of it 16 B, and the 23 B the kernel discarded", arguments: Language.allCases)
  func cutRecord(_ language: Language) throws {
    let graph = Topology(trace: Self.trace(), language: language).graph
    var edges: [String: String] = [:]
    for case .edge(let from, let to, let a) in graph.statements {
      if case .text(let s)? = a["label"] { edges[from + " -> " + to] = s }
    }
    #expect(edges["s11 -> q12"] == (language == .en ? "1 record, 39 B" : "записей: 1, 39 Б"))
    #expect(
      edges["q12 -> s12"]
        == (language == .en
          ? "1 record, 16 B\n(23 B discarded: cut)" : "записей: 1, 16 Б\n(23 Б отброшено: обрезано)"))
  }
}
