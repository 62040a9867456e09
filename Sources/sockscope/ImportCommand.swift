import ArgumentParser
import Foundation
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
        strace -f -tt -yy -s 256 -e trace=%network,close,unlink,read,write -o run.log -- PROGRAM
      (-yy names sockets by inode, as SockScope does; -s 256 keeps payloads; -ff -o run.log writes one \
      file per process, run.log.PID: pass them all). Calls split by other processes \
      (<unfinished ...> / <... resumed>) are joined; lines that cannot be read are listed with their \
      numbers (exit status 1, the trace is still written). Roles are guessed: the process that binds \
      is server, the ones that connect are client#1, client#2...; --role PID=NAME sets them. Sockets \
      glibc opens by itself to ask nscd for a user or host name (a Python without HOME does) are left \
      out and counted: the program did not make them; so are unlinks of files that are not socket \
      files in the trace. Without -tt, calls are ordered by line.

      Examples:
        sockscope import strace run.log -o run/trace.jsonl
        sockscope import strace run.log.* --role 4242=server -o trace.jsonl
      """)

  @Argument(help: ArgumentHelp("strace output files.", valueName: "file"))
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
    try reportingFailures {
      var inputs: [StraceImport.Input] = []
      for file in files {
        let data: [UInt8]
        do { data = try InputFile.read(file) } catch { throw CommandFailure("\(error)", exitCode: 2) }
        let suffix = (file as NSString).pathExtension
        inputs.append(
          StraceImport.Input(name: file, text: String(decoding: data, as: UTF8.self), pid: Int32(suffix)))
      }
      var roles: [Int32: String] = [:]
      for r in role {
        let parts = r.split(separator: "=", maxSplits: 1)
        if let pid = Int32(parts[0]) { roles[pid] = String(parts[1]) }
      }
      let result = StraceImport.read(inputs, roles: roles)
      let bytes = TraceFile.encodedBytes(result.trace)
      if let output {
        try OutputFile.write(bytes, to: output)
      } else {
        try FileOutput.standardOutput.requireNotAnInput()
        FileOutput.standardOutput.write(bytes)
      }
      if result.nameServiceSockets > 0 {
        let n = result.nameServiceSockets
        FileOutput.standardError.write(
          "note: left out \(n) socket\(n == 1 ? "" : "s") glibc opened to ask nscd for a user or host name "
            + "(/var/run/nscd/socket); the program did not make \(n == 1 ? "it" : "them"), "
            + "and SockScope's own recording does not see them either\n")
      }
      if result.otherUnlinks > 0 {
        let n = result.otherUnlinks
        FileOutput.standardError.write(
          "note: left out \(n) unlink\(n == 1 ? "" : "s") of files that no socket in the trace was bound, "
            + "connected or sent to\n")
      }
      if result.untimedCalls > 0 {
        FileOutput.standardError.write(
          "note: strace wrote \(result.untimedCalls) call\(result.untimedCalls == 1 ? "" : "s") without a time of day, "
            + "so they are ordered by line and have no duration: run strace with -tt\n")
      }
      for problem in result.problems {
        FileOutput.standardError.write("\(String(describing: problem).terminalSafe)\n")
      }
      if !result.problems.isEmpty {
        throw CommandFailure(
          "\(counted(result.problems.count, "line")) could not be read (listed above); "
            + "the \(counted(result.trace.events.count, "event")) around them "
            + (result.trace.events.count == 1 ? "was kept" : "were kept"))
      }
    }
  }
}
