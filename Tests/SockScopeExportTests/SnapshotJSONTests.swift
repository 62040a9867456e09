import SockScopePlayer
import SockScopeTrace
import Testing

@testable import SockScopeExport

/// Shapes like the ones the player's kernel model may grow (descriptors, files).
private enum FileKind { case socket(inode: UInt64), pipe }
private struct Descriptor {
  var pid: Int32
  var fd: Int32
  var path: String?
  var kind: FileKind
  var cloexec: Bool
}

@Suite("Kernel state the page has no panel of its own for")
struct SnapshotJSONTests {
  @Test("any value becomes JSON: fields by name, optionals unwrapped, cases by name with their payload")
  func reflected() {
    let table: [Descriptor] = [
      Descriptor(pid: 10, fd: 3, path: "./echo.socket", kind: .socket(inode: 7), cloexec: false),
      Descriptor(pid: 20, fd: 5, path: nil, kind: .pipe, cloexec: true),
    ]
    let value = SnapshotJSON.value(table, depth: 0)
    #expect(
      value
        == .array([
          .object([
            "pid": .int(10), "fd": .int(3), "path": .string("./echo.socket"),
            "kind": .object(["socket": .object(["inode": .int(7)])]), "cloexec": .bool(false),
          ]),
          .object(["pid": .int(20), "fd": .int(5), "kind": .string("pipe"), "cloexec": .bool(true)]),
        ]))
    #expect(SnapshotJSON.value("a\u{1B}[2J", depth: 0) == .string("a\\e[2J"), "control characters escaped")
    #expect(SnapshotJSON.value(["b": 2] as [String: Int], depth: 0) == .object(["b": .int(2)]))
  }

  @Test("the page's own panels are not repeated: only properties beyond them are extra")
  func extraLeavesOutShown() throws {
    let playback = try #require(Playback(trace: exchange(payload: "x"), language: .en))
    let snapshot = playback.snapshot(0, paneHeight: 0)
    let extra = SnapshotJSON(snapshot).extra
    #expect(!extra.contains { SnapshotJSON.shown.contains($0) })
    #expect(!extra.contains("queues") && !extra.contains("panes"))
  }
}
