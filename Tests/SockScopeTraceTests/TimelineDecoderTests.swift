import CSockScopeLog
import Foundation
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

@Suite("Decoding every log of a merge into one array")
struct TimelineDecoderTests {
  /// A datagram pair's logs, `count` sends and receives with payloads of varying length, and a
  /// third process with a few calls.
  func pairLogs(count: Int) -> [LogImage] {
    var server = LogImage(role: "server", pid: 10)
    var client = LogImage(role: "client", pid: 20)
    server.append(SOCKSCOPE_CALL_BIND, at: 1, address: "./echo.socket") {
      $0.a0 = 16
      $0.a1 = 1
      $0.sock_ino = 500
      $0.path_ino = 777
    }
    for n in 0..<count {
      let text = "line \(n) \"quoted\"" + String(repeating: "x", count: n % 70)
      let size = Int64(text.utf8.count)
      client.append(
        SOCKSCOPE_CALL_SENDTO, ret: size, at: UInt64(10 + 10 * n), address: "./echo.socket", data: text
      ) {
        $0.a0 = size
        $0.a1 = 0
        $0.a3 = 1
        $0.sock_ino = 600
        $0.path_ino = 777
      }
      server.append(SOCKSCOPE_CALL_RECV, ret: size, at: UInt64(12 + 10 * n), data: text) {
        $0.a0 = 1024
        $0.full_len = UInt64(size)
        $0.flags = UInt16(SOCKSCOPE_FLAG_DATAGRAM.rawValue)
        $0.sock_ino = 500
      }
    }
    var other = LogImage(role: "other", pid: 30)
    other.append(SOCKSCOPE_CALL_SOCKET, ret: 3, at: 5)
    other.append(SOCKSCOPE_CALL_CLOSE, at: UInt64(10 * count + 50))
    return [server, client, other]
  }

  @Test("logs decoded into one array merge into the trace, byte for byte, that a list per log gives")
  func sameTraceAsListPerLog() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockscope-timeline-\(getpid())")
      .path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let paths = try LogImage.write(pairLogs(count: 3000), into: dir)
    let merged = try TraceMerger.merge(directory: dir).trace
    var perLog = TraceMerger.merge(
      logs: try paths.map { path throws(TraceFileError) in try ProcessLog.read(path: path) })
    // Set by a merge of a directory only (the machine's queue limit).
    perLog.header.maxDatagramQueueLength = merged.header.maxDatagramQueueLength
    #expect(merged.events.count == 6003)
    #expect(merged.events.count { !$0.flows.isEmpty } == 3000)
    #expect(merged == perLog)
    #expect(TraceFile.encodedBytes(merged) == TraceFile.encodedBytes(perLog))
  }

  @Test("a log with more events than its room (still growing while read) keeps every event, in order")
  func eventsBeyondTheRoom() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockscope-room-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let paths = try LogImage.write([pairLogs(count: 5)[1]], into: dir)
    let fd = open(paths[0], O_RDONLY)
    defer { close(fd) }
    let slots = UnsafeMutablePointer<TraceEvent>.allocate(capacity: 2)
    defer { slots.deallocate() }
    let piece = TimelineDecoder.decodeOne(path: paths[0], fd: fd, into: slots, room: 2)
    defer { slots.deinitialize(count: piece.filled) }
    #expect(piece.filled == 2)
    #expect(piece.beyond.map(\.seq) == [2, 3, 4])
    #expect([slots[0].seq, slots[1].seq] == [0, 1])
    #expect((try? piece.log.get())?.process.events == 5)
    #expect(piece.lastSeq == 4)
  }
}
