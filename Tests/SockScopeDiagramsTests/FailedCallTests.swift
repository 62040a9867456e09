import SockScopeDiagrams
import SockScopeTrace
import Testing

@Suite("What a figure says of failed calls")
struct FailedCallTests {
  /// A bind that failed (the file was already there), a connect that was refused, then a bind that
  /// worked: only the last one made a socket file.
  func trace() -> Trace {
    func addr(_ path: String) -> JSONValue { .object(["path": .string(path)]) }
    var events = [
      TraceEvent(
        time: 10, pid: 1, seq: 0, role: "server", call: .bind, fd: 3, args: ["addr": addr("./old.socket")],
        ret: -1, failure: CallFailure(name: "EADDRINUSE", message: "Address already in use"),
        socket: SocketIdentity(inode: 5)),
      TraceEvent(
        time: 20, pid: 2, seq: 0, role: "client", call: .connect, fd: 3, args: ["addr": addr("./old.socket")],
        ret: -1, failure: CallFailure(name: "ECONNREFUSED", message: "Connection refused"),
        socket: SocketIdentity(inode: 6)),
      TraceEvent(
        time: 30, pid: 1, seq: 1, role: "server", call: .bind, fd: 3, args: ["addr": addr("./new.socket")],
        socket: SocketIdentity(inode: 5)),
    ]
    for i in events.indices { events[i].index = i }
    var trace = Trace(header: TraceHeader(t0: 10), events: events)
    trace.countEventsPerProcess()
    return trace
  }

  @Test("the sequence chart's kernel lane shows only files a call really made, found or removed")
  func kernelLaneOnlyForSuccess() throws {
    let dot = String(
      decoding: try Diagrams.render(
        trace(), view: .sequence, format: .dot, options: DiagramOptions(language: .en)),
      as: UTF8.self)
    #expect(dot.contains("./new.socket created"))
    #expect(!dot.contains("./old.socket created"), "a failed bind created nothing")
    #expect(!dot.contains("./old.socket → the server's socket"), "a refused connect found no socket")
    #expect(dot.contains("EADDRINUSE") && dot.contains("ECONNREFUSED"), "the failures are still drawn")
  }
}
