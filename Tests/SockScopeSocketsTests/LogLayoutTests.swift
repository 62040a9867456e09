import CSockScopeLog
import Foundation
import Glibc
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

/// The records of the version 4 log at `path`, decoded as the reader decodes them, with the length
/// of each one's fixed part.
private func records(inLog path: String) throws -> [(record: sockscope_record, fixed: Int)] {
  let bytes = try #require(FileManager.default.contents(atPath: path)).map { $0 }
  let header = bytes.withUnsafeBytes { $0.loadUnaligned(as: sockscope_log_header.self) }
  #expect(header.version == 4)
  var window = LogWindow(bytes: bytes, path: path)
  let layout = RecordLayout(version: header.version)
  var found: [(sockscope_record, Int)] = []
  var offset = Int(SOCKSCOPE_LOG_HEADER_SIZE)
  while try window.has(offset, layout.minimumSize), window.load(offset, as: UInt32.self) != 0 {
    let (record, fixed) = try #require(try layout.record(in: &window, at: offset))
    found.append((record, fixed))
    offset += Int(record.size)
  }
  return found
}

/// The bytes of `record`, to compare two records field by field (the struct has no padding).
private func bytes(of record: sockscope_record) -> [UInt8] { withUnsafeBytes(of: record) { Array($0) } }

extension SocketLayerTests {
  @Test("a version 4 record reads back with every field, zero or not; a console line's takes 40 bytes")
  func compactRecordsRoundTrip() throws {
    try withTemporaryDirectory { dir in
      #expect(mkdir(dir + "/t", 0o755) == 0)
      #expect(sockscope_log_open(dir + "/t", "layout", 256) == 0)
      let path = String(cString: try #require(sockscope_log_path()))
      var full = sockscope_record()
      full.t_ns = 0x1122_3344_5566_7788
      full.dur_ns = 12_345
      full.tid = -7
      full.call = UInt16(SOCKSCOPE_CALL_SENDMSG.rawValue)
      full.flags = UInt16(SOCKSCOPE_FLAG_DATAGRAM.rawValue)
      full.fd = 9
      full.err = EAGAIN
      full.ret = -1
      (full.a0, full.a1, full.a2, full.a3) = (-2, Int64.max, Int64.min, 0x7fff_0000_0001)
      (full.sock_ino, full.peer_ino, full.path_ino) = (1001, 1002, 1003)
      full.full_len = 99
      full.caller = 0xdead_beef_f00d
      (full.src_module, full.src_file, full.src_line, full.src_func) = (5, 6, 4_000_000_000, 8)
      full.items_lost = 3
      let items = [sockscope_item(kind: Int64(SOCKSCOPE_ITEM_RIGHT.rawValue), x: 4, y: 77, z: 0)]
      let address = Array("./echo.socket".utf8)
      let payload = Array("Лев".utf8)
      #expect(
        sockscope_log_append_full(
          &full, address, UInt32(address.count), payload, UInt32(payload.count), nil, items, 1) == 0)
      var bare = sockscope_record()
      bare.call = UInt16(SOCKSCOPE_CALL_CLOSE.rawValue)
      #expect(sockscope_log_append(&bare, nil, 0, nil, 0) == 0)
      let line = Array("SENT: Лев\n".utf8)
      #expect(sockscope_log_output(1, line, line.count) == 0)
      sockscope_log_close()

      let read = try records(inLog: path)
      try #require(read.count == 3)
      var expected = full
      expected.magic = SOCKSCOPE_RECORD_MAGIC
      #expect(bytes(of: read[0].record) == bytes(of: expected), "every field of a full record")
      #expect(read[0].fixed == 32 + 8 * 16, "every word but seq, which the reader counts")
      expected = bare
      expected.magic = SOCKSCOPE_RECORD_MAGIC
      #expect(bytes(of: read[1].record) == bytes(of: expected), "a record of zeros")
      #expect(read[1].record.seq == 1)
      #expect(read[1].fixed == 32, "the head alone: its sequence number is counted")
      let output = read[2].record
      #expect(output.call == UInt16(SOCKSCOPE_CALL_OUTPUT.rawValue))
      #expect(
        (output.fd, output.ret, output.full_len, output.data_len) == (
          1, Int64(line.count), UInt64(line.count), 13
        ))
      #expect(output.seq == 2 && output.t_ns > 0 && output.tid == sockscope_thread_id())
      #expect(read[2].fixed == 40, "head and lengths; ret is data_len, full_len is ret's")
      #expect(Int(output.size) == 40 + 16, "13 bytes of text padded to 16")

      let log = try ProcessLog.read(path: path)
      #expect(log.events.map(\.call) == [.sendmsg, .close, .output])
      #expect(log.events[2].data?.text == "SENT: Лев\n")
    }
  }

  @Test("a call recorded before it runs is settled in place: its result, errno and duration, nothing else")
  func settledLater() throws {
    try withTemporaryDirectory { dir in
      #expect(mkdir(dir + "/t", 0o755) == 0)
      #expect(sockscope_log_open(dir + "/t", "settle", 256) == 0)
      let path = String(cString: try #require(sockscope_log_path()))
      var early = sockscope_record()
      early.call = UInt16(SOCKSCOPE_CALL_CONNECT.rawValue)
      early.flags = UInt16(SOCKSCOPE_FLAG_SETTLED_LATER.rawValue)
      early.t_ns = 77
      early.items_lost = 2
      let name = Array("./s".utf8)
      #expect(sockscope_log_append(&early, name, UInt32(name.count), nil, 0) == 0)
      var plain = sockscope_record()
      plain.call = UInt16(SOCKSCOPE_CALL_CONNECT.rawValue)
      #expect(sockscope_log_append(&plain, nil, 0, nil, 0) == 0)
      let call = UInt16(SOCKSCOPE_CALL_CONNECT.rawValue)
      #expect(sockscope_log_settle(0, call, -1, ENOENT, 4_000) == 0)
      #expect(sockscope_log_settle(1, call, -1, ENOENT, 4_000) == -ENOENT, "no room kept: not settled")
      #expect(sockscope_log_settle(0, UInt16(SOCKSCOPE_CALL_BIND.rawValue), -1, ENOENT, 1) == -ENOENT)
      sockscope_log_close()

      let read = try records(inLog: path)
      try #require(read.count == 2)
      var expected = early
      expected.magic = SOCKSCOPE_RECORD_MAGIC
      (expected.ret, expected.err, expected.dur_ns) = (-1, ENOENT, 4_000)
      #expect(bytes(of: read[0].record) == bytes(of: expected))
      #expect(read[1].record.ret == 0 && read[1].record.err == 0)
    }
  }

  @Test("records across many reserved pieces and growths of the log all read back, in order")
  func manyRecordsAcrossGrowths() throws {
    try withTemporaryDirectory { dir in
      #expect(mkdir(dir + "/t", 0o755) == 0)
      #expect(sockscope_log_open(dir + "/t", "growth", 256) == 0)
      let path = String(cString: try #require(sockscope_log_path()))
      // About 160 bytes a record: 30 000 records are 4.8 MB, past three growths of the 1 MiB file
      // and about twenty reserved pieces.
      for i in 0..<30_000 {
        let text = Array(String(format: "%06d ", i).utf8) + [UInt8](repeating: 0x78, count: 93)
        #expect(sockscope_log_output(1, text, text.count) == 0)
      }
      sockscope_log_close()
      let log = try ProcessLog.read(path: path)
      #expect(log.problems.isEmpty, "\(log.problems)")
      #expect(log.events.count == 30_000)
      #expect(log.events.map(\.seq) == (0..<30_000).map { UInt64($0) })
      #expect(log.events.last?.data?.text?.hasPrefix("029999 ") == true)
      #expect(log.process.dropped == 0)
    }
  }

  @Test(
    "version 4 leaves out seq and a ret equal to the payload; the reader counts events past META records and believes a settled record's number"
  )
  func countedNumbersAndImpliedResults() throws {
    try withTemporaryDirectory { dir in
      #expect(mkdir(dir + "/t", 0o755) == 0)
      #expect(sockscope_log_open(dir + "/t", "counted", 8) == 0)
      let path = String(cString: try #require(sockscope_log_path()))
      let file = "Tests/Counted.swift"
      let function = "probe()"
      let cut = Array("0123456789".utf8)
      // A send of 10 bytes with a capture limit of 8: ret (10) is not the payload (8), so it is kept.
      // The source makes META records (file, function) before this event; they take no number.
      try file.withCString { f in
        try function.withCString { g in
          var source = sockscope_source(
            file: f, file_len: UInt32(file.utf8.count), line: 7, function: g,
            function_len: UInt32(function.utf8.count), caller: nil)
          var send = sockscope_record()
          send.call = UInt16(SOCKSCOPE_CALL_SEND.rawValue)
          send.ret = 10
          send.full_len = 10
          #expect(sockscope_log_append_full(&send, nil, 0, cut, UInt32(cut.count), &source, nil, 0) == 0)
          try #require(send.seq == 0)
        }
      }
      let whole = Array("abc".utf8)
      var recv = sockscope_record()
      recv.call = UInt16(SOCKSCOPE_CALL_RECV.rawValue)
      recv.ret = 3
      recv.full_len = 3
      #expect(sockscope_log_append(&recv, nil, 0, whole, UInt32(whole.count)) == 0)
      var early = sockscope_record()
      early.call = UInt16(SOCKSCOPE_CALL_CONNECT.rawValue)
      early.flags = UInt16(SOCKSCOPE_FLAG_SETTLED_LATER.rawValue)
      #expect(sockscope_log_append(&early, nil, 0, nil, 0) == 0)
      #expect(sockscope_log_output(1, whole, whole.count) == 0)
      sockscope_log_close()

      let read = try records(inLog: path).filter { $0.record.call < UInt16(SOCKSCOPE_META_STRING.rawValue) }
      try #require(read.count == 4)
      #expect(read.map(\.record.seq) == [0, 1, 2, 3])
      #expect(read.map(\.record.ret) == [10, 3, 0, 3])
      #expect(read.map(\.record.full_len) == [10, 3, 0, 3])
      #expect(read.map(\.record.data_len) == [8, 3, 0, 3])
      // The send keeps its ret word (10 is not the 8 bytes kept); the receive has none.
      #expect(read[0].fixed == 32 + 8 * 5, "ret, lengths, the source's line and module/file, function")
      #expect(read[1].fixed == 32 + 8, "lengths only")
      #expect(read[2].fixed == 32 + 8 * 4, "seq, dur, ret and err kept to be settled")
      let log = try ProcessLog.read(path: path)
      #expect(log.problems.isEmpty, "\(log.problems)")
      #expect(log.events.map(\.seq) == [0, 1, 2, 3])
      #expect(log.events.map(\.ret) == [10, 3, 0, 3])
      #expect(log.events[0].source?.line == 7 && log.events[0].source?.file == file)
    }
  }

  @Test(
    "a console line's record, written by its short path, is byte for byte the record the general path writes")
  func outputShortPathMatchesGeneral() throws {
    try withTemporaryDirectory { dir in
      #expect(mkdir(dir + "/t", 0o755) == 0)
      #expect(sockscope_log_open(dir + "/t", "output", 16) == 0)
      let path = String(cString: try #require(sockscope_log_path()))
      let line = Array("SENT: Лев\n".utf8)
      #expect(sockscope_log_output(2, line, line.count) == 0)
      var general = sockscope_record()
      general.call = UInt16(SOCKSCOPE_CALL_OUTPUT.rawValue)
      general.fd = 2
      general.tid = sockscope_thread_id()
      general.ret = Int64(line.count)
      general.full_len = UInt64(line.count)
      #expect(sockscope_log_append(&general, nil, 0, line, UInt32(line.count)) == 0)
      let long = Array("a line longer than the capture limit\n".utf8)
      #expect(sockscope_log_output(1, long, long.count) == 0)
      sockscope_log_close()

      let bytes = try #require(FileManager.default.contents(atPath: path)).map { $0 }
      let read = try records(inLog: path)
      try #require(read.count == 3)
      let first = Int(SOCKSCOPE_LOG_HEADER_SIZE)
      let second = first + Int(read[0].record.size)
      #expect(read[0].record.size == read[1].record.size)
      // Equal but for t_ns (bytes 8..<16), which the short path read from the clock itself.
      let a = Array(bytes[first..<second])
      let b = Array(bytes[second..<(second + Int(read[1].record.size))])
      #expect(Array(a[0..<8]) + Array(a[16...]) == Array(b[0..<8]) + Array(b[16...]))
      #expect(read[0].record.seq == 0 && read[1].record.seq == 1 && read[2].record.seq == 2)
      // A line cut to the capture limit keeps its length: ret and full_len are not the payload's.
      #expect(read[2].record.ret == Int64(long.count) && read[2].record.full_len == UInt64(long.count))
      #expect(read[2].record.data_len == 16)
      let log = try ProcessLog.read(path: path)
      #expect(log.events.map { $0.data?.text } == ["SENT: Лев\n", "SENT: Лев\n", "a line longer th"])
      #expect(log.events.map(\.ret) == [Int64(line.count), Int64(line.count), Int64(long.count)])
    }
  }
}
