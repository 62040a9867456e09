import CSockScopeLog
import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace
import Testing

@testable import SockScopeSockets

/// A short temporary directory (socket paths must fit in 107 bytes), removed afterwards.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
  var template = Array("/tmp/sockscope-XXXXXX".utf8CString)
  let path = try #require(
    template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } }.map {
      String(cString: $0)
    })
  defer { try? FileManager.default.removeItem(atPath: path) }
  return try body(path)
}

/// Records what `body` does into a fresh log and returns this thread's events.
func recording(
  role: String = "test", capture: Int = 256, _ body: (String) throws -> Void
) throws -> [TraceEvent] {
  try withTemporaryDirectory { dir in
    try Recorder.start(directory: dir + "/trace", role: role, captureLimit: capture)
    let tid = sockscope_thread_id()
    do {
      try body(dir)
    } catch {
      Recorder.finish()
      throw error
    }
    Recorder.finish()
    let trace = try TraceMerger.merge(directory: dir + "/trace").trace
    // Other suites may make socket calls on other threads meanwhile; keep this test's own.
    return trace.events.filter { $0.tid == tid }
  }
}

// Every test that records runs here, one at a time: the recorder is per process, and all test
// targets share one test process.
@Suite("Socket layer", .serialized)
struct SocketLayerTests {
  @Test("a datagram round trip records socket, bind, connect, send, recv, close and unlink with identities")
  func datagramRoundTrip() throws {
    let events = try recording { dir in
      let path = dir + "/s"
      let address = try UnixAddress(path: path)
      let server = try SocketDescriptor.open(.unix, .datagram)
      try server.bind(to: address)
      let client = try SocketDescriptor.open(.unix, .datagram)
      try client.connect(to: address)
      #expect(try client.send(Array("Лев".utf8)) == 6)
      var buffer = [UInt8](repeating: 0, count: 1024)
      let got = try buffer.withUnsafeMutableBytes { try server.receive(into: $0) }
      #expect(got == Received(count: 6, datagramLength: 6))
      #expect(Array(buffer[..<6]) == Array("Лев".utf8))
      try client.close()
      try server.close()
      try SocketFile.unlink(path)
    }
    #expect(events.map(\.call) == [.socket, .bind, .socket, .connect, .send, .recv, .close, .close, .unlink])
    let server = events[0].socket?.inode
    let client = events[2].socket?.inode
    #expect(server != nil && client != nil && server != client)
    #expect(
      events[0].args == ["domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM"), "protocol": .int(0)])
    let boundFile = events[1].address?.inode
    #expect(boundFile != nil)
    #expect(events[3].socket == SocketIdentity(inode: client ?? 0, peer: server))
    #expect(events[3].address?.inode == boundFile, "connect names the same socket file")
    #expect(events[4].data?.text == "Лев")
    #expect(events[5].data == Payload(length: 6, bytes: Array("Лев".utf8), datagramLength: 6))
    #expect(events[5].args["flags"] == .string("0"), "the flags the program passed, not the added MSG_TRUNC")
    #expect(events[5].flows == [events[4].flow ?? -1])
    #expect(events[8].args["ino"]?.intValue == boundFile.map { Int64($0) })
    #expect(events.allSatisfy { $0.time > 0 && $0.pid == getpid() })
  }

  @Test("a 4000-byte datagram into a 1024-byte buffer is reported with its real length")
  func datagramCutByBuffer() throws {
    let events = try recording { _ in
      let (a, b) = try SocketDescriptor.pair(.datagram)
      _ = try a.send([UInt8](repeating: 0x78, count: 4000))
      var buffer = [UInt8](repeating: 0, count: 1024)
      let got = try buffer.withUnsafeMutableBytes { try b.receive(into: $0) }
      #expect(got.count == 1024, "the program gets what plain recv gives")
      #expect(got.datagramLength == 4000)
      #expect(got.wasCut)
      try a.close()
      try b.close()
    }
    let recv = try #require(events.first { $0.call == .recv })
    #expect(recv.ret == 1024)
    #expect(recv.data?.length == 1024)
    #expect(recv.data?.datagramLength == 4000)
    #expect(recv.data?.bytes.count == 256)
    #expect(recv.data?.isTruncated == true)
    let send = try #require(events.first { $0.call == .send })
    #expect(recv.flows == [send.flow ?? -1])
  }

  @Test("binary payloads are recorded as bytes and the capture limit is honoured")
  func binaryAndCaptureLimit() throws {
    let events = try recording(capture: 8) { _ in
      let (a, b) = try SocketDescriptor.pair(.stream)
      _ = try a.send([0, 1, 2, 0xFF, 4, 5, 6, 7, 8, 9])
      var buffer = [UInt8](repeating: 0, count: 64)
      let got = try buffer.withUnsafeMutableBytes { try b.receive(into: $0) }
      #expect(got == Received(count: 10, datagramLength: nil), "stream sockets are not asked for MSG_TRUNC")
      try a.close()
      try b.close()
    }
    let send = try #require(events.first { $0.call == .send })
    #expect(send.data == Payload(length: 10, bytes: [0, 1, 2, 0xFF, 4, 5, 6, 7]))
    #expect(send.data?.text == nil)
    let pair = try #require(events.first)
    #expect(pair.call == .socketpair)
    #expect(pair.args["fds"]?.arrayValue?.count == 2)
    #expect(pair.socket?.peer != nil)
  }

  @Test("connecting where there is no server fails with ENOENT, recorded and thrown with the path")
  func connectWithoutServer() throws {
    var thrown: SocketError?
    let events = try recording { dir in
      let client = try SocketDescriptor.open(.unix, .datagram)
      do {
        try client.connect(to: try UnixAddress(path: dir + "/nobody"))
      } catch let error as SocketError {
        thrown = error
      }
      try client.close()
    }
    #expect(thrown?.errno == .noSuchFileOrDirectory)
    #expect(thrown?.call == "connect")
    #expect(thrown?.description.hasSuffix("/nobody\"): ENOENT: No such file or directory") == true)
    let connect = try #require(events.first { $0.call == .connect })
    #expect(connect.ret == -1)
    #expect(connect.failure == CallFailure(name: "ENOENT", message: "No such file or directory"))
  }

  @Test("a stream connection records listen and accept with the new socket and its peer")
  func streamAccept() throws {
    let events = try recording { dir in
      let address = try UnixAddress(path: dir + "/stream")
      let listener = try SocketDescriptor.open(.unix, .stream)
      try listener.bind(to: address)
      try listener.listen(backlog: 4)
      let client = try SocketDescriptor.open(.unix, .stream)
      try client.connect(to: address)
      let (accepted, _) = try listener.accept(flags: SocketType(rawValue: 0).closeOnExec)
      _ = try client.send(Array("hello".utf8))
      var buffer = [UInt8](repeating: 0, count: 16)
      _ = try buffer.withUnsafeMutableBytes { try accepted.receive(into: $0) }
      try client.shutdown(.write)
      for s in [client, accepted, listener] { try s.close() }
    }
    let accept = try #require(events.first { $0.call == .accept4 })
    #expect(accept.args["flags"] == .string("SOCK_CLOEXEC"))
    let newSocket = try #require(accept.args["new_sock"]?.objectValue)
    let connect = try #require(events.first { $0.call == .connect })
    #expect(newSocket["peer"]?.intValue == Int64(connect.socket?.inode ?? 0))
    #expect(connect.socket?.peer == UInt64(newSocket["ino"]?.intValue ?? 0))
    let recv = try #require(events.first { $0.call == .recv })
    #expect(recv.data?.datagramLength == nil)
    #expect(recv.flows.count == 1)
    #expect(events.contains { $0.call == .shutdown && $0.args["how"] == .string("SHUT_WR") })
  }

  @Test("sendto, recvfrom, sendmsg, recvmsg, getsockname and setsockopt are recorded with their addresses")
  func otherCalls() throws {
    let events = try recording { dir in
      let serverAddress = try UnixAddress(path: dir + "/srv")
      let clientAddress = try UnixAddress(abstract: "sockscope-test-\(getpid())")
      let server = try SocketDescriptor.open(.unix, .datagram)
      try server.bind(to: serverAddress)
      let client = try SocketDescriptor.open(.unix, .datagram)
      try client.bind(to: clientAddress)
      try client.setOption(16 /* SO_PASSCRED */, to: 0)
      #expect(try client.localAddress() == clientAddress)
      _ = try Array("one".utf8).withUnsafeBytes { try client.send($0, to: serverAddress) }
      var buffer = [UInt8](repeating: 0, count: 64)
      let (_, from) = try buffer.withUnsafeMutableBytes { try server.receiveFrom(into: $0) }
      #expect(from == clientAddress)
      let parts = [Array("tw".utf8), Array("o".utf8)]
      _ = try parts[0].withUnsafeBytes { p0 in
        try parts[1].withUnsafeBytes { p1 in try client.sendMessage([p0, p1], to: serverAddress) }
      }
      let (got, _, _) = try buffer.withUnsafeMutableBytes { try server.receiveMessage(into: $0) }
      #expect(got.count == 3)
      try client.close()
      try server.close()
    }
    let sendto = try #require(events.first { $0.call == .sendto })
    #expect(sendto.addressPath?.hasSuffix("/srv") == true)
    let recvfrom = try #require(events.first { $0.call == .recvfrom })
    #expect(recvfrom.addressPath?.hasPrefix("@sockscope-test-") == true)
    #expect(recvfrom.flows == [sendto.flow ?? -1])
    let sendmsg = try #require(events.first { $0.call == .sendmsg })
    #expect(sendmsg.data?.text == "two")
    let recvmsg = try #require(events.first { $0.call == .recvmsg })
    #expect(recvmsg.data?.text == "two")
    #expect(recvmsg.flows == [sendmsg.flow ?? -1])
    #expect(events.contains { $0.call == .getsockname })
    #expect(events.contains { $0.call == .setsockopt && $0.args["optname"] == .string("SO_PASSCRED") })
  }

  @Test("a path longer than sun_path is refused before the kernel sees it, with the limit and a fix")
  func pathTooLong() {
    let long = "/tmp/" + String(repeating: "d", count: 195)
    #expect(throws: AddressError.pathTooLong(path: long, length: 200, limit: 107)) {
      try UnixAddress(path: long)
    }
    let message = AddressError.pathTooLong(path: long, length: 200, limit: 107).description
    #expect(message.contains("at most 107 bytes"))
    #expect(message.contains("Use a shorter path"))
    #expect(throws: AddressError.emptyPath) { try UnixAddress(path: "") }
    #expect(throws: AddressError.containsNUL(path: "a\0b")) { try UnixAddress(path: "a\0b") }
    #expect((try? UnixAddress(path: String(repeating: "p", count: 107))) != nil)
  }

  @Test("a stale socket file is removed, but a regular file or a symbolic link is never touched")
  func staleSocketRemoval() throws {
    try withTemporaryDirectory { dir in
      let socketPath = dir + "/stale"
      let s = try SocketDescriptor.open(.unix, .datagram)
      try s.bind(to: try UnixAddress(path: socketPath))
      try s.close()
      #expect(try SocketFile.removeStale(at: socketPath))
      #expect(try SocketFile.kind(at: socketPath) == .missing)
      #expect(try SocketFile.removeStale(at: socketPath) == false)

      let filePath = dir + "/notes.txt"
      try "precious".write(toFile: filePath, atomically: true, encoding: .utf8)
      #expect(throws: SocketFileError.notASocket(path: filePath, kind: "regular file")) {
        try SocketFile.removeStale(at: filePath)
      }
      #expect(try String(contentsOfFile: filePath, encoding: .utf8) == "precious")

      let linkPath = dir + "/link"
      try FileManager.default.createSymbolicLink(atPath: linkPath, withDestinationPath: filePath)
      #expect(throws: SocketFileError.notASocket(path: linkPath, kind: "symbolic link")) {
        try SocketFile.removeStale(at: linkPath)
      }
      #expect(try SocketFile.kind(at: linkPath) == .other("symbolic link"))
    }
  }

  @Test("a receive interrupted by a signal (EINTR) is retried, and each attempt is recorded")
  func retriesOnInterrupt() throws {
    let driver = MockingDriver()
    var got: Received?
    let events = try recording { _ in
      let (a, b) = try SocketDescriptor.pair(.datagram)
      _ = try a.send(Array("x".utf8))
      driver.force(.counted(.interrupted, count: 1), on: "recv")
      var buffer = [UInt8](repeating: 0, count: 8)
      got = try driver.withMocking { try buffer.withUnsafeMutableBytes { try b.receive(into: $0) } }
      try a.close()
      try b.close()
    }
    #expect(got?.count == 1)
    #expect(driver.entries.filter { $0.name == "recv" }.count == 2)
    let receives = events.filter { $0.call == .recv }
    #expect(receives.map(\.failure?.name) == ["EINTR", nil])
  }

  @Test("close is never retried on EINTR, and a forced error surfaces as a typed error")
  func forcedErrors() throws {
    let driver = MockingDriver()
    let (a, b) = try SocketDescriptor.pair(.datagram)
    driver.force(.always(.interrupted), on: "close")
    #expect(throws: SocketError(call: "close", errno: .interrupted)) {
      try driver.withMocking { try a.close() }
    }
    #expect(driver.entries.map(\.name) == ["close"])
    driver.force(.always(.noSuchFileOrDirectory), on: "bind")
    #expect(throws: SocketError(call: "bind", errno: .noSuchFileOrDirectory, context: "/x")) {
      try driver.withMocking { try b.bind(to: try UnixAddress(path: "/x")) }
    }
    try a.close()
    try b.close()
  }

  @Test("without a recorder nothing is written and calls behave the same")
  func untracedCalls() throws {
    #expect(!Recorder.isRecording)
    let (a, b) = try SocketDescriptor.pair(.datagram)
    _ = try a.send([UInt8](repeating: 1, count: 2000))
    var buffer = [UInt8](repeating: 0, count: 1024)
    let got = try buffer.withUnsafeMutableBytes { try b.receive(into: $0) }
    #expect(got == Received(count: 1024, datagramLength: nil))
    try a.close()
    try b.close()
  }

  @Test("recording into a directory that cannot be written is a clear error at start")
  func unwritableDirectory() throws {
    try withTemporaryDirectory { dir in
      let file = dir + "/plain-file"
      try "x".write(toFile: file, atomically: true, encoding: .utf8)
      #expect(throws: RecorderError.self) { try Recorder.start(directory: file + "/trace", role: "t") }
      #expect(!Recorder.isRecording)
    }
    if getuid() != 0 {
      #expect(throws: RecorderError.self) { try Recorder.start(directory: "/proc/sockscope", role: "t") }
    }
  }

  @Test("output events carry what the program printed")
  func outputEvents() throws {
    let events = try recording { _ in Recorder.output("Слушаем...\n") }
    #expect(events.count == 1)
    #expect(events[0].call == .output)
    #expect(events[0].args["stream"] == .string("stdout"))
    #expect(events[0].data?.text == "Слушаем...\n")
  }
}
