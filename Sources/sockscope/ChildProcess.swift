import Glibc
import SockScopeMerge
import SockScopeTrace

/// A child process started with `posix_spawn`, its standard output and error read through one pipe
/// and, optionally, its standard input written through another.
final class ChildProcess {
  let role: String
  let pid: pid_t
  private(set) var inputFD: CInt
  private(set) var outputFD: CInt
  /// Everything the child printed so far.
  private(set) var transcript: [UInt8] = []
  /// Printed text not yet ended by a newline.
  private(set) var pendingLine: [UInt8] = []
  private(set) var exitStatus: Int32?
  /// Where to record how the child ended (its trace's log directory), for the merge to say.
  var exitRecords: String?
  /// CLOCK_MONOTONIC just before the child was started.
  private let spawned = ProcessExit.now()

  /// Starts `executable` with `arguments` in the current directory, with `environment` (default:
  /// this process's).
  init(
    executable: String, arguments: [String], role: String, takesInput: Bool,
    environment: [String: String]? = nil
  ) throws(CommandFailure) {
    self.role = role
    var outPipe: [CInt] = [-1, -1]
    var inPipe: [CInt] = [-1, -1]
    guard pipe(&outPipe) == 0, !takesInput || pipe(&inPipe) == 0 else {
      throw CommandFailure("cannot create a pipe for \(role): \(String(cString: strerror(errno)))")
    }
    // The parent's ends must not leak into later children: a client would then never see its
    // input end when the demo closes it.
    for fd in [outPipe[0], inPipe[1]] where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if takesInput {
      posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
    } else {
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 2)
    // Without these the child would hold extra descriptors and its sockets would get other numbers.
    posix_spawn_file_actions_addclose(&actions, outPipe[1])
    if takesInput { posix_spawn_file_actions_addclose(&actions, inPipe[0]) }

    var attributes = SpawnAttributes.cleanSignals()
    defer { posix_spawnattr_destroy(&attributes) }

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
    defer {
      argv.forEach { free($0) }
      envp?.forEach { free($0) }
    }
    var child: pid_t = 0
    let status =
      envp.map { e in
        e.withUnsafeBufferPointer {
          posix_spawn(&child, executable, &actions, &attributes, argv, $0.baseAddress)
        }
      }
      ?? posix_spawn(&child, executable, &actions, &attributes, argv, environ)
    close(outPipe[1])
    if takesInput { close(inPipe[0]) }
    guard status == 0 else {
      close(outPipe[0])
      if takesInput { close(inPipe[1]) }
      throw CommandFailure("cannot start \(executable) for \(role): \(String(cString: strerror(status)))")
    }
    pid = child
    outputFD = outPipe[0]
    inputFD = takesInput ? inPipe[1] : -1
  }

  /// Types `line` and a newline on the child's standard input.
  func type(_ line: String) {
    guard inputFD >= 0 else { return }
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(inputFD, $0.baseAddress, $0.count) }
  }

  /// Ends the child's standard input.
  func closeInput() {
    if inputFD >= 0 { close(inputFD) }
    inputFD = -1
  }

  func signal(_ number: CInt) { kill(pid, number) }

  /// Reads what is available; returns the complete lines it finished, and whether output ended.
  func readAvailable() -> (lines: [String], ended: Bool) {
    var chunk = [UInt8](repeating: 0, count: 4096)
    let n = chunk.withUnsafeMutableBytes { read(outputFD, $0.baseAddress, $0.count) }
    if n < 0 && errno == EINTR { return ([], false) }
    guard n > 0 else {
      close(outputFD)
      outputFD = -1
      return ([], true)
    }
    transcript += chunk[..<n]
    pendingLine += chunk[..<n]
    var lines: [String] = []
    while let newline = pendingLine.firstIndex(of: 0x0A) {
      lines.append(String(decoding: pendingLine[..<newline], as: UTF8.self))
      pendingLine.removeSubrange(...newline)
    }
    return (lines, false)
  }

  /// Takes the unfinished line, for printing at the end.
  func takePendingLine() -> String? {
    guard !pendingLine.isEmpty else { return nil }
    defer { pendingLine.removeAll() }
    return String(decoding: pendingLine, as: UTF8.self)
  }

  /// Reaps the child if it has exited; returns whether it has.
  @discardableResult
  func reap(blocking: Bool = false) -> Bool {
    if exitStatus != nil { return true }
    var status: Int32 = 0
    let r = waitpid(pid, &status, blocking ? 0 : WNOHANG)
    guard r == pid else { return false }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
    let signal = status & 0x7F
    exitStatus = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    if let exitRecords { ProcessLauncher.recordExit(pid, spawned: spawned, status: status, in: exitRecords) }
    return true
  }

  /// The transcript as text.
  var text: String { String(decoding: transcript, as: UTF8.self) }

  /// How many printed lines equal `line` (a trailing unfinished line counts too).
  func count(linesEqualTo line: String) -> Int {
    text.splittingLines().filter { $0 == line }.count
  }

  /// How many printed lines start with `prefix`.
  func count(linesStartingWith prefix: String) -> Int {
    text.splittingLines().filter { $0.hasPrefix(prefix) }.count
  }
}

/// Spawn attributes shared by everything sockscope starts.
enum SpawnAttributes {
  /// Children start with no blocked signals and default actions, whatever this process inherited
  /// (test runners and some launchers block SIGINT and SIGTERM): Ctrl-C and the demo's SIGINT must
  /// reach them. Destroy the result with posix_spawnattr_destroy.
  static func cleanSignals() -> posix_spawnattr_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    return attributes
  }
}
