import Foundation
import SockScopeTrace
import Testing

/// A C program that limits the size of the files it may write (RLIMIT_FSIZE, as `ulimit -f`
/// does) to `argv[1]` KiB, then makes 80 001 socket calls: their log would outgrow 4 MiB.
let fileSizeLimitC = #"""
  #include <stdio.h>
  #include <stdlib.h>
  #include <string.h>
  #include <sys/resource.h>
  #include <sys/socket.h>

  int main(int argc, char **argv) {
    if (argc != 2) return 2;
    rlim_t bytes = (rlim_t)atol(argv[1]) << 10;
    struct rlimit limit = {bytes, bytes};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return 2;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 2;
    char message[200], buffer[256];
    memset(message, 'x', sizeof message);
    long sent = 0, received = 0;
    for (int i = 0; i < 40000; i++) {
      if (send(sv[0], message, sizeof message, 0) == (ssize_t)sizeof message) sent++;
      if (recv(sv[1], buffer, sizeof buffer, 0) == (ssize_t)sizeof message) received++;
    }
    printf("sent %ld, received %ld\n", sent, received);
    return 0;
  }
  """#

@Suite("A recorded program under a file size limit", .serialized)
struct FileSizeLimitTests {
  /// Growing the log past RLIMIT_FSIZE raised SIGXFSZ, which killed the recorded program where
  /// the unrecorded one ran to its end: the log stops growing at the limit instead.
  @Test(
    "the log stops at the program's RLIMIT_FSIZE: the program runs to its end as unrecorded, and the lost events are counted and explained",
    needs("gcc"))
  func logStopsAtTheFileSizeLimit() throws {
    try withTemporaryDirectory { dir throws in
      try compileC(fileSizeLimitC, named: "fsize", in: dir)
      let plain = try run(dir + "/fsize", ["4096"], in: dir)
      #expect(plain.status == 0 && plain.stdout == "sent 40000, received 40000\n", "\(plain.stdout)")
      let recorded = try sockscope(
        ["record", "--out", "run", "--", dir + "/fsize", "4096"], in: dir, seconds: 120)
      #expect(recorded.status == 0, "not killed by SIGXFSZ: \(recorded.stderr)")
      #expect(recorded.stdout == plain.stdout)
      let said = recorded.stdout + recorded.stderr
      let pattern = /(\d+) events were lost: the log could not be grown past the process's file size limit/
      let lost = try #require(said.firstMatch(of: pattern).flatMap { Int($0.1) }, "\(said)")
      let trace = try readTrace(dir + "/run/trace.jsonl")
      let calls = trace.events.filter { [.socketpair, .send, .recv].contains($0.call) }.count
      // Every call is either in the trace or counted as lost, and the log held what the limit let it.
      #expect(calls + lost == 80_001, "\(calls) recorded, \(lost) lost")
      #expect(calls > 1_000 && lost > 1_000)
      let logs = try FileManager.default.contentsOfDirectory(atPath: dir + "/run/logs").filter {
        $0.hasSuffix(".sslog")
      }
      #expect(logs.count == 1)
      for log in logs {
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/run/logs/" + log)[.size] as? Int
        #expect((size ?? .max) <= 4 << 20, "\(log): \(size ?? -1) bytes")
      }
    }
  }

  @Test(
    "under a file size limit too small for a log to start, the program runs unrecorded and both it and record say why",
    needs("gcc"))
  func noLogUnderATinyLimit() throws {
    try withTemporaryDirectory { dir throws in
      try compileC(fileSizeLimitC, named: "fsize", in: dir)
      let plain = try run(dir + "/fsize", ["512"], in: dir)
      let recorded = try sockscope(
        ["record", "--out", "run", "--", dir + "/fsize", "512"], in: dir, seconds: 120)
      #expect(recorded.status == 0 && recorded.stdout == plain.stdout, "\(recorded.stdout)")
      #expect(recorded.stderr.contains("File too large; running untraced"), "\(recorded.stderr)")
      #expect(recorded.stderr.contains("or none that could be recorded"), "\(recorded.stderr)")
    }
  }
}
