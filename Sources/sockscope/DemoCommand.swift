import ArgumentParser
import EchoPair
import Foundation
import Glibc
import SockScopeDiagrams
import SockScopeLanguage
import SockScopeMerge
import SockScopeOutput
import SockScopePlayer
import SockScopeSockets
import SockScopeTrace

struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Run the lecture page's documented run, unattended, as real separate processes, and record it.",
    discussion: """
      What the page's animation shows: the server starts; client 1 sends «Лев» and «Толстой» and is \
      interrupted with Ctrl-C (SIGINT); client 2 sends «Лев» and «DONE»; the server shuts down. Each \
      process's console is shown labelled by its role, and every socket call goes into one trace.

      Writes into DIR:
        trace.jsonl      the merged timeline (docs/trace-format.md)
        logs/*.sslog     the per-process logs it was merged from
      The processes run inside DIR, so the socket is DIR/echo.socket, named ./echo.socket as on the page.

      Example:  sockscope demo --out /tmp/run --lang en
      """)

  @Option(help: ArgumentHelp("Where to write the trace.", valueName: "dir"))
  var out: String = "./sockscope-out"

  @Option(
    name: .customLong("lang"),
    help: ArgumentHelp("Language of the processes' messages: ru (the page's own) or en.", valueName: "ru|en"))
  var language: Language = .ru

  @Option(help: ArgumentHelp("Seconds to wait for each step before giving up.", valueName: "seconds"))
  var timeout: Double = 10

  @Option(
    help: ArgumentHelp(
      "Which programs play the run: swift (sockscope server/client) or python (the page's own scripts, "
        + "examples/python, recorded through the LD_PRELOAD interposer).", valueName: "swift|python"))
  var program: DemoProgram = .swift

  @Option(help: ArgumentHelp("Where the Python scripts are (default: examples/python).", valueName: "dir"))
  var pythonDir: String?

  func run() throws {
    try reportingFailures {
      let runner = try DemoRunner(
        out: out, language: language, timeout: timeout, program: program, pythonDirectory: pythonDir)
      try runner.run()
    }
  }
}

/// The programs that play the documented run.
enum DemoProgram: String, ExpressibleByArgument, CaseIterable {
  case swift, python
}

/// Drives the documented run and shows the processes' consoles.
struct DemoRunner {
  let outDirectory: String
  let logDirectory: String
  let language: Language
  let messages: EchoMessages
  let executable: String
  let timeout: Double
  let console = StandardStream.standardOutput
  /// For `--program python`: python3, the scripts' directory and the interposer.
  let python: (interpreter: String, scripts: String, library: String)?

  init(
    out: String, language: Language, timeout: Double, program: DemoProgram = .swift,
    pythonDirectory: String? = nil
  )
    throws(CommandFailure)
  {
    let absolute = URL(fileURLWithPath: out).standardizedFileURL.path
    outDirectory = absolute
    logDirectory = (absolute as NSString).appendingPathComponent("logs")
    self.language = language
    // The page's scripts speak Russian only.
    messages = .forLanguage(program == .python ? .ru : language)
    self.timeout = timeout
    if program == .python {
      let scripts = try DemoRunner.findScripts(pythonDirectory)
      python = (try ProgramCheck.resolve("python3"), scripts, try Interposer.locate(nil))
    } else {
      python = nil
    }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { throw CommandFailure("cannot find the sockscope executable (/proc/self/exe)") }
    executable = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  func run() throws(CommandFailure) {
    try prepareDirectories()
    // The processes run inside the out directory so the socket is ./echo.socket, as on the page.
    guard chdir(outDirectory) == 0 else {
      throw CommandFailure("cannot enter \(outDirectory): \(String(cString: strerror(errno)))")
    }
    console.write("Recording the documented run into \(outDirectory)\n")
    if python != nil && language == .en {
      // Said, so that `--lang en` printing Russian below does not look like a bug.
      console.write("The page's Python scripts print Russian; --lang en applies to SockScope's figures.\n")
    }
    console.write("\n")

    let server = try launch(["server"], role: "server", takesInput: false)
    var everyone = [server]
    defer {
      for child in everyone where !child.reap() {
        child.signal(SIGKILL)
        child.reap(blocking: true)
      }
    }
    try pump(everyone, "the server to print «\(messages.listening)»") {
      server.text.contains(messages.listening)
    }

    let client1 = try launch(["client"], role: "client#1", takesInput: true)
    everyone.append(client1)
    var serverShown: [String: Int] = [:]
    try converse(
      client1, words: ["Лев", "Толстой"], server: server, serverShown: &serverShown, everyone: everyone)
    // Ctrl-C, pressed again if the client has not stopped after a second, as a person would: a
    // SIGINT that lands just before a blocking read is only noticed at the next one (the page's
    // Python client has that window too).
    for press in 1...5 {
      client1.signal(SIGINT)
      let stopped = (try? watch(everyone, seconds: 1) { client1.reap() }) ?? false
      if stopped { break }
      if press == 5 { try pump(everyone, "client#1 to stop after Ctrl-C") { client1.reap() } }
    }

    let client2 = try launch(["client"], role: "client#2", takesInput: true)
    everyone.append(client2)
    try converse(
      client2, words: ["Лев", "DONE"], server: server, serverShown: &serverShown, everyone: everyone)
    try pump(everyone, "client#2 to finish") { client2.reap() }
    try pump(everyone, "the server to shut down") { server.reap() }
    for child in everyone {
      if let rest = child.takePendingLine() { show(child.role, rest) }
      client1.closeInput()
      client2.closeInput()
    }
    for child in everyone where child.exitStatus != 0 {
      throw CommandFailure("\(child.role) exited with status \(child.exitStatus ?? -1); its output is above")
    }
    try mergeAndReport()
  }

  /// Sends `words` one by one, waiting each time for the client's confirmation and the server's print.
  func converse(
    _ client: ChildProcess, words: [String], server: ChildProcess, serverShown: inout [String: Int],
    everyone: [ChildProcess]
  ) throws(CommandFailure) {
    let prompt = messages.prompt
    try pump(everyone, "\(client.role) to prompt «\(prompt)»") {
      client.pendingLine == Array(prompt.utf8)
    }
    for word in words {
      client.type(word)
      let expected = (serverShown[word] ?? 0) + 1
      serverShown[word] = expected
      try pump(everyone, "\(client.role) to send «\(word)» and the server to print it") {
        client.count(linesEqualTo: messages.sent(word)) >= 1 && server.count(linesEqualTo: word) >= expected
          && (word == EchoMessages.doneWord || client.pendingLine == Array(prompt.utf8))
      }
    }
  }

  /// Starts a process of the run, which records how it ended next to its log when it is reaped.
  func launch(_ arguments: [String], role: String, takesInput: Bool) throws(CommandFailure) -> ChildProcess {
    let child = try start(arguments, role: role, takesInput: takesInput)
    child.exitRecords = logDirectory
    return child
  }

  func start(_ arguments: [String], role: String, takesInput: Bool) throws(CommandFailure) -> ChildProcess {
    if let python {
      // The page's own script, unmodified but for Python 3, recorded by the interposer.
      let script = (python.scripts as NSString).appendingPathComponent(arguments[0] + ".py")
      return try ChildProcess(
        executable: python.interpreter, arguments: ["-u", script], role: role, takesInput: takesInput,
        environment: Interposer.environment(
          library: python.library, logs: logDirectory, role: role, capture: 256))
    }
    return try ChildProcess(
      executable: executable,
      // --trace names the trace directory; the child writes into its logs/ (logDirectory).
      arguments: arguments + ["--trace", outDirectory, "--role", role, "--lang", language.rawValue],
      role: role, takesInput: takesInput)
  }

  /// `explicit`, else examples/python in the current directory or in the checkout sockscope was built in.
  static func findScripts(_ explicit: String?) throws(CommandFailure) -> String {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let candidates =
      [explicit, "examples/python"].compactMap { $0 }
      + [executable.appendingPathComponent("../../../../examples/python").standardizedFileURL.path]
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/server.py") })
    else {
      throw CommandFailure(
        "cannot find the Python scripts (server.py, client.py); name their folder with --python-dir")
    }
    return URL(fileURLWithPath: found).standardizedFileURL.path
  }

  /// Shows the children's output until `done` holds, or fails after the time-out naming `what`; a
  /// child that exits with an error (a server that cannot bind) ends the wait at once, with what it said.
  func pump(_ children: [ChildProcess], _ what: String, until done: () -> Bool) throws(CommandFailure) {
    var failed: ChildProcess?
    let held = try watch(children, seconds: timeout) {
      if done() { return true }
      failed = children.first { ($0.exitStatus ?? 0) != 0 }
      return failed != nil
    }
    if let failed {
      // The rest of what it printed (its error) may still be in the pipe.
      while failed.outputFD >= 0 {
        let (lines, _) = failed.readAvailable()
        for line in lines { show(failed.role, line) }
      }
      if let rest = failed.takePendingLine() { show(failed.role, rest) }
      throw CommandFailure(
        "\(failed.role) exited with status \(failed.exitStatus ?? -1) while the demo waited for \(what). "
          + "It printed:\n\(failed.text.trimmingCharacters(in: .newlines))\n"
          + "(The demo's processes run in \(outDirectory); their socket is ./echo.socket there.)")
    }
    guard !held else { return }
    var report = "timed out after \(timeout) s waiting for \(what).\n"
    for child in children {
      report += "--- \(child.role) (pid \(child.pid)) printed:\n\(child.text)\n"
    }
    throw CommandFailure(report + "Try a longer --timeout if this machine is very busy.")
  }

  /// Shows the children's output for up to `seconds`; returns whether `done` came to hold.
  func watch(
    _ children: [ChildProcess], seconds: Double, until done: () -> Bool
  ) throws(CommandFailure) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !done() {
      guard Date() < deadline else { return false }
      let open = children.filter { $0.outputFD >= 0 }
      var fds = open.map { pollfd(fd: $0.outputFD, events: Int16(POLLIN), revents: 0) }
      if poll(&fds, nfds_t(fds.count), 20) > 0 {
        for (child, fd) in zip(open, fds) where fd.revents != 0 {
          for line in child.readAvailable().lines { show(child.role, line) }
        }
      }
      for child in children { child.reap() }
    }
    return true
  }

  func show(_ role: String, _ line: String) {
    let label = role.padding(toLength: 9, withPad: " ", startingAt: 0)
    console.write("\(label)│ \(line.terminalSafe)\n")
  }

  /// Writes demo.cast beside the trace, and plays the run when a person is watching.
  func writeCastAndPlay(_ trace: Trace, tracePath: String) throws(CommandFailure) {
    guard let playback = Playback(trace: trace, language: language == .en ? .en : .ru) else { return }
    let castPath = (outDirectory as NSString).appendingPathComponent("demo.cast")
    try PlayCommand.writeCast(playback, title: "trace.jsonl", width: 100, height: 30, to: castPath)
    console.write("  recording  \(castPath) (asciinema play \(shellQuoted(castPath)))\n")
    let interactive = isatty(0) == 1 && isatty(1) == 1 && getenv("CI") == nil
    guard interactive, TerminalPlayer.terminalSize().map({ $0.width >= 80 && $0.height >= 24 }) == true else {
      return
    }
    _ = try? TerminalPlayer(playback: playback, title: "trace.jsonl", color: TerminalPlayer.colorWanted).run()
  }

  /// Draws the three views of the run, as SVG and PNG, next to the trace.
  func writeFigures(_ trace: Trace) throws(CommandFailure) {
    let options = DiagramOptions(language: language == .en ? .en : .ru)
    var written: [String] = []
    for view in DiagramView.allCases {
      for format in [DiagramFormat.svg, .png] {
        let path = (outDirectory as NSString).appendingPathComponent("\(view.rawValue).\(format.rawValue)")
        do {
          try OutputFile.write(
            try Diagrams.render(trace, view: view, format: format, options: options), to: path)
        } catch let failure as CommandFailure {
          throw failure
        } catch {
          throw CommandFailure("cannot draw the \(view.rawValue) view: \(error)")
        }
        written.append((path as NSString).lastPathComponent)
      }
    }
    console.write("  figures    \(outDirectory)/{\(written.joined(separator: ","))}\n")
  }

  func prepareDirectories() throws(CommandFailure) {
    do { try Recorder.prepareDirectory(logDirectory) } catch {
      throw CommandFailure("\(error) (--out)", exitCode: error.isRefusal ? 2 : 1)
    }
    // Logs of an earlier run would be merged into this one: its own are removed, nothing else.
    let leftAlone: [String]
    do {
      leftAlone = try LogCleanup.removeLogs(in: logDirectory)
    } catch {
      throw CommandFailure("cannot prepare \(outDirectory): \(error)", exitCode: error.isRefusal ? 2 : 1)
    }
    guard leftAlone.isEmpty else {
      throw CommandFailure(
        "\(logDirectory) holds \(leftAlone.joined(separator: ", ")), which \(leftAlone.count == 1 ? "is" : "are") "
          + "not sockscope logs of yours (a link, a directory, another user's file or another kind of file); "
          + "they would be merged into this run, and sockscope removes only its own logs: move them away "
          + "or choose another --out", exitCode: 2)
    }
  }

  func mergeAndReport() throws(CommandFailure) {
    let merged: TraceMerger.Result
    do { merged = try TraceMerger.merge(directory: logDirectory) } catch { throw CommandFailure("\(error)") }
    let tracePath = (outDirectory as NSString).appendingPathComponent(TraceFile.fileName)
    do {
      try TraceFile.write(merged.trace, to: tracePath)
    } catch {
      throw CommandFailure(writing: error, hint: "choose another --out")
    }
    console.write("\nThe run is recorded: \(TraceSummary(merged.trace).line).\n")
    for problem in merged.trace.header.problems { console.write("note: \(problem.terminalSafe)\n") }
    console.write("  trace      \(tracePath)\n")
    try writeFigures(merged.trace)
    try writeCastAndPlay(merged.trace, tracePath: tracePath)
    console.write(
      "  raw logs   \(logDirectory)/*.sslog (\(counted(merged.logFiles.count, "process", plural: "processes")))\n"
    )
    console.write("Next: sockscope validate \(shellQuoted(tracePath))\n")
  }
}
