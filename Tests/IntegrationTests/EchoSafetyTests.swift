import Foundation
import Glibc
import SockScopeSockets
import SockScopeTrace
import Testing

/// The echo pair never takes or removes another server's socket, sends exactly what was typed,
/// stops on Ctrl-C even when the server has stopped reading, and says what is wrong and how to fix it.
@Suite("The echo pair's safety")
struct EchoSafetyTests {
  @Test("a second server refuses a live server's socket, exits 1 naming the path, and the first goes on")
  func secondServerRefused() throws {
    try withTemporaryDirectory { dir throws in
      let first = try RunningProcess(sockscopeBinary, ["server", "--lang", "en"], in: dir)
      #expect(first.waitUntil { first.stdout.contains("Listening...") })
      let before = try #require(try SocketFile.identity(at: dir + "/echo.socket"))

      let second = try sockscope(["server", "--lang", "en"], in: dir)
      #expect(second.status == 1)
      #expect(second.stdout == "", "it never opened a socket")
      #expect(second.stderr.contains("another server is running on \"./echo.socket\""), "\(second.stderr)")
      #expect(try SocketFile.identity(at: dir + "/echo.socket") == before, "the same socket file")

      let client = try sockscope(["client", "--lang", "en"], in: dir, input: "still here\nDONE\n")
      #expect(client.status == 0, "\(client.stderr)")
      let finished = first.finish()
      #expect(finished.status == 0)
      #expect(finished.stdout.contains("--------------------\nstill here\n"))
      #expect(
        try SocketFile.kind(at: dir + "/echo.socket") == .missing, "removed by the server that bound it")
    }
  }

  @Test("a server told DONE leaves a newer server's socket file at its path in place")
  func oldServerLeavesNewSocket() throws {
    try withTemporaryDirectory { dir throws in
      let old = try RunningProcess(sockscopeBinary, ["server", "--lang", "en"], in: dir)
      #expect(old.waitUntil { old.stdout.contains("Listening...") })
      // A sender connected to the old server, then the old server's name removed and a new server
      // started at the same path.
      let sender = try SocketDescriptor.open(.unix, .datagram)
      defer { try? sender.close() }
      try sender.connect(to: try UnixAddress(path: dir + "/echo.socket"))
      try SocketFile.unlink(dir + "/echo.socket")
      let new = try RunningProcess(sockscopeBinary, ["server", "--lang", "en"], in: dir)
      #expect(new.waitUntil { new.stdout.contains("Listening...") })
      let newSocket = try #require(try SocketFile.identity(at: dir + "/echo.socket"))

      _ = try sender.send(Array("DONE".utf8))
      let oldResult = old.finish()
      #expect(oldResult.status == 0, "\(oldResult.stderr)")
      #expect(oldResult.stdout.hasSuffix("Shutting down...\nDone\n"))
      #expect(oldResult.stderr.contains("is no longer the socket file this server bound"))
      #expect(try SocketFile.identity(at: dir + "/echo.socket") == newSocket, "the new server's file is kept")

      let client = try sockscope(["client", "--lang", "en"], in: dir, input: "to the new one\nDONE\n")
      #expect(client.status == 0, "\(client.stderr)")
      let newResult = new.finish()
      #expect(newResult.stdout.contains("to the new one\n"))
      #expect(try SocketFile.kind(at: dir + "/echo.socket") == .missing)
    }
  }

  @Test("a stale socket file is removed by the next server; its check is not recorded as the server's call")
  func staleSocketReplaced() throws {
    try withTemporaryDirectory { dir throws in
      let stale = try SocketDescriptor.open(.unix, .datagram)
      try stale.bind(to: try UnixAddress(path: dir + "/echo.socket"))
      try stale.close()
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "t"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      #expect(try sockscope(["client", "--trace", "t"], in: dir, input: "DONE\n").status == 0)
      #expect(server.finish().status == 0)
      let calls = try readTrace(dir + "/t").calls(of: "server").map(\.call)
      #expect(calls == [.unlink, .socket, .bind, .recv, .close, .unlink])
    }
  }

  @Test("the client sends exactly the bytes it read, invalid UTF-8 included, and echoes them unchanged")
  func clientSendsRawBytes() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "t", "--lang", "en"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening...") })
      // 6 bytes: 'a', two bytes that are not UTF-8, a space, 'b', a control character.
      let line: [UInt8] = [0x61, 0xFF, 0xFE, 0x20, 0x62, 0x01]
      let inputPath = dir + "/input"
      try Data(line + Array("\nDONE\n".utf8)).write(to: URL(fileURLWithPath: inputPath))
      let client = try RunningProcess(
        sockscopeBinary, ["client", "--trace", "t", "--lang", "en"], in: dir, inputFile: inputPath)
      let clientResult = client.finish()
      #expect(clientResult.status == 0, "\(clientResult.stderr)")
      let printed = try Data(contentsOf: URL(fileURLWithPath: client.stdoutPath))
      #expect(printed.range(of: Data(Array("SENT: ".utf8) + line + [0x0A])) != nil, "echoed byte for byte")
      let serverResult = server.finish()
      #expect(serverResult.stdout.contains("--------------------\na\\xff\\xfe b\\x01\n"))

      let trace = try readTrace(dir + "/t")
      let sends = trace.calls(of: "client").filter { $0.call == .send }
      #expect(sends.map(\.ret) == [6, 4])
      #expect(sends.first?.data?.bytes == line)
      #expect(trace.calls(of: "server").first { $0.call == .recv }?.data?.bytes == line)
    }
  }

  @Test("Ctrl-C ends a client blocked in send because the server stopped reading, with the page's message")
  func interruptBlockedSend() throws {
    try withTemporaryDirectory { dir throws in
      // A server that binds and never receives: its queue fills after max_dgram_qlen datagrams.
      let deaf = try SocketDescriptor.open(.unix, .datagram)
      defer { try? deaf.close() }
      try deaf.bind(to: try UnixAddress(path: dir + "/echo.socket"))
      let inputPath = dir + "/input"
      let lines = (1...100).map { "line \($0)\n" }.joined()
      try lines.write(toFile: inputPath, atomically: false, encoding: .utf8)
      let client = try RunningProcess(sockscopeBinary, ["client"], in: dir, inputFile: inputPath)
      // It prints each line before sending it; the queue limit stops it a few lines in.
      #expect(client.waitUntil { client.stdout.contains("ОТПРАВЛЕНО: line 5\n") })
      // Output that stays the same for half a second: the client is blocked in send.
      var printed = ""
      for _ in 0..<40 {
        let now = client.stdout
        if now == printed { break }
        printed = now
        usleep(500_000)
      }
      #expect(!printed.contains("ОТПРАВЛЕНО: line 100"), "the client must be blocked, not finished")
      let started = Date()
      kill(client.process.processIdentifier, SIGINT)
      let result = client.finish(seconds: 10)
      let elapsed = Date().timeIntervalSince(started)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout.hasSuffix("\nВыключение.\nВыполнено\n"), "\(result.stdout.suffix(80))")
      #expect(elapsed < 8, "SIGINT must end the blocked send promptly (took \(elapsed) s)")
    }
  }

  @Test("a client whose server stops while it runs says the server stopped and the line was not delivered")
  func serverGoneWhileSending() throws {
    try withTemporaryDirectory { dir throws in
      let server = try SocketDescriptor.open(.unix, .datagram)
      try server.bind(to: try UnixAddress(path: dir + "/echo.socket"))
      let client = try RunningProcess(sockscopeBinary, ["client", "--lang", "en"], in: dir)
      client.type("first\n")
      #expect(client.waitUntil { client.stdout.contains("SENT: first\n") })
      try server.close()
      client.type("second\n")
      client.closeInput()
      let result = client.finish()
      #expect(result.status == 1)
      #expect(result.stderr.contains("send(): ECONNREFUSED"), "\(result.stderr)")
      #expect(result.stderr.contains("the server's socket \"./echo.socket\" was closed (the server stopped)"))
    }
  }

  @Test("a client pointed at a regular file names what is there and what to do, and leaves the file alone")
  func clientAtRegularFile() throws {
    try withTemporaryDirectory { dir throws in
      try "my notes".write(toFile: dir + "/echo.socket", atomically: false, encoding: .utf8)
      let result = try sockscope(["client"], in: dir, input: "Лев\n")
      #expect(result.status == 1)
      #expect(result.stdout == "Подключение...\nНе могу соединиться!\nВыполнено\n")
      #expect(
        result.stderr.contains("\"./echo.socket\" is a regular file, not a socket, so there is no server"),
        "\(result.stderr)")
      #expect(result.stderr.contains("--socket PATH"))
      #expect(!result.stderr.contains("ECONNREFUSED"))
      #expect(try String(contentsOfFile: dir + "/echo.socket", encoding: .utf8) == "my notes")

      try FileManager.default.createSymbolicLink(
        atPath: dir + "/link.socket", withDestinationPath: "echo.socket")
      let linked = try sockscope(["client", "--socket", "link.socket"], in: dir, input: "")
      #expect(linked.status == 1)
      #expect(linked.stderr.contains("\"link.socket\" is a symbolic link to a regular file, not a socket"))
    }
  }

  @Test("a client at a stale socket file says no server is bound to it and how to start one")
  func clientAtStaleSocket() throws {
    try withTemporaryDirectory { dir throws in
      let stale = try SocketDescriptor.open(.unix, .datagram)
      try stale.bind(to: try UnixAddress(path: dir + "/echo.socket"))
      try stale.close()
      let result = try sockscope(["client"], in: dir, input: "")
      #expect(result.status == 1)
      #expect(result.stderr.contains("ECONNREFUSED"))
      #expect(result.stderr.contains("no server is bound to the socket file \"./echo.socket\""))
      #expect(result.stderr.contains("sockscope server --socket ./echo.socket"))
    }
  }

  @Test("a server whose socket directory does not exist names the directory and the fix")
  func serverWithoutDirectory() throws {
    try withTemporaryDirectory { dir throws in
      let result = try sockscope(["server", "--socket", "missing/echo.socket"], in: dir)
      #expect(result.status == 1)
      #expect(result.stderr.contains("bind(\"missing/echo.socket\"): ENOENT"), "\(result.stderr)")
      #expect(result.stderr.contains("the directory \"missing\" does not exist"))
    }
  }

  @Test("a socket path under a regular file: server and client name the cause and the fix")
  func pathUnderRegularFile() throws {
    try withTemporaryDirectory { dir throws in
      try "".write(toFile: dir + "/plain", atomically: false, encoding: .utf8)
      for command in ["server", "client"] {
        let result = try sockscope([command, "--socket", "plain/echo.socket"], in: dir, input: "")
        #expect(result.status == 1)
        #expect(result.stderr.contains("(\"plain/echo.socket\"): ENOTDIR"), "\(command): \(result.stderr)")
        #expect(result.stderr.contains("is not a directory; choose another path with --socket PATH"))
      }
    }
  }

  @Test("a demo whose server cannot start ends at once with the server's own message, not a time-out")
  func demoReportsServerFailure() throws {
    try withTemporaryDirectory { dir throws in
      let out = dir + "/out"
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
      let live = try RunningProcess(sockscopeBinary, ["server", "--lang", "en"], in: out)
      #expect(live.waitUntil { live.stdout.contains("Listening...") })

      let started = Date()
      let demo = try sockscope(["demo", "--out", "out", "--timeout", "120"], in: dir, seconds: 150)
      let elapsed = Date().timeIntervalSince(started)
      #expect(demo.status == 1)
      #expect(demo.stderr.contains("server exited with status 1 while the demo waited for"), "\(demo.stderr)")
      #expect(demo.stderr.contains("another server is running on \"./echo.socket\""))
      #expect(!demo.stderr.contains("timed out"))
      #expect(elapsed < 60, "the demo noticed the server's exit (took \(elapsed) s of a 120 s time-out)")

      // The live server was not harmed.
      #expect(try sockscope(["client", "--lang", "en"], in: out, input: "DONE\n").status == 0)
      #expect(live.finish().status == 0)
    }
  }
}
