import CSockScopeLog
import Foundation
import SockScopeOutput
import SockScopeTrace
import Synchronization

/// Decodes a merge's per-process logs straight into one array of events, in parallel, and in
/// time order when every log's own events are.
///
/// Each log gets a region of scratch space as large as its file could hold
/// (`ProcessLog.room(in:)`: address space, not memory, until it is filled). The events are then
/// moved out of the regions into the timeline, the regions' pages handed back to the kernel as
/// they empty, so no event is held twice (but for about a megabyte of slack a log). A process's
/// log is nearly always in time order already (one thread, or threads whose calls did not
/// overlap), so the move merges the regions by time and the timeline needs no sort; otherwise the
/// regions are moved one after another and the merge sorts them (`TraceMerger.order`).
enum TimelineDecoder {
  /// The events of every log that could be read, and each log (its `events` empty), or why it
  /// could not be read, in the order of `paths`.
  struct Decoded {
    var events: [TraceEvent]
    /// Whether `events` are in the timeline's order (time, pid, seq) already.
    var inTimeOrder: Bool
    var logs: [Swift.Result<ProcessLog, TraceFileError>]
  }

  /// At most this many events of room in all: beyond it, logs are decoded into lists of their
  /// own, which grow as needed (`ProcessLog.read`), rather than claim more address space than the
  /// machine may grant.
  static let largestRoom = 1 << 24

  /// Decodes the logs at `paths`; nil when they could hold more than `largestRoom` events.
  static func decode(paths: [String]) -> Decoded? {
    var files: [Swift.Result<(fd: Int32, room: Int), TraceFileError>] = []
    for path in paths {
      do throws(TraceFileError) {
        let (fd, st) = try FileIO.openForReading(path, origin: .directoryEntry)
        let size = Int(st.st_size)
        let head = MemoryLayout<sockscope_record_head>.size
        files.append(.success((fd, max(0, (size - Int(SOCKSCOPE_LOG_HEADER_SIZE)) / head))))
      } catch {
        files.append(.failure(error))
      }
    }
    defer {
      for case .success(let file) in files { close(file.fd) }
    }
    let rooms = files.map { (try? $0.get().room) ?? 0 }
    let total = rooms.reduce(0, +)
    guard total <= largestRoom else { return nil }
    var slotStarts: [Int] = []
    var next = 0
    for room in rooms {
      slotStarts.append(next)
      next += room
    }
    let firstSlot = slotStarts

    // Scratch space, never initialized as a whole: every event placed here is moved out below.
    let scratch = UnsafeMutablePointer<TraceEvent>.allocate(capacity: max(total, 1))
    defer { scratch.deallocate() }
    let results = Mutex([Piece?](repeating: nil, count: paths.count))
    let shared = Slots(base: scratch)
    let opened = files
    DispatchQueue.concurrentPerform(iterations: paths.count) { n in
      guard case .success(let file) = opened[n] else { return }
      let piece = decodeOne(path: paths[n], fd: file.fd, into: shared.base + firstSlot[n], room: file.room)
      results.withLock { $0[n] = piece }
    }
    var pieces = results.withLock { held in
      var taken: [Piece?] = []
      swap(&taken, &held)
      return taken
    }

    var logs: [Swift.Result<ProcessLog, TraceFileError>] = []
    var parts: [Piece?] = []  // Beside `logs`: where a log read has its events.
    var starts: [Int] = []
    for n in paths.indices {
      if case .failure(let error) = files[n] {
        logs.append(.failure(error))
        parts.append(nil)
        starts.append(0)
        continue
      }
      guard let piece = pieces[n] else { continue }
      pieces[n] = nil
      logs.append(piece.log)
      parts.append(piece)
      starts.append(firstSlot[n])
    }
    // A process that called exec has a log per program, each numbering its events from 0.
    let bases = TraceMerger.sequenceBases(
      of: logs.indices.map { i in
        guard case .success(let log) = logs[i], let part = parts[i] else { return nil }
        return (log.process.pid, log.startMonotonic, part.lastSeq)
      })
    var runs: [Run] = []
    var beyond: [TraceEvent] = []
    for i in parts.indices {
      guard var part = parts[i] else { continue }
      parts[i] = nil
      let run = Run(scratch + starts[i], count: part.filled)
      if bases[i] > 0 {
        for k in 0..<part.filled { (run.next + k).pointee.seq &+= bases[i] }
        for k in part.beyond.indices { part.beyond[k].seq &+= bases[i] }
      }
      runs.append(run)
      // Events beyond the room (a log still growing while it was read) go after the rest.
      beyond.append(contentsOf: part.beyond)
    }
    let inTimeOrder = beyond.isEmpty && runs.allSatisfy { $0.isInTimeOrder }
    // Room for the events beyond too, so that appending them does not copy the timeline.
    let capacity = runs.reduce(beyond.count) { $0 + $1.count }
    var events = [TraceEvent](unsafeUninitializedCapacity: capacity) {
      timeline, initialized in
      guard let out = timeline.baseAddress else { return }
      if inTimeOrder {
        initialized = merge(&runs, into: out)
      } else {
        for r in runs.indices { initialized += runs[r].drain(into: out + initialized) }
      }
    }
    events.append(contentsOf: beyond)
    return Decoded(events: events, inTimeOrder: inTimeOrder, logs: logs)
  }

  /// Moves the events of `runs`, each in time order, into `out` in time order; returns how many.
  /// Ties of time go to the smaller pid, then the smaller `seq`, then the earlier run: the order a
  /// stable sort of the runs one after another by (time, pid, seq) gives.
  static func merge(_ runs: inout [Run], into out: UnsafeMutablePointer<TraceEvent>) -> Int {
    func precedes(_ a: Int, _ b: Int) -> Bool {
      let x = runs[a].next
      let y = runs[b].next
      if x.pointee.time != y.pointee.time { return x.pointee.time < y.pointee.time }
      if x.pointee.pid != y.pointee.pid { return x.pointee.pid < y.pointee.pid }
      if x.pointee.seq != y.pointee.seq { return x.pointee.seq < y.pointee.seq }
      return a < b
    }
    // A binary heap of the runs not yet empty, by their next event: a class of many processes
    // merges in O(n log k).
    var heap = runs.indices.filter { runs[$0].count > 0 }
    func siftDown(_ from: Int) {
      var i = from
      while true {
        let l = 2 * i + 1
        let r = l + 1
        var least = i
        if l < heap.count && precedes(heap[l], heap[least]) { least = l }
        if r < heap.count && precedes(heap[r], heap[least]) { least = r }
        if least == i { return }
        heap.swapAt(i, least)
        i = least
      }
    }
    for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    // What each run may hold of events already moved before its pages go back: a megabyte, and
    // the runs together at most about 8 MiB, however many there are (a class's thousand logs each
    // under a megabyte would otherwise keep their moved events until each emptied: the timeline
    // held twice).
    let slack = max(Run.pageSize, min(1 << 20, (8 << 20) / max(heap.count, 1)))
    var written = 0
    while let top = heap.first {
      // The last run left (a single log, or the last log's tail) is drained, its pages handed
      // back a piece at a time: moved one by one, it kept them all until it was empty.
      guard heap.count > 1 else {
        written += runs[top].drain(into: out + written)
        break
      }
      // The runner-up's next event: the top run's events go out until one comes after it.
      let second = heap.count < 3 || precedes(heap[1], heap[2]) ? heap[1] : heap[2]
      repeat {
        runs[top].moveNext(to: out + written)
        written += 1
      } while !runs[top].isEmpty && precedes(top, second)
      runs[top].releaseConsumedPages(atLeast: runs[top].isEmpty ? 0 : slack)
      if runs[top].isEmpty {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
      }
      siftDown(0)
    }
    return written
  }

  /// One log's outcome: the log (its `events` empty), how many events it placed in its region,
  /// those that did not fit, and the largest `seq` among them.
  struct Piece: Sendable {
    var log: Swift.Result<ProcessLog, TraceFileError>
    var filled: Int
    var beyond: [TraceEvent]
    var lastSeq: UInt64?
  }

  /// Where the events go, shared by the decoding threads: each writes only its own region.
  private struct Slots: @unchecked Sendable {
    let base: UnsafeMutablePointer<TraceEvent>
  }

  /// Decodes the log open as `fd` into `room` slots at `slots`.
  static func decodeOne(
    path: String, fd: Int32, into slots: UnsafeMutablePointer<TraceEvent>, room: Int
  )
    -> Piece
  {
    var window = LogWindow(fd: fd, path: path)
    var filled = 0
    var beyond: [TraceEvent] = []
    var lastSeq: UInt64?
    do throws(TraceFileError) {
      let log = try ProcessLog.decode(&window, path: path) { event in
        lastSeq = max(lastSeq ?? 0, event.seq)
        if filled < room {
          (slots + filled).initialize(to: consume event)
          filled += 1
        } else {
          beyond.append(event)
        }
      }
      ProcessLog.resolveNativeSources(in: UnsafeMutableBufferPointer(start: slots, count: filled))
      if !beyond.isEmpty {
        beyond.withUnsafeMutableBufferPointer { ProcessLog.resolveNativeSources(in: $0) }
      }
      return Piece(log: .success(log), filled: filled, beyond: beyond, lastSeq: lastSeq)
    } catch {
      // What was decoded before the log proved unreadable is left out with it.
      slots.deinitialize(count: filled)
      return Piece(log: .failure(error), filled: 0, beyond: [], lastSeq: nil)
    }
  }
}
