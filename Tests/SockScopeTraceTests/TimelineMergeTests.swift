import CSockScopeLog
import Foundation
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

@Suite("Merging the logs' events into one timeline")
struct TimelineMergeTests {
  /// Runs of events, each in (time, pid, seq) order with one pid, as decoded logs are; times are
  /// drawn from a small range so that ties of time, of time and pid, and of all three (two logs
  /// of one pid, each numbering from 0) are common.
  static func randomRuns(_ g: inout SplitMix64, count: Int) -> [[TraceEvent]] {
    (0..<count).map { r in
      let pid = Int32(1 + g.next() % 3)  // Runs may share a pid: one process's programs.
      var time = g.next() % 5
      return (0..<Int(g.next() % 200)).map { k in
        time += g.next() % 3
        return TraceEvent(
          time: time, pid: pid, seq: UInt64(k), role: "run\(r)-\(k)", call: .close)
      }
    }
  }

  @Test("runs merged by time come out as a stable sort of them by time, pid and seq, each event once")
  func mergeMatchesStableSort() {
    var g = SplitMix64(seed: 20_261_202)
    for round in 0..<60 {
      let runs = Self.randomRuns(&g, count: 1 + round % 7)
      let expected = runs.joined().enumerated().sorted { a, b in
        (a.element.time, a.element.pid, a.element.seq, a.offset) < (
          b.element.time, b.element.pid, b.element.seq, b.offset
        )
      }.map(\.element.role)
      let total = runs.reduce(0) { $0 + $1.count }
      let scratch = UnsafeMutablePointer<TraceEvent>.allocate(capacity: max(total, 1))
      defer { scratch.deallocate() }
      var placed: [TimelineDecoder.Run] = []
      var next = 0
      for run in runs {
        (scratch + next).initialize(from: run, count: run.count)
        placed.append(TimelineDecoder.Run(scratch + next, count: run.count))
        next += run.count
      }
      #expect(placed.allSatisfy { $0.isInTimeOrder })
      let merged = [TraceEvent](unsafeUninitializedCapacity: total) { out, count in
        count = TimelineDecoder.merge(&placed, into: out.baseAddress!)
      }
      // The first place the orders differ, if any: a whole list in a message is hard to read.
      let roles = merged.map(\.role)
      let differs =
        roles.indices.first { $0 >= expected.count || roles[$0] != expected[$0] }
        ?? (roles.count == expected.count ? nil : roles.count)
      #expect(differs == nil, "round \(round): first out of place at \(differs ?? -1)")
      #expect(placed.allSatisfy { $0.isEmpty })
    }
  }

  @Test("a run out of time order is seen as such; draining it keeps every event, in its order, across pieces")
  func drainKeepsEvents() {
    let piece = (8 << 20) / MemoryLayout<TraceEvent>.stride
    let count = piece + 1000
    for gap in [0, 1, 7, 500] {
      let scratch = UnsafeMutablePointer<TraceEvent>.allocate(capacity: gap + count)
      defer { scratch.deallocate() }
      for n in 0..<count {
        // One step back in time every 1000 events: two threads whose calls overlapped.
        let time = UInt64(n) - (n % 1000 == 999 ? 2 : 0)
        (scratch + gap + n).initialize(
          to: TraceEvent(time: time, pid: 1, seq: UInt64(n), role: "r\(n % 97)", call: .close))
      }
      var run = TimelineDecoder.Run(scratch + gap, count: count)
      #expect(!run.isInTimeOrder)
      let target = UnsafeMutablePointer<TraceEvent>.allocate(capacity: count)
      defer { target.deallocate() }
      let drained = run.drain(into: target)
      #expect(drained == count)
      #expect(run.isEmpty)
      var intact = true
      for n in 0..<count where target[n].seq != UInt64(n) || target[n].role != "r\(n % 97)" { intact = false }
      #expect(intact, "gap \(gap)")
      target.deinitialize(count: count)
    }
  }

  @Test("a run hands back the whole pages of the events it moved out, never the page of one still there")
  func releasesOnlyMovedPages() throws {
    let page = sysconf(Int32(_SC_PAGESIZE))
    let count = 200
    let stride = MemoryLayout<TraceEvent>.stride
    let bytes = (count * stride + page - 1) / page * page
    let mapped: UnsafeMutableRawPointer = mmap(
      nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    try #require(mapped != MAP_FAILED)
    defer { munmap(mapped, bytes) }
    // Starting a little into the first page, as a region after another log's does.
    let start = (mapped + 40).bindMemory(to: TraceEvent.self, capacity: count - 1)
    for n in 0..<(count - 1) {
      (start + n).initialize(
        to: TraceEvent(time: UInt64(n), pid: 1, seq: UInt64(n), role: "r\(n)", call: .close))
    }
    var run = TimelineDecoder.Run(start, count: count - 1)
    let out = UnsafeMutablePointer<TraceEvent>.allocate(capacity: count)
    defer { out.deallocate() }
    let moved = 90
    for n in 0..<moved { run.moveNext(to: out + n) }
    run.releaseConsumedPages(atLeast: 0)
    var resident = [UInt8](repeating: 0, count: bytes / page)
    #expect(mincore(mapped, bytes, &resident) == 0)
    let nextPage = (UnsafeRawPointer(run.next) - UnsafeRawPointer(mapped)) / page
    // The first page also holds what came before the run; pages up to the next event's go back.
    #expect(resident[0] & 1 == 1)
    #expect(resident[1..<nextPage].allSatisfy { $0 & 1 == 0 })
    #expect(resident[nextPage...].allSatisfy { $0 & 1 == 1 })
    // What was moved and what is left are whole.
    #expect((0..<moved).allSatisfy { out[$0].role == "r\($0)" })
    #expect((moved..<(count - 1)).allSatisfy { start[$0].role == "r\($0)" })
    let drained = run.drain(into: out + moved)
    #expect(drained == count - 1 - moved)
    #expect((0..<(count - 1)).allSatisfy { out[$0].seq == UInt64($0) })
    out.deinitialize(count: count - 1)
  }

  /// Merges the directory and, separately, the same logs read into a list each; both must agree.
  func mergeBothWays(_ logs: [LogImage], name: String) throws -> Trace {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockscope-\(name)-\(getpid())")
      .path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let paths = try LogImage.write(logs, into: dir)
    let merged = try TraceMerger.merge(directory: dir).trace
    var perLog = TraceMerger.merge(
      logs: try paths.map { path throws(TraceFileError) in try ProcessLog.read(path: path) })
    perLog.header.maxDatagramQueueLength = merged.header.maxDatagramQueueLength
    #expect(merged == perLog)
    #expect(TraceFile.encodedBytes(merged) == TraceFile.encodedBytes(perLog))
    return merged
  }

  @Test("a log whose threads' calls overlapped (not in time order) merges as the logs read one by one do")
  func logOutOfTimeOrder() throws {
    var server = LogImage(role: "server", pid: 10)
    var client = LogImage(role: "client", pid: 20)
    for n in 0..<50 {
      // Thread 11 records each call a little before thread 10's that it follows in the log.
      server.append(SOCKSCOPE_CALL_CLOSE, at: UInt64(100 + 10 * n)) { $0.tid = 10 }
      server.append(SOCKSCOPE_CALL_CLOSE, at: UInt64(97 + 10 * n)) { $0.tid = 11 }
      client.append(SOCKSCOPE_CALL_CLOSE, at: UInt64(95 + 10 * n)) { $0.tid = 20 }
    }
    let trace = try mergeBothWays([server, client], name: "overlap")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockscope-order-\(getpid())")
      .path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    #expect(
      TimelineDecoder.decode(paths: try LogImage.write([server, client], into: dir))?.inTimeOrder == false)
    #expect(
      TimelineDecoder.decode(paths: try LogImage.write([client], into: dir + "/one"))?.inTimeOrder == true)
    #expect(trace.events.count == 150)
    let times = trace.events.map(\.time)
    #expect(times == times.sorted(), "independent calls come in time order")
  }

  @Test("a process that called exec: its second program's log continues the first's seq")
  func execContinuesSeq() throws {
    var first = LogImage(role: "client", pid: 30, start: 1_000)
    var second = LogImage(role: "client", pid: 30, start: 5_000)
    for n in 0..<3 { first.append(SOCKSCOPE_CALL_CLOSE, at: UInt64(2_000 + n)) { $0.tid = 30 } }
    for n in 0..<4 { second.append(SOCKSCOPE_CALL_CLOSE, at: UInt64(6_000 + n)) { $0.tid = 30 } }
    // The later program's log first in the directory: its place there must not matter.
    let trace = try mergeBothWays([second, first], name: "exec")
    #expect(trace.events.map(\.seq) == [0, 1, 2, 3, 4, 5, 6])
    #expect(trace.events.map(\.time) == [2_000, 2_001, 2_002, 6_000, 6_001, 6_002, 6_003])
  }

  @Test("each log's seq continues from the last of the earlier programs of its pid, and only its pid")
  func sequenceBases() {
    let bases = TraceMerger.sequenceBases(of: [
      (pid: 1, start: 300, lastSeq: 4), (pid: 2, start: 100, lastSeq: 9), nil,
      (pid: 1, start: 100, lastSeq: 2), (pid: 1, start: 200, lastSeq: 5), (pid: 2, start: 50, lastSeq: 0),
      (pid: 1, start: 250, lastSeq: nil),
    ])
    // pid 1: 0...2, then 3...8, then 9...13; the log with no events starts where the next would.
    #expect(bases == [9, 1, 0, 0, 3, 0, 9])
  }
}
