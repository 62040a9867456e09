import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

/// Builds events of a small synthetic run.
struct RunBuilder {
  var events: [TraceEvent] = []

  mutating func send(
    pid: Int32, from: UInt64, to peer: UInt64?, _ text: String, at start: UInt64, took: UInt64 = 10
  ) {
    let bytes = Array(text.utf8)
    events.append(
      TraceEvent(
        time: start, duration: took, pid: pid, role: "client\(pid)", call: .send, fd: 3,
        args: ["len": .int(Int64(bytes.count))], ret: Int64(bytes.count),
        socket: SocketIdentity(inode: from, peer: peer),
        data: Payload(length: UInt64(bytes.count), bytes: bytes)))
  }

  /// A receive of `text`; with `buffer`, a datagram receive into a buffer that short, which keeps
  /// the first `buffer` bytes and records the datagram's real length (MSG_TRUNC).
  mutating func receive(
    on inode: UInt64, _ text: String, at start: UInt64, took: UInt64 = 10, stream: Bool = false,
    buffer: Int? = nil
  ) {
    let whole = Array(text.utf8)
    let bytes = buffer.map { Array(whole.prefix($0)) } ?? whole
    events.append(
      TraceEvent(
        time: start, duration: took, pid: 1, role: "server", call: .recv, fd: 3,
        args: ["len": .int(Int64(buffer ?? 1024))], ret: Int64(bytes.count),
        socket: SocketIdentity(inode: inode),
        data: Payload(
          length: UInt64(bytes.count), bytes: bytes, datagramLength: stream ? nil : UInt64(whole.count))))
  }

  /// Links and returns, for each receive's payload, the payloads of the sends it was linked to.
  mutating func link() -> (notes: [String], links: [(received: String, sent: [String])]) {
    events.sort { $0.time < $1.time }
    for i in events.indices { events[i].index = i }
    let notes = FlowLinker.link(&events)
    var byFlow: [Int: TraceEvent] = [:]
    for e in events { if let f = e.flow { byFlow[f] = e } }
    let links = events.filter { $0.call == .recv }.map { r in
      (
        String(decoding: r.data?.bytes ?? [], as: UTF8.self),
        r.flows.compactMap { byFlow[$0] }.map { String(decoding: $0.data?.bytes ?? [], as: UTF8.self) }
      )
    }
    return (notes, links)
  }
}

@Suite("Linking receives to sends")
struct FlowLinkingTests {
  @Test("4 clients sending at once: every receive is linked to the send of the same datagram")
  func concurrentClients() {
    var run = RunBuilder()
    var generator = SplitMix64(seed: 7)
    var queue: [(client: Int32, text: String)] = []
    var next = [Int32: Int](uniqueKeysWithValues: (1...4).map { ($0 + 10, 0) })
    for _ in 0..<(4 * 50) {
      let candidates = next.filter { $0.value < 50 }.keys.sorted()
      let client = candidates[Int(generator.next() % UInt64(candidates.count))]
      queue.append((client, "c\(client)-\(next[client] ?? 0)"))
      next[client, default: 0] += 1
    }
    // Sends overlap their neighbours in time (one starts every 10 ns and each takes 5 to 95 ns),
    // so the order in which they returned is not the order their datagrams were queued: the send
    // that returned first is often another client's, and only content decides.
    var returnedOutOfOrder = 0
    var lastEnd: UInt64 = 0
    for (k, item) in queue.enumerated() {
      let start = 1000 + UInt64(k) * 10
      let took = 5 + generator.next() % 91
      if start + took < lastEnd { returnedOutOfOrder += 1 }
      lastEnd = max(lastEnd, start + took)
      run.send(pid: item.client, from: UInt64(item.client), to: 100, item.text, at: start, took: took)
      run.receive(on: 100, item.text, at: start + 5, took: 40)
    }
    #expect(returnedOutOfOrder > 50, "the case only tests content if time points elsewhere")
    let (notes, links) = run.link()
    #expect(notes.isEmpty)
    #expect(links.count == 200)
    for link in links { #expect(link.sent == [link.received]) }
    let flows = run.events.filter { $0.call == .recv }.flatMap(\.flows)
    #expect(Set(flows).count == 200, "each send is received exactly once")
  }

  @Test("a datagram of the same first bytes but another length is not taken for a cut copy")
  func truncatedDatagramLengthDecides() {
    var run = RunBuilder()
    // Both begin with the same 16 bytes; the receive kept 16 of a 30-byte datagram.
    let thirty = "same-sixteen-byt" + String(repeating: "3", count: 14)
    let forty = "same-sixteen-byt" + String(repeating: "4", count: 24)
    run.send(pid: 11, from: 11, to: 100, thirty, at: 100, took: 100)
    run.send(pid: 12, from: 12, to: 100, forty, at: 110, took: 10)
    run.receive(on: 100, thirty, at: 130, took: 10, buffer: 16)
    run.receive(on: 100, forty, at: 250, took: 10, buffer: 16)
    let (_, links) = run.link()
    #expect(links.map(\.sent) == [[thirty], [forty]])
  }

  @Test("a sender preempted after queueing its datagram is still linked, however many sends pass it")
  func preemptedSender() {
    var run = RunBuilder()
    // Client 11 queues "late" at once but reads the clock again only after client 12 has sent 200
    // datagrams, all received: its send returns long after its datagram was received.
    run.send(pid: 11, from: 11, to: 100, "late", at: 1000, took: 1_000_000)
    run.receive(on: 100, "late", at: 1005, took: 10)
    for k in 0..<200 {
      run.send(pid: 12, from: 12, to: 100, "c12-\(k)", at: 2000 + UInt64(k) * 100, took: 20)
      run.receive(on: 100, "c12-\(k)", at: 2010 + UInt64(k) * 100, took: 20)
    }
    run.send(pid: 11, from: 11, to: 100, "after", at: 1_001_000)
    run.receive(on: 100, "after", at: 1_001_005)
    let (notes, links) = run.link()
    #expect(notes.isEmpty)
    #expect(links.count == 202)
    for link in links { #expect(link.sent == [link.received]) }
  }

  @Test("a linked receive keeps the bytes it got: another text, or a datagram cut by a short buffer")
  func receivedBytesStay() {
    var run = RunBuilder()
    run.send(pid: 2, from: 600, to: 500, "hello", at: 10)
    run.receive(on: 500, "HELLO", at: 20)  // Not what was sent: linked by time, its bytes its own.
    run.send(pid: 2, from: 600, to: 500, "abcdef", at: 30)
    run.receive(on: 500, "abcdef", at: 40, buffer: 3)
    let (_, links) = run.link()
    #expect(links.map(\.received) == ["HELLO", "abc"])
    #expect(links.map(\.sent) == [["hello"], ["abcdef"]])
    let cut = run.events.last { $0.call == .recv }?.data
    #expect(cut?.length == 3 && cut?.datagramLength == 6)
  }

  @Test("one sender's identical datagrams are linked in the order it sent them")
  func oneSenderKeepsItsOrder() {
    var run = RunBuilder()
    for k in 0..<5 { run.send(pid: 11, from: 11, to: 100, "same", at: 100 + UInt64(k) * 10, took: 5) }
    for k in 0..<5 { run.receive(on: 100, "same", at: 200 + UInt64(k) * 10, took: 5) }
    _ = run.link()
    let sendFlows = run.events.filter { $0.call == .send }.compactMap(\.flow)
    #expect(run.events.filter { $0.call == .recv }.map { $0.flows.first } == sendFlows)
  }

  @Test("identical datagrams from two clients are matched in the order they were queued")
  func identicalPayloadsFollowQueueOrder() {
    var run = RunBuilder()
    run.send(pid: 11, from: 11, to: 100, "x", at: 100)
    run.send(pid: 12, from: 12, to: 100, "x", at: 200)
    run.receive(on: 100, "x", at: 50, took: 100)  // blocked until the first arrived
    run.receive(on: 100, "x", at: 300)
    _ = run.link()
    let receives = run.events.filter { $0.call == .recv }
    let sendersByFlow = Dictionary(
      uniqueKeysWithValues: run.events.compactMap { e in e.flow.map { ($0, e.pid) } })
    #expect(receives.map { sendersByFlow[$0.flows.first ?? 0] } == [11, 12])
  }

  @Test("a sendto to a path reaches the socket bound at that path")
  func sendToPath() {
    var run = RunBuilder()
    run.events.append(
      TraceEvent(
        time: 10, pid: 1, role: "server", call: .bind, fd: 3,
        args: ["addr": .object(["path": .string("./echo.socket")])],
        socket: SocketIdentity(inode: 100)))
    run.send(pid: 11, from: 11, to: nil, "hi", at: 100)
    run.events[run.events.count - 1].call = .sendto
    run.events[run.events.count - 1].args["addr"] = .object(["path": .string("./echo.socket")])
    run.receive(on: 100, "hi", at: 50, took: 100)
    let (_, links) = run.link()
    #expect(links.map(\.sent) == [["hi"]])
  }

  @Test("stream data is linked by byte ranges: one receive may take bytes of several sends")
  func streamByteRanges() {
    var run = RunBuilder()
    run.events.append(
      TraceEvent(
        time: 1, pid: 11, role: "client", call: .socketpair, args: ["type": .string("SOCK_STREAM")],
        socket: SocketIdentity(inode: 11, peer: 100)))
    run.send(pid: 11, from: 11, to: 100, "abc", at: 10)
    run.send(pid: 11, from: 11, to: 100, "defgh", at: 20)
    run.receive(on: 100, "abcd", at: 30, stream: true)
    run.receive(on: 100, "efgh", at: 40, stream: true)
    let (_, links) = run.link()
    #expect(links.map(\.sent) == [["abc", "defgh"], ["defgh"]])
  }

  @Test("a stream receive that starts exactly where a send ended is linked to the next send only")
  func streamBoundary() {
    var run = RunBuilder()
    run.events.append(
      TraceEvent(
        time: 1, pid: 11, role: "client", call: .socketpair, args: ["type": .string("SOCK_STREAM")],
        socket: SocketIdentity(inode: 11, peer: 100)))
    run.send(pid: 11, from: 11, to: 100, "abc", at: 10)
    run.send(pid: 11, from: 11, to: 100, "def", at: 20)
    run.send(pid: 11, from: 11, to: 100, "gh", at: 30)
    run.receive(on: 100, "abc", at: 40, stream: true)
    run.receive(on: 100, "defgh", at: 50, stream: true)
    let (notes, links) = run.link()
    #expect(notes.isEmpty)
    #expect(links.map(\.sent) == [["abc"], ["def", "gh"]])
  }

  @Test("receives no traced send accounts for are noted, not guessed")
  func unmatchedReceive() {
    var run = RunBuilder()
    run.send(pid: 11, from: 11, to: 100, "one", at: 10)
    run.receive(on: 100, "one", at: 20)
    run.receive(on: 100, "two", at: 30)
    let (notes, links) = run.link()
    #expect(links.map(\.sent) == [["one"], []])
    #expect(notes == ["socket 100: 1 of 2 receives match no recorded send (was every sender traced?)"])
  }
}

/// A small deterministic generator, so a failing case can be replayed.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
