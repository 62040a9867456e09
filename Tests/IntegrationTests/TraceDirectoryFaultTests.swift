import Foundation
import Glibc
import SockScopeTrace
import Testing

/// A tmpfs mounted for one test: the only way to make a directory that root cannot write to
/// (read-only) or that fills up (small). Needs root and CAP_SYS_ADMIN, as CI and this machine have.
struct Tmpfs {
  let path: String

  static let canMount: Bool = {
    guard getuid() == 0 else { return false }
    return (try? withTemporaryDirectory { dir in try Tmpfs(at: dir + "/m", options: "size=64k").unmount() })
      != nil
  }()

  init(at path: String, options: String) throws {
    self.path = path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let mount = try run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path], in: "/")
    guard mount.status == 0 else { throw CocoaError(.fileWriteNoPermission) }
  }

  func unmount() throws {
    _ = try run("/bin/umount", [path], in: "/")
  }
}

@Suite(
  "An unwritable or full trace directory", .serialized,
  .enabled(
    if: Tmpfs.canMount || runningInCI,
    "needs root to mount a tmpfs (under CI=true it must, and fails without)"))
struct TraceDirectoryFaultTests {
  @Test("a read-only trace directory: a clear error at start, before any socket is made")
  func readOnly() throws {
    try withTemporaryDirectory { dir throws in
      let readOnly = try Tmpfs(at: dir + "/ro", options: "size=1m,ro")
      defer { try? readOnly.unmount() }
      for role in ["server", "client"] {
        let result = try sockscope([role, "--trace", readOnly.path + "/t"], in: dir, input: "DONE\n")
        #expect(result.status == 1)
        #expect(
          result.stderr.contains("cannot record into \"\(readOnly.path)/t\": EROFS: Read-only file system"),
          "\(result.stderr)")
        #expect(result.stderr.contains("choose a directory you can write to"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/echo.socket"), "nothing was started")
      }
      let demo = try sockscope(["demo", "--out", readOnly.path + "/out"], in: dir)
      #expect(demo.status != 0)
      #expect(demo.stderr.contains(readOnly.path + "/out"), "\(demo.stderr)")
    }
  }

  @Test("a trace directory too small for even the first log: a clear error at start")
  func fullAtStart() throws {
    try withTemporaryDirectory { dir throws in
      let tiny = try Tmpfs(at: dir + "/tiny", options: "size=32k")
      defer { try? tiny.unmount() }
      let result = try sockscope(["server", "--trace", tiny.path + "/t"], in: dir)
      #expect(result.status == 1)
      #expect(result.stderr.contains("ENOSPC: No space left on device; free some space"), "\(result.stderr)")
    }
  }

  @Test(
    "a trace directory that fills mid-run: the pair goes on, every event recorded before is kept, the rest are counted"
  )
  func fullMidRun() throws {
    try withTemporaryDirectory { dir throws in
      // Each log reserves 256 KiB at a time as it fills: 3 MiB holds a few thousand of the 20 000
      // lines' records, not all of them.
      let small = try Tmpfs(at: dir + "/small", options: "size=3m")
      defer { try? small.unmount() }
      let lines = (0..<20_000).map { "строка-\($0)-" + String(repeating: "x", count: 80) }
      try (lines.joined(separator: "\n") + "\nDONE\n").write(
        toFile: dir + "/in.txt", atomically: true, encoding: .utf8)
      let trace = small.path + "/t"
      let server = try RunningProcess(sockscopeBinary, ["server", "--trace", trace, "--lang", "en"], in: dir)
      #expect(server.waitUntil { server.stdout.contains("Listening") }, "\(server.stderr)")
      let client = try RunningProcess(
        sockscopeBinary, ["client", "--trace", trace, "--lang", "en"], in: dir, inputFile: dir + "/in.txt")
      #expect(client.finish(seconds: 120).status == 0, "the client is not stopped by the full disk")
      let served = server.finish(seconds: 60)
      #expect(served.status == 0, "the server is not stopped by the full disk: \(served.stderr)")
      #expect(served.stdout.contains(lines[19_999]), "the server received every datagram")

      let inPlace = try sockscope(["merge", trace], in: dir)
      #expect(inPlace.status == 1)
      #expect(inPlace.stderr.contains("\(trace)/trace.jsonl: cannot be written: No space left on device"))
      #expect(inPlace.stderr.contains("-o FILE"), "says how to write it elsewhere")
      #expect(!FileManager.default.fileExists(atPath: trace + "/trace.jsonl"), "nothing half-written is left")

      let elsewhere = try sockscope(["merge", trace, "-o", dir + "/trace.jsonl"], in: dir)
      #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
      #expect(
        elsewhere.stdout.contains("events were lost: no disk space could be reserved"), "\(elsewhere.stdout)")
      let merged = try readTrace(dir + "/trace.jsonl")
      let clientProcess = try #require(merged.header.processes.first { $0.role == "client" })
      #expect(clientProcess.dropped > 0)
      #expect(clientProcess.ending == .closed, "the log was closed properly, short of space or not")
      // What was recorded is the run's beginning, in order, nothing skipped in between.
      let sent = merged.calls(of: "client").filter { $0.call == .send }.compactMap { $0.data?.text }
      #expect(!sent.isEmpty)
      #expect(sent == Array(lines.prefix(sent.count)))
      #expect(
        UInt64(sent.count) + clientProcess.dropped >= UInt64(lines.count), "every send is kept or counted")
    }
  }
}
