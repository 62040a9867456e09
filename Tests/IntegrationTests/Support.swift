import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace
import Testing

/// The repository checkout these tests were built from.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

/// The `sockscope` built next to the test bundle.
let sockscopeBinary: String = {
  let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  let candidates = [
    bundleDirectory.appendingPathComponent("sockscope").path,
    bundleDirectory.deletingLastPathComponent().appendingPathComponent("sockscope").path,
    repositoryRoot + "/.build/debug/sockscope",
  ]
  return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[2]
}()

/// What a finished command did.
struct CommandResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// A short temporary directory (socket paths must fit in 107 bytes), removed afterwards.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
  var template = Array("/tmp/sockscope-it-XXXXXX".utf8CString)
  let made = template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } }
  let path = try #require(made.map { String(cString: $0) })
  defer { try? FileManager.default.removeItem(atPath: path) }
  return try body(path)
}

/// Compiles the C program `source` with gcc into `directory/name` and returns its path; the test
/// fails with gcc's messages when it does not build. (`make test` installs gcc; a test that calls
/// this is marked `needs("gcc")`, so that under `CI=true` a missing gcc fails it.)
@discardableResult
func compileC(
  _ source: String, named name: String, in directory: String, flags: [String] = ["-O1"]
) throws
  -> String
{
  let gcc = try #require(which("gcc"), "gcc is installed by make test")
  try source.write(toFile: directory + "/\(name).c", atomically: true, encoding: .utf8)
  let built = try run(gcc, flags + ["-o", name, name + ".c"], in: directory)
  try #require(built.status == 0, "\(built.stderr)")
  return directory + "/" + name
}

/// A process started from a test, its output going to files that can be read while it runs.
final class RunningProcess {
  let process = Process()
  let stdoutPath: String
  let stderrPath: String
  private let input = Pipe()

  /// Starts `executable`; its standard input is a pipe that `type` writes to, or the file at
  /// `inputFile`, which lets several processes read long inputs at the same time.
  init(
    _ executable: String, _ arguments: [String], in directory: String, inputFile: String? = nil,
    environment: [String: String]? = nil
  ) throws {
    let id = UUID().uuidString
    stdoutPath = directory + "/.out-\(id)"
    stderrPath = directory + "/.err-\(id)"
    _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    if let environment { process.environment = environment }
    if let inputFile {
      process.standardInput = FileHandle(forReadingAtPath: inputFile)
    } else {
      process.standardInput = input
    }
    process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
    process.standardError = FileHandle(forWritingAtPath: stderrPath)
    try process.run()
  }

  func type(_ text: String) { input.fileHandleForWriting.write(Data(text.utf8)) }
  func closeInput() { try? input.fileHandleForWriting.close() }

  var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
  var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

  /// Waits until `condition` holds, at most `seconds`.
  func waitUntil(seconds: Double = 15, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if condition() { return true }
      usleep(10_000)
    }
    return condition()
  }

  /// The exit status, once the process has ended. Checked with waitpid as well as Foundation:
  /// the test runner blocks SIGCHLD, which Foundation's own reaping may wait for in vain.
  private var reapedStatus: Int32?

  private func exitStatus() -> Int32? {
    if let reapedStatus { return reapedStatus }
    if !process.isRunning { return process.terminationStatus }
    var status: Int32 = 0
    let r = waitpid(process.processIdentifier, &status, WNOHANG)
    if r == process.processIdentifier {
      let signal = status & 0x7F
      reapedStatus = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    } else if r == -1 && errno == ECHILD {
      // Foundation reaped it meanwhile.
      return process.isRunning ? nil : process.terminationStatus
    }
    return reapedStatus
  }

  /// Waits for the exit, killing the process after `seconds`.
  func finish(seconds: Double = 15) -> CommandResult {
    if !waitUntil(seconds: seconds, { exitStatus() != nil }) {
      // SIGKILL: the test runner's blocked signals are inherited, so SIGTERM may never arrive.
      kill(process.processIdentifier, SIGKILL)
      _ = waitUntil(seconds: 5) { exitStatus() != nil }
    }
    return CommandResult(status: exitStatus() ?? -1, stdout: stdout, stderr: stderr)
  }
}

/// Runs `sockscope` with `arguments` to completion.
func sockscope(
  _ arguments: [String], in directory: String, input: String? = nil, seconds: Double = 30
) throws
  -> CommandResult
{
  try run(sockscopeBinary, arguments, in: directory, input: input, seconds: seconds)
}

/// Runs any program to completion, in `environment` when given (else this process's).
func run(
  _ executable: String, _ arguments: [String], in directory: String, input: String? = nil,
  seconds: Double = 30, environment: [String: String]? = nil
)
  throws -> CommandResult
{
  let p = try RunningProcess(executable, arguments, in: directory, environment: environment)
  if let input { p.type(input) }
  p.closeInput()
  return p.finish(seconds: seconds)
}

/// Finds a program on PATH.
func which(_ name: String) -> String? {
  let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
  return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Reads a merged trace, failing the test on any problem.
func readTrace(_ path: String) throws -> Trace {
  let result = try TraceFile.read(path: path)
  #expect(result.problems.isEmpty, "\(result.problems)")
  #expect(result.orderProblems.isEmpty, "written out of causal order: \(result.orderProblems)")
  return result.trace
}

/// Writes a valid trace with a header and no events to `path`.
func writeEmptyTrace(_ path: String) throws {
  let header = #"{"format":"sockscope-trace","version":1,"clock":"CLOCK_MONOTONIC","t0_ns":0,"processes":[]}"#
  try (header + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

/// Whether CI is running the tests (CI=true): there a test whose tool is missing must fail, not skip.
let runningInCI = ProcessInfo.processInfo.environment["CI"] == "true"

/// A condition for a test that needs `tool`: it always runs under CI (and then fails if the tool is
/// missing, through `tool(_:)`); elsewhere it is skipped, saying why, when the tool is not installed.
func needs(_ tool: String) -> ConditionTrait {
  .enabled(if: runningInCI || which(tool) != nil, "\(tool) is installed by make test (scripts/install-deps)")
}

/// The path of `name` on PATH, or a test failure saying it is missing and how to install it.
func tool(_ name: String) throws -> String {
  try #require(which(name), "\(name) is not installed; make test installs it (scripts/install-deps)")
}
