import CSockScopeLog
import Glibc
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

extension LogImage {
  /// Appends a META record defining `id` as `name`.
  mutating func define(
    _ kind: sockscope_meta_record, id: Int64, name: String, bias: Int64 = 0
  ) {
    var r = sockscope_record()
    r.call = UInt16(kind.rawValue)
    r.a0 = id
    r.a1 = bias
    let text = Array(name.utf8)
    r.addr_len = UInt32(text.count)
    let body = MemoryLayout<sockscope_record>.size + text.count
    r.size = UInt32((body + 7) & ~7)
    r.magic = SOCKSCOPE_RECORD_MAGIC
    withUnsafeBytes(of: r) { bytes += $0 }
    bytes += text + [UInt8](repeating: 0, count: Int(r.size) - body)
  }

  /// Appends an event with `items` after its payload; `extraLength` overrides the length the record
  /// claims for them (to damage it).
  mutating func append(
    _ call: sockscope_call, ret: Int64 = 0, at time: UInt64, data: String = "", items: [sockscope_item],
    extraLength: UInt32? = nil, configure: (inout sockscope_record) -> Void = { _ in }
  ) {
    var r = sockscope_record()
    r.call = UInt16(call.rawValue)
    r.fd = 3
    r.ret = ret
    r.t_ns = time
    r.seq = UInt64(count)
    r.sock_ino = 500
    let payload = Array(data.utf8)
    r.data_len = UInt32(payload.count)
    var extra: [UInt8] = []
    for item in items { withUnsafeBytes(of: item) { extra += $0 } }
    r.extra_len = extraLength ?? UInt32(extra.count)
    configure(&r)
    let body = MemoryLayout<sockscope_record>.size + payload.count + extra.count
    r.size = UInt32((body + 7) & ~7)
    r.magic = SOCKSCOPE_RECORD_MAGIC
    withUnsafeBytes(of: r) { bytes += $0 }
    bytes += payload + extra + [UInt8](repeating: 0, count: Int(r.size) - body)
    count += 1
  }

  /// A version 1 log: 128-byte records, without the source and item fields.
  static func version1(_ build: (inout LogImage) -> Void) -> [UInt8] {
    var modern = LogImage()
    build(&modern)
    var old = Array(modern.bytes[0..<Int(SOCKSCOPE_LOG_HEADER_SIZE)])
    old.withUnsafeMutableBytes { raw in
      raw.storeBytes(
        of: UInt32(1), toByteOffset: 8,
        as: UInt32.self)
    }
    var offset = Int(SOCKSCOPE_LOG_HEADER_SIZE)
    let full = MemoryLayout<sockscope_record>.size
    let short = Int(SOCKSCOPE_RECORD_V1_SIZE)
    while offset + full <= modern.bytes.count {
      var r = modern.bytes.withUnsafeBytes {
        $0.loadUnaligned(fromByteOffset: offset, as: sockscope_record.self)
      }
      if r.magic == 0 { break }
      let tail = Int(r.addr_len) + Int(r.data_len)
      let oldSize = (short + tail + 7) & ~7
      let size = Int(r.size)
      r.size = UInt32(oldSize)
      withUnsafeBytes(of: r) { old += $0.prefix(short) }
      old += modern.bytes[(offset + full)..<(offset + full + tail)]
      old += [UInt8](repeating: 0, count: oldSize - short - tail)
      offset += size
    }
    return old
  }
}

func item(_ kind: sockscope_item_kind, _ x: Int64, _ y: Int64 = 0, _ z: Int64 = 0) -> sockscope_item {
  sockscope_item(kind: Int64(kind.rawValue), x: x, y: y, z: z)
}

@Suite("Per-process logs, version 2: sources and call items")
struct ProcessLogVersionTests {
  @Test("a version 1 log (128-byte records) still reads, with the same events")
  func readsVersion1() throws {
    let build: (inout LogImage) -> Void = { log in
      log.append(SOCKSCOPE_CALL_SOCKET, ret: 3, at: 10) {
        $0.a0 = 1; $0.a1 = 2
      }
      log.append(SOCKSCOPE_CALL_BIND, at: 20, address: "./echo.socket") {
        $0.a0 = 16; $0.a1 = 1
      }
      log.append(SOCKSCOPE_CALL_RECV, ret: 6, at: 30, data: "Лев") { $0.a0 = 1024 }
    }
    var modern = LogImage()
    build(&modern)
    let old = try ProcessLog.decode(LogImage.version1(build), path: "old.sslog")
    let new = try ProcessLog.decode(modern.bytes, path: "new.sslog")
    #expect(old.problems.isEmpty, "\(old.problems)")
    #expect(old.events.map(\.call) == [.socket, .bind, .recv])
    #expect(old.events == new.events)
    #expect(old.events[1].addressPath == "./echo.socket")
    #expect(old.events[2].data?.text == "Лев")
  }

  @Test("a log from a newer writer (one version past this reader's) is refused with both versions named")
  func refusesNewer() {
    var log = LogImage()
    log.bytes.withUnsafeMutableBytes { raw in
      raw.storeBytes(
        of: SOCKSCOPE_LOG_VERSION + 1, toByteOffset: 8,
        as: UInt32.self)
    }
    #expect(throws: TraceFileError.self) { try ProcessLog.decode(log.bytes, path: "x.sslog") }
  }

  @Test("sources: a file, line and function by interned names; native code by module and offset")
  func sources() throws {
    var log = LogImage()
    log.define(SOCKSCOPE_META_STRING, id: 1, name: "client.py")
    log.define(SOCKSCOPE_META_STRING, id: 2, name: "<module>")
    log.define(SOCKSCOPE_META_MODULE, id: 3, name: "/usr/bin/socat", bias: 0x5555_0000_0000)
    log.append(SOCKSCOPE_CALL_SEND, ret: 2, at: 10, data: "hi") {
      $0.src_file = 1
      $0.src_line = 29
      $0.src_func = 2
    }
    log.append(SOCKSCOPE_CALL_SEND, ret: 2, at: 20, data: "hi") {
      $0.caller = 0x5555_0000_1234
      $0.src_module = 3
    }
    log.append(SOCKSCOPE_CALL_SEND, ret: 2, at: 30, data: "hi") { $0.src_file = 99 }  // never defined
    let decoded = try ProcessLog.decode(log.bytes, path: "x.sslog")
    #expect(decoded.problems.isEmpty)
    #expect(decoded.events.count == 3, "META records are not events")
    #expect(decoded.events.map(\.seq) == [0, 1, 2])
    #expect(decoded.events[0].source == CallSite(file: "client.py", line: 29, function: "<module>"))
    #expect(decoded.events[1].source == CallSite(module: "/usr/bin/socat", offset: 0x1234))
    #expect(decoded.events[2].source == nil)
  }

  @Test("SCM_RIGHTS, credentials and other control messages become rights, creds and cmsgs")
  func controlItems() throws {
    var log = LogImage()
    log.append(
      SOCKSCOPE_CALL_RECVMSG, ret: 1, at: 10, data: "x",
      items: [
        item(SOCKSCOPE_ITEM_RIGHT, 5, 14695), item(SOCKSCOPE_ITEM_CREDS, 1, 0, 0),
        item(SOCKSCOPE_ITEM_CMSG, 1, 99, 20), item(SOCKSCOPE_ITEM_CMSG_CUT, 1, 1, 4096),
      ]
    ) { $0.a2 = 0x8 }
    let event = try #require(try ProcessLog.decode(log.bytes, path: "x.sslog").events.first)
    #expect(event.args["rights"] == .array([.object(["fd": .int(5), "ino": .int(14695)])]))
    #expect(event.args["creds"] == .object(["pid": .int(1), "uid": .int(0), "gid": .int(0)]))
    #expect(
      event.args["cmsgs"]
        == .array([
          .object(["level": .int(1), "type": .int(99), "len": .int(20)]),
          .object(["level": .int(1), "type": .int(1), "len": .int(4096), "truncated": .bool(true)]),
        ]))
    #expect(event.args["msg_flags"] == .string("MSG_CTRUNC"))
    // Typed, as every reader sees them; written in the order the format has always had.
    let message = try #require(event.arguments.message)
    #expect(message.rights == [PassedDescriptor(fd: 5, inode: 14695)])
    #expect(message.credentials == Credentials(pid: 1, uid: 0, gid: 0))
    #expect(message.otherControlMessages?.map(\.truncated) == [false, true])
    #expect(event.unreadArguments.isEmpty)
    var w = JSONWriter()
    event.write(to: &w)
    #expect(
      String(decoding: w.bytes, as: UTF8.self).contains(
        #""args":{"len":0,"flags":"0","msg_flags":"MSG_CTRUNC","controllen":0,"creds":{"pid":1,"uid":0,"gid":0},"rights":[{"fd":5,"ino":14695}],"cmsgs":[{"level":1,"type":99,"len":20},{"level":1,"type":1,"len":4096,"truncated":true}]}"#
      ))
  }

  @Test("poll, select and epoll_wait items become fds, the four select sets and ready")
  func waitItems() throws {
    var log = LogImage()
    log.append(
      SOCKSCOPE_CALL_POLL, ret: 1, at: 10,
      items: [item(SOCKSCOPE_ITEM_POLLFD, 3, 1, 1), item(SOCKSCOPE_ITEM_POLLFD, 4, 5, 0)]
    ) {
      $0.a0 = 2; $0.a1 = -1
    }
    let bits = { (b: [sockscope_select_bits]) in b.reduce(Int64(0)) { $0 | Int64($1.rawValue) } }
    log.append(
      SOCKSCOPE_CALL_SELECT, ret: 1, at: 20,
      items: [
        item(SOCKSCOPE_ITEM_SELECT, 3, bits([SOCKSCOPE_SELECT_READ, SOCKSCOPE_SELECT_READY_READ])),
        item(SOCKSCOPE_ITEM_SELECT, 4, bits([SOCKSCOPE_SELECT_WRITE])),
      ]
    ) {
      $0.a0 = 5; $0.a1 = 1000
    }
    log.append(
      SOCKSCOPE_CALL_EPOLL_WAIT, ret: 2, at: 30,
      items: [item(SOCKSCOPE_ITEM_EPOLL, 3, 1, 3), item(SOCKSCOPE_ITEM_EPOLL, -1, 4, 77)]
    ) {
      $0.a0 = 8; $0.a1 = 0
    }
    let events = try ProcessLog.decode(log.bytes, path: "x.sslog").events
    #expect(
      events[0].args["fds"]
        == .array([
          .object(["fd": .int(3), "events": .string("POLLIN"), "revents": .string("POLLIN")]),
          .object(["fd": .int(4), "events": .string("POLLIN|POLLOUT"), "revents": .string("0")]),
        ]))
    #expect(events[0].args["timeout_ms"] == .int(-1))
    #expect(events[1].args["read"] == .array([.int(3)]))
    #expect(events[1].args["write"] == .array([.int(4)]))
    #expect(events[1].args["ready_read"] == .array([.int(3)]))
    #expect(events[1].args["ready_write"] == .array([]))
    #expect(
      events[2].args["ready"]
        == .array([
          .object(["fd": .int(3), "events": .string("EPOLLIN")]),
          .object(["data": .int(77), "events": .string("EPOLLOUT")]),
        ]))
    #expect(events[0].arguments.poll?.descriptors?.map(\.fd) == [3, 4])
    #expect(events[0].arguments.poll?.descriptors?.last?.returnedEvents == PollEvents(rawValue: 0))
    #expect(events[1].arguments.select?.readyRead == [3] && events[1].arguments.select?.except == nil)
    #expect(events[2].arguments.epollWait?.ready?.map(\.data) == [nil, 77])
    #expect(events.allSatisfy { $0.unreadArguments.isEmpty })
  }

  @Test("an item list whose length is not whole items keeps the whole ones; a damaged length never crashes")
  func damagedItems() throws {
    var log = LogImage()
    log.append(
      SOCKSCOPE_CALL_SENDMSG, ret: 1, at: 10, data: "x", items: [item(SOCKSCOPE_ITEM_RIGHT, 5, 9)],
      extraLength: 33)
    log.append(
      SOCKSCOPE_CALL_SENDMSG, ret: 1, at: 20, data: "x", items: [item(SOCKSCOPE_ITEM_RIGHT, 6, 9)],
      extraLength: 1 << 30)
    log.append(SOCKSCOPE_CALL_SENDMSG, ret: 1, at: 30, data: "y", items: [item(SOCKSCOPE_ITEM_RIGHT, 7, 9)])
    let decoded = try ProcessLog.decode(log.bytes, path: "x.sslog")
    // The first claims 33 bytes (one item and one more byte) within its size: one right is read.
    #expect(decoded.events.first?.args["rights"] == .array([.object(["fd": .int(5), "ino": .int(9)])]))
    // The second claims more than its size: the record is damaged, reported, skipped.
    #expect(decoded.problems.count == 1, "\(decoded.problems)")
    #expect(decoded.events.last?.args["rights"] == .array([.object(["fd": .int(7), "ino": .int(9)])]))
  }

  @Test("addr2line's answers: a file and line, a function, and unknowns")
  func addr2lineAnswers() {
    #expect(
      NativeSymbolizer.parse(function: "main", location: "/src/p.c:12 (discriminator 1)")
        == CallSite(file: "/src/p.c", line: 12, function: "main"))
    #expect(NativeSymbolizer.parse(function: "??", location: "??:0") == nil)
    #expect(
      NativeSymbolizer.parse(function: "f", location: "/src/p.c:?")
        == CallSite(file: "/src/p.c", function: "f"))
  }

  @Test("every call code is the same in C (enum sockscope_call) and Swift (SocketCall.logCode)")
  func callCodesPinned() {
    let c: [(SocketCall, sockscope_call)] = [
      (.socket, SOCKSCOPE_CALL_SOCKET), (.socketpair, SOCKSCOPE_CALL_SOCKETPAIR),
      (.bind, SOCKSCOPE_CALL_BIND),
      (.listen, SOCKSCOPE_CALL_LISTEN), (.accept, SOCKSCOPE_CALL_ACCEPT), (.accept4, SOCKSCOPE_CALL_ACCEPT4),
      (.connect, SOCKSCOPE_CALL_CONNECT), (.send, SOCKSCOPE_CALL_SEND), (.sendto, SOCKSCOPE_CALL_SENDTO),
      (.sendmsg, SOCKSCOPE_CALL_SENDMSG), (.recv, SOCKSCOPE_CALL_RECV), (.recvfrom, SOCKSCOPE_CALL_RECVFROM),
      (.recvmsg, SOCKSCOPE_CALL_RECVMSG), (.shutdown, SOCKSCOPE_CALL_SHUTDOWN),
      (.close, SOCKSCOPE_CALL_CLOSE),
      (.unlink, SOCKSCOPE_CALL_UNLINK), (.getsockname, SOCKSCOPE_CALL_GETSOCKNAME),
      (.getpeername, SOCKSCOPE_CALL_GETPEERNAME), (.setsockopt, SOCKSCOPE_CALL_SETSOCKOPT),
      (.read, SOCKSCOPE_CALL_READ), (.write, SOCKSCOPE_CALL_WRITE), (.output, SOCKSCOPE_CALL_OUTPUT),
      (.dup, SOCKSCOPE_CALL_DUP), (.dup2, SOCKSCOPE_CALL_DUP2), (.dup3, SOCKSCOPE_CALL_DUP3),
      (.fcntl, SOCKSCOPE_CALL_FCNTL), (.fork, SOCKSCOPE_CALL_FORK), (.getsockopt, SOCKSCOPE_CALL_GETSOCKOPT),
      (.poll, SOCKSCOPE_CALL_POLL), (.select, SOCKSCOPE_CALL_SELECT), (.epollCtl, SOCKSCOPE_CALL_EPOLL_CTL),
      (.epollWait, SOCKSCOPE_CALL_EPOLL_WAIT), (.execve, SOCKSCOPE_CALL_EXECVE),
      (.programStart, SOCKSCOPE_CALL_PROGRAM_START),
    ]
    #expect(Set(c.map(\.0)) == Set(SocketCall.allCases), "every Swift call has its C code here")
    for (call, code) in c {
      #expect(call.logCode == UInt16(code.rawValue), "\(call)")
      #expect(SocketCall(logCode: UInt16(code.rawValue)) == call)
    }
    #expect(SocketCall(logCode: UInt16(SOCKSCOPE_META_STRING.rawValue)) == nil)
  }
}
