import Foundation
import Synchronization

/// Merges a trace directory's per-process logs into one timeline.
public enum TraceMerger {
  /// The merged trace and the log files it came from.
  public struct Result: Sendable {
    public var trace: Trace
    public var logFiles: [String]
  }

  /// Reads every `*.sslog` in `directory`, orders all events by time, links each receive to the
  /// sends that produced its data, and lists what was wrong (cut or damaged logs) in the header.
  public static func merge(directory: String) throws(TraceFileError) -> Result {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      throw TraceFileError(
        path: directory, message: "cannot list the directory: \(error.localizedDescription)")
    }
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
    return Result(trace: merge(logs: logs, problems: problems), logFiles: logFiles)
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
  /// them and links receives to sends.
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
    let notes = problems + FlowLinker.link(&events)
    let header = TraceHeader(
      t0: events.first?.time ?? 0, processes: processes.sorted { $0.pid < $1.pid }, problems: notes)
    return Trace(header: header, events: events)
  }

  static func iso8601(nanoseconds: Int64) -> String {
    let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
  }
}

/// Links each receive to the send (or, on a stream, the sends) whose data it returned.
///
/// A send's destination is the socket at its address (sendto) or its connected peer. A datagram
/// socket's queue is first in, first out, so the datagrams of one sending socket arrive in the
/// order it sent them; across senders the order is unknown, because a sender can be preempted
/// between queueing its datagram and reading the clock, and blocked senders wake in any order.
/// Each receive is therefore matched to the oldest unmatched send of one of the sending sockets,
/// preferring the one whose length and captured bytes agree, then the one that returned first.
/// Stream data is matched by byte offsets.
enum FlowLinker {
  static func link(_ events: inout [TraceEvent]) -> [String] {
    completePeers(&events)
    var boundSockets: [String: [(time: UInt64, inode: UInt64)]] = [:]
    var streamSockets = Set<UInt64>()
    // Fields are read in place (events[i].x) rather than through a copy of each event: a copy
    // retains and releases every payload, which showed in merges of a million events.
    for i in events.indices where events[i].failure == nil {
      switch events[i].call {
      case .bind:
        if let path = events[i].addressPath, let ino = events[i].socket?.inode {
          boundSockets[path, default: []].append((events[i].time, ino))
        }
      case .socket, .socketpair:
        if events[i].args["type"]?.stringValue?.hasPrefix("SOCK_STREAM") == true {
          if let ino = events[i].socket?.inode { streamSockets.insert(ino) }
          if let peer = events[i].socket?.peer { streamSockets.insert(peer) }
        }
      case .accept, .accept4:
        if let ino = events[i].args["new_sock"]?.objectValue?["ino"]?.intValue {
          streamSockets.insert(UInt64(ino))
        }
      case .connect:
        if let ino = events[i].socket?.inode, streamSockets.contains(ino), let peer = events[i].socket?.peer {
          streamSockets.insert(peer)
        }
      default: break
      }
    }

    var sendsTo: [UInt64: [Int]] = [:]
    var receivesOn: [UInt64: [Int]] = [:]
    var nextFlow = 1
    for i in events.indices where events[i].failure == nil {
      let call = events[i].call
      if call.sendsData {
        events[i].flow = nextFlow
        nextFlow += 1
        var destination = events[i].socket?.peer
        if call != .send && call != .write, let path = events[i].addressPath, let binds = boundSockets[path] {
          let time = events[i].time
          destination = binds.last { $0.time <= time }?.inode ?? destination
        }
        if let destination { sendsTo[destination, default: []].append(i) }
      } else if call.receivesData, let ino = events[i].socket?.inode,
        events[i].ret > 0 || events[i].data?.datagramLength != nil
      {
        receivesOn[ino, default: []].append(i)
      }
    }

    var notes: [String] = []
    for (inode, receives) in receivesOn.sorted(by: { $0.key < $1.key }) {
      let sends = sendsTo[inode] ?? []
      let unmatched =
        streamSockets.contains(inode)
        ? linkStream(&events, sends: sends, receives: receives)
        : linkDatagrams(&events, sends: sends, receives: receives)
      if unmatched > 0 && !sends.isEmpty {
        notes.append(
          "socket \(inode): \(unmatched) of \(receives.count) receives match no recorded send (was every sender traced?)"
        )
      }
    }
    return notes
  }

  /// Fills in the peer of stream sockets connected before their connection was accepted: at
  /// connect time the server's end has no inode yet, so the kernel cannot name it; the accept event
  /// names both ends.
  static func completePeers(_ events: inout [TraceEvent]) {
    var peerOf: [UInt64: UInt64] = [:]
    for e in events where e.succeeded && (e.call == .accept || e.call == .accept4) {
      guard let new = e.args["new_sock"]?.objectValue, let ino = new["ino"]?.intValue,
        let peer = new["peer"]?.intValue, ino > 0, peer > 0
      else { continue }
      peerOf[UInt64(ino)] = UInt64(peer)
      peerOf[UInt64(peer)] = UInt64(ino)
    }
    guard !peerOf.isEmpty else { return }
    for i in events.indices {
      guard let socket = events[i].socket, socket.peer == nil, let peer = peerOf[socket.inode] else {
        continue
      }
      if events[i].call == .socket { continue }  // Not connected yet when it was made.
      events[i].socket?.peer = peer
    }
  }

  /// Returns the number of receives left unmatched.
  static func linkDatagrams(_ events: inout [TraceEvent], sends: [Int], receives: [Int]) -> Int {
    // One queue of unmatched sends per sending socket, in the order they were made. A send whose
    // socket is unknown (an strace log without inodes) is keyed by its process and descriptor.
    var queueOf: [SenderKey: Int] = [:]
    var queues: [[Int]] = []
    for s in sends.sorted(by: { (events[$0].time, events[$0].seq) < (events[$1].time, events[$1].seq) }) {
      let key = SenderKey(events[s])
      if let q = queueOf[key] {
        queues[q].append(s)
      } else {
        queueOf[key] = queues.count
        queues.append([s])
      }
    }
    var heads = [Int](repeating: 0, count: queues.count)
    var unmatched = 0
    for r in receives.sorted(by: { events[$0].endTime < events[$1].endTime }) {
      let received = events[r].data
      let receiveEnd = events[r].endTime
      var best: (queue: Int, matches: Bool, end: UInt64)?
      for q in queues.indices where heads[q] < queues[q].count {
        let s = queues[q][heads[q]]
        guard events[s].time <= receiveEnd else { continue }
        let candidate = (
          queue: q, matches: sameDatagram(sent: events[s].data, received: received), end: events[s].endTime
        )
        if let b = best,
          (b.matches && !candidate.matches) || (b.matches == candidate.matches && b.end <= candidate.end)
        {
          continue
        }
        best = candidate
      }
      guard let pick = best else {
        unmatched += 1
        continue
      }
      if let flow = events[queues[pick.queue][heads[pick.queue]]].flow { events[r].flows = [flow] }
      heads[pick.queue] += 1
    }
    return unmatched
  }

  /// Who sent a datagram: its socket, or when that is unknown its process and descriptor.
  struct SenderKey: Hashable {
    var inode: UInt64?
    var pid: Int32
    var fd: Int32?

    init(_ send: TraceEvent) {
      if let inode = send.socket?.inode, inode != 0 {
        self.inode = inode
        pid = 0
        fd = nil
      } else {
        inode = nil
        pid = send.pid
        fd = send.fd
      }
    }
  }

  static func sameDatagram(sent: Payload?, received: Payload?) -> Bool {
    guard let sent, let got = received else { return false }
    guard (got.datagramLength ?? got.length) == sent.length else { return false }
    let n = min(sent.bytes.count, got.bytes.count)
    return sent.bytes.prefix(n) == got.bytes.prefix(n)
  }

  /// Matches stream receives to sends by byte ranges; returns receives with no sender bytes.
  static func linkStream(_ events: inout [TraceEvent], sends: [Int], receives: [Int]) -> Int {
    let ordered = sends.sorted { events[$0].endTime < events[$1].endTime }
    var sendEnds: [UInt64] = []
    var total: UInt64 = 0
    // Saturating sums: lengths come from logs and strace text, which may be damaged.
    func plus(_ a: UInt64, _ b: UInt64) -> UInt64 {
      let (sum, overflow) = a.addingReportingOverflow(b)
      return overflow ? .max : sum
    }
    for s in ordered {
      total = plus(total, events[s].data?.length ?? 0)
      sendEnds.append(total)
    }
    var offset: UInt64 = 0
    var cursor = 0
    var unmatched = 0
    for r in receives.sorted(by: { events[$0].endTime < events[$1].endTime }) {
      let length = events[r].data?.length ?? 0
      let range = offset..<plus(offset, length)
      offset = plus(offset, length)
      while cursor < sendEnds.count && sendEnds[cursor] <= range.lowerBound { cursor += 1 }
      var k = cursor
      var flows: [Int] = []
      while k < ordered.count {
        let start = k == 0 ? 0 : sendEnds[k - 1]
        guard start < range.upperBound else { break }
        if let flow = events[ordered[k]].flow { flows.append(flow) }
        k += 1
      }
      if flows.isEmpty { unmatched += 1 }
      events[r].flows = flows
    }
    return unmatched
  }
}
