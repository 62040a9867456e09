/// A program a process started running with a successful exec (same pid, another program).
public struct ProgramChange: Sendable, Equatable {
  /// The index of the `execve` event.
  public var eventIndex: Int
  /// The program's name as the views show it: the last component of the path the process passed
  /// to exec (`python3` for `/usr/bin/python3`), or the exec function when it named no path
  /// (`fexecve`).
  public var program: String

  public init(eventIndex: Int, program: String) {
    self.eventIndex = eventIndex
    self.program = program
  }

  /// `name` followed by each program of `changes` exec'd up to the event with `index`:
  /// `parent/1 → python3`. The one way every view titles a process that ran another program.
  public static func title(_ name: String, _ changes: [ProgramChange], through index: Int = .max) -> String {
    changes.filter { $0.eventIndex <= index }.reduce(name) { $0 + " → " + $1.program }
  }
}

extension TraceEvent {
  /// `execve` (any exec function): the program's path as the process passed it; nil for
  /// `fexecve`, which names an open file instead.
  public var execProgramPath: String? { arguments.program?.path }

  /// A successful exec: the program the process runs from here on, as the views name it.
  public var execProgram: String? {
    guard call == .execve, succeeded else { return nil }
    if let path = execProgramPath, let last = path.split(separator: "/").last {
      return String(last)
    }
    return arguments.program?.function?.rawValue ?? "exec"
  }
}

extension Participant {
  /// The participant's name and the programs it ran with exec, as every view titles it:
  /// `parent/1 → python3`. Without an exec, the name alone (traces without exec look as before).
  public var title: String { title(through: .max) }

  /// The title as of the trace event with `index`: only the programs exec'd up to that event
  /// (a step before the exec belongs to the old program).
  public func title(through index: Int) -> String {
    ProgramChange.title(name, programs, through: index)
  }

  /// The role and the programs, for views that name a process by its role and pid apart:
  /// `parent/1 → python3`.
  public var roleTitle: String { ProgramChange.title(role, programs) }
}

extension Trace {
  /// Per process, the programs it started running with a successful exec, in order.
  public var programChanges: [Int32: [ProgramChange]] {
    var changes: [Int32: [ProgramChange]] = [:]
    for e in events where e.call == .execve {
      if let program = e.execProgram {
        changes[e.pid, default: []].append(ProgramChange(eventIndex: e.index, program: program))
      }
    }
    return changes
  }
}
