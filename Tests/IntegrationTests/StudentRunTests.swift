import Foundation
import Glibc
import SockScopeTrace
import Testing

/// A student's version of the page's scripts: the page's server.py and client.py with one change.
struct StudentChange: CustomTestStringConvertible, Sendable {
  var name: String
  /// (in server.py, replaced by); (in client.py, replaced by).
  var server: [(String, String)] = []
  var client: [(String, String)] = []
  /// What the clients type, one client per element.
  var inputs = ["Лев Николаевич Толстой\n", "Лев\nDONE\n"]

  var testDescription: String { name }

  /// The page's lines each change replaces: the test fails if the page's scripts no longer hold them.
  static let socketFile = "SOCKET_FILE = './echo.socket'"
  static let receive = "server.recv(1024)"
  static let cleanup = "server.close()\nos.remove(SOCKET_FILE)"
  static let doneCheck = "    if b\"DONE\" == datagram:\n        break\n"
  static let datagram = "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)"
  static let send = "                client.send(x.encode(\"utf-8\"))\n"
}

/// The page's scripts, changed as `change` says, written into `directory`.
func writeStudentScripts(_ change: StudentChange, into directory: String) throws {
  for (file, edits) in [("server.py", change.server), ("client.py", change.client)] {
    var text = try String(contentsOfFile: pythonScripts + "/" + file, encoding: .utf8)
    for (old, new) in edits {
      #expect(text.contains(old), "the page's \(file) no longer holds \(old)")
      text = text.replacingOccurrences(of: old, with: new)
    }
    try text.write(toFile: directory + "/" + file, atomically: true, encoding: .utf8)
  }
}

/// Records a student's run as a student makes it, in two terminals: `sockscope record` of the
/// server, then one `sockscope record` per client. A server still running after the last client
/// (one that never stops) is interrupted, as a student stops it with Ctrl-C. Returns the run
/// directory.
@discardableResult
func recordStudentRun(_ change: StudentChange, in directory: String) throws -> String {
  try writeStudentScripts(change, into: directory)
  let server = try RunningProcess(
    sockscopeBinary, ["record", "--out", "run", "--role", "server", "--", "python3", "-u", "server.py"],
    in: directory)
  #expect(server.waitUntil { server.stdout.contains("Слушаем...") || !server.process.isRunning })
  for input in change.inputs {
    _ = try sockscope(
      ["record", "--out", "run", "--role", "client", "--", "python3", "-u", "client.py"], in: directory,
      input: input)
  }
  if !server.waitUntil(seconds: 2, { !server.process.isRunning }) {
    // Ctrl-C to the Python server itself (the child of `sockscope record`).
    let pid = server.process.processIdentifier
    let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    for child in children.split(separator: " ").compactMap({ pid_t($0) }) { kill(child, SIGINT) }
  }
  _ = server.finish()
  return directory + "/run"
}

/// The findings of `compare --format json --lang en` on a run: (id, role, expected, actual, message).
func findings(_ run: String, in directory: String) throws -> (status: Int32, [[String: String]]) {
  let r = try sockscope(["compare", run, "--format", "json", "--lang", "en"], in: directory)
  let json = try JSONValue.parse(r.stdout)
  let list = try #require(json.objectValue?["findings"]?.arrayValue, "\(r.stdout)\(r.stderr)")
  return (
    r.status,
    list.compactMap { $0.objectValue }.map { f in
      var d: [String: String] = [:]
      for key in ["id", "role", "expected", "actual", "message", "severity"] { d[key] = f[key]?.stringValue }
      return d
    }
  )
}

@Suite("Students' runs: the page's scripts with one change each, recorded and checked", needs("python3"))
struct StudentRunTests {
  @Test("the unchanged scripts conform, the two clients recorded by two commands")
  func unchangedTwoCommands() throws {
    _ = try tool("python3")
    try withTemporaryDirectory { dir throws in
      try recordStudentRun(StudentChange(name: "unchanged"), in: dir)
      let (status, list) = try findings("run", in: dir)
      #expect(status == 0, "\(list)")
      #expect(list.isEmpty, "\(list)")
      #expect(try sockscope(["grade", "run"], in: dir).status == 0)
    }
  }

  @Test("the unchanged scripts conform, the two clients recorded by one command")
  func unchangedOneCommand() throws {
    _ = try tool("python3")
    try withTemporaryDirectory { dir throws in
      try writeStudentScripts(StudentChange(name: "unchanged"), into: dir)
      let server = try RunningProcess(
        sockscopeBinary, ["record", "--out", "run", "--role", "server", "--", "python3", "-u", "server.py"],
        in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      try "Лев Николаевич Толстой\n".write(toFile: dir + "/one.txt", atomically: true, encoding: .utf8)
      try "Лев\nDONE\n".write(toFile: dir + "/two.txt", atomically: true, encoding: .utf8)
      let clients = try sockscope(
        [
          "record", "--out", "run", "--role", "client", "--", "sh", "-c",
          "python3 -u client.py < one.txt && python3 -u client.py < two.txt",
        ], in: dir)
      #expect(clients.status == 0, "\(clients.stderr)")
      #expect(server.finish().status == 0)
      let trace = try readTrace(dir + "/run/trace.jsonl")
      #expect(
        trace.participants.filter { $0.plays("client") }.count == 2, "two processes, one role: \(trace.roles)"
      )
      let (status, list) = try findings("run", in: dir)
      #expect(status == 0, "\(list)")
      #expect(list.isEmpty, "\(list)")
    }
  }

  @Test("a short buffer: a wrong argument inside the loop, with both values, and the cut datagram")
  func shortBuffer() throws {
    _ = try tool("python3")
    try withTemporaryDirectory { dir throws in
      let run = try recordStudentRun(
        StudentChange(name: "short buffer", server: [(StudentChange.receive, "server.recv(16)")]), in: dir)
      let (status, list) = try findings(run, in: dir)
      #expect(status == 1)
      let wrong = try #require(list.first { $0["id"] == "wrong-argument" })
      #expect(wrong["role"] == "server" && wrong["expected"] == "1024" && wrong["actual"] == "16")
      #expect(wrong["message"]?.contains("repetitions of the loop") == true)
      // «Лев Николаевич Толстой» is 42 bytes in UTF-8.
      let cut = try #require(list.first { $0["id"] == "cut-datagram" })
      #expect(cut["expected"] == "42 bytes" && cut["actual"] == "16 bytes")
      let text = try sockscope(["compare", "run", "--hints"], in: dir)
      #expect(text.stdout.contains("датаграмма обрезана: server"))
      #expect(text.stdout.contains("совет: "))
    }
  }

  @Test(
    "no clean-up: the socket file left behind is a difference, and the next bind does fail with EADDRINUSE")
  func noCleanup() throws {
    let python = try tool("python3")
    try withTemporaryDirectory { dir throws in
      let recorded = try recordStudentRun(
        StudentChange(name: "no clean-up", server: [(StudentChange.cleanup, "server.close()")]), in: dir)
      let (status, list) = try findings(recorded, in: dir)
      #expect(status == 1)
      #expect(list.map { $0["id"] } == ["socket-file-left"], "\(list)")
      #expect(list.first?["message"]?.contains("EADDRINUSE") == true)
      // What the finding says, measured: the file is there, and binding it again fails.
      let probe = try run(
        python,
        [
          "-c",
          "import socket, errno\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ntry:\n    s.bind('./echo.socket')\nexcept OSError as e:\n    print(errno.errorcode[e.errno])",
        ], in: dir)
      #expect(probe.stdout == "EADDRINUSE\n")
    }
  }

  @Test("no DONE check: the server goes on receiving after DONE")
  func noDoneCheck() throws {
    _ = try tool("python3")
    try withTemporaryDirectory { dir throws in
      var change = StudentChange(name: "no DONE check", server: [(StudentChange.doneCheck, "")])
      change.inputs.append("Толстой\n")
      let run = try recordStudentRun(change, in: dir)
      let (status, list) = try findings(run, in: dir)
      #expect(status == 1)
      let after = try #require(list.first { $0["id"] == "received-after-exit" }, "\(list)")
      #expect(after["role"] == "server" && after["message"]?.contains("«Толстой»") == true)
    }
  }

  @Test("a wrong path: bind and connect with the path the student used and the schematic's")
  func wrongPath() throws {
    _ = try tool("python3")
    try withTemporaryDirectory { dir throws in
      let path = (StudentChange.socketFile, "SOCKET_FILE = './echo.sock'")
      let run = try recordStudentRun(
        StudentChange(name: "wrong path", server: [path], client: [path]), in: dir)
      let (status, list) = try findings(run, in: dir)
      #expect(status == 1)
      let wrong = list.filter { $0["id"] == "wrong-argument" }
      #expect(wrong.map { $0["role"] } == ["server", "client#1", "client#2"], "\(list)")
      #expect(wrong.allSatisfy { $0["expected"] == "\"./echo.socket\"" && $0["actual"] == "\"./echo.sock\"" })
      #expect(!list.contains { $0["id"] == "socket-file-left" }, "the student's server removes its own file")
    }
  }

  @Test("a stream socket instead of a datagram one: the socket's type, expected and actual")
  func streamInsteadOfDatagram() throws {
    _ = try tool("python3")
    try withTemporaryDirectory { dir throws in
      let run = try recordStudentRun(
        StudentChange(
          name: "stream",
          server: [(StudentChange.datagram, "socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)")]), in: dir)
      let (status, list) = try findings(run, in: dir)
      #expect(status == 1)
      let type = try #require(
        list.first { $0["id"] == "wrong-argument" && $0["role"] == "server" }, "\(list)")
      #expect(type["expected"] == "SOCK_DGRAM" && type["actual"] == "SOCK_STREAM")
      // The clients' connect to a stream socket that is not listening is refused.
      #expect(list.contains { $0["id"] == "failed-call" && $0["message"]?.contains("ECONNREFUSED") == true })
    }
  }

  @Test("an extra send: DONE sent twice is refused (or never received), and diff counts every extra send")
  func extraSend() throws {
    _ = try tool("python3")
    try withTemporaryDirectory { dir throws in
      let run = try recordStudentRun(
        StudentChange(
          name: "extra send", client: [(StudentChange.send, StudentChange.send + StudentChange.send)]),
        in: dir)
      let (status, list) = try findings(run, in: dir)
      #expect(status == 1)
      // The second DONE meets a server that closed (refused) or that is closing (never received).
      #expect(
        list.contains {
          $0["role"] == "client#2"
            && ($0["id"] == "unreceived-datagram"
              || ($0["id"] == "failed-call" && $0["message"]?.contains("send") == true))
        }, "\(list)")
      try FileManager.default.createDirectory(atPath: dir + "/reference", withIntermediateDirectories: false)
      try recordStudentRun(StudentChange(name: "unchanged"), in: dir + "/reference")
      let diff = try sockscope(
        ["diff", "reference/run", "run", "--lang", "en", "--render", "diff.svg"], in: dir)
      #expect(diff.status == 1)
      #expect(diff.stdout.contains("loop count: client#1"))
      #expect(diff.stdout.contains("the loop ran 2 times; the reference ran it 1"))
      #expect(FileManager.default.fileExists(atPath: dir + "/diff.svg"))
    }
  }
}
