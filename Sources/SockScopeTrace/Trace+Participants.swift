/// One process of a trace as the views show it: a lane, a column, a pane. Views key everything on
/// the pid, never on the role: two processes may carry the same role (two `client --trace` by
/// hand, an older trace, an strace import), and each is still its own participant.
public struct Participant: Sendable, Equatable {
  /// The process.
  public var pid: Int32
  /// The role the trace gives the process (`server`, `client#2`...).
  public var role: String
  /// A name no other participant of the trace has: the role, or `role (pid N)` when another
  /// process of the trace has the same role.
  public var name: String
  /// How the process ended, when the header lists it.
  public var process: TracedProcess?
  /// The programs the process started running with exec, in order (empty without an exec).
  public var programs: [ProgramChange]

  /// A participant of one process.
  public init(
    pid: Int32, role: String, name: String, process: TracedProcess? = nil, programs: [ProgramChange] = []
  ) {
    self.pid = pid
    self.role = role
    self.name = name
    self.process = process
    self.programs = programs
  }

  /// Whether this process plays `role` of a documented schematic: its role is `role`, or `role`
  /// followed by a suffix that tells processes of one role apart (`client#2`, `server/1`).
  public func plays(_ role: String) -> Bool { Participant.kind(of: self.role) == role }

  /// The role a trace role was given before a suffix told its processes apart: `client` for
  /// `client#2`, `client/1` or `client (pid 7)`; the whole role when it has no such suffix.
  public static func kind(of role: String) -> String {
    let isNamePart = { (c: Character) in c.isLetter || c.isNumber || c == "_" || c == "-" }
    let head = role.prefix(while: isNamePart)
    return head.isEmpty ? role : String(head)
  }

  /// The signal that killed the process, when one did.
  public var killedBy: String? {
    guard let process, process.ending == .killed else { return nil }
    return process.signal ?? "a signal"
  }
}

extension Trace {
  /// Every process that made a socket call, in the order of its first one.
  public var participants: [Participant] {
    var order: [Int32] = []
    var roleOf: [Int32: String] = [:]
    for e in events where e.call != .output && roleOf[e.pid] == nil {
      roleOf[e.pid] = e.role
      order.append(e.pid)
    }
    var pidsOfRole: [String: Int] = [:]
    for pid in order { pidsOfRole[roleOf[pid] ?? "", default: 0] += 1 }
    let processes = Dictionary(header.processes.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
    let programs = programChanges
    return order.map { pid in
      let role = roleOf[pid] ?? ""
      let name = (pidsOfRole[role] ?? 0) > 1 ? "\(role) (pid \(pid))" : role
      return Participant(
        pid: pid, role: role, name: name, process: processes[pid], programs: programs[pid] ?? [])
    }
  }

  /// The socket calls of each process (printed output left out), each in its own order.
  public var callsByPID: [Int32: [TraceEvent]] {
    var calls: [Int32: [TraceEvent]] = [:]
    for e in events where e.call != .output { calls[e.pid, default: []].append(e) }
    return calls
  }
}
