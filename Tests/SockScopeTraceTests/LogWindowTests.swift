import CSockScopeLog
import Foundation
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

@Suite("Reading a log a piece at a time")
struct LogWindowTests {
  /// A log of `count` sendto records with payloads of varied sizes, so records straddle the
  /// reader's 4 MiB pieces at varied offsets.
  static func bigLog(count: Int) -> [UInt8] {
    var log = LogImage()
    for n in 0..<count {
      let text = String(repeating: "x", count: 1 + (n * 389) % 4000)
      log.append(
        SOCKSCOPE_CALL_SENDTO, ret: Int64(text.utf8.count), at: UInt64(n), address: "./echo.socket",
        data: text
      ) {
        $0.a0 = Int64(text.utf8.count)
        $0.a3 = 1
      }
    }
    return log.bytes
  }

  static func file(_ bytes: [UInt8]) throws -> String {
    let path =
      NSTemporaryDirectory() + "sockscope-window-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).sslog"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test("a log read from its file a piece at a time decodes as the same log read whole")
  func piecesReadAlike() throws {
    let bytes = Self.bigLog(count: 5_000)
    #expect(bytes.count > 2 * LogWindow.piece, "the log spans several pieces")
    let path = try Self.file(bytes)
    defer { unlink(path) }
    let whole = try ProcessLog.decode(bytes, path: path)
    let pieces = try ProcessLog.read(path: path)
    #expect(pieces.events.count == 5_000)
    #expect(pieces.events == whole.events)
    #expect(pieces.problems == whole.problems)
  }

  @Test("damage at a piece's edge is skipped alike whether the log is read whole or in pieces")
  func damageAtEdgeReadsAlike() throws {
    var bytes = Self.bigLog(count: 5_000)
    // The records that start nearest before and after each edge between pieces lose their magic.
    var starts: [Int] = []
    var offset = Int(SOCKSCOPE_LOG_HEADER_SIZE)
    while offset + MemoryLayout<sockscope_record>.size <= bytes.count {
      starts.append(offset)
      offset += Int(
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: sockscope_record.self) }.size)
    }
    for edge in [LogWindow.piece, 2 * LogWindow.piece] {
      let after = try #require(starts.firstIndex { $0 >= edge })
      for at in [starts[after - 1], starts[after]] { bytes[at] ^= 0xFF }
    }
    bytes.removeLast(bytes.count - starts[starts.count - 1] - 50)  // And the end cut inside a record.
    let path = try Self.file(bytes)
    defer { unlink(path) }
    let whole = try ProcessLog.decode(bytes, path: path)
    let pieces = try ProcessLog.read(path: path)
    #expect(!whole.problems.isEmpty)
    #expect(pieces.events == whole.events)
    #expect(pieces.problems == whole.problems)
  }
}
