import Foundation
import SockScopeOutput
public import SockScopeTrace

/// How a launcher's child ended, as the launcher saw it with `waitpid`: written next to the
/// per-process logs (`<pid>-<spawn ns>.exit`, one JSON object) so that a merge can say
/// `killed` with the signal, rather than only that the log was never closed.
///
/// Only a process's parent learns its wait status, so only the processes SockScope starts itself
/// (`sockscope record`, `sockscope demo`) get one; any other process whose log was never closed is
/// `running` while its pid is alive, and `cut` once it is gone.
public struct ProcessExit: Sendable, Equatable {
  /// The extension of the file a launcher writes beside a log (`1234.exit`).
  public static let fileExtension = "exit"

  /// The process the launcher started.
  public var pid: Int32
  /// CLOCK_MONOTONIC just before the launcher started the process.
  public var spawned: UInt64
  /// CLOCK_MONOTONIC when the launcher saw it end.
  public var reaped: UInt64
  /// The exit status, when it exited.
  public var status: Int32?
  /// The number of the signal that killed it, when one did.
  public var signal: Int32?

  /// An exit as its launcher saw it.
  public init(pid: Int32, spawned: UInt64, reaped: UInt64, status: Int32? = nil, signal: Int32? = nil) {
    self.pid = pid
    self.spawned = spawned
    self.reaped = reaped
    self.status = status
    self.signal = signal
  }

  /// The record for a `waitpid` status of `pid`.
  public init(pid: Int32, spawned: UInt64, waitStatus: Int32) {
    // WIFSIGNALED / WTERMSIG / WEXITSTATUS, which Swift does not import as macros.
    let signal = waitStatus & 0x7F
    if signal != 0 && signal != 0x7F {
      self.init(pid: pid, spawned: spawned, reaped: Self.now(), signal: signal)
    } else {
      self.init(pid: pid, spawned: spawned, reaped: Self.now(), status: (waitStatus >> 8) & 0xFF)
    }
  }

  /// CLOCK_MONOTONIC now, the clock of every time in a trace.
  public static func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }

  /// The signal's name as `kill -l` spells it with the `SIG` prefix: `SIGKILL`.
  public var signalName: String? { signal.map(Self.signalName) }

  /// `SIGKILL` for 9; `signal 40` for one without a name here.
  public static func signalName(_ number: Int32) -> String {
    let names = [
      "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
      "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
      "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
      "SIGIO", "SIGPWR", "SIGSYS",
    ]
    return names.indices.contains(Int(number) - 1) ? names[Int(number) - 1] : "signal \(number)"
  }

  /// The record as its file's text.
  var json: String {
    var o: JSONObject = [
      "pid": .int(Int64(pid)), "spawned_ns": .int(Int64(clamping: spawned)),
      "reaped_ns": .int(Int64(clamping: reaped)),
    ]
    if let status { o["exit_status"] = .int(Int64(status)) }
    if let signal { o["signal"] = .int(Int64(signal)) }
    return JSONValue.object(o).jsonText + "\n"
  }

  /// Reads a record; nil when the bytes are not one.
  static func parse(_ bytes: [UInt8]) -> ProcessExit? {
    guard let o = (try? JSONValue.parse(bytes))?.objectValue, let pid = o["pid"]?.intValue,
      let spawned = o["spawned_ns"]?.intValue, let reaped = o["reaped_ns"]?.intValue, spawned >= 0,
      reaped >= spawned, let pid32 = Int32(exactly: pid)
    else { return nil }
    let status = o["exit_status"]?.intValue.flatMap { Int32(exactly: $0) }
    let signal = o["signal"]?.intValue.flatMap { Int32(exactly: $0) }
    guard (status == nil) != (signal == nil) else { return nil }
    return ProcessExit(
      pid: pid32, spawned: UInt64(spawned), reaped: UInt64(reaped), status: status, signal: signal)
  }

  /// Writes the record into `directory` (where the process's log is). The file is created, never
  /// opened if it exists or followed if it is a symlink (`O_EXCL|O_NOFOLLOW`).
  public func write(into directory: String) throws(TraceFileError) {
    let path = (directory as NSString).appendingPathComponent("\(pid)-\(spawned).\(Self.fileExtension)")
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      let code = errno
      throw TraceFileError(
        path: path, message: "cannot record how pid \(pid) ended: \(String(cString: strerror(code)))",
        errno: code)
    }
    defer { close(fd) }
    let bytes = Array(json.utf8)
    var done = 0
    while done < bytes.count {
      let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        let code = errno
        unlink(path)  // Ours: created above.
        throw TraceFileError(
          path: path, message: "cannot record how pid \(pid) ended: \(String(cString: strerror(code)))",
          errno: code)
      }
      done += n
    }
  }

  /// Every readable record among `names` (file names in `directory`). Only small regular files
  /// are read, never through a link, and never a FIFO or device that could block the merge.
  static func read(directory: String, names: [String]) -> [ProcessExit] {
    names.filter { $0.hasSuffix("." + fileExtension) }.compactMap { name in
      let path = (directory as NSString).appendingPathComponent(name)
      let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
      guard fd >= 0 else { return nil }
      defer { close(fd) }
      var st = stat()
      guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size < 4096 else { return nil }
      // An input of the merge like the logs: no output of the same command may replace it.
      FileIO.inputs.withLock { _ = $0.insert(FileIO.Identity(st)) }
      var bytes = [UInt8](repeating: 0, count: 4096)
      let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      guard n > 0 else { return nil }
      return parse(Array(bytes[..<n]))
    }
  }
}

/// Decides how each process of a merge ended, from its log, the launchers' exit records and
/// whether its pid is still alive.
enum ProcessEndings {
  /// Sets `ending` (and `signal`, `exitStatus`) of each log's process, and replaces the note of a
  /// log that was never closed with what is known: killed by which signal, or still running.
  static func resolve(_ logs: inout [ProcessLog], exits: [ProcessExit], isAlive: (Int32, UInt64) -> Bool) {
    for k in logs.indices {
      let process = logs[k].process
      // The record of this very process: same pid, started by its launcher before its log opened
      // and reaped after (another process given the same pid has other times).
      let exit =
        exits.filter {
          $0.pid == process.pid && $0.spawned <= logs[k].startMonotonic && $0.reaped >= logs[k].startMonotonic
        }
        .max { $0.spawned < $1.spawned }
      var ending = process.ending
      var signal: String?
      if let exit, let number = exit.signal {
        ending = .killed
        signal = ProcessExit.signalName(number)
      } else if process.ending == .cut {
        if exit != nil {
          ending = .exited
        } else if isAlive(process.pid, logs[k].startMonotonic) {
          ending = .running
        }
      }
      logs[k].process.ending = ending
      logs[k].process.signal = signal
      logs[k].process.exitStatus = exit?.status.map(Int.init)
      guard ending != process.ending else { continue }
      let old = ProcessLog.cutNote(pid: process.pid, role: process.role, events: process.events)
      logs[k].problems.removeAll { $0 == old }
      if let note = note(logs[k].process) { logs[k].problems.append(note) }
    }
  }

  /// What the header's problems say about a process that did not close its log.
  static func note(_ p: TracedProcess) -> String? {
    switch p.ending {
    case .closed, .exited: nil
    case .killed:
      "pid \(p.pid) (\(p.role)) was killed by \(p.signal ?? "a signal"); the \(p.events) events it recorded "
        + "up to then are kept, the call in flight is not"
    case .running:
      "pid \(p.pid) (\(p.role)) was still running when this trace was merged: its later events are not in it; "
        + "merge again when it has ended"
    case .cut: ProcessLog.cutNote(pid: p.pid, role: p.role, events: p.events)
    }
  }

  /// Whether the process `pid` whose log opened at `logStart` (CLOCK_MONOTONIC) is still running
  /// on this machine: alive, not a zombie, and started no later than its log (not a later process
  /// that was given the same pid).
  static func isRunning(pid: Int32, logStart: UInt64) -> Bool {
    // /proc files report a size of 0: read until the end instead.
    guard pid > 0, let bytes = FileManager.default.contents(atPath: "/proc/\(pid)/stat").map(Array.init)
    else { return false }
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow the
    // last ')'.
    guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return false }
    let fields = String(decoding: bytes[(close + 1)...], as: UTF8.self).split(separator: " ")
    // fields[0] is the state (field 3); the start time is field 22, in clock ticks since boot.
    guard fields.count > 19, fields[0] != "Z", fields[0] != "X", let ticks = UInt64(fields[19]) else {
      return false
    }
    let hz = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
    let startBoot = ticks * (1_000_000_000 / hz)
    // The start time counts time suspended (CLOCK_BOOTTIME); subtract what has been suspended so
    // far to compare it with the log's CLOCK_MONOTONIC.
    // (The monotonic clock is read first: read after, it could be the later of two equal clocks.)
    let monotonic = ProcessExit.now()
    var boot = timespec()
    clock_gettime(CLOCK_BOOTTIME, &boot)
    let bootNow = UInt64(boot.tv_sec) * 1_000_000_000 + UInt64(boot.tv_nsec)
    let suspended = bootNow > monotonic ? bootNow - monotonic : 0
    let tick = 1_000_000_000 / hz
    return startBoot &- min(suspended, startBoot) <= logStart + tick
  }
}
