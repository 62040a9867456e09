import Foundation
import SockScopeMerge
import SockScopeTrace
import Testing

/// The demo's recorded trace, shared with the trace model's tests.
let demoTracePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("SockScopeTraceTests/Fixtures/demo-trace.jsonl").path

/// Where golden files live (in the source tree, so they can be re-recorded).
let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
  "Fixtures"
).path

func demoTrace() throws -> Trace {
  let result = try TraceFile.read(path: demoTracePath)
  try #require(result.problems.isEmpty)
  return result.trace
}

/// Compares `text` with the golden file `name`; with SOCKSCOPE_RECORD_GOLDEN=1 in the environment
/// the golden file is rewritten instead and the test fails, so a re-recording run never passes:
/// review the diff, run again without the variable, and give the reason in the commit.
func expectGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let path = goldenDirectory + "/" + name
  if ProcessInfo.processInfo.environment["SOCKSCOPE_RECORD_GOLDEN"] == "1" {
    let old = try? String(contentsOfFile: path, encoding: .utf8)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    Issue.record(
      """
      re-recorded \(name) (\(old == text ? "unchanged" : "changed")): review the diff, run the tests \
      again without SOCKSCOPE_RECORD_GOLDEN, and give the reason for the change in the commit
      """, sourceLocation: sourceLocation)
    return
  }
  let golden = try String(contentsOfFile: path, encoding: .utf8)
  #expect(
    text == golden,
    "differs from \(name); re-record with SOCKSCOPE_RECORD_GOLDEN=1 if the change is intended",
    sourceLocation: sourceLocation)
}

/// Finds a program on PATH.
func which(_ name: String) -> String? {
  let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
  return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs a program with `input` on its standard input; returns status and standard output.
func run(
  _ program: String, _ arguments: [String], input: String
) throws -> (status: Int32, output: String, error: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: program)
  process.arguments = arguments
  let stdin = Pipe()
  let stdout = Pipe()
  let stderr = Pipe()
  process.standardInput = stdin
  process.standardOutput = stdout
  process.standardError = stderr
  try process.run()
  stdin.fileHandleForWriting.write(Data(input.utf8))
  try stdin.fileHandleForWriting.close()
  let out = stdout.fileHandleForReading.readDataToEndOfFile()
  let err = stderr.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (
    process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)
  )
}
