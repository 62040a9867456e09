import Foundation
import SockScopeTrace

extension TimelineDecoder {
  /// One log's decoded events in scratch space, moved out front to back; the pages they leave
  /// empty go back to the kernel as the move goes, so the timeline they move into grows while
  /// the scratch space shrinks, and the events are never held twice.
  struct Run {
    /// The next event to move out.
    private(set) var next: UnsafeMutablePointer<TraceEvent>
    let end: UnsafeMutablePointer<TraceEvent>
    /// Pages wholly before this address (and after the run's start) are handed back already.
    private var released: UInt

    init(_ start: UnsafeMutablePointer<TraceEvent>, count: Int) {
      next = start
      end = start + count
      released = UInt(bitPattern: start)
    }

    var count: Int { end - next }
    var isEmpty: Bool { next == end }

    /// Whether the events left are in the timeline's order: time, then pid, then `seq`.
    var isInTimeOrder: Bool {
      guard count > 1 else { return true }
      for k in 1..<count {
        let a = next + k - 1
        let b = next + k
        if (a.pointee.time, a.pointee.pid, a.pointee.seq) > (b.pointee.time, b.pointee.pid, b.pointee.seq) {
          return false
        }
      }
      return true
    }

    /// Moves the next event to `target` (uninitialized memory).
    mutating func moveNext(to target: UnsafeMutablePointer<TraceEvent>) {
      target.moveInitialize(from: next, count: 1)
      next += 1
    }

    /// Moves every event left to `target`, a piece at a time, handing each piece's pages back;
    /// returns how many.
    mutating func drain(into target: UnsafeMutablePointer<TraceEvent>) -> Int {
      let piece = max(1, (8 << 20) / MemoryLayout<TraceEvent>.stride)
      var moved = 0
      while !isEmpty {
        let n = min(piece, count)
        (target + moved).moveInitialize(from: next, count: n)
        next += n
        moved += n
        releaseConsumedPages(atLeast: 0)
      }
      return moved
    }

    /// Hands back to the kernel the whole pages between what was handed back before and the next
    /// event, once they make at least `bytes`. Pages the run shares with a neighbour (its first
    /// and last) are left: the neighbour may still live there.
    mutating func releaseConsumedPages(atLeast bytes: Int) {
      let page = UInt(Self.pageSize)
      let first = (released + page - 1) / page * page
      let last = UInt(bitPattern: next) / page * page
      guard last > first, last - first >= UInt(bytes), let start = UnsafeMutableRawPointer(bitPattern: first)
      else { return }
      _ = madvise(start, Int(last - first), MADV_DONTNEED)
      released = last
    }

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
  }
}
