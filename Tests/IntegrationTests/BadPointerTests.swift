import Foundation
import Glibc
import SockScopeTrace
import Testing

/// A C program that hands the name and option calls bad pointers on an AF_UNIX socket: the kernel
/// answers EFAULT, and a recorded run must get the same answers, not crash in the interposer
/// (it read `*len` of getsockname and setsockopt's value before the call).
let badPointerC = #"""
  #define _GNU_SOURCE
  #include <errno.h>
  #include <stdio.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <sys/un.h>
  #include <unistd.h>

  static void say(const char *what, int r) { printf("%s: %d %s\n", what, r, r ? strerror(errno) : ""); }

  int main(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 2;
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, "named.socket");
    unlink(a.sun_path);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) return 2;
    socklen_t len = sizeof a;
    int one = 1;
    say("getsockname bad len pointer", getsockname(sv[0], (struct sockaddr *)&a, (socklen_t *)8));
    say("getpeername bad len pointer", getpeername(sv[0], (struct sockaddr *)&a, (socklen_t *)8));
    say("getsockname NULL len", getsockname(sv[0], (struct sockaddr *)&a, NULL));
    say("setsockopt bad value pointer", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, (void *)8, sizeof one));
    say("setsockopt NULL value", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, NULL, sizeof one));
    say("setsockopt length 1000", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, 1000));
    say("setsockopt", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
    memset(&a, 0, sizeof a);
    say("getsockname", getsockname(s, (struct sockaddr *)&a, &len));
    printf("name %s, length %u\n", a.sun_path, (unsigned)len);
    unlink("named.socket");
    return 0;
  }
  """#

@Suite("Bad pointers given to recorded name and option calls", .serialized)
struct BadPointerTests {
  @Test(
    "getsockname, getpeername and setsockopt with bad pointers get EFAULT as unrecorded, and good calls are recorded",
    needs("gcc"))
  func badPointers() throws {
    try withTemporaryDirectory { dir throws in
      try compileC(badPointerC, named: "bad", in: dir)
      let plain = try run(dir + "/bad", [], in: dir)
      let recorded = try sockscope(["record", "--out", "t", "--", dir + "/bad"], in: dir, seconds: 60)
      #expect(
        plain.status == 0 && plain.stdout.contains("bad len pointer: -1 Bad address"), "\(plain.stdout)")
      #expect(recorded.status == plain.status, "\(recorded.stderr)")
      #expect(recorded.stdout == plain.stdout)
      let trace = try readTrace(dir + "/t/trace.jsonl")
      let options = trace.events.filter { $0.call == .setsockopt }
      #expect(options.count == 4)
      // A failed call's value was not read: none is claimed.
      #expect(options.filter { $0.failure != nil }.allSatisfy { $0.arguments.option?.value == nil })
      #expect(options.last?.arguments.option?.value == 1)
      let names = trace.events.filter { $0.call == .getsockname && $0.failure == nil }
      #expect(names.count == 1)
      let text = try String(contentsOfFile: dir + "/t/trace.jsonl", encoding: .utf8)
      #expect(text.contains("named.socket"), "the good getsockname's name is recorded")
    }
  }
}
