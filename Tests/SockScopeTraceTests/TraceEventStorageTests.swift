import Testing

@testable import SockScopeTrace

@Suite("An event's compactly stored fields")
struct TraceEventStorageTests {
  func event() -> TraceEvent { TraceEvent(time: 1, pid: 10, role: "server", call: .recv) }

  @Test("an event takes at most 184 bytes, so a merge of a million holds them in 184 MB")
  func size() {
    #expect(MemoryLayout<TraceEvent>.stride <= 184)
  }

  @Test("one flow, several, and candidates read back as set")
  func flows() {
    var e = event()
    #expect(e.flows.isEmpty && e.flow == nil && e.flowCandidates.isEmpty)
    e.flows = [5]
    #expect(e.flows == [5] && e.flowCount == 1 && e.firstFlow == 5)
    e.flows = [3, 4]
    #expect(e.flows == [3, 4] && e.flowCount == 2 && e.firstFlow == 3)
    e.flowCandidates = [4, 9]
    e.flow = 2
    #expect(e.flows == [3, 4] && e.flowCandidates == [4, 9] && e.flow == 2)
    var seen: [Int] = []
    e.forEachFlow { seen.append($0) }
    #expect(seen == [3, 4])
    e.setOnlyFlow(nil)
    #expect(e.flows.isEmpty && e.flowCandidates == [4, 9] && e.flow == 2)
  }

  @Test("events with the same flows are equal however the flows were set")
  func flowEquality() {
    var a = event()
    a.flows = [1, 2]
    a.flowCandidates = [7]
    a.flowCandidates = []
    a.flows = [1]
    var b = event()
    b.setOnlyFlow(1)
    #expect(a == b)
    b.setOnlyFlow(2)
    #expect(a != b)
  }

  @Test("any flow id, the smallest Int included, is kept")
  func extremeFlowIDs() {
    var e = event()
    e.flow = Int.min
    e.flows = [Int.min]
    #expect(e.flow == Int.min && e.flows == [Int.min])
    e.flow = nil
    e.flows = []
    #expect(e == event())
  }

  @Test("a socket without a peer, a peer of 0, and no socket are told apart")
  func socket() {
    var e = event()
    #expect(e.socket == nil)
    e.socket = SocketIdentity(inode: 7)
    #expect(e.socket == SocketIdentity(inode: 7) && e.socket?.peer == nil)
    e.socket?.peer = 0
    #expect(e.socket == SocketIdentity(inode: 7, peer: 0))
    e.socket = nil
    #expect(e.socket == nil && e == event())
  }

  @Test("descriptor 0 is not the absence of a descriptor")
  func descriptor() {
    var e = event()
    #expect(e.fd == nil)
    e.fd = 0
    #expect(e.fd == 0 && e != event())
    e.fd = nil
    #expect(e == event())
  }
}
