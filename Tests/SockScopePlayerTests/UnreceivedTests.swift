import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopePlayer

@Suite("Data nobody received")
struct UnreceivedTests {
  /// A client sends «hello» to a server that closes its socket without reading it.
  func playback(_ language: Language, closed: Bool = true) throws -> Playback {
    var events = [
      TraceEvent(
        time: 10, pid: 1, seq: 0, role: "server", call: .socket, fd: 3,
        args: ["domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM"), "protocol": .int(0)], ret: 3,
        socket: SocketIdentity(inode: 1)),
      TraceEvent(
        time: 20, pid: 1, seq: 1, role: "server", call: .bind, fd: 3,
        args: ["addr": .object(["path": .string("./p.sock"), "ino": .int(77)])],
        socket: SocketIdentity(inode: 1)),
      TraceEvent(
        time: 30, pid: 2, seq: 0, role: "client", call: .connect, fd: 3,
        args: ["addr": .object(["path": .string("./p.sock"), "ino": .int(77)])],
        socket: SocketIdentity(inode: 2, peer: 1)),
      TraceEvent(
        time: 40, pid: 2, seq: 1, role: "client", call: .send, fd: 3,
        args: ["len": .int(5), "flags": .string("0")], ret: 5, socket: SocketIdentity(inode: 2, peer: 1),
        data: Payload(length: 5, bytes: Array("hello".utf8)), flow: 1),
      TraceEvent(
        time: 50, pid: 1, seq: 2, role: "server", call: .close, fd: 3, socket: SocketIdentity(inode: 1)),
    ]
    if !closed { events.removeLast() }
    for i in events.indices { events[i].index = i }
    var trace = Trace(header: TraceHeader(t0: 10), events: events)
    trace.countEventsPerProcess()
    return try #require(Playback(trace: trace, language: language))
  }

  @Test(
    "a datagram no traced process received waits in its queue until the socket is closed, and the close says so"
  )
  func waitsUntilClose() throws {
    let en = try playback(.en)
    let sent = en.snapshot(3, paneHeight: 5)
    #expect(sent.queues.map(\.waiting) == [1] && sent.queues.first?.socket == 1)
    #expect(sent.sentence.contains("receive queue of socket 1"))
    let closed = en.snapshot(4, paneHeight: 5)
    #expect(closed.queues.isEmpty)
    #expect(
      closed.sentence.contains("still held 1 datagram that no traced process received"), "\(closed.sentence)")
    let ru = try playback(.ru).snapshot(4, paneHeight: 5)
    #expect(ru.sentence.contains("датаграмм: 1"), "\(ru.sentence)")
  }

  @Test("without a close in the trace, a datagram nobody received is still shown waiting at the end")
  func waitsToTheEnd() throws {
    let en = try playback(.en, closed: false)
    #expect(en.snapshot(en.count - 1, paneHeight: 5).queues.map(\.waiting) == [1])
  }
}
