import Foundation
import Glibc
import SockScopeTrace
import Testing

/// A private tmux server for one test: a real terminal the player can run in.
struct Tmux {
  let tmux: String
  let socket = "sockscope-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

  func run(_ arguments: [String]) throws -> CommandResult {
    try IntegrationTests.run(tmux, ["-L", socket] + arguments, in: "/tmp", seconds: 10)
  }

  /// Starts `command` in a detached session of `width`×`height`. The pane outlives the command
  /// (a trailing sleep; `stop` ends it), so a command that exits at once can still be read.
  func start(_ command: String, width: Int, height: Int) throws {
    let r = try run([
      "new-session", "-d", "-s", "t", "-x", "\(width)", "-y", "\(height)", command + "; sleep 120",
    ])
    try #require(r.status == 0, "tmux: \(r.stderr)")
  }

  func keys(_ keys: String...) throws { _ = try run(["send-keys", "-t", "t"] + keys) }

  /// The visible screen as text.
  func screen() throws -> String { try run(["capture-pane", "-p", "-J", "-t", "t"]).stdout }

  /// Waits until the screen contains `text`; returns the last screen seen.
  @discardableResult
  func waitFor(_ text: String, seconds: Double = 10) throws -> String {
    try waitUntil("the screen shows \(text)", seconds: seconds) { $0.contains(text) }
  }

  /// Waits until `condition` holds for the screen; returns the last screen seen.
  @discardableResult
  func waitUntil(_ what: String, seconds: Double = 10, _ condition: (String) -> Bool) throws -> String {
    let deadline = Date().addingTimeInterval(seconds)
    var last = ""
    while Date() < deadline {
      last = try screen()
      if condition(last) { return last }
      usleep(50_000)
    }
    Issue.record("timed out waiting until \(what):\n\(last)")
    return last
  }

  func stop() { _ = try? run(["kill-server"]) }
}

// One at a time: each test drives its own tmux server, but terminal tests are easier to read alone.
@Suite("sockscope play", .serialized)
struct PlayerCommandTests {
  @Test(
    "in a real terminal the keys move the step counter and the call, and q leaves a clean terminal",
    needs("tmux"))
  func interactive() throws {
    let tmux = Tmux(tmux: try #require(which("tmux")))
    defer { tmux.stop() }
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out", "--lang", "en"], in: dir).status == 0)
      // After the player: the terminal's settings, to check that they were restored.
      try tmux.start(
        "cd \(dir) && TERM=xterm-256color \(sockscopeBinary) play out --lang en; echo EXIT=$?; stty -a | grep -ow -e '-*icanon' -e '-*echo' | tr '\\n' ' '; echo",
        width: 80, height: 24)
      let first = try tmux.waitFor("step 1/18")
      #expect(first.contains("▶ server  socket(AF_UNIX, SOCK_DGRAM, 0) = 3"))
      #expect(first.contains("┌─ ▶ server "), "one pane per process, named by role and pid")
      #expect(first.contains("⏸ paused 1×"), "the play state is shown")
      #expect(first.contains("q quit"), "the key line, in the interactive player only")
      try tmux.keys("p")
      _ = try tmux.waitFor("▶ playing 1×")
      try tmux.keys("p", "Home")
      _ = try tmux.waitFor("⏸ paused 1×")
      _ = try tmux.waitFor("step 1/18")
      #expect(
        first.split(separator: "\n").first.map { DisplayColumns.of(String($0)) } == 80, "an 80×24 frame")
      try tmux.keys("Right")
      let second = try tmux.waitFor("step 2/18")
      // The window grows: the frame follows.
      _ = try tmux.run(["resize-window", "-t", "t", "-x", "120", "-y", "32"])
      func border(_ screen: String) -> Int {
        DisplayColumns.of(screen.split(separator: "\n").first { $0.hasPrefix("┌") }.map(String.init) ?? "")
      }
      let wide = try tmux.waitUntil("the frame is redrawn 120 columns wide") { border($0) == 120 }
      #expect(wide.contains("step 2/18"), "the same step, redrawn")
      #expect(second.contains("bind(3, \"./echo.socket\") = 0"))
      try tmux.keys("Left")
      try tmux.waitFor("step 1/18")
      try tmux.keys("End")
      // The last step is the call that returned last, which differs from run to run.
      let trace = try readTrace(dir + "/out/trace.jsonl")
      let lastCall = try #require(trace.events.filter { $0.call != .output }.max { $0.endTime < $1.endTime })
      let last = try tmux.waitFor("step 18/18")
      #expect(last.contains("▶ \(lastCall.role)  \(lastCall.call.rawValue)("))
      try tmux.keys("?")
      try tmux.waitFor("this help")
      try tmux.keys("Space")
      try tmux.waitFor("step 18/18")
      try tmux.keys("q")
      try tmux.waitFor("EXIT=0")
      let after = try tmux.waitFor("icanon")
      #expect(!after.contains("step 18/18"), "the player's screen is gone")
      #expect(after.contains("icanon echo"), "line editing and echo are back:\n\(after)")
      #expect(!after.contains("-icanon") && !after.contains("-echo "))
    }
  }

  @Test(
    "SIGTERM restores the terminal too",
    needs("tmux"))
  func terminated() throws {
    let tmux = Tmux(tmux: try #require(which("tmux")))
    defer { tmux.stop() }
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      try tmux.start(
        "cd \(dir) && \(sockscopeBinary) play \(dir)/out; echo EXIT=$?; stty -a | grep -ow -e '-*icanon' -e '-*echo' | tr '\\n' ' '; echo",
        width: 100, height: 30)
      try tmux.waitFor("step 1/18")
      // Anchored: the pane's shell has the same words in its command line.
      let pids = try run("/usr/bin/pgrep", ["-f", "^\(sockscopeBinary) play \(dir)/out"], in: "/tmp").stdout
        .split(
          separator: "\n")
      let pid = try #require(pids.first.flatMap { Int32($0) })
      kill(pid, SIGTERM)
      try tmux.waitFor("EXIT=143")
      let after = try tmux.waitFor("icanon")
      #expect(after.contains("icanon echo"), "restored after SIGTERM:\n\(after)")
    }
  }

  @Test(
    "a terminal smaller than 80×24 gets a clear message, a non-zero exit and no drawing",
    needs("tmux"))
  func tooSmall() throws {
    let tmux = Tmux(tmux: try #require(which("tmux")))
    defer { tmux.stop() }
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      try tmux.start(
        "cd \(dir) && \(sockscopeBinary) play out --lang en; echo EXIT=$?", width: 60, height: 20)
      let screen = try tmux.waitFor("EXIT=1")
      #expect(screen.contains("too small: it needs 80×24 and is 60×20"))
      #expect(!screen.contains("┌"), "nothing was drawn")
    }
  }

  @Test(
    "on a terminal the demo ends by playing its run; q ends it",
    needs("tmux"))
  func demoPlays() throws {
    let tmux = Tmux(tmux: try #require(which("tmux")))
    defer { tmux.stop() }
    try withTemporaryDirectory { dir throws in
      try tmux.start(
        "cd \(dir) && env -u CI \(sockscopeBinary) demo --out out; echo EXIT=$?", width: 100, height: 30)
      try tmux.waitFor("step 1/18", seconds: 20)
      try tmux.keys("q")
      let after = try tmux.waitFor("EXIT=0")
      #expect(after.contains("recording"))
    }
  }

  @Test("without a terminal every step is printed as a plain frame")
  func framesWithoutTerminal() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let r = try sockscope(["play", "out", "--width", "80", "--height", "24"], in: dir)
      #expect(r.status == 0)
      #expect(r.stdout.contains("step 1/18"))
      #expect(r.stdout.contains("step 18/18"))
      #expect(!r.stdout.contains("\u{1B}"), "no escape sequences in plain frames")
      #expect(!r.stdout.contains("q quit"), "no key line outside the interactive player")
      // What the server printed after its last socket call is in the last step.
      let last = try #require(r.stdout.components(separatedBy: "step 18/18").last)
      #expect(last.contains("│Выполнено"), "\(last)")
    }
  }

  @Test(
    "the demo writes demo.cast, and asciinema accepts it",
    .enabled(
      if: which("asciinema") != nil && which("tmux") != nil, "asciinema and tmux are installed by make test"))
  func cast() throws {
    try withTemporaryDirectory { dir throws in
      let demo = try sockscope(["demo", "--out", "out"], in: dir)
      #expect(demo.stdout.contains("out/demo.cast"))
      // asciinema cat reads its keyboard from /dev/tty, which a test has not: give it tmux's.
      // It also refuses to start without a config directory (HOME may be unset, as on CI): give
      // it one of its own, so the test neither depends on HOME nor writes into it.
      let tmux = Tmux(tmux: try #require(which("tmux")))
      defer { tmux.stop() }
      try tmux.start(
        "cd \(dir) && ASCIINEMA_CONFIG_HOME=\(dir)/.asciinema asciinema cat out/demo.cast > cat.out 2> cat.err;"
          + " echo CAT=$?", width: 100, height: 30)
      let screen = try tmux.waitFor("CAT=")
      #expect(
        screen.contains("CAT=0"), "\((try? String(contentsOfFile: dir + "/cat.err", encoding: .utf8)) ?? "")")
      #expect(try String(contentsOfFile: dir + "/cat.out", encoding: .utf8).contains("step 18/18"))
      let again = try sockscope(["play", "out", "--cast", "again.cast", "--lang", "en"], in: dir)
      #expect(again.status == 0)
      #expect(again.stderr.contains("wrote again.cast (18 steps)"))
    }
  }

  @Test(
    "socketpair + fork, recorded: a pane per process, a stream's queue in bytes, a close that leaves the socket alive said so"
  )
  func forkedStream() throws {
    guard let python = which("python3") else {
      // Under CI a missing tool is a failure, not a skip.
      if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("python3 is needed") }
      return
    }
    let script = """
      import os, socket, time
      a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
      pid = os.fork()
      if pid == 0:
          a.close()
          time.sleep(0.3)
          print("child got", len(b.recv(100)), flush=True)
          os._exit(0)
      b.close()
      a.send(b"hello ")
      a.send(b"world")
      os.waitpid(pid, 0)
      print("parent\\tdone", flush=True)
      """
    try withTemporaryDirectory { dir throws in
      try script.write(toFile: dir + "/fork.py", atomically: true, encoding: .utf8)
      let recorded = try sockscope(
        ["record", "--out", "out", "--role", "pair", "--", python, "fork.py"], in: dir)
      #expect(recorded.status == 0, "\(recorded.stderr)")
      let trace = try readTrace(dir + "/out/trace.jsonl")
      let pids = Array(Set(trace.events.map(\.pid))).sorted()
      try #require(pids.count == 2, "parent and child")
      let frames = try sockscope(
        ["play", "out", "--frames", "--lang", "en", "--width", "80", "--height", "24"], in: dir)
      #expect(frames.status == 0, "\(frames.stderr)")
      let steps = frames.stdout.components(separatedBy: "\n\n")
      for step in steps where step.contains("step ") {
        // Two panes, one per process, on every frame, whatever the role says.
        let border = try #require(step.split(separator: "\n").first { $0.hasPrefix("┌") })
        #expect(border.components(separatedBy: "┌─").count - 1 == 2, "\(border)")
      }
      #expect(frames.stdout.contains(": 6 B"), "a stream's queue counts bytes")
      #expect(frames.stdout.contains(": 11 B"), "both sends wait until the child reads")
      #expect(
        frames.stdout.contains("lives on:"),
        "the parent's close does not destroy the child's socket")
      #expect(!frames.stdout.contains("is gone"))
      #expect(frames.stdout.contains("child got 11"), "output after the last socket call is in the last step")
      #expect(frames.stdout.contains("│parent  done"), "a tab is expanded to the next 8-column stop")
      #expect(!frames.stdout.contains("\t"))
    }
  }

  @Test("an invalid or empty trace is refused with a clear message")
  func badInput() throws {
    try withTemporaryDirectory { dir throws in
      try "garbage\n".write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
      let invalid = try sockscope(["play", "bad.jsonl"], in: dir)
      #expect(invalid.status == 2)
      #expect(invalid.stderr.contains("is not a valid trace"))
      try writeEmptyTrace(dir + "/empty.jsonl")
      let empty = try sockscope(["play", "empty.jsonl"], in: dir)
      // Bad input, as for every other command that draws or plays a trace (issue 10 item 3).
      #expect(empty.status == 2)
      #expect(empty.stderr.contains("nothing to play"))
      let small = try sockscope(["play", "empty.jsonl", "--width", "40"], in: dir)
      #expect(small.status != 0)
      #expect(small.stderr.contains("--width must be between 80 and 1000 columns; got 40"))
      // Far too wide used to trap (SIGILL): a clear error instead.
      let huge = try sockscope(
        ["play", "empty.jsonl", "--frames", "--width", "9223372036854775807"], in: dir)
      #expect(huge.status == 64, "\(huge.stderr)")
      #expect(huge.stderr.contains("--width must be between 80 and 1000 columns"))
      let tall = try sockscope(["play", "empty.jsonl", "--frames", "--height", "100000"], in: dir)
      #expect(tall.status == 64)
      #expect(tall.stderr.contains("--height must be between 24 and 1000 rows; got 100000"))
    }
  }
}

/// Terminal columns of a captured line (box-drawing and Cyrillic take one each).
enum DisplayColumns {
  static func of(_ s: String) -> Int { s.unicodeScalars.count }
}
