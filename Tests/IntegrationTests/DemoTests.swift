import Foundation
import SockScopeTrace
import Testing

@Suite("The documented run")
struct DemoTests {
  @Test(
    "sockscope demo records the page's run: per process exactly the documented calls, each recv linked to its send"
  )
  func documentedSequence() throws {
    try withTemporaryDirectory { dir throws in
      let result = try sockscope(["demo", "--out", "out"], in: dir)
      #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
      #expect(result.stdout.contains("server   │ Слушаем..."))
      #expect(result.stdout.contains("client#1 │ ОТПРАВЛЕНО: Толстой"))
      #expect(result.stdout.contains("client#2 │ > DONE"))
      #expect(result.stdout.contains(dir + "/out/trace.jsonl"))

      let trace = try readTrace(dir + "/out/trace.jsonl")
      #expect(trace.roles == ["server", "client#1", "client#2"])
      #expect(trace.header.processes.allSatisfy { $0.ending == .closed })
      #expect(trace.header.problems.isEmpty)

      let server = trace.calls(of: "server")
      #expect(server.map(\.call) == [.socket, .bind, .recv, .recv, .recv, .recv, .close, .unlink])
      #expect(server.filter { $0.call == .recv }.map { $0.data?.text } == ["Лев", "Толстой", "Лев", "DONE"])
      #expect(server[0].args["type"] == .string("SOCK_DGRAM"))
      #expect(server[1].addressPath == "./echo.socket")
      #expect(server[7].args["path"] == .string("./echo.socket"))
      for client in ["client#1", "client#2"] {
        #expect(trace.calls(of: client).map(\.call) == [.socket, .connect, .send, .send, .close])
        #expect(
          trace.calls(of: client)[1].socket?.peer == server[0].socket?.inode,
          "connected to the server's socket")
      }
      #expect(
        trace.calls(of: "client#1").filter { $0.call == .send }.map { $0.data?.text } == ["Лев", "Толстой"])
      #expect(
        trace.calls(of: "client#2").filter { $0.call == .send }.map { $0.data?.text } == ["Лев", "DONE"])

      // Every recv is linked to the send of the same datagram, from the client that sent it.
      let sends = Dictionary(uniqueKeysWithValues: trace.events.compactMap { e in e.flow.map { ($0, e) } })
      let senders = server.filter { $0.call == .recv }.map { recv in
        recv.flows.compactMap { sends[$0] }.map { "\($0.role):\($0.data?.text ?? "")" }
      }
      #expect(senders == [["client#1:Лев"], ["client#1:Толстой"], ["client#2:Лев"], ["client#2:DONE"]])

      // What each process printed is in the trace too (for players).
      let printed = trace.events.filter { $0.role == "server" && $0.call == .output }.compactMap {
        $0.data?.text
      }
      #expect(printed.joined().hasPrefix("Открываем UNIX сокет...\nСлушаем...\n"))

      let validate = try sockscope(["validate", "out/trace.jsonl"], in: dir)
      #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
      // The summary counts what the trace holds: calls (not output), processes, roles in the order
      // they first act, and receives linked.
      #expect(
        validate.stdout.hasPrefix(
          "valid: 18 socket calls from 3 processes (roles: server, client#1, client#2), "
            + "4 receives linked to their sends, "), "\(validate.stdout)")
    }
  }

  @Test("with --lang en the processes speak English and the calls are the same")
  func english() throws {
    try withTemporaryDirectory { dir throws in
      let result = try sockscope(["demo", "--out", "out", "--lang", "en"], in: dir)
      #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
      #expect(result.stdout.contains("server   │ Listening..."))
      #expect(result.stdout.contains("client#1 │ SENT: Лев"))
      let trace = try readTrace(dir + "/out")
      #expect(
        trace.calls(of: "server").map(\.call) == [
          .socket, .bind, .recv, .recv, .recv, .recv, .close, .unlink,
        ])
    }
  }

  @Test("a second demo into the same directory replaces the first run's logs instead of mixing them")
  func rerunReplaces() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      let trace = try readTrace(dir + "/out/trace.jsonl")
      #expect(trace.header.processes.count == 3)
      let logs = try FileManager.default.contentsOfDirectory(atPath: dir + "/out/logs")
      #expect(logs.filter { $0.hasSuffix(".sslog") }.count == 3)
    }
  }

  @Test("the command the demo suggests next works when pasted, even for a directory with spaces")
  func suggestedCommandWithSpaces() throws {
    try withTemporaryDirectory { dir throws in
      let demo = try sockscope(["demo", "--out", "sp ace/x y", "--lang", "en"], in: dir, seconds: 60)
      #expect(demo.status == 0, "\(demo.stderr)")
      let next = try #require(demo.stdout.split(separator: "\n").first { $0.hasPrefix("Next: sockscope ") })
      let command = next.dropFirst("Next: sockscope ".count)
      #expect(command.contains("'"), "the path is quoted: \(command)")
      let pasted = try run("/bin/sh", ["-c", "\"$0\" \(command)", sockscopeBinary], in: dir)
      #expect(pasted.status == 0, "\(command): \(pasted.stderr)")
    }
  }
}
