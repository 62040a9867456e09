import Foundation
import SockScopeAnalysis
import SockScopeTrace
import Testing

/// A C program that waits on an AF_UNIX socket with the two waits that also take a signal mask,
/// `ppoll` and `epoll_pwait` (Python calls neither: its `select.poll` and `select.epoll` use `poll`
/// and `epoll_wait`), once with a datagram queued and once with none.
let signalMaskWaitC = #"""
  #define _GNU_SOURCE
  #include <poll.h>
  #include <signal.h>
  #include <stdio.h>
  #include <sys/epoll.h>
  #include <sys/socket.h>
  #include <time.h>
  #include <unistd.h>

  int main(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 2;
    sigset_t mask;
    sigemptyset(&mask);
    struct timespec ts = {0, 250 * 1000 * 1000};
    struct pollfd p = {.fd = sv[1], .events = POLLIN};
    int empty = ppoll(&p, 1, &ts, &mask);
    printf("ppoll, nothing queued: %d, revents %d\n", empty, p.revents);
    if (send(sv[0], "x", 1, 0) != 1) return 2;
    p.revents = 0;
    int ready = ppoll(&p, 1, &ts, &mask);
    printf("ppoll, one queued: %d, revents %d\n", ready, p.revents);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[1]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) != 0) return 2;
    struct epoll_event out[4];
    int n = epoll_pwait(ep, out, 4, 250, &mask);
    printf("epoll_pwait: %d, fd %d, events %u\n", n, n > 0 ? out[0].data.fd : -1, n > 0 ? out[0].events : 0);
    return 0;
  }
  """#

@Suite("ppoll and epoll_pwait, recorded", .serialized)
struct SignalMaskWaitTests {
  @Test(
    "ppoll and epoll_pwait return as unrecorded and are recorded as poll and epoll_wait with what became ready",
    needs("gcc"))
  func waitsWithASignalMask() throws {
    try withTemporaryDirectory { dir throws in
      try compileC(signalMaskWaitC, named: "waits", in: dir)
      let plain = try run(dir + "/waits", [], in: dir)
      #expect(plain.status == 0, "\(plain.stderr)")
      let expected =
        "ppoll, nothing queued: 0, revents 0\nppoll, one queued: 1, revents 1\nepoll_pwait: 1, fd "
      #expect(plain.stdout.hasPrefix(expected), "\(plain.stdout)")
      let recorded = try sockscope(["record", "--out", "run", "--", dir + "/waits"], in: dir, seconds: 60)
      #expect(recorded.status == 0, "\(recorded.stderr)")
      #expect(recorded.stdout == plain.stdout, "the program behaves as unrecorded")

      let model = KernelModel(trace: try readTrace(dir + "/run/trace.jsonl"))
      let polls = model.events.filter { $0.call == .poll }
      try #require(polls.count == 2, "both ppolls are recorded: \(polls.map(\.arguments))")
      #expect(polls.map(\.ret) == [0, 1])
      #expect(polls.map { $0.polledDescriptors.filter(\.isReady).count } == [0, 1])
      #expect(polls.allSatisfy { $0.timeoutMilliseconds == 250 }, "the timespec, in milliseconds")
      let waits = model.events.filter { $0.call == .epollWait }
      try #require(waits.count == 1, "epoll_pwait is recorded")
      #expect(waits[0].ret == 1 && waits[0].timeoutMilliseconds == 250)
      #expect(waits[0].polledDescriptors.filter(\.isReady).count == 1)
    }
  }
}
