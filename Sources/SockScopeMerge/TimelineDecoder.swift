import CSockScopeLog
import Foundation
import SockScopeOutput
import SockScopeTrace
import Synchronization

/// Decodes a merge's per-process logs straight into one array of events, in parallel.
///
/// Decoding each log into its own list and then moving the lists into one array held the largest
/// list twice for a moment, and wrote every event to fresh pages twice. Here each log gets a
/// region of one array, as large as its file could hold (`ProcessLog.room(in:)`: address space,
/// not memory, until it is filled); the regions are then moved together, a piece at a time, and
/// each piece's old pages handed back to the kernel as soon as it has moved.
enum TimelineDecoder {
  /// The events of every log that could be read, and each log (its `events` empty) with where
  /// its events are in that array, or why it could not be read, in the order of `paths`.
  struct Decoded {
    var events: [TraceEvent]
    var logs: [Swift.Result<(log: ProcessLog, ranges: [Range<Int>]), TraceFileError>]
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

    let results = Mutex([Piece?](repeating: nil, count: paths.count))
    var ranges = [[Range<Int>]](repeating: [], count: paths.count)
    var events = [TraceEvent](unsafeUninitializedCapacity: total) { storage, initialized in
      guard let slots = storage.baseAddress else { return }
      let shared = Slots(base: slots)
      let files = files
      DispatchQueue.concurrentPerform(iterations: paths.count) { n in
        guard case .success(let file) = files[n] else { return }
        let piece = decodeOne(path: paths[n], fd: file.fd, into: shared.base + firstSlot[n], room: file.room)
        results.withLock { $0[n] = piece }
      }
      // The regions moved together, in order, each a piece at a time.
      for n in paths.indices {
        let filled = results.withLock { $0[n]?.filled ?? 0 }
        move(slots + firstSlot[n], count: filled, to: slots + initialized)
        ranges[n] = [initialized..<initialized + filled]
        initialized += filled
      }
    }
    var pieces = results.withLock { held in
      var taken: [Piece?] = []
      swap(&taken, &held)
      return taken
    }
    var logs: [Swift.Result<(log: ProcessLog, ranges: [Range<Int>]), TraceFileError>] = []
    for n in paths.indices {
      if case .failure(let error) = files[n] {
        logs.append(.failure(error))
        continue
      }
      guard let piece = pieces[n] else { continue }
      switch piece.log {
      case .failure(let error): logs.append(.failure(error))
      case .success(let log):
        // Events beyond the room (a log still growing while it was read) go after the rest.
        if !piece.beyond.isEmpty {
          ranges[n].append(events.count..<events.count + piece.beyond.count)
          events.append(contentsOf: piece.beyond)
        }
        logs.append(.success((log, ranges[n])))
      }
      pieces[n] = nil
    }
    return Decoded(events: events, logs: logs)
  }

  /// One log's outcome: the log (its `events` empty), how many events it placed in its region,
  /// and those that did not fit.
  struct Piece: Sendable {
    var log: Swift.Result<ProcessLog, TraceFileError>
    var filled: Int
    var beyond: [TraceEvent]
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
    do throws(TraceFileError) {
      let log = try ProcessLog.decode(&window, path: path) { event in
        if filled < room {
          (slots + filled).initialize(to: event)
          filled += 1
        } else {
          beyond.append(event)
        }
      }
      ProcessLog.resolveNativeSources(in: UnsafeMutableBufferPointer(start: slots, count: filled))
      if !beyond.isEmpty {
        beyond.withUnsafeMutableBufferPointer { ProcessLog.resolveNativeSources(in: $0) }
      }
      return Piece(log: .success(log), filled: filled, beyond: beyond)
    } catch {
      // What was decoded before the log proved unreadable is left out with it.
      slots.deinitialize(count: filled)
      return Piece(log: .failure(error), filled: 0, beyond: [])
    }
  }

  /// Moves `count` events from `source` down to `target` (not above it), a piece at a time,
  /// handing back to the kernel the pages of each piece once nothing lives there any more.
  static func move(
    _ source: UnsafeMutablePointer<TraceEvent>, count: Int, to target: UnsafeMutablePointer<TraceEvent>
  ) {
    guard source != target, count > 0 else { return }
    let stride = MemoryLayout<TraceEvent>.stride
    let piece = max(1, (8 << 20) / stride)
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    var done = 0
    while done < count {
      let n = min(piece, count - done)
      (target + done).moveInitialize(from: source + done, count: n)
      done += n
      // Free: from the end of what is now in place (or the piece's start, if above it) to the
      // piece's end, whole pages only.
      let live = UInt(bitPattern: target + done)
      let from = max(live, UInt(bitPattern: source + done - n))
      let to = UInt(bitPattern: source + done)
      let first = (from + UInt(page) - 1) / UInt(page) * UInt(page)
      let last = to / UInt(page) * UInt(page)
      if last > first, let start = UnsafeMutableRawPointer(bitPattern: first) {
        _ = madvise(start, Int(last - first), MADV_DONTNEED)
      }
    }
  }
}
