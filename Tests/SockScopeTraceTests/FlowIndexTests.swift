import Testing

@testable import SockScopeTrace

@Suite("The flow index finds each flow's send and first receive")
struct FlowIndexTests {
  func send(_ n: Int, flow: Int) -> TraceEvent {
    TraceEvent(index: n, time: UInt64(n), pid: 1, role: "client", call: .send, flow: flow)
  }

  func receive(_ n: Int, flows: [Int]) -> TraceEvent {
    TraceEvent(index: n, time: UInt64(n), pid: 2, role: "server", call: .recv, flows: flows)
  }

  @Test("a stream send read by two receives is found from both; the first receive is its receiver")
  func sendAndFirstReceive() {
    let events = [
      send(0, flow: 5), receive(1, flows: [5]), receive(2, flows: [5, 9]), send(3, flow: 9),
      receive(4, flows: [9]),
    ]
    let index = FlowIndex(events)
    #expect(index.send[5]?.index == 0)
    #expect(index.send[9]?.index == 3)
    #expect(index.receive[5]?.index == 1)
    #expect(index.receive[9]?.index == 2)
    #expect(index.send.position(ofFlow: 9) == 3)
    #expect(index.receive.position(ofFlow: 9) == 2)
  }

  @Test("a flow no event carries has no send and no receive")
  func unknownFlow() {
    let index = FlowIndex([send(0, flow: 1), receive(1, flows: [2])])
    #expect(index.send[2] == nil)
    #expect(index.receive[1] == nil)
    #expect(index.send[1]?.call == .send)
    #expect(index.receive[2]?.flows == [2])
  }

  @Test("positions count from the start of the events, not from their index field")
  func positionsNotIndexes() {
    let events = [send(40, flow: 1), receive(41, flows: [1])]
    let index = FlowIndex(events)
    #expect(index.send.position(ofFlow: 1) == 0)
    #expect(index.receive.position(ofFlow: 1) == 1)
    #expect(index.receive[1]?.index == 41)
  }
}
