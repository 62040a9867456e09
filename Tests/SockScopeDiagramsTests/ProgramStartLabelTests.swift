import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The sequence chart draws a program's start as what it began with, not as a call")
struct ProgramStartLabelTests {
  @Test("a spawned child's start names its program and the descriptors it holds, with no return value")
  func startNamesProgramAndDescriptors() throws {
    let events = [
      TraceEvent(
        time: 1_000, duration: 10, pid: 7, seq: 0, role: "parent", call: .socketpair,
        args: [
          "domain": .string("AF_UNIX"), "type": .string("SOCK_STREAM"), "fds": .array([.int(3), .int(4)]),
        ],
        socket: SocketIdentity(inode: 11, peer: 12)),
      TraceEvent(
        time: 2_000, pid: 8, seq: 0, role: "parent/1", call: .programStart,
        args: [
          "path": .string("/usr/bin/python3.11"),
          "sockets": .array([.object(["fd": .int(4), "ino": .int(12), "cloexec": .bool(false)])]),
        ]),
    ]
    var indexed = events
    for i in indexed.indices { indexed[i].index = i }
    let trace = Trace(
      header: TraceHeader(
        t0: 1_000,
        processes: [TracedProcess(pid: 7, role: "parent"), TracedProcess(pid: 8, ppid: 7, role: "parent/1")]),
      events: indexed)
    for (language, expected) in [
      (Language.en, "start python3.11: holds fd 4"), (.ru, "старт python3.11: держит fd 4"),
    ] {
      let graph = try Diagrams.graph(of: trace, view: .sequence, options: DiagramOptions(language: language))
        .0
      var labels: [String: String] = [:]
      for case .node(let id, let a) in graph.statements {
        if case .text(let s)? = a["label"] { labels[id] = s }
      }
      #expect(labels["e1_label"] == expected)
    }
  }
}
