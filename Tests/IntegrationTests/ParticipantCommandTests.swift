import Foundation
import Glibc
import SockScopeTrace
import Testing

/// The pids of the per-process logs anywhere under `directory`, in the order their logs opened.
private func loggedPIDs(_ directory: String) -> [Int32] {
  let names = FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []
  let logs = names.filter { $0.hasSuffix(".sslog") }.map { ($0 as NSString).lastPathComponent }
  let keyed = logs.compactMap { name -> (Int32, UInt64)? in
    let parts = (name as NSString).deletingPathExtension.split(separator: "-")
    guard parts.count == 2, let pid = Int32(parts[0]), let start = UInt64(parts[1]) else { return nil }
    return (pid, start)
  }
  return keyed.sorted { $0.1 < $1.1 }.map(\.0)
}

/// How many lifelines of processes a sequence chart's DOT has (the kernel's left out).
private func processLanes(_ dot: String) -> Int {
  dot.components(separatedBy: "\n").filter { $0.contains("_head [") && $0.contains("\\npid ") }.count
}

@Suite("Every process its own participant, through the commands")
struct ParticipantCommandTests {
  @Test("two clients by hand with the same role: two lanes, each checked on its own, and the run conforms")
  func sameRoleByHand() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "t"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      for input in ["Лев\nТолстой\n", "Лев\nDONE\n"] {
        let client = try sockscope(["client", "--trace", "t", "--role", "client"], in: dir, input: input)
        #expect(client.status == 0, "\(client.stderr)")
      }
      #expect(server.finish().status == 0)
      #expect(try sockscope(["merge", "t"], in: dir).status == 0)
      let sequence = try sockscope(["render", "t", "--view", "sequence", "--format", "dot"], in: dir)
      #expect(sequence.status == 0, "\(sequence.stderr)")
      #expect(processLanes(sequence.stdout) == 3, "the server and two clients")
      let schematic = try sockscope(["render", "t", "--format", "dot", "--lang", "en"], in: dir)
      #expect(schematic.stdout.contains("Client ×2"))
      let compare = try sockscope(["compare", "t"], in: dir)
      #expect(compare.status == 0, "\(compare.stdout)\(compare.stderr)")
      #expect(!compare.stdout.contains("wrong order"))
      #expect(try sockscope(["diff", "t", "t"], in: dir).status == 0)
    }
  }

  @Test(
    "the page's pair recorded by two record --role client: the run conforms",
    needs("python3"))
  func sameRoleRecorded() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(
        sockscopeBinary,
        ["record", "--out", "run", "--role", "server", "--", "python3", "-u", pythonScripts + "/server.py"],
        in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      for input in ["Лев\nТолстой\n", "Лев\nDONE\n"] {
        let client = try sockscope(
          [
            "record", "--out", "run", "--role", "client", "--", "python3", "-u", pythonScripts + "/client.py",
          ],
          in: dir, input: input)
        #expect(client.status == 0, "\(client.stderr)")
      }
      #expect(server.finish().status == 0)
      let compare = try sockscope(["compare", "run"], in: dir)
      #expect(compare.status == 0, "\(compare.stdout)\(compare.stderr)")
      let trace = try readTrace(dir + "/run/trace.jsonl")
      #expect(trace.participants.count == 3)
      // Named by their first step; the role asked for is kept.
      #expect(trace.roles.sorted() == ["client#1", "client#2", "server"])
      #expect(trace.header.processes.filter { $0.requestedRole == "client" }.count == 2)
      let sent = trace.events.filter { $0.call.sendsData }.map { "\($0.role) \($0.data?.text ?? "")" }
      #expect(sent == ["client#1 Лев", "client#1 Толстой", "client#2 Лев", "client#2 DONE"])
    }
  }

  @Test(
    "the page's two clients recorded by one record command (a shell running both): the run conforms",
    needs("python3"))
  func twoClientsOneCommand() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(
        sockscopeBinary,
        ["record", "--out", "run", "--role", "server", "--", "python3", "-u", pythonScripts + "/server.py"],
        in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      let client = pythonScripts + "/client.py"
      let clients = try sockscope(
        [
          "record", "--out", "run", "--role", "client", "--", "sh", "-c",
          "printf 'Лев\\nТолстой\\n' | python3 -u \(client) && printf 'Лев\\nDONE\\n' | python3 -u \(client)",
        ], in: dir)
      #expect(clients.status == 0, "\(clients.stderr)")
      #expect(server.finish().status == 0)
      let trace = try readTrace(dir + "/run/trace.jsonl")
      #expect(trace.participants.count == 3, "\(trace.participants.map(\.name))")
      let compare = try sockscope(["compare", "run"], in: dir)
      #expect(compare.status == 0, "\(compare.stdout)\(compare.stderr)")
    }
  }

  @Test("socketpair + fork: parent and child are two participants in every view", needs("python3"))
  func socketpairFork() throws {
    let script = """
      import os, socket
      a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
      pid = os.fork()
      if pid == 0:
          b.send("ping".encode())
          os._exit(0)
      print(a.recv(64))
      os.waitpid(pid, 0)
      """
    try withTemporaryDirectory { dir throws in
      try script.write(toFile: dir + "/fork.py", atomically: true, encoding: .utf8)
      let r = try sockscope(["record", "--out", "t", "--role", "pair", "--", "python3", "fork.py"], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      #expect(trace.participants.count == 2)
      let sequence = try sockscope(["render", "t", "--view", "sequence", "--format", "dot"], in: dir)
      #expect(processLanes(sequence.stdout) == 2, "\(sequence.stderr)")
      let schematic = try sockscope(["render", "t", "--view", "schematic", "--format", "dot"], in: dir)
      #expect(schematic.stdout.contains("title1 ["), "a column for the child")
      let topology = try sockscope(["render", "t", "--view", "topology", "--format", "dot"], in: dir)
      for pid in trace.participants.map(\.pid) { #expect(topology.stdout.contains("p\(pid) [")) }
      for view in ["schematic", "sequence", "topology"] {
        #expect(try sockscope(["render", "t", "--view", view, "-o", "\(view).png"], in: dir).status == 0)
      }
    }
  }

  @Test("a one-process trace draws in all three views", needs("python3"))
  func oneProcess() throws {
    let script = """
      import socket
      a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
      a.send("hello".encode())
      print(b.recv(64))
      """
    try withTemporaryDirectory { dir throws in
      try script.write(toFile: dir + "/self.py", atomically: true, encoding: .utf8)
      #expect(try sockscope(["record", "--out", "t", "--", "python3", "self.py"], in: dir).status == 0)
      for view in ["schematic", "sequence", "topology"] {
        let r = try sockscope(["render", "t", "--view", view, "-o", "\(view).svg"], in: dir)
        #expect(r.status == 0, "\(view): \(r.stderr)")
        let svg = try String(contentsOfFile: dir + "/\(view).svg", encoding: .utf8)
        #expect(svg.contains("</svg>"))
      }
    }
  }

  @Test("a trace with no socket call is exit 2, naming the file, in a short message, however long the trace")
  func noSocketCalls() throws {
    try withTemporaryDirectory { dir throws in
      var lines = [
        #"{"format":"sockscope-trace","version":1,"clock":"CLOCK_MONOTONIC","t0_ns":0,"processes":["#
          + #"{"pid":5,"ppid":1,"role":"app","exe":"/app","events":20000,"ended":"closed"}]}"#
      ]
      for i in 0..<20_000 {
        lines.append(
          #"{"index":\#(i),"t_ns":\#(i),"dur_ns":0,"pid":5,"tid":5,"seq":\#(i),"role":"app","call":"output","fd":1,"#
            + #""args":{"stream":"stdout"},"ret":3,"data":{"len":3,"captured":3,"text":"hi\n"}}"#)
      }
      try (lines.joined(separator: "\n") + "\n").write(
        toFile: dir + "/printed.jsonl", atomically: true, encoding: .utf8)
      try writeEmptyTrace(dir + "/empty.jsonl")
      for file in ["printed.jsonl", "empty.jsonl"] {
        for command in [
          ["render", file], ["render", file, "--view", "sequence"], ["render", file, "--view", "topology"],
          ["compare", file], ["diff", file, file],
        ] {
          let r = try sockscope(command, in: dir)
          #expect(r.status == 2, "\(command)")
          #expect(
            r.stderr.hasPrefix("sockscope \(command[0]): error: \(file): the trace holds no socket calls"))
          #expect(r.stderr.utf8.count < 400, "\(command): \(r.stderr.utf8.count) bytes")
          #expect(!r.stderr.contains("TraceEvent") && !r.stderr.contains("Optional("))
          #expect(r.stdout.isEmpty)
        }
      }
    }
  }

  @Test(
    "kill -9 of a recorded client: the header says killed SIGKILL, the chart and compare show it, and the interim merge calls the running server running",
    needs("python3"))
  func killedRecordedClient() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(
        sockscopeBinary,
        ["record", "--out", "run", "--role", "server", "--", "python3", "-u", pythonScripts + "/server.py"],
        in: dir)
      #expect(server.waitUntil { server.stdout.contains("Слушаем...") })
      let serverPID = try #require(loggedPIDs(dir + "/run").first)
      let client = try RunningProcess(
        sockscopeBinary,
        ["record", "--out", "run", "--role", "client", "--", "python3", "-u", pythonScripts + "/client.py"],
        in: dir)
      client.type("Лев\n")
      #expect(server.waitUntil { server.stdout.contains("Лев") })
      let clientPID = try #require(loggedPIDs(dir + "/run").first { $0 != serverPID })
      kill(clientPID, SIGKILL)
      #expect(client.finish().status == 128 + SIGKILL, "record exits as its program did")

      // The merge record made when the client ended, while the server still runs.
      let interim = try readTrace(dir + "/run/trace.jsonl")
      let killed = try #require(interim.header.processes.first { $0.pid == clientPID })
      #expect(killed.ending == .killed && killed.signal == "SIGKILL")
      #expect(interim.header.processes.first { $0.pid == serverPID }?.ending == .running)
      let notes = interim.header.problems.joined(separator: "\n")
      #expect(notes.contains("pid \(serverPID) (server) was still running when this trace was merged"))
      #expect(!notes.contains("pid \(serverPID) (server): its log was never closed"))
      #expect(notes.contains("pid \(clientPID) (client) was killed by SIGKILL"))

      // A second client ends the server; the final merge keeps the kill.
      let second = try sockscope(
        ["record", "--out", "run", "--role", "client", "--", "python3", "-u", pythonScripts + "/client.py"],
        in: dir, input: "DONE\n")
      #expect(second.status == 0, "\(second.stderr)")
      #expect(server.finish().status == 0)
      let trace = try readTrace(dir + "/run/trace.jsonl")
      #expect(trace.header.processes.first { $0.pid == clientPID }?.signal == "SIGKILL")
      #expect(trace.header.processes.first { $0.pid == serverPID }?.ending == .closed)
      let validate = try sockscope(["validate", "run/trace.jsonl"], in: dir)
      #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")

      let chart = try sockscope(
        ["render", "run", "--view", "sequence", "--format", "dot", "--lang", "en"], in: dir)
      #expect(chart.stdout.contains("killed: SIGKILL"))
      let compare = try sockscope(["compare", "run", "--lang", "en"], in: dir)
      #expect(compare.stdout.contains("was killed by SIGKILL after send"), "\(compare.stdout)")
      #expect(compare.stdout.contains("(it was killed by SIGKILL before)"), "its close is missing, and why")
      #expect(compare.status == 1)
    }
  }
}
