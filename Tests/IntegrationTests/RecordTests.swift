import Foundation
import Glibc
import SockScopeTrace
import Testing

/// Each role's calls by family (sendto is a send, recvfrom a recv), as both programs make them.
func callFamilies(_ trace: Trace, _ role: String) -> [String] {
  trace.calls(of: role).map { e in
    switch e.call {
    case .send, .sendto, .sendmsg, .write: "send"
    case .recv, .recvfrom, .recvmsg, .read: "recv"
    default: e.call.rawValue
    }
  }
}

let pythonScripts = repositoryRoot + "/examples/python"

@Suite(
  "Recording programs not written with SockScope", needs("python3"))
struct RecordTests {
  @Test(
    "the page's Python scripts, recorded in the documented run, make the same calls per role as the Swift pair"
  )
  func pythonMatchesSwift() throws {
    try withTemporaryDirectory { dir throws in
      let swift = try sockscope(["demo", "--out", "swift"], in: dir)
      #expect(swift.status == 0, "\(swift.stderr)")
      let python = try sockscope(
        ["demo", "--program", "python", "--python-dir", pythonScripts, "--out", "python"], in: dir)
      #expect(python.status == 0, "\(python.stdout)\n\(python.stderr)")
      let a = try readTrace(dir + "/swift/trace.jsonl")
      let b = try readTrace(dir + "/python/trace.jsonl")
      for role in ["server", "client#1", "client#2"] {
        #expect(callFamilies(a, role) == callFamilies(b, role), "\(role)")
      }
      #expect(
        callFamilies(b, "server") == ["socket", "bind", "recv", "recv", "recv", "recv", "close", "unlink"])
      #expect(
        b.calls(of: "server").filter { $0.call == .recv }.map { $0.data?.text } == [
          "Лев", "Толстой", "Лев", "DONE",
        ])
      #expect(b.events.filter { $0.call == .recv }.allSatisfy { $0.flows.count == 1 })
      // What the Python processes printed was recorded too, so the player shows their consoles.
      #expect(
        b.events.contains {
          $0.role == "server" && $0.call == .output && $0.data?.text?.contains("Открываем") == true
        })
      #expect(try sockscope(["compare", "python"], in: dir).status == 0)
    }
  }

  @Test("two record invocations sharing --out form one run, merged and linked")
  func twoTerminals() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(
        sockscopeBinary, ["record", "--out", "run", "--", "python3", "-u", pythonScripts + "/server.py"],
        in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      let client = try sockscope(
        ["record", "--out", "run", "--", "python3", "-u", pythonScripts + "/client.py"], in: dir,
        input: "Лев\nDONE\n")
      #expect(client.status == 0, "\(client.stderr)")
      #expect(server.finish().status == 0)
      let trace = try readTrace(dir + "/run/trace.jsonl")
      #expect(trace.roles.sorted() == ["client", "server"])
      #expect(trace.header.processes.count == 2, "wrapper processes that never touch a socket leave no log")
      #expect(trace.events.filter { $0.call == .recv && $0.role == "server" }.map(\.flows.count) == [1, 1])
    }
  }

  @Test("a program sees the same results, errno and data with the interposer as without it")
  func behaviourUnchanged() throws {
    let script = """
      import os, socket
      s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
      try:
          s.connect("/nonexistent/sockscope")
      except OSError as e:
          print("connect errno", e.errno)
      a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
      a.send(b"0123456789")
      print("recv", b.recv(4))
      a.send("Лев".encode())
      print("recvfrom", b.recvfrom(100))
      x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
      os.write(x.fileno(), b"stream")
      print("read", os.read(y.fileno(), 3), os.read(y.fileno(), 10))
      try:
          os.read(987, 1)
      except OSError as e:
          print("read errno", e.errno)
      for f in (s, a, b, x, y):
          f.close()
      """
    try withTemporaryDirectory { dir throws in
      try script.write(toFile: dir + "/probe.py", atomically: true, encoding: .utf8)
      let python = try #require(which("python3"))
      let plain = try run(python, ["probe.py"], in: dir)
      let traced = try sockscope(["record", "--out", "t", "--", "python3", "probe.py"], in: dir)
      #expect(plain.status == 0 && traced.status == 0, "\(plain.stderr)\(traced.stderr)")
      #expect(traced.stdout == plain.stdout)
      #expect(plain.stdout.contains("recv b'0123'"))
      #expect(plain.stdout.contains("connect errno 2"))
      let trace = try readTrace(dir + "/t/trace.jsonl")
      let recv = try #require(trace.events.first { $0.call == .recv })
      #expect(recv.ret == 4 && recv.data?.datagramLength == 10, "the datagram's real size is recorded")
      #expect(trace.events.contains { $0.call == .connect && $0.failure?.name == "ENOENT" })
      #expect(trace.events.contains { $0.call == .read && $0.data?.text == "str" })
    }
  }

  @Test("a forked child is recorded in a log of its own, named after its parent")
  func followsFork() throws {
    try withTemporaryDirectory { dir throws in
      let r = try sockscope(
        [
          "record", "--out", "t", "--role", "pair", "--", "python3",
          repositoryRoot + "/Benchmarks/python_pair.py", "20",
          "8", dir + "/p.sock",
        ], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      #expect(trace.header.processes.count == 2)
      #expect(trace.header.processes.map(\.role).sorted() == ["pair", "pair/1"])
      #expect(
        trace.header.processes.allSatisfy { ($0.requestedRole ?? $0.role) == "pair" && $0.ending == .closed })
      let sends = trace.events.filter { $0.call == .send }
      let receives = trace.events.filter { $0.call == .recv }
      #expect(sends.count == 20 && receives.count == 20)
      #expect(Set(sends.map(\.pid)).count == 1 && sends.first?.pid != receives.first?.pid)
      #expect(receives.allSatisfy { $0.flows.count == 1 })
    }
  }

  @Test("an installed sockscope finds the interposer next to itself, or where --preload says")
  func installedElsewhere() throws {
    try withTemporaryDirectory { dir throws in
      let bin = dir + "/opt/bin"
      try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
      let built = URL(fileURLWithPath: sockscopeBinary).deletingLastPathComponent().path
      try FileManager.default.copyItem(atPath: sockscopeBinary, toPath: bin + "/sockscope")
      try FileManager.default.copyItem(
        atPath: built + "/libSockScopePreload.so", toPath: bin + "/libSockScopePreload.so")
      let ok = try run(
        bin + "/sockscope",
        [
          "record", "--out", "t", "--", "python3", "-c",
          "import socket; socket.socket(socket.AF_UNIX).close()",
        ], in: dir)
      #expect(ok.status == 0, "\(ok.stderr)")
      #expect(try readTrace(dir + "/t/trace.jsonl").events.map(\.call) == [.socket, .close])
      let wrong = try run(
        bin + "/sockscope", ["record", "--preload", "/nowhere/lib.so", "--", "true"], in: dir)
      #expect(wrong.status == 1, "an explicit path that does not exist is an error, not silently replaced")
      #expect(wrong.stderr.contains("--preload /nowhere/lib.so: no such file"))
      try FileManager.default.removeItem(atPath: bin + "/libSockScopePreload.so")
      let missing = try run(bin + "/sockscope", ["record", "--", "true"], in: dir)
      #expect(missing.status == 1)
      #expect(missing.stderr.contains("cannot find the interposer libSockScopePreload.so"))
    }
  }

  @Test("a command that does not exist, or a statically linked one, is refused with what to do")
  func badCommands() throws {
    try withTemporaryDirectory { dir throws in
      let missing = try sockscope(["record", "--", "no-such-program-here"], in: dir)
      #expect(missing.status == 127)
      #expect(missing.stderr.contains("no-such-program-here: command not found on PATH"))
      let none = try sockscope(["record"], in: dir)
      #expect(none.status != 0)
      #expect(none.stderr.contains("name the program to run after --"))
      // A static binary, when this machine can link one.
      try "int main(void) { return 0; }\n".write(toFile: dir + "/s.c", atomically: true, encoding: .utf8)
      guard let cc = which("gcc") ?? which("cc"),
        try run(cc, ["-static", "-o", "static", "s.c"], in: dir).status == 0
      else {
        return
      }
      let r = try sockscope(["record", "--", "./static"], in: dir)
      #expect(r.status == 1)
      #expect(
        r.stderr.contains("is statically linked, so LD_PRELOAD cannot see its calls. Trace it with strace"))
    }
  }
}
