import Foundation
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
    // One log per process, decoded in parallel: decoding is most of a merge's time.
    let results = Mutex([Swift.Result<ProcessLog, TraceFileError>?](repeating: nil, count: logFiles.count))
    DispatchQueue.concurrentPerform(iterations: logFiles.count) { n in
      let result = Swift.Result { () throws(TraceFileError) in try ProcessLog.read(path: logFiles[n]) }
      results.withLock { $0[n] = result }
    }
    var logs: [ProcessLog] = []
    var problems: [String] = []
    for result in results.withLock({ $0 }) {
      switch result {
      case .success(let log): logs.append(log)
      case .failure(let error): problems.append("\(error); the file was left out")
      case nil: break
      }
    }
    guard !logs.isEmpty else {
      // Not a trace with no events: nothing in the directory could be read.
      let n = logFiles.count
      let failures = results.withLock { $0 }.compactMap { result -> TraceFileError? in
        guard case .failure(let error)? = result else { return nil }
        return error
      }
      let denied = failures.contains { $0.errno == EACCES || $0.errno == EPERM }
      throw TraceFileError(
        path: directory,
        message: "none of its \(n) per-process log\(n == 1 ? "" : "s") (*.sslog) could be read: "
          + failures.prefix(3).map(\.description).joined(separator: "; ") + (n > 3 ? "; …" : "")
          + (denied ? ". Check the files' permissions" : ". Record the run again (sockscope record or demo)"))
    }
    ProcessEndings.resolve(
      &logs, exits: ProcessExit.read(directory: directory, names: names), isAlive: ProcessEndings.isRunning)
    var trace = merge(logs: logs, problems: problems)
    // Merged on the machine that recorded the run (record, demo, merge): its datagram queue limit.
    trace.header.maxDatagramQueueLength = TraceHeader.maxDatagramQueueLengthOfThisMachine()
    return Result(trace: trace, logFiles: logFiles)
  }

  /// Merges logs already read.
  public static func merge(logs: [ProcessLog], problems: [String] = []) -> Trace {
    var trace = merge(
      eventLists: logs.map(\.events), processes: logs.map(\.process),
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
    merge(eventLists: [unordered], processes: processes, problems: problems)
  }

  static func merge(eventLists: [[TraceEvent]], processes: [TracedProcess], problems: [String]) -> Trace {
    // Sorting small keys and placing each event once is much cheaper than moving whole events
    // around while sorting.
    var keys: [(time: UInt64, pid: Int32, seq: UInt64, list: Int, index: Int)] = []
    keys.reserveCapacity(eventLists.reduce(0) { $0 + $1.count })
    for (l, list) in eventLists.enumerated() {
      for (i, e) in list.enumerated() { keys.append((e.time, e.pid, e.seq, l, i)) }
    }
    keys.sort { ($0.time, $0.pid, $0.seq) < ($1.time, $1.pid, $1.seq) }
    var events: [TraceEvent] = []
    events.reserveCapacity(keys.count)
    for (i, key) in keys.enumerated() {
      events.append(eventLists[key.list][key.index])
      events[i].index = i
    }
    var notes = problems + FlowLinker.link(&events)
    let t0 = events.first?.time ?? 0
    let broken = CausalOrder.apply(&events)
    if broken > 0 {
      notes.append(
        "\(broken) cycle\(broken == 1 ? "" : "s") in the causal order (links that contradict each other) "
          + "were broken by time")
    }
    numberFlowsInOrder(&events)
    var named = processes.sorted { $0.pid < $1.pid }
    ParticipantNames.assign(&named, events: &events)
    let header = TraceHeader(t0: t0, processes: named, problems: notes)
    return Trace(header: header, events: events)
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
    for i in events.indices where !events[i].flows.isEmpty {
      events[i].flows = events[i].flows.compactMap { renumbered[$0] }
      if !events[i].flowCandidates.isEmpty {
        events[i].flowCandidates = events[i].flowCandidates.compactMap { renumbered[$0] }.sorted()
      }
    }
  }

  static func iso8601(nanoseconds: Int64) -> String {
    let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
  }
}

extension TraceHeader {
  /// `/proc/sys/net/unix/max_dgram_qlen` now, or nil when it cannot be read.
  public static func maxDatagramQueueLengthOfThisMachine() -> Int? {
    guard let file = fopen("/proc/sys/net/unix/max_dgram_qlen", "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 32)
    guard fgets(&buffer, 32, file) != nil else { return nil }
    let digits = buffer.prefix { $0 >= 0x30 && $0 <= 0x39 }.map { UInt8(bitPattern: $0) }
    return Int(String(decoding: digits, as: UTF8.self))
  }
}
