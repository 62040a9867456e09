import Foundation
import SockScopeTrace
import Testing

/// The echo pair as users run it, recorded: what the trace holds is what the two processes did and
/// printed, none of it lost or changed, over a log long enough to grow past its first megabyte.
@Suite("The recorded echo pair")
struct EchoRecordingTests {
  @Test(
    "every console line is in the trace byte for byte, and every send and receive carries its line, across log growth"
  )
  func everyLineAndCallRecorded() throws {
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--lang", "en", "--trace", "t"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening...") })
      // About 380 bytes of the client's log a line: 4,000 lines take it past its first 1 MiB.
      let lines = (0..<4_000).map { "line \($0) of the echo pair as users run it" } + ["DONE"]
      let client = try sockscope(
        ["client", "--lang", "en", "--trace", "t"], in: dir, input: lines.joined(separator: "\n") + "\n",
        seconds: 60)
      #expect(client.status == 0, "\(client.stderr)")
      let served = server.finish(seconds: 60)
      #expect(served.status == 0, "\(served.stderr)")

      let trace = try readTrace(dir + "/t")
      #expect(trace.roles == ["server", "client"])
      for (role, console) in [("server", served.stdout), ("client", client.stdout)] {
        let printed = trace.events.filter { $0.role == role && $0.call == .output }
        #expect(
          printed.compactMap { $0.data?.text }.joined() == console,
          "the \(role)'s console lines in the trace are what it printed")
        #expect(printed.allSatisfy { $0.data.map { Int64($0.length) } == $0.ret })
      }
      let sends = trace.calls(of: "client").filter { $0.call == .send }
      let receives = trace.calls(of: "server").filter { $0.call == .recv }
      #expect(sends.map { $0.data?.text } == lines)
      #expect(receives.map { $0.data?.text } == lines)
      #expect(sends.map(\.ret) == lines.map { Int64($0.utf8.count) })
      #expect(receives.map(\.ret) == lines.map { Int64($0.utf8.count) })
      // Each receive is linked to the send of its datagram, in order.
      let sent = Dictionary(uniqueKeysWithValues: trace.events.compactMap { e in e.flow.map { ($0, e.seq) } })
      #expect(receives.map { $0.flows.compactMap { sent[$0] } } == sends.map { [$0.seq] })
    }
  }
}
