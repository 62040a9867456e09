/// What the fuzz targets (Fuzz/, `make fuzz`) check on every input they make: invariants that no
/// public API shows, such as the fast line reader agreeing with the thorough one. Each check
/// returns nil when all holds, or what was violated. The regression tests run the same checks on
/// every input fuzzing ever found.
@_spi(Fuzzing) public enum FuzzChecks {
  /// `bytes` read as a trace file: in one piece and in several the result is the same; every
  /// event line the fast reader takes, the thorough reader takes alike; a valid trace survives
  /// writing and reading back.
  public static func traceReader(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    let whole = TraceFile.parse(bytes, file: "fuzz", pieces: 1)
    let split = TraceFile.parse(bytes, file: "fuzz", pieces: 3)
    guard whole.trace == split.trace, whole.problems == split.problems else {
      return "reading in 3 pieces differs from reading in one"
    }
    var start = 0
    var lineNumber = 0
    while start < bytes.count {
      var end = start
      while end < bytes.count, bytes[end] != 0x0A { end += 1 }
      lineNumber += 1
      let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
      if let fast = FastEventDecoder.event(line) {
        let slow = TraceFile.decodeLine(line, isHeader: false)
        guard slow.event == fast, slow.problems.isEmpty else {
          return "line \(lineNumber): the fast reader took a line the thorough reader reads otherwise"
        }
      }
      start = end + 1
    }
    if whole.isValid {
      let again = TraceFile.encodedBytes(whole.trace).withUnsafeBufferPointer {
        TraceFile.parse($0, file: "again")
      }
      guard again.isValid, again.trace == whole.trace else {
        return "a valid trace read back after writing is not the same"
      }
    }
    return nil
  }

  /// `bytes` read as an strace log: what the importer makes, `validate` accepts.
  public static func straceImport(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    let text = String(decoding: bytes, as: UTF8.self)
    let result = StraceImport.read([StraceImport.Input(name: "fuzz.log", text: text)])
    let written = TraceFile.encodedBytes(result.trace)
    let reread = written.withUnsafeBufferPointer { TraceFile.parse($0, file: "imported") }
    guard reread.isValid else {
      return "the imported trace is not valid: \(reread.problems.prefix(3).map(\.description))"
    }
    return nil
  }

  /// `bytes` as one file per process (`strace -ff`): the parts between NUL bytes, up to 8, are the
  /// files `run.log.1000`, `run.log.1001`… What the importer makes, `validate` accepts; and the
  /// order the files are named in does not change the trace or its problems.
  public static func straceImportFiles(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    let parts = bytes.split(separator: 0, maxSplits: 7, omittingEmptySubsequences: false)
    let inputs = parts.enumerated().map { k, part in
      let pid = Int32(1000 + k)
      return StraceImport.Input(name: "run.log.\(pid)", text: String(decoding: part, as: UTF8.self), pid: pid)
    }
    let forward = StraceImport.read(inputs)
    let written = TraceFile.encodedBytes(forward.trace)
    let reread = written.withUnsafeBufferPointer { TraceFile.parse($0, file: "imported") }
    guard reread.isValid else {
      return "the imported trace is not valid: \(reread.problems.prefix(3).map(\.description))"
    }
    let backward = StraceImport.read(inputs.reversed())
    guard backward.trace == forward.trace else {
      return "naming the files in another order changes the trace"
    }
    func sorted(_ problems: [TraceProblem]) -> [String] { problems.map(\.description).sorted() }
    guard sorted(backward.problems) == sorted(forward.problems) else {
      return "naming the files in another order changes the problems"
    }
    return nil
  }

  /// `bytes` read as a per-process binary log: damaged records are reported, never trusted.
  public static func processLog(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    guard let log = try? ProcessLog.decode(Array(bytes), path: "fuzz.sslog") else { return nil }
    guard log.process.events == log.events.count else { return "the process's event count is wrong" }
    return nil
  }
}
