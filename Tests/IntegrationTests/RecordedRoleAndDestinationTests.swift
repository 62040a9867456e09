import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace
import Testing

/// The interposer built next to `sockscope`.
let preloadLibrary =
  URL(fileURLWithPath: sockscopeBinary).deletingLastPathComponent().path + "/libSockScopePreload.so"

@Suite("Roles and destinations under record")
struct RecordedRoleAndDestinationTests {
  @Test("--role longer than 63 bytes is refused by record, server and client before anything starts")
  func longRoleRefused() throws {
    try withTemporaryDirectory { dir throws in
      let role = String(repeating: "р", count: 32)  // 64 bytes
      for arguments in [
        ["record", "--role", role, "--out", "t", "--", "true"], ["server", "--trace", "t", "--role", role],
        ["client", "--trace", "t", "--role", role],
      ] {
        let result = try sockscope(arguments, in: dir, input: "")
        #expect(result.status != 0, "\(arguments[0])")
        #expect(
          result.stderr.contains("--role is 64 bytes of UTF-8; a role holds at most 63 bytes"),
          "\(arguments[0]): \(result.stderr)")
      }
      #expect(!FileManager.default.fileExists(atPath: dir + "/t"), "nothing was recorded")
      #expect(!FileManager.default.fileExists(atPath: dir + "/echo.socket"), "no server started")
    }
  }

  @Test(
    "SOCKSCOPE_ROLE longer than 63 bytes is cut at a character boundary and the trace's problems say so",
    needs("python3"))
  func longEnvironmentRoleCut() throws {
    let python = try #require(which("python3"), "python3 is installed by make test")
    try withTemporaryDirectory { dir throws in
      try FileManager.default.createDirectory(atPath: dir + "/t", withIntermediateDirectories: true)
      var environment = ProcessInfo.processInfo.environment
      environment["LD_PRELOAD"] = preloadLibrary
      environment["SOCKSCOPE_TRACE_DIR"] = dir + "/t"
      environment["SOCKSCOPE_ROLE"] = "x" + String(repeating: "ж", count: 40)  // 81 bytes; 63 cuts a letter
      let r = try run(
        python, ["-c", "import socket; socket.socket(socket.AF_UNIX).close()"], in: dir,
        environment: environment)
      #expect(r.status == 0, "\(r.stderr)")
      let merged = try sockscope(["merge", "t"], in: dir)
      #expect(merged.status == 0, "\(merged.stderr)")
      #expect(
        merged.stdout.contains("its role was 81 bytes; a log keeps at most 63 bytes of a role"),
        "\(merged.stdout)")
      let trace = try TraceFile.read(path: dir + "/t/trace.jsonl").trace
      #expect(trace.header.processes.map(\.role) == ["x" + String(repeating: "ж", count: 31)])
    }
  }

  @Test(
    "a program whose name the kernel cut inside a letter gets a role of whole letters",
    needs("gcc"))
  func programNameCutInsideALetter() throws {
    let gcc = try #require(which("gcc"), "gcc is installed by make test")
    try withTemporaryDirectory { dir throws in
      try
        "#include <sys/socket.h>\n#include <unistd.h>\nint main(void) { close(socket(AF_UNIX, SOCK_DGRAM, 0)); }\n"
        .write(toFile: dir + "/p.c", atomically: true, encoding: .utf8)
      try #require(try run(gcc, ["-o", "программа", "p.c"], in: dir).status == 0)
      try FileManager.default.createDirectory(atPath: dir + "/t", withIntermediateDirectories: true)
      var environment = ProcessInfo.processInfo.environment
      environment["LD_PRELOAD"] = preloadLibrary
      environment["SOCKSCOPE_TRACE_DIR"] = dir + "/t"
      environment["SOCKSCOPE_ROLE"] = nil
      let r = try run(dir + "/программа", [], in: dir, environment: environment)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(try sockscope(["merge", "t"], in: dir).status == 0)
      let trace = try readTrace(dir + "/t/trace.jsonl")
      // /proc/self/comm holds 15 bytes: "програм" and the first byte of "м".
      #expect(trace.header.processes.map(\.role) == ["програм"])
    }
  }

  @Test(
    "sendto with a relative path after chdir, or through a symbolic link, records the bound file's inode",
    needs("python3"))
  func sendToInodeUnderRecord() throws {
    let script = """
      import os, socket
      os.makedirs("a", exist_ok=True)
      server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
      server.bind("a/echo.socket")
      os.symlink("a/echo.socket", "link.socket")
      client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
      client.sendto(b"via-link", "link.socket")
      os.chdir("a")
      client.sendto(b"relative", "./echo.socket")
      client.sendmsg([b"sendmsg"], [], 0, "echo.socket")
      for _ in range(3):
          server.recv(100)
      """
    try withTemporaryDirectory { dir throws in
      try script.write(toFile: dir + "/p.py", atomically: true, encoding: .utf8)
      let result = try sockscope(["record", "--out", "t", "--", "python3", "p.py"], in: dir)
      #expect(result.status == 0, "\(result.stderr)")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      let bound = try #require(trace.events.first { $0.call == .bind }?.address?.inode)
      let sends = trace.events.filter { $0.call == .sendto || $0.call == .sendmsg }
      #expect(sends.compactMap { $0.data?.text } == ["via-link", "relative", "sendmsg"])
      #expect(sends.map { $0.address?.inode } == [bound, bound, bound])
    }
  }
}
