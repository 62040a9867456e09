import SockScopeTrace

/// Reading the trace a command works on. Unreadable or invalid input is exit status 2 everywhere.
enum TraceInput {
  /// The trace at `path` (a trace.jsonl or a trace directory), which must be valid.
  static func read(_ path: String) throws(CommandFailure) -> Trace {
    let read: TraceReadResult
    do { read = try TraceFile.read(path: path) } catch { throw CommandFailure("\(error)", exitCode: 2) }
    guard read.isValid else {
      throw CommandFailure(
        "\(path) is not a valid trace (\(read.problems.count) problems, the first: \(read.problems[0])); "
          + "see them all with: sockscope validate \(path)", exitCode: 2)
    }
    return read.trace
  }
}
