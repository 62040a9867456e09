/// The order of a trace's steps: cause before effect, defined once for every view.
///
/// The order is a topological order of a graph whose edges are what the kernel guarantees:
/// - **program order**: a thread's calls, in the order it made them (`seq`);
/// - **data**: a send before every receive that returned its data (the receive's `flows`), which
///   also covers a descriptor passed with `SCM_RIGHTS`: it travels in the message;
/// - **connection**: a stream `connect` before the `accept` that returned its connection;
/// - **fork**: a `fork` before the first step of each thread of the child it made (the child
///   runs, and may even exec, before the parent's `fork` returns: by time alone the child's first
///   steps came first);
/// - **end of file**: a stream peer's `shutdown` or releasing `close` before the receive that
///   returned 0 because of it (`CausalOrder+EndOfFile.swift`);
/// - **readiness**: the send whose data a `poll`, `select` or `epoll_wait` reported before that
///   wait (`CausalOrder+Readiness.swift`).
///
/// Among the steps these edges leave free, the one that returned first comes first (then the one
/// that started first, then pid, thread and `seq`), so the order is deterministic. A timestamp
/// alone cannot give this order: a blocking `recv` can return before the `send` that woke it has
/// returned (the sender is preempted after queueing the data and before it reads the clock).
///
/// Edges come from links, and a wrong link could close a cycle; then the step that returned first
/// among those in the cycle is placed anyway and the cycle is counted, never looped on.
public enum CausalOrder {
  /// A step that breaks the order in place, and why.
  public struct Violation: Sendable, Equatable {
    /// Position of the step that comes too early.
    public var position: Int
    /// Which field shows it (`seq`, `flows` or `args.new_sock`).
    public var field: String
    /// What is out of order, in a sentence.
    public var message: String
  }

  /// The positions of `events` in causal order, and how many cycles had to be broken.
  public static func order(_ events: [TraceEvent]) -> (positions: [Int], brokenCycles: Int) {
    let (positions, broken) = compactOrder(events)
    return (positions.map { Int($0) }, broken)
  }

  /// `order`, with positions as 32-bit numbers: a merge's largest moment is here, and every array
  /// of a position per event counts.
  static func compactOrder(_ events: [TraceEvent]) -> (positions: [Int32], brokenCycles: Int) {
    let count = events.count
    guard count > 1 else { return ((0..<Int32(count)).map { $0 }, 0) }
    var graph = Graph(events)
    let threads = graph.threads
    // Dependents as compressed rows: dependents of i are edgeTargets[edgeStart[i]..<edgeStart[i+1]].
    var indegree = [Int32](repeating: 0, count: count)
    var edgeStart = [Int32](repeating: 0, count: count + 1)
    for (from, to) in graph.edges {
      edgeStart[Int(from) + 1] += 1
      indegree[Int(to)] += 1
    }
    for i in 0..<count { edgeStart[i + 1] += edgeStart[i] }
    var edgeTargets = [Int32](repeating: 0, count: graph.edges.count)
    // Each row is filled from its start, moving the start along; the starts are then put back
    // (each row's end is the next row's start), with no second array of them.
    for (from, to) in graph.edges {
      edgeTargets[Int(edgeStart[Int(from)])] = to
      edgeStart[Int(from)] += 1
    }
    for i in stride(from: count, to: 0, by: -1) { edgeStart[i] = edgeStart[i - 1] }
    edgeStart[0] = 0
    // Held in rows from here on.
    graph.edges = []

    // The fields compared are read in place (a copy of an event would retain and release all it
    // holds); a table of them was 32 bytes an event at a merge's largest moment. Only the heads of
    // the ready threads are compared, a few times per step.
    func precedes(_ a: Int, _ b: Int) -> Bool {
      if events[a].endTime != events[b].endTime { return events[a].endTime < events[b].endTime }
      if events[a].time != events[b].time { return events[a].time < events[b].time }
      if events[a].pid != events[b].pid { return events[a].pid < events[b].pid }
      if events[a].tid != events[b].tid { return events[a].tid < events[b].tid }
      if events[a].seq != events[b].seq { return events[a].seq < events[b].seq }
      return a < b
    }
    // The ready threads: those whose next step waits for nothing, kept as a heap on that step.
    var heap = ThreadHeap()
    var next = [Int](repeating: 0, count: threads.count)
    for t in threads.indices where indegree[Int(threads[t][0])] == 0 {
      heap.push(t, events: threads, next: next, precedes: precedes)
    }
    var positions: [Int32] = []
    positions.reserveCapacity(count)
    var broken = 0
    while positions.count < count {
      let t: Int
      if let ready = heap.pop(events: threads, next: next, precedes: precedes) {
        t = ready
      } else {
        // A cycle (a wrong link): place the earliest waiting step anyway.
        var pick: Int?
        for u in threads.indices where next[u] < threads[u].count {
          if let p = pick, !precedes(Int(threads[u][next[u]]), Int(threads[p][next[p]])) { continue }
          pick = u
        }
        guard let forced = pick else { break }
        broken += 1
        indegree[Int(threads[forced][next[forced]])] = 0
        t = forced
      }
      let e = Int(threads[t][next[t]])
      positions.append(Int32(e))
      next[t] += 1
      for k in Int(edgeStart[e])..<Int(edgeStart[e + 1]) {
        let d = Int(edgeTargets[k])
        indegree[d] -= 1
        let u = Int(graph.threadOf[d])
        // The step's own thread is handled below, once.
        if indegree[d] == 0 && u != t && next[u] < threads[u].count && Int(threads[u][next[u]]) == d {
          heap.push(u, events: threads, next: next, precedes: precedes)
        }
      }
      if next[t] < threads[t].count && indegree[Int(threads[t][next[t]])] == 0 {
        heap.push(t, events: threads, next: next, precedes: precedes)
      }
    }
    return (positions, broken)
  }

  /// Puts `events` in causal order and numbers them (`index`) in that order; returns the number of
  /// cycles broken (0 unless links contradict each other).
  @discardableResult
  public static func apply(_ events: inout [TraceEvent]) -> Int {
    let (positions, broken) = compactOrder(events)
    events.permute(to: positions)  // In place: the events are not held twice.
    for i in events.indices { events[i].index = i }
    return broken
  }

  /// Where `events`, in the order given, break the causal order (at most `limit` of them).
  public static func violations(_ events: [TraceEvent], limit: Int = .max) -> [Violation] {
    var found: [Violation] = []
    var lastSeq: [Int64: (seq: UInt64, position: Int)] = [:]
    var sendAt = FlowPositions(capacity: events.count)
    for i in events.indices { if let f = events[i].flow { sendAt[f] = i } }
    var connectAt: [UInt64: Int] = [:]
    for i in events.indices where events[i].call == .connect && events[i].failure == nil {
      if let ino = events[i].socket?.inode { connectAt[ino] = i }
    }
    var cached: (key: Int64, seq: UInt64, position: Int)?
    for i in events.indices {
      guard found.count < limit else { break }
      let key = Int64(events[i].pid) << 32 | Int64(UInt32(bitPattern: events[i].tid))
      // Runs of one thread's steps are common: its last step is kept at hand.
      if let c = cached, c.key != key { lastSeq[c.key] = (c.seq, c.position) }
      let previous = cached?.key == key ? cached.map { (seq: $0.seq, position: $0.position) } : lastSeq[key]
      cached = (key, events[i].seq, i)
      if let last = previous, last.seq >= events[i].seq {
        found.append(
          Violation(
            position: i, field: "seq",
            message:
              "seq \(events[i].seq) comes after seq \(last.seq) of the same thread (index \(last.position)): "
              + "a thread's calls must stay in the order it made them"))
      }
      events[i].forEachFlow { f in
        if let s = sendAt[f], s > i {
          found.append(
            Violation(
              position: i, field: "flows",
              message: "receives flow \(f) before its send (index \(s)): a send must come before its receive")
          )
        }
      }
      if events[i].call == .accept || events[i].call == .accept4, let peer = Graph.acceptedPeer(events[i]),
        let c = connectAt[peer], c > i
      {
        found.append(
          Violation(
            position: i, field: "args.new_sock",
            message: "accepts the connection of the connect at index \(c), which comes later"))
      }
    }
    return Array(found.prefix(limit))
  }

  /// The edges of the order: each event's thread and the cross-thread edges.
  struct Graph {
    /// Each thread's event positions in program order (32-bit: a merge's largest moment is the
    /// order's).
    var threads: [[Int32]] = []
    var threadOf: [Int32]
    /// Cause and effect positions (32-bit: a merge's largest moment is the order's).
    var edges: [(Int32, Int32)] = []

    /// For a successful accept: the inode of the connecting socket it returned a connection from.
    static func acceptedPeer(_ e: TraceEvent) -> UInt64? {
      guard e.call == .accept || e.call == .accept4, e.failure == nil,
        let peer = e.arguments.acceptedSocket?.peer, peer > 0
      else { return nil }
      return peer
    }

    init(_ events: [TraceEvent]) {
      threadOf = [Int32](repeating: 0, count: events.count)
      var seen = RecentKeys<Int64>()
      var sendAt = FlowPositions(capacity: events.count)
      var connectAt: [UInt64: Int] = [:]
      for i in events.indices {
        let key = Int64(events[i].pid) << 32 | Int64(UInt32(bitPattern: events[i].tid))
        let (t, isNew) = seen.slot(of: key)
        if isNew { threads.append([]) }
        threads[t].append(Int32(i))
        threadOf[i] = Int32(t)
        if let f = events[i].flow { sendAt[f] = i }
        if events[i].call == .connect && events[i].failure == nil, let ino = events[i].socket?.inode {
          connectAt[ino] = i
        }
      }
      for t in threads.indices {
        var inOrder = true
        for k in threads[t].indices.dropFirst()
        where events[Int(threads[t][k - 1])].seq >= events[Int(threads[t][k])].seq {
          inOrder = false
          break
        }
        if !inOrder {
          threads[t].sort {
            (events[Int($0)].seq, events[Int($0)].time, $0) < (events[Int($1)].seq, events[Int($1)].time, $1)
          }
        }
      }
      // fork → the child's first steps. Only the order is given: a trace that has them the other
      // way is not reported as out of order (older merges placed them by time).
      var firstSteps: [Int32: [Int]] = [:]
      for t in threads.indices {
        firstSteps[events[Int(threads[t][0])].pid, default: []].append(Int(threads[t][0]))
      }
      var edges: [(Int32, Int32)] = []
      func add(_ cause: Int, _ effect: Int) { edges.append((Int32(cause), Int32(effect))) }
      for i in events.indices {
        events[i].forEachFlow { f in
          if let s = sendAt[f], s != i { add(s, i) }
        }
        if events[i].call == .fork, events[i].failure == nil, let child = Int32(exactly: events[i].ret),
          child > 0,
          child != events[i].pid
        {
          for first in firstSteps[child] ?? [] where first != i { add(i, first) }
        }
        if events[i].call == .accept || events[i].call == .accept4, let peer = Self.acceptedPeer(events[i]),
          let c = connectAt[peer], c != i
        {
          add(c, i)
        }
      }
      for (cause, effect) in Self.endOfFileEdges(events) { add(cause, effect) }
      for (cause, effect) in Self.readinessEdges(events, threads: threads) { add(cause, effect) }
      self.edges = edges
    }
  }

  /// Flow id → position, in an array while ids are dense (they are numbered from 1).
  package struct FlowPositions {
    private var dense: [Int32]
    private var sparse: [Int: Int] = [:]

    package init(capacity: Int) { dense = [Int32](repeating: -1, count: capacity + 1) }

    package subscript(flow: Int) -> Int? {
      get {
        if flow >= 0 && flow < dense.count { return dense[flow] < 0 ? nil : Int(dense[flow]) }
        return sparse[flow]
      }
      set {
        if flow >= 0 && flow < dense.count && newValue.map({ $0 <= Int(Int32.max) }) ?? true {
          dense[flow] = newValue.map { Int32($0) } ?? -1
        } else {
          sparse[flow] = newValue
        }
      }
    }
  }

  /// A binary heap of thread numbers, ordered by each thread's next step.
  struct ThreadHeap {
    private var items: [Int] = []

    mutating func push(_ t: Int, events threads: [[Int32]], next: [Int], precedes: (Int, Int) -> Bool) {
      items.append(t)
      var k = items.count - 1
      while k > 0 {
        let parent = (k - 1) / 2
        guard
          precedes(Int(threads[items[k]][next[items[k]]]), Int(threads[items[parent]][next[items[parent]]]))
        else {
          break
        }
        items.swapAt(k, parent)
        k = parent
      }
    }

    mutating func pop(events threads: [[Int32]], next: [Int], precedes: (Int, Int) -> Bool) -> Int? {
      guard let top = items.first else { return nil }
      let last = items.removeLast()
      guard !items.isEmpty else { return top }
      items[0] = last
      var k = 0
      while true {
        let l = 2 * k + 1
        let r = l + 1
        var best = k
        func head(_ n: Int) -> Int { Int(threads[items[n]][next[items[n]]]) }
        if l < items.count && precedes(head(l), head(best)) { best = l }
        if r < items.count && precedes(head(r), head(best)) { best = r }
        guard best != k else { break }
        items.swapAt(k, best)
        k = best
      }
      return top
    }
  }
}
