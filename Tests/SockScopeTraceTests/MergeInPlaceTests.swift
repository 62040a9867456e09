import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

@Suite("Merging without a second copy of the events")
struct MergeInPlaceTests {
  @Test("putting elements in a given order in place gives what copying them in that order gives")
  func permuteInPlaceMatchesCopy() {
    var generator = SplitMix64(seed: 14)
    for count in [0, 1, 2, 3, 10, 257, 5000] {
      var positions = Array(0..<count)
      for i in positions.indices.reversed() where i > 0 {
        positions.swapAt(i, Int(generator.next() % UInt64(i + 1)))
      }
      let original = (0..<count).map { "e\($0)" }
      var permuted = original
      permuted.permute(to: positions)
      #expect(permuted == positions.map { original[$0] }, "\(count) elements")
      // As 32-bit positions (the causal order's and the time sort's), the same.
      var compact = original
      compact.permute(to: positions.map { UInt32($0) })
      #expect(compact == permuted, "\(count) elements, 32-bit positions")
    }
    // Two sorted lists interleaved, as a merge of two processes' logs is.
    let interleaved = (0..<1000).map { $0 % 2 == 0 ? $0 / 2 : 500 + $0 / 2 }
    var values = Array(0..<1000)
    values.permute(to: interleaved)
    #expect(values == interleaved)
  }

  @Test("merged events are numbered in time order, whichever log they came from")
  func mergeOrdersAcrossLogs() {
    let a = (0..<5).map {
      TraceEvent(time: UInt64(10 * $0), pid: 1, seq: UInt64($0), role: "a", call: .close)
    }
    let b = (0..<5).map {
      TraceEvent(time: UInt64(10 * $0 + 5), pid: 2, seq: UInt64($0), role: "b", call: .close)
    }
    let trace = TraceMerger.merge(
      eventLists: [a, b], processes: [TracedProcess(pid: 1, role: "a"), TracedProcess(pid: 2, role: "b")],
      problems: [])
    #expect(trace.events.map(\.time) == [0, 5, 10, 15, 20, 25, 30, 35, 40, 45])
    #expect(trace.events.map(\.index) == Array(0..<10))
  }
}
