import Foundation
import SockScopeTrace
import Testing

@Suite("Several clients at once")
struct ConcurrentClientsTests {
  @Test(
    "4 clients × 50 000 datagrams at once: counts equal, every recv linked to exactly one send, nothing lost")
  func fourClientsFiftyThousandEach() throws {
    let clients = 4
    let perClient = 50_000
    try withTemporaryDirectory { dir throws in
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", "t", "--lang", "en"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening") }, "\(server.stderr)")
      var running: [RunningProcess] = []
      for c in 1...clients {
        // Each line names its client and its number, so a datagram delivered to the wrong send, or
        // twice, shows in the text as well as in the flow ids.
        let input = dir + "/in-\(c).txt"
        try (1...perClient).map { "c\(c)-\($0)\n" }.joined().write(
          toFile: input, atomically: true, encoding: .utf8)
        running.append(
          try RunningProcess(
            sockscopeBinary, ["client", "--trace", "t", "--role", "client#\(c)", "--lang", "en"], in: dir,
            inputFile: input))
      }
      for client in running {
        let result = client.finish(seconds: 300)
        #expect(result.status == 0, "\(result.stderr)")
      }
      let last = try sockscope(
        ["client", "--trace", "t", "--role", "closer", "--lang", "en"], in: dir, input: "DONE\n")
      #expect(last.status == 0, "\(last.stderr)")
      #expect(server.finish(seconds: 120).status == 0)

      let merge = try sockscope(["merge", "t"], in: dir, seconds: 300)
      #expect(merge.status == 0, "\(merge.stderr)")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      let sends = trace.events.filter { $0.call.sendsData && $0.succeeded && $0.role != "closer" }
      let receives = trace.calls(of: "server").filter { $0.call.receivesData && $0.succeeded }
        .filter { $0.data?.text != "DONE" }
      #expect(sends.count == clients * perClient)
      #expect(receives.count == sends.count)
      #expect(receives.allSatisfy { $0.flows.count == 1 }, "each datagram comes from exactly one send")

      var sendByFlow: [Int: TraceEvent] = [:]
      for send in sends {
        guard let flow = send.flow else { continue }
        sendByFlow[flow] = send
      }
      #expect(sendByFlow.count == sends.count, "every send has a flow id of its own")
      var linked = Set<Int>()
      var mismatches: [String] = []
      for receive in receives {
        guard let flow = receive.flows.first, let send = sendByFlow[flow] else { continue }
        linked.insert(flow)
        if send.data?.text != receive.data?.text || send.time > receive.endTime {
          mismatches.append(
            "recv #\(receive.index) \(receive.data?.text ?? "-") at \(receive.time)+\(receive.duration) "
              + "<- send #\(send.index) \(send.data?.text ?? "-") at \(send.time)+\(send.duration)")
        }
      }
      #expect(linked.count == sends.count, "no send is linked twice, none is left unlinked")
      #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3))")
      for c in 1...clients {
        let texts = receives.compactMap { $0.data?.text }.filter { $0.hasPrefix("c\(c)-") }
        #expect(
          texts == (1...perClient).map { "c\(c)-\($0)" }, "client#\(c)'s datagrams arrive whole and in order")
      }
    }
  }
}
