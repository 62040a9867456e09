import Foundation
import Glibc
import SockScopeTrace
import Testing

/// A C program whose vfork child closes a socket and execs: the child shares the parent's memory
/// (and so the interposer's log) until the exec; its close must not be written as the parent's,
/// which still holds the socket and sends on it afterwards.
let vforkCloseC = #"""
  #define _GNU_SOURCE
  #include <stdio.h>
  #include <sys/socket.h>
  #include <sys/wait.h>
  #include <unistd.h>
  extern char **environ;

  int main(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 2;
    pid_t p = vfork();
    if (p == 0) {
      dup2(sv[1], 10);
      close(sv[0]);
      char *args[] = {"/bin/true", NULL};
      execve("/bin/true", args, environ);
      _exit(127);
    }
    int status;
    waitpid(p, &status, 0);
    printf("send after the child's close: %zd\n", send(sv[0], "x", 1, 0));
    return 0;
  }
  """#

@Suite("A vfork child's calls are not its parent's")
struct VforkCloseTests {
  @Test(
    "a socket a vfork child duplicates and closes before its exec is not recorded as the parent's",
    needs("gcc"))
  func vforkChildClose() throws {
    try withTemporaryDirectory { dir throws in
      try compileC(vforkCloseC, named: "vf", in: dir)
      let recorded = try sockscope(["record", "--out", "t", "--", dir + "/vf"], in: dir, seconds: 60)
      #expect(recorded.status == 0 && recorded.stdout.contains("child's close: 1"), "\(recorded.stderr)")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      let parent = try #require(trace.events.first { $0.call == .socketpair }?.pid)
      #expect(trace.events.contains { $0.call == .send && $0.pid == parent })
      #expect(!trace.events.contains { $0.call == .close && $0.pid == parent }, "the parent closed nothing")
      #expect(
        !trace.events.contains { $0.call == .dup2 && $0.pid == parent }, "the parent duplicated nothing")
    }
  }
}
