import Foundation
import SockScopeMerge
public import SockScopeTrace

/// Converts the output of `strace -f -tt -T -yy -s N` into a trace, for programs that cannot be
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
    /// The imported trace, linked and in causal order.
    public var trace: Trace
    /// The lines that could not be read, each with its file and line.
    public var problems: [TraceProblem]
    /// Sockets glibc opened to ask nscd for a user or host name: left out, counted here.
    public var nameServiceSockets: Int = 0
    /// Unlinks of files no socket call in the trace names: left out, counted here.
    public var otherUnlinks: Int = 0
    /// Calls strace wrote without `-tt`'s time of day: ordered by line number, with no duration.
    public var untimedCalls: Int = 0
    /// Per-process files (`-ff`) written without `-T`: their calls' durations are upper bounds,
    /// the time until the same thread's next call.
    public var filesWithoutDurations: [String] = []
  }

  /// One input file: its name, its text, and the pid when the name says it (`log.1234`).
  public struct Input: Sendable {
    /// The file name, as problems name it.
    public var name: String
    /// The strace output.
    public var text: String
    /// The pid from the name (`strace -ff`), when its lines carry none.
    public var pid: Int32?

    /// One input file.
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
    /// The result as strace wrote it, without `-T`'s `<0.000123>`.
    var result: String
    var start: UInt64
    var end: UInt64
    var file: String
    var line: Int
    /// Whether strace wrote the time of day (`-tt`); without it, `start` and `end` count lines.
    var timed: Bool
    /// Whether `end` came from `-T`'s duration, the only exact one strace writes.
    var measured = false
  }

  /// Imports `inputs`; `roles` names processes by pid, overriding the guess.
  public static func read(_ inputs: [Input], roles: [Int32: String] = [:]) -> Result {
    var calls: [Call] = []
    var problems: [TraceProblem] = []
    var estimatedFiles: [String] = []
    for input in inputs {
      var (found, trouble) = self.calls(in: input)
      problems += trouble
      if let pid = input.pid, found.allSatisfy({ $0.pid == pid && $0.timed }) {
        if found.allSatisfy({ !$0.measured }) {
          if !found.isEmpty { estimatedFiles.append(input.name) }
          boundingByNextCall(&found, slack: nil)
        } else {
          boundingByNextCall(&found, slack: straceDecodingSlack)
        }
      }
      calls += found
    }
    // A total order, so the order the files are named in never changes the trace.
    calls.sort { ($0.start, $0.pid, $0.file, $0.line) < ($1.start, $1.pid, $1.file, $1.line) }
    var events: [TraceEvent] = []
    var unannotated: [String: (count: Int, line: Int)] = [:]
    for call in calls {
      let made: TraceEvent?
      do {
        made = try event(call)
      } catch {
        if error.unannotated {
          let seen = unannotated[call.file] ?? (0, call.line)
          unannotated[call.file] = (seen.count + 1, min(seen.line, call.line))
        } else {
          problems.append(TraceProblem(file: call.file, line: call.line, message: error.message))
        }
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
    // strace without -yy writes every descriptor as a bare number: one problem per file, not per line.
    for (file, seen) in unannotated.sorted(by: { $0.key < $1.key }) {
      problems.append(
        TraceProblem(
          file: file, line: seen.line,
          message:
            "\(seen.count) socket call\(seen.count == 1 ? "" : "s") from here on name\(seen.count == 1 ? "s" : "") "
            + "a bare descriptor number (3, not 3<UNIX:[14394]>), so which socket cannot be known; "
            + "left out: record with strace -yy"))
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
    // Said in the trace itself, which outlives the import's notes.
    let estimated =
      estimatedFiles.isEmpty
      ? []
      : [
        "imported from strace -ff without -T: each call's dur_ns is the time until its process's next "
          + "traced call, an upper bound"
      ]
    let trace = TraceMerger.merge(events: events, processes: processes, problems: estimated)
    return Result(
      trace: trace, problems: problems, nameServiceSockets: nameService, otherUnlinks: otherUnlinks,
      untimedCalls: calls.count { !$0.timed }, filesWithoutDurations: estimatedFiles)
  }

  /// The calls in one input file, in line order (a split call at its start), and the lines that
  /// could not be read.
  static func calls(in input: Input) -> ([Call], [TraceProblem]) {
    var calls: [Call] = []
    var problems: [TraceProblem] = []
    var pending: [Int32: (name: String, arguments: String, start: UInt64, line: Int)] = [:]
    // Lines end in "\n" or "\r\n": Swift reads "\r\n" as one Character, never equal to "\n".
    var text = Substring(input.text)
    // A byte order mark an editor added (a scalar: it can join a combining mark after it).
    if text.unicodeScalars.first == "\u{FEFF}" { text = Substring(text.unicodeScalars.dropFirst()) }
    for (n, raw) in text.splittingLines().enumerated() {
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
          call(
            pid, name, split, start: start.start, end: time, at: (input.name, start.line), timed: clock != nil
          ))
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
        call(pid, name, split, start: time, end: time, at: (input.name, number), timed: clock != nil))
    }
    for (pid, call) in pending {
      problems.append(
        TraceProblem(
          file: input.name, line: call.line,
          message: "\(call.name) of pid \(pid) never finished (the log ends first)"))
    }
    return (calls, problems)
  }

  /// How much later than `-T` says a call may have returned: strace times a line when it starts
  /// writing it, and `-T` from after it decoded the arguments (with `-yy`, a socket lookup).
  static let straceDecodingSlack: UInt64 = 1_000_000

  /// Ends of calls in one thread's own file (`strace -ff`), which strace writes whole, at the
  /// call's start, as no other process's line splits it. A call returned before its thread's next
  /// call started. Without `-T` (`slack` nil), that is all there is to know, and every call ends
  /// there. With `-T`, a call that waits for another process (a receive, an accept) ends at its
  /// measured end plus up to `slack`, never past the next call: strace's clock for the line
  /// starts before its clock for `-T`, and a receive measured to end before the send that woke it
  /// could not be linked to it.
  static func boundingByNextCall(_ calls: inout [Call], slack: UInt64?) {
    let waiting: Set<String> = ["recvfrom", "recvmsg", "recv", "read", "accept", "accept4"]
    for k in calls.indices.dropLast() {
      let next = calls[k + 1].start
      if let slack {
        guard waiting.contains(calls[k].name), calls[k].measured, next > calls[k].end else { continue }
        calls[k].end = min(next, calls[k].end &+ slack)
      } else {
        calls[k].end = max(calls[k].start, next)
      }
    }
  }

  /// A call whose result may end in `-T`'s duration (`= 6 <0.000123>`): its end is then the start
  /// plus that duration, exact, instead of `end`, the time strace wrote its last line.
  static func call(
    _ pid: Int32, _ name: String, _ split: (arguments: String, result: String), start: UInt64, end: UInt64,
    at place: (file: String, line: Int), timed: Bool
  ) -> Call {
    let (result, duration) = takingDuration(split.result)
    // Without `-tt`, times count lines, and a duration in seconds cannot be added to them.
    let measured =
      timed ? duration.flatMap { d in start.addingReportingOverflow(d).overflow ? nil : start + d } : nil
    // A resumed line is written after the call returned: its time is a bound that -T can miss.
    return Call(
      pid: pid, name: name, arguments: split.arguments, result: result, start: start,
      end: measured.map { max($0, end) } ?? end,
      file: place.file, line: place.line, timed: timed, measured: measured != nil)
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
      return e.arguments.unlinkedPath.map { socketPaths.contains(normalized($0)) } ?? false
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
    let binders = Trace.serverPIDs(in: events)
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
