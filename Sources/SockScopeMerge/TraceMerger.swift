import Foundation
import SockScopeOutput
public import SockScopeTrace
import Synchronization

/// Merges a trace directory's per-process logs into one timeline, in causal order.
public enum TraceMerger {
  /// The merged trace and the log files it came from.
  public struct Result: Sendable {
    /// The merged, linked trace in causal order.
    public var trace: Trace
    /// The per-process logs it was merged from.
    public var logFiles: [String]
  }

  /// Reads every `*.sslog` in `directory`, links each receive to the sends that produced its data,
  /// puts all events in causal order (`CausalOrder`), names every process as its own participant
  /// (`ParticipantNames`), and lists what was wrong (cut or damaged logs) in the header.
  public static func merge(directory: String) throws(TraceFileError) -> Result {
    let names = try FileIO.entries(of: directory)
    let logFiles = names.filter { $0.hasSuffix("." + ProcessLog.fileExtension) }.sorted()
      .map { (directory as NSString).appendingPathComponent($0) }
    guard !logFiles.isEmpty else {
      throw TraceFileError(
        path: directory,
        message:
          "holds no per-process logs (*.sslog); record a run into it first, e.g. `sockscope demo --out DIR`")
    }
    // One log per process, decoded in parallel into one array, in time order when each log is.
    var events: [TraceEvent] = []
    var inTimeOrder = false
    var read: [Swift.Result<ProcessLog, TraceFileError>]
    if var decoded = TimelineDecoder.decode(paths: logFiles) {
      // Swapped out, not copied: the events must have one owner, or putting them in order in
      // place copies them first.
      swap(&events, &decoded.events)
      inTimeOrder = decoded.inTimeOrder
      read = decoded.logs
    } else {
      // Logs too large to give each its room in advance: each decoded into a list of its own.
      read = decodeEach(logFiles)
    }
    var logs: [ProcessLog] = []
    var problems: [String] = []
    var failures: [TraceFileError] = []
    for result in read {
      switch result {
      case .success(let log): logs.append(log)
      case .failure(let error):
        problems.append("\(error); the file was left out")
        failures.append(error)
      }
    }
    read = []
    guard !logs.isEmpty else {
      // Not a trace with no events: nothing in the directory could be read.
      let n = logFiles.count
      let denied = failures.contains { $0.errno == EACCES || $0.errno == EPERM }
      throw TraceFileError(
        path: directory,
        message: "none of its \(n) per-process log\(n == 1 ? "" : "s") (*.sslog) could be read: "
          + failures.prefix(3).map(\.description).joined(separator: "; ") + (n > 3 ? "; …" : "")
          + (denied ? ". Check the files' permissions" : ". Record the run again (sockscope record or demo)"))
    }
    ProcessEndings.resolve(
      &logs, exits: ProcessExit.read(directory: directory, names: names), isAlive: ProcessEndings.isRunning)
    var trace: Trace
    if events.isEmpty && logs.contains(where: { !$0.events.isEmpty }) {
      trace = merge(logs: consume logs, problems: problems)
    } else {
      trace = merge(events: consume events, inTimeOrder: inTimeOrder, logs: logs, problems: problems)
    }
    // Merged on the machine that recorded the run (record, demo, merge): its datagram queue limit.
    trace.header.maxDatagramQueueLength = TraceHeader.maxDatagramQueueLengthOfThisMachine()
    return Result(trace: trace, logFiles: logFiles)
  }

  /// Reads each log into a list of its own, in parallel.
  static func decodeEach(_ logFiles: [String]) -> [Swift.Result<ProcessLog, TraceFileError>] {
    let results = Mutex([Swift.Result<ProcessLog, TraceFileError>?](repeating: nil, count: logFiles.count))
    DispatchQueue.concurrentPerform(iterations: logFiles.count) { n in
      let result = Swift.Result { () throws(TraceFileError) in try ProcessLog.read(path: logFiles[n]) }
      results.withLock { $0[n] = result }
    }
    // Taken out of the lock, not copied: a log's events must have one owner, or moving them into
    // the timeline copies them first (every event retained and released, and held twice).
    let taken = results.withLock { held in
      var taken: [Swift.Result<ProcessLog, TraceFileError>?] = []
      swap(&taken, &held)
      return taken
    }
    return taken.compactMap { $0 }
  }

  /// Merges logs already read.
  public static func merge(logs: consuming [ProcessLog], problems: [String] = []) -> Trace {
    let bases = sequenceBases(
      of: logs.map { log in
        // Read in place: `map` would copy (retain and release) every event.
        var last: UInt64?
        for k in log.events.indices { last = max(last ?? 0, log.events[k].seq) }
        return (log.process.pid, log.startMonotonic, last)
      })
    // The events are moved out of the logs, not copied: they are most of a merge's memory.
    var lists: [[TraceEvent]] = []
    for i in logs.indices {
      lists.append([])
      swap(&lists[i], &logs[i].events)
      if bases[i] > 0 {
        for k in lists[i].indices { lists[i][k].seq &+= bases[i] }
      }
    }
    return merge(events: join(consume lists), inTimeOrder: false, logs: logs, problems: problems)
  }

  /// Where each log's `seq` continues from. A process that called exec has a log per program,
  /// each numbering its events from 0: the later program's continue the earlier's, so one
  /// process's calls stay in program order. Each log is given as its pid, when it was opened and
  /// its largest `seq` (nil: no events), or nil when it could not be read.
  static func sequenceBases(of logs: [(pid: Int32, start: UInt64, lastSeq: UInt64?)?]) -> [UInt64] {
    var bases = [UInt64](repeating: 0, count: logs.count)
    var nextSeq: [Int32: UInt64] = [:]
    let read = logs.indices.compactMap { i in logs[i].map { (i, $0) } }
    for (i, log) in read.sorted(by: { $0.1.start < $1.1.start }) {
      let base = nextSeq[log.pid] ?? 0
      bases[i] = base
      if let last = log.lastSeq { nextSeq[log.pid] = last &+ base &+ 1 }
    }
    return bases
  }

  /// Merges the events of `logs`, their `seq` continued across a process's programs, in time order
  /// already when `inTimeOrder`.
  static func merge(
    events: consuming [TraceEvent], inTimeOrder: Bool, logs: [ProcessLog], problems: [String]
  ) -> Trace {
    var trace = order(
      events: consume events, inTimeOrder: inTimeOrder, processes: logs.map(\.process),
      problems: problems + logs.flatMap(\.problems))
    trace.header.captureLimit = logs.map(\.captureLimit).max()
    if let earliest = logs.min(by: { $0.startMonotonic < $1.startMonotonic }) {
      if trace.events.isEmpty { trace.header.t0 = earliest.startMonotonic }
      let offset = Int64(bitPattern: trace.header.t0 &- earliest.startMonotonic)
      trace.header.started = iso8601(nanoseconds: Int64(clamping: earliest.startRealtime) + offset)
    }
    return trace
  }

  /// Orders events from any source (per-process logs, an strace log) into one timeline, numbers
  /// them, links receives to sends and names the participants.
  public static func merge(
    events unordered: [TraceEvent], processes: [TracedProcess], problems: [String] = []
  )
    -> Trace
  {
    order(events: unordered, inTimeOrder: false, processes: processes, problems: problems)
  }

  static func merge(
    eventLists: consuming [[TraceEvent]], processes: [TracedProcess], problems: [String]
  ) -> Trace {
    order(events: join(eventLists), inTimeOrder: false, processes: processes, problems: problems)
  }

  /// The lists as one array, each list freed as it is moved in.
  static func join(_ eventLists: consuming [[TraceEvent]]) -> [TraceEvent] {
    [TraceEvent](unsafeUninitializedCapacity: eventLists.reduce(0) { $0 + $1.count }) {
      joined, count in
      for l in eventLists.indices {
        // Moved, not copied: a copy retained and then released everything each event holds.
        eventLists[l].withUnsafeMutableBufferPointer { list in
          guard let from = list.baseAddress, let to = joined.baseAddress else { return }
          (to + count).moveInitialize(from: from, count: list.count)
          count += list.count
          // The list still counts its events: it gets empty ones, which hold nothing to release.
          list.initialize(repeating: TraceEvent.vacant)
        }
        eventLists[l] = []
      }
    }
  }

  /// Puts `events` in time order unless they are already, then links, orders causally, numbers
  /// flows and names participants.
  static func order(
    events: consuming [TraceEvent], inTimeOrder: Bool, processes: [TracedProcess], problems: [String]
  ) -> Trace {
    if !inTimeOrder { sortByTime(&events) }
    for i in events.indices { events[i].index = i }
    var notes = problems + FlowLinker.link(&events)
    FreedMemory.release()
    let t0 = events.first?.time ?? 0
    let broken = CausalOrder.apply(&events)
    FreedMemory.release()
    if broken > 0 {
      notes.append(
        "\(broken) cycle\(broken == 1 ? "" : "s") in the causal order (links that contradict each other) "
          + "were broken by time")
    }
    numberFlowsInOrder(&events)
    FreedMemory.release()
    var named = processes.sorted { $0.pid < $1.pid }
    ParticipantNames.assign(&named, events: &events)
    let header = TraceHeader(t0: t0, processes: named, problems: notes)
    return Trace(header: header, events: events)
  }

  /// Sorts `events` by time, pid and `seq`, by small keys, and puts them in that order in place,
  /// so they are never held twice.
  static func sortByTime(_ events: inout [TraceEvent]) {
    // 16 bytes an event: `seq` is read from the events, for the few ties of time and pid.
    var keys: [(time: UInt64, pid: Int32, index: UInt32)] = []
    keys.reserveCapacity(events.count)
    for i in events.indices {
      keys.append((events[i].time, events[i].pid, UInt32(truncatingIfNeeded: i)))
    }
    events.withUnsafeBufferPointer { events in
      keys.sort { a, b in
        if a.time != b.time { return a.time < b.time }
        if a.pid != b.pid { return a.pid < b.pid }
        return events[Int(a.index)].seq < events[Int(b.index)].seq
      }
    }
    events.permute(to: keys.map(\.index))
    keys = []
    FreedMemory.release()
  }

  /// Renumbers flow ids from 1 in step order, so that reading a trace top to bottom meets them in
  /// order.
  static func numberFlowsInOrder(_ events: inout [TraceEvent]) {
    var renumbered = CausalOrder.FlowPositions(capacity: events.count)
    var next = 1
    for i in events.indices {
      guard let flow = events[i].flow else { continue }
      renumbered[flow] = next
      events[i].flow = next
      next += 1
    }
    // In place: reading an event's fields from here copied the event.
    for i in events.indices { events[i].renumberReceivedFlows { renumbered[$0] } }
  }

  static func iso8601(nanoseconds: Int64) -> String {
    let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
  }
}
