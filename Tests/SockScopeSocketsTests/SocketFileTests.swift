import Foundation
import Glibc
import Testing

@testable import SockScopeSockets

@Suite("Socket files: what is removed and when")
struct SocketFileTests {
  @Test(
    "a socket file that a live datagram, stream or seqpacket socket is bound to is never removed",
    arguments: [SocketType.datagram, .stream, .sequencedPacket])
  func liveSocketIsKept(type: SocketType) throws {
    try withTemporaryDirectory { dir in
      let path = dir + "/live"
      let live = try SocketDescriptor.open(.unix, type)
      defer { try? live.close() }
      try live.bind(to: try UnixAddress(path: path))
      if type != .datagram { try live.listen(backlog: 1) }
      #expect(throws: SocketFileError.inUse(path: path)) { try SocketFile.removeStale(at: path) }
      #expect(try SocketFile.kind(at: path) == .socket)
      let message = SocketFileError.inUse(path: path).description
      #expect(message.contains("another server is running on \"\(path)\""))
      #expect(message.contains("--socket PATH"))
    }
  }

  @Test("a bound stream socket that does not listen yet counts as live too")
  func boundStreamIsKept() throws {
    try withTemporaryDirectory { dir in
      let path = dir + "/bound"
      let bound = try SocketDescriptor.open(.unix, .stream)
      defer { try? bound.close() }
      try bound.bind(to: try UnixAddress(path: path))
      #expect(throws: SocketFileError.inUse(path: path)) { try SocketFile.removeStale(at: path) }
    }
  }

  @Test("a socket file whose socket was closed is stale and removed; the probe leaves no socket file behind")
  func staleIsRemoved() throws {
    try withTemporaryDirectory { dir in
      let path = dir + "/stale"
      let s = try SocketDescriptor.open(.unix, .datagram)
      try s.bind(to: try UnixAddress(path: path))
      try s.close()
      #expect(try SocketFile.removeStale(at: path))
      #expect(try SocketFile.kind(at: path) == .missing)
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
  }

  @Test("a connect test that fails otherwise (EACCES) leaves the socket file and says it cannot tell")
  func undecidedProbeKeepsFile() throws {
    try withTemporaryDirectory { dir in
      let path = dir + "/stale"
      let s = try SocketDescriptor.open(.unix, .datagram)
      try s.bind(to: try UnixAddress(path: path))
      try s.close()
      let driver = MockingDriver()
      driver.force(.always(.permissionDenied), on: "connect")
      let thrown = #expect(throws: SocketFileError.self) {
        try driver.withMocking { try SocketFile.removeStale(at: path) }
      }
      guard case .cannotProbe(path, let error) = thrown else {
        Issue.record("expected cannotProbe, got \(String(describing: thrown))")
        return
      }
      #expect(error.errno == .permissionDenied)
      #expect(thrown?.description.contains("cannot tell whether a server is running on \"\(path)\"") == true)
      #expect(try SocketFile.kind(at: path) == .socket)
      #expect(!driver.entries.contains { $0.name == "unlink" })
    }
  }

  @Test("a stale socket file one may not remove is reported with its owner as the fix")
  func unremovableStaleFile() throws {
    try withTemporaryDirectory { dir in
      let path = dir + "/stale"
      let s = try SocketDescriptor.open(.unix, .datagram)
      try s.bind(to: try UnixAddress(path: path))
      try s.close()
      let driver = MockingDriver()
      driver.force(.always(Errno(rawValue: EPERM)), on: "unlink")
      let thrown = #expect(throws: SocketFileError.self) {
        try driver.withMocking { try SocketFile.removeStale(at: path) }
      }
      let message = thrown?.description ?? ""
      #expect(message.contains("unlink(\"\(path)\"): EPERM"), "\(message)")
      #expect(message.contains("you may not remove this stale socket file"))
      #expect(message.contains("--socket PATH"))
    }
  }

  @Test(
    "removeOwn removes the file this process bound, and leaves another socket bound at the same path later")
  func removeOwnChecksIdentity() throws {
    try withTemporaryDirectory { dir in
      let path = dir + "/echo.socket"
      let first = try SocketDescriptor.open(.unix, .datagram)
      try first.bind(to: try UnixAddress(path: path))
      let firstIdentity = try #require(try SocketFile.identity(at: path))
      // Someone removes the name while the first socket lives, and a second server binds the path.
      try SocketFile.unlink(path)
      let second = try SocketDescriptor.open(.unix, .datagram)
      defer { try? second.close() }
      try second.bind(to: try UnixAddress(path: path))
      let secondIdentity = try #require(try SocketFile.identity(at: path))
      #expect(firstIdentity != secondIdentity)

      try first.close()
      #expect(try SocketFile.removeOwn(at: path, identity: firstIdentity) == false)
      #expect(try SocketFile.kind(at: path) == .socket, "the second server's socket file is still there")
      #expect(try SocketFile.removeOwn(at: path, identity: secondIdentity))
      #expect(try SocketFile.kind(at: path) == .missing)
      #expect(try SocketFile.removeOwn(at: path, identity: secondIdentity) == false, "nothing left to remove")
    }
  }

  @Test("removeOwn never removes a regular file put where the socket file was")
  func removeOwnLeavesOtherFiles() throws {
    try withTemporaryDirectory { dir in
      let path = dir + "/echo.socket"
      let s = try SocketDescriptor.open(.unix, .datagram)
      try s.bind(to: try UnixAddress(path: path))
      let identity = try #require(try SocketFile.identity(at: path))
      try s.close()
      try SocketFile.unlink(path)
      try "precious".write(toFile: path, atomically: false, encoding: .utf8)
      #expect(try SocketFile.removeOwn(at: path, identity: identity) == false)
      #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
    }
  }

  @Test("following links, a link to a socket is a socket and a dangling link is missing; lstat sees the link")
  func kindFollowingLinks() throws {
    try withTemporaryDirectory { dir in
      let path = dir + "/real"
      let s = try SocketDescriptor.open(.unix, .datagram)
      defer { try? s.close() }
      try s.bind(to: try UnixAddress(path: path))
      try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: path)
      try FileManager.default.createSymbolicLink(
        atPath: dir + "/dangling", withDestinationPath: dir + "/none")
      #expect(try SocketFile.kind(at: dir + "/link", followingLinks: true) == .socket)
      #expect(try SocketFile.kind(at: dir + "/link") == .other("symbolic link"))
      #expect(try SocketFile.kind(at: dir + "/dangling", followingLinks: true) == .missing)
      #expect(try SocketFile.kind(at: dir + "/dangling") == .other("symbolic link"))
    }
  }
}
