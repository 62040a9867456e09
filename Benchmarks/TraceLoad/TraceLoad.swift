// Trace loading for `make bench`: how fast per-process logs merge into one timeline, how fast the
// timeline is written as trace.jsonl, and how fast trace.jsonl is read back, with peak memory.
// Run one mode per process, so each peak belongs to its mode.
// Usage: trace-load merge DIR [OUT]  prints: events merge_seconds write_seconds peak_kb
//                                merged_peak_kb (the peak before writing began)
//                                (OUT: where to write trace.jsonl, DIR/trace.jsonl by default;
//                                /dev/null leaves the kernel's copy into the page cache out)
//        trace-load layout x         prints the bytes an event and its parts take in place
//        trace-load parse FILE   prints: events parse_seconds peak_kb
//        trace-load order FILE   prints: events order_seconds check_seconds order_cpu_seconds:
//                                putting the file's events, in start-time order, in causal order (what
//                                a merge does; wall clock and this thread's CPU time), and checking an
//                                order (what every read does)
import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace

@main
struct TraceLoad {
  static func main() throws {
    let arguments = CommandLine.arguments.dropFirst()
    guard arguments.count == 2 || (arguments.count == 3 && arguments.first == "merge"),
      let mode = arguments.first
    else {
      FileHandle.standardError.write(
        Data("usage: trace-load merge DIR [OUT] | trace-load parse FILE | trace-load order FILE\n".utf8))
      exit(2)
    }
    let path = arguments[arguments.startIndex + 1]
    switch mode {
    case "merge":
      let start = now()
      let merged = try TraceMerger.merge(directory: path)
      let merging = now() - start
      let mergedPeak = peakKilobytes()
      let output =
        arguments.count == 3
        ? arguments[arguments.startIndex + 2] : (path as NSString).appendingPathComponent(TraceFile.fileName)
      let writeStart = now()
      try TraceFile.write(merged.trace, to: output)
      let writing = now() - writeStart
      let events = merged.trace.events.count
      print(events, seconds(merging), seconds(writing), peakKilobytes(), mergedPeak)
    case "parse":
      let start = now()
      let result = try TraceFile.read(path: path)
      let parsing = now() - start
      guard result.isValid else {
        FileHandle.standardError.write(
          Data("trace-load: \(result.problems.count) problems in \(path)\n".utf8))
        exit(1)
      }
      print(result.trace.events.count, seconds(parsing), peakKilobytes())
    case "order":
      var events = try TraceFile.read(path: path).trace.events
      events.sort { ($0.time, $0.pid, $0.seq) < ($1.time, $1.pid, $1.seq) }
      let start = now()
      let cpuStart = now(CLOCK_THREAD_CPUTIME_ID)
      let (positions, _) = CausalOrder.order(events)
      let ordering = now() - start
      let orderingCPU = now(CLOCK_THREAD_CPUTIME_ID) - cpuStart
      let checkStart = now()
      let violations = CausalOrder.violations(events).count
      let checking = now() - checkStart
      guard positions.count == events.count else { exit(1) }
      let note = "trace-load: \(violations) steps out of causal order by start time\n"
      FileHandle.standardError.write(Data(note.utf8))
      print(events.count, seconds(ordering), seconds(checking), seconds(orderingCPU))
    case "layout":
      // What an event costs in place, before what it points to (payload, flows).
      print(
        "TraceEvent", MemoryLayout<TraceEvent>.stride, "Payload?", MemoryLayout<Payload?>.stride,
        "CallArguments", MemoryLayout<CallArguments>.stride, "CallSite", MemoryLayout<CallSite>.stride)
    default:
      FileHandle.standardError.write(Data("trace-load: unknown mode \(mode)\n".utf8))
      exit(2)
    }
  }

  static func now(_ clock: clockid_t = CLOCK_MONOTONIC) -> UInt64 {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }

  static func seconds(_ ns: UInt64) -> String { String(format: "%.4f", Double(ns) / 1e9) }

  static func peakKilobytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
  }
}
