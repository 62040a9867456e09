import Foundation
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

/// A log written by the version 2 writer (whole 160-byte records) before the writer moved to
/// version 3: `sockscope client --trace` sending "Лев", "hello" and "DONE" (Fixtures/logs).
@Suite("Per-process logs: version 2 and 3 logs from the real writer")
struct ProcessLogV2FixtureTests {
  @Test("a version 2 log written by sockscope still reads: every event, payload and source line")
  func readsVersion2() throws {
    let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/logs/client-v2.sslog")
    let bytes = Array(try Data(contentsOf: url))
    #expect(bytes[8] == 2, "the fixture is a version 2 log")
    let log = try ProcessLog.decode(bytes, path: "client-v2.sslog")
    #expect(log.problems.isEmpty, "\(log.problems)")
    #expect(log.process.role == "client")
    #expect(log.events.count == 21)
    #expect(log.events.map(\.seq) == (0..<21).map { UInt64($0) })
    let calls = log.events.map(\.call)
    #expect(calls.filter { $0 == .output }.count == 15)
    #expect(calls.filter { $0 != .output } == [.socket, .connect, .send, .send, .send, .close])
    let sends = log.events.filter { $0.call == .send }
    #expect(sends.map { $0.data?.text } == ["Лев", "hello", "DONE"])
    #expect(sends.map(\.ret) == [6, 5, 4])
    #expect(sends.allSatisfy { $0.source?.file == "EchoPair/EchoClient.swift" && $0.source?.line == 100 })
    #expect(sends.allSatisfy { $0.socket?.inode == 3_452_013 && $0.socket?.peer == 3_452_007 })
    #expect(log.events[8].data?.text == "SENT: Лев\n")
    #expect(log.events[8].arguments == .output(stream: .stdout))
  }

  /// A log written by the version 3 writer (a head and the words that are not zero, each event's
  /// `seq` among them) before the writer moved to version 4: the same run (Fixtures/logs).
  @Test("a version 3 log written by sockscope still reads: every event, its number, payload and source line")
  func readsVersion3() throws {
    let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/logs/client-v3.sslog")
    let bytes = Array(try Data(contentsOf: url))
    #expect(bytes[8] == 3, "the fixture is a version 3 log")
    let log = try ProcessLog.decode(bytes, path: "client-v3.sslog")
    #expect(log.problems.isEmpty, "\(log.problems)")
    #expect(log.process.role == "client")
    #expect(log.events.count == 21)
    #expect(log.events.map(\.seq) == (0..<21).map { UInt64($0) })
    let calls = log.events.map(\.call)
    #expect(calls.filter { $0 == .output }.count == 15)
    #expect(calls.filter { $0 != .output } == [.socket, .connect, .send, .send, .send, .close])
    let sends = log.events.filter { $0.call == .send }
    #expect(sends.map { $0.data?.text } == ["Лев", "hello", "DONE"])
    #expect(sends.map(\.ret) == [6, 5, 4])
    #expect(sends.allSatisfy { $0.source?.file == "EchoPair/EchoClient.swift" && $0.source?.line == 100 })
    #expect(sends.allSatisfy { $0.socket?.inode == 4_433_406 && $0.socket?.peer == 4_433_181 })
    #expect(log.events[8].data?.text == "SENT: Лев\n")
    #expect(log.events[8].arguments == .output(stream: .stdout))
    #expect(log.events[1].ret == 4 && log.events[1].call == .socket)
  }
}
