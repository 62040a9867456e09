import CSockScopeLog
import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace
import Testing

@testable import SockScopeSockets

/// The second scenario both recorders record: data whose record has rules to get right. Datagrams
/// cut by a short buffer (recvfrom, recvmsg), a program that asks MSG_TRUNC itself (recv returns
/// more than its buffer holds), sends gathered from several buffers (sendmsg, with and without an
/// address), sendto a socket file, an autobind, a stream read in two parts, and a recvmsg that
/// fails with a control buffer. argv[1] is the socket file's path.
let parityDataScenarioC = #"""
  #include <stddef.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <sys/un.h>
  #include <unistd.h>

  int main(int argc, char **argv) {
    (void)argc;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, argv[1]);
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + strlen(argv[1]) + 1;
    int server = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(server, (struct sockaddr *)&a, alen);
    int client = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un none = {.sun_family = AF_UNIX};
    bind(client, (struct sockaddr *)&none, sizeof(sa_family_t));
    sendto(client, "hello world", 11, 0, (struct sockaddr *)&a, alen);
    char small[4];
    struct sockaddr_un from;
    socklen_t from_len = sizeof from;
    recvfrom(server, small, sizeof small, 0, (struct sockaddr *)&from, &from_len);
    struct iovec parts[3] = {{"ab", 2}, {"cd", 2}, {"ef", 2}};
    struct msghdr out = {.msg_name = &a, .msg_namelen = alen, .msg_iov = parts, .msg_iovlen = 3};
    sendmsg(client, &out, 0);
    char five[5];
    struct iovec in_iov = {five, sizeof five};
    struct sockaddr_un from2;
    struct msghdr in = {.msg_name = &from2, .msg_namelen = sizeof from2, .msg_iov = &in_iov, .msg_iovlen = 1};
    recvmsg(server, &in, 0);
    sendto(client, "0123456789", 10, 0, (struct sockaddr *)&a, alen);
    recv(server, small, sizeof small, MSG_TRUNC);
    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    struct iovec stream[2] = {{"str", 3}, {"eam", 3}};
    struct msghdr both = {.msg_iov = stream, .msg_iovlen = 2};
    sendmsg(s[0], &both, 0);
    char four[4];
    recv(s[1], four, sizeof four, 0);
    recv(s[1], four, sizeof four, 0);
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr empty = {.msg_iov = &in_iov, .msg_iovlen = 1, .msg_control = control.buf,
                           .msg_controllen = sizeof control.buf};
    recvmsg(server, &empty, MSG_DONTWAIT);
    close(server);
    close(client);
    close(s[0]);
    close(s[1]);
    unlink(argv[1]);
    return 0;
  }
  """#

/// Records `parityDataScenarioC` through the interposer: built with gcc, run with LD_PRELOAD.
func interposerRecording(of source: String, arguments: [String] = []) throws -> [TraceEvent] {
  let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
  let gcc = try #require(
    paths.map { "\($0)/gcc" }.first { FileManager.default.isExecutableFile(atPath: $0) },
    "gcc is installed by make test")
  let library = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent("libSockScopePreload.so").path
  try #require(FileManager.default.fileExists(atPath: library), "swift build makes \(library)")
  return try withTemporaryDirectory { dir in
    try source.write(toFile: dir + "/p.c", atomically: true, encoding: .utf8)
    let build = Process()
    build.executableURL = URL(fileURLWithPath: gcc)
    build.arguments = ["-o", dir + "/p", dir + "/p.c"]
    try build.run()
    build.waitUntilExit()
    try #require(build.terminationStatus == 0)
    try FileManager.default.createDirectory(atPath: dir + "/trace", withIntermediateDirectories: false)
    let run = Process()
    run.executableURL = URL(fileURLWithPath: dir + "/p")
    run.arguments = arguments
    run.environment = ["LD_PRELOAD": library, "SOCKSCOPE_TRACE_DIR": dir + "/trace"]
    try run.run()
    run.waitUntilExit()
    try #require(run.terminationStatus == 0)
    return try TraceMerger.merge(directory: dir + "/trace").trace.events.filter { $0.call != .output }
  }
}

extension SocketLayerTests {
  @Test(
    "cut datagrams, the program's own MSG_TRUNC, gathered sends, sendto and autobind record the same through the interposer and the layer"
  )
  func interposerAndLayerAgreeOnData() throws {
    try withTemporaryDirectory { place in
      let path = place + "/d.sock"
      let address = try UnixAddress(path: path)
      let layer = try recording { _ in
        let server = try SocketDescriptor.open(.unix, .datagram)
        try server.bind(to: address)
        let client = try SocketDescriptor.open(.unix, .datagram)
        try client.bind(to: UnixAddress(name: .unnamed))
        _ = try Array("hello world".utf8).withUnsafeBytes { try client.send($0, to: address) }
        var small = [UInt8](repeating: 0, count: 4)
        let (cut, _) = try small.withUnsafeMutableBytes { try server.receiveFrom(into: $0) }
        #expect(cut == Received(count: 4, datagramLength: 11))
        let parts = ["ab", "cd", "ef"].map { Array($0.utf8) }
        _ = try parts[0].withUnsafeBytes { p0 in
          try parts[1].withUnsafeBytes { p1 in
            try parts[2].withUnsafeBytes { p2 in try client.sendMessage([p0, p1, p2], to: address) }
          }
        }
        var five = [UInt8](repeating: 0, count: 5)
        let (message, _, messageFlags) = try five.withUnsafeMutableBytes {
          try server.receiveMessage(into: $0)
        }
        #expect(message == Received(count: 5, datagramLength: 6))
        #expect(messageFlags.contains(.truncate))
        _ = try Array("0123456789".utf8).withUnsafeBytes { try client.send($0, to: address) }
        // The program asked for MSG_TRUNC: it gets the datagram's length, more than its buffer.
        let own = try small.withUnsafeMutableBytes { try server.receive(into: $0, flags: .truncate) }
        #expect(own.count == 10)
        let (x, y) = try SocketDescriptor.pair(.stream)
        let stream = ["str", "eam"].map { Array($0.utf8) }
        _ = try stream[0].withUnsafeBytes { p0 in
          try stream[1].withUnsafeBytes { p1 in try x.sendMessage([p0, p1]) }
        }
        var four = [UInt8](repeating: 0, count: 4)
        _ = try four.withUnsafeMutableBytes { try y.receive(into: $0) }
        _ = try four.withUnsafeMutableBytes { try y.receive(into: $0) }
        do {
          _ = try five.withUnsafeMutableBytes {
            try server.receiveMessage(into: $0, maxDescriptors: 1, flags: .dontWait)
          }
          Issue.record("an empty socket asked with MSG_DONTWAIT returned a message")
        } catch {}
        for s in [server, client, x, y] { try s.close() }
        try SocketFile.unlink(path)
      }
      let interposer = try interposerRecording(of: parityDataScenarioC, arguments: [path])
      // The kernel chooses a new abstract name for each autobind, and socket returns whichever
      // number is free (the test process has more open).
      func shape(_ events: [TraceEvent]) -> [String] {
        parityShape(events).map {
          $0.replacingOccurrences(
            of: #"abstract:"[0-9a-f]{5}""#, with: "abstract:auto", options: .regularExpression
          )
          .replacingOccurrences(of: #"^(socket .*) = \d+$"#, with: "$1 = new", options: .regularExpression)
        }
      }
      let a = shape(layer)
      let b = shape(interposer)
      #expect(
        a.count == b.count && a.count == 20, "\(a.joined(separator: "\n"))\n--\n\(b.joined(separator: "\n"))")
      for (l, c) in zip(a, b) { #expect(l == c) }
      // What each recorded: the bytes the buffer got, the datagram's real length, the gathered
      // payload, the name autobind chose.
      for events in [layer, interposer] {
        let data = events.filter { $0.data != nil }.map { $0.data?.text ?? "" }
        #expect(
          data == ["hello world", "hell", "abcdef", "abcde", "0123456789", "0123", "stream", "stre", "am"])
        let receives = events.filter { [.recv, .recvfrom, .recvmsg].contains($0.call) }
        #expect(receives.map { $0.data?.length } == [4, 5, 10, 4, 2, nil])
        #expect(receives.map { $0.data?.datagramLength } == [11, 6, 10, nil, nil, nil])
        let autobind = try #require(events.first { $0.call == .bind && $0.fd == events[2].fd })
        let chosen = try #require(autobind.args["addr"]?.objectValue?["abstract"]?.stringValue)
        #expect(chosen.utf8.count == 5, "\(autobind.args)")
        // A recvmsg that failed returned no control length, whatever buffer it offered.
        let failed = try #require(events.last { $0.call == .recvmsg })
        #expect(failed.failure?.name == "EAGAIN")
        #expect(failed.args["controllen"]?.intValue == 0)
        let sender = try #require(events.first { $0.call == .recvfrom })
        #expect(sender.args["addr"]?.objectValue?["abstract"]?.stringValue == chosen)
      }
    }
  }
}

/// The third scenario both recorders record: the calls whose records are fixed fields, each once
/// succeeding and once failing — socket (with SOCK_CLOEXEC; an unknown type), setsockopt
/// (SO_SNDBUF; an unknown option), bind, listen (on a stream; on a datagram socket), getsockname,
/// connect, accept, getpeername (connected; a listener), shutdown (before and after connect),
/// socketpair, close. argv[1] is the socket file's path.
let parityFixedScenarioC = #"""
  #include <stddef.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <sys/un.h>
  #include <unistd.h>

  int main(int argc, char **argv) {
    (void)argc;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, argv[1]);
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + strlen(argv[1]) + 1;
    socket(AF_UNIX, 12345, 0);
    int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int size = 10000;
    setsockopt(server, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(server, SOL_SOCKET, 12345, &size, sizeof size);
    bind(server, (struct sockaddr *)&a, alen);
    listen(server, 5);
    struct sockaddr_un name;
    socklen_t name_len = sizeof name;
    getsockname(server, (struct sockaddr *)&name, &name_len);
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    shutdown(client, SHUT_WR);
    connect(client, (struct sockaddr *)&a, alen);
    struct sockaddr_un peer;
    socklen_t peer_len = sizeof peer;
    int conn = accept(server, (struct sockaddr *)&peer, &peer_len);
    name_len = sizeof name;
    getpeername(client, (struct sockaddr *)&name, &name_len);
    name_len = sizeof name;
    getpeername(server, (struct sockaddr *)&name, &name_len);
    shutdown(client, SHUT_WR);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    listen(d, 1);
    int s[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s);
    close(conn);
    close(client);
    close(server);
    close(d);
    close(s[0]);
    close(s[1]);
    unlink(argv[1]);
    return 0;
  }
  """#

extension SocketLayerTests {
  @Test(
    "socket, socketpair, setsockopt, listen, getsockname, getpeername, shutdown and close record the same through the interposer and the layer, failed or not"
  )
  func interposerAndLayerAgreeOnFixedRecords() throws {
    try withTemporaryDirectory { place in
      let path = place + "/f.sock"
      let address = try UnixAddress(path: path)
      let layer = try recording { _ in
        #expect(throws: SocketError.self) { try SocketDescriptor.open(.unix, SocketType(rawValue: 12345)) }
        let cloexec = SocketType(rawValue: SocketType.stream.rawValue | CInt(SOCK_CLOEXEC.rawValue))
        let server = try SocketDescriptor.open(.unix, cloexec)
        try server.setOption(SO_SNDBUF, to: 10000)
        #expect(throws: SocketError.self) { try server.setOption(12345, to: 10000) }
        try server.bind(to: address)
        try server.listen(backlog: 5)
        #expect(try server.localAddress() == address)
        let client = try SocketDescriptor.open(.unix, .stream)
        // Linux lets an AF_UNIX socket that is not connected be shut down (unix_shutdown checks
        // nothing): recorded as it returned.
        try client.shutdown(.write)
        try client.connect(to: address)
        let (connection, _) = try server.accept()
        #expect(try client.peerAddress() == address)
        #expect(throws: SocketError.self) { try server.peerAddress() }
        try client.shutdown(.write)
        let d = try SocketDescriptor.open(.unix, .datagram)
        #expect(throws: SocketError.self) { try d.listen(backlog: 1) }
        let (x, y) = try SocketDescriptor.pair(.sequencedPacket)
        for s in [connection, client, server, d, x, y] { try s.close() }
        try SocketFile.unlink(path)
      }
      let interposer = try interposerRecording(of: parityFixedScenarioC, arguments: [path])
      // socket and accept return whichever number is free (the test process has more open); the errno is
      // part of what must agree.
      func shape(_ events: [TraceEvent]) -> [String] {
        zip(parityShape(events), events).map { line, e in
          line.replacingOccurrences(
            of: #"^((socket|accept) .*) = \d+$"#, with: "$1 = new", options: .regularExpression)
            + (e.failure.map { " " + $0.name } ?? "")
        }
      }
      let a = shape(layer)
      let b = shape(interposer)
      #expect(
        a.count == b.count && a.count == 24, "\(a.joined(separator: "\n"))\n--\n\(b.joined(separator: "\n"))")
      for (l, c) in zip(a, b) { #expect(l == c) }
      // What each recorded, typed as the player reads it.
      for events in [layer, interposer] {
        let failed = events.filter { $0.failure != nil }.map {
          "\($0.call.rawValue) \($0.failure?.name ?? "")"
        }
        #expect(
          failed == [
            "socket EINVAL", "setsockopt ENOPROTOOPT", "getpeername ENOTCONN", "listen EOPNOTSUPP",
          ])
        let option = try #require(events.first { $0.call == .setsockopt }?.arguments.option)
        #expect(option.option?.description == "SO_SNDBUF")
        #expect(option.value == 10000)
        #expect(option.length == 4)
        let name = try #require(events.first { $0.call == .getsockname })
        #expect(name.args["addr"]?.objectValue?["path"]?.stringValue == path, "\(name.args)")
        let pair = try #require(events.first { $0.call == .socketpair })
        #expect(pair.socket?.peer != nil)
        #expect(events.filter { $0.call == .close }.count == 6)
      }
    }
  }

  @Test(
    "an option value that is not one int (SO_RCVTIMEO's timeval) is recorded with its length and no value")
  func optionThatIsNotAnInt() throws {
    let source = #"""
      #include <sys/socket.h>
      #include <sys/time.h>
      #include <unistd.h>

      int main(void) {
        int s = socket(AF_UNIX, SOCK_DGRAM, 0);
        struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
        close(s);
        return 0;
      }
      """#
    let events = try interposerRecording(of: source)
    let options = events.filter { $0.call == .setsockopt }.compactMap { $0.arguments.option }
    #expect(options.map { $0.option?.description } == ["SO_RCVTIMEO", "SO_PASSCRED"])
    #expect(options.map(\.length) == [Int64(MemoryLayout<timeval>.size), 4])
    #expect(options.map(\.value) == [nil, 1])
  }
}
