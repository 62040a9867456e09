import Foundation
@_spi(Fuzzing) import SockScopeCompare
import Testing

/// Every schematic fuzzing found (Tests/SockScopeTraceTests/Fixtures/fuzz/schematic, where all
/// fuzz finds live; see docs/fuzzing.md) and every seed (Fuzz/corpus/schematic) passes the
/// `schematic` fuzz target's checks.
@Suite("Schematics found by fuzzing")
struct SchematicFuzzRegressionTests {
  @Test("schematics: read alike with LF, CRLF and a byte order mark; errors name a line of the file")
  func schematic() throws {
    let directories = [
      "Tests/SockScopeTraceTests/Fixtures/fuzz/schematic", "Fuzz/corpus/schematic",
    ].map { repositoryRoot + "/" + $0 }
    let files = directories.flatMap { directory in
      ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { !$0.hasPrefix(".") }.map { directory + "/" + $0 }
    }
    #expect(files.count >= 3, "the seeds are in Fuzz/corpus/schematic")
    for file in files {
      let bytes = Array(try #require(FileManager.default.contents(atPath: file)))
      let violated = bytes.withUnsafeBufferPointer(SchematicFuzzChecks.schematic)
      #expect(violated == nil, "\((file as NSString).lastPathComponent): \(violated ?? "")")
    }
  }
}
