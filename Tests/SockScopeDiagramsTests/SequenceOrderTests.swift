import SockScopeMerge
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("The sequence chart's vertical order")
struct SequenceOrderTests {
  /// A server whose blocking recv returned before the client's send did (the sender was
  /// preempted after queueing its datagram), merged as a run is.
  static func trace() -> Trace {
    let bytes = Array("Лев".utf8)
    let events = [
      TraceEvent(
        time: 1_000, duration: 10, pid: 1, seq: 0, role: "server", call: .bind,
        args: ["addr": .object(["path": .string("./echo.socket")])], socket: SocketIdentity(inode: 100)),
      TraceEvent(
        time: 2_000, duration: 8_000_000, pid: 1, seq: 1, role: "server", call: .recv, fd: 3,
        args: ["len": .int(1024)], ret: 6, socket: SocketIdentity(inode: 100),
        data: Payload(length: 6, bytes: bytes, datagramLength: 6)),
      TraceEvent(
        time: 7_000_000, duration: 5_000_000, pid: 2, seq: 0, role: "client", call: .send, fd: 3,
        args: ["len": .int(6)], ret: 6, socket: SocketIdentity(inode: 200, peer: 100),
        data: Payload(length: 6, bytes: bytes)),
    ]
    return TraceMerger.merge(
      events: events,
      processes: [
        TracedProcess(pid: 1, role: "server"), TracedProcess(pid: 2, role: "client"),
      ])
  }

  /// Each node's y and each message arrow's ends, from the DOT.
  static func layout(_ options: DiagramOptions) throws -> (y: [String: Double], arrows: [(String, String)]) {
    let dot = try Diagrams.graph(of: trace(), view: .sequence, options: options).0.text
    var y: [String: Double] = [:]
    var arrows: [(String, String)] = []
    for line in dot.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
      if line.contains("#2f6fbf"), let arrow = line.range(of: " -> ") {
        arrows.append(
          (String(line[..<arrow.lowerBound]), String(line[arrow.upperBound...].prefix { $0 != " " })))
      } else if let id = line.split(separator: " ").first, let pos = line.range(of: "pos=\"") {
        let value = line[pos.upperBound...].prefix { $0 != "!" }
        if let comma = value.firstIndex(of: ","), let v = Double(value[value.index(after: comma)...]) {
          y[String(id)] = v
        }
      }
    }
    return (y, arrows)
  }

  @Test("in rows the send is drawn above the receive that returned before it")
  func rows() throws {
    let (y, arrows) = try Self.layout(DiagramOptions())
    let (from, to) = try #require(arrows.first)
    #expect(arrows.count == 1)
    #expect(try #require(y[from]) > #require(y[to]))
  }

  @Test("on a time axis the message is drawn where both calls were in progress, never upwards")
  func timeAxis() throws {
    let trace = Self.trace()
    let (y, arrows) = try Self.layout(DiagramOptions(timeAxis: true))
    let (from, to) = try #require(arrows.first)
    let recv = try #require(trace.events.first { $0.call == .recv }).index
    let send = try #require(trace.events.first { $0.call == .send }).index
    let a = try #require(y[from])
    let b = try #require(y[to])
    #expect(a >= b, "the arrow does not point up")
    // Both calls were in progress from the send's start (7 ms) to the recv's return (8 ms): the
    // arrow leaves the send's bar above its end and reaches the recv where it returned.
    let sendEnd = try #require(y["e\(send)"])
    let recvEnd = try #require(y["e\(recv)"])
    #expect(a > sendEnd, "the arrow leaves the send before the send returned")
    #expect(b >= recvEnd - 0.01, "the arrow reaches the recv by the time it returned")
    #expect(from.hasSuffix("_from") && to.hasSuffix("_to"))
  }
}
