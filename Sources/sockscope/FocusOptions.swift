import ArgumentParser
import SockScopeCompare
import SockScopeTrace

/// `--role`, `--pid`, `--path` and `--errors`: the part of a run a command looks at. One option
/// group for render, play, compare, diff, grade and export, so each reads the same focused trace.
struct FocusOptions: ParsableArguments {
  @Option(
    name: .customLong("role"),
    help: ArgumentHelp(
      "Only processes of this role (client stands for client#1, client#2...); repeatable.", valueName: "name")
  )
  var roles: [String] = []

  @Option(name: .customLong("pid"), help: ArgumentHelp("Only this process; repeatable.", valueName: "pid"))
  var pids: [Int32] = []

  @Option(
    name: .customLong("path"),
    help: ArgumentHelp(
      "Only sockets bound, connected or sent to this socket path, and their peers; repeatable.",
      discussion:
        "A recording of socat or of a program with sockets of its own then shows the exchange that matters.",
      valueName: "path"))
  var paths: [String] = []

  @Flag(name: .customLong("errors"), help: "Only calls that failed.")
  var errors = false

  var focus: Focus { Focus(roles: roles, pids: pids, paths: paths, errorsOnly: errors) }

  /// The options as the user wrote them, for messages.
  var summary: String {
    (roles.map { "--role \(shellQuoted($0))" } + pids.map { "--pid \($0)" }
      + paths.map { "--path \(shellQuoted($0))" } + (errors ? ["--errors"] : [])).joined(separator: " ")
  }

  /// `trace` focused; a focus that leaves no socket call is bad input (exit status 2), named.
  func apply(_ trace: Trace, path: String) throws(CommandFailure) -> Trace {
    let focus = self.focus
    guard !focus.isEmpty else { return trace }
    let focused = focus.apply(to: trace)
    guard focused.events.contains(where: { $0.call != .output }) else {
      let roles = trace.participants.map { "\($0.role) (pid \($0.pid))" }.joined(separator: ", ")
      throw CommandFailure(
        "\(path): no socket call is left after \(summary); the trace's processes are: \(roles)", exitCode: 2)
    }
    return focused
  }
}
