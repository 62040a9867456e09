import CSockScopeLog
import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace
import Testing

@testable import SockScopeSockets

/// The scenario both recorders record: a stream socket passed over a datagram pair with
/// SCM_RIGHTS, polled for, written through under its new number, read, closed.
let parityScenarioC = #"""
  #include <poll.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <unistd.h>

  int main(void) {
    int ch[2], s[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, ch);
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    char word[4] = "take";
    struct iovec iov = {word, 4};
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct msghdr out = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&out);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &s[0], sizeof(int));
    sendmsg(ch[0], &out, 0);
    char buf[100];
    struct iovec in_iov = {buf, sizeof buf};
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } v;
    struct msghdr in = {.msg_iov = &in_iov, .msg_iovlen = 1, .msg_control = v.buf, .msg_controllen = sizeof v.buf};
    recvmsg(ch[1], &in, 0);
    int passed;
    memcpy(&passed, CMSG_DATA(CMSG_FIRSTHDR(&in)), sizeof passed);
    struct pollfd p = {s[1], POLLIN, 0};
    poll(&p, 1, 0);
    send(passed, "via", 3, 0);
    poll(&p, 1, 1000);
    recv(s[1], buf, sizeof buf, 0);
    close(passed);
    close(s[0]);
    close(s[1]);
    close(ch[0]);
    close(ch[1]);
    return 0;
  }
  """#

/// The events with descriptor numbers and inodes replaced by their order of first appearance, and
/// times left out: what two recordings of one scenario must share.
func parityShape(_ events: [TraceEvent]) -> [String] {
  var fds: [Int64: Int] = [:]
  var inodes: [Int64: Int] = [:]
  func fd(_ n: Int64) -> String { "fd\(fds[n] ?? { fds[n] = fds.count; return fds.count - 1 }())" }
  func ino(_ n: Int64) -> String {
    "s\(inodes[n] ?? { inodes[n] = inodes.count; return inodes.count - 1 }())"
  }
  func value(_ key: String, _ v: JSONValue) -> String {
    if let array = v.arrayValue { return "[" + array.map { value(key, $0) }.joined(separator: ",") + "]" }
    if let object = v.objectValue {
      return "{" + object.map { "\($0.key):\(value($0.key, $0.value))" }.joined(separator: ",") + "}"
    }
    if let n = v.intValue, ["fd", "fds", "newfd", "target_fd"].contains(key) { return fd(n) }
    if let n = v.intValue, ["ino", "peer"].contains(key) { return ino(n) }
    return v.stringValue.map { "\"\($0)\"" } ?? v.intValue.map(String.init) ?? "\(v)"
  }
  return events.map { e in
    var line = e.call.rawValue
    if let f = e.fd { line += " " + fd(Int64(f)) }
    if let s = e.socket {
      line += " " + ino(Int64(s.inode)) + (s.peer.map { "->" + ino(Int64($0)) } ?? "")
    }
    line += " " + e.args.map { "\($0.key)=\(value($0.key, $0.value))" }.joined(separator: " ")
    line += " = \(e.ret)"
    if let d = e.data { line += " «\(d.text ?? "")»" }
    return line
  }
}

extension SocketLayerTests {
  @Test(
    "one scenario (SCM_RIGHTS, poll, send through the passed socket) records the same through the interposer and the layer"
  )
  func interposerAndLayerAgree() throws {
    let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    let gcc = try #require(
      paths.map { "\($0)/gcc" }.first { FileManager.default.isExecutableFile(atPath: $0) },
      "gcc is installed by make test")
    let library = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("libSockScopePreload.so").path
    try #require(FileManager.default.fileExists(atPath: library), "swift build makes \(library)")
    let layer = try recording { _ in
      let (a, b) = try SocketDescriptor.pair(.datagram)
      let (x, y) = try SocketDescriptor.pair(.stream)
      _ = try Array("take".utf8).withUnsafeBytes { try a.sendMessage([$0], passing: [x]) }
      var buffer = [UInt8](repeating: 0, count: 100)
      let got = try buffer.withUnsafeMutableBytes { try b.receiveMessage(into: $0, maxDescriptors: 1) }
      let passed = try #require(got.descriptors.first)
      var entries = [PollEntry(y, events: Int16(POLLIN))]
      #expect(try SocketDescriptor.poll(&entries, timeout: 0) == 0)
      _ = try passed.send(Array("via".utf8))
      #expect(try SocketDescriptor.poll(&entries, timeout: 1000) == 1)
      #expect(entries[0].returned == Int16(POLLIN))
      _ = try buffer.withUnsafeMutableBytes { try y.receive(into: $0) }
      for s in [passed, x, y, a, b] { try s.close() }
    }
    let interposer = try withTemporaryDirectory { dir in
      try parityScenarioC.write(toFile: dir + "/p.c", atomically: true, encoding: .utf8)
      let build = Process()
      build.executableURL = URL(fileURLWithPath: gcc)
      build.arguments = ["-o", dir + "/p", dir + "/p.c"]
      try build.run()
      build.waitUntilExit()
      try #require(build.terminationStatus == 0)
      try FileManager.default.createDirectory(atPath: dir + "/trace", withIntermediateDirectories: false)
      let run = Process()
      run.executableURL = URL(fileURLWithPath: dir + "/p")
      run.environment = ["LD_PRELOAD": library, "SOCKSCOPE_TRACE_DIR": dir + "/trace"]
      try run.run()
      run.waitUntilExit()
      try #require(run.terminationStatus == 0)
      return try TraceMerger.merge(directory: dir + "/trace").trace.events.filter { $0.call != .output }
    }
    let a = parityShape(layer)
    let b = parityShape(interposer)
    #expect(a.count == b.count && a.count == 13, "\(a.joined(separator: "\n"))")
    for (l, c) in zip(a, b) { #expect(l == c) }
    // The passed socket arrives under a new number and is the same socket.
    let sent = try #require(layer.first { $0.call == .sendmsg })
    #expect(sent.arguments.message?.rights?.first?.inode == layer[1].socket?.inode)
  }
}
