import Foundation

/// Converts the output of `strace -f -tt -yy -s N` into a trace, for programs that cannot be
/// recorded with LD_PRELOAD (statically linked, Go) or runs recorded elsewhere.
///
/// Reads the three shapes strace writes: one file with `[pid N]` prefixes (on standard error),
/// one file with a leading pid column (`-f -o FILE`), or one file per process (`-ff -o FILE`, named
/// `FILE.PID`). Calls split by other processes (`<unfinished ...>` … `<... name resumed>`) are joined.
/// Only calls on AF_UNIX sockets (and unlinks of their socket files) become events; other lines
/// strace prints (signals, exits, calls on files or other sockets) are passed over by design, and
/// the sockets glibc opens for itself and unlinks of other files are left out and counted; any line
/// that is none of these is reported with its number, never dropped silently.
public enum StraceImport {
  /// The trace and the lines that could not be read.
  public struct Result: Sendable {
    public var trace: Trace
    public var problems: [TraceProblem]
    /// Sockets glibc opened to ask nscd for a user or host name: left out, counted here.
    public var nameServiceSockets: Int = 0
    /// Unlinks of files no socket call in the trace names: left out, counted here.
    public var otherUnlinks: Int = 0
    /// Calls strace wrote without `-tt`'s time of day: ordered by line number, with no duration.
    public var untimedCalls: Int = 0
  }

  /// One input file: its name, its text, and the pid when the name says it (`log.1234`).
  public struct Input: Sendable {
    public var name: String
    public var text: String
    public var pid: Int32?

    public init(name: String, text: String, pid: Int32? = nil) {
      self.name = name
      self.text = text
      self.pid = pid
    }
  }

  struct Call {
    var pid: Int32
    var name: String
    var arguments: String
    var result: String
    var start: UInt64
    var end: UInt64
    var file: String
    var line: Int
    /// Whether strace wrote the time of day (`-tt`); without it, `start` and `end` count lines.
    var timed: Bool
  }

  /// Imports `inputs`; `roles` names processes by pid, overriding the guess.
  public static func read(_ inputs: [Input], roles: [Int32: String] = [:]) -> Result {
    var calls: [Call] = []
    var problems: [TraceProblem] = []
    for input in inputs {
      var pending: [Int32: (name: String, arguments: String, start: UInt64, line: Int)] = [:]
      for (n, raw) in input.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let number = n + 1
        var line = Substring(raw)
        if line.allSatisfy({ $0 == " " }) { continue }
        var pid = input.pid ?? 0
        if line.hasPrefix("[pid ") {
          let close = line.firstIndex(of: "]") ?? line.endIndex
          pid = Int32(line[line.index(line.startIndex, offsetBy: 5)..<close].trimmingSpaces) ?? 0
          line = line[line.index(after: min(close, line.index(before: line.endIndex)))...].trimmingSpaces
        } else if let space = line.firstIndex(of: " "), let value = Int32(line[..<space]),
          !line[space...].trimmingSpaces.isEmpty
        {
          // A call's name never starts with a digit, and a time has `:` or `.`: a bare number is the pid.
          pid = value
          line = line[space...].trimmingSpaces
        }
        var time: UInt64 = UInt64(number) * 1000
        let space = line.firstIndex(of: " ")
        let clock = space.flatMap { timeOfDay(line[..<$0]) }
        if let space, let clock {
          time = clock
          line = line[space...].trimmingSpaces
        }
        if line.hasPrefix("---") || line.hasPrefix("+++") { continue }  // signals and exits
        if line.hasPrefix("<... ") {
          let nameStart = line.index(line.startIndex, offsetBy: 5)
          // Searched from the name on: in `<... resumed>` the marker starts before any name would.
          guard let resumed = line.range(of: " resumed>"), resumed.lowerBound >= nameStart else {
            problems.append(
              TraceProblem(file: input.name, line: number, message: "a resumed call strace did not name"))
            continue
          }
          let name = String(line[nameStart..<resumed.lowerBound])
          guard let start = pending.removeValue(forKey: pid), start.name == name else {
            problems.append(
              TraceProblem(
                file: input.name, line: number,
                message: "\(name) resumed, but no unfinished \(name) of pid \(pid) came before it"))
            continue
          }
          let rest = String(line[resumed.upperBound...])
          guard let split = splitResult(start.arguments + rest) else {
            problems.append(
              TraceProblem(file: input.name, line: number, message: "cannot read the end of \(name)"))
            continue
          }
          calls.append(
            Call(
              pid: pid, name: name, arguments: split.0, result: split.1, start: start.start, end: time,
              file: input.name, line: start.line, timed: clock != nil))
          continue
        }
        guard let paren = line.firstIndex(of: "("),
          line[..<paren].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
          paren > line.startIndex
        else {
          problems.append(
            TraceProblem(
              file: input.name, line: number, message: "not a line strace writes: \(line.prefix(60))"))
          continue
        }
        let name = String(line[..<paren])
        let body = String(line[line.index(after: paren)...])
        if body.hasSuffix("<unfinished ...>") {
          pending[pid] = (name, String(body.dropLast("<unfinished ...>".count)).trimmingSpaces, time, number)
          continue
        }
        guard let split = splitResult(body) else {
          problems.append(
            TraceProblem(file: input.name, line: number, message: "\(name): no result (a line cut short?)"))
          continue
        }
        calls.append(
          Call(
            pid: pid, name: name, arguments: split.0, result: split.1, start: time, end: time,
            file: input.name, line: number, timed: clock != nil))
      }
      for (pid, call) in pending {
        problems.append(
          TraceProblem(
            file: input.name, line: call.line,
            message: "\(call.name) of pid \(pid) never finished (the log ends first)"))
      }
    }
    calls.sort { ($0.start, $0.pid) < ($1.start, $1.pid) }
    var events: [TraceEvent] = []
    for call in calls {
      let made: TraceEvent?
      do {
        made = try event(call)
      } catch {
        problems.append(TraceProblem(file: call.file, line: call.line, message: error.message))
        continue
      }
      guard let event = made else { continue }
      // What strace printed can be damaged in ways no call is (a negative length): checked as
      // `validate` checks a line, so the import never writes a trace that validate refuses.
      if let problem = firstProblem(of: event) {
        problems.append(
          TraceProblem(file: call.file, line: call.line, message: "\(call.name): \(problem); left out"))
        continue
      }
      events.append(event)
    }
    let (kept, nameService) = leavingOutNameServiceSockets(events)
    let (socketFileUnlinks, otherUnlinks) = leavingOutUnlinksOfOtherFiles(kept)
    events = socketFileUnlinks
    var seq: [Int32: UInt64] = [:]
    for i in events.indices {
      events[i].seq = seq[events[i].pid, default: 0]
      seq[events[i].pid, default: 0] += 1
    }
    let named = nameRoles(events, explicit: roles)
    for i in events.indices { events[i].role = named[events[i].pid] ?? "pid \(events[i].pid)" }
    let pids = Array(Set(events.map(\.pid))).sorted()
    let processes = pids.map { pid in
      TracedProcess(
        pid: pid, role: named[pid] ?? "pid \(pid)", executable: "",
        events: events.count { $0.pid == pid })
    }
    let trace = TraceMerger.merge(events: events, processes: processes)
    return Result(
      trace: trace, problems: problems, nameServiceSockets: nameService, otherUnlinks: otherUnlinks,
      untimedCalls: calls.count { !$0.timed })
  }

  /// The events without unlinks of files that no socket call in them names, and how many those were.
  ///
  /// strace's `-e trace=unlink` shows every file a process removes, and `strace -f` follows the
  /// launcher too (a build tool, `sockscope demo` clearing its old logs); only socket files belong
  /// in a socket trace. `./echo.socket` and `echo.socket` are taken as the same file.
  static func leavingOutUnlinksOfOtherFiles(_ events: [TraceEvent]) -> ([TraceEvent], Int) {
    func normalized(_ path: String) -> Substring {
      var p = Substring(path)
      while p.hasPrefix("./") { p = p.dropFirst(2) }
      return p
    }
    let socketPaths = Set(events.filter { $0.call != .unlink }.compactMap { $0.addressPath.map(normalized) })
    let kept = events.filter { e in
      guard e.call == .unlink else { return true }
      return e.args["path"]?.stringValue.map { socketPaths.contains(normalized($0)) } ?? false
    }
    return (kept, events.count - kept.count)
  }

  /// Paths where glibc asks nscd, the name-service cache, for users, groups and hosts.
  static let nscdPaths: Set<String> = ["/var/run/nscd/socket", "/run/nscd/socket"]

  /// The events without the sockets glibc opened on its own to ask nscd (a Python started without
  /// `HOME` looks its user up this way), and how many such sockets there were.
  ///
  /// glibc makes these calls inside libc, where SockScope's LD_PRELOAD layer cannot see them and
  /// strace can; leaving them out makes an imported trace show the calls a recorded one shows.
  static func leavingOutNameServiceSockets(_ events: [TraceEvent]) -> ([TraceEvent], Int) {
    struct Key: Hashable {
      var pid: Int32
      var inode: UInt64
    }
    var lookups = Set<Key>()
    for e in events where e.call == .connect {
      guard let inode = e.socket?.inode, let path = e.addressPath, nscdPaths.contains(path) else { continue }
      lookups.insert(Key(pid: e.pid, inode: inode))
    }
    guard !lookups.isEmpty else { return (events, 0) }
    let kept = events.filter { e in
      guard let inode = e.socket?.inode else { return true }
      return !lookups.contains(Key(pid: e.pid, inode: inode))
    }
    return (kept, lookups.count)
  }

  /// The server is the process that binds, clients are the others, numbered as they connect.
  static func nameRoles(_ events: [TraceEvent], explicit: [Int32: String]) -> [Int32: String] {
    var names = explicit
    let binders = Set(events.filter { $0.call == .bind || $0.call == .listen }.map(\.pid))
    var clients: [Int32] = []
    for e in events where names[e.pid] == nil {
      if binders.contains(e.pid) {
        names[e.pid] =
          binders.count == 1 ? "server" : "server#\(names.values.count { $0.hasPrefix("server") } + 1)"
      } else if e.call == .connect || e.call == .sendto {
        clients.append(e.pid)
        names[e.pid] = "client#\(clients.count)"
      }
    }
    if clients.count == 1, let only = clients.first, explicit[only] == nil { names[only] = "client" }
    return names
  }
}
