import Foundation
import Testing

@testable import SockScopeTrace

@Suite("Typed call arguments")
struct CallArgumentsTests {
  /// An event line with `args` and `call` in place; the rest fixed.
  static func line(_ call: String, _ args: String) -> [UInt8] {
    Array(
      (#"{"index":0,"t_ns":1,"dur_ns":1,"pid":7,"tid":7,"seq":0,"role":"r","call":""# + call
        + #"","fd":3,"args":"# + args + #","ret":0}"#).utf8)
  }

  static func event(_ call: String, _ args: String) throws -> TraceEvent {
    let bytes = line(call, args)
    let outcome = bytes.withUnsafeBufferPointer { TraceFile.decodeLine($0, isHeader: false) }
    #expect(outcome.problems.isEmpty, "\(outcome.problems)")
    return try #require(outcome.event)
  }

  static func written(_ e: TraceEvent) -> String {
    var w = JSONWriter()
    e.write(to: &w)
    return String(decoding: w.bytes, as: UTF8.self)
  }

  /// Every trace fixture that is a valid version 2 trace (version 1 files are reordered when read).
  static func traceFixtures() throws -> [(name: String, bytes: [UInt8])] {
    var found = [("demo-trace.jsonl", try Fixture.bytes("demo-trace.jsonl"))]
    let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../Fuzz/corpus/trace-reader").standardized.path
    for name in (try? FileManager.default.contentsOfDirectory(atPath: corpus))?.sorted() ?? [] {
      guard let data = FileManager.default.contents(atPath: corpus + "/" + name) else { continue }
      found.append((name, Array(data)))
    }
    return found
  }

  @Test("a trace sockscope wrote reads and writes back byte for byte")
  func tracesRoundTripByteForByte() throws {
    // The fixtures are version 1 files (read into version 2, in causal order): what sockscope
    // writes of them is a version 2 trace, which must come back unchanged.
    var checked = 0
    for (name, bytes) in try Self.traceFixtures() {
      let first = TraceFile.parse(bytes, file: name)
      guard first.problems.isEmpty else { continue }
      let written = TraceFile.encodedBytes(first.trace)
      let result = TraceFile.parse(written, file: name)
      #expect(result.problems.isEmpty, "\(name): \(result.problems)")
      checked += 1
      let again = TraceFile.encodedBytes(result.trace)
      let before = written.split(separator: 0x0A, omittingEmptySubsequences: false)
      let after = again.split(separator: 0x0A, omittingEmptySubsequences: false)
      #expect(before.count == after.count, "\(name): line count")
      for (n, (a, b)) in zip(before, after).enumerated() where a != b {
        Issue.record(
          "\(name):\(n + 1) changed:\n\(String(decoding: a, as: UTF8.self))\n\(String(decoding: b, as: UTF8.self))"
        )
        break
      }
      // And the typed arguments read from what was written are the same.
      #expect(result.trace.events.map(\.arguments) == first.trace.events.map(\.arguments))
    }
    #expect(checked >= 1, "the demo trace was checked")
  }

  @Test("every event line of every fixture that reads without a problem is written back byte for byte")
  func fixtureLinesRoundTrip() throws {
    var checked = 0
    for (name, bytes) in try Self.traceFixtures() + [
      ("invalid-lines.jsonl", try Fixture.bytes("invalid-lines.jsonl"))
    ] {
      for (n, line) in bytes.split(separator: 0x0A).enumerated() where n > 0 {
        let outcome = Array(line).withUnsafeBufferPointer { TraceFile.decodeLine($0, isHeader: false) }
        guard outcome.problems.isEmpty, let event = outcome.event else { continue }
        checked += 1
        #expect(Self.written(event) == String(decoding: line, as: UTF8.self), "\(name):\(n + 1)")
      }
    }
    #expect(checked > 100)
  }

  @Test("arguments read from a line are typed: socket type, flags, addresses, the accepted socket")
  func typedFromLine() throws {
    let socket = try Self.event(
      "socketpair", #"{"domain":"AF_UNIX","type":"SOCK_STREAM|SOCK_CLOEXEC","protocol":0,"fds":[3,4]}"#)
    #expect(socket.arguments.socket?.domain == .unix)
    #expect(socket.arguments.socket?.type?.isStream == true)
    #expect(socket.arguments.socket?.type?.baseName == "SOCK_STREAM")
    #expect(socket.arguments.socket?.descriptors == [3, 4])

    let recv = try Self.event(
      "recvmsg",
      #"{"len":16,"flags":"MSG_DONTWAIT|MSG_TRUNC","msg_flags":"MSG_CTRUNC","controllen":0,"addr":{"abstract":"x"}}"#
    )
    #expect(recv.arguments.length == 16)
    #expect(recv.arguments.messageFlags?.contains(.truncate) == true)
    #expect(recv.arguments.messageFlags?.contains(.peek) == false)
    #expect(recv.arguments.message?.returnedFlags?.contains(.controlTruncated) == true)
    #expect(recv.addressPath == "@x")

    let accept = try Self.event(
      "accept4", #"{"flags":"SOCK_CLOEXEC","new_sock":{"ino":215794,"peer":216926}}"#)
    #expect(accept.arguments.acceptedSocket == SocketIdentity(inode: 215794, peer: 216926))

    let bind = try Self.event("bind", #"{"addr":{"path":"./echo.socket","ino":777},"addrlen":16}"#)
    #expect(bind.address == SocketAddress(.path("./echo.socket"), inode: 777))
    #expect(bind.arguments.addressLength == 16)

    let unlink = try Self.event("unlink", #"{"path":"./echo.socket","ino":777}"#)
    #expect(unlink.arguments.unlinkedPath == "./echo.socket")
    #expect(unlink.namedPath == "./echo.socket")

    let option = try Self.event(
      "setsockopt", #"{"level":"SOL_SOCKET","optname":"SO_PASSCRED","value":1,"optlen":4}"#)
    #expect(option.arguments.option?.option?.rawValue == 16)
    #expect(option.arguments.option?.value == 1)
  }

  @Test("keys this reader does not know survive reading and writing, in their place")
  func unknownKeysSurvive() throws {
    let args =
      #"{"len":5,"rights":[{"fd":5,"ino":14695}],"flags":"0","creds":{"pid":1,"uid":0,"gid":0},"zz":null}"#
    let e = try Self.event("sendmsg", args)
    #expect(e.arguments.length == 5)
    #expect(e.unreadArguments.members.keys == ["zz"])
    #expect(e.arguments.message?.rights == [PassedDescriptor(fd: 5, inode: 14695)])
    #expect(e.arguments.message?.credentials == Credentials(pid: 1, uid: 0, gid: 0))
    #expect(Self.written(e) == String(decoding: Self.line("sendmsg", args), as: UTF8.self))
  }

  @Test("a line's own spelling is written back as read; a changed argument is written the writer's way")
  func spellingKeptUntilChanged() throws {
    // Flags in another order, a key order of another writer, AF_LOCAL for AF_UNIX.
    for (call, args) in [
      ("recv", #"{"flags":"MSG_DONTWAIT|MSG_TRUNC","len":5}"#),
      ("socket", #"{"type":"SOCK_DGRAM","domain":"AF_LOCAL","protocol":0}"#),
      ("bind", #"{"addrlen":16,"addr":{"ino":3,"path":"p"}}"#),
    ] {
      let e = try Self.event(call, args)
      #expect(Self.written(e) == String(decoding: Self.line(call, args), as: UTF8.self))
    }
    var e = try Self.event("recv", #"{"flags":"MSG_DONTWAIT|MSG_TRUNC","len":5}"#)
    #expect(e.arguments.messageFlags == MessageFlags(rawValue: 0x60))
    e.arguments = .message(MessageArguments(length: 9, flags: e.arguments.messageFlags))
    #expect(
      Self.written(e)
        == String(decoding: Self.line("recv", #"{"len":9,"flags":"MSG_TRUNC|MSG_DONTWAIT"}"#), as: UTF8.self))
  }

  @Test("a value of a known key that cannot be typed is kept as it was, and validation still reports it")
  func untypableValueKept() throws {
    let bytes = Self.line("socket", #"{"domain":"AF_UNIX","type":"SOCK_BANANA"}"#)
    let e = try Self.event("socket", #"{"domain":"AF_UNIX","type":"SOCK_BANANA"}"#)
    #expect(e.arguments.socket?.type == nil)
    #expect(e.unreadArguments.members["type"] == .string("SOCK_BANANA"))
    #expect(Self.written(e) == String(decoding: bytes, as: UTF8.self))
    let wrongType = Self.line("listen", #"{"backlog":"five"}"#)
    let outcome = wrongType.withUnsafeBufferPointer { TraceFile.decodeLine($0, isHeader: false) }
    #expect(outcome.problems.map(\.field) == ["args.backlog"])
  }

  @Test("the binary-log reader's typed arguments write the same JSON the format documents")
  func recordedArgumentsWriteAsDocumented() throws {
    let e = TraceEvent(
      time: 1, pid: 7, role: "r", call: .recvmsg, fd: 3,
      arguments: .message(
        MessageArguments(
          length: 1024, flags: MessageFlags(rawValue: 0x20), returnedFlags: MessageFlags(rawValue: 0),
          address: SocketAddress(.unnamed), controlLength: 0)))
    #expect(
      Self.written(e).contains(
        #""args":{"len":1024,"flags":"MSG_TRUNC","msg_flags":"0","controllen":0,"addr":{"unnamed":true}}"#))
    let empty = TraceEvent(time: 1, pid: 7, role: "r", call: .getsockname, arguments: .name(address: nil))
    #expect(empty.arguments == .none, "empty arguments are .none, as {} reads back")
  }

  @Test("typed descriptor arguments do not grow an event: rare arguments are boxed, not stored inline")
  func eventStaysSmall() {
    // The merge holds a million events (docs/performance-notes.md). Measured before the descriptor
    // calls' arguments were typed: an event's stride 296 bytes (216 before `source`), the arguments
    // 26 (a send's or receive's length and flags inline, 25). Every case added since is boxed.
    #expect(MemoryLayout<TraceEvent>.stride <= 296, "stride \(MemoryLayout<TraceEvent>.stride)")
    #expect(MemoryLayout<CallArguments>.size <= 26, "size \(MemoryLayout<CallArguments>.size)")
    #expect(MemoryLayout<MessageArguments>.size <= 25, "size \(MemoryLayout<MessageArguments>.size)")
  }
}
