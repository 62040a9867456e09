import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

@Suite("Flow ids numbered in step order")
struct FlowNumberingTests {
  func send(_ n: Int, flow: Int) -> TraceEvent {
    TraceEvent(index: n, time: UInt64(n), pid: 1, role: "client", call: .send, flow: flow)
  }

  func receive(_ n: Int, flows: [Int], candidates: [Int] = []) -> TraceEvent {
    var e = TraceEvent(index: n, time: UInt64(n), pid: 2, role: "server", call: .recv, flows: flows)
    e.flowCandidates = candidates
    return e
  }

  @Test("each receive's flows are renumbered where they are, in step order of their sends")
  func renumberedInPlace() {
    var events = [
      send(0, flow: 7), send(1, flow: 3), receive(2, flows: [3, 7], candidates: [7, 3]), send(3, flow: 12),
      receive(4, flows: [12]),
    ]
    TraceMerger.numberFlowsInOrder(&events)
    #expect(events.map(\.flow) == [1, 2, nil, 3, nil])
    #expect(events[2].flows == [2, 1])
    #expect(events[2].flowCandidates == [1, 2])
    #expect(events[4].flows == [3])
  }

  @Test("a flow id no send carries is dropped from the receive, the others renumbered")
  func unknownFlowDropped() {
    var events = [send(0, flow: 5), receive(1, flows: [99, 5]), receive(2, flows: [42])]
    TraceMerger.numberFlowsInOrder(&events)
    #expect(events[1].flows == [1])
    #expect(events[2].flows.isEmpty)
  }
}
