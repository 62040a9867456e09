public import ArgumentParser
import EchoPair
import SockScopeSockets

extension EchoLanguage: ExpressibleByArgument {}

/// Options for recording a process's socket calls.
struct RecordingOptions: ParsableArguments {
  @Option(
    name: .customLong("trace"),
    help: ArgumentHelp(
      "Record every socket call into this trace directory (created if missing).",
      discussion: "Several processes may record into one directory; `sockscope merge DIR` joins them.",
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
    do {
      try Recorder.start(directory: directory, role: role ?? defaultRole, captureLimit: capture)
    } catch {
      throw CommandFailure("\(error)")
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
  var language: EchoLanguage = .ru
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
  func reportingFailures(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let failure as CommandFailure {
      FileOutput.standardError.write("sockscope \(Self._commandName): error: \(failure.description)\n")
      throw ExitCode(failure.exitCode)
    }
  }
}
