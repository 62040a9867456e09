import Foundation
import Glibc
import Testing

@testable import SockScopeSockets

/// A path of exactly `length` bytes inside `dir`.
private func path(in dir: String, length: Int) -> String {
  let prefix = dir + "/"
  return prefix + String(repeating: "p", count: length - prefix.utf8.count)
}

/// The `sun_path` limit at its boundary: 107 bytes is the longest path the socket layer passes
/// (with its terminating NUL, sun_path's 108 bytes are full); 108 is refused before any call.
@Suite("The sun_path limit")
struct SunPathLimitTests {
  @Test("a 107-byte path is bound, and a datagram sent to it arrives")
  func longestPathWorks() throws {
    try withTemporaryDirectory { dir throws in
      let longest = path(in: dir, length: 107)
      #expect(UnixAddress.maximumPathLength == 107)
      let server = try SocketDescriptor.open(.unix, .datagram)
      defer { try? server.close() }
      try server.bind(to: try UnixAddress(path: longest))
      #expect(try SocketFile.kind(at: longest) == .socket)
      let client = try SocketDescriptor.open(.unix, .datagram)
      defer { try? client.close() }
      try client.connect(to: try UnixAddress(path: longest))
      _ = try client.send(Array("hi".utf8))
      var buffer = [UInt8](repeating: 0, count: 16)
      let got = try buffer.withUnsafeMutableBytes { try server.receive(into: $0) }
      #expect(Array(buffer[..<got.count]) == Array("hi".utf8))
    }
  }

  @Test("a 108-byte path is refused before the kernel sees it, saying its length, the limit and a fix")
  func oneByteMoreIsRefused() throws {
    try withTemporaryDirectory { dir throws in
      let tooLong = path(in: dir, length: 108)
      #expect(throws: AddressError.pathTooLong(path: tooLong, length: 108, limit: 107)) {
        try UnixAddress(path: tooLong)
      }
      let message = AddressError.pathTooLong(path: tooLong, length: 108, limit: 107).description
      #expect(message.contains("is 108 bytes"))
      #expect(message.contains("at most 107 bytes"))
      #expect(message.contains("Use a shorter path"))
      #expect(try SocketFile.kind(at: tooLong) == .missing, "nothing was created")
      // An abstract name has no NUL at its end, but one at its start: 107 bytes fit, 108 do not.
      #expect((try? UnixAddress(abstract: String(repeating: "a", count: 107))) != nil)
      #expect(throws: AddressError.self) { try UnixAddress(abstract: String(repeating: "a", count: 108)) }
    }
  }

  /// What the message says of Linux, measured: it binds a 108-byte path passed without a NUL
  /// (addrlen 110, all of sockaddr_un), and `getsockname` then reports 111 bytes, more than a
  /// `sockaddr_un` holds, so a reader of that size gets the path without its end.
  @Test("Linux itself binds a 108-byte path given without its NUL, which is why the limit is the layer's")
  func kernelTakesUnterminatedPath() throws {
    try withTemporaryDirectory { dir throws in
      let full = path(in: dir, length: 108)
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, b) in full.utf8.enumerated() { raw[i] = b }
      }
      let s = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
      try #require(s >= 0)
      defer { Glibc.close(s) }
      let size = socklen_t(MemoryLayout<sockaddr_un>.size)
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(s, $0, size) }
      }
      #expect(bound == 0, "errno \(errno)")
      var name = sockaddr_un()
      var length = size
      _ = withUnsafeMutablePointer(to: &name) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &length) }
      }
      #expect(length == size + 1, "the name's NUL does not fit in sockaddr_un")
      #expect(FileManager.default.fileExists(atPath: full))
    }
  }
}
