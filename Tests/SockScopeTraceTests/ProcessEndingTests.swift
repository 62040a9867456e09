import Foundation
import Glibc
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

/// A decoded log of `pid`, opened at CLOCK_MONOTONIC 1 000, closed or not.
private func log(pid: Int32 = 42, closed: Bool) throws -> ProcessLog {
  try ProcessLog.decode(LogImage(pid: pid, closed: closed).bytes, path: "\(pid).sslog")
}

@Suite("How each process ended: launchers' exit records, live pids, the header")
struct ProcessEndingTests {
  @Test("a cut log whose launcher saw SIGKILL is killed by SIGKILL, and the note says so instead")
  func killed() throws {
    var logs = [try log(closed: false)]
    #expect(logs[0].problems.first?.contains("ended abruptly") == true)
    let exit = ProcessExit(pid: 42, spawned: 900, reaped: 5_000, signal: SIGKILL)
    ProcessEndings.resolve(&logs, exits: [exit], isAlive: { _, _ in true })
    #expect(logs[0].process.ending == .killed)
    #expect(logs[0].process.signal == "SIGKILL")
    #expect(
      logs[0].problems == [
        "pid 42 (server) was killed by SIGKILL; the 0 events it recorded up to then are kept, the call in flight is not"
      ])
  }

  @Test("a cut log whose pid is still alive is running: never called dead")
  func running() throws {
    var logs = [try log(closed: false)]
    ProcessEndings.resolve(&logs, exits: [], isAlive: { pid, start in pid == 42 && start == 1_000 })
    #expect(logs[0].process.ending == .running)
    #expect(logs[0].problems.count == 1)
    #expect(logs[0].problems[0].contains("was still running when this trace was merged"))
    #expect(!logs[0].problems[0].contains("abrupt") && !logs[0].problems[0].contains("killed"))
  }

  @Test("a cut log with no exit record and no live pid stays cut, cause unknown")
  func cut() throws {
    var logs = [try log(closed: false)]
    ProcessEndings.resolve(&logs, exits: [], isAlive: { _, _ in false })
    #expect(logs[0].process.ending == .cut)
    #expect(logs[0].process.signal == nil)
  }

  @Test("an exit record of another process that had the same pid earlier or later is not used")
  func reusedPID() throws {
    var logs = [try log(closed: false)]
    // One reaped before the log opened, one spawned after.
    let before = ProcessExit(pid: 42, spawned: 100, reaped: 500, signal: SIGKILL)
    let after = ProcessExit(pid: 42, spawned: 2_000, reaped: 3_000, signal: SIGTERM)
    ProcessEndings.resolve(&logs, exits: [before, after], isAlive: { _, _ in false })
    #expect(logs[0].process.ending == .cut)
  }

  @Test("a closed log keeps closed, with the exit status its launcher saw; a cut one that exited is exited")
  func exitStatus() throws {
    var logs = [try log(closed: true), try log(pid: 43, closed: false)]
    let exits = [
      ProcessExit(pid: 42, spawned: 900, reaped: 5_000, status: 3),
      ProcessExit(pid: 43, spawned: 900, reaped: 5_000, status: 0),
    ]
    ProcessEndings.resolve(&logs, exits: exits, isAlive: { _, _ in true })
    #expect(logs[0].process.ending == .closed && logs[0].process.exitStatus == 3)
    #expect(logs[1].process.ending == .exited && logs[1].process.exitStatus == 0)
    #expect(logs[1].problems.isEmpty, "it exited: nothing was lost but what the log says")
  }

  @Test("wait statuses become a signal or an exit status")
  func waitStatus() {
    #expect(ProcessExit(pid: 1, spawned: 0, waitStatus: 9).signal == 9)
    #expect(ProcessExit(pid: 1, spawned: 0, waitStatus: 3 << 8).status == 3)
    #expect(ProcessExit.signalName(9) == "SIGKILL")
    #expect(ProcessExit.signalName(2) == "SIGINT")
    #expect(ProcessExit.signalName(40) == "signal 40")
  }

  @Test("an exit record is written once, never over a file or through a link, and read back")
  func exitFile() throws {
    let dir = NSTemporaryDirectory() + "/ending-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let record = ProcessExit(pid: 77, spawned: 10, reaped: 20, signal: SIGKILL)
    try record.write(into: dir)
    #expect(ProcessExit.read(directory: dir, names: ["77-10.exit", "other.txt"]) == [record])
    #expect(throws: TraceFileError.self) { try record.write(into: dir) }
    let target = dir + "/target"
    try "keep".write(toFile: target, atomically: false, encoding: .utf8)
    let link = ProcessExit(pid: 78, spawned: 10, reaped: 20, status: 0)
    try FileManager.default.createSymbolicLink(atPath: dir + "/78-10.exit", withDestinationPath: target)
    #expect(throws: TraceFileError.self) { try link.write(into: dir) }
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
    #expect(ProcessExit.parse(Array("{\"pid\":1}".utf8)) == nil)
    // A FIFO or a link named like a record is never read (a FIFO would block the merge).
    #expect(mkfifo(dir + "/79-10.exit", 0o600) == 0)
    #expect(ProcessExit.read(directory: dir, names: ["79-10.exit", "78-10.exit"]).isEmpty)
  }

  @Test("this very process is running; a log opened before it started belongs to another process")
  func liveCheck() {
    #expect(ProcessEndings.isRunning(pid: getpid(), logStart: ProcessExit.now()))
    #expect(!ProcessEndings.isRunning(pid: getpid(), logStart: 0))
    #expect(!ProcessEndings.isRunning(pid: 0, logStart: ProcessExit.now()))
  }

  @Test("the header carries ended, signal and exit_status, and reads them back")
  func headerRoundTrip() throws {
    let header = TraceHeader(
      t0: 5,
      processes: [
        TracedProcess(pid: 1, role: "server", ending: .running),
        TracedProcess(pid: 2, role: "client#1", ending: .killed, signal: "SIGKILL"),
        TracedProcess(pid: 3, role: "client#2", ending: .closed, exitStatus: 0),
      ])
    let text = TraceFile.encode(Trace(header: header, events: []))
    #expect(text.contains(#""ended":"killed","signal":"SIGKILL""#))
    #expect(text.contains(#""ended":"running""#))
    #expect(text.contains(#""exit_status":0"#))
    let read = TraceFile.parse(Array(text.utf8), file: "t.jsonl")
    #expect(read.problems.isEmpty)
    #expect(read.trace.header.processes == header.processes)
    let unknown = text.replacingOccurrences(of: "\"running\"", with: "\"vanished\"")
    let bad = TraceFile.parse(Array(unknown.utf8), file: "t.jsonl")
    #expect(bad.problems.first?.message.contains("\"killed\", \"running\" or \"cut\"") == true)
  }
}
