import SockScopeAnalysis
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopePlayer

/// A datagram client that never binds sends `rounds` datagrams to a bound server, which takes each
/// with recvfrom; the first receive shows the name the kernel gave the client (autobind). Long
/// enough to span several of the model's checkpoints.
private func unnamedClientRun(rounds: Int) throws -> [KernelEvent] {
  func args(_ json: String) throws -> JSONObject { try #require(JSONValue.parse(json).objectValue) }
  var events: [KernelEvent] = [
    KernelEvent(
      index: 0, pid: 1, call: .socket, fd: 3, args: try args(#"{"domain":"AF_UNIX","type":"SOCK_DGRAM"}"#),
      ret: 3, socket: SocketIdentity(inode: 11)),
    KernelEvent(
      index: 0, pid: 1, call: .bind, fd: 3,
      args: try args(#"{"addr":{"path":"./echo.socket"},"addrlen":16}"#),
      socket: SocketIdentity(inode: 11)),
    KernelEvent(
      index: 0, pid: 2, call: .socket, fd: 3, args: try args(#"{"domain":"AF_UNIX","type":"SOCK_DGRAM"}"#),
      ret: 3, socket: SocketIdentity(inode: 21)),
  ]
  for flow in 1...rounds {
    events.append(
      KernelEvent(
        index: 0, pid: 2, call: .sendto, fd: 3, args: try args(#"{"addr":{"path":"./echo.socket"},"len":4}"#),
        ret: 4, socket: SocketIdentity(inode: 21), data: Payload(length: 4, bytes: Array("ping".utf8)),
        flow: flow))
    let from = flow == 1 ? #"{"addr":{"abstract":"0c1a5"},"len":100}"# : #"{"len":100}"#
    events.append(
      KernelEvent(
        index: 0, pid: 1, call: .recvfrom, fd: 3, args: try args(from), ret: 4,
        socket: SocketIdentity(inode: 11),
        data: Payload(length: 4, bytes: Array("ping".utf8)), flows: [flow]))
  }
  for i in events.indices { events[i].index = i }
  return events
}

@Suite("The kernel model rebuilds any step's state, in any order, as the run left it")
struct KernelModelReplayTests {
  @Test("states asked for in order, backwards and at random equal those a fresh model rebuilds")
  func statesInAnyOrder() throws {
    let events = try unnamedClientRun(rounds: 400)
    let processes = [TracedProcess(pid: 1, role: "server"), TracedProcess(pid: 2, role: "client")]
    let model = KernelModel(events: events, processes: processes)
    let positions = Array(events.indices)
    var orders = [positions, positions.reversed()]
    var generator = SystemRandomNumberGenerator()
    orders.append(positions.shuffled(using: &generator))
    for order in orders {
      for p in order {
        // A model of its own for each position: nothing it rebuilt before can be reused.
        let fresh = KernelModel(events: events, processes: processes).state(after: p)
        #expect(model.state(after: p) == fresh, "position \(p)")
      }
    }
    // What the state says: the client's socket is named by the kernel from the first receive on,
    // not before it.
    #expect(model.state(after: 3).sockets[21]?.name.shown == nil)
    #expect(model.state(after: 4).sockets[21]?.name == .autobound("0c1a5"))
    #expect(model.state(after: events.count - 1).sockets[21]?.name == .autobound("0c1a5"))
  }

  @Test("each receive names its sender's process, found through the flow's send")
  func receiveNamesSender() throws {
    let events = try unnamedClientRun(rounds: 300)
    let model = KernelModel(
      events: events,
      processes: [TracedProcess(pid: 1, role: "server"), TracedProcess(pid: 2, role: "client")])
    let narrator = KernelNarrator(
      words: PlayerText(language: .en), model: model, names: [1: "server", 2: "client"])
    #expect(model.sendPosition(ofFlow: 1) == 3)
    #expect(model.sendPosition(ofFlow: 300) == events.count - 2)
    #expect(model.sendPosition(ofFlow: 301) == nil)
    let last = narrator.sentence(at: events.count - 1)
    #expect(last.contains("The kernel handed the process 4 B from client."), "\(last)")
  }
}
