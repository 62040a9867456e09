import CSockScopeLog
import Foundation
import Glibc
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

/// Writes log files byte by byte from the C layout, so the reader is tested against the format
/// itself (the writer is tested end to end in SockScopeSocketsTests).
struct LogImage {
  var bytes: [UInt8]

  init(role: String = "server", pid: Int32 = 42, closed: Bool = true, start: UInt64 = 1_000) {
    var header = sockscope_log_header()
    withUnsafeMutableBytes(of: &header.magic) { raw in
      for (i, b) in Array(SOCKSCOPE_LOG_MAGIC.utf8).enumerated() { raw[i] = b }
    }
    // The records below are whole `sockscope_record`s: the layout of version 2, which readers keep
    // reading (the writer's version 3 is tested through the writer itself).
    header.version = 2
    header.header_size = SOCKSCOPE_LOG_HEADER_SIZE
    header.pid = pid
    header.start_mono_ns = start
    header.start_real_ns = 1_700_000_000_000_000_000
    header.capture_limit = 256
    header.state = closed ? SOCKSCOPE_LOG_CLOSED.rawValue : SOCKSCOPE_LOG_OPEN.rawValue
    withUnsafeMutableBytes(of: &header.role) { raw in
      for (i, b) in Array(role.utf8).enumerated() { raw[i] = b }
    }
    bytes = [UInt8](repeating: 0, count: Int(SOCKSCOPE_LOG_HEADER_SIZE))
    withUnsafeBytes(of: header) { raw in
      for (i, b) in raw.enumerated() { bytes[i] = b }
    }
  }

  mutating func append(
    _ call: sockscope_call, fd: Int32 = 3, ret: Int64 = 0, err: Int32 = 0, at time: UInt64,
    address: String = "", data: String = "", configure: (inout sockscope_record) -> Void = { _ in }
  ) {
    var r = sockscope_record()
    r.call = UInt16(call.rawValue)
    r.fd = fd
    r.ret = ret
    r.err = err
    r.t_ns = time
    r.dur_ns = 5
    r.tid = 42
    r.seq = UInt64(count)
    r.sock_ino = 500
    let addr = Array(address.utf8)
    let payload = Array(data.utf8)
    r.addr_len = UInt32(addr.count)
    r.data_len = UInt32(payload.count)
    configure(&r)
    let body = MemoryLayout<sockscope_record>.size + addr.count + payload.count
    r.size = UInt32((body + 7) & ~7)
    r.magic = SOCKSCOPE_RECORD_MAGIC
    withUnsafeBytes(of: r) { bytes += $0 }
    bytes += addr + payload
    bytes += [UInt8](repeating: 0, count: Int(r.size) - body)
    count += 1
  }

  var count = 0

  /// Writes `logs` into `dir` as `1-1.sslog`, `2-1.sslog`, …; returns their paths.
  static func write(_ logs: [LogImage], into dir: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return try logs.enumerated().map { n, log in
      let path = dir + "/\(n + 1)-1.sslog"
      try Data(log.bytes).write(to: URL(fileURLWithPath: path))
      return path
    }
  }
}

@Suite("Per-process logs")
struct ProcessLogTests {
  func sampleLog(closed: Bool = true) -> LogImage {
    var log = LogImage(closed: closed)
    log.append(SOCKSCOPE_CALL_SOCKET, ret: 3, at: 10) {
      $0.a0 = 1
      $0.a1 = 2
    }
    log.append(SOCKSCOPE_CALL_BIND, at: 20, address: "./echo.socket") {
      $0.a0 = 16
      $0.a1 = 1
      $0.path_ino = 777
    }
    log.append(SOCKSCOPE_CALL_RECV, ret: 1024, at: 30, data: "Лев") {
      $0.a0 = 1024
      $0.full_len = 4000
      $0.flags = UInt16(SOCKSCOPE_FLAG_DATAGRAM.rawValue)
    }
    log.append(SOCKSCOPE_CALL_CONNECT, ret: -1, err: 2, at: 40, address: "\0hidden") { $0.a1 = 1 }
    return log
  }

  @Test("records decode into named calls, addresses and payloads")
  func decodesRecords() throws {
    let log = try ProcessLog.decode(sampleLog().bytes, path: "t.sslog")
    #expect(log.problems.isEmpty)
    #expect(log.process.role == "server")
    #expect(log.process.ending == .closed)
    #expect(log.events.map(\.call) == [.socket, .bind, .recv, .connect])
    #expect(log.events[0].args["domain"] == .string("AF_UNIX"))
    #expect(log.events[0].args["type"] == .string("SOCK_DGRAM"))
    #expect(log.events[1].address == SocketAddress(.path("./echo.socket"), inode: 777))
    #expect(log.events[2].data?.datagramLength == 4000)
    #expect(log.events[2].data?.datagramWasCut == true)
    #expect(log.events[3].address?.name == .abstract("hidden"))
    #expect(log.events[3].failure == CallFailure(name: "ENOENT", message: "No such file or directory"))
  }

  @Test("a log its process never closed is reported as cut, with every recorded event kept")
  func cutLog() throws {
    let log = try ProcessLog.decode(sampleLog(closed: false).bytes, path: "t.sslog")
    #expect(log.process.ending == .cut)
    #expect(log.events.count == 4)
    #expect(log.problems.first?.contains("ended abruptly") == true)
  }

  @Test("a half-written record at the end is left out; the records before it are kept")
  func halfWrittenTail() throws {
    var bytes = sampleLog(closed: false).bytes
    bytes.removeLast(20)
    let log = try ProcessLog.decode(bytes, path: "t.sslog")
    #expect(log.events.count == 3)
  }

  @Test("a damaged record is skipped and reported; the records after it are kept")
  func damagedRecord() throws {
    var bytes = sampleLog().bytes
    let second = Int(SOCKSCOPE_LOG_HEADER_SIZE) + MemoryLayout<sockscope_record>.size
    bytes[second] = 0x55  // the second record's magic
    let log = try ProcessLog.decode(bytes, path: "t.sslog")
    #expect(log.events.map(\.call) == [.socket, .recv, .connect])
    #expect(log.problems.count == 1)
    #expect(log.problems[0].contains("damaged record at byte"))
  }

  @Test("files that are not logs are refused with a reason")
  func notALog() {
    #expect(throws: TraceFileError.self) { try ProcessLog.decode([1, 2, 3], path: "x") }
    #expect(throws: TraceFileError.self) {
      try ProcessLog.decode([UInt8](repeating: 0x41, count: 4096), path: "x")
    }
  }

  @Test("random damage to a log never crashes the reader, and never costs the records before it")
  func randomDamage() throws {
    let original = sampleLog().bytes
    let undamaged = try ProcessLog.decode(original, path: "fuzz").events
    // Where each record ends, from the sizes the writer gave them.
    var recordEnds: [Int] = []
    var offset = Int(SOCKSCOPE_LOG_HEADER_SIZE)
    while offset + MemoryLayout<sockscope_record>.size <= original.count {
      let record = original.withUnsafeBytes {
        $0.loadUnaligned(fromByteOffset: offset, as: sockscope_record.self)
      }
      offset += Int(record.size)
      recordEnds.append(offset)
    }
    try #require(recordEnds.count == undamaged.count)
    var generator = SplitMix64(seed: 1)
    var refused = 0
    for _ in 0..<3000 {
      var bytes = original
      for _ in 0..<(1 + Int(generator.next() % 8)) {
        let at = Int(generator.next() % UInt64(bytes.count))
        bytes[at] = UInt8(truncatingIfNeeded: generator.next())
      }
      if generator.next() % 4 == 0 { bytes.removeLast(Int(generator.next() % UInt64(bytes.count))) }
      // The first byte that differs from the log as written (a cut counts from where it cut).
      let firstChange =
        zip(bytes, original).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(bytes.count, original.count)
      let log: ProcessLog
      do throws(TraceFileError) {
        log = try ProcessLog.decode(bytes, path: "fuzz")
      } catch {
        #expect(firstChange < Int(SOCKSCOPE_LOG_HEADER_SIZE), "only a damaged header refuses the whole log")
        #expect(error.path == "fuzz")
        refused += 1
        continue
      }
      #expect(log.events.count <= undamaged.count, "damage never makes records up")
      let intact = recordEnds.prefix { $0 <= firstChange }.count
      #expect(
        Array(log.events.prefix(intact)) == Array(undamaged.prefix(intact)),
        "the \(intact) records before the damage at byte \(firstChange) are read as written")
      if firstChange >= original.count && bytes.count == original.count {
        #expect(log.problems.isEmpty && log.events == undamaged)
      }
    }
    #expect(refused > 0 && refused < 3000, "both kinds of damage were tried")
  }

  @Test("merging logs orders events by time across processes and numbers them")
  func mergeOrders() throws {
    var a = LogImage(role: "server", pid: 1)
    a.append(SOCKSCOPE_CALL_SOCKET, ret: 3, at: 10)
    a.append(SOCKSCOPE_CALL_CLOSE, at: 40)
    var b = LogImage(role: "client", pid: 2)
    b.append(SOCKSCOPE_CALL_SOCKET, ret: 3, at: 20)
    b.append(SOCKSCOPE_CALL_CLOSE, at: 30)
    let trace = TraceMerger.merge(logs: [
      try ProcessLog.decode(a.bytes, path: "a"), try ProcessLog.decode(b.bytes, path: "b"),
    ])
    #expect(trace.events.map(\.pid) == [1, 2, 2, 1])
    #expect(trace.events.map(\.index) == [0, 1, 2, 3])
    #expect(trace.header.t0 == 10)
    #expect(trace.header.processes.map(\.role) == ["server", "client"])
    #expect(trace.header.started?.hasPrefix("2023-11-14T22:13:20") == true)
  }
}

@Suite("Per-process logs: roles, losses and destinations")
struct ProcessLogHeaderTests {
  func decode(_ log: LogImage) throws -> ProcessLog { try ProcessLog.decode(log.bytes, path: "x.sslog") }

  func withHeader(_ log: inout LogImage, _ change: (inout sockscope_log_header) -> Void) {
    var header = log.bytes.withUnsafeBytes { $0.loadUnaligned(as: sockscope_log_header.self) }
    change(&header)
    withUnsafeBytes(of: header) { raw in
      for (i, b) in raw.enumerated() { log.bytes[i] = b }
    }
  }

  @Test("a role the writer cut is reported with its full length")
  func cutRole() throws {
    var log = LogImage(role: "client#" + String(repeating: "ж", count: 28))
    withHeader(&log) { $0.role_length = 90 }
    let decoded = try decode(log)
    #expect(decoded.process.role == "client#" + String(repeating: "ж", count: 28))
    #expect(
      decoded.problems == [
        "pid 42 (client#\(String(repeating: "ж", count: 28))): its role was 90 bytes; a log keeps at most 63 "
          + "bytes of a role, so it was cut after the last whole character that fit"
      ])
    #expect(try decode(LogImage()).problems.isEmpty, "a role that fit is not reported")
  }

  @Test("lost events are reported with the reason the writer noted")
  func dropReasons() throws {
    var full = LogImage()
    withHeader(&full) {
      $0.dropped = 3
      $0.dropped_errno = ENOSPC
    }
    #expect(
      try decode(full).problems == ["pid 42 (server): 3 events were lost: no disk space could be reserved"])
    var moved = LogImage()
    withHeader(&moved) {
      $0.dropped = 1
      $0.dropped_errno = ESTALE
    }
    #expect(
      try decode(moved).problems == [
        "pid 42 (server): 1 events were lost: the log could not be grown: its file was moved, removed or "
          + "replaced while the process ran"
      ])
  }

  @Test("any other reason is named with its errno")
  func otherDropReason() throws {
    var log = LogImage()
    withHeader(&log) {
      $0.dropped = 2
      $0.dropped_errno = EACCES
    }
    #expect(
      try decode(log).problems == [
        "pid 42 (server): 2 events were lost: the log could not be grown (EACCES: Permission denied)"
      ])
  }

  @Test("sendto and sendmsg carry the inode of the socket file they reached in their address")
  func sendToInode() throws {
    var log = LogImage()
    log.append(SOCKSCOPE_CALL_SENDTO, ret: 3, at: 10, address: "../s/echo.socket", data: "Лев") {
      $0.a0 = 6
      $0.a3 = 1
      $0.path_ino = 4242
    }
    log.append(SOCKSCOPE_CALL_SENDMSG, ret: 3, at: 20, address: "./echo.socket", data: "abc") {
      $0.a0 = 3
      $0.path_ino = 4243
    }
    log.append(SOCKSCOPE_CALL_SENDTO, ret: 3, at: 30, address: "\0abstract", data: "abc") {
      $0.a3 = 1
    }
    let events = try decode(log).events
    #expect(events[0].address == SocketAddress(.path("../s/echo.socket"), inode: 4242))
    #expect(events[1].address == SocketAddress(.path("./echo.socket"), inode: 4243))
    #expect(events[2].address == SocketAddress(.abstract("abstract")))
  }
}

@Suite("The documented log layout")
struct LogLayoutTests {
  @Test("header and record offsets are the ones docs/trace-format.md gives")
  func offsets() {
    #expect(MemoryLayout<sockscope_record>.size == 160)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.caller) == Int(SOCKSCOPE_RECORD_V1_SIZE))
    #expect(MemoryLayout<sockscope_record>.offset(of: \.src_module) == 136)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.src_line) == 144)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.extra_len) == 152)
    #expect(MemoryLayout<sockscope_item>.size == 32)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.seq) == 8)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.tid) == 32)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.ret) == 48)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.a0) == 56)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.sock_ino) == 88)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.full_len) == 112)
    #expect(MemoryLayout<sockscope_record>.offset(of: \.data_len) == 124)
    #expect(MemoryLayout<sockscope_log_header>.offset(of: \.start_mono_ns) == 24)
    #expect(MemoryLayout<sockscope_log_header>.offset(of: \.state) == 44)
    #expect(MemoryLayout<sockscope_log_header>.offset(of: \.role) == 56)
    #expect(MemoryLayout<sockscope_log_header>.offset(of: \.exe) == 120)
    #expect(MemoryLayout<sockscope_log_header>.offset(of: \.role_length) == 632)
    #expect(MemoryLayout<sockscope_log_header>.offset(of: \.dropped_errno) == 636)
    #expect(MemoryLayout<sockscope_log_header>.size <= Int(SOCKSCOPE_LOG_HEADER_SIZE))
  }
}
