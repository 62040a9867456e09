@_spi(Fuzzing) public import SockScopeTrace

@_spi(Fuzzing) extension FuzzChecks {
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
}
