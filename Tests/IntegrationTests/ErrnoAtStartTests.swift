import Foundation
import Glibc
import Testing

/// A C program that reports the `errno` its `main` starts with, before any call of its own can
/// change it, and again after a socket call that succeeds (which leaves `errno` alone); then
/// whether the Swift runtime is mapped into it.
let errnoAtStartC = #"""
  #include <errno.h>
  #include <stdio.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <unistd.h>

  int main(void) {
    int at_start = errno;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 2;
    int after_socketpair = errno;
    close(sv[0]);
    close(sv[1]);
    printf("errno at main: %d\nerrno after socketpair: %d\n", at_start, after_socketpair);
    FILE *maps = fopen("/proc/self/maps", "r");
    if (maps == NULL) return 3;
    char line[4096];
    int swift = 0;
    while (fgets(line, sizeof line, maps) != NULL) swift |= strstr(line, "libswiftCore") != NULL;
    fclose(maps);
    printf("Swift runtime mapped: %s\n", swift ? "yes" : "no");
    return 0;
  }
  """#

@Suite("A recorded program starts with the errno it has unrecorded", .serialized)
struct ErrnoAtStartTests {
  /// The interposer's constructors run before `main`, and so did the Swift runtime's while the
  /// interposer was linked with it (it left ENOTTY); whatever `errno` they leave is the program's,
  /// and a program that prints `errno` at start (or tests it without a failed call) would behave
  /// differently when recorded. Nor is the Swift runtime loaded into a recorded C program.
  @Test(
    "main finds the same errno recorded and unrecorded, with a role given and the default one",
    needs("gcc"))
  func errnoAtMainIsUntouched() throws {
    try withTemporaryDirectory { dir throws in
      try compileC(errnoAtStartC, named: "errno-at-start", in: dir)
      let plain = try run(dir + "/errno-at-start", [], in: dir)
      try #require(plain.status == 0, "\(plain.stderr)")
      #expect(plain.stdout == "errno at main: 0\nerrno after socketpair: 0\nSwift runtime mapped: no\n")
      // Without --role, record names the role after the program.
      for (out, role) in [("named", ["--role", "exercise"]), ("default", [])] {
        let recorded = try sockscope(
          ["record", "--out", out] + role + ["--", dir + "/errno-at-start"], in: dir, seconds: 60)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stdout == plain.stdout, "recorded \(out): \(recorded.stdout)")
        let trace = try readTrace(dir + "/\(out)/trace.jsonl")
        #expect(trace.events.contains { $0.call == .socketpair }, "the run was recorded")
      }
    }
  }
}
