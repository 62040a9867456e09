import CSockScopeLog
import Foundation
import Glibc
import SockScopeMerge
import SockScopeTrace
import Testing

@testable import SockScopeSockets

/// The descriptors of this process that name `path` (from /proc/self/fd).
func descriptors(naming path: String) -> [String] {
  let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
  return entries.filter {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path
  }
}

extension SocketLayerTests {
  @Test("recording keeps no descriptor of its log, even while the log grows past its first 1 MiB")
  func logHoldsNoDescriptor() throws {
    var held: [String] = ["not checked"]
    let events = try recording { dir in
      let logPath = try #require(Recorder.logPath)
      #expect(logPath.hasPrefix("/"), "the log is reached by an absolute path, whatever the cwd becomes")
      let (a, b) = try SocketDescriptor.pair(.datagram)
      let payload = [UInt8](repeating: 0x61, count: 200)
      var buffer = [UInt8](repeating: 0, count: 256)
      // About 310 bytes per record: 8000 records need two growths of the 1 MiB log and ten reserved pieces.
      for _ in 0..<4000 {
        _ = try a.send(payload)
        _ = try buffer.withUnsafeMutableBytes { try b.receive(into: $0) }
      }
      held = descriptors(naming: logPath)
      try a.close()
      try b.close()
    }
    #expect(held.isEmpty, "descriptors open on the log: \(held)")
    #expect(events.filter { $0.call == .send }.count == 4000)
    #expect(events.filter { $0.call == .recv }.count == 4000)
  }

  @Test(
    "sendto and sendmsg to a path record the inode of the socket file reached, through a symbolic link too")
  func sendToRecordsFileInode() throws {
    let events = try recording { dir in
      let server = try SocketDescriptor.open(.unix, .datagram)
      try server.bind(to: UnixAddress(path: dir + "/srv"))
      #expect(symlink(dir + "/srv", dir + "/link") == 0)
      let client = try SocketDescriptor.open(.unix, .datagram)
      _ = try Array("one".utf8).withUnsafeBytes { try client.send($0, to: UnixAddress(path: dir + "/link")) }
      _ = try Array("two".utf8).withUnsafeBytes {
        try client.sendMessage([$0], to: UnixAddress(path: dir + "/srv"))
      }
      // A send that fails reaches no file: no inode.
      #expect(throws: SocketError.self) {
        try Array("x".utf8).withUnsafeBytes { try client.send($0, to: UnixAddress(path: dir + "/none")) }
      }
      try client.close()
      try server.close()
    }
    let bound = try #require(events.first { $0.call == .bind }?.address?.inode)
    let sends = events.filter { $0.call == .sendto || $0.call == .sendmsg }
    #expect(sends.count == 3)
    #expect(sends[0].address?.inode == bound, "the link was followed to the bound socket file")
    #expect(sends[1].address?.inode == bound)
    #expect(sends[2].address?.inode == nil)
  }

  @Test("a role longer than 63 bytes is cut after a whole character, and the trace says it was cut")
  func longRoleIsCutAtACharacter() throws {
    let role = String(repeating: "р", count: 40)  // 80 bytes; 63 would end inside a letter
    var problems: [String] = []
    let events = try recording(role: role) { dir in
      try SocketDescriptor.open(.unix, .datagram).close()
    }
    #expect(events.first?.role == String(repeating: "р", count: 31))
    #expect(events.allSatisfy { !$0.role.contains("\u{FFFD}") })
    try withTemporaryDirectory { dir in
      try Recorder.start(directory: dir + "/t", role: "short", captureLimit: 16)
      Recorder.setRole("client#" + String(repeating: "ж", count: 30))
      try SocketDescriptor.open(.unix, .datagram).close()
      Recorder.finish()
      problems = try TraceMerger.merge(directory: dir + "/t").trace.header.problems
    }
    #expect(
      problems.contains { $0.contains("its role was 67 bytes; a log keeps at most 63 bytes of a role") })
  }

  @Test("a role of at most 63 bytes is accepted; a longer one is refused with the limit")
  func roleLimit() {
    #expect(Recorder.roleProblem(String(repeating: "a", count: 63)) == nil)
    #expect(Recorder.roleProblem(String(repeating: "я", count: 31)) == nil)
    let problem = Recorder.roleProblem(String(repeating: "я", count: 32))
    #expect(problem?.hasPrefix("--role is 64 bytes of UTF-8; a role holds at most 63 bytes") == true)
  }

  @Test("the UTF-8 prefix never ends inside a character")
  func utf8Prefix() {
    func prefix(_ s: String, _ limit: Int) -> Int { sockscope_utf8_prefix(s, limit) }
    #expect(prefix("abc", 63) == 3)
    #expect(prefix("abcd", 3) == 3)
    #expect(prefix("aяb", 2) == 1, "я is two bytes: it does not fit after a")
    #expect(prefix("aяb", 3) == 3)
    #expect(prefix("😀😀", 7) == 4)
    #expect(prefix("😀", 3) == 0)
  }

  @Test("a character cut short at the end of a name is dropped, a whole one kept")
  func utf8Complete() {
    func complete(_ bytes: [UInt8]) -> Int {
      bytes.withUnsafeBufferPointer { p in
        p.withMemoryRebound(to: CChar.self) { sockscope_utf8_complete($0.baseAddress, $0.count) }
      }
    }
    let name = Array("программа".utf8)
    #expect(complete(Array(name.prefix(15))) == 14, "the kernel's 15 bytes end inside м")
    #expect(complete(Array(name.prefix(14))) == 14)
    #expect(complete(Array("abc".utf8)) == 3)
    #expect(complete(Array("a😀".utf8).dropLast()) == 1)
    #expect(complete(Array("a😀".utf8)) == 5)
    #expect(complete([]) == 0)
  }
}
