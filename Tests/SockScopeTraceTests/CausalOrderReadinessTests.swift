import Testing

@testable import SockScopeTrace

@Suite("The causal order puts the send a wait reported before the wait")
struct CausalOrderReadinessTests {
  static func event(
    _ call: SocketCall, pid: Int32, seq: UInt64, at: UInt64, took: UInt64, ret: Int64 = 0, fd: Int32? = nil,
    socket: (UInt64, UInt64?)? = nil, args: JSONObject = [:], flow: Int? = nil, flows: [Int] = []
  ) -> TraceEvent {
    TraceEvent(
      time: at, duration: took, pid: pid, seq: seq, role: "p\(pid)", call: call, fd: fd, args: args, ret: ret,
      socket: socket.map { SocketIdentity(inode: $0.0, peer: $0.1) }, flow: flow, flows: flows)
  }

  /// pid 7 waits on fd 4 (socket 11) from 200; its wait returned at 500, before pid 8's send into
  /// the pair (started at 400) returned at 700; then pid 7 receives that send's datagram.
  static func run(wait: SocketCall, args: JSONObject, thief: Bool = false) -> [TraceEvent] {
    var events = [
      event(
        .socketpair, pid: 7, seq: 0, at: 100, took: 10, socket: (10, 11),
        args: ["domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM"), "protocol": .int(0)]),
      event(.fork, pid: 7, seq: 1, at: 120, took: 10, ret: 8),
      event(.send, pid: 8, seq: 0, at: 400, took: 300, ret: 9, fd: 3, socket: (10, 11), flow: 1),
      event(wait, pid: 7, seq: 2, at: 200, took: 300, ret: 1, args: args),
      event(.recv, pid: 7, seq: 3, at: 800, took: 10, ret: 9, fd: 4, socket: (11, 10), flows: [1]),
    ]
    if thief {
      // Another process reads the same socket meanwhile: the datagram the wait saw may be gone.
      events.append(event(.recv, pid: 9, seq: 0, at: 550, took: 10, ret: 3, fd: 5, socket: (11, 10)))
    }
    return events
  }

  static let pollIn: JSONObject = [
    "nfds": .int(1),
    "fds": .array([.object(["fd": .int(4), "events": .string("POLLIN"), "revents": .string("POLLIN")])]),
  ]

  @Test("poll, select and epoll_wait that reported fd 4 readable come after the send whose data was received")
  func sendBeforeWait() {
    for (wait, args) in [
      (SocketCall.poll, Self.pollIn),
      (.select, ["nfds": .int(5), "read": .array([.int(4)]), "ready_read": .array([.int(4)])]),
      (
        .epollWait,
        ["maxevents": .int(1), "ready": .array([.object(["fd": .int(4), "events": .string("EPOLLIN")])])]
      ),
    ] as [(SocketCall, JSONObject)] {
      var events = Self.run(wait: wait, args: args)
      #expect(events[3].arguments != .none, "\(wait)'s arguments were read")
      CausalOrder.apply(&events)
      #expect(events.map(\.call) == [.socketpair, .fork, .send, wait, .recv], "\(wait)")
      // Traces merged before this edge existed are not reported as out of order.
      #expect(CausalOrder.violations(Self.run(wait: wait, args: args)).isEmpty)
    }
  }

  @Test("no edge when another thread of the waiter could have put another socket at the number meanwhile")
  func noEdgeWhenRenumbered() {
    // Thread 7 polls fd 4 (socket 11) and returns at 500; thread 70 then closes fd 4 and makes a
    // pair whose first end takes fd 4 (socket 21), and sends on the other end from 600; thread 7's
    // recv(4) gets that send's bytes: they were sent after the wait returned.
    var events = [
      TraceEvent(
        time: 100, duration: 10, pid: 7, tid: 7, seq: 0, role: "p", call: .socketpair, fd: 3,
        args: ["domain": .string("AF_UNIX"), "type": .string("SOCK_STREAM"), "protocol": .int(0)], ret: 0,
        socket: SocketIdentity(inode: 10, peer: 11)),
      TraceEvent(
        time: 200, duration: 300, pid: 7, tid: 7, seq: 1, role: "p", call: .poll, args: Self.pollIn, ret: 1),
      TraceEvent(
        time: 520, duration: 5, pid: 7, tid: 70, seq: 0, role: "p", call: .close, fd: 4, ret: 0,
        socket: SocketIdentity(inode: 11, peer: 10)),
      TraceEvent(
        time: 530, duration: 5, pid: 7, tid: 70, seq: 1, role: "p", call: .socketpair, fd: 4,
        args: ["domain": .string("AF_UNIX"), "type": .string("SOCK_STREAM"), "protocol": .int(0)], ret: 0,
        socket: SocketIdentity(inode: 21, peer: 20)),
      TraceEvent(
        time: 600, duration: 300, pid: 7, tid: 70, seq: 2, role: "p", call: .send, fd: 5, ret: 9,
        socket: SocketIdentity(inode: 20, peer: 21), flow: 1),
      TraceEvent(
        time: 800, duration: 10, pid: 7, tid: 7, seq: 2, role: "p", call: .recv, fd: 4, ret: 9,
        socket: SocketIdentity(inode: 21, peer: 20), flows: [1]),
    ]
    CausalOrder.apply(&events)
    let calls = events.map(\.call)
    #expect((calls.firstIndex(of: .poll) ?? .max) < (calls.firstIndex(of: .send) ?? -1), "\(calls)")
  }

  @Test("no edge when another process received on the socket meanwhile, or the wait reported no reading")
  func noEdgeWhenUnsure() {
    let writable: JSONObject = [
      "nfds": .int(1),
      "fds": .array([.object(["fd": .int(4), "events": .string("POLLOUT"), "revents": .string("POLLOUT")])]),
    ]
    for events in [
      Self.run(wait: .poll, args: Self.pollIn, thief: true), Self.run(wait: .poll, args: writable),
    ] {
      var ordered = events
      CausalOrder.apply(&ordered)
      // By time alone: the wait returned first.
      let calls = ordered.map(\.call)
      #expect((calls.firstIndex(of: .poll) ?? .max) < (calls.firstIndex(of: .send) ?? -1))
    }
  }
}
