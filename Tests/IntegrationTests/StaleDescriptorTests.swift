import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace
import Testing

@Suite("A reused descriptor is never recorded as the socket it once was", .serialized)
struct StaleDescriptorTests {
  /// Everything recording left behind (the merged trace and the raw logs), as bytes.
  func everythingRecorded(_ dir: String) throws -> [UInt8] {
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/t/trace.jsonl")))
    for log in try FileManager.default.contentsOfDirectory(atPath: dir + "/t/logs") {
      bytes += Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/t/logs/" + log)))
    }
    return bytes
  }

  func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
    let n = Array(needle.utf8)
    guard haystack.count >= n.count else { return false }
    return (0...(haystack.count - n.count)).contains { haystack[$0..<($0 + n.count)].elementsEqual(n) }
  }

  @Test(
    "a file that reuses the number of a socket closed inside libc or by a raw syscall never reaches the trace",
    needs("gcc"),
    arguments: ["fclose", "close_range", "closefrom", "syscall"])
  func fileContentsNeverRecorded(mode: String) throws {
    try withTemporaryDirectory { dir throws in
      try compileC(staleDescriptorC, named: "stale", in: dir, flags: [])
      try "PASSWORD=hunter2\n".write(toFile: dir + "/secret.txt", atomically: true, encoding: .utf8)
      let result = try sockscope(["record", "--out", "t", "--", "./stale", mode], in: dir)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout == "read 17 bytes of the file\n")
      let recorded = try everythingRecorded(dir)
      #expect(!contains(recorded, "hunter2"), "the file's contents were recorded")
      #expect(!contains(recorded, "APPENDED-SECRET"), "what the program wrote to its file was recorded")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      #expect(
        trace.events.filter { $0.call == .read || $0.call == .recv }.compactMap { $0.data?.text } == [
          "hello", "again",
        ])
      #expect(
        try String(contentsOfFile: dir + "/secret.txt", encoding: .utf8)
          == "PASSWORD=hunter2\nAPPENDED-SECRET")
    }
  }

  @Test(
    "a new socket on the number of one closed by a raw syscall is recorded with its own inode",
    needs("gcc"))
  func reusedNumberGetsNewIdentity() throws {
    try withTemporaryDirectory { dir throws in
      try compileC(staleDescriptorC, named: "stale", in: dir, flags: [])
      let result = try sockscope(["record", "--out", "t", "--", "./stale", "reuse"], in: dir)
      #expect(result.status == 0, "\(result.stderr)")
      let inode = try #require(result.stdout.split(separator: " ").last.flatMap { UInt64($0.dropLast()) })
      let trace = try readTrace(dir + "/t/trace.jsonl")
      let sends = trace.events.filter { $0.data?.text == "datagram" }
      #expect(sends.map(\.call) == [.write, .send])
      #expect(sends.allSatisfy { $0.socket?.inode == inode }, "\(sends.map(\.socket))")
    }
  }

  @Test(
    "a copy of a socket (dup, fcntl F_DUPFD) on a number that was a file's is recorded as the socket",
    needs("gcc"),
    arguments: ["dup", "fcntl-dupfd"])
  func socketCopyOnFileNumber(mode: String) throws {
    try withTemporaryDirectory { dir throws in
      try compileC(staleDescriptorC, named: "stale", in: dir, flags: [])
      try "PASSWORD=hunter2\n".write(toFile: dir + "/secret.txt", atomically: true, encoding: .utf8)
      let result = try sockscope(["record", "--out", "t", "--", "./stale", mode], in: dir)
      #expect(result.status == 0, "\(result.stderr)")
      let trace = try readTrace(dir + "/t/trace.jsonl")
      let copied = trace.events.filter { $0.data?.text == "through-copy" }
      #expect(copied.map(\.call) == [.write, .read], "\(mode): the write on the copy and its read")
      #expect(copied.first?.socket?.inode == trace.events.first { $0.call == .socketpair }?.socket?.inode)
      #expect(!contains(try everythingRecorded(dir), "hunter2"))
    }
  }

  @Test(
    "Python: a file opened on the number of a socket closed with os.closerange is not recorded",
    needs("python3"))
  func pythonCloseRange() throws {
    let script = """
      import os, socket
      a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
      a.send(b"hello")
      os.read(b.fileno(), 5)
      n = b.detach()
      os.closerange(n, n + 1)
      fd = os.open("secret.txt", os.O_RDWR)
      print("same number", fd == n, "read", len(os.read(fd, 100)))
      os.write(fd, b"APPENDED-SECRET")
      """
    try withTemporaryDirectory { dir throws in
      try script.write(toFile: dir + "/stale.py", atomically: true, encoding: .utf8)
      try "PASSWORD=hunter2\n".write(toFile: dir + "/secret.txt", atomically: true, encoding: .utf8)
      let result = try sockscope(["record", "--out", "t", "--", "python3", "stale.py"], in: dir)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout == "same number True read 17\n")
      let recorded = try everythingRecorded(dir)
      #expect(!contains(recorded, "hunter2") && !contains(recorded, "APPENDED-SECRET"))
      #expect(
        try readTrace(dir + "/t/trace.jsonl").events.filter { $0.call != .output }.compactMap {
          $0.data?.text
        } == ["hello", "hello"])
    }
  }
}
