import Testing

@testable import SockScopeTrace

@Suite("The causal order of steps")
struct CausalOrderTests {
  static func event(
    _ call: SocketCall, pid: Int32, tid: Int32? = nil, seq: UInt64, at start: UInt64, took: UInt64 = 10,
    flow: Int? = nil, flows: [Int] = [], socket: SocketIdentity? = nil, args: JSONObject = JSONObject()
  ) -> TraceEvent {
    TraceEvent(
      time: start, duration: took, pid: pid, tid: tid, seq: seq, role: "p\(pid)", call: call, args: args,
      ret: 1, socket: socket, flow: flow, flows: flows)
  }

  static func ordered(_ events: [TraceEvent]) -> [TraceEvent] {
    var copy = events
    CausalOrder.apply(&copy)
    return copy
  }

  @Test("a receive that blocked and returned before its send returned comes after the send")
  func blockingReceiveAfterItsSend() {
    let events = [
      Self.event(.recv, pid: 1, seq: 0, at: 100, took: 50, flows: [1]),  // returns at 150
      Self.event(.send, pid: 2, seq: 0, at: 120, took: 40, flow: 1),  // returns at 160
    ]
    #expect(CausalOrder.violations(events).map(\.field) == ["flows"])
    #expect(Self.ordered(events).map(\.call) == [.send, .recv])
    #expect(Self.ordered(events).map(\.index) == [0, 1])
  }

  @Test("an accept that returned before the connect did comes after it")
  func connectBeforeAccept() {
    let accept = Self.event(
      .accept, pid: 1, seq: 0, at: 100, took: 20,
      args: ["new_sock": .object(["ino": .int(50), "peer": .int(7)])])
    let connect = Self.event(.connect, pid: 2, seq: 0, at: 110, took: 30, socket: SocketIdentity(inode: 7))
    #expect(Self.ordered([accept, connect]).map(\.call) == [.connect, .accept])
  }

  @Test("a thread's steps keep their program order, and free steps come in the order they returned")
  func programOrderAndTies() {
    let events = [
      Self.event(.socket, pid: 1, seq: 0, at: 10),
      Self.event(.socket, pid: 2, seq: 0, at: 12, took: 1),
      Self.event(.bind, pid: 1, seq: 1, at: 30),
      Self.event(.close, pid: 2, tid: 3, seq: 1, at: 5, took: 1),  // another thread of pid 2
    ]
    #expect(
      Self.ordered(events).map { "\($0.pid).\($0.tid).\($0.seq)" } == ["2.3.1", "2.2.0", "1.1.0", "1.1.1"])
  }

  @Test("an order already causal is kept, and ordering twice changes nothing")
  func stable() {
    var generator = SplitMix64(seed: 11)
    let events = Self.randomRun(&generator, threads: 5, steps: 400)
    let once = Self.ordered(events)
    #expect(CausalOrder.violations(once).isEmpty)
    #expect(Self.ordered(once) == once)
  }

  @Test("random runs of many threads: the order is a permutation that breaks no edge")
  func randomRuns() {
    var generator = SplitMix64(seed: 5)
    for _ in 0..<50 {
      var events = Self.randomRun(&generator, threads: 1 + Int(generator.next() % 6), steps: 200)
      events.shuffle(using: &generator)
      let (positions, broken) = CausalOrder.order(events)
      #expect(broken == 0)
      #expect(positions.sorted() == Array(events.indices))
      #expect(CausalOrder.violations(positions.map { events[$0] }).isEmpty)
    }
  }

  @Test("links that contradict each other (a cycle) are broken, never looped on")
  func cycle() {
    let events = [
      Self.event(.recv, pid: 1, seq: 0, at: 10, flows: [2]),
      Self.event(.send, pid: 1, seq: 1, at: 20, flow: 1),
      Self.event(.recv, pid: 2, seq: 0, at: 10, flows: [1]),
      Self.event(.send, pid: 2, seq: 1, at: 20, flow: 2),
    ]
    let (positions, broken) = CausalOrder.order(events)
    #expect(positions.sorted() == [0, 1, 2, 3])
    #expect(broken == 1)
  }

  /// Threads that send and receive at random times: each receive is linked to a send that
  /// started before it returned, as in a real run.
  static func randomRun(_ g: inout SplitMix64, threads: Int, steps: Int) -> [TraceEvent] {
    var clock = [UInt64](repeating: 0, count: threads)
    var seq = [UInt64](repeating: 0, count: threads)
    var sends: [(flow: Int, start: UInt64)] = []
    var events: [TraceEvent] = []
    for _ in 0..<steps {
      let t = Int(g.next() % UInt64(threads))
      let start = clock[t] + g.next() % 50
      let took = 1 + g.next() % 100
      clock[t] = start + took
      let pid = Int32(t / 2 + 1)
      let tid = Int32(t + 1)
      if g.next() % 2 == 0 || sends.isEmpty {
        sends.append((sends.count + 1, start))
        events.append(event(.send, pid: pid, tid: tid, seq: seq[t], at: start, took: took, flow: sends.count))
      } else {
        let possible = sends.filter { $0.start <= start + took }
        let flows = possible.isEmpty ? [] : [possible[Int(g.next() % UInt64(possible.count))].flow]
        events.append(event(.recv, pid: pid, tid: tid, seq: seq[t], at: start, took: took, flows: flows))
      }
      seq[t] += 1
    }
    return events
  }
}
