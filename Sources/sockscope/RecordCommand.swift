import ArgumentParser
import Foundation
import Glibc
import SockScopeMerge
import SockScopeOutput
import SockScopeSockets
import SockScopeTrace

struct RecordCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "record",
    abstract: "Run any dynamically linked program and record its socket calls: no change to the program.",
    discussion: """
      Loads SockScope's interposer (libSockScopePreload.so, next to sockscope) into the program with \
      LD_PRELOAD. It records socket, socketpair, bind, listen, accept, connect, send*, recv*, read and \
      write on sockets, shutdown, close, unlink, dup/dup2/dup3/fcntl(F_DUPFD*) of a socket, fork, \
      exec (with the socket descriptors that survive it), the sockets a program holds when it starts \
      (spawned by posix_spawn or Python's subprocess, or exec'd), setsockopt, getsockopt, getsockname, \
      getpeername, descriptors and credentials passed in control messages, and poll/select/epoll waits \
      that include a socket, into DIR/logs, in the same format as the Swift layer, following fork and \
      exec; each call also records where the program made it (a Python file and line, a C source line \
      from the program's debug information, or the module and offset; SOCKSCOPE_SOURCE=0 turns this \
      off). The program's results, errno and data are unchanged. When the \
      program ends, DIR/trace.jsonl is merged from every log in DIR/logs, so several record \
      invocations sharing --out form one run (server and client started in two terminals).

      A statically linked program cannot be seen this way: trace it with strace instead.

      Examples:
        sockscope record --out run --role server -- python3 examples/python/server.py
        sockscope record --out run --role client -- python3 examples/python/client.py
      """)

  @Option(help: ArgumentHelp("The trace directory.", valueName: "dir"))
  var out: String = "./sockscope-out"

  @Option(
    help: ArgumentHelp("The program's role (default: its script's or its own name).", valueName: "name"))
  var role: String?

  @Option(
    help: ArgumentHelp("The interposer to load (default: the one next to sockscope).", valueName: "path"))
  var preload: String?

  @Option(help: ArgumentHelp("Payload bytes kept per event.", valueName: "bytes"))
  var capture = 256

  @Argument(
    parsing: .postTerminator,
    help: ArgumentHelp("The program and its arguments, after --.", valueName: "command"))
  var command: [String] = []

  func validate() throws {
    guard !command.isEmpty else {
      throw ValidationError("name the program to run after --, e.g. sockscope record -- python3 server.py")
    }
    if let role, let problem = Recorder.roleProblem(role) { throw ValidationError(problem) }
  }

  func run() throws {
    try reportingFailures {
      let library = try Interposer.locate(preload)
      let program = try ProgramCheck.resolve(command[0])
      try ProgramCheck.requireDynamic(program, name: command[0])
      let logs = TraceDirectory.logsPath(in: out)
      do throws(RecorderError) { try Recorder.prepareDirectory(logs) } catch {
        throw CommandFailure("\(error) (--out)", exitCode: error.isRefusal ? 2 : 1)
      }
      let environment = Interposer.environment(
        library: library, logs: URL(fileURLWithPath: logs).standardizedFileURL.path,
        role: role ?? Interposer.defaultRole(command), capture: capture)
      let status = try ProcessLauncher.run(
        program, arguments: command, environment: environment, exitRecords: logs)
      // Several `record`s into one directory each merge when their program ends. One merge at a
      // time, each reading and writing under a lock on the logs directory, so the last trace
      // written is also the last one read: an earlier reader can no longer overwrite a newer view
      // (a server that closed its log shown as cut).
      let lock = open(logs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      if lock >= 0 { while flock(lock, LOCK_EX) != 0 && errno == EINTR {} }
      defer { if lock >= 0 { close(lock) } }
      let merged: TraceMerger.Result
      do {
        merged = try TraceMerger.merge(directory: logs)
      } catch {
        let logNames = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
        if !logNames.contains(where: { $0.hasSuffix(".sslog") }) {
          // Mostly not a failure of the recording: the interposer records only calls on AF_UNIX
          // sockets. But a log that could not be opened (a file size limit under 1 MiB, a
          // directory that became unwritable) leaves none either, and the interposer has said why.
          StandardStream.standardError.write(
            "sockscope record: \(logs.terminalSafe) holds no per-process log, so there is no trace to write: "
              + "\(command[0].terminalSafe) made no call on a UNIX-domain socket, or none that could be recorded "
              + "(when the interposer could not open a log, it said why above). A program that calls the kernel "
              + "without the C library (Go, for one) is not seen through LD_PRELOAD: record it with "
              + "`strace -f -o run.strace PROGRAM` and `sockscope import strace run.strace`.\n")
        } else {
          StandardStream.standardError.write(
            "sockscope record: the program left no trace in \(logs) (\(String(describing: error).terminalSafe))\n"
          )
        }
        if status != 0 { throw ExitCode(status) }
        return
      }
      let tracePath = (out as NSString).appendingPathComponent(TraceFile.fileName)
      do throws(OutputError) {
        try TraceFile.write(merged.trace, to: tracePath)
        RecordCommand.report(merged, tracePath: tracePath, logs: logs)
      } catch {
        var failure = CommandFailure(writing: error, hint: "choose another --out")
        if status != 0 && !error.isRefusal { failure.exitCode = status }
        throw failure
      }
      if status != 0 { throw ExitCode(status) }
    }
  }
}

extension RecordCommand {
  /// What was recorded, as `demo` says it: on standard error, since standard output is the
  /// program's. The trace covers every log in the directory, other `record` runs' included.
  static func report(_ merged: TraceMerger.Result, tracePath: String, logs: String) {
    let err = StandardStream.standardError
    err.write("\nsockscope record: the run is recorded: \(TraceSummary(merged.trace).line.terminalSafe).\n")
    for problem in merged.trace.header.problems { err.write("note: \(problem.terminalSafe)\n") }
    err.write("  trace      \(tracePath)\n")
    err.write(
      "  raw logs   \(logs)/*.sslog (\(counted(merged.logFiles.count, "process", plural: "processes")))\n")
    err.write("Next: sockscope play \(shellQuoted(tracePath))\n")
  }
}

/// Finding and configuring the LD_PRELOAD interposer.
enum Interposer {
  static let fileName = "libSockScopePreload.so"

  /// `explicit`, else $SOCKSCOPE_PRELOAD, else the library next to the sockscope executable.
  static func locate(_ explicit: String?) throws(CommandFailure) -> String {
    if let explicit {
      guard FileManager.default.fileExists(atPath: explicit) else {
        throw CommandFailure(
          "--preload \(explicit): no such file; name the libSockScopePreload.so built by swift build")
      }
      return URL(fileURLWithPath: explicit).standardizedFileURL.path
    }
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["SOCKSCOPE_PRELOAD"] { candidates.append(env) }
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    candidates.append(executable.deletingLastPathComponent().appendingPathComponent(fileName).path)
    candidates.append(
      executable.deletingLastPathComponent().appendingPathComponent("../lib/" + fileName).path)
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
      throw CommandFailure(
        "cannot find the interposer \(fileName) (looked in: \(candidates.joined(separator: ", "))); "
          + "build it with `swift build`, or name it with --preload PATH")
    }
    return URL(fileURLWithPath: found).standardizedFileURL.path
  }

  /// This process's environment with the interposer and its settings added.
  static func environment(library: String, logs: String, role: String, capture: Int) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["LD_PRELOAD"] = [library, env["LD_PRELOAD"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(
      separator: ":")
    env["SOCKSCOPE_TRACE_DIR"] = logs
    env["SOCKSCOPE_ROLE"] = role
    env["SOCKSCOPE_CAPTURE"] = String(capture)
    return env
  }

  /// The script's name (`server` for `python3 server.py`), else the program's.
  static func defaultRole(_ command: [String]) -> String {
    let scripts = ["py", "sh", "rb", "js", "pl"]
    if let script = command.dropFirst().first(where: { scripts.contains(($0 as NSString).pathExtension) }) {
      return ((script as NSString).lastPathComponent as NSString).deletingPathExtension
    }
    return (command[0] as NSString).lastPathComponent
  }
}

/// Checks that a program exists and can be seen by LD_PRELOAD.
enum ProgramCheck {
  /// The program's path: as given when it has a slash, else looked up on PATH.
  static func resolve(_ name: String) throws(CommandFailure) -> String {
    if name.contains("/") {
      guard FileManager.default.isExecutableFile(atPath: name) else {
        throw CommandFailure("\(name): no such program (or it is not executable)", exitCode: 127)
      }
      return name
    }
    let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    guard
      let found = paths.map({ "\($0)/\(name)" }).first(where: {
        FileManager.default.isExecutableFile(atPath: $0)
      })
    else {
      throw CommandFailure("\(name): command not found on PATH", exitCode: 127)
    }
    return found
  }

  /// Refuses a statically linked program: the dynamic loader never runs in it, so LD_PRELOAD
  /// cannot see its calls. A script is judged by its interpreter (`#!`).
  static func requireDynamic(_ path: String, name: String, depth: Int = 0) throws(CommandFailure) {
    guard let handle = FileHandle(forReadingAtPath: path) else { return }
    defer { try? handle.close() }
    let head = [UInt8](handle.readData(ofLength: 4096))
    if head.starts(with: Array("#!".utf8)), depth < 2 {
      let line = String(decoding: head.prefix { $0 != 0x0A }.dropFirst(2), as: UTF8.self)
      if let interpreter = line.split(separator: " ").first {
        try requireDynamic(String(interpreter), name: name, depth: depth + 1)
      }
      return
    }
    guard let isStatic = ELF.isStaticallyLinked(head), isStatic else { return }
    throw CommandFailure(
      "\(name) is statically linked, so LD_PRELOAD cannot see its calls. Trace it with strace instead: "
        + "strace -f -tt -yy -s 256 -o trace.log -e trace=%network,close,unlink,read,write -- \(name)")
  }
}

/// Just enough ELF to tell a static executable from a dynamic one.
enum ELF {
  /// nil when `bytes` is not an ELF file (or its program headers are beyond them).
  static func isStaticallyLinked(_ bytes: [UInt8]) -> Bool? {
    guard bytes.count >= 64, bytes.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else { return nil }
    let is64 = bytes[4] == 2
    func read(_ offset: Int, _ size: Int) -> Int {
      (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }
    let phoff = is64 ? read(32, 8) : read(28, 4)
    let phentsize = is64 ? read(54, 2) : read(42, 2)
    let phnum = is64 ? read(56, 2) : read(44, 2)
    guard phentsize > 0, phoff + phentsize * phnum <= bytes.count else { return nil }
    let interpreter = 3  // PT_INTERP
    return !(0..<phnum).contains { read(phoff + $0 * phentsize, 4) == interpreter }
  }
}

/// Runs a program in the foreground, with a clean signal state, and returns its exit status.
enum ProcessLauncher {
  static func run(
    _ program: String, arguments: [String], environment: [String: String], exitRecords: String? = nil
  ) throws(CommandFailure)
    -> Int32
  {
    var attributes = SpawnAttributes.cleanSignals()
    defer { posix_spawnattr_destroy(&attributes) }
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    // Ctrl-C reaches the program from the terminal; record waits for it to finish, then merges.
    signal(SIGINT, SIG_IGN)
    var pid: pid_t = 0
    let spawned = ProcessExit.now()
    let error = posix_spawn(&pid, program, nil, &attributes, argv, envp)
    guard error == 0 else {
      throw CommandFailure("cannot run \(program): \(String(cString: strerror(error)))", exitCode: 126)
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if let exitRecords { recordExit(pid, spawned: spawned, status: status, in: exitRecords) }
    let signal = status & 0x7F
    return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
  }

  /// Records how the child `pid` ended next to its log, so the merge can say it was killed and by
  /// which signal. A failure is said, not fatal: the trace then says only that the log was cut.
  static func recordExit(_ pid: pid_t, spawned: UInt64, status: Int32, in directory: String) {
    do {
      try ProcessExit(pid: pid, spawned: spawned, waitStatus: status).write(into: directory)
    } catch {
      StandardStream.standardError.write("sockscope: warning: \(error)\n")
    }
  }
}
