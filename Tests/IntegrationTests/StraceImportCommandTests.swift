import Foundation
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
      if os.fork() == 0:
          client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
          client.connect("s.sock")
          client.sendall("Лев".encode())
          client.close()
          os._exit(0)
      conn, _ = server.accept()
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
}
