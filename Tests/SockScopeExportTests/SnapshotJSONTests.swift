import Foundation
import SockScopeLanguage
import SockScopeMerge
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

@Suite("The kernel panel's labels")
struct KernelLabelTests {
  /// Every object key in `value`, however deep.
  static func keys(_ value: JSONValue) -> Set<String> {
    switch value {
    case .object(let o): return o.reduce(into: Set(o.keys)) { $0.formUnion(keys($1.value)) }
    case .array(let a): return a.reduce(into: []) { $0.formUnion(keys($1)) }
    default: return []
    }
  }

  @Test("every part and field of the kernel panel has a Russian and an English label, not its property name")
  func everyNameLabelled() throws {
    // A stream server with two clients: listening sockets, waiting connections, descriptors.
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../SockScopeAnalysisTests/Fixtures/stream-server-trace.jsonl").path
    let trace = try TraceFile.read(path: fixture).trace
    var names: Set<String> = []
    for language in [Language.ru, .en] {
      let playback = try #require(Playback(trace: trace, language: language))
      let sample = playback.snapshot(0, paneHeight: 0)
      let extra = SnapshotJSON(sample)
      for k in 0..<playback.count {
        if let value = extra.object(playback.snapshot(k, paneHeight: 0)) { names.formUnion(Self.keys(value)) }
      }
    }
    #expect(names.isSuperset(of: ["sockets", "socket", "type", "name", "holders", "pending"]), "\(names)")
    for name in names {
      let label = try #require(SnapshotJSON.labels[name], "\(name) has no label")
      #expect(!label.ru.isEmpty && !label.en.isEmpty && label.ru != name && label.en != name, "\(name)")
    }
  }
}

@Suite("The kernel panel's part of each step, written fast")
struct KernelPartReuseTests {
  @Test("a step's kernel part is the one reflected afresh, whether or not the step before had the same")
  func reusedPartsAreFresh() throws {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../SockScopeAnalysisTests/Fixtures/stream-server-trace.jsonl").path
    let trace = try TraceFile.read(path: fixture).trace
    let playback = try #require(Playback(trace: trace, language: .en))
    let snapshots = (0..<playback.count).map { playback.snapshot($0, paneHeight: 0) }
    // Forward, backward and alternating between the ends: every order of reuse.
    let order =
      Array(snapshots.indices) + snapshots.indices.reversed()
      + snapshots.indices.flatMap { [$0, snapshots.count - 1 - $0] }
    let writer = SnapshotJSON(snapshots[0])
    var distinct: [JSONValue?] = []
    for k in order {
      let fresh = SnapshotJSON(snapshots[k]).object(snapshots[k])
      #expect(writer.object(snapshots[k]) == fresh, "step \(k)")
      if !distinct.contains(fresh) { distinct.append(fresh) }
    }
    #expect(distinct.count > 2, "the fixture's kernel state changes from step to step")
  }

  @Test("the labels are written in name order, so one trace always gives the same page")
  func labelsInNameOrder() throws {
    guard case .object(let all) = SnapshotJSON.labelsJSON, case .object(let ru)? = all["ru"],
      case .object(let en)? = all["en"]
    else {
      Issue.record("labels are not {ru: {...}, en: {...}}")
      return
    }
    #expect(Array(ru.keys) == SnapshotJSON.labels.keys.sorted())
    #expect(Array(en.keys) == SnapshotJSON.labels.keys.sorted())
  }
}
