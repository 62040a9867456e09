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
}
