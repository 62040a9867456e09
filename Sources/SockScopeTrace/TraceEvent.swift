/// The calls SockScope records. Raw values are the names used in the trace format.
public enum SocketCall: String, Sendable, CaseIterable, Codable {
  /// Calls that make, name and connect sockets.
  case socket, socketpair, bind, listen, accept, accept4, connect
  /// Calls that move data.
  case send, sendto, sendmsg, recv, recvfrom, recvmsg
  /// Calls that end, name or configure sockets, and the unlink of a socket file.
  case shutdown, close, unlink, getsockname, getpeername, setsockopt
  /// `read` and `write` on a socket descriptor.
  case read, write
  /// Text the program printed on its standard output or error (not a socket call).
  case output
  /// Descriptors: a new number for an open socket (`fd` the old one, `ret` the new one).
  case dup, dup2, dup3
  /// `fcntl` with F_DUPFD or F_DUPFD_CLOEXEC only (other commands are not recorded).
  case fcntl
  /// In the parent: `ret` is the child's pid.
  case fork
  case getsockopt
  /// Waiting for descriptors (`poll`/`ppoll`, `select`/`pselect`), recorded when a socket is among them.
  case poll, select
  case epollCtl = "epoll_ctl"
  case epollWait = "epoll_wait"
  /// Running another program in the same process (every exec function; recorded before it runs).
  case execve
  /// A program began in this process holding AF_UNIX socket descriptors (not a call: the first
  /// record of its log, made when the interposer loads into the new program).
  case programStart = "program_start"

  /// Whether the call hands data to a socket.
  public var sendsData: Bool { self == .send || self == .sendto || self == .sendmsg || self == .write }

  /// Whether the call takes data from a socket.
  public var receivesData: Bool { self == .recv || self == .recvfrom || self == .recvmsg || self == .read }

  /// The `enum sockscope_call` value used in per-process logs.
  public var logCode: UInt16 {
    UInt16(SocketCall.allCases.firstIndex(of: self).map { $0 + 1 } ?? 0)
  }

  /// The call for a per-process log's `call` field, if known.
  public init?(logCode: UInt16) {
    let i = Int(logCode) - 1
    guard SocketCall.allCases.indices.contains(i) else { return nil }
    self = SocketCall.allCases[i]
  }
}

/// How a failed call failed.
public struct CallFailure: Sendable, Equatable {
  /// The errno symbol, such as `ENOENT` (or `errno 1234` when the number has no name).
  public var name: String
  /// The C library's message, such as `No such file or directory`.
  public var message: String

  /// A failure with its errno symbol and message.
  public init(name: String, message: String) {
    self.name = name
    self.message = message
  }
}

/// A socket as the kernel knows it: its sockfs inode and, once connected, its peer's.
public struct SocketIdentity: Sendable, Equatable {
  /// The socket's sockfs inode number.
  public var inode: UInt64
  /// The connected peer's inode, once known.
  public var peer: UInt64?

  /// A socket identity.
  public init(inode: UInt64, peer: UInt64? = nil) {
    self.inode = inode
    self.peer = peer
  }
}

/// A failure, boxed (see `TraceEvent.failure`).
final class FailureBox: Sendable, Equatable {
  let failure: CallFailure
  init(_ failure: CallFailure) { self.failure = failure }
  static func == (a: FailureBox, b: FailureBox) -> Bool { a === b || a.failure == b.failure }
}

/// A call site, boxed (see `TraceEvent.source`); immutable, so events share it.
package final class CallSiteBox: Sendable, Equatable {
  package let site: CallSite
  /// The site as a trace line's `source` object, when many events share the box: encoded once
  /// and copied into each line (encoding it per line was a fifth of writing a trace).
  package let json: [UInt8]?

  package init(_ site: CallSite, encoded: Bool = false) {
    self.site = site
    if encoded {
      var w = JSONWriter()
      site.write(to: &w)
      json = w.bytes
    } else {
      json = nil
    }
  }

  package static func == (a: CallSiteBox, b: CallSiteBox) -> Bool { a === b || a.site == b.site }
}

/// One recorded call of one process.
public struct TraceEvent: Sendable, Equatable {
  /// Position in the merged timeline, from 0: the step, in causal order.
  public var index: Int
  /// CLOCK_MONOTONIC at call start, in nanoseconds (comparable across processes of one machine).
  public var time: UInt64
  /// Time spent in the call, in nanoseconds.
  public var duration: UInt64
  /// The process that made the call.
  public var pid: Int32
  /// The thread that made the call (the pid for a single-threaded process).
  public var tid: Int32
  /// Position among the events of its process, from 0.
  public var seq: UInt64
  /// The process's participant name, such as `server`, `client#1` or `server/1` (as in the header).
  public var role: String
  /// The call made.
  public var call: SocketCall
  /// The descriptor the call acted on.
  public var fd: Int32?
  /// The call's arguments, typed (the trace's `args`; keys per call: docs/trace-format.md).
  public var arguments: CallArguments
  /// What the trace line's `args` held beyond the typed arguments, kept for writing it back.
  public var unreadArguments: UnreadArguments
  /// The return value as the program saw it (-1 on failure).
  public var ret: Int64
  /// Why the call failed, when it did.
  public var failure: CallFailure? {
    get { failureBox?.failure }
    set { failureBox = newValue.map(FailureBox.init) }
  }
  // Boxed: few calls fail, and a box costs one word where the two strings cost 32 bytes.
  private var failureBox: FailureBox?
  /// The socket acted on.
  public var socket: SocketIdentity?
  /// The data moved, for send, receive and output events.
  public var data: Payload?
  /// On a send: the flow id that the receive of this data carries.
  public var flow: Int?
  /// On a receive: the flow ids of the sends whose data it returned.
  public var flows: [Int]
  /// On a datagram receive the trace cannot attribute for sure (identical datagrams sent at the
  /// same time by different threads): every send it may have got, the linked one among them.
  public var flowCandidates: [Int] = []
  /// Where in the program the call was made, when the recorder knew (`source` in the format).
  public var source: CallSite? {
    get { sourceBox?.site }
    set { sourceBox = newValue.map { CallSiteBox($0) } }
  }
  // Boxed, and shared by the events of one call site: a program calls from few places, and a
  // box costs one word where the site costs 96 bytes (a tenth of a merge's memory).
  package var sourceBox: CallSiteBox?

  /// An event; the thread defaults to the process.
  public init(
    index: Int = 0, time: UInt64, duration: UInt64 = 0, pid: Int32, tid: Int32? = nil, seq: UInt64 = 0,
    role: String, call: SocketCall, fd: Int32? = nil, args: JSONObject = JSONObject(),
    arguments: CallArguments? = nil, ret: Int64 = 0, failure: CallFailure? = nil,
    socket: SocketIdentity? = nil, data: Payload? = nil, flow: Int? = nil,
    flows: [Int] = []
  ) {
    self.index = index
    self.time = time
    self.duration = duration
    self.pid = pid
    self.tid = tid ?? pid
    self.seq = seq
    self.role = role
    self.call = call
    self.fd = fd
    if let arguments {
      // Empty arguments are `.none`, as a line's `{}` reads back.
      self.arguments = arguments.isEmpty ? .none : arguments
      self.unreadArguments = UnreadArguments(members: args)
    } else {
      (self.arguments, self.unreadArguments) = CallArguments.decode(args, call: call)
    }
    self.ret = ret
    self.failureBox = failure.map(FailureBox.init)
    self.socket = socket
    self.data = data
    self.flow = flow
    self.flows = flows
  }

  /// An event that holds no references, to fill a slot whose event was moved out.
  package static let vacant = TraceEvent(
    time: 0, pid: 0, role: "", call: .close, arguments: CallArguments.none)

  /// Whether the call succeeded.
  public var succeeded: Bool { failure == nil }

  /// Time at which the call returned.
  public var endTime: UInt64 { time &+ duration }
}

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
