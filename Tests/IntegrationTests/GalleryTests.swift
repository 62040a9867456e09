import Foundation
import SockScopeAnalysis
import SockScopePlayer
import SockScopeTrace
import Testing

/// The first sentence (and its call line) whose call line starts with `prefix`.
private func step(
  _ all: [(call: String, sentence: String)], _ prefix: String,
  sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
  try #require(all.first { $0.call.hasPrefix(prefix) }, "no step \(prefix)", sourceLocation: sourceLocation)
    .sentence
}

/// Each gallery example, recorded for real, says what the kernel did: the facts its page states.
@Suite("The gallery's examples, recorded and explained", needs("python3"))
struct GalleryTests {
  @Test("a stream echo is explained as bytes on a connection: accept's new socket, no datagrams, EOF")
  func streamEcho() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.pair("stream-echo"), in: dir)
      let en = try sentences(trace, .en)
      #expect(try step(en, "socket(").contains("a stream socket (SOCK_STREAM"))
      #expect(try step(en, "listen(").contains("backlog 2"))
      #expect(try step(en, "accept4(").contains("a new socket"))
      #expect(en.contains { $0.sentence.contains("a stream keeps no message boundaries") })
      #expect(en.contains { $0.sentence.contains("recv returned 0 bytes: the end of the stream") })
      #expect(!en.contains { $0.sentence.lowercased().contains("datagram") }, "no datagram on a stream")
      let ru = try sentences(trace, .ru)
      #expect(!ru.contains { $0.sentence.contains("Датаграмма") || $0.sentence.contains("датаграмма (") })
      let topology = try sockscope(
        ["render", "run", "--view", "topology", "--format", "dot", "--lang", "ru"], in: dir)
      #expect(
        topology.stdout.contains("отправок:") && !topology.stdout.contains("датагр."), "\(topology.stdout)")
    }
  }

  @Test("after fork, the parent's close of the child's end leaves the socket alive, held by the child")
  func socketpairFork() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("socketpair-fork", "pair", "pair.py"), in: dir)
      let model = KernelModel(trace: trace)
      let parent = try #require(trace.header.processes.first { $0.role == "pair" }?.pid)
      let child = try #require(trace.header.processes.first { $0.role == "pair/1" }?.pid)
      let close = try #require(model.events.firstIndex { $0.pid == parent && $0.call == .close })
      let facts = model.facts[close]
      #expect(facts.referencesAfter == 1 && !facts.released)
      #expect(facts.otherHolders.map(\.pid) == [child])
      let en = try sentences(trace, .en)
      #expect(
        en.contains {
          $0.call.hasPrefix("close(")
            && $0.sentence.contains("1 other descriptor still refers to it (pair/1 fd")
        })
      let ru = try sentences(trace, .ru)
      #expect(
        ru.contains { $0.sentence.contains("сокет") && $0.sentence.contains("жив: на него ещё ссылается") })
    }
  }

  @Test("seqpacket keeps records and a short buffer cuts one")
  func seqpacket() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("seqpacket", "records", "records.py"), in: dir)
      let en = try sentences(trace, .en)
      #expect(try step(en, "socketpair(").contains("SOCK_SEQPACKET: records with boundaries"))
      #expect(try step(en, "send(3, «first record»").contains("A record (12 B)"))
      #expect(try step(en, "recv(4, 1024, 0) = 12").contains("One whole record"))
      #expect(try step(en, "recv(4, 16, 0) = 16").contains("The record was 39 B"))
      let ru = try sentences(trace, .ru)
      #expect(try step(ru, "recv(4, 16, 0) = 16").contains("Запись была 39 Б"))
    }
  }

  @Test("an abstract name has no file: nothing created, nothing to unlink, none drawn")
  func abstractName() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.pair("abstract-name"), in: dir)
      let en = try sentences(trace, .en)
      let bind = try step(en, "bind(")
      #expect(bind.contains("the abstract name @sockscope-gallery: there is no file"), "\(bind)")
      #expect(!bind.contains("socket file"))
      #expect(try step(en, "connect(").contains("by the abstract name @sockscope-gallery"))
      #expect(!trace.events.contains { $0.call == .unlink })
      let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("gallery") }
      #expect(files.isEmpty, "an abstract name makes no file: \(files)")
      let topology = try sockscope(
        ["render", "run", "--view", "topology", "--format", "dot", "--lang", "en"], in: dir)
      #expect(topology.stdout.contains("abstract name, no file") && !topology.stdout.contains("socket file"))
      let ru = try sentences(trace, .ru)
      #expect(try step(ru, "bind(").contains("абстрактное имя @sockscope-gallery: файла нет"))
    }
  }

  @Test("a two-way datagram echo: autobind names the client, the server answers at recvfrom's address")
  func datagramEcho() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.pair("datagram-echo"), in: dir)
      let en = try sentences(trace, .en)
      // The interposer does not record a bind with no name (autobind): the kernel's choice shows
      // in the server's recvfrom.
      let recvfrom = try #require(en.first { $0.call.hasPrefix("recvfrom(") })
      #expect(recvfrom.sentence.contains("The sender's address: @"), "\(recvfrom.sentence)")
      let answer = try #require(
        en.first { $0.call.hasPrefix("sendto(") && $0.sentence.contains("recvfrom returned") })
      #expect(answer.sentence.contains("this is how a server answers its client"))
    }
  }

  @Test("a passed descriptor keeps its socket alive after the sender's close")
  func passDescriptor() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("pass-descriptor", "parent", "rights.py"), in: dir)
      let model = KernelModel(trace: trace)
      // The parent's close of the descriptor it passed: the child uses the socket later.
      let closes = model.events.indices.filter {
        model.events[$0].call == .close && model.events[$0].role == "parent"
      }
      #expect(closes.contains { !model.facts[$0].released && model.facts[$0].otherHolders.isEmpty })
      let en = try sentences(trace, .en)
      #expect(en.contains { $0.sentence.contains("lives on") && $0.sentence.contains("parent/1") })
    }
  }

  @Test("a send that found the queue full waited for room, and says the limit and the queue")
  func fullQueue() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.pair("full-queue"), in: dir)
      let limit = try #require(QueueLimit.thisMachine())
      let model = KernelModel(trace: trace, datagramQueueLimit: limit)
      let blocked = try #require(
        model.events.indices.first {
          model.events[$0].call.sendsData && model.events[$0].duration > 50_000_000
        },
        "a send that waited")
      let wait = try #require(model.wait(at: blocked))
      // Measured: the sender waits once the queue holds more than max_dgram_qlen datagrams.
      #expect(
        wait.reason
          == .fullDatagramQueue(
            receiver: try #require(model.facts[blocked].destination), queued: limit.value + 1, limit: limit))
      #expect(blocked == model.events.indices.filter { model.events[$0].call.sendsData }[limit.value + 1])
      let en = try sentences(trace, .en)
      let said = try #require(en.first { $0.sentence.contains("waited") && $0.sentence.contains("for room") })
      #expect(said.sentence.contains("held at least \(limit.value + 1) datagrams"), "\(said.sentence)")
      #expect(said.sentence.contains("net.unix.max_dgram_qlen = \(limit.value)"))
      let series = try #require(model.queueTimeline(start: trace.header.t0).first)
      #expect(series.maximum == UInt64(limit.value + 1))
      #expect(series.limit == limit)
      let ru = try sentences(trace, .ru)
      #expect(ru.contains { $0.sentence.contains("ждал") && $0.sentence.contains("места в очереди") })
    }
  }

  @Test("a non-blocking receive on an empty queue is EAGAIN, explained with the fix")
  func nonblocking() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("nonblocking-poll", "parent", "poll.py"), in: dir)
      let en = try sentences(trace, .en)
      let failed = try #require(en.first { $0.call.contains("EAGAIN") })
      #expect(failed.sentence.contains("non-blocking") && failed.sentence.contains("receive queue is empty"))
      #expect(failed.sentence.contains("Fix: wait until the socket is ready (poll, select)"))
    }
  }

  @Test("SCM_CREDENTIALS example records and plays (its credentials: RecordedKindsTests)")
  func credentials() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("credentials", "parent", "creds.py"), in: dir)
      #expect(trace.events.contains { $0.call == .sendmsg } && trace.events.contains { $0.call == .recvmsg })
      _ = try sentences(trace, .en)
    }
  }
}
