import SockScopeTrace
import Testing

@testable import SockScopeExport

@Suite("Exports name a descriptor passed with SCM_RIGHTS on its message")
struct PassedDescriptorExportTests {
  /// Process 10 sends its fd 6 (socket 101) over a socketpair to process 20, which gets it as fd 5.
  static func trace(received: [JSONValue]?, flags: String = "0") -> Trace {
    let bytes = Array("a socket".utf8)
    var recvArgs: JSONObject = ["len": .int(100), "msg_flags": .string(flags)]
    if let received { recvArgs["rights"] = .array(received) }
    let events = [
      TraceEvent(
        time: 100, pid: 10, seq: 0, role: "parent", call: .sendmsg, fd: 3,
        args: ["len": .int(8), "rights": .array([.object(["fd": .int(6), "ino": .int(101)])])], ret: 8,
        socket: SocketIdentity(inode: 10, peer: 11), data: Payload(length: 8, bytes: bytes), flow: 1),
      TraceEvent(
        time: 200, pid: 20, seq: 0, role: "child", call: .recvmsg, fd: 4, args: recvArgs, ret: 8,
        socket: SocketIdentity(inode: 11, peer: 10),
        data: Payload(length: 8, bytes: bytes, datagramLength: 8),
        flows: [1]),
      TraceEvent(
        time: 300, pid: 20, seq: 1, role: "child", call: .close, fd: 5, socket: SocketIdentity(inode: 101)),
    ]
    var indexed = events
    for i in indexed.indices { indexed[i].index = i }
    return Trace(
      header: TraceHeader(
        t0: 100, processes: [TracedProcess(pid: 10, role: "parent"), TracedProcess(pid: 20, role: "child")]),
      events: indexed)
  }

  @Test("Mermaid and PlantUML: the sender's fd, the receiver's new fd and the socket, on the arrow")
  func onTheArrow() {
    let trace = Self.trace(received: [.object(["fd": .int(5), "ino": .int(101)])])
    #expect(
      MermaidExport.text(trace).contains(
        "    p10->>p20: «a socket» (8 B) + SCM_RIGHTS fd 6 → fd 5 (socket 101)\n"))
    #expect(
      PlantUMLExport.text(trace).contains(
        "p10 -> p20 : «a socket» (8 B) <U+002B> SCM<U+005F>RIGHTS fd 6 → fd 5 (socket 101)\n"))
  }

  @Test("a descriptor the receiver had no room for (MSG_CTRUNC) is said to be not delivered")
  func truncated() {
    let trace = Self.trace(received: nil, flags: "MSG_CTRUNC")
    #expect(MermaidExport.text(trace).contains("+ SCM_RIGHTS fd 6 → not delivered (MSG_CTRUNC)\n"))
  }
}
