import SockScopeTrace

extension RunSchematic {
  /// One process's calls as steps, and its loop.
  ///
  /// Consecutive calls that move data fold into one step when they are the same call on the same
  /// socket with the same arguments and outcome. Then the loop: with `body` (the call families of
  /// the documented loop, such as `recv, send` for a request/reply server or `accept, recv, close`
  /// for a stream server's accept loop), the first place where those steps repeat in a row; without
  /// it (or with a body of one call), the loop is found once the column's processes are added up.
  static func fold(
    _ events: [TraceEvent], body: [String]?, streams: Set<UInt64>
  ) -> (steps: [Step], loop: Loop?) {
    var steps: [Step] = []
    var keys: [FoldKey] = []
    for e in events {
      let key = FoldKey(e, streams: streams)
      var cut: (full: UInt64, kept: UInt64)?
      if let d = e.data, d.datagramWasCut, let full = d.datagramLength { cut = (full, d.length) }
      let moved = (e.call.sendsData || e.call.receivesData) && key.empty == nil ? e.data : nil
      // Mutate the last step in place: holding a copy of it (`if let last = steps.last`) would
      // make every append copy its arrays, quadratic in the length of a loop.
      let n = steps.count - 1
      if n >= 0, keys[n] == key, key.folds {
        steps[n].count += 1
        if let moved { steps[n].data.append(moved) }
        steps[n].events.append(e.index)
        if steps[n].cut == nil { steps[n].cut = cut }
      } else {
        keys.append(key)
        steps.append(
          Step(
            call: e.call, arguments: key.arguments, count: 1, data: moved.map { [$0] } ?? [],
            failure: e.failure,
            cut: cut, empty: key.empty, events: [e.index], text: e.stepText))
      }
    }
    if let body, body.count > 1 {
      // A loop inside the loop (a stream server's accept loop around each connection's
      // request/reply exchange, which the format cannot nest): each run of a pair of the body's
      // consecutive steps, repeated, may count as one pass of the pair. The reading with more
      // passes of the body wins; the plain one on a tie.
      let plain = repeatedBlock(steps, body: body)
      let nested = repeatedBlock(collapsingPairs(steps, of: body), body: body)
      if let nested, nested.loop.count > plain?.loop.count ?? 0 { return nested }
      if let plain { return plain }
    }
    // A loop of one call is found over the whole column (`singleStepLoop`).
    return (steps, nil)
  }

  /// The loop of a column whose loop is one call: its first data step that ran more often than
  /// the column has processes.
  static func singleStepLoop(_ column: Column) -> Loop? {
    let s = column.steps.firstIndex {
      ($0.call.sendsData || $0.call.receivesData) && $0.count > column.roles.count && $0.omitted == 0
    }
    return s.map { Loop(range: $0..<($0 + 1), count: column.steps[$0].count) }
  }

  /// The first place where steps of the families `body` follow each other one or more times in a
  /// row, each repetition made of like steps; the repetitions folded into one.
  static func repeatedBlock(_ steps: [Step], body: [String]) -> (steps: [Step], loop: Loop)? {
    let b = body.count
    func block(at i: Int) -> Bool {
      i + b <= steps.count
        && zip(body, steps[i..<(i + b)]).allSatisfy { $0 == $1.call.family && $1.omitted == 0 }
    }
    func same(_ i: Int, _ j: Int) -> Bool { (0..<b).allSatisfy { like(steps[i + $0], steps[j + $0]) } }
    guard let start = steps.indices.first(where: block) else { return nil }
    var end = start + b
    var repetitions = 1
    while block(at: end), same(start, end) {
      end += b
      repetitions += 1
    }
    var folded = Array(steps[start..<(start + b)])
    var j = start + b
    while j < end {
      for k in 0..<b {
        folded[k].count += steps[j + k].count
        folded[k].data += steps[j + k].data
        folded[k].events += steps[j + k].events
        if folded[k].cut == nil { folded[k].cut = steps[j + k].cut }
      }
      j += b
    }
    // A body of one step counts the calls it folded; a longer one, its passes.
    let count = b == 1 ? folded[0].count : repetitions
    return (
      Array(steps[..<start]) + folded + Array(steps[end...]), Loop(range: start..<(start + b), count: count)
    )
  }

  /// `steps` with each run of a pair `x, y` that follows itself (`recv, send, recv, send`) folded
  /// into one `x, y` whose counts add up, for each pair of families consecutive in `body`.
  static func collapsingPairs(_ steps: [Step], of body: [String]) -> [Step] {
    let pairs = Set(zip(body, body.dropFirst()).map { [$0, $1] })
    var out: [Step] = []
    var i = 0
    while i < steps.count {
      if i + 3 < steps.count, pairs.contains([steps[i].call.family, steps[i + 1].call.family]),
        like(steps[i + 2], steps[i]), like(steps[i + 3], steps[i + 1])
      {
        var pair = [steps[i], steps[i + 1]]
        var j = i + 2
        while j + 1 < steps.count, like(steps[j], pair[0]), like(steps[j + 1], pair[1]) {
          for k in 0..<2 {
            pair[k].count += steps[j + k].count
            pair[k].data += steps[j + k].data
            pair[k].events += steps[j + k].events
          }
          j += 2
        }
        out += pair
        i = j
      } else {
        out.append(steps[i])
        i += 1
      }
    }
    return out
  }

  /// Whether two steps are the same call with the same arguments and outcome.
  static func like(_ x: Step, _ y: Step) -> Bool {
    x.call == y.call && x.arguments == y.arguments && x.failure?.name == y.failure?.name && x.empty == y.empty
      && x.omitted == 0 && y.omitted == 0
  }

  /// What must be the same for two consecutive calls to be one step.
  struct FoldKey: Equatable {
    var call: SocketCall
    var arguments: [StepArgument]
    var socket: UInt64?
    var failed: Bool
    var empty: EmptyReceive?

    init(_ e: TraceEvent, streams: Set<UInt64>) {
      call = e.call
      arguments = e.stepArguments
      socket = e.socket?.inode
      failed = e.failure != nil
      if e.call.receivesData, e.failure == nil, e.ret == 0 {
        empty = e.socket.map { streams.contains($0.inode) } == true ? .endOfFile : .emptyDatagram
      }
    }

    /// Only successful calls that moved data fold: a failure, an end of file and any other call
    /// are steps of their own.
    var folds: Bool { (call.sendsData || call.receivesData) && !failed && empty == nil }
  }
}
