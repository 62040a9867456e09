public import ArgumentParser
import EchoPair
import Glibc
import SockScopeLanguage
import SockScopeMerge
import SockScopeOutput
import SockScopeSockets
import SockScopeTrace

extension Language: ExpressibleByArgument {}

/// Options for recording a process's socket calls.
struct RecordingOptions: ParsableArguments {
  @Option(
    name: .customLong("trace"),
    help: ArgumentHelp(
      "Record every socket call into this trace directory (created if missing).",
      discussion:
        "Logs go to DIR/logs, as with record and demo. Several processes may record into one directory; `sockscope merge DIR` joins them.",
      valueName: "dir"))
  var directory: String?

  @Option(
    help: ArgumentHelp(
      "The role this process has in the trace, such as server or client#2.", valueName: "name"))
  var role: String?

  @Option(help: ArgumentHelp("Payload bytes kept per event.", valueName: "bytes"))
  var capture: Int = 256

  func validate() throws {
    guard capture >= 0, capture <= 65536 else {
      throw ValidationError("--capture must be between 0 and 65536 bytes; got \(capture)")
    }
    if let role, let problem = Recorder.roleProblem(role) { throw ValidationError(problem) }
  }

  /// Starts recording when `--trace` was given.
  func start(defaultRole: String) throws {
    guard let directory else { return }
    do throws(RecorderError) {
      // DIR/logs, as `record --out DIR` and `demo --out DIR` write: one layout for every recording.
      try Recorder.start(
        directory: TraceDirectory.logsPath(in: directory), role: role ?? defaultRole, captureLimit: capture)
    } catch {
      // Named as the user typed it: the directory they chose, not its logs folder.
      var named = error
      named.directory = directory
      throw CommandFailure("\(named)")
    }
  }
}

/// Options shared by the echo server and client.
struct EchoOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The socket file, as on the page.", valueName: "path"))
  var socket: String = "./echo.socket"

  @Option(
    name: .customLong("lang"),
    help: ArgumentHelp("Language of the messages: ru (the page's own) or en.", valueName: "ru|en"))
  var language: Language = .ru
}

/// A failure already explained to the user: printed as `sockscope: error: ...`, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
  var description: String
  var exitCode: Int32

  init(_ description: String, exitCode: Int32 = 1) {
    self.description = description
    self.exitCode = exitCode
  }
}

extension ParsableCommand {
  /// Runs `body`, turning a `CommandFailure` into its message on standard error and its exit code.
  ///
  /// A write to standard output or error that failed during `body` is an error too, reported here
  /// with its reason: a result cut short by a full disk must never look like success. Its exit
  /// status is `outputFailureStatus` (2 for the commands whose 1 is a verdict: validate, compare,
  /// diff).
  func reportingFailures(
    commandName: String? = nil, outputFailureStatus: Int32 = 1, _ body: () throws -> Void
  ) throws {
    let name = commandName ?? Self._commandName
    var failure: CommandFailure?
    var exit: ExitCode?
    do {
      try body()
    } catch let error as CommandFailure {
      failure = error
    } catch let error as ExitCode {
      exit = error
    }
    let errorOutput = StandardStream.standardError
    if let failure {
      // Lines taken from traces, logs and paths are escaped; the message's own newlines are kept.
      let text = failure.description.split(separator: "\n", omittingEmptySubsequences: false)
        .map { String($0).terminalSafe }.joined(separator: "\n")
      errorOutput.write("sockscope \(name): error: \(text)\n")
    }
    var status = failure?.exitCode ?? exit?.rawValue ?? 0
    if let code = StandardStream.standardOutput.failure {
      let reason =
        code == StandardStream.isAnInput
        ? "it is an input of this command (the same file, by device and inode): redirect it elsewhere"
        : "\(String(cString: strerror(code))); the output is incomplete"
      errorOutput.write("sockscope \(name): error: cannot write to standard output: \(reason)\n")
      status = max(status, code == StandardStream.isAnInput ? 2 : outputFailureStatus)
    }
    if errorOutput.failure != nil { status = max(status, outputFailureStatus) }
    if status != 0 { throw ExitCode(status) }
  }
}
