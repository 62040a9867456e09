import Foundation
import SockScopeAnalysis
import SockScopeLanguage
import SockScopePlayer
import SockScopeTrace
import Testing

// The sockets a program starts with, recorded for real however it was started: a child that
// Python's subprocess or os.posix_spawn starts (vfork and exec: no exec hook can record there),
// and a program whose earlier image made no socket call. The new program's first record lists
// its AF_UNIX descriptors; the kernel model gives the child those descriptors, each a reference to
// the socket its parent holds with that inode.

/// The child's own report: `child holds fd N socket inode I`.
private func reported(_ text: String) -> (fd: Int32, inode: UInt64)? {
  guard let line = text.split(separator: "\n").first(where: { $0.contains("holds fd") }) else { return nil }
  let words = line.split(separator: " ")
  guard let f = words.firstIndex(of: "fd"), let i = words.firstIndex(of: "inode"), f + 1 < words.count,
    i + 1 < words.count, let fd = Int32(words[f + 1]), let inode = UInt64(words[i + 1])
  else { return nil }
  return (fd, inode)
}

/// The player's sentence for the event at model position `k`.
private func startSentence(
  _ trace: Trace, _ model: KernelModel, _ k: Int, _ language: Language
) throws -> String {
  let playback = try #require(Playback(trace: trace, language: language))
  let index = model.events[k].index
  let step = try #require((0..<playback.count).first { playback.snapshot($0, paneHeight: 3).event == index })
  return playback.snapshot(step, paneHeight: 3).sentence
}

/// Checks a spawned child's start in `trace`: it lists `fd` → `inode`, the model gives the child
/// exactly that descriptor as a reference to the parent's socket, and the parent's close of its
/// copy does not destroy it.
private func checkSpawnedStart(_ trace: Trace, child: Int32, fd: Int32, inode: UInt64) throws {
  let model = KernelModel(trace: trace)
  let parent = try #require(trace.header.processes.first { $0.pid == child }?.ppid)
  #expect(!model.events.contains { $0.call == .fork }, "vfork and exec: no fork the recorder sees")
  #expect(!model.events.contains { $0.call == .execve && $0.pid == child }, "an exec in a vfork child")
  let start = try #require(model.events.firstIndex { $0.call == .programStart && $0.pid == child })
  #expect(model.events.firstIndex { $0.pid == child } == start, "the new program's first record")
  #expect(model.events[start].execPath?.contains("python") == true)
  let listed = try #require(model.events[start].execDescriptors)
  #expect(listed.contains(ExecDescriptor(fd: fd, inode: inode, closeOnExec: false)), "\(listed)")
  let pair = try #require(model.events.firstIndex { $0.call == .socketpair && $0.pid == parent })
  #expect(model.events[pair].socket?.peer == inode, "the child's socket is the parent's pair end")
  let facts = try #require(model.facts[start].programStart)
  #expect(!facts.continued && facts.parentTraced && facts.parent == parent)
  let got = try #require(facts.received.first { $0.fd == fd })
  #expect(got.inode == inode)
  // The parent may close its copy before or after the child's program starts: either way the
  // child's descriptor is one reference, and the parent's close leaves the socket alive.
  let parentClose = model.events.firstIndex {
    $0.pid == parent && $0.call == .close && $0.socket?.inode == inode
  }
  if let c = parentClose, c < start {
    #expect(got.referencesAfter == 1 && got.parentHeld.count == 1 && got.sameAs.isEmpty)
  } else {
    #expect(got.referencesAfter == 2 && got.sameAs.contains { $0.pid == parent })
  }
  if let c = parentClose {
    #expect(!model.facts[c].released, "the spawned child still holds the socket")
  }
  #expect(model.state(after: start).descriptors[child]?[fd] == inode)
  // The child then uses it: the same number, the same socket.
  let use = try #require(
    model.events.firstIndex { $0.pid == child && $0.fd == fd && $0.call != .programStart })
  #expect(model.events[use].socket?.inode == inode)
  let en = try startSentence(trace, model, start, .en)
  #expect(en.contains("fd \(fd) → socket \(inode)") && en.contains("inherited from its parent"), "\(en)")
  let ru = try startSentence(trace, model, start, .ru)
  #expect(ru.contains("fd \(fd) → сокет \(inode)") && ru.contains("унаследован от родителя"), "\(ru)")
}

// Named so that `make gallery` (`--filter GalleryTests`) records this example into docs/gallery.
@Suite("Gallery: spawn-inherit — a child started with subprocess inherits a socket", needs("python3"))
struct SpawnGalleryTests {
  @Test("the child started with pass_fds holds the parent's socket under the number it was given")
  func spawnInherit() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("spawn-inherit", "parent", "parent.py"), in: dir)
      let child = try #require(trace.header.processes.first { $0.role == "parent/1" }?.pid)
      let printed = trace.events.filter { $0.pid == child && $0.call == .output }
        .map { String(decoding: $0.data?.bytes ?? [], as: UTF8.self) }.joined()
      let (fd, inode) = try #require(reported(printed), "\(printed)")
      try checkSpawnedStart(trace, child: child, fd: fd, inode: inode)
      // pass_fds: the child holds that one socket, not the parent's other end.
      let model = KernelModel(trace: trace)
      let start = try #require(model.events.firstIndex { $0.call == .programStart && $0.pid == child })
      #expect(model.state(after: start).descriptors[child] == [fd: inode])
    }
  }
}

@Suite("The sockets a program starts with, however it was started", needs("python3"))
struct ProgramStartRecordingTests {
  @Test(
    "os.posix_spawn: the child's inherited end is recorded at its start; recording leaves it no extra descriptor"
  )
  func posixSpawn() throws {
    try withTemporaryDirectory { dir in
      let python = try tool("python3")
      let program = """
        import os, socket, sys
        a, b = socket.socketpair()
        os.set_inheritable(b.fileno(), True)
        child = (
            "import os, socket, sys\\n"
            "fd = int(sys.argv[1])\\n"
            "print('child holds fd', fd, 'socket inode', os.fstat(fd).st_ino, flush=True)\\n"
            "print('open fds', sorted(int(n) for n in os.listdir('/proc/self/fd')), flush=True)\\n"
            "s = socket.socket(fileno=fd)\\n"
            "s.sendall(b'hi')\\n"
            "s.close()\\n"
        )
        pid = os.posix_spawn(sys.executable, [sys.executable, "-c", child, str(b.fileno())], os.environ)
        b.close()
        print("parent got", a.recv(10), flush=True)
        os.waitpid(pid, 0)
        """
      try program.write(toFile: dir + "/spawn.py", atomically: true, encoding: .utf8)
      // Started with no inherited descriptors, as the gallery's examples are.
      let clean = ["-c", "import os, sys; os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])"]
      let r = try run(
        python,
        clean + [sockscopeBinary, "record", "--out", "run", "--role", "sp", "--", python, "-u", "spawn.py"],
        in: dir, seconds: 30)
      #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
      let (fd, inode) = try #require(reported(r.stdout), "\(r.stdout)")
      let trace = try readTrace(dir + "/run/trace.jsonl")
      let child = try #require(trace.header.processes.first { $0.role == "sp/1" }?.pid)
      try checkSpawnedStart(trace, child: child, fd: fd, inode: inode)
      // The same run unrecorded: the child has the same descriptors open (the scan at its start
      // closed what it opened).
      let plain = try run(python, clean + [python, "-u", "spawn.py"], in: dir, seconds: 30)
      let fds = { (s: String) in s.split(separator: "\n").first { $0.hasPrefix("open fds") }.map(String.init)
      }
      #expect(fds(plain.stdout) != nil && fds(plain.stdout) == fds(r.stdout), "\(plain.stdout)\n\(r.stdout)")
    }
  }

  @Test(
    "an exec before the first socket call is recorded when the process holds sockets, and the new program's start confirms it",
    needs("gcc"))
  func execBeforeFirstSocketCall() throws {
    try withTemporaryDirectory { dir in
      let python = try tool("python3")
      let gcc = try tool("gcc")
      // The pair is made with a raw system call, which no hook sees: the process has no log
      // until it execs.
      let c = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
          int sv[2];
          if (syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
          char fd[16];
          snprintf(fd, sizeof fd, "%d", sv[0]);
          execl(argv[1], argv[1], "-c", argv[2], fd, (char *)NULL);
          return 2;
        }
        """
      try c.write(toFile: dir + "/rawpair.c", atomically: true, encoding: .utf8)
      #expect(try run(gcc, ["-o", "rawpair", "rawpair.c"], in: dir).status == 0)
      let reader = """
        import os, sys
        fd = int(sys.argv[1])
        print('child holds fd', fd, 'socket inode', os.fstat(fd).st_ino, flush=True)
        """
      let realPython = try #require(
        try run(python, ["-c", "import sys; print(sys.executable)"], in: dir).stdout.split(separator: "\n")
          .first
          .map(String.init))
      let clean = ["-c", "import os, sys; os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])"]
      let r = try run(
        python,
        clean + [
          sockscopeBinary, "record", "--out", "run", "--role", "raw", "--", "./rawpair", realPython, reader,
        ],
        in: dir, seconds: 30)
      #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
      let (fd, inode) = try #require(reported(r.stdout), "\(r.stdout)")
      let trace = try readTrace(dir + "/run/trace.jsonl")
      let model = KernelModel(trace: trace)
      let exec = try #require(model.events.firstIndex { $0.call == .execve })
      let pid = model.events[exec].pid
      #expect(model.events.firstIndex { $0.pid == pid } == exec, "the log opened for the exec")
      #expect(model.events[exec].execFunction == "execl")
      let listed = try #require(model.events[exec].execDescriptors)
      #expect(listed.count == 2 && listed.contains(ExecDescriptor(fd: fd, inode: inode, closeOnExec: false)))
      let start = try #require(model.events.firstIndex { $0.call == .programStart && $0.pid == pid })
      #expect(start > exec)
      let facts = try #require(model.facts[start].programStart)
      #expect(facts.continued && facts.received.isEmpty && facts.missing.isEmpty)
      #expect(Set(facts.confirmed.map(\.fd)) == Set(listed.map(\.fd)))
      #expect(
        model.state(after: start).references(to: inode) == 1, "the exec's and the start's are one reference")
      #expect(model.events[start].arguments.program?.sockets?.first { $0.fd == fd }?.type == .stream)
    }
  }

  @Test(
    "sockets the recording began with (the launching process's) open no log, and are named for the children")
  func outsideSocketsOpenNoLog() throws {
    try withTemporaryDirectory { dir in
      let python = try tool("python3")
      // The launcher holds an inheritable socket end; the recorded program makes no socket call.
      let launcher = """
        import os, socket, subprocess, sys
        a, b = socket.socketpair()
        os.set_inheritable(b.fileno(), True)
        print("outside inode", os.fstat(b.fileno()).st_ino, flush=True)
        sys.exit(subprocess.run(sys.argv[1:], close_fds=False).returncode)
        """
      try launcher.write(toFile: dir + "/launch.py", atomically: true, encoding: .utf8)
      let program = "import os; print('SOCKSCOPE_OUTSIDE=' + os.environ.get('SOCKSCOPE_OUTSIDE', '?'))"
      let r = try run(
        python,
        [
          "launch.py", sockscopeBinary, "record", "--out", "run", "--role", "quiet", "--", python, "-c",
          program,
        ], in: dir, seconds: 30)
      #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
      let inode = try #require(
        r.stdout.split(separator: "\n").first { $0.hasPrefix("outside inode") }?.split(separator: " ").last
          .map(String.init))
      let listed = try #require(
        r.stdout.split(separator: "\n").first { $0.hasPrefix("SOCKSCOPE_OUTSIDE=") }?.dropFirst(18)
          .split(separator: ",").map(String.init))
      #expect(listed.contains(inode), "the first recorded process names the sockets it started with")
      let logs = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/run/logs")) ?? []
      #expect(
        !logs.contains { $0.hasSuffix(".sslog") }, "no socket call, no socket from inside the run: no log")
    }
  }
}
