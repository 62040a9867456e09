import Foundation
import SockScopeAnalysis
import SockScopeLanguage
import SockScopePlayer
import SockScopeTrace
import Testing

// exec and close-on-exec, recorded for real (examples/python/exec-inherit): the interposer records
// the exec before it runs, with the process's socket descriptors and their close-on-exec flag as
// the kernel had them; the new program's log joins the same process; the kernel model closes the
// close-on-exec descriptors and keeps the others under the same numbers.

// Named so that `make gallery` (`--filter GalleryTests`) records this example into docs/gallery.
@Suite("Gallery: exec-inherit — a descriptor that survives exec, one that is close-on-exec", needs("python3"))
struct ExecGalleryTests {
  @Test(
    "the inheritable end keeps its number and inode in the new program; the close-on-exec one is closed and the parent's reference keeps its socket"
  )
  func execInherit() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("exec-inherit", "parent", "parent.py"), in: dir)
      let model = KernelModel(trace: trace)
      let parent = try #require(trace.header.processes.first { $0.role == "parent" }?.pid)
      let child = try #require(trace.header.processes.first { $0.role == "parent/1" }?.pid)
      // Two logs for the child (before and after exec), one participant.
      #expect(trace.header.processes.filter { $0.pid == child }.count == 2, "\(trace.header.processes)")
      let pair = try #require(model.events.firstIndex { $0.call == .socketpair && $0.succeeded })
      let (parentFD, childFD) = try #require(model.events[pair].pairDescriptors)
      let parentEnd = try #require(model.events[pair].socket?.inode)
      let childEnd = try #require(model.events[pair].socket?.peer)

      let exec = try #require(model.events.firstIndex { $0.call == .execve && $0.pid == child })
      #expect(model.events[exec].succeeded)
      #expect(model.events[exec].execFunction == "execv")
      #expect(model.events[exec].execPath?.contains("python") == true, "sys.executable")
      // Only the pair's descriptors: the test runner may leave sockets of its own open in the
      // processes it starts, and the trace rightly lists them too.
      let listed = try #require(model.events[exec].execDescriptors).filter {
        [parentFD, childFD].contains($0.fd)
      }
      #expect(
        listed.sorted { $0.fd < $1.fd }
          == [
            ExecDescriptor(fd: parentFD, inode: parentEnd, closeOnExec: true),
            ExecDescriptor(fd: childFD, inode: childEnd, closeOnExec: false),
          ], "Python makes every descriptor close-on-exec; os.set_inheritable cleared it on one")
      let facts = try #require(model.facts[exec].exec)
      #expect(facts.kept.contains { $0.fd == childFD } && !facts.kept.contains { $0.fd == parentFD })
      #expect(facts.closed.map(\.fd) == [parentFD])
      let closed = try #require(facts.closed.first)
      #expect(!closed.released && closed.referencesAfter == 1)
      #expect(closed.otherHolders == [DescriptorRef(pid: parent, fd: parentFD)])
      let after = model.state(after: exec)
      #expect(after.descriptors[child]?[parentFD] == nil, "closed by exec")
      #expect(after.descriptors[child]?[childFD] == childEnd, "kept under the same number")

      // The new program's first use of its descriptor: same number, same socket, after the exec.
      let send = try #require(
        model.events.firstIndex { $0.pid == child && $0.call.sendsData && $0.succeeded })
      #expect(send > exec)
      #expect(model.events[send].fd == childFD)
      #expect(model.events[send].socket?.inode == childEnd)
      let text = String(decoding: model.events[send].data?.bytes ?? [], as: UTF8.self)
      #expect(text == "hello from the new program")
      // Program order holds across the two logs: nothing of the new program before the exec.
      #expect(!model.events[..<exec].contains { $0.pid == child && $0.call.sendsData })

      let en = try sentence(trace, model, exec, .en)
      for fact in [
        "now runs the program", "fd \(childFD) → socket \(childEnd)",
        "Closed (close-on-exec): fd \(parentFD) → socket \(parentEnd)",
        "parent fd \(parentFD) still refers to it",
      ] {
        #expect(en.contains(fact), "«\(fact)» missing in: \(en)")
      }
      let ru = try sentence(trace, model, exec, .ru)
      for fact in [
        "теперь выполняет программу", "fd \(childFD) → сокет \(childEnd)",
        "на него ещё ссылается parent fd \(parentFD)", "Закрыт (close-on-exec) fd \(parentFD)",
      ] {
        #expect(ru.contains(fact), "«\(fact)» missing in: \(ru)")
      }
      let line = try sentences(trace, .en).first { $0.sentence == en }?.call ?? ""
      #expect(line.contains("execv(\""), "\(line)")
    }
  }

}

@Suite("exec: descriptors that survive it and close-on-exec", needs("python3"))
struct ExecTests {
  @Test(
    "exec in the same process: the close-on-exec end was the last reference and is destroyed; the kept end's queue is read by the new program, in program order"
  )
  func execDestroysLastReference() throws {
    try withTemporaryDirectory { dir in
      let python = try tool("python3")
      let program = """
        import os, socket, sys
        a, b = socket.socketpair()
        os.set_inheritable(b.fileno(), True)
        for i in range(3):
            a.send(b"x")
        reader = "import socket, sys; s = socket.socket(fileno=int(sys.argv[1])); print(s.recv(10)); s.close()"
        os.execv(sys.executable, [sys.executable, "-c", reader, str(b.fileno())])
        """
      try program.write(toFile: dir + "/program.py", atomically: true, encoding: .utf8)
      let r = try sockscope(
        ["record", "--out", "run", "--role", "main", "--", python, "-u", "program.py"], in: dir)
      #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
      let trace = try readTrace(dir + "/run/trace.jsonl")
      let model = KernelModel(trace: trace)
      let exec = try #require(model.events.firstIndex { $0.call == .execve })
      let pid = model.events[exec].pid
      #expect(trace.header.processes.filter { $0.pid == pid }.count == 2, "a log per program, one pid")
      let pair = try #require(model.events.firstIndex { $0.call == .socketpair })
      let (a, b) = try #require(model.events[pair].pairDescriptors)
      let facts = try #require(model.facts[exec].exec)
      #expect(facts.kept.contains { $0.fd == b } && !facts.kept.contains { $0.fd == a })
      #expect(facts.closed.map(\.fd) == [a])
      #expect(facts.closed.first?.released == true && facts.closed.first?.referencesAfter == 0)
      // Program order across the two logs: the three sends, the exec, then the new program.
      let calls = model.events.filter { $0.pid == pid && $0.call != .output }.map(\.call)
      let sends = calls.indices.filter { calls[$0].sendsData }
      let execAt = try #require(calls.firstIndex(of: .execve))
      #expect(sends.count == 3 && sends.allSatisfy { $0 < execAt }, "\(calls)")
      let receive = try #require(model.events.firstIndex { $0.pid == pid && $0.call.receivesData })
      #expect(receive > exec)
      #expect(model.events[receive].fd == b && model.events[receive].ret == 3)
      let en = try sentence(trace, model, exec, .en)
      #expect(en.contains("Closed (close-on-exec): fd \(a) → socket"), "\(en)")
      #expect(en.contains("that was the last reference, so the kernel destroyed the socket"), "\(en)")
      let validated = try sockscope(["validate", "run/trace.jsonl"], in: dir)
      #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
    }
  }

  @Test("a failed exec is recorded with its error, and the process keeps every descriptor")
  func failedExec() throws {
    try withTemporaryDirectory { dir in
      let python = try tool("python3")
      let program = """
        import os, socket
        a, b = socket.socketpair()
        try:
            os.execv("/nonexistent/program", ["program"])
        except OSError as e:
            print("exec failed:", e.errno)
        a.send(b"still here")
        print(b.recv(100))
        """
      try program.write(toFile: dir + "/program.py", atomically: true, encoding: .utf8)
      let r = try sockscope(
        ["record", "--out", "run", "--role", "main", "--", python, "-u", "program.py"], in: dir)
      #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
      let trace = try readTrace(dir + "/run/trace.jsonl")
      let model = KernelModel(trace: trace)
      let exec = try #require(model.events.firstIndex { $0.call == .execve })
      #expect(model.events[exec].failure?.name == "ENOENT")
      #expect(model.events[exec].execPath == "/nonexistent/program")
      let listed = try #require(model.events[exec].execDescriptors)
      #expect(
        listed.filter { !$0.closeOnExec }.count + 2 == listed.count, "Python's pair: both close-on-exec")
      #expect(model.facts[exec].exec == nil, "a failed exec changes nothing")
      let pair = try #require(model.events.firstIndex { $0.call == .socketpair })
      let (a, b) = try #require(model.events[pair].pairDescriptors)
      #expect(model.state(after: exec).descriptors[model.events[exec].pid]?.keys.sorted() == [a, b].sorted())
    }
  }
}

/// The player's sentence for the event at model position `k`.
private func sentence(
  _ trace: Trace, _ model: KernelModel, _ k: Int, _ language: Language
) throws -> String {
  let playback = try #require(Playback(trace: trace, language: language))
  let index = model.events[k].index
  let step = try #require((0..<playback.count).first { playback.snapshot($0, paneHeight: 3).event == index })
  return playback.snapshot(step, paneHeight: 3).sentence
}
