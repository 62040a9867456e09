import Foundation
import Glibc
import SockScopeTrace
import Testing

@Suite("Bad input and faults")
struct FaultTests {
  @Test("a regular file at the socket path is refused and left untouched")
  func regularFileAtPath() throws {
    try withTemporaryDirectory { dir throws in
      try "my notes".write(toFile: dir + "/echo.socket", atomically: true, encoding: .utf8)
      let result = try sockscope(["server"], in: dir)
      #expect(result.status == 1)
      #expect(
        result.stderr.contains("\"./echo.socket\" is a regular file, not a socket; it was left untouched"))
      #expect(try String(contentsOfFile: dir + "/echo.socket", encoding: .utf8) == "my notes")
    }
  }

  @Test("a symbolic link at the socket path is refused and left untouched")
  func symlinkAtPath() throws {
    try withTemporaryDirectory { dir throws in
      try "target".write(toFile: dir + "/target", atomically: true, encoding: .utf8)
      try FileManager.default.createSymbolicLink(
        atPath: dir + "/echo.socket", withDestinationPath: dir + "/target")
      let result = try sockscope(["server"], in: dir)
      #expect(result.status == 1)
      #expect(result.stderr.contains("is a symbolic link, not a socket"))
      #expect(
        try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/echo.socket") == dir + "/target")
    }
  }

  @Test("a 200-byte socket path is refused with the limit and a fix; nothing is created")
  func pathTooLong() throws {
    try withTemporaryDirectory { dir throws in
      let long = "./" + String(repeating: "s", count: 198)
      for command in ["server", "client"] {
        let result = try sockscope([command, "--socket", long], in: dir, input: "")
        #expect(result.status == 1)
        #expect(
          result.stderr.contains("is 200 bytes; sockscope takes a UNIX socket name of at most 107 bytes"))
      }
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.isEmpty)
    }
  }

  @Test("a client with no server prints the page's message and fails")
  func noServer() throws {
    try withTemporaryDirectory { dir throws in
      let result = try sockscope(["client", "--trace", "t"], in: dir, input: "Лев\n")
      #expect(result.status == 1)
      #expect(result.stdout == "Подключение...\nНе могу соединиться!\nВыполнено\n")
      #expect(result.stderr.contains("no socket at \"./echo.socket\": start the server first"))
    }
  }

  @Test("a stale socket file whose server is gone: connect is refused, recorded and reported")
  func staleSocketConnectRefused() throws {
    try withTemporaryDirectory { dir throws in
      // A server killed before it could remove its socket file leaves exactly this behind.
      let server = try RunningProcess(sockscopeBinary, ["server"], in: dir)
      #expect(server.waitUntil { FileManager.default.fileExists(atPath: dir + "/echo.socket") })
      kill(server.process.processIdentifier, SIGKILL)
      _ = server.finish()
      let result = try sockscope(["client", "--trace", "t"], in: dir, input: "Лев\n")
      #expect(result.status == 1)
      #expect(result.stdout.contains("Не могу соединиться!"))
      #expect(result.stderr.contains("connect(\"./echo.socket\"): ECONNREFUSED: Connection refused"))
      let trace = try readTrace(dir + "/t")
      #expect(trace.calls(of: "client").map(\.call) == [.socket, .connect, .close])
      #expect(trace.calls(of: "client")[1].failure?.name == "ECONNREFUSED")

      // The next server removes the stale socket (it is a socket) and starts.
      let next = try sockscope(["server"], in: dir, input: nil, seconds: 2)
      #expect(next.stdout.contains("Слушаем..."), "\(next.stderr)")
    }
  }

  @Test(
    "a 4000-byte datagram into recv(1024): the program gets 1024 bytes, the trace and the server say 4000")
  func longDatagram() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "t"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      let line = String(repeating: "я", count: 2000)  // 4000 bytes of UTF-8
      let client = try sockscope(["client", "--trace", "t"], in: dir, input: line + "\nDONE\n")
      #expect(client.status == 0, "\(client.stderr)")
      let finished = server.finish()
      #expect(finished.status == 0, "\(finished.stderr)")
      #expect(finished.stderr.contains("this datagram was 4000 bytes; recv(1024) kept the first 1024"))
      #expect(try sockscope(["merge", "t"], in: dir).status == 0)
      let recv = try #require(
        try readTrace(dir + "/t/trace.jsonl").calls(of: "server").first { $0.call == .recv })
      #expect(recv.ret == 1024)
      #expect(recv.data?.datagramLength == 4000)
      #expect(recv.data?.text == String(repeating: "я", count: 128), "the first 256 bytes, whole letters")
      #expect(recv.data?.isTruncated == true)
    }
  }

  @Test("kill -9 of the server mid-stream: every event recorded before the kill is in the merged trace")
  func killedServer() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "t"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      let client = try RunningProcess(sockscopeBinary, ["client", "--trace", "t"], in: dir)
      let words = (1...5).map { "слово-\($0)" }
      for word in words { client.type(word + "\n") }
      #expect(server.waitUntil { server.stdout.contains("слово-5") })
      kill(server.process.processIdentifier, SIGKILL)
      _ = server.finish()
      client.closeInput()
      _ = client.finish()

      let merge = try sockscope(["merge", "t"], in: dir)
      #expect(merge.status == 0, "\(merge.stderr)")
      #expect(merge.stdout.contains("ended abruptly"))
      let trace = try readTrace(dir + "/t/trace.jsonl")
      let serverProcess = try #require(trace.header.processes.first { $0.role == "server" })
      #expect(serverProcess.ending == .cut)
      let received = trace.calls(of: "server").filter { $0.call == .recv && $0.succeeded }
      #expect(received.map { $0.data?.text } == words)
      #expect(received.allSatisfy { $0.flows.count == 1 })
      #expect(trace.header.processes.first { $0.role == "client" }?.ending == .closed)
    }
  }

  @Test("kill -9 of a client mid-stream: its events up to the kill are kept, the server goes on")
  func killedClient() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "t"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      let client = try RunningProcess(
        sockscopeBinary, ["client", "--trace", "t", "--role", "client#1"], in: dir)
      for word in ["один", "два", "три"] { client.type(word + "\n") }
      #expect(server.waitUntil { server.stdout.contains("три") })
      kill(client.process.processIdentifier, SIGKILL)
      _ = client.finish()
      let second = try sockscope(["client", "--trace", "t", "--role", "client#2"], in: dir, input: "DONE\n")
      #expect(second.status == 0)
      #expect(server.finish().status == 0, "the server carried on and stopped on DONE")
      let merge = try sockscope(["merge", "t"], in: dir)
      #expect(merge.stdout.contains("client#1): its log was never closed"))
      let trace = try readTrace(dir + "/t/trace.jsonl")
      #expect(trace.header.processes.first { $0.role == "client#1" }?.ending == .cut)
      #expect(
        trace.calls(of: "client#1").filter { $0.call == .send }.map { $0.data?.text } == [
          "один", "два", "три",
        ])
      #expect(trace.calls(of: "server").filter { $0.call == .recv }.allSatisfy { $0.flows.count == 1 })
    }
  }

  @Test("validate reports a line cut in half with its line number and keeps the events around it")
  func validateCutLine() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      var lines = try String(contentsOfFile: dir + "/out/trace.jsonl", encoding: .utf8).split(separator: "\n")
      lines[10] = lines[10].prefix(lines[10].count / 2)
      try (lines.joined(separator: "\n") + "\n").write(
        toFile: dir + "/cut.jsonl", atomically: true, encoding: .utf8)
      let result = try sockscope(["validate", "cut.jsonl"], in: dir)
      #expect(result.status == 1)
      #expect(result.stdout.hasPrefix("cut.jsonl:11: not valid JSON at column"))
      #expect(result.stderr.contains("1 problem (listed above); 55 valid events were read"))
    }
  }

  @Test("validate, merge and demo refuse bad paths with a clear message and a non-zero status")
  func badPaths() throws {
    try withTemporaryDirectory { dir throws in
      let missing = try sockscope(["validate", "nope.jsonl"], in: dir)
      #expect(missing.status == 2)
      #expect(missing.stderr.contains("nope.jsonl: no such file or directory"))

      try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
      let empty = try sockscope(["merge", "empty"], in: dir)
      #expect(empty.status == 2, "input merge cannot use, as validate says")
      #expect(empty.stderr.contains("holds no per-process logs (*.sslog)"))

      try "".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
      let unwritable = try sockscope(["server", "--trace", "file/t"], in: dir)
      #expect(unwritable.status == 1)
      #expect(unwritable.stderr.contains("cannot record into \"file/t\""))
      #expect(!FileManager.default.fileExists(atPath: dir + "/echo.socket"), "nothing started")

      let badLanguage = try sockscope(["demo", "--lang", "de"], in: dir)
      #expect(badLanguage.status != 0)
      #expect(badLanguage.stderr.contains("ru"))
    }
  }

  @Test("a client reading to end of input shuts down like Ctrl-C")
  func endOfInput() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--lang", "en"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening...") })
      let client = try sockscope(["client", "--lang", "en"], in: dir, input: "one\n")
      #expect(client.status == 0)
      #expect(client.stdout.hasSuffix("> one\nSENT: one\n> Shutting down.\nDone\n"))
      _ = try sockscope(["client", "--lang", "en"], in: dir, input: "DONE\n")
      #expect(server.finish().stdout.hasSuffix("DONE\n--------------------\nShutting down...\nDone\n"))
    }
  }
}
