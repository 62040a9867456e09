import SockScopeAnalysis
import SockScopeGraphviz
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The queue figure's time axis shows the part of the run where queues held data")
struct QueueWindowTests {
  /// A datagram pair made at 0; one datagram sent at `at` ns and read 1 ms later.
  static func trace(sentAt at: UInt64) -> Trace {
    let bytes = Array("late".utf8)
    let events = [
      TraceEvent(
        time: 0, duration: 10, pid: 1, seq: 0, role: "main", call: .socketpair,
        args: [
          "domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM"), "fds": .array([.int(3), .int(4)]),
        ],
        socket: SocketIdentity(inode: 11, peer: 12)),
      TraceEvent(
        time: at, duration: 10, pid: 1, seq: 1, role: "main", call: .send, fd: 3, args: ["len": .int(4)],
        ret: 4,
        socket: SocketIdentity(inode: 11, peer: 12), data: Payload(length: 4, bytes: bytes), flow: 1),
      TraceEvent(
        time: at + 1_000_000, duration: 10, pid: 1, seq: 2, role: "main", call: .recv, fd: 4,
        args: ["len": .int(100)], ret: 4, socket: SocketIdentity(inode: 12, peer: 11),
        data: Payload(length: 4, bytes: bytes, datagramLength: 4), flows: [1]),
    ]
    var indexed = events
    for i in indexed.indices { indexed[i].index = i }
    return Trace(
      header: TraceHeader(t0: 0, processes: [TracedProcess(pid: 1, role: "main")]), events: indexed)
  }

  /// The labels of the figure, and the x of the depth line's rise (its first point above the axis).
  static func drawn(_ trace: Trace) throws -> (labels: [String], rise: Double?) {
    let graph = try Diagrams.graph(of: trace, view: .queues, options: DiagramOptions(language: .en)).0
    var labels: [String] = []
    var points: [(x: Double, y: Double)] = []
    for case .node(let id, let a) in graph.statements {
      if case .text(let s)? = a["label"], !s.isEmpty { labels.append(s) }
      if id.hasPrefix("pt"), case .text(let pos)? = a["pos"] {
        let xy = pos.dropLast().split(separator: ",").compactMap { Double($0) }
        if xy.count == 2 { points.append((xy[0], xy[1])) }
      }
    }
    let rise = points.filter { $0.y > 0 && $0.x > QueueChart.left }.map(\.x).min()
    return (labels, rise)
  }

  @Test("queues idle for the first 2 s of a 2.001 s run: the axis starts just before the send, not at 0")
  func lateActivityIsNotSqueezed() throws {
    let (labels, rise) = try Self.drawn(Self.trace(sentAt: 2_000_000_000))
    // 5 % of the 1 ms in which the queue held data before the send, rounded to 10 µs.
    #expect(labels.contains("1.99995 s") && !labels.contains("0 s"), "\(labels)")
    let x = try #require(rise)
    #expect(
      x < QueueChart.left + QueueChart.plotWidth * 0.5, "the send's rise at \(x) is not squeezed to the right"
    )
  }

  @Test("a run whose queues are busy from early on keeps its axis from 0")
  func earlyActivityKeepsZero() throws {
    let (labels, _) = try Self.drawn(Self.trace(sentAt: 100_000))
    #expect(labels.contains("0 s"), "\(labels)")
  }
}
