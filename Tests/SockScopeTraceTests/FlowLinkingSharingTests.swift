import Testing

@testable import SockScopeTrace

/// Links for every way programs send: content against time, cut datagrams, sockets shared by
/// threads or processes, paths written differently, and what the trace cannot decide.
@Suite("Linking receives to sends when sockets are shared")
struct FlowLinkingSharingTests {
  /// Who sent what each receive got, as "pid.tid:text".
  static func senders(_ run: RunBuilder) -> [String] {
    var byFlow: [Int: TraceEvent] = [:]
    for e in run.events { if let f = e.flow { byFlow[f] = e } }
    return run.events.filter { $0.call.receivesData }.map { r in
      r.flows.compactMap { byFlow[$0] }.map {
        "\($0.pid).\($0.tid):" + String(decoding: $0.data?.bytes ?? [], as: UTF8.self)
      }.joined(separator: ",")
    }
  }

  @Test("content decides against time: a sender preempted inside its call is passed by a later one")
  func contentAgainstTime() {
    var run = RunBuilder()
    run.send(pid: 11, from: 11, to: 100, "slow", at: 100, took: 200)
    run.send(pid: 12, from: 12, to: 100, "fast", at: 120, took: 10)
    run.receive(on: 100, "fast", at: 50, took: 90)
    run.receive(on: 100, "slow", at: 310)
    _ = run.link()
    #expect(Self.senders(run) == ["12.12:fast", "11.11:slow"])
  }

  @Test("a datagram cut by a short buffer is linked by its real size, not to a send of the cut length")
  func truncatedDatagram() {
    var run = RunBuilder()
    run.send(pid: 11, from: 11, to: 100, "0123456789", at: 100, took: 50)
    run.send(pid: 12, from: 12, to: 100, "0123", at: 110, took: 10)
    run.receive(on: 100, "0123", at: 50, took: 75)  // got 4 of a 10-byte datagram
    run.events[run.events.count - 1].data?.datagramLength = 10
    run.receive(on: 100, "0123", at: 200)
    _ = run.link()
    #expect(Self.senders(run) == ["11.11:0123456789", "12.12:0123"])
  }

  @Test("two threads sending on one socket: each thread's datagrams are its own queue")
  func threadsShareASocket() {
    var run = RunBuilder()
    run.send(pid: 11, from: 11, to: 100, "t1", at: 100, took: 200)
    run.events[run.events.count - 1].tid = 21
    run.send(pid: 11, from: 11, to: 100, "t2", at: 150, took: 10)
    run.events[run.events.count - 1].tid = 22
    run.receive(on: 100, "t2", at: 50, took: 120)
    run.receive(on: 100, "t1", at: 310)
    _ = run.link()
    #expect(Self.senders(run) == ["11.22:t2", "11.21:t1"])
  }

  @Test("a socket shared after fork, or passed to another process: the same inode sends from two pids")
  func processesShareASocket() {
    var run = RunBuilder()
    run.send(pid: 11, from: 11, to: 100, "parent", at: 100, took: 200)
    run.send(pid: 12, from: 11, to: 100, "child", at: 150, took: 10)  // inode 11 in both
    run.receive(on: 100, "child", at: 50, took: 120)
    run.receive(on: 100, "parent", at: 310)
    _ = run.link()
    #expect(Self.senders(run) == ["12.12:child", "11.11:parent"])
  }

  @Test("two threads receiving on one socket: a receive may take a later datagram the other thread left")
  func threadsReceiveOnOneSocket() {
    var run = RunBuilder()
    run.send(pid: 11, from: 11, to: 100, "a", at: 100)
    run.send(pid: 11, from: 11, to: 100, "b", at: 120)
    run.receive(on: 100, "b", at: 50, took: 90)  // thread 2 returned first with the second datagram
    run.events[run.events.count - 1].tid = 2
    run.receive(on: 100, "a", at: 50, took: 100)
    _ = run.link()
    #expect(Self.senders(run) == ["11.11:b", "11.11:a"])
  }

  @Test("a sendto is linked by the socket file's inode, whatever directory the path was written from")
  func sendToByFileInode() {
    var run = RunBuilder()
    run.events.append(
      TraceEvent(
        time: 10, pid: 1, role: "server", call: .bind, fd: 3,
        args: ["addr": .object(["path": .string("./echo.socket"), "ino": .int(555)])],
        socket: SocketIdentity(inode: 100)))
    run.send(pid: 11, from: 11, to: nil, "hi", at: 100)
    run.events[run.events.count - 1].call = .sendto
    run.events[run.events.count - 1].args["addr"] = .object([
      "path": .string("/tmp/run/echo.socket"), "ino": .int(555),
    ])
    run.receive(on: 100, "hi", at: 50, took: 100)
    let (_, links) = run.link()
    #expect(links.map(\.sent) == [["hi"]])
  }

  @Test("without the file's inode (older traces, strace), ./echo.socket and echo.socket are one path")
  func sendToSamePathSpelledTwoWays() {
    var run = RunBuilder()
    run.events.append(
      TraceEvent(
        time: 10, pid: 1, role: "server", call: .bind, fd: 3,
        args: ["addr": .object(["path": .string("./echo.socket")])], socket: SocketIdentity(inode: 100)))
    run.send(pid: 11, from: 11, to: nil, "hi", at: 100)
    run.events[run.events.count - 1].call = .sendto
    run.events[run.events.count - 1].args["addr"] = .object(["path": .string("echo.socket")])
    run.receive(on: 100, "hi", at: 50, took: 100)
    let (_, links) = run.link()
    #expect(links.map(\.sent) == [["hi"]])
  }

  @Test(
    "identical datagrams sent at the same time by two processes: the receive lists both, and a note says so")
  func undecidable() throws {
    var run = RunBuilder()
    run.send(pid: 11, from: 11, to: 100, "x", at: 100, took: 50)
    run.send(pid: 12, from: 12, to: 100, "x", at: 120, took: 50)
    run.receive(on: 100, "x", at: 50, took: 150)
    run.receive(on: 100, "x", at: 210)
    let (notes, _) = run.link()
    let flows = run.events.compactMap(\.flow).sorted()
    let receives = run.events.filter { $0.call == .recv }
    #expect(receives.map(\.flowCandidates) == [flows, flows])
    #expect(Set(receives.flatMap(\.flows)) == Set(flows), "each send is still linked once")
    #expect(notes.count == 1 && notes[0].contains("flow_candidates"))
    // The field survives writing and reading.
    var trace = Trace(header: TraceHeader(t0: 0), events: run.events)
    for i in trace.events.indices { trace.events[i].seq = UInt64(i) }  // the builder leaves seq at 0
    CausalOrder.apply(&trace.events)
    let read = TraceFile.parse(consistentBytes(trace), file: "t")
    #expect(read.problems.isEmpty && read.orderProblems.isEmpty)
    #expect(read.trace.events.filter { $0.call == .recv }.map(\.flowCandidates) == [flows, flows])
  }

  @Test("identical datagrams sent one after the other are not called undecidable")
  func decidable() {
    var run = RunBuilder()
    run.send(pid: 11, from: 11, to: 100, "x", at: 100, took: 10)
    run.send(pid: 12, from: 12, to: 100, "x", at: 120, took: 10)
    run.receive(on: 100, "x", at: 200)
    run.receive(on: 100, "x", at: 210)
    let (notes, _) = run.link()
    #expect(notes.isEmpty)
    #expect(run.events.allSatisfy { $0.flowCandidates.isEmpty })
    #expect(Self.senders(run) == ["11.11:x", "12.12:x"])
  }
}
