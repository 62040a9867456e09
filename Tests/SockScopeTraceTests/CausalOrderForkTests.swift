import Testing

@testable import SockScopeTrace

@Suite("The causal order puts a fork before its child's steps")
struct CausalOrderForkTests {
  @Test(
    "a child that ran (and exec'd) before the parent's fork returned comes after the fork; a trace the other way is not reported"
  )
  func forkBeforeChild() {
    func event(
      _ call: SocketCall, pid: Int32, seq: UInt64, at: UInt64, took: UInt64, ret: Int64
    ) -> TraceEvent {
      TraceEvent(time: at, duration: took, pid: pid, seq: seq, role: "p", call: call, ret: ret)
    }
    let events = [
      event(.socketpair, pid: 7, seq: 0, at: 100, took: 10, ret: 0),
      // The child's exec at 200 returned long before the parent's fork, called at 150, returned at 900.
      event(.execve, pid: 8, seq: 0, at: 200, took: 0, ret: 0),
      event(.close, pid: 8, seq: 1, at: 400, took: 10, ret: 0),
      event(.fork, pid: 7, seq: 1, at: 150, took: 750, ret: 8),
      event(.close, pid: 7, seq: 2, at: 950, took: 10, ret: 0),
    ]
    var ordered = events
    CausalOrder.apply(&ordered)
    #expect(ordered.map(\.call) == [.socketpair, .fork, .execve, .close, .close])
    #expect(ordered.map(\.pid) == [7, 7, 8, 8, 7])
    // Traces merged before this edge existed keep their order when read: no violation is reported.
    #expect(CausalOrder.violations(events).isEmpty)
  }
}
