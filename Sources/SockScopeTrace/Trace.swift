/// How a traced process ended, as far as the trace knows.
public enum ProcessEnding: String, Sendable, Equatable {
  /// The process closed its log: every event it made is in the trace.
  case closed
  /// The process exited (its launcher saw the exit status) without closing its log, as `_exit`
  /// does: every event recorded before that is in the trace.
  case exited
  /// A signal killed the process (its launcher saw which): the events recorded before that are
  /// in the trace, the call in flight at that moment is not.
  case killed
  /// The process was still running when the trace was merged: its later events are not in it.
  case running
  /// The log was never closed and the cause is unknown (killed or crashed, with no launcher of
  /// SockScope's to see it): the events recorded before that are in the trace, the call in flight
  /// at that moment is not.
  case cut
}

/// One traced process, as listed in the trace header.
public struct TracedProcess: Sendable, Equatable {
  /// The process's id.
  public var pid: Int32
  /// The parent process.
  public var ppid: Int32
  /// The participant's name: its role, numbered when several processes asked for the same one
  /// (`client#2`), or its parent's name and a number for a forked child (`server/1`).
  public var role: String
  /// The role the process asked for, when its name differs from it (`client` for `client#2`).
  public var requestedRole: String?
  /// The program's path, as the process saw it.
  public var executable: String
  /// How many events of this process the trace holds.
  public var events: Int
  /// How the process ended, as far as the trace knows.
  public var ending: ProcessEnding
  /// Events lost because no disk space could be reserved for them.
  public var dropped: UInt64
  /// The signal that killed the process (`SIGKILL`), when `ending` is `killed`.
  public var signal: String?
  /// The exit status its launcher saw, when the process exited.
  public var exitStatus: Int?

  /// A process as the header lists it.
  public init(
    pid: Int32, ppid: Int32 = 0, role: String, executable: String = "", events: Int = 0,
    ending: ProcessEnding = .closed, dropped: UInt64 = 0, signal: String? = nil, exitStatus: Int? = nil,
    requestedRole: String? = nil
  ) {
    self.pid = pid
    self.ppid = ppid
    self.role = role
    self.requestedRole = requestedRole
    self.executable = executable
    self.events = events
    self.ending = ending
    self.dropped = dropped
    self.signal = signal
    self.exitStatus = exitStatus
  }
}

/// The first line of a trace.
public struct TraceHeader: Sendable, Equatable {
  /// The format's major version; readers accept only the versions they know.
  /// Version 2 lists events in causal order; version 1 listed them by start time (t_ns) and is
  /// still read (put in causal order when read).
  public static let currentVersion = 2

  /// The format version this trace was written in.
  public var version: Int
  /// CLOCK_MONOTONIC at the first event (or when recording started).
  public var t0: UInt64
  /// Wall-clock time of `t0`, ISO 8601 UTC.
  public var started: String?
  /// The most payload bytes kept per call, when recorded.
  public var captureLimit: Int?
  /// Every traced process.
  public var processes: [TracedProcess]
  /// What the merge noticed: cut logs, damaged records, unlinked data.
  public var problems: [String]
  /// `net.unix.max_dgram_qlen` on the machine, read when the trace was merged from its logs (the
  /// datagram receive-queue limit the explanations name); nil in traces that did not record it.
  public var maxDatagramQueueLength: Int? = nil

  /// A header; the version defaults to the current one.
  public init(
    version: Int = TraceHeader.currentVersion, t0: UInt64, started: String? = nil, captureLimit: Int? = nil,
    processes: [TracedProcess] = [], problems: [String] = []
  ) {
    self.version = version
    self.t0 = t0
    self.started = started
    self.captureLimit = captureLimit
    self.processes = processes
    self.problems = problems
  }
}

/// A merged timeline: a header and events in causal order (`CausalOrder`).
public struct Trace: Sendable, Equatable {
  /// The header: clock origin, processes, problems.
  public var header: TraceHeader
  /// The events, in causal order.
  public var events: [TraceEvent]

  /// A trace of these events, which must already be in causal order.
  public init(header: TraceHeader, events: [TraceEvent]) {
    self.header = header
    self.events = events
  }

  /// The roles in order of first appearance.
  public var roles: [String] {
    var seen: [String] = []
    for event in events where !seen.contains(event.role) { seen.append(event.role) }
    return seen
  }

  /// The events of one process, in its own order.
  public func events(ofPID pid: Int32) -> [TraceEvent] { events.filter { $0.pid == pid } }

  /// A role's socket calls (its printed output left out), in order.
  public func calls(of role: String) -> [TraceEvent] {
    events.filter { $0.role == role && $0.call != .output }
  }
}

extension Trace {
  /// Makes the header's process list agree with the events, for traces assembled in memory (by a
  /// tool or a test) rather than merged from logs: every pid with events is listed (added, with
  /// its first event's role, when missing), and each entry's `events` is that pid's count, as
  /// `validate` requires.
  public mutating func countEventsPerProcess() {
    var counts: [Int32: Int] = [:]
    var firstRole: [(pid: Int32, role: String)] = []
    for e in events {
      if counts[e.pid] == nil { firstRole.append((e.pid, e.role)) }
      counts[e.pid, default: 0] += 1
    }
    for (pid, role) in firstRole where !header.processes.contains(where: { $0.pid == pid }) {
      header.processes.append(TracedProcess(pid: pid, role: role))
    }
    header.processes.sort { $0.pid < $1.pid }
    for i in header.processes.indices { header.processes[i].events = counts[header.processes[i].pid] ?? 0 }
  }
}
