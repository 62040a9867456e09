import Foundation
import Glibc
import SockScopeAnalysis
import SockScopeLanguage
import SockScopePlayer
import SockScopeTrace
import Testing

// A stream send that waited for room in its send buffer, recorded for real: the reader sleeps a
// second before it reads. What fills a stream sender's buffer was measured here (docs in
// KernelModel+SendBuffer.swift): the memory of its unread sends, charged to the sender against
// SO_SNDBUF (net.core.wmem_default by default), about 766 B per short send.

/// Records `program` (a parent that sends, a forked child that reads after 1 s) and returns the
/// trace, its model and the parent's slowest send.
private func recordBlockedSend(_ sends: String, in dir: String) throws -> (Trace, KernelModel, Int) {
  let python = try tool("python3")
  let program = """
    import os, socket, time
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        a.close()
        time.sleep(1)
        while b.recv(65536):
            pass
        os._exit(0)
    b.close()
    \(sends)
    a.close()
    os.waitpid(pid, 0)
    """
  try program.write(toFile: dir + "/program.py", atomically: true, encoding: .utf8)
  let r = try sockscope(
    ["record", "--out", "run", "--role", "main", "--", python, "-u", "program.py"], in: dir)
  #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
  let trace = try readTrace(dir + "/run/trace.jsonl")
  let model = KernelModel(trace: trace)
  let slowest = try #require(
    model.events.indices.filter { model.events[$0].call.sendsData }.max {
      model.events[$0].duration < model.events[$1].duration
    })
  return (trace, model, slowest)
}

private func sentence(
  _ trace: Trace, _ model: KernelModel, _ k: Int, _ language: Language
) throws -> String {
  let playback = try #require(Playback(trace: trace, language: language))
  let index = model.events[k].index
  let step = try #require((0..<playback.count).first { playback.snapshot($0, paneHeight: 3).event == index })
  return playback.snapshot(step, paneHeight: 3).sentence
}

@Suite("A stream send that waits for its send buffer", needs("python3"))
struct StreamSendBufferTests {
  @Test("many short sends: the one that waited is told the bytes and sends unread, and SO_SNDBUF")
  func shortSendsFillTheBuffer() throws {
    try withTemporaryDirectory { dir in
      let (trace, model, k) = try recordBlockedSend(
        "for i in range(300):\n    a.send(b\"x\" * 100)", in: dir)
      #expect(model.events[k].duration >= 500_000_000, "the send waited for the reader's sleep")
      let backlog = try #require(model.streamSendBacklog(at: k))
      // Measured here: 278 sends of 100 B fill the default 212992-byte send buffer.
      #expect(backlog.unreadSends >= 200 && backlog.unreadBytes == UInt64(backlog.unreadSends) * 100)
      #expect(backlog.sendBuffer?.source == .thisMachineDefault)
      #expect(backlog.sendBuffer?.value == KernelModel.defaultSendBufferOfThisMachine)
      let en = try sentence(trace, model, k, .en)
      for fact in [
        "\(backlog.unreadBytes) B from \(backlog.unreadSends) earlier sends were still unread",
        "SO_SNDBUF, \(backlog.sendBuffer?.value ?? 0) B (this machine's default; not in the trace)",
        "By that measure the buffer was full",
      ] {
        #expect(en.contains(fact), "«\(fact)» missing in: \(en)")
      }
      let ru = try sentence(trace, model, k, .ru)
      #expect(ru.contains("\(backlog.unreadBytes) Б из \(backlog.unreadSends) прежних send"), "\(ru)")
    }
  }

  @Test("one send larger than a sender can queue: it had to wait, with nothing unread before it")
  func oneLargeSendMustWait() throws {
    try withTemporaryDirectory { dir in
      let (trace, model, k) = try recordBlockedSend("a.send(b\"x\" * 400000)", in: dir)
      #expect(model.events[k].ret == 400_000 && model.events[k].duration >= 500_000_000)
      let backlog = try #require(model.streamSendBacklog(at: k))
      #expect(backlog.unreadBytes == 0 && backlog.mustWait(sent: 400_000))
      guard case .fullSendBuffer(_, 0, true)? = model.wait(at: k)?.reason else {
        Issue.record("not explained as a full send buffer: \(String(describing: model.wait(at: k)))")
        return
      }
      let en = try sentence(trace, model, k, .en)
      #expect(en.contains("Here it had to: 0 + 400000 B is more than a sender can queue"), "\(en)")
      #expect(en.contains("everything sent earlier had been read"), "\(en)")
    }
  }

  // getsockopt is recorded with the value in force (Linux keeps twice what setsockopt asked:
  // 10000 gives 20000, measured).
  @Test("a recorded getsockopt(SO_SNDBUF) gives the send buffer instead of this machine's default")
  func recordedSendBuffer() throws {
    try withTemporaryDirectory { dir in
      let (trace, model, k) = try recordBlockedSend(
        "a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 10000)\nprint(a.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))\nfor i in range(60):\n    a.send(b\"x\" * 100)",
        in: dir)
      let backlog = try #require(model.streamSendBacklog(at: k))
      #expect(backlog.sendBuffer == SendBufferSize(value: 20000, source: .recorded))
      #expect(model.events[k].duration >= 500_000_000, "60 short sends fill 20000 B")
      let en = try sentence(trace, model, k, .en)
      #expect(en.contains("SO_SNDBUF, 20000 B (getsockopt)"), "\(en)")
    }
  }

  // The interposer records setsockopt: the limit a Python program set is the one the player
  // names, twice the value asked, as Linux keeps it (measured: getsockopt then returns 20000).
  @Test("a recorded setsockopt(SO_SNDBUF) gives the send buffer: twice the value set, as Linux keeps it")
  func sendBufferSetBySetsockopt() throws {
    try withTemporaryDirectory { dir in
      let (trace, model, k) = try recordBlockedSend(
        "a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 10000)\nfor i in range(60):\n    a.send(b\"x\" * 100)",
        in: dir)
      let set = try #require(model.events.first { $0.call == .setsockopt })
      #expect(
        set.arguments.option?.option?.description == "SO_SNDBUF" && set.arguments.option?.value == 10000)
      #expect(set.arguments.option?.length == 4 && set.succeeded)
      let backlog = try #require(model.streamSendBacklog(at: k))
      #expect(
        backlog.sendBuffer == SendBufferSize(value: 20000, source: .doubledFromSetsockopt(asked: 10000)))
      #expect(model.events[k].duration >= 500_000_000, "60 short sends fill 20000 B")
      let en = try sentence(trace, model, k, .en)
      #expect(en.contains("SO_SNDBUF, 20000 B (setsockopt 10000 × 2: Linux keeps double)"), "\(en)")
      #expect(!en.contains("not in the trace"), "\(en)")
      let ru = try sentence(trace, model, k, .ru)
      #expect(ru.contains("SO_SNDBUF, 20000 Б (setsockopt 10000 × 2: Linux хранит вдвое)"), "\(ru)")
    }
  }

  @Test("what Linux keeps for setsockopt(SO_SNDBUF): twice the value, no less than 4608 B (measured)")
  func sendBufferKeptRule() throws {
    #expect(KernelModel.sendBufferKept(asked: 10000) == 20000)
    #expect(KernelModel.sendBufferKept(asked: 2500) == 5000)
    #expect(KernelModel.sendBufferKept(asked: 1000) == 4608)
    #expect(KernelModel.sendBufferKept(asked: 1) == 4608)
    // And this kernel keeps what the rule says (values within the default net.core.wmem_max).
    for asked: CInt in [1, 1000, 2304, 2500, 10000, 100_000, 212_992] {
      var fds: [CInt] = [-1, -1]
      try #require(socketpair(AF_UNIX, CInt(SOCK_STREAM.rawValue), 0, &fds) == 0)
      defer { for fd in fds { close(fd) } }
      var value = asked
      try #require(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &value, socklen_t(MemoryLayout<CInt>.size)) == 0)
      var kept: CInt = 0
      var length = socklen_t(MemoryLayout<CInt>.size)
      try #require(getsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &kept, &length) == 0)
      #expect(Int64(kept) == KernelModel.sendBufferKept(asked: Int64(asked)), "setsockopt \(asked)")
    }
  }
}
