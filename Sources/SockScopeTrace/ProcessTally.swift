/// Each process's events as a trace's lines hold them, gathered line by line, checked against
/// the header: `validate`'s rules that span lines of one process.
///
/// - The header's `events` for a process is the number of its lines in the file.
/// - Its `seq` numbers count 0, 1, 2… without gaps or repeats, in any line order (a merge may
///   order events by cause rather than by time). Gaps are allowed only up to the events the
///   header says were `dropped`. A pid listed more than once (a program that `exec`s starts a new
///   log) has its numbers counted once per entry.
/// - Every event's pid is one of the header's processes.
struct ProcessTally {
  /// A problem found: the line (1 for the header), the field, and what is wrong.
  typealias Problem = (line: Int, field: String?, message: String)

  private var slots: [Int32: Int] = [:]
  private var pids: [Int32] = []
  private var seqs: [[(seq: UInt64, line: Int)]] = []
  private var lastPid: Int32?
  private var lastSlot = 0

  /// Notes one event line.
  mutating func add(pid: Int32, seq: UInt64, line: Int) {
    // Events of one process usually come in runs: the last pid is checked before hashing.
    let slot: Int
    if pid == lastPid {
      slot = lastSlot
    } else if let known = slots[pid] {
      slot = known
    } else {
      slot = pids.count
      slots[pid] = slot
      pids.append(pid)
      seqs.append([])
    }
    lastPid = pid
    lastSlot = slot
    seqs[slot].append((seq, line))
  }

  /// What does not agree with `header`, by line. `unreadable` lines could not be read as events:
  /// already reported, they may be the missing events, which are then not reported again.
  func problems(against header: TraceHeader, unreadable: Int) -> [Problem] {
    var found: [Problem] = []
    var entries: [Int32: [Int]] = [:]
    for (n, p) in header.processes.enumerated() { entries[p.pid, default: []].append(n) }
    let groups = entries.sorted { $0.value[0] < $1.value[0] }
    let missing = groups.reduce(0) { sum, group in
      let expected = group.value.reduce(0) { $0 + header.processes[$1].events }
      return sum + max(0, expected - (slots[group.key].map { seqs[$0].count } ?? 0))
    }
    for (pid, indexes) in groups {
      let listed = indexes.map { header.processes[$0] }
      let expected = listed.reduce(0) { $0 + $1.events }
      let lines = slots[pid].map { seqs[$0] } ?? []
      guard lines.count == expected else {
        if lines.count > expected || missing > unreadable {
          found.append(countProblem(pid: pid, listed: listed, field: indexes[0], present: lines.count))
        }
        continue
      }
      if let problem = seqProblem(pid: pid, listed: listed, lines: lines) { found.append(problem) }
    }
    for (slot, pid) in pids.enumerated() where entries[pid] == nil {
      let first = seqs[slot].map(\.line).min() ?? 0
      found.append(
        (
          first, "pid",
          "pid \(pid) is not one of the header's processes (\(seqs[slot].count) events of it are here)"
        ))
    }
    return found.sorted { $0.line < $1.line }
  }

  private func countProblem(pid: Int32, listed: [TracedProcess], field: Int, present: Int) -> Problem {
    let expected = listed.reduce(0) { $0 + $1.events }
    let ended = Set(listed.map(\.ending.rawValue)).sorted().map { "\"\($0)\"" }.joined(separator: " and ")
    let who = "pid \(pid) (\(listed[0].role))"
    let difference =
      present < expected
      ? "\(expected - present) event\(expected - present == 1 ? " is" : "s are") missing"
      : "\(present - expected) more than the header counts"
    return (
      1, "processes[\(field)].events",
      "the header says \(who) made \(expected) event\(expected == 1 ? "" : "s") and ended \(ended); "
        + "\(present) line\(present == 1 ? " is" : "s are") here: \(difference)"
    )
  }

  /// The first gap or repeat in one process's seq numbers, beyond what `dropped` accounts for.
  private func seqProblem(pid: Int32, listed: [TracedProcess], lines: [(seq: UInt64, line: Int)]) -> Problem?
  {
    var sorted = lines
    if !zip(sorted, sorted.dropFirst()).allSatisfy({ $0.seq <= $1.seq }) {
      sorted.sort { ($0.seq, $0.line) < ($1.seq, $1.line) }
    }
    let dropped = listed.reduce(UInt64(0)) { $0 &+ $1.dropped }
    // How many events may carry `seq`: one per log of this pid that made more than `seq` events.
    let counts = listed.map { UInt64($0.events) }
    func allowed(_ seq: UInt64) -> Int { counts.count { $0 > seq } }
    var missing: UInt64 = 0
    var next: UInt64 = 0
    var k = 0
    while k < sorted.count {
      let seq = sorted[k].seq
      var end = k
      while end < sorted.count, sorted[end].seq == seq { end += 1 }
      if seq > next {
        // Seqs next..<seq are absent: each was owed once per log that made that many events.
        missing &+= counts.reduce(UInt64(0)) { sum, c in sum &+ (min(c, seq) > next ? min(c, seq) - next : 0)
        }
        if missing > dropped {
          let gap = seq - next == 1 ? "seq \(next)" : "seq \(next) to \(seq - 1)"
          return (
            sorted[k].line, "seq",
            "pid \(pid): no event has \(gap) (a process's events count 0, 1, 2… without gaps)"
              + (dropped > 0 ? ", more than the \(dropped) the header says were dropped" : "")
              + ": events are missing"
          )
        }
      }
      if end - k > max(allowed(seq), 1) {
        return (
          sorted[k + 1].line, "seq",
          "pid \(pid): seq \(seq) is used \(end - k) times (lines "
            + sorted[k..<end].map { String($0.line) }.joined(separator: ", ") + "); each event has its own"
        )
      }
      next = seq &+ 1
      k = end
    }
    return nil
  }
}
