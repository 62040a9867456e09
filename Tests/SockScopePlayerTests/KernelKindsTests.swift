import SockScopeAnalysis
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopePlayer

/// `args` from JSON text in the shapes docs/trace-format.md gives (the recorders' contract).
private func args(_ json: String) throws -> JSONObject {
  try #require(JSONValue.parse(json).objectValue)
}

/// The narrator of hand-built events (calls the trace reader may not know yet: dup, fork, poll...).
private func narrate(
  _ events: [KernelEvent], _ language: Language = .en,
  names: [Int32: String] = [1: "parent", 2: "child"]
) -> (model: KernelModel, say: (Int) -> String) {
  var numbered = events
  for i in numbered.indices { numbered[i].index = i }
  let model = KernelModel(
    events: numbered,
    processes: [TracedProcess(pid: 1, role: "parent"), TracedProcess(pid: 2, ppid: 1, role: "child")])
  let narrator = KernelNarrator(words: PlayerText(language: language), model: model, names: names)
  return (model, { narrator.sentence(at: $0) })
}

private func pair(pid: Int32 = 1, _ type: String = "SOCK_DGRAM") throws -> KernelEvent {
  KernelEvent(
    index: 0, pid: pid, call: .socketpair, fd: 3,
    args: try args(#"{"domain":"AF_UNIX","type":"\#(type)","protocol":0,"fds":[3,4]}"#),
    socket: SocketIdentity(inode: 11, peer: 12))
}

@Suite("The kernel model: descriptors, passed sockets, credentials, waits on readiness")
struct KernelKindsTests {
  @Test("fork gives the child references: the parent's close of one leaves the socket alive")
  func forkThenClose() throws {
    let (model, say) = narrate([
      try pair(),
      KernelEvent(index: 0, pid: 1, call: .fork, ret: 2),
      KernelEvent(index: 0, pid: 1, call: .close, fd: 4, socket: SocketIdentity(inode: 12, peer: 11)),
      KernelEvent(index: 0, pid: 2, call: .close, fd: 4, socket: SocketIdentity(inode: 12, peer: 11)),
    ])
    #expect(model.facts[1].inheritedDescriptors == 2)
    #expect(model.facts[2].referencesAfter == 1 && !model.facts[2].released)
    #expect(model.facts[2].otherHolders == [DescriptorRef(pid: 2, fd: 4)])
    #expect(
      say(1).contains("fork made process 2: the child has copies of all the parent's descriptors (2 of them"))
    #expect(say(2).contains("socket 12 lives on: 1 other descriptor still refers to it (child fd 4)"))
    #expect(model.facts[3].released)
    #expect(say(3).contains("the last reference to socket 12: the kernel destroyed the socket"))
  }

  @Test("dup makes a second descriptor of one socket; closing one of them says the other holds it")
  func dupThenClose() throws {
    let (model, say) = narrate(
      [
        try pair(),
        KernelEvent(index: 0, pid: 1, call: .dup, fd: 3, ret: 5),
        KernelEvent(index: 0, pid: 1, call: .dup2, fd: 3, args: try args(#"{"newfd":9}"#), ret: 9),
        KernelEvent(index: 0, pid: 1, call: .close, fd: 3, socket: SocketIdentity(inode: 11, peer: 12)),
      ], .ru)
    #expect(model.facts[2].referencesAfter == 3)
    #expect(say(1).contains("дескриптор 5 ещё одной ссылкой на тот же открытый сокет 11"))
    #expect(say(3).contains("сокет 11 жив: на него ещё ссылается дескрипторов: 2 (parent fd 5, parent fd 9)"))
    #expect(model.state(after: 3).references(to: 11) == 2)
  }

  @Test("SCM_RIGHTS: the same socket (inode) appears under a new number in the receiver")
  func passedDescriptor() throws {
    let send = KernelEvent(
      index: 0, pid: 1, call: .sendmsg, fd: 3,
      args: try args(#"{"len":1,"flags":"0","rights":[{"fd":7,"ino":31}]}"#),
      ret: 1, socket: SocketIdentity(inode: 11, peer: 12), flow: 1)
    let receive = KernelEvent(
      index: 0, pid: 2, call: .recvmsg, fd: 4,
      args: try args(
        #"{"len":100,"flags":"0","msg_flags":"0","controllen":24,"rights":[{"fd":5,"ino":31}]}"#),
      ret: 1, socket: SocketIdentity(inode: 12, peer: 11), flows: [1])
    let (model, say) = narrate([
      try pair(),
      KernelEvent(
        index: 0, pid: 1, call: .socket, fd: 7,
        args: try args(#"{"domain":"AF_UNIX","type":"SOCK_STREAM","protocol":0}"#), ret: 7,
        socket: SocketIdentity(inode: 31)),
      KernelEvent(index: 0, pid: 1, call: .fork, ret: 2),
      send,
      KernelEvent(index: 0, pid: 1, call: .close, fd: 7, socket: SocketIdentity(inode: 31)),
      receive,
    ])
    #expect(model.state(after: 3).inFlight[31] == 1)
    #expect(say(3).contains("SCM_RIGHTS passes descriptor fd 7 (socket 31)"))
    #expect(model.state(after: 5).holders(of: 31).contains(DescriptorRef(pid: 2, fd: 5)))
    #expect(model.state(after: 5).inFlight[31] == nil)
    #expect(
      say(5).contains("SCM_RIGHTS: the process got a new descriptor, fd 5 (socket 31) — the same socket"))
    #expect(model.descriptorsEverHeld[HeldDescriptor(pid: 2, fd: 5, socket: 31)] == .passed)
  }

  @Test("SCM_RIGHTS in flight keeps a socket alive after the sender's last descriptor is closed")
  func inFlightReference() throws {
    let (model, say) = narrate([
      try pair(),
      KernelEvent(
        index: 0, pid: 1, call: .socket, fd: 7,
        args: try args(#"{"domain":"AF_UNIX","type":"SOCK_DGRAM","protocol":0}"#), ret: 7,
        socket: SocketIdentity(inode: 31)),
      KernelEvent(
        index: 0, pid: 1, call: .sendmsg, fd: 3, args: try args(#"{"len":1,"rights":[{"fd":7,"ino":31}]}"#),
        ret: 1,
        socket: SocketIdentity(inode: 11, peer: 12), flow: 1),
      KernelEvent(index: 0, pid: 1, call: .close, fd: 7, socket: SocketIdentity(inode: 31)),
    ])
    #expect(!model.facts[3].released && model.facts[3].referencesAfter == 1)
    #expect(say(3).contains("and 1 in flight (SCM_RIGHTS)"))
  }

  @Test("SCM_CREDENTIALS and SO_PEERCRED show pid, uid and gid", arguments: Language.allCases)
  func credentials(_ language: Language) throws {
    let (_, say) = narrate(
      [
        try pair(),
        KernelEvent(
          index: 0, pid: 1, call: .recvmsg, fd: 4,
          args: try args(#"{"len":100,"msg_flags":"0","creds":{"pid":4242,"uid":1000,"gid":100}}"#), ret: 3,
          socket: SocketIdentity(inode: 12, peer: 11)),
        KernelEvent(
          index: 0, pid: 1, call: .getsockopt, fd: 4,
          args: try args(
            #"{"level":"SOL_SOCKET","optname":"SO_PEERCRED","cred":{"pid":4242,"uid":1000,"gid":100}}"#),
          socket: SocketIdentity(inode: 12, peer: 11)),
      ], language)
    #expect(say(1).contains("SCM_CREDENTIALS: pid 4242, uid 1000, gid 100"))
    #expect(say(2).contains("SO_PEERCRED") && say(2).contains("pid 4242, uid 1000, gid 100"))
  }

  @Test("poll, select and epoll_wait say which descriptors were watched and which became ready")
  func readiness() throws {
    let (_, say) = narrate([
      try pair(),
      KernelEvent(
        index: 0, duration: 200_000_000, pid: 1, call: .poll,
        args: try args(
          #"{"fds":[{"fd":4,"events":"POLLIN","revents":"POLLIN"},{"fd":3,"events":"POLLIN","revents":"0"}],"timeout_ms":2000}"#
        ),
        ret: 1),
      KernelEvent(
        index: 0, pid: 1, call: .select,
        args: try args(#"{"read":[3,4],"write":[],"ready_read":[],"ready_write":[]}"#), ret: 0),
      KernelEvent(
        index: 0, pid: 1, call: .epollWait, fd: 6,
        args: try args(#"{"ready":[{"fd":4,"events":"EPOLLIN"}],"timeout_ms":-1}"#), ret: 1),
      KernelEvent(
        index: 0, pid: 1, call: .epollCtl, fd: 6,
        args: try args(#"{"op":"EPOLL_CTL_ADD","target_fd":4,"events":"EPOLLIN"}"#)),
    ])
    #expect(say(1).contains("poll waited 200 ms on descriptors 4, 3, timeout 2000 ms; ready: 4 (POLLIN)"))
    #expect(say(2).contains("select watched on descriptors 3, 4") && say(2).contains("the timeout ran out"))
    #expect(say(3).contains("ready: 4 (EPOLLIN)") && say(3).contains("no timeout"))
    #expect(say(4).contains("epoll set 6 now watches descriptor 4"))
  }

  @Test("a datagram socketpair's queue has no length limit; a bound server's has, and a full one is named")
  func datagramLimit() throws {
    let limit = QueueLimit(value: 2, source: .recorded)
    var events: [KernelEvent] = [
      KernelEvent(
        index: 0, pid: 1, call: .socket, fd: 3,
        args: try args(#"{"domain":"AF_UNIX","type":"SOCK_DGRAM","protocol":0}"#), ret: 3,
        socket: SocketIdentity(inode: 50)),
      KernelEvent(
        index: 0, pid: 1, call: .bind, fd: 3,
        args: try args(#"{"addr":{"path":"./s.sock","ino":900},"addrlen":10}"#),
        socket: SocketIdentity(inode: 50)),
      KernelEvent(
        index: 0, pid: 2, call: .socket, fd: 3,
        args: try args(#"{"domain":"AF_UNIX","type":"SOCK_DGRAM","protocol":0}"#), ret: 3,
        socket: SocketIdentity(inode: 60)),
      KernelEvent(
        index: 0, pid: 2, call: .connect, fd: 3,
        args: try args(#"{"addr":{"path":"./s.sock","ino":900},"addrlen":10}"#),
        socket: SocketIdentity(inode: 60, peer: 50)),
    ]
    for n in 0..<4 {
      events.append(
        KernelEvent(
          index: 0, time: UInt64(n) * 1000, duration: n == 3 ? 1_000_000_000 : 10, pid: 2, call: .send, fd: 3,
          args: try args(#"{"len":1,"flags":"0"}"#), ret: 1, socket: SocketIdentity(inode: 60, peer: 50),
          flow: n + 1))
    }
    for i in events.indices { events[i].index = i }
    let model = KernelModel(events: events, datagramQueueLimit: limit)
    #expect(model.facts[4].queueLimitApplies == true)
    let blocked = try #require(model.wait(at: 7))
    #expect(blocked.reason == .fullDatagramQueue(receiver: 50, queued: 3, limit: limit))
    let narrator = KernelNarrator(
      words: PlayerText(language: .en), model: model, names: [1: "server", 2: "client"])
    #expect(narrator.sentence(at: 7).contains("waited 1000 ms for room"))
    #expect(
      narrator.sentence(at: 7).contains(
        "held at least 3 datagrams, more than the limit net.unix.max_dgram_qlen = 2"))
    let (pairModel, _) = narrate([
      try pair(),
      KernelEvent(
        index: 0, pid: 1, call: .send, fd: 3, ret: 1, socket: SocketIdentity(inode: 11, peer: 12), flow: 1),
    ])
    #expect(pairModel.facts[1].queueLimitApplies == false)
  }
}

/// Traces a reader gets that SockScope does not explain: shown as such, never a crash.
@Suite("Bad input: unknown families and types, other control messages, truncated control data")
struct KernelBadInputTests {
  private func play(_ lines: [String], _ language: Language = .en) throws -> [String] {
    let header =
      #"{"format":"sockscope-trace","version":2,"clock":"CLOCK_MONOTONIC","t0_ns":0,"processes":[{"pid":7,"role":"p","events":\#(lines.count),"ended":"closed"}]}"#
    let numbered = lines.enumerated().map { i, body in
      #"{"index":\#(i),"t_ns":\#(i * 1000),"dur_ns":10,"pid":7,"tid":7,"seq":\#(i),"role":"p",\#(body)}"#
    }
    let read = TraceFile.parse(
      Array(([header] + numbered).joined(separator: "\n").utf8) + [10], file: "t.jsonl")
    try #require(read.problems.isEmpty, "\(read.problems)")
    let playback = try #require(Playback(trace: read.trace, language: language))
    return (0..<playback.count).map { playback.snapshot($0, paneHeight: 3).sentence }
  }

  @Test("a socket of an unknown family or type is shown as recorded, not explained as a UNIX kind")
  func unknownFamilyAndType() throws {
    let said = try play([
      #""call":"socket","fd":3,"args":{"domain":"AF_INET","type":"SOCK_DGRAM","protocol":0},"ret":3,"sock":{"ino":21}"#,
      #""call":"socket","fd":4,"args":{"domain":"AF_UNIX","type":"12","protocol":0},"ret":4,"sock":{"ino":22}"#,
      #""call":"socket","fd":5,"args":{"domain":"AF_UNIX","type":"SOCK_RAW","protocol":0},"ret":5,"sock":{"ino":23}"#,
      #""call":"send","fd":4,"args":{"len":2,"flags":"0"},"ret":2,"sock":{"ino":22,"peer":99},"data":{"len":2,"captured":2,"text":"hi"},"flow":1"#,
    ])
    #expect(said[0].contains("of family AF_INET") && said[0].contains("It is not a UNIX socket"))
    #expect(said[1].contains("of type 12, which SockScope does not explain"))
    #expect(said[2].contains("of type SOCK_RAW, which SockScope does not explain"))
    #expect(!said[1].contains("datagram socket") && !said[1].contains("stream socket"))
  }

  @Test("a control message that is neither SCM_RIGHTS nor SCM_CREDENTIALS, and MSG_CTRUNC, are named")
  func otherAndTruncatedControl() throws {
    for language in Language.allCases {
      let said = try play(
        [
          #""call":"socketpair","fd":3,"args":{"domain":"AF_UNIX","type":"SOCK_DGRAM","protocol":0,"fds":[3,4]},"ret":0,"sock":{"ino":11,"peer":12}"#,
          #""call":"sendmsg","fd":3,"args":{"len":2,"flags":"0","controllen":20,"cmsgs":[{"level":1,"type":99,"len":20}]},"ret":2,"sock":{"ino":11,"peer":12},"data":{"len":2,"captured":2,"text":"hi"},"flow":1"#,
          #""call":"recvmsg","fd":4,"args":{"len":100,"flags":"0","msg_flags":"MSG_CTRUNC","controllen":4},"ret":2,"sock":{"ino":12,"peer":11},"data":{"len":2,"captured":2,"text":"hi","datagram_len":2},"flows":[1]"#,
        ], language)
      if language == .en {
        #expect(
          said[1].contains(
            "A control message (level 1, type 99, 20 B) that is neither SCM_RIGHTS nor SCM_CREDENTIALS"))
        #expect(said[2].contains("MSG_CTRUNC: the control buffer (4 B) was too small"))
      } else {
        #expect(said[1].contains("не SCM_RIGHTS и не SCM_CREDENTIALS"))
        #expect(said[2].contains("MSG_CTRUNC: буфер управляющих данных (4 Б) мал"))
      }
    }
  }

  @Test("malformed new keys (rights without numbers, a poll list of strings) are skipped, not a crash")
  func malformedKeys() throws {
    let (model, say) = narrate([
      try pair(),
      KernelEvent(
        index: 0, pid: 1, call: .sendmsg, fd: 3,
        args: try args(#"{"rights":[{"fd":"x"},7,null],"creds":{"pid":"?"},"cmsgs":[1,"a"]}"#), ret: 1,
        socket: SocketIdentity(inode: 11, peer: 12)),
      KernelEvent(
        index: 0, pid: 1, call: .poll, args: try args(#"{"fds":["a",3],"timeout_ms":"soon"}"#), ret: 0),
    ])
    #expect(model.facts[1].passed.isEmpty)
    #expect(!say(1).contains("SCM_RIGHTS") && !say(1).contains("SCM_CREDENTIALS"))
    #expect(say(2).contains("poll watched"))
  }
}
