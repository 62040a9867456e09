import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace
import Testing

/// A C program that abuses descriptors after its first socket call (issue 15, item 1): it makes
/// every number a copy of one file (dup2, dup3), asks for specific numbers (fcntl F_DUPFD), or
/// closes everything (close_range, closefrom, a loop) and opens 900 files. Then it sends enough
/// datagrams to grow a log past its first 1 MiB. Recorded, it must behave as unrecorded.
let descriptorAbuseC = #"""
  #define _GNU_SOURCE
  #include <errno.h>
  #include <fcntl.h>
  #include <stdio.h>
  #include <stdlib.h>
  #include <string.h>
  #include <sys/resource.h>
  #include <sys/socket.h>
  #include <unistd.h>

  static int pair[2];

  static void traffic(int count) {
    char buf[200];
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < count; i++) {
      if (send(pair[0], buf, sizeof buf, 0) != (ssize_t)sizeof buf) { perror("send"); exit(2); }
      if (recv(pair[1], buf, sizeof buf, 0) != (ssize_t)sizeof buf) { perror("recv"); exit(2); }
    }
  }

  static int make_file(int n) {
    char name[32], text[64];
    snprintf(name, sizeof name, "victim-%d", n);
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror(name); exit(2); }
    int len = snprintf(text, sizeof text, "file %d: the program's own data\n", n);
    if (write(fd, text, (size_t)len) != len) { perror("write"); exit(2); }
    return fd;
  }

  int main(int argc, char **argv) {
    const char *mode = argv[1];
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    int top = limit.rlim_cur < 1024 ? (int)limit.rlim_cur : 1024;
    closefrom(3); /* descriptors the test runner let through: both runs start with 0, 1 and 2 */
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) { perror("socketpair"); return 2; }
    traffic(10);
    int files = 0;
    if (strcmp(mode, "dup2") == 0 || strcmp(mode, "dup3") == 0) {
      int f = make_file(files++);
      for (int n = 3; n < top; n++) {
        if (n == f || n == pair[0] || n == pair[1]) continue;
        int r = strcmp(mode, "dup2") == 0 ? dup2(f, n) : dup3(f, n, O_CLOEXEC);
        if (r != n) { fprintf(stderr, "%s(%d): %s\n", mode, n, strerror(errno)); return 2; }
      }
    } else if (strcmp(mode, "fcntl") == 0) {
      int f = make_file(files++);
      printf("F_DUPFD 767 -> %d\n", fcntl(f, F_DUPFD, 767));
      printf("F_DUPFD_CLOEXEC 700 -> %d\n", fcntl(f, F_DUPFD_CLOEXEC, 700));
      for (int n = 3; n < top; n++)
        if (fcntl(n, F_GETFD) >= 0) printf("fd %d is open\n", n);
      for (int n = 100; n < top; n++) fcntl(n, F_SETFL, O_APPEND | O_NONBLOCK);
    } else {
      if (strcmp(mode, "close_range") == 0) {
        close_range((unsigned)pair[1] + 1, ~0u, 0);
      } else if (strcmp(mode, "closefrom") == 0) {
        closefrom(pair[1] + 1);
      } else {
        for (int n = pair[1] + 1; n < top; n++) close(n);
      }
      while (files < top - 20) {
        int fd = make_file(files);
        if (fd != pair[1] + 1 + files) printf("file %d got fd %d\n", files, fd);
        files++;
      }
    }
    traffic(2500);
    printf("%s: %d files, done\n", mode, files);
    return 0;
  }
  """#

/// The same abuse from Python: os.dup2, fcntl.F_DUPFD, os.closerange (close_range), closing in a loop.
let descriptorAbusePython = #"""
  import fcntl, os, resource, socket, sys

  mode = sys.argv[1]
  top = min(1024, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
  a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)

  def traffic(count):
      for _ in range(count):
          a.send(b"x" * 200)
          b.recv(200)

  def make_file(n):
      fd = os.open(f"victim-{n}", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
      os.write(fd, f"file {n}: the program's own data\n".encode())
      return fd

  traffic(10)
  keep = {a.fileno(), b.fileno()}
  files = 0
  if mode == "dup2":
      f = make_file(0)
      files = 1
      for n in range(3, top):
          if n not in keep and n != f:
              os.dup2(f, n, inheritable=False)
  elif mode == "fcntl":
      f = make_file(0)
      files = 1
      print("F_DUPFD 767 ->", fcntl.fcntl(f, fcntl.F_DUPFD, 767))
  else:
      first = max(keep) + 1
      if mode == "closerange":
          os.closerange(first, top)
      else:
          for n in range(first, top):
              try:
                  os.close(n)
              except OSError:
                  pass
      for files in range(top - 40):
          make_file(files)
      files = top - 40
  traffic(2500)
  print(f"{mode}: {files} files, done")
  """#

/// What a run left: its output and every file it made, by name.
struct AbuseOutcome: Equatable {
  var status: Int32
  var stdout: String
  var files: [String: String]
}

/// Whether the suite runs: with the tool present, or under CI, where a missing tool must fail.

@Suite("A recorded program's descriptors and files are its own", .serialized)
struct DescriptorAbuseTests {
  /// Runs `command` in a fresh directory `name` under `dir`, plain or under `sockscope record`.
  func outcome(_ command: [String], in dir: String, name: String, recorded: Bool) throws -> AbuseOutcome {
    let work = dir + "/" + name
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let result =
      recorded
      ? try sockscope(["record", "--out", "t", "--"] + command, in: work, seconds: 120)
      : try run(command[0], Array(command.dropFirst()), in: work, seconds: 120)
    var files: [String: String] = [:]
    for file in try FileManager.default.contentsOfDirectory(atPath: work) where file.hasPrefix("victim-") {
      files[file] = try String(contentsOfFile: work + "/" + file, encoding: .utf8)
    }
    #expect(result.status == 0, "\(name): \(result.stderr)")
    return AbuseOutcome(status: result.status, stdout: result.stdout, files: files)
  }

  /// Checks that the recorded run behaved as the plain one and that its trace is whole.
  func expectSameAndWhole(_ command: [String], mode: String, in dir: String) throws {
    let plain = try outcome(command + [mode], in: dir, name: "plain-" + mode, recorded: false)
    let recorded = try outcome(command + [mode], in: dir, name: "recorded-" + mode, recorded: true)
    #expect(plain.stdout.hasSuffix("files, done\n"), "\(mode): \(plain.stdout)")
    #expect(recorded == plain, "\(mode): the recorded run differs from the plain one")
    #expect(!recorded.files.isEmpty && recorded.files.values.allSatisfy { $0.hasSuffix("own data\n") })
    let trace = try readTrace(dir + "/recorded-" + mode + "/t/trace.jsonl")
    #expect(trace.events.filter { $0.call == .send }.count == 2510, "\(mode): every send is in the trace")
    #expect(trace.events.filter { $0.call == .recv }.count == 2510, "\(mode): every receive is in the trace")
    #expect(trace.header.processes.allSatisfy { $0.ending == .closed && $0.dropped == 0 })
    let logs = dir + "/recorded-" + mode + "/t/logs"
    let sizes = try FileManager.default.contentsOfDirectory(atPath: logs).map {
      try FileManager.default.attributesOfItem(atPath: logs + "/" + $0)[.size] as? Int ?? 0
    }
    #expect(sizes.contains { $0 > 1 << 20 }, "the log grew past its first 1 MiB while the program ran")
  }

  @Test(
    "a C program that dup2s, dup3s, fcntls, close_ranges, closefroms or closes every descriptor behaves as unrecorded",
    needs("gcc"),
    arguments: ["dup2", "dup3", "fcntl", "close_range", "closefrom", "close-all"])
  func cProgram(mode: String) throws {
    try withTemporaryDirectory { dir throws in
      try compileC(descriptorAbuseC, named: "abuse", in: dir)
      try expectSameAndWhole([dir + "/abuse"], mode: mode, in: dir)
    }
  }

  @Test(
    "a Python program that dup2s, fcntls, closeranges or closes every descriptor behaves as unrecorded",
    needs("python3"),
    arguments: ["dup2", "fcntl", "closerange", "close-all"])
  func pythonProgram(mode: String) throws {
    let python = try #require(which("python3"), "python3 is installed by make test")
    try withTemporaryDirectory { dir throws in
      try descriptorAbusePython.write(toFile: dir + "/abuse.py", atomically: true, encoding: .utf8)
      try expectSameAndWhole([python, dir + "/abuse.py"], mode: mode, in: dir)
    }
  }
}

/// A C program whose socket is closed where the interposer cannot see it (inside libc, or by a
/// raw system call), then whose number is reused by a secret file it reads and writes (issue 15,
/// item 11). With `reuse`, the number is reused by a new socket made by a raw system call instead,
/// and the program prints that socket's inode.
let staleDescriptorC = #"""
  #define _GNU_SOURCE
  #include <fcntl.h>
  #include <stdio.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <sys/stat.h>
  #include <sys/syscall.h>
  #include <unistd.h>

  int main(int argc, char **argv) {
    const char *mode = argv[1];
    int pair[2];
    char buf[256];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return 2;
    if (write(pair[0], "hello", 5) != 5 || read(pair[1], buf, sizeof buf) != 5) return 2;
    if (send(pair[0], "again", 5, 0) != 5 || recv(pair[1], buf, sizeof buf, 0) != 5) return 2;
    if (strcmp(mode, "dup") == 0 || strcmp(mode, "fcntl-dupfd") == 0) {
      // A file's number, known as "not a socket", closed unseen and reused by a copy of a socket.
      int f = open("secret.txt", O_RDONLY);
      if (read(f, buf, 1) != 1) return 2;
      syscall(SYS_close, f);
      int d = strcmp(mode, "dup") == 0 ? dup(pair[0]) : fcntl(pair[0], F_DUPFD, f);
      if (d != f) return 3;
      if (write(d, "through-copy", 12) != 12 || read(pair[1], buf, sizeof buf) != 12) return 2;
      return 0;
    }
    if (strcmp(mode, "fclose") == 0) {
      FILE *f = fdopen(pair[1], "r+");
      if (f == NULL) return 2;
      fclose(f);
    } else if (strcmp(mode, "close_range") == 0) {
      close_range((unsigned)pair[1], (unsigned)pair[1], 0);
    } else if (strcmp(mode, "closefrom") == 0) {
      closefrom(pair[1]);
    } else {
      syscall(SYS_close, pair[1]);
    }
    if (strcmp(mode, "reuse") == 0) {
      int other[2];
      if (syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM, 0, other) != 0 || other[0] != pair[1]) return 3;
      struct stat st;
      fstat(other[0], &st);
      printf("new socket %lu\n", (unsigned long)st.st_ino);
      if (write(other[0], "datagram", 8) != 8 || send(other[0], "datagram", 8, 0) != 8) return 2;
      return 0;
    }
    int fd = open("secret.txt", O_RDWR);
    if (fd != pair[1]) return 3;
    ssize_t n = read(fd, buf, sizeof buf);
    if (write(fd, "APPENDED-SECRET", 15) != 15) return 2;
    if (recv(fd, buf, sizeof buf, 0) != -1 || send(fd, "x", 1, 0) != -1) return 4;
    printf("read %zd bytes of the file\n", n);
    return 0;
  }
  """#

extension DescriptorAbuseTests {
  @Test(
    "a program that moves its own log away runs on; the events that no longer fit are counted and explained",
    needs("python3"))
  func logMovedAway() throws {
    let script = """
      import glob, os, socket
      a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
      a.send(b"first")
      b.recv(10)
      (log,) = glob.glob(os.path.join(os.environ["SOCKSCOPE_TRACE_DIR"], f"{os.getpid()}-*.sslog"))
      os.rename(log, log[:-6] + "-moved.sslog")
      for _ in range(5000):
          a.send(b"x" * 200)
          b.recv(200)
      print("done")
      """
    try withTemporaryDirectory { dir throws in
      try script.write(toFile: dir + "/moved.py", atomically: true, encoding: .utf8)
      let result = try sockscope(["record", "--out", "t", "--", "python3", "moved.py"], in: dir)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout.hasSuffix("done\n"))
      let trace = try TraceFile.read(path: dir + "/t/trace.jsonl").trace
      #expect(
        trace.header.problems.contains {
          $0.contains("events were lost: the log could not be grown: its file was moved, removed or replaced")
        }, "\(trace.header.problems)")
      let process = try #require(trace.header.processes.first)
      #expect(process.dropped > 0 && process.ending == .closed)
      let sends = trace.events.filter { $0.call == .send }
      #expect(sends.first?.data?.text == "first")
      #expect(UInt64(sends.count) + process.dropped >= 5001, "every send is kept or counted")
    }
  }
}

extension DescriptorAbuseTests {
  @Test(
    "a spawn that fails (a vfork child leaving through _exit) does not end its parent's recording",
    needs("python3"))
  func failedSpawnKeepsRecording() throws {
    let script = """
      import socket, subprocess
      a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
      a.send(b"before")
      b.recv(10)
      try:
          subprocess.run(["/nonexistent/program"])
      except OSError as e:
          print("spawn failed", e.errno)
      a.send(b"after")
      b.recv(10)
      """
    try withTemporaryDirectory { dir throws in
      try script.write(toFile: dir + "/spawn.py", atomically: true, encoding: .utf8)
      let result = try sockscope(["record", "--out", "t", "--", "python3", "spawn.py"], in: dir)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout == "spawn failed 2\n")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      #expect(
        trace.events.filter { $0.call == .send || $0.call == .recv }.compactMap { $0.data?.text } == [
          "before", "before", "after", "after",
        ])
    }
  }
}
