import Foundation
import Glibc
import SockScopeSockets
import Testing

/// The echo pair stops on exactly the page's word, `DONE`, and the server on an empty datagram;
/// anything merely like it is a line like any other. Run through the real `sockscope server` and
/// `sockscope client`.
@Suite("The echo pair's stop conditions")
struct EchoStopTests {
  @Test("DONEX, 'DONE ', 'done' and ' DONE' are sent and printed like any line; only DONE stops both")
  func onlyTheExactWordStops() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--lang", "en"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening...") })
      let lookalikes = ["DONEX", "DONE ", "done", " DONE", "DONE\u{0}"]
      let input = lookalikes.joined(separator: "\n") + "\nstill here\nDONE\nnever sent\n"
      let client = try sockscope(["client", "--lang", "en"], in: dir, input: input)
      #expect(client.status == 0, "\(client.stderr)")
      for line in lookalikes + ["still here", "DONE"] {
        #expect(client.stdout.contains("SENT: \(line)\n"), "the client sent «\(line)» and went on")
      }
      #expect(!client.stdout.contains("SENT: never sent"), "the client stopped after DONE")
      let served = server.finish()
      #expect(served.status == 0, "\(served.stderr)")
      let separator = String(repeating: "-", count: 20)
      let printed = lookalikes + ["still here", "DONE"]
      let expected =
        printed.map { "\(separator)\n\($0)\n" }.joined() + "\(separator)\nShutting down...\nDone\n"
      #expect(served.stdout.hasSuffix(expected), "\(served.stdout)")
      #expect(try SocketFile.kind(at: dir + "/echo.socket") == .missing)
    }
  }

  @Test("an empty datagram stops the server, printing nothing for it")
  func emptyDatagramStops() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--lang", "en"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening...") })
      let sender = try SocketDescriptor.open(.unix, .datagram)
      defer { try? sender.close() }
      try sender.connect(to: try UnixAddress(path: dir + "/echo.socket"))
      _ = try sender.send(Array("before".utf8))
      #expect(try sender.send([]) == 0)
      let served = server.finish(seconds: 10)
      #expect(served.status == 0, "\(served.stderr)")
      let separator = String(repeating: "-", count: 20)
      #expect(
        served.stdout.hasSuffix("\(separator)\nbefore\n\(separator)\nShutting down...\nDone\n"),
        "\(served.stdout)")
      #expect(try SocketFile.kind(at: dir + "/echo.socket") == .missing)
    }
  }

  @Test("the client sends no empty datagram for an empty line, so it cannot stop the server by accident")
  func emptyLineIsNotSent() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--lang", "en"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening...") })
      let client = try sockscope(["client", "--lang", "en"], in: dir, input: "\n\nafter empty lines\nDONE\n")
      #expect(client.status == 0, "\(client.stderr)")
      let served = server.finish()
      #expect(served.status == 0)
      #expect(served.stdout.contains("after empty lines\n"), "\(served.stdout)")
    }
  }
}
