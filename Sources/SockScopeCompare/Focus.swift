public import SockScopeTrace

/// The part of a run a user wants to see: some processes, the sockets of one path, the failed
/// calls. A recording of socat or of a program with unrelated sockets holds far more than the
/// exchange that matters; every view and check reads the focused trace instead.
///
/// Criteria of different kinds must all hold; several values of one kind are alternatives
/// (`--pid 7 --pid 9`: either process).
public struct Focus: Sendable, Equatable {
  /// Roles: `client` stands for `client`, `client#1`, `client#2`...
  public var roles: [String]
  public var pids: [Int32]
  /// Socket paths: only sockets bound, connected or sent to one of them, and their peers.
  public var paths: [String]
  /// Only calls that failed.
  public var errorsOnly: Bool

  public init(roles: [String] = [], pids: [Int32] = [], paths: [String] = [], errorsOnly: Bool = false) {
    self.roles = roles
    self.pids = pids
    self.paths = paths
    self.errorsOnly = errorsOnly
  }

  /// Whether the focus keeps everything.
  public var isEmpty: Bool { roles.isEmpty && pids.isEmpty && paths.isEmpty && !errorsOnly }

  /// The trace with only the focused events, in their causal order, renumbered (each event's index
  /// and its process's seq count from 0 again). What a process printed stays with the process
  /// when any of its calls stays. A send and its receive stay linked when both stay; a link to an
  /// event left out is dropped on both sides, so no view takes a received datagram for a lost one
  /// or points at a call that is not there.
  public func apply(to trace: Trace) -> Trace {
    guard !isEmpty else { return trace }
    let sockets = paths.isEmpty ? nil : Self.sockets(of: paths, in: trace)
    func keepsProcess(_ e: TraceEvent) -> Bool {
      (roles.isEmpty || roles.contains { e.role == $0 || Participant.kind(of: e.role) == $0 })
        && (pids.isEmpty || pids.contains(e.pid))
    }
    func keepsCall(_ e: TraceEvent) -> Bool {
      guard keepsProcess(e), !errorsOnly || e.failure != nil else { return false }
      guard let sockets else { return true }
      if let inode = e.socket?.inode, sockets.inodes.contains(inode) { return true }
      // An unlink names the path, not a socket.
      return e.call == .unlink && sockets.matches(path: e.arguments.unlinkedPath, inode: nil)
    }
    var kept: [TraceEvent] = []
    let calls = trace.events.filter { $0.call != .output && keepsCall($0) }
    let processes = Set(calls.map(\.pid))
    for e in trace.events
    where e.call == .output ? processes.contains(e.pid) && keepsProcess(e) : keepsCall(e) {
      kept.append(e)
    }
    let sends = Set(kept.compactMap(\.flow))
    let received = Set(kept.flatMap(\.flows))
    var seq: [Int32: UInt64] = [:]
    for i in kept.indices {
      kept[i].index = i
      kept[i].seq = seq[kept[i].pid, default: 0]
      seq[kept[i].pid, default: 0] += 1
      if let flow = kept[i].flow, !received.contains(flow) { kept[i].flow = nil }
      kept[i].flows.removeAll { !sends.contains($0) }
      kept[i].flowCandidates.removeAll { !sends.contains($0) }
    }
    var focused = Trace(header: trace.header, events: kept)
    focused.header.processes.removeAll { seq[$0.pid] == nil }
    focused.countEventsPerProcess()
    return focused
  }

  /// The sockets that touch `paths`: bound, connected or sent to one of them (by the path as
  /// written, or by the inode of the socket file the trace recorded), and their peers.
  struct Sockets {
    var names: Set<String>
    var files: Set<UInt64>
    var inodes: Set<UInt64>

    func matches(path: String?, inode: UInt64?) -> Bool {
      if let inode, files.contains(inode) { return true }
      return path.map { names.contains(Comparer.normalized($0)) } ?? false
    }
  }

  static func sockets(of paths: [String], in trace: Trace) -> Sockets {
    var s = Sockets(names: Set(paths.map(Comparer.normalized)), files: [], inodes: [])
    // The socket file's inode, from any address that names the path: it matches the same file
    // written another way (`./echo.socket`, `echo.socket`, an absolute path).
    for e in trace.events {
      guard let address = e.address, let file = address.inode, file > 0,
        s.matches(path: address.path, inode: nil)
      else { continue }
      s.files.insert(file)
    }
    for e in trace.events {
      guard let address = e.address, let socket = e.socket,
        s.matches(path: address.path, inode: address.inode)
      else { continue }
      s.inodes.insert(socket.inode)
      if let peer = socket.peer { s.inodes.insert(peer) }
    }
    // Peers: a socket connected to one of them (an accepted socket, a client's connected socket).
    for e in trace.events {
      guard let socket = e.socket, let peer = socket.peer, s.inodes.contains(peer) else { continue }
      s.inodes.insert(socket.inode)
    }
    return s
  }
}
