import Foundation
import SockScopeMerge
import SockScopeTrace
import Testing

@Suite("Every process its own participant, end to end")
struct ParticipantTests {
  @Test("two clients started by hand with --trace into one directory are client#1 and client#2, and conform")
  func twoClientsByHand() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "R"], in: dir)
      #expect(server.waitUntil { FileManager.default.fileExists(atPath: dir + "/echo.socket") })
      #expect(try sockscope(["client", "--trace", "R"], in: dir, input: "Лев\n").status == 0)
      #expect(try sockscope(["client", "--trace", "R"], in: dir, input: "DONE\n").status == 0)
      #expect(server.finish().status == 0)
      let trace = try TraceFile.read(path: dir + "/R").trace
      #expect(trace.roles.sorted() == ["client#1", "client#2", "server"])
      let clients = trace.header.processes.filter { $0.requestedRole == "client" }
      #expect(
        clients.map(\.role) == ["client#1", "client#2"] || clients.map(\.role) == ["client#2", "client#1"])
      // client#1 is the one that made the first step.
      let first = try #require(trace.events.first { $0.role.hasPrefix("client") })
      #expect(first.role == "client#1")
      #expect(Set(trace.events.filter { $0.role == "client#1" }.map(\.pid)).count == 1)
      let compare = try sockscope(["compare", "R"], in: dir)
      #expect(compare.status == 0, "\(compare.stdout)\(compare.stderr)")
    }
  }

  @Test(
    "socketpair and fork under record: parent and child are two participants, the child named after its parent",
    needs("python3"))
  func socketpairAndFork() throws {
    _ = try #require(which("python3"), "python3 is needed")
    try withTemporaryDirectory { dir throws in
      let script = """
        import os, socket
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        pid = os.fork()
        if pid == 0:
            a.close()
            b.send(b"from child")
            os._exit(0)
        b.close()
        a.recv(64)
        os.waitpid(pid, 0)
        """
      try script.write(toFile: dir + "/fork.py", atomically: true, encoding: .utf8)
      let r = try sockscope(["record", "--out", "t", "--role", "pair", "--", "python3", "fork.py"], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      let parent = try #require(trace.header.processes.first { $0.role == "pair" })
      let child = try #require(trace.header.processes.first { $0.role == "pair/1" })
      #expect(child.ppid == parent.pid && child.requestedRole == "pair")
      #expect(trace.roles.sorted() == ["pair", "pair/1"])
      let send = try #require(trace.events.first { $0.call == .send })
      let recv = try #require(trace.events.first { $0.call == .recv })
      #expect(send.role == "pair/1" && recv.role == "pair" && recv.flows == [send.flow ?? 0])
      #expect(send.index < recv.index)
      let frames = try sockscope(["play", "t", "--frames"], in: dir)
      #expect(frames.status == 0, "\(frames.stderr)")
      #expect(frames.stdout.contains("▶ pair/1  send("))
    }
  }
}
