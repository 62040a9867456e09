import Foundation
@_spi(Fuzzing) import SockScopeMerge
@_spi(Fuzzing) import SockScopeStrace
@_spi(Fuzzing) import SockScopeTrace
import Testing

/// Every input fuzzing found (Fixtures/fuzz/TARGET/, see docs/fuzzing.md) and every seed it starts
/// from (Fuzz/corpus/TARGET/) passes the fuzz targets' checks.
@Suite("Inputs found by fuzzing")
struct FuzzRegressionTests {
  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static func inputs(_ target: String) throws -> [URL] {
    let found = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/fuzz/\(target)")
    let seeds = repositoryRoot.appendingPathComponent("Fuzz/corpus/\(target)")
    return [found, seeds].flatMap { directory in
      ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
        .filter { !$0.lastPathComponent.hasPrefix(".") }
    }
  }

  static func check(_ target: String, _ body: (UnsafeBufferPointer<UInt8>) -> String?) throws {
    let files = try inputs(target)
    #expect(!files.isEmpty, "the seeds of \(target) are in Fuzz/corpus/\(target)")
    for file in files {
      let bytes = Array(try Data(contentsOf: file))
      let violated = bytes.withUnsafeBufferPointer(body)
      #expect(violated == nil, "\(file.lastPathComponent): \(violated ?? "")")
    }
  }

  @Test("trace.jsonl inputs: pieces, fast and thorough readers, round trip")
  func traceReader() throws { try Self.check("trace-reader", FuzzChecks.traceReader) }

  @Test("strace logs: what the importer makes, validate accepts")
  func straceImport() throws { try Self.check("strace-import", FuzzChecks.straceImport) }

  @Test("strace -ff logs, one file per process: validate accepts the import, whatever the files' order")
  func straceImportFiles() throws { try Self.check("strace-multi-file", FuzzChecks.straceImportFiles) }

  @Test("binary process logs: damaged records are reported, never trusted")
  func processLog() throws { try Self.check("process-log", FuzzChecks.processLog) }
}
