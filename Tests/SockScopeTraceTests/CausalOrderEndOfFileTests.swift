import Testing

@testable import SockScopeTrace

@Suite("The causal order puts a stream peer's shutdown or close before the receive that saw end of file")
struct CausalOrderEndOfFileTests {
  static func event(
    _ call: SocketCall, pid: Int32, seq: UInt64, at: UInt64, took: UInt64, ret: Int64 = 0,
    socket: (UInt64, UInt64?)? = nil, args: JSONObject = [:]
  ) -> TraceEvent {
    TraceEvent(
      time: at, duration: took, pid: pid, seq: seq, role: "p\(pid)", call: call, args: args, ret: ret,
      socket: socket.map { SocketIdentity(inode: $0.0, peer: $0.1) })
  }

  /// A stream pair (inodes 10 and 11) made by pid 7, whose child pid 8 reads end 11 and gets 0
  /// bytes: its receive returned at 500, before pid 7's `ending` call (started at 400) returned.
  static func run(type: String, ending: SocketCall, args: JSONObject, length: Int64 = 100) -> [TraceEvent] {
    [
      event(
        .socketpair, pid: 7, seq: 0, at: 100, took: 10, socket: (10, 11),
        args: ["domain": .string("AF_UNIX"), "type": .string(type), "protocol": .int(0)]),
      event(.fork, pid: 7, seq: 1, at: 120, took: 10, ret: 8),
      event(.recv, pid: 8, seq: 0, at: 200, took: 300, ret: 0, socket: (11, 10), args: ["len": .int(length)]),
      event(ending, pid: 7, seq: 2, at: 400, took: 200, socket: (10, 11), args: args),
    ]
  }

  @Test("a receive that returned 0 before the peer's shutdown(SHUT_WR) returned comes after it")
  func shutdownBeforeEndOfFile() {
    var events = Self.run(type: "SOCK_STREAM", ending: .shutdown, args: ["how": .string("SHUT_WR")])
    CausalOrder.apply(&events)
    #expect(events.map(\.call) == [.socketpair, .fork, .shutdown, .recv])
  }

  @Test("the peer's last close is the cause when there is no shutdown")
  func closeBeforeEndOfFile() {
    var events = Self.run(type: "SOCK_STREAM", ending: .close, args: [:])
    CausalOrder.apply(&events)
    #expect(events.map(\.call) == [.socketpair, .fork, .close, .recv])
  }

  @Test(
    "SHUT_RD does not end the peer's reading; a 0-byte datagram is no end of file; recv(0) asked for nothing")
  func noEdgeWithoutEndOfFile() {
    for events in [
      Self.run(type: "SOCK_STREAM", ending: .shutdown, args: ["how": .string("SHUT_RD")]),
      Self.run(type: "SOCK_DGRAM", ending: .close, args: [:]),
      Self.run(type: "SOCK_STREAM", ending: .close, args: [:], length: 0),
    ] {
      var ordered = events
      CausalOrder.apply(&ordered)
      // By time alone: the receive returned first.
      #expect(ordered.map(\.call) == [.socketpair, .fork, .recv, events[3].call])
    }
  }

  @Test("no edge when the reader had shut its own socket for reading: that alone returns 0")
  func noEdgeAfterOwnReadShutdown() {
    var events = Self.run(type: "SOCK_STREAM", ending: .shutdown, args: ["how": .string("SHUT_WR")])
    events.insert(
      Self.event(
        .shutdown, pid: 8, seq: 0, at: 150, took: 10, socket: (11, 10), args: ["how": .string("SHUT_RD")]),
      at: 2)
    events[3].seq = 1
    CausalOrder.apply(&events)
    // By time: the receive returned (500) before the peer's shutdown did (600).
    #expect(events.map(\.call) == [.socketpair, .fork, .shutdown, .recv, .shutdown])
  }

  @Test("an older trace in time order is not reported as out of order")
  func notAViolation() {
    let events = Self.run(type: "SOCK_STREAM", ending: .close, args: [:])
    #expect(CausalOrder.violations(events).isEmpty)
  }
}
