import Foundation
import Glibc
import Testing

/// What SockScope promises about the user's files and its outputs (docs/safety.md): it never
/// writes or deletes through a link, never overwrites one of its inputs, reports every output
/// error, never blocks on a FIFO in a trace directory, reads a trace from a pipe, and never prints
/// a trace's control characters raw.
@Suite("Safety of the user's files and outputs")
struct SafetyTests {
  static let fixture = repositoryRoot + "/Tests/SockScopeTraceTests/Fixtures/demo-trace.jsonl"

  /// Runs `script` with bash in `directory`; `$B` is the sockscope under test.
  func shell(_ script: String, in directory: String, seconds: Double = 30) throws -> CommandResult {
    try run(
      "/bin/bash", ["-c", "B='\(sockscopeBinary)'; \(script)"], in: directory, seconds: seconds)
  }

  func copyFixture(to path: String) throws {
    try FileManager.default.copyItem(atPath: Self.fixture, toPath: path)
  }

  func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

  /// A demo run in `dir/run`, for its per-process logs.
  func recordRun(in dir: String) throws {
    let demo = try sockscope(["demo", "--out", "run", "--lang", "en"], in: dir, seconds: 60)
    try #require(demo.status == 0, "\(demo.stderr)")
  }

  // MARK: Item 2: outputs never follow a link

  @Test("an output path that is a symbolic link is refused, and the file it points to never changes")
  func outputSymlinkRefused() throws {
    try withTemporaryDirectory { dir throws in
      try copyFixture(to: dir + "/t.jsonl")
      try "precious\n".write(toFile: dir + "/precious", atomically: false, encoding: .utf8)
      try "1 socket(AF_UNIX, SOCK_DGRAM, 0) = 3\n".write(
        toFile: dir + "/r.log", atomically: false, encoding: .utf8)
      let commands: [(output: String, arguments: [String])] = [
        ("s.svg", ["render", "t.jsonl", "-o", "s.svg"]),
        ("c.cast", ["play", "t.jsonl", "--cast", "c.cast"]),
        ("i.jsonl", ["import", "strace", "r.log", "-o", "i.jsonl"]),
        ("m.svg", ["compare", "t.jsonl", "--render", "m.svg"]),
      ]
      for (output, arguments) in commands {
        symlink("precious", dir + "/" + output)
        let r = try sockscope(arguments, in: dir)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        #expect(r.stderr.contains("is a symbolic link"), "\(arguments): \(r.stderr)")
        #expect(bytes(dir + "/precious") == Data("precious\n".utf8), "\(arguments) wrote through the link")
        var st = stat()
        #expect(lstat(dir + "/" + output, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
      }
    }
  }

  @Test("links planted beside an output, at any temporary name, are never written through")
  func plantedTemporaryLinksIgnored() throws {
    try withTemporaryDirectory { dir throws in
      try copyFixture(to: dir + "/t.jsonl")
      try "precious\n".write(toFile: dir + "/precious", atomically: false, encoding: .utf8)
      // The name the old writer used (.NAME.PID.tmp), planted for the very pid sockscope gets
      // (exec keeps the shell's), and the plain guesses.
      let r = try shell(
        "for n in .s.svg.tmp .s.svg.1.tmp .s.svg.$$.tmp; do ln -s precious $n; done; "
          + "exec \"$B\" render t.jsonl -o s.svg", in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(bytes(dir + "/precious") == Data("precious\n".utf8))
      var st = stat()
      #expect(lstat(dir + "/s.svg", &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG)
      #expect(String(decoding: bytes(dir + "/s.svg") ?? Data(), as: UTF8.self).contains("</svg>"))
      let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".tmp") }
      #expect(names.count == 3, "planted links kept, no temporary file left: \(names)")
      for name in names {
        #expect(lstat(dir + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK, "\(name)")
      }
    }
  }

  @Test("/dev/stdout as an output is standard output, even when it is a file; a directory is refused")
  func descriptorOutputs() throws {
    try withTemporaryDirectory { dir throws in
      try copyFixture(to: dir + "/t.jsonl")
      let r = try shell("\"$B\" render t.jsonl --format dot -o /dev/stdout > out.dot", in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(String(decoding: bytes(dir + "/out.dot") ?? Data(), as: UTF8.self).hasPrefix("digraph"))
      try FileManager.default.createDirectory(atPath: dir + "/d.svg", withIntermediateDirectories: false)
      let d = try sockscope(["render", "t.jsonl", "-o", "d.svg"], in: dir)
      #expect(d.status == 2)
      #expect(d.stderr.contains("d.svg: is a directory"), "\(d.stderr)")
    }
  }

  // MARK: Item 3: demo deletes only its own logs

  @Test("demo never deletes through a logs/ that is a link, nor anything in logs/ it did not make")
  func demoDeletesOnlyItsOwnLogs() throws {
    try withTemporaryDirectory { dir throws in
      let fm = FileManager.default
      try fm.createDirectory(atPath: dir + "/precious/sub.sslog", withIntermediateDirectories: true)
      try "keep".write(toFile: dir + "/precious/a.sslog", atomically: false, encoding: .utf8)
      try fm.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
      symlink("../precious", dir + "/out/logs")
      let linked = try sockscope(["demo", "--out", "out"], in: dir)
      #expect(linked.status == 2)
      #expect(linked.stderr.contains("out/logs\""), "\(linked.stderr)")
      #expect(linked.stderr.contains("is a symbolic link"), "\(linked.stderr)")
      #expect(bytes(dir + "/precious/a.sslog") == Data("keep".utf8))
      #expect(fm.fileExists(atPath: dir + "/precious/sub.sslog"))

      // Inside a real logs/: a link to a precious log, a directory and a file that is not a log.
      try fm.removeItem(atPath: dir + "/out/logs")
      try fm.createDirectory(atPath: dir + "/out/logs/dir.sslog", withIntermediateDirectories: true)
      symlink("../../precious/a.sslog", dir + "/out/logs/link.sslog")
      try "not a log".write(toFile: dir + "/out/logs/notes.sslog", atomically: false, encoding: .utf8)
      let inside = try sockscope(["demo", "--out", "out"], in: dir)
      #expect(inside.status == 2)
      #expect(inside.stderr.contains("dir.sslog, link.sslog, notes.sslog"), "\(inside.stderr)")
      #expect(bytes(dir + "/precious/a.sslog") == Data("keep".utf8))
      #expect(fm.fileExists(atPath: dir + "/out/logs/dir.sslog"))
      #expect(bytes(dir + "/out/logs/notes.sslog") == Data("not a log".utf8))

      // Its own logs from an earlier run are removed: the new trace holds one run.
      for name in ["dir.sslog", "link.sslog", "notes.sslog"] {
        try fm.removeItem(atPath: dir + "/out/logs/" + name)
      }
      #expect(try sockscope(["demo", "--out", "out"], in: dir, seconds: 60).status == 0)
      let again = try sockscope(["demo", "--out", "out"], in: dir, seconds: 60)
      #expect(again.status == 0, "\(again.stderr)")
      let logs = try fm.contentsOfDirectory(atPath: dir + "/out/logs")
      #expect(logs.filter { $0.hasSuffix(".sslog") }.count == 3, "\(logs)")
      #expect(
        logs.filter { $0.hasSuffix(".exit") }.count <= 3,
        "exit records of earlier runs are removed too: \(logs)")
    }
  }

  @Test("server --trace and record --out never write logs through a logs/ that is a link")
  func recordersRefuseLinkedLogs() throws {
    try withTemporaryDirectory { dir throws in
      let fm = FileManager.default
      try fm.createDirectory(atPath: dir + "/elsewhere", withIntermediateDirectories: true)
      for out in ["rec", "srv"] {
        try fm.createDirectory(atPath: dir + "/" + out, withIntermediateDirectories: true)
        symlink("../elsewhere", dir + "/\(out)/logs")
      }
      let record = try sockscope(["record", "--out", "rec", "--", "/bin/true"], in: dir)
      #expect(record.status != 0)
      #expect(record.stderr.contains("symbolic link"), "\(record.stderr)")
      let server = try sockscope(["server", "--trace", "srv", "--socket", "s.sock"], in: dir, seconds: 10)
      #expect(server.status != 0)
      #expect(server.stderr.contains("symbolic link"), "\(server.stderr)")
      #expect(
        try fm.contentsOfDirectory(atPath: dir + "/elsewhere").isEmpty,
        "nothing was written through the links")
    }
  }

  // MARK: Item 4: no command overwrites its own input

  @Test("every command refuses to write over one of its inputs, whatever name reaches it")
  func inputNeverOverwritten() throws {
    try withTemporaryDirectory { dir throws in
      try recordRun(in: dir)
      let fm = FileManager.default
      try copyFixture(to: dir + "/t.jsonl")
      try copyFixture(to: dir + "/t.svg")
      link(dir + "/t.jsonl", dir + "/hard.jsonl")
      try "1 socket(AF_UNIX, SOCK_DGRAM, 0) = 3\n".write(
        toFile: dir + "/run.log", atomically: false, encoding: .utf8)
      let log = try #require(
        try fm.contentsOfDirectory(atPath: dir + "/run/logs").first { $0.hasSuffix(".sslog") })
      let exitRecord = try fm.contentsOfDirectory(atPath: dir + "/run/logs").first { $0.hasSuffix(".exit") }
      let cases: [(input: String, arguments: [String])] =
        [
          ("t.jsonl", ["render", "t.jsonl", "-o", "t.jsonl"]),
          ("t.jsonl", ["render", "t.jsonl", "-o", "./t.jsonl"]),
          ("t.jsonl", ["render", "t.jsonl", "-o", "hard.jsonl"]),
          ("t.jsonl", ["render", "./t.jsonl", "-o", dir + "/t.jsonl"]),
          ("t.jsonl", ["play", "t.jsonl", "--cast", "t.jsonl"]),
          ("t.svg", ["compare", "t.svg", "--render", "t.svg"]),
          ("run.log", ["import", "strace", "run.log", "-o", "run.log"]),
          ("run/logs/\(log)", ["merge", "run/logs", "-o", "run/logs/\(log)"]),
          ("run/trace.jsonl", ["render", "run", "-o", "run/trace.jsonl"]),
        ] + (exitRecord.map { [("run/logs/\($0)", ["merge", "run/logs", "-o", "run/logs/\($0)"])] } ?? [])
      for (input, arguments) in cases {
        let before = bytes(dir + "/" + input)
        let r = try sockscope(arguments, in: dir)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        #expect(r.stderr.contains("is an input of this command"), "\(arguments): \(r.stderr)")
        #expect(bytes(dir + "/" + input) == before, "\(arguments) changed its input")
      }
      // Standard output appended to the input.
      for command in [
        "render t.jsonl --format dot", "play t.jsonl --frames", "import strace run.log", "validate t.jsonl",
        "diff t.jsonl t.jsonl", "compare t.jsonl",
      ] {
        let input = command.contains("run.log") ? "run.log" : "t.jsonl"
        let before = bytes(dir + "/" + input)
        let r = try shell("\"$B\" \(command) >> \(input)", in: dir)
        #expect(r.status == 2, "\(command): \(r.stderr)")
        #expect(bytes(dir + "/" + input) == before, "\(command) >> \(input) changed its input")
      }
    }
  }

  // MARK: Item 6: every output error is reported

  @Test("a write error on standard output (a full disk) fails every command, with a message")
  func fullStandardOutput() throws {
    try withTemporaryDirectory { dir throws in
      try recordRun(in: dir)
      try copyFixture(to: dir + "/t.jsonl")
      try "1 socket(AF_UNIX, SOCK_DGRAM, 0) = 3\n".write(
        toFile: dir + "/run.log", atomically: false, encoding: .utf8)
      let commands = [
        "import strace run.log", "render t.jsonl", "render t.jsonl --format dot", "play t.jsonl --frames",
        "compare t.jsonl", "diff t.jsonl t.jsonl", "validate t.jsonl", "merge run/logs -o m.jsonl", "schema",
        "version", "--help", "--version", "render --help",
      ]
      for command in commands {
        let r = try shell("\"$B\" \(command) > /dev/full", in: dir)
        #expect(r.status != 0, "\(command) > /dev/full exited 0")
        #expect(
          r.stderr.contains("cannot write to standard output: No space left on device"),
          "\(command): \(r.stderr)")
      }
      // Where 1 is a verdict, a failed output is not mistaken for one.
      for command in ["compare t.jsonl", "diff t.jsonl t.jsonl", "validate t.jsonl"] {
        #expect(try shell("\"$B\" \(command) > /dev/full", in: dir).status == 2, "\(command)")
      }
      for arguments in [
        ["render", "t.jsonl", "-o", "/dev/full"], ["import", "strace", "run.log", "-o", "/dev/full"],
      ] {
        let r = try sockscope(arguments, in: dir)
        #expect(r.status == 1, "\(arguments): \(r.stderr)")
        #expect(r.stderr.contains("No space left on device"), "\(arguments): \(r.stderr)")
      }
    }
  }

  // MARK: Item 14: a trace from a pipe

  @Test("the echo pair's server and client report a console they could not write to, exit 1")
  func echoPairFullOutput() throws {
    try withTemporaryDirectory { dir throws in
      // The server prints to a full disk; the client to a full disk too. Both still do their job
      // (the datagram is delivered, DONE stops the server), and both say their output was lost.
      let r = try shell(
        #""$B" server > /dev/full 2>server.err & "#
          + #"for i in $(seq 300); do [ -S echo.socket ] && break; sleep 0.1; done; printf 'DONE\n' | "$B" client > /dev/full; "#
          + #"c=$?; wait $!; s=$?; echo "client=$c server=$s""#, in: dir)
      #expect(r.stdout.contains("client=1 server=1"), "\(r.stdout) \(r.stderr)")
      #expect(r.stderr.contains("cannot write to standard output or error: No space left on device"))
      let serverErr = try String(contentsOfFile: dir + "/server.err", encoding: .utf8)
      #expect(serverErr.contains("cannot write to standard output or error"), "\(serverErr)")
      #expect(!FileManager.default.fileExists(atPath: dir + "/echo.socket"), "the server still cleaned up")
    }
  }

  @Test("a trace read from a pipe is read whole, not reported as empty")
  func traceFromPipe() throws {
    try withTemporaryDirectory { dir throws in
      try copyFixture(to: dir + "/t.jsonl")
      let substituted = try shell("\"$B\" validate <(cat t.jsonl)", in: dir)
      #expect(substituted.status == 0, "\(substituted.stdout)\(substituted.stderr)")
      #expect(substituted.stdout.contains("valid: 18 socket calls"))
      let piped = try shell("cat t.jsonl | \"$B\" render /dev/stdin --format dot", in: dir)
      #expect(piped.status == 0, "\(piped.stderr)")
      #expect(piped.stdout.hasPrefix("digraph"))
      let strace = try shell(
        "printf '1 socket(AF_UNIX, SOCK_DGRAM, 0) = 3\\n' | \"$B\" import strace /dev/stdin", in: dir)
      #expect(strace.stdout.contains("\"call\":\"socket\""), "\(strace.stderr)")
    }
  }

  // MARK: Item 17: a FIFO in a trace directory

  @Test("a FIFO named *.sslog or trace.jsonl never blocks merge, validate or render; it is named")
  func fifoInTraceDirectory() throws {
    try withTemporaryDirectory { dir throws in
      try recordRun(in: dir)
      mkfifo(dir + "/run/logs/zz.sslog", 0o644)
      for arguments in [
        ["merge", "run/logs", "-o", "m.jsonl"], ["validate", "run/logs"],
        ["render", "run/logs", "-o", "x.svg"],
      ] {
        let r = try sockscope(arguments, in: dir, seconds: 20)
        #expect(r.status == 0, "\(arguments) blocked or failed: \(r.status) \(r.stderr)")
        #expect(
          (r.stdout + r.stderr).contains("zz.sslog: is a FIFO (named pipe), not a regular file"),
          "\(arguments): \(r.stdout)\(r.stderr)")
      }
      try FileManager.default.removeItem(atPath: dir + "/run/trace.jsonl")
      mkfifo(dir + "/run/trace.jsonl", 0o644)
      let r = try sockscope(["validate", "run"], in: dir, seconds: 20)
      #expect(r.status == 2, "\(r.status) \(r.stderr)")
      #expect(r.stderr.contains("trace.jsonl: is a FIFO"), "\(r.stderr)")
    }
  }

  // MARK: Item 19: no raw control characters from a trace or log

  @Test("roles, payloads and bad lines with escape sequences are printed escaped by every command")
  func controlCharactersEscaped() throws {
    try withTemporaryDirectory { dir throws in
      var text = try String(contentsOfFile: Self.fixture, encoding: .utf8)
      // Same byte counts: a valid trace whose role retitles and clears, whose payload clears.
      text = text.replacingOccurrences(
        of: "\"server\"", with: #""ser\u001b]0;PWNED\u0007ver\u001b[2J\u009b""#)
      text = text.replacingOccurrences(of: "Лев", with: #"\u001b[2Jab"#)
      try text.write(toFile: dir + "/evil.jsonl", atomically: false, encoding: .utf8)
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      lines.insert("{\"oops\u{1B}]0;TITLE\u{7}\": 1}", at: 3)
      lines[2] = lines[2].replacingOccurrences(of: "\"call\":\"", with: #""call":"\u001b]0;CALL\u0007"#)
      try lines.joined(separator: "\n").write(toFile: dir + "/bad.jsonl", atomically: false, encoding: .utf8)
      try "1 socket(AF_UNIX, SOCK_DGRAM, 0) = 3\n\u{1B}]0;TITLE\u{7} not strace\n".write(
        toFile: dir + "/evil.log", atomically: false, encoding: .utf8)
      try copyFixture(to: dir + "/t.jsonl")
      let commands: [[String]] = [
        ["validate", "evil.jsonl"], ["validate", "bad.jsonl"], ["compare", "evil.jsonl"],
        ["compare", "evil.jsonl", "--format", "markdown"], ["compare", "bad.jsonl"],
        ["diff", "t.jsonl", "evil.jsonl"],
        ["render", "evil.jsonl", "--format", "dot"], ["render", "evil.jsonl", "--format", "svg"],
        ["render", "evil.jsonl", "--view", "topology", "--format", "svg"], ["render", "bad.jsonl"],
        ["import", "strace", "evil.log"],
      ]
      for arguments in commands {
        let r = try sockscope(arguments, in: dir)
        #expect([0, 1, 2].contains(r.status), "\(arguments): \(r.status)")
        for control in ["\u{1B}", "\u{7}", "\u{9B}"] {
          #expect(!(r.stdout + r.stderr).contains(control), "\(arguments) printed a raw control character")
        }
      }
      let validate = try sockscope(["validate", "evil.jsonl"], in: dir)
      #expect(validate.stdout.contains(#"roles: ser\e]0;PWNED\u{7}ver\e[2J\u{9b}"#), "\(validate.stdout)")
      let bad = try sockscope(["validate", "bad.jsonl"], in: dir)
      #expect(bad.stdout.contains(#"unknown call "\e]0;CALL\u{7}"#), "\(bad.stdout)")
      let strace = try sockscope(["import", "strace", "evil.log"], in: dir)
      #expect(
        strace.stderr.contains(#"not a line strace writes: \e]0;TITLE\u{7} not strace"#), "\(strace.stderr)")
      // A multi-line report keeps its own lines.
      let compare = try sockscope(["compare", "evil.jsonl", "--lang", "en"], in: dir)
      #expect(compare.stdout.split(separator: "\n").count > 4)
      #expect(compare.stdout.contains(#"extra role: ser\e]0;PWNED"#), "\(compare.stdout)")

      // A role given to a recording process, printed by merge.
      let logs = dir + "/logs"
      let client = try sockscope(
        ["client", "--trace", logs, "--role", "c\u{1B}]0;X\u{7}", "--socket", dir + "/none.socket"], in: dir,
        input: "")
      #expect(client.status != 0)
      let merge = try sockscope(["merge", logs], in: dir)
      #expect(merge.status == 0, "\(merge.stderr)")
      #expect(merge.stdout.contains(#"c\e]0;X\u{7}"#), "\(merge.stdout)")
      #expect(!(merge.stdout + merge.stderr).contains("\u{1B}"))
    }
  }

  // MARK: Item 21: messages

  @Test("errors say what the system said, never Foundation's error codes; one problem is 'problem'")
  func plainMessages() throws {
    try withTemporaryDirectory { dir throws in
      try "not a directory".write(toFile: dir + "/file", atomically: false, encoding: .utf8)
      let merge = try sockscope(["merge", "file"], in: dir)
      #expect(merge.status == 2)
      #expect(merge.stderr.contains("file: cannot be listed: Not a directory"), "\(merge.stderr)")
      #expect(!merge.stderr.contains("NSCocoaErrorDomain"))
      let missing = try sockscope(["merge", "nowhere"], in: dir)
      #expect(
        missing.stderr.contains("nowhere: cannot be listed: No such file or directory"), "\(missing.stderr)")

      // One bad event line: the first event's index is not a number.
      var lines = try String(contentsOfFile: Self.fixture, encoding: .utf8).split(separator: "\n").map(
        String.init)
      lines[1] = lines[1].replacingOccurrences(of: "\"index\":0", with: "\"index\":\"zero\"")
      try (lines.joined(separator: "\n") + "\n").write(
        toFile: dir + "/one.jsonl", atomically: false, encoding: .utf8)
      let validate = try sockscope(["validate", "one.jsonl"], in: dir)
      let n = validate.stdout.split(separator: "\n").filter { $0.hasPrefix("one.jsonl:") }.count
      #expect(n >= 1, "\(validate.stdout)")
      let counted = "\(n) problem\(n == 1 ? "" : "s")"
      #expect(validate.stderr.contains("not a valid trace: \(counted) (listed above)"), "\(validate.stderr)")
      let render = try sockscope(["render", "one.jsonl"], in: dir)
      #expect(render.status == 2)
      #expect(render.stderr.contains("(\(counted), the first:"), "\(render.stderr)")
      #expect(!render.stderr.contains("(1 problems"))
    }
  }
}
