import ArgumentParser
import Foundation
import SockScopeOutput
import SockScopeStrace
import SockScopeTrace

struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Convert another tool's record of a run into a SockScope trace.",
    subcommands: [StraceImportCommand.self])
}

struct StraceImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "strace",
    abstract: "Convert strace output into a trace: for static or Go programs, or runs recorded elsewhere.",
    discussion: """
      Record with:
        strace -f -tt -T -yy -s 256 -e trace=%network,close,unlink,read,write -o run.log -- PROGRAM
      (-yy names sockets by inode, as SockScope does; -T gives each call's duration; -s 256 keeps \
      payloads; -ff -o run.log writes one file per process, run.log.PID: pass them all, or just \
      run.log, the prefix). Calls split by other processes \
      (<unfinished ...> / <... resumed>) are joined; lines that cannot be read are listed with their \
      numbers (exit status 1, the trace is still written). Roles are guessed: the process that binds \
      is server, the ones that connect are client#1, client#2...; --role PID=NAME sets them. Sockets \
      glibc opens by itself to ask nscd for a user or host name (a Python without HOME does) are left \
      out and counted: the program did not make them; so are unlinks of files that are not socket \
      files in the trace. Without -tt, calls are ordered by line. With -ff, record with -T: strace \
      writes each call whole, at its start, so only -T tells when a receive returned (without it, a \
      call ends at its process's next call, and a note says so). A log without -yy is reported once \
      per file; an empty log, or one without AF_UNIX socket calls, is an error (exit status 2).

      Examples:
        sockscope import strace run.log -o run/trace.jsonl
        sockscope import strace run.log.* --role 4242=server -o trace.jsonl
        sockscope import strace run.log -o trace.jsonl      (after strace -ff -o run.log)
      """)

  @Argument(
    help: ArgumentHelp(
      "strace output files, or the prefix strace -ff -o PREFIX wrote PREFIX.PID files under.",
      valueName: "file"))
  var files: [String]

  @Option(
    name: .shortAndLong,
    help: ArgumentHelp("Where to write the trace (default: standard output).", valueName: "file"))
  var output: String?

  @Option(
    help: ArgumentHelp("Name a process's role, e.g. --role 4242=server (repeatable).", valueName: "pid=name"))
  var role: [String] = []

  func validate() throws {
    for r in role where r.split(separator: "=").count != 2 || Int32(r.split(separator: "=")[0]) == nil {
      throw ValidationError("--role takes PID=NAME, e.g. --role 4242=server; got \(r)")
    }
  }

  func run() throws {
    // Named as the user typed it: `sockscope import strace`.
    try reportingFailures(commandName: "import strace") {
      let inputs = try readInputs()
      var roles: [Int32: String] = [:]
      for r in role {
        let parts = r.split(separator: "=", maxSplits: 1)
        if let pid = Int32(parts[0]) { roles[pid] = String(parts[1]) }
      }
      let result = StraceImport.read(inputs, roles: roles)
      guard !result.trace.events.isEmpty else {
        for problem in result.problems {
          StandardStream.standardError.write("\(String(describing: problem).terminalSafe)\n")
        }
        throw CommandFailure(
          "no calls on AF_UNIX sockets in \(inputs.map(\.name).joined(separator: ", ")), so no trace was written: "
            + "record the program with \(Self.straceCommand)", exitCode: 2)
      }
      let bytes = TraceFile.encodedBytes(result.trace)
      if let output {
        try OutputFile.write(bytes, to: output)
      } else {
        try StandardStream.standardOutput.requireNotAnInput()
        StandardStream.standardOutput.write(bytes)
      }
      if result.nameServiceSockets > 0 {
        let n = result.nameServiceSockets
        StandardStream.standardError.write(
          "note: left out \(n) socket\(n == 1 ? "" : "s") glibc opened to ask nscd for a user or host name "
            + "(/var/run/nscd/socket); the program did not make \(n == 1 ? "it" : "them"), "
            + "and SockScope's own recording does not see them either\n")
      }
      if result.otherUnlinks > 0 {
        let n = result.otherUnlinks
        StandardStream.standardError.write(
          "note: left out \(n) unlink\(n == 1 ? "" : "s") of files that no socket in the trace was bound, "
            + "connected or sent to\n")
      }
      if result.untimedCalls > 0 {
        StandardStream.standardError.write(
          "note: strace wrote \(result.untimedCalls) call\(result.untimedCalls == 1 ? "" : "s") without a time of day, "
            + "so they are ordered by line and have no duration: run strace with -tt\n")
      }
      if !result.filesWithoutDurations.isEmpty {
        StandardStream.standardError.write(
          "note: strace -ff wrote \(result.filesWithoutDurations.count) per-process file"
            + "\(result.filesWithoutDurations.count == 1 ? "" : "s") without -T, so how long each call took is not known; each call's duration is the time until its process's next call "
            + "(an upper bound), and receives are linked to sends by it: run strace with -T\n")
      }
      for problem in result.problems {
        StandardStream.standardError.write("\(String(describing: problem).terminalSafe)\n")
      }
      if !result.problems.isEmpty {
        throw CommandFailure(
          "\(counted(result.problems.count, "line")) could not be read (listed above); "
            + "the \(counted(result.trace.events.count, "event")) around them "
            + (result.trace.events.count == 1 ? "was kept" : "were kept"))
      }
    }
  }

  /// The strace command the help recommends.
  static let straceCommand =
    "strace -f -tt -T -yy -s 256 -e trace=%network,close,unlink,read,write -o run.log -- PROGRAM"

  /// The files named on the command line, read; a prefix `strace -ff -o PREFIX` wrote stands for
  /// its `PREFIX.PID` files. A missing, unreadable or empty file is an error: there is no run in it.
  func readInputs() throws -> [StraceImport.Input] {
    var paths: [String] = []
    for file in files {
      if !FileManager.default.fileExists(atPath: file) {
        let perProcess = Self.perProcessFiles(prefix: file)
        guard !perProcess.isEmpty else {
          throw CommandFailure(
            "\(file): no such file, and no \(file).PID files that strace -ff -o \(file) writes "
              + "(check the path)", exitCode: 2)
        }
        paths += perProcess
      } else {
        paths.append(file)
      }
    }
    var inputs: [StraceImport.Input] = []
    for path in paths {
      // Read through InputFile, which remembers each input by identity: no output may replace it.
      let data: [UInt8]
      do { data = try InputFile.read(path) } catch { throw CommandFailure("\(error)", exitCode: 2) }
      let text = String(decoding: data, as: UTF8.self)
      guard text.contains(where: { !$0.isWhitespace && $0 != "\u{FEFF}" }) else {
        throw CommandFailure(
          "\(path) is empty: strace wrote nothing there. Record the program with \(Self.straceCommand)",
          exitCode: 2)
      }
      inputs.append(StraceImport.Input(name: path, text: text, pid: Int32((path as NSString).pathExtension)))
    }
    return inputs
  }

  /// `PREFIX.PID` files, as `strace -ff -o PREFIX` names them, by pid.
  static func perProcessFiles(prefix: String) -> [String] {
    let directory = (prefix as NSString).deletingLastPathComponent
    let base = (prefix as NSString).lastPathComponent + "."
    let names =
      (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
    return names.compactMap { name -> (Int32, String)? in
      guard name.hasPrefix(base), let pid = Int32(name.dropFirst(base.count)), pid > 0 else { return nil }
      return (pid, (directory as NSString).appendingPathComponent(name))
    }.sorted { $0.0 < $1.0 }.map(\.1)
  }
}
