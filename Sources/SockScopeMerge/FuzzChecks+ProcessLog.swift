@_spi(Fuzzing) public import SockScopeTrace

@_spi(Fuzzing) extension FuzzChecks {
  /// `bytes` read as a per-process binary log: damaged records are reported, never trusted.
  public static func processLog(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    guard let log = try? ProcessLog.decode(Array(bytes), path: "fuzz.sslog") else { return nil }
    guard log.process.events == log.events.count else { return "the process's event count is wrong" }
    return nil
  }
}
