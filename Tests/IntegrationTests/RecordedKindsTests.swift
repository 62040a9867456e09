import Foundation
import SockScopeAnalysis
import SockScopeLanguage
import SockScopePlayer
import SockScopeTrace
import Testing

// Explanations of what the interposer records (SCM_RIGHTS inodes, credentials, fork, dup,
// poll/select/epoll, MSG_CTRUNC): these tests record real runs and check what the player, the
// model and the topology say. A missing key or call fails the test.

/// A small inline Python program, recorded under role `main` in `dir`.
private func recordInline(_ program: String, in dir: String) throws -> Trace {
  let python = try tool("python3")
  try program.write(toFile: dir + "/program.py", atomically: true, encoding: .utf8)
  let r = try sockscope(
    ["record", "--out", "run", "--role", "main", "--", python, "-u", "program.py"], in: dir)
  #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
  return try readTrace(dir + "/run/trace.jsonl")
}

/// The model's position of the first event matching `call` (and `where`), or a failure.
private func first(
  _ model: KernelModel, _ call: KernelCall, where extra: (KernelEvent) -> Bool = { _ in true },
  sourceLocation: SourceLocation = #_sourceLocation
) throws -> Int {
  try #require(
    model.events.firstIndex { $0.call == call && $0.succeeded && extra($0) }, "no recorded \(call.rawValue)",
    sourceLocation: sourceLocation)
}

/// The player's sentence for the event at model position `k`.
private func sentence(
  _ trace: Trace, _ model: KernelModel, _ k: Int, _ language: Language = .en
) throws
  -> String
{
  let playback = try #require(Playback(trace: trace, language: language))
  let index = model.events[k].index
  let step = try #require((0..<playback.count).first { playback.snapshot($0, paneHeight: 3).event == index })
  return playback.snapshot(step, paneHeight: 3).sentence
}

@Suite(
  "Recorded kinds: passed descriptors, credentials, fork, dup, readiness", needs("python3"))
struct RecordedKindsTests {
  @Test(
    "SCM_RIGHTS: the receiver's new descriptor refers to the passed socket's inode, shown in player and topology"
  )
  func passedDescriptor() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("pass-descriptor", "parent", "rights.py"), in: dir)
      let model = KernelModel(trace: trace)
      let send = try first(model, .sendmsg) { !$0.passedDescriptors.isEmpty }
      let receive = try first(model, .recvmsg) { !$0.passedDescriptors.isEmpty }
      let passed = try #require(model.events[send].passedDescriptors.first)
      let got = try #require(model.events[receive].passedDescriptors.first)
      let inode = try #require(passed.inode)
      #expect(got.inode == inode, "the same socket")
      #expect(model.events[receive].pid != model.events[send].pid)
      #expect(
        model.state(after: receive).holders(of: inode).contains(
          DescriptorRef(pid: model.events[receive].pid, fd: got.fd)))
      #expect(
        try sentence(trace, model, receive).contains(
          "SCM_RIGHTS: the process got a new descriptor, fd \(got.fd) (socket \(inode))"))
      #expect(
        try sentence(trace, model, send).contains(
          "SCM_RIGHTS passes descriptor fd \(passed.fd) (socket \(inode))"))
      let topology = try sockscope(
        ["render", "run", "--view", "topology", "--format", "dot", "--lang", "en"], in: dir)
      #expect(
        topology.stdout.contains(
          "fd \(got.fd), received by SCM_RIGHTS\\nfrom pid \(model.events[send].pid) (its fd \(passed.fd))"),
        "\(topology.stdout)")
    }
  }

  @Test("SCM_CREDENTIALS names the child; SO_PEERCRED on a socketpair names its creator, the parent")
  func credentials() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("credentials", "parent", "creds.py"), in: dir)
      let model = KernelModel(trace: trace)
      let child = try #require(trace.header.processes.first { $0.role == "parent/1" }?.pid)
      let receive = try first(model, .recvmsg)
      let creds = try #require(model.events[receive].passedCredentials)
      #expect(creds.pid == Int64(child) && creds.uid == Int64(getuid()) && creds.gid == Int64(getgid()))
      #expect(
        try sentence(trace, model, receive).contains(
          "SCM_CREDENTIALS: pid \(child), uid \(getuid()), gid \(getgid())"))
      // SO_PEERCRED on a socketpair names its creator, the parent, for both ends (measured; the
      // kernel's unix_socketpair), even though the child holds the other end.
      let parent = try #require(trace.header.processes.first { $0.role == "parent" }?.pid)
      let peercred = try first(model, .getsockopt) { $0.peerCredentials != nil }
      #expect(model.events[peercred].peerCredentials?.pid == Int64(parent))
      #expect(try sentence(trace, model, peercred, .ru).contains("это сам процесс"))
      #expect(try sentence(trace, model, peercred, .en).contains("this process itself"))
    }
  }

  @Test("fork is recorded: the child's copies are counted at the fork, not guessed later")
  func forkRecorded() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("socketpair-fork", "pair", "pair.py"), in: dir)
      let model = KernelModel(trace: trace)
      let fork = try first(model, .fork)
      let child = try #require(trace.header.processes.first { $0.role == "pair/1" }?.pid)
      #expect(model.events[fork].ret == Int64(child))
      #expect(model.facts[fork].inheritedDescriptors == 2)
      #expect(try sentence(trace, model, fork).contains("fork made process \(child)"))
    }
  }

  @Test(
    "os.dup (fcntl F_DUPFD_CLOEXEC), dup2 and fcntl(F_DUPFD) are references: only the last close destroys the socket"
  )
  func duplicates() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordInline(
        """
        import fcntl, os, socket
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        c = os.dup(a.fileno())
        os.dup2(a.fileno(), 9)
        d = fcntl.fcntl(a.fileno(), fcntl.F_DUPFD, 20)
        a.close(); os.close(c); os.close(9); os.close(d)
        """, in: dir)
      let model = KernelModel(trace: trace)
      // Python's os.dup is fcntl(F_DUPFD_CLOEXEC) on Linux (strace shows it), so the trace has
      // two fcntl calls and one dup2, and no dup.
      let fcntls = model.events.filter { $0.call == .fcntl && $0.succeeded }
      #expect(fcntls.map { $0.fcntlCommand } == [.duplicateCloseOnExec, .duplicate])
      _ = try first(model, .dup2)
      #expect(!model.events.contains { $0.call == .dup })
      let closes = model.events.indices.filter {
        model.events[$0].call == .close && model.events[$0].socket != nil
      }
      let a = try #require(model.events[try first(model, .socketpair)].socket?.inode)
      let ofA = closes.filter { model.facts[$0].socket == a }
      #expect(ofA.map { model.facts[$0].referencesAfter ?? -1 } == [3, 2, 1, 0])
      #expect(ofA.map { model.facts[$0].released } == [false, false, false, true])
    }
  }

  @Test(
    "autobind (bind with the address family alone) is recorded and explained as an abstract name, no file")
  func autobind() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordInline(
        """
        import os, socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind("")
        print(s.getsockname())
        server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        server.bind("srv.sock")
        s.sendto(b"hi", "srv.sock")
        data, sender = server.recvfrom(100)
        server.sendto(b"re:" + data, sender)
        print(s.recv(100))
        s.close(); server.close(); os.unlink("srv.sock")
        """, in: dir)
      let model = KernelModel(trace: trace)
      let bind = try first(model, .bind)
      #expect(model.events[bind].addressLength == 2)
      // The name the kernel chose is recorded: the one the program's getsockname printed.
      let printed = trace.events.filter { $0.call == .output }.compactMap { $0.data?.text }.joined()
      guard case .abstract(let chosen)? = model.events[bind].addressName else {
        Issue.record("the chosen name is not recorded: \(String(describing: model.events[bind].addressName))")
        return
      }
      #expect(chosen.count == 5 && printed.contains("\\x00" + chosen), "\(printed)")
      let said = try sentence(trace, model, bind)
      #expect(said.contains("autobind") && said.contains("@" + chosen) && said.contains("No file"), "\(said)")
      // The reply sent to the chosen name is linked to the client's receive.
      let reply = try #require(trace.events.first { $0.call == .sendto && $0.data?.text == "re:hi" })
      let got = try #require(trace.events.first { $0.call == .recv && $0.data?.text == "re:hi" })
      #expect(reply.flow != nil && got.flows == [reply.flow].compactMap { $0 })
      // Nothing was created in the directory (the test harness's own hidden output files
      // aside): an abstract name has no file.
      let entries = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }
      #expect(Set(entries) == ["program.py", "run"], "\(entries)")
    }
  }

  @Test("poll and select are recorded: which descriptors were watched and which became ready")
  func readiness() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("nonblocking-poll", "parent", "poll.py"), in: dir)
      let model = KernelModel(trace: trace)
      let poll = try first(model, .poll)
      let ready = model.events[poll].polledDescriptors.filter(\.isReady)
      #expect(ready.count == 1, "\(model.events[poll].arguments)")
      let said = try sentence(trace, model, poll)
      #expect(said.contains("poll waited") && said.contains("ready: \(ready[0].fd)"), "\(said)")
      try FileManager.default.createDirectory(atPath: dir + "/s", withIntermediateDirectories: true)
      let select = try recordInline(
        """
        import select, socket
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        a.send(b"x")
        select.select([b], [], [], 1)
        e = select.epoll(); e.register(b.fileno(), select.EPOLLIN); e.poll(1)
        """, in: dir + "/s")
      let m = KernelModel(trace: select)
      let s = try first(m, .select)
      #expect(m.events[s].selectSets.readyRead == m.events[s].selectSets.read)
      let w = try first(m, .epollWait)
      #expect(m.events[w].polledDescriptors.count == 1)
    }
  }

  @Test("a control buffer too small for the passed descriptors: MSG_CTRUNC, explained")
  func truncatedControl() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordInline(
        """
        import socket
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        socket.send_fds(a, [b"two"], [x.fileno(), y.fileno()])
        # Room for one descriptor of the two (measured: MSG_CTRUNC, the first one kept).
        msg, anc, flags, _ = b.recvmsg(10, socket.CMSG_LEN(4))
        print("MSG_CTRUNC" if flags & socket.MSG_CTRUNC else "whole")
        """, in: dir)
      let model = KernelModel(trace: trace)
      let receive = try first(model, .recvmsg)
      #expect(model.events[receive].controlWasTruncated)
      #expect(try sentence(trace, model, receive).contains("MSG_CTRUNC: the control buffer"))
    }
  }
}
