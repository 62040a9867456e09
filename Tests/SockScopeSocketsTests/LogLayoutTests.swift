import CSockScopeLog
import Foundation
import Glibc
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

/// The records of the version 3 log at `path`, decoded as the reader decodes them, with the length
/// of each one's fixed part.
private func records(inLog path: String) throws -> [(record: sockscope_record, fixed: Int)] {
  let bytes = try #require(FileManager.default.contents(atPath: path)).map { $0 }
  let header = bytes.withUnsafeBytes { $0.loadUnaligned(as: sockscope_log_header.self) }
  #expect(header.version == 3)
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
  @Test("a version 3 record reads back with every field, zero or not; a console line's takes 56 bytes")
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
      #expect(read[0].fixed == 32 + 8 * 16, "every word but seq, which is 0 for the first event")
      expected = bare
      expected.magic = SOCKSCOPE_RECORD_MAGIC
      #expect(bytes(of: read[1].record) == bytes(of: expected), "a record of zeros")
      #expect(read[1].record.seq == 1)
      #expect(read[1].fixed == 40, "the head and its sequence number")
      let output = read[2].record
      #expect(output.call == UInt16(SOCKSCOPE_CALL_OUTPUT.rawValue))
      #expect(
        (output.fd, output.ret, output.full_len, output.data_len) == (
          1, Int64(line.count), UInt64(line.count), 13
        ))
      #expect(output.seq == 2 && output.t_ns > 0 && output.tid == sockscope_thread_id())
      #expect(read[2].fixed == 56, "head, seq, ret and lengths; full_len is ret's")
      #expect(Int(output.size) == 56 + 16, "13 bytes of text padded to 16")

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
}
