import ArgumentParser
import Foundation
import SockScopeTrace

struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Join a trace directory's per-process logs into one timeline, trace.jsonl.",
    discussion: """
      Orders every event of every process by time (CLOCK_MONOTONIC), links each receive to the send \
      that produced its data (the flow id), and lists in the header what was wrong: logs cut by a \
      killed process, damaged records, data no traced sender accounts for.

      Example:  sockscope merge run/            writes run/trace.jsonl
      """)

  @Argument(help: ArgumentHelp("A trace directory holding *.sslog files.", valueName: "dir"))
  var directory: String

  @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the timeline.", valueName: "file"))
  var output: String?

  func run() throws {
    try reportingFailures {
      let merged: TraceMerger.Result
      do {
        merged = try TraceMerger.merge(directory: directory)
      } catch {
        throw CommandFailure("\(error)", exitCode: 2)
      }
      let path = output ?? (directory as NSString).appendingPathComponent(TraceFile.fileName)
      do {
        try TraceFile.write(merged.trace, to: path)
      } catch {
        let elsewhere =
          output == nil ? "; or write the timeline elsewhere: sockscope merge \(directory) -o FILE" : ""
        throw CommandFailure("\(error)\(elsewhere)")
      }
      let out = FileOutput.standardOutput
      out.write(TraceSummary(merged.trace).line + "\n")
      for problem in merged.trace.header.problems { out.write("note: \(problem)\n") }
      out.write("wrote \(path)\n")
    }
  }
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
    try reportingFailures {
      let result: TraceReadResult
      do { result = try TraceFile.read(path: trace) } catch { throw CommandFailure("\(error)", exitCode: 2) }
      let out = FileOutput.standardOutput
      for problem in result.problems { out.write("\(problem)\n") }
      for note in result.trace.header.problems { out.write("note: \(note)\n") }
      if result.isValid {
        out.write("valid: \(TraceSummary(result.trace).line)\n")
      } else {
        let n = result.problems.count
        throw CommandFailure(
          "\(trace) is not a valid trace: \(n) problem\(n == 1 ? "" : "s") (listed above); "
            + "\(result.trace.events.count) valid events were read")
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
    FileOutput.standardOutput.write(TraceSchema.text)
  }
}

/// One line that says what a trace holds.
struct TraceSummary {
  var line: String

  init(_ trace: Trace) {
    let processes =
      trace.header.processes.isEmpty ? Set(trace.events.map(\.pid)).count : trace.header.processes.count
    let calls = trace.events.count { $0.call != .output }
    let linked = trace.events.count { !$0.flows.isEmpty }
    let seconds = Double((trace.events.last?.time ?? trace.header.t0) &- trace.header.t0) / 1e9
    line =
      "\(calls) socket calls from \(processes) process\(processes == 1 ? "" : "es") "
      + "(roles: \(trace.roles.joined(separator: ", "))), \(linked) receives linked to their sends, "
      + String(format: "%.3f s", seconds)
  }
}
