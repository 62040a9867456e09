import Foundation
import SockScopeStrace
import SockScopeTrace
import Testing

@Suite("sockscope import strace")
struct StraceImportCommandTests {
  @Test(
    "the page's Python pair traced by strace and imported makes the same calls per role as the Swift demo",
    .enabled(
      if: which("strace") != nil && which("python3") != nil, "strace and python3 are installed by make test"))
  func pythonUnderStrace() throws {
    let strace = try #require(which("strace"))
    // Without HOME, Python's start-up asks glibc for the user's home directory, and glibc tries
    // nscd over AF_UNIX sockets of its own (as on CI): those must not become the program's calls.
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = nil
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "swift"], in: dir).status == 0)
      let traced = try run(
        strace,
        [
          "-f", "-tt", "-yy", "-s", "256", "-e", "trace=%network,close,unlink,read,write", "-o", "run.log",
          "--",
          sockscopeBinary, "demo", "--program", "python", "--python-dir", pythonScripts, "--out", "python",
        ], in: dir, seconds: 60, environment: environment)
      #expect(traced.status == 0, "\(traced.stderr)")
      let imported = try sockscope(["import", "strace", "run.log", "-o", "imported.jsonl"], in: dir)
      #expect(imported.status == 0, "\(imported.stderr)")
      let log = try String(contentsOfFile: dir + "/run.log", encoding: .utf8)
      #expect(log.contains("nscd/socket") == imported.stderr.contains("left out"), "\(imported.stderr)")
      let a = try readTrace(dir + "/swift/trace.jsonl")
      let b = try readTrace(dir + "/imported.jsonl")
      for role in ["server", "client#1", "client#2"] {
        #expect(callFamilies(a, role) == callFamilies(b, role), "\(role)")
        #expect(payloads(a, role) == payloads(b, role), "\(role)")
      }
      #expect(
        b.events.filter { $0.call == .recvfrom }.allSatisfy { $0.flows.count == 1 }, "each recv linked")
      #expect(try sockscope(["compare", "imported.jsonl"], in: dir).status == 0)
    }
  }

  /// What each send and receive of `role` carried, in order.
  func payloads(_ trace: Trace, _ role: String) -> [String] {
    trace.calls(of: role).compactMap { e in
      switch e.call {
      case .send, .sendto, .sendmsg, .recv, .recvfrom, .recvmsg: e.data?.text ?? "?"
      default: nil
      }
    }
  }

  @Test(
    "a stream pair under strace (UNIX-STREAM, accept4, a peer in every annotation) imports with every argument",
    .enabled(
      if: which("strace") != nil && which("python3") != nil, "strace and python3 are installed by make test"))
  func streamPairUnderStrace() throws {
    let strace = try #require(which("strace"))
    let python = try #require(which("python3"))
    try withTemporaryDirectory { dir throws in
      try """
      import os, socket
      server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
      server.bind("s.sock")
      server.listen(1)
      # The client stays until strace has shown the accept: strace names the accepted socket's peer
      # when accept4 returns, and a peer already closed has no inode to show (seen under load).
      accepted, go = os.pipe()
      if os.fork() == 0:
          client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
          client.connect("s.sock")
          client.sendall("Лев".encode())
          os.read(accepted, 1)
          client.close()
          os._exit(0)
      conn, _ = server.accept()
      os.write(go, b"x")
      while conn.recv(1024):
          pass
      conn.close()
      server.close()
      os.unlink("s.sock")
      os.wait()

      """.write(toFile: dir + "/pair.py", atomically: true, encoding: .utf8)
      let traced = try run(
        strace,
        [
          "-f", "-tt", "-yy", "-s", "256", "-e", "trace=%network,close,unlink", "-o", "run.log", python,
          "pair.py",
        ],
        in: dir)
      #expect(traced.status == 0, "\(traced.stderr)")
      let imported = try sockscope(["import", "strace", "run.log", "-o", "t.jsonl"], in: dir)
      #expect(imported.status == 0, "\(imported.stderr)")
      let trace = try readTrace(dir + "/t.jsonl")
      #expect(
        callFamilies(trace, "server") == [
          "socket", "bind", "listen", "accept4", "recv", "recv", "close", "close", "unlink",
        ])
      #expect(callFamilies(trace, "client") == ["socket", "connect", "send", "close"])
      let accept = try #require(trace.events.first { $0.call == .accept4 })
      let connect = try #require(trace.events.first { $0.call == .connect })
      let send = try #require(trace.events.first { $0.call == .sendto })
      let recv = try #require(trace.events.first { $0.call == .recvfrom })
      #expect(accept.args["flags"] == .string("SOCK_CLOEXEC"))
      guard case .object(let accepted)? = accept.args["new_sock"] else {
        Issue.record("accept4 has no new_sock: \(accept.args)")
        return
      }
      #expect(
        accepted["peer"] == .int(Int64(connect.socket?.inode ?? 0)),
        "the accepted socket's peer is the client")
      #expect(send.data?.text == "Лев")
      #expect(send.args["len"] == .int(6))
      #expect(recv.args["len"] == .int(1024))
      #expect(recv.data?.text == "Лев")
      #expect(recv.flows == [send.flow ?? -1])
    }
  }

  @Test("a malformed strace log is reported by line, its readable lines kept; a missing file is bad input")
  func malformed() throws {
    try withTemporaryDirectory { dir throws in
      let log = """
        1 09:00:00.000001 socket(AF_UNIX, SOCK_DGRAM, 0) = 3<UNIX:[10]>
        garbage here
        1 09:00:00.000002 bind(3<UNIX:[10]>, {sa_family=AF_UNIX, sun_path="s"}, 110) = 0

        """
      try log.write(toFile: dir + "/bad.log", atomically: true, encoding: .utf8)
      let r = try sockscope(["import", "strace", "bad.log", "-o", "t.jsonl"], in: dir)
      #expect(r.status == 1)
      #expect(r.stderr.contains("bad.log:2: not a line strace writes: garbage here"))
      #expect(r.stderr.contains("the 2 events around them were kept"))
      #expect(!r.stderr.contains("-tt"), "a line that is not strace's is not taken for a log without times")
      #expect(try readTrace(dir + "/t.jsonl").events.count == 2)
      let missing = try sockscope(["import", "strace", "nope.log"], in: dir)
      #expect(missing.status == 2)
    }
  }

  @Test(
    "the page's Python pair recorded with strace -ff (a file per process) imports as one -f file does, with -T",
    .enabled(
      if: straceAndPython || straceTestsUnderCI,
      "strace and python3 are installed by make test (required under CI)"))
  func perProcessFilesMatchOneFile() throws {
    let strace = try #require(which("strace"), "strace is missing")
    _ = try #require(which("python3"), "python3 is missing")
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = nil
    try withTemporaryDirectory { dir throws in
      // The page's run, typed through a pipe: the client starts once the server has bound.
      let script = """
        python3 \(pythonScripts)/server.py > server.out &
        while [ ! -S echo.socket ]; do sleep 0.05; done
        printf 'Лев\\nhello\\nDONE\\n' | python3 \(pythonScripts)/client.py > client.out
        wait
        """
      try script.write(toFile: dir + "/run.sh", atomically: true, encoding: .utf8)
      for (mode, log) in [("-f", "one.log"), ("-ff", "per")] {
        let traced = try run(
          strace,
          [
            mode, "-tt", "-T", "-yy", "-s", "256", "-e", "trace=%network,close,unlink,read,write", "-o", log,
            "--", "sh", "run.sh",
          ], in: dir, seconds: 120, environment: environment)
        #expect(traced.status == 0, "\(traced.stderr)")
      }
      let files = try FileManager.default.contentsOfDirectory(atPath: dir)
      #expect(files.contains { $0.hasPrefix("per.") } && !files.contains("per"), "-ff wrote per.PID files")
      let one = try sockscope(["import", "strace", "one.log", "-o", "one.jsonl"], in: dir)
      #expect(one.status == 0, "\(one.stderr)")
      // The prefix stands for its per.PID files.
      let per = try sockscope(["import", "strace", "per", "-o", "per.jsonl"], in: dir)
      #expect(per.status == 0, "\(per.stderr)")
      #expect(!per.stderr.contains("without -T"), "\(per.stderr)")
      let a = try readTrace(dir + "/one.jsonl")
      let b = try readTrace(dir + "/per.jsonl")
      #expect(b.header.problems.isEmpty, "every receive linked: \(b.header.problems)")
      for role in ["server", "client"] {
        #expect(callFamilies(a, role) == callFamilies(b, role), "\(role)")
        #expect(payloads(a, role) == payloads(b, role), "\(role)")
      }
      #expect(links(a) == ["Лев ← Лев", "hello ← hello", "DONE ← DONE"])
      #expect(links(b) == links(a))
      for trace in [a, b] {
        // -T's durations: every call took some time, and the first receive waited for the client.
        #expect(trace.events.allSatisfy { $0.duration > 0 }, "\(trace.events.map(\.duration))")
        let first = try #require(trace.events.first { $0.call == .recvfrom })
        #expect(first.duration > 10_000_000, "the server waited for the client to start")
      }
    }
  }

  /// Each receive's payload and the payloads of the sends it is linked to.
  func links(_ trace: Trace) -> [String] {
    let sends = Dictionary(trace.events.compactMap { e in e.flow.map { ($0, e) } }) { first, _ in first }
    return trace.events.filter { $0.call.receivesData }.map { r in
      "\(r.data?.text ?? "?") ← \(r.flows.map { sends[$0]?.data?.text ?? "?" }.joined(separator: ","))"
    }
  }

  @Test(
    "an empty strace log, or one with no socket calls, is an error naming the file and the strace command")
  func emptyLog() throws {
    try withTemporaryDirectory { dir throws in
      try "".write(toFile: dir + "/empty.log", atomically: true, encoding: .utf8)
      let empty = try sockscope(["import", "strace", "empty.log", "-o", "t.jsonl"], in: dir)
      #expect(empty.status == 2)
      #expect(empty.stderr.hasPrefix("sockscope import strace: error: empty.log is empty"), "\(empty.stderr)")
      #expect(empty.stderr.contains("strace -f -tt -T -yy"))
      #expect(!FileManager.default.fileExists(atPath: dir + "/t.jsonl"))
      try "1 09:00:00.000001 open(\"/etc/passwd\", O_RDONLY) = 3\n".write(
        toFile: dir + "/files.log", atomically: true, encoding: .utf8)
      let none = try sockscope(["import", "strace", "files.log", "-o", "t.jsonl"], in: dir)
      #expect(none.status == 2)
      #expect(none.stderr.contains("no calls on AF_UNIX sockets in files.log"), "\(none.stderr)")
      #expect(!FileManager.default.fileExists(atPath: dir + "/t.jsonl"))
      let missing = try sockscope(["import", "strace", "nope.log"], in: dir)
      #expect(missing.stderr.hasPrefix("sockscope import strace: error: nope.log: no such file"))
    }
  }

  @Test("a CRLF strace log imports its calls (Swift reads \"\\r\\n\" as one Character)")
  func crlfLog() throws {
    try withTemporaryDirectory { dir throws in
      let log =
        "1 09:00:00.000001 socket(AF_UNIX, SOCK_DGRAM, 0) = 3<UNIX:[10]>\r\n"
        + "1 09:00:00.000002 bind(3<UNIX:[10]>, {sa_family=AF_UNIX, sun_path=\"s\"}, 110) = 0\r\n"
      try log.write(toFile: dir + "/crlf.log", atomically: true, encoding: .utf8)
      let r = try sockscope(["import", "strace", "crlf.log", "-o", "t.jsonl"], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(try readTrace(dir + "/t.jsonl").events.map(\.call) == [.socket, .bind])
    }
  }
}

/// Whether strace and python3 are here.
private let straceAndPython = which("strace") != nil && which("python3") != nil

/// Under CI a test whose tool is missing must fail, not skip.
private let straceTestsUnderCI = ProcessInfo.processInfo.environment["CI"] == "true"
