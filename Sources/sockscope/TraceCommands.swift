import ArgumentParser
import Foundation
import SockScopeMerge
import SockScopeOutput
import SockScopeTrace

struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Join a trace directory's per-process logs into one timeline, trace.jsonl.",
    discussion: """
      Links each receive to the send that produced its data (the flow id), orders every event of \
      every process cause before effect (docs/trace-format.md), names each process as its own \
      participant (client#1, client#2, server/1 for a forked child), and lists in the header what \
      was wrong: logs cut by a killed process, damaged records, data no traced sender accounts for.

      The logs are read from DIR/logs, where `demo --out`, `record --out` and `server`/`client \
      --trace` write them (or, for a directory recorded by an older version, from DIR itself).

      Example:  sockscope merge run/            reads run/logs/*.sslog, writes run/trace.jsonl
      """)

  @Argument(help: ArgumentHelp("A trace directory (its logs in DIR/logs/*.sslog).", valueName: "dir"))
  var directory: String

  @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the timeline.", valueName: "file"))
  var output: String?

  func run() throws {
    try reportingFailures {
      var merged: TraceMerger.Result
      let logs = TraceDirectory.logsFolder(of: directory)
      do { merged = try TraceMerger.merge(directory: logs) } catch {
        throw CommandFailure("\(error)", exitCode: 2)
      }
      let stray = TraceDirectory.strayLogs(in: directory)
      if stray > 0 {
        merged.trace.header.problems.append(
          "\(directory) also holds \(stray) log\(stray == 1 ? "" : "s") directly in it (an older layout), "
            + "left out of this merge; move them into \(logs) to merge them too")
      }
      let path = output ?? (directory as NSString).appendingPathComponent(TraceFile.fileName)
      do throws(OutputError) {
        try TraceFile.write(merged.trace, to: path)
      } catch {
        let elsewhere =
          output == nil ? "or write the timeline elsewhere: sockscope merge \(directory) -o FILE" : nil
        throw CommandFailure(writing: error, hint: elsewhere)
      }
      let out = StandardStream.standardOutput
      // Roles and notes come from the logs: escaped, so a crafted log cannot drive the terminal.
      out.write(TraceSummary(merged.trace).line.terminalSafe + "\n")
      for problem in merged.trace.header.problems { out.write("note: \(problem.terminalSafe)\n") }
      out.write("wrote \(path)\n")
      // The process ends after this command: its memory goes back to the kernel at once. Released
      // here, every event's references would be released one by one first (a million events:
      // a tenth of a second of CPU).
      _ = Unmanaged.passRetained(LeftToExit(merged))
    }
  }
}

/// What a command leaves for the process's exit to reclaim.
private final class LeftToExit<Value> {
  let value: Value
  init(_ value: Value) { self.value = value }
}

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check a trace against the documented format; report each problem with file, line and field.",
    discussion: """
      TRACE is a trace.jsonl file or a trace directory (its trace.jsonl, or else its per-process \
      logs, merged in memory). Exit status: 0 valid, 1 invalid, 2 unreadable.

      Example:  sockscope validate sockscope-out/trace.jsonl
      """)

  @Argument(help: ArgumentHelp("A trace.jsonl file or a trace directory.", valueName: "trace"))
  var trace: String

  func run() throws {
    try reportingFailures(outputFailureStatus: 2) {
      let result: TraceReadResult
      do { result = try TraceFile.read(path: trace) } catch { throw CommandFailure("\(error)", exitCode: 2) }
      let out = StandardStream.standardOutput
      for problem in result.problems + result.orderProblems {
        out.write("\(String(describing: problem).terminalSafe)\n")
      }
      for note in result.trace.header.problems { out.write("note: \(note.terminalSafe)\n") }
      if result.isValid && result.orderProblems.isEmpty {
        out.write("valid: \(TraceSummary(result.trace).line)\n")
      } else {
        let n = result.problems.count + result.orderProblems.count
        throw CommandFailure(
          "\(trace) is not a valid trace: \(TraceInput.problemCount(n)) (listed above); "
            + "\(counted(result.trace.events.count, "valid event")) \(result.trace.events.count == 1 ? "was" : "were") read"
        )
      }
    }
  }
}

struct SchemaCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "schema",
    abstract: "Print the JSON Schema of one line of a trace.jsonl (JSON Schema draft 2020-12).",
    discussion: "Example:  sockscope schema > trace.schema.json")

  func run() throws {
    try reportingFailures { StandardStream.standardOutput.write(TraceSchema.text) }
  }
}

/// One line that says what a trace holds.
struct TraceSummary {
  var line: String

  init(_ trace: Trace) {
    // One pass, each event read where it is: `map`, `count(where:)`, `roles`, the array's
    // subscript and `flows` (an array made on each call) copy every event or allocate, a tenth
    // of a second of a million-event merge.
    let countPids = trace.header.processes.isEmpty
    var pids = Set<Int32>()
    var calls = 0
    var linked = 0
    var last: UInt64?
    var roles: [String] = []
    trace.events.withUnsafeBufferPointer { events in
      guard let first = events.baseAddress else { return }
      var lastPid: Int32?
      for event in first..<first + events.count {
        if countPids && event.pointee.pid != lastPid {
          lastPid = event.pointee.pid
          pids.insert(event.pointee.pid)
        }
        if event.pointee.call != .output && event.pointee.call != .programStart { calls += 1 }
        if event.pointee.flowCount > 0 { linked += 1 }
        last = max(last ?? 0, event.pointee.time)
        if roles.last != event.pointee.role && !roles.contains(event.pointee.role) {
          roles.append(event.pointee.role)
        }
      }
    }
    // A process that ran another program with exec has one header entry per program: count pids.
    let processes = countPids ? pids.count : Set(trace.header.processes.map(\.pid)).count
    // The last step in causal order need not be the last to start.
    let seconds = Double((last ?? trace.header.t0) &- trace.header.t0) / 1e9
    line =
      "\(calls) socket calls from \(processes) process\(processes == 1 ? "" : "es") "
      + "(roles: \(roles.map(\.terminalSafe).joined(separator: ", "))), \(linked) receives linked to their sends, "
      + String(format: "%.3f s", seconds)
  }
}
