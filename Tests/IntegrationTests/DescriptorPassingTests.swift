import Foundation
import SockScopeTrace
import Testing

/// A C program that passes two stream sockets with SCM_RIGHTS (and its credentials), then again
/// into a control buffer with room for one descriptor (MSG_CTRUNC), sends a made-up control
/// message and one whose length runs past its buffer (both refused by the kernel), and dups.
let descriptorPassingC = #"""
  #define _GNU_SOURCE
  #include <errno.h>
  #include <stdio.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <sys/wait.h>
  #include <unistd.h>
  #include <fcntl.h>

  // Sends `count` descriptors (and credentials when `creds`) in one message.
  static ssize_t pass(int via, const int *fds, int count, int creds) {
    char byte = 'x';
    struct iovec iov = {&byte, 1};
    union { char buf[CMSG_SPACE(sizeof(int) * 4) + CMSG_SPACE(sizeof(struct ucred))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf};
    struct cmsghdr *c = (struct cmsghdr *)u.buf;
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
    size_t len = CMSG_SPACE(sizeof(int) * count);
    if (creds) {
      struct cmsghdr *d = (struct cmsghdr *)(u.buf + len);
      d->cmsg_level = SOL_SOCKET;
      d->cmsg_type = SCM_CREDENTIALS;
      d->cmsg_len = CMSG_LEN(sizeof(struct ucred));
      struct ucred cred = {getpid(), getuid(), getgid()};
      memcpy(CMSG_DATA(d), &cred, sizeof cred);
      len += CMSG_SPACE(sizeof(struct ucred));
    }
    msg.msg_controllen = len;
    return sendmsg(via, &msg, 0);
  }

  // Sends a message with a made-up control message (level SOL_SOCKET, type 99), or one whose
  // length runs past the buffer (`cut`): the kernel refuses both.
  static ssize_t bogus(int via, int cut) {
    char byte = 'x';
    struct iovec iov = {&byte, 1};
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = (struct cmsghdr *)u.buf;
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = cut ? SCM_RIGHTS : 99;
    c->cmsg_len = cut ? 4096 : CMSG_LEN(sizeof(int));
    return sendmsg(via, &msg, 0);
  }

  // Receives one message with room for `room` descriptors; prints what arrived.
  static void take(int via, int room) {
    char byte;
    struct iovec iov = {&byte, 1};
    union { char buf[CMSG_SPACE(sizeof(int) * 4) + CMSG_SPACE(sizeof(struct ucred)) + 64]; struct cmsghdr align; } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = room == 1 ? CMSG_SPACE(sizeof(int)) : sizeof u.buf};
    ssize_t n = recvmsg(via, &msg, 0);
    printf("recvmsg %zd flags %d:", n, msg.msg_flags);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_type == SCM_RIGHTS) {
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
          int fd;
          memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
          printf(" fd %d", fd);
        }
      } else {
        printf(" cmsg %d/%d", c->cmsg_level, c->cmsg_type);
      }
    }
    printf("\n");
    fflush(stdout);
  }

  int main(void) {
    int ch[2], s1[2], s2[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, ch);
    socketpair(AF_UNIX, SOCK_STREAM, 0, s1);
    socketpair(AF_UNIX, SOCK_STREAM, 0, s2);
    int on = 1;
    setsockopt(ch[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    setsockopt(ch[1], SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on);
    int two[2] = {s1[0], s2[0]};
    printf("sendmsg %zd\n", pass(ch[0], two, 2, 1));
    take(ch[1], 4);
    printf("sendmsg %zd\n", pass(ch[0], two, 2, 0));
    take(ch[1], 1); /* room for one: MSG_CTRUNC */
    errno = 0;
    printf("bogus %zd %d\n", bogus(ch[0], 0), errno);
    errno = 0;
    printf("cut %zd %d\n", bogus(ch[0], 1), errno);
    int d = dup(s1[0]);
    int d2 = dup2(s1[0], 40);
    int d3 = dup3(s1[0], 41, O_CLOEXEC);
    printf("dups %d %d %d\n", d, d2, d3);
    return 0;
  }
  """#

/// A Python program that passes a stream socket to its forked child with SCM_RIGHTS; the child
/// writes through it. The parent waits with select, poll and epoll, asks SO_PEERCRED and dups.
let descriptorPassingPython = #"""
  import os, select, socket, struct, sys

  channel, other = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
  x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
  pid = os.fork()
  if pid == 0:
      channel.close()
      msg, fds, flags, addr = socket.recv_fds(other, 100, 4)
      passed = socket.socket(fileno=fds[0])
      passed.send(b"via passed")
      os._exit(0)
  other.close()
  socket.send_fds(channel, [b"take"], [x.fileno()])
  ready = select.select([y], [], [], 5)
  print(y.recv(100).decode(), flush=True)
  pid_, uid, gid = struct.unpack("3i", y.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
  copy = os.dup(y.fileno())
  os.dup2(y.fileno(), 50)
  p = select.poll()
  p.register(y, select.POLLIN)
  p.poll(0)
  e = select.epoll()
  e.register(y.fileno(), select.EPOLLOUT)
  e.poll(1)
  os.waitpid(pid, 0)
  print(f"fds {x.fileno()} {y.fileno()} {copy} child {pid} cred {pid_} {uid} {gid}", flush=True)
  """#

@Suite("Passed descriptors, credentials, dup, fork and waits, recorded by the interposer")
struct DescriptorPassingTests {
  /// The recorded calls other than output, per process in order.
  func calls(_ dir: String) throws -> [TraceEvent] {
    try readTrace(dir + "/t/trace.jsonl").events.filter { $0.call != .output }
  }

  func rights(_ e: TraceEvent) -> [PassedDescriptor] { e.arguments.message?.rights ?? [] }

  @Test(
    "C: SCM_RIGHTS with inodes on both sides, credentials, MSG_CTRUNC, unknown and cut control messages, dups",
    needs("gcc"))
  func cProgram() throws {
    let gcc = try tool("gcc")
    try withTemporaryDirectory { dir throws in
      try descriptorPassingC.write(toFile: dir + "/cmsg.c", atomically: true, encoding: .utf8)
      #expect(try run(gcc, ["-g", "-o", "cmsg", "cmsg.c"], in: dir).status == 0)
      let plain = try run(dir + "/cmsg", [], in: dir)
      let traced = try sockscope(["record", "--out", "t", "--", "./cmsg"], in: dir)
      #expect(traced.status == 0)
      #expect(traced.stdout.hasPrefix(plain.stdout), "the program behaves as unrecorded")
      let events = try calls(dir)
      let pairs = events.filter { $0.call == .socketpair }
      #expect(pairs.count == 3)
      // The passed sockets: the first ends of the two stream pairs.
      let passed = pairs.dropFirst().map { $0.socket?.inode ?? 0 }
      let sends = events.filter { $0.call == .sendmsg }
      let receives = events.filter { $0.call == .recvmsg }
      #expect(sends.count == 4 && receives.count == 2)
      #expect(rights(sends[0]).map(\.inode) == passed.map { $0 })
      #expect(rights(sends[0]).map(\.fd) == pairs.dropFirst().map(\.fd))
      #expect(sends[0].arguments.message?.credentials?.pid == Int64(sends[0].pid))
      // The receiver got new numbers for the same sockets: the ones the program printed.
      let printed = plain.stdout.split(separator: "\n")[1].split(separator: " ")
      let newNumbers = printed.indices.filter { printed[$0] == "fd" }.map { Int32(printed[$0 + 1]) }
      #expect(rights(receives[0]).map(\.fd) == newNumbers)
      #expect(rights(receives[0]).map(\.inode) == passed.map { $0 })
      #expect(receives[0].arguments.message?.credentials?.pid == Int64(sends[0].pid))
      #expect(
        receives[0].arguments.message?.otherControlMessages == [
          OtherControlMessage(level: 1, type: 29, length: 32)
        ])
      // Room for one descriptor: the kernel cut the control data and closed the passed ones.
      #expect(receives[1].arguments.message?.returnedFlags == .controlTruncated)
      #expect(receives[1].arguments.message?.rights == nil)
      // What the kernel refused is recorded as the program passed it.
      #expect(sends[2].failure?.name == "EINVAL")
      #expect(
        sends[2].arguments.message?.otherControlMessages == [
          OtherControlMessage(level: 1, type: 99, length: 20)
        ])
      #expect(
        sends[3].arguments.message?.otherControlMessages == [
          OtherControlMessage(level: 1, type: 1, length: 4096, truncated: true)
        ])
      // And the trace line spells them as docs/trace-format.md says.
      #expect(
        sends[3].args["cmsgs"]
          == .array([
            .object(["level": .int(1), "type": .int(1), "len": .int(4096), "truncated": .bool(true)])
          ]))
      #expect(
        try FormatTests().pythonInvalidLines(dir + "/t/trace.jsonl") == [], "the schema accepts every line")
      let dups = events.filter { [.dup, .dup2, .dup3].contains($0.call) }
      #expect(dups.map(\.call) == [.dup, .dup2, .dup3])
      #expect(dups.allSatisfy { $0.fd == pairs[1].fd && $0.socket?.inode == passed[0] })
      #expect(dups.map(\.ret).dropFirst() == [40, 41])
      #expect(dups[1].arguments.duplicate?.newDescriptor == 40)
    }
  }

  @Test(
    "Python: a socket passed to a forked child keeps its inode under a new number; fork, SO_PEERCRED, dup, waits",
    needs("python3"))
  func pythonProgram() throws {
    let python = try tool("python3")
    try withTemporaryDirectory { dir throws in
      try descriptorPassingPython.write(toFile: dir + "/pass.py", atomically: true, encoding: .utf8)
      let traced = try sockscope(["record", "--out", "t", "--", python, "pass.py"], in: dir)
      #expect(traced.status == 0, "\(traced.stderr)")
      // fds X Y COPY child PID cred PID UID GID
      let words = try #require(traced.stdout.split(separator: "\n").first { $0.hasPrefix("fds ") })
        .split(separator: " ").map(String.init)
      let (x, y, copy, child) = (Int64(words[1])!, Int64(words[2])!, Int64(words[3])!, Int64(words[5])!)
      let events = try calls(dir)
      let parent = try #require(events.first?.pid)
      let stream = try #require(events.first { $0.call == .socketpair && $0.fd == Int32(x) })
      let fork = try #require(events.first { $0.call == .fork })
      #expect(fork.pid == parent && fork.ret == child)
      let sent = try #require(events.first { $0.call == .sendmsg })
      #expect(rights(sent) == [PassedDescriptor(fd: Int32(x), inode: stream.socket?.inode)])
      let got = try #require(events.first { $0.call == .recvmsg })
      #expect(got.pid == Int32(child))
      let arrived = try #require(rights(got).first)
      #expect(arrived.inode == stream.socket?.inode)
      // The child writes through the passed socket under its new number.
      let write = try #require(events.first { $0.call.sendsData && $0.pid == Int32(child) })
      #expect(write.fd == arrived.fd)
      #expect(write.socket?.inode == stream.socket?.inode)
      let cred = try #require(
        events.first { $0.call == .getsockopt && $0.arguments.option?.option?.description == "SO_PEERCRED" })
      #expect(cred.arguments.option?.credentials?.pid == Int64(words[7])!)
      #expect(cred.arguments.option?.credentials?.pid == Int64(parent))
      let dup = try #require(events.first { $0.call == .fcntl })
      #expect(
        dup.fd == Int32(y) && dup.ret == copy && dup.arguments.duplicate?.command == .duplicateCloseOnExec)
      let dup2 = try #require(events.first { $0.call == .dup2 })
      #expect(dup2.ret == 50 && dup2.arguments.duplicate?.newDescriptor == 50)
      let select = try #require(events.first { $0.call == .select })
      let sets = select.arguments.select
      #expect(sets?.read == [Int32(y)] && sets?.readyRead == [Int32(y)])
      #expect(sets?.timeoutMilliseconds == 5000)
      let poll = try #require(events.first { $0.call == .poll })
      #expect(
        poll.arguments.poll?.descriptors == [
          PollDescriptor(
            fd: Int32(y), events: PollEvents(rawValue: 1), returnedEvents: PollEvents(rawValue: 0))
        ])
      #expect(
        poll.args["fds"]
          == .array([.object(["fd": .int(y), "events": .string("POLLIN"), "revents": .string("0")])]),
        "the line spells them as docs/trace-format.md says")
      let ctl = try #require(events.first { $0.call == .epollCtl })
      #expect(ctl.arguments.epollControl?.target == Int32(y) && ctl.arguments.epollControl?.operation == .add)
      let wait = try #require(events.first { $0.call == .epollWait })
      #expect(
        wait.arguments.epollWait?.ready == [EpollReadyEvent(fd: Int32(y), events: EpollEvents(rawValue: 4))])
      #expect(
        try FormatTests().pythonInvalidLines(dir + "/t/trace.jsonl") == [], "the schema accepts every line")
      // Each of these points at its line of pass.py.
      for e in [fork, sent, got, cred, dup, dup2, select, poll, ctl, wait] {
        #expect(e.source?.file == dir + "/pass.py" && e.source?.line != nil, "\(e.call)")
      }
    }
  }

  @Test(
    "a program's polls of its terminal or pipes, with no socket among them, are not recorded",
    needs("python3"))
  func unrelatedPolls() throws {
    let python = try tool("python3")
    try withTemporaryDirectory { dir throws in
      let script = """
        import os, select, socket
        a, b = socket.socketpair()
        r, w = os.pipe()
        os.write(w, b"x")
        select.select([r], [], [], 1)
        p = select.poll(); p.register(r, select.POLLIN); p.poll(0)
        e = select.epoll(); e.register(r, select.EPOLLIN); e.poll(0)
        """
      try script.write(toFile: dir + "/p.py", atomically: true, encoding: .utf8)
      #expect(try sockscope(["record", "--out", "t", "--", python, "p.py"], in: dir).status == 0)
      let events = try calls(dir)
      #expect(events.contains { $0.call == .socketpair })
      #expect(!events.contains { [.poll, .select, .epollCtl, .epollWait].contains($0.call) })
    }
  }
}
