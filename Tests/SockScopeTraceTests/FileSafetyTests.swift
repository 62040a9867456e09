import Foundation
import Glibc
import SockScopeOutput
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

@Suite("Reading and writing the user's files safely")
struct FileSafetyTests {
  func withDirectory(_ body: (String) throws -> Void) throws {
    var template = Array("/tmp/sockscope-ut-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } }
    let dir = try #require(made.map { String(cString: $0) })
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try body(dir)
  }

  @Test("an output that is a symbolic link is refused and its target is untouched")
  func symlinkOutputRefused() throws {
    try withDirectory { dir in
      try "precious".write(toFile: dir + "/target", atomically: false, encoding: .utf8)
      symlink(dir + "/target", dir + "/out")
      #expect(throws: OutputError.self) { try OutputFileWriter.write(Array("x".utf8), to: dir + "/out") }
      do throws(OutputError) {
        try OutputFileWriter.write(Array("x".utf8), to: dir + "/out")
      } catch {
        #expect(error.isRefusal)
        #expect(error.message.contains("symbolic link"))
      }
      #expect(try String(contentsOfFile: dir + "/target", encoding: .utf8) == "precious")
    }
  }

  @Test("a file that was read is never replaced, by any name; other files are written whole")
  func inputNeverReplaced() throws {
    try withDirectory { dir in
      try "input".write(toFile: dir + "/in", atomically: false, encoding: .utf8)
      link(dir + "/in", dir + "/hard")
      _ = try InputFile.read(dir + "/./in")
      for name in ["/in", "/hard", "//in"] {
        do throws(OutputError) {
          try OutputFileWriter.write(Array("x".utf8), to: dir + name)
          Issue.record("\(name) was written")
        } catch {
          #expect(error.isRefusal)
        }
      }
      #expect(try String(contentsOfFile: dir + "/in", encoding: .utf8) == "input")
      try OutputFileWriter.write(Array("new".utf8), to: dir + "/other")
      #expect(try String(contentsOfFile: dir + "/other", encoding: .utf8) == "new")
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["hard", "in", "other"])
    }
  }

  @Test("a pipe is read to its end, not for its size of 0")
  func pipeReadWhole() throws {
    var fds: [Int32] = [-1, -1]
    try #require(pipe(&fds) == 0)
    let text = String(repeating: "line of a trace\n", count: 20_000)
    let writeEnd = fds[1]
    let writer = Thread {
      let bytes = Array(text.utf8)
      var written = 0
      while written < bytes.count {
        let n = bytes[written...].withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        written += n
      }
      close(writeEnd)
    }
    writer.start()
    defer { close(fds[0]) }
    let read = try InputFile.read("/proc/self/fd/\(fds[0])")
    #expect(read.count == text.utf8.count)
  }

  @Test("in a trace directory, a FIFO or a link is refused at once, never waited on or followed")
  func directoryEntriesRegularOnly() throws {
    try withDirectory { dir in
      mkfifo(dir + "/trace.jsonl", 0o644)
      #expect(throws: TraceFileError.self) { try TraceFile.read(path: dir) }
      unlink(dir + "/trace.jsonl")
      symlink("/etc/passwd", dir + "/trace.jsonl")
      do throws(TraceFileError) {
        _ = try TraceFile.read(path: dir)
        Issue.record("a link in the directory was followed")
      } catch {
        #expect(error.message.contains("symbolic link"))
      }
      unlink(dir + "/trace.jsonl")
      mkfifo(dir + "/a.sslog", 0o644)
      // The only "log" is a FIFO: nothing could be read, which is an error naming it, at once.
      do throws(TraceFileError) {
        _ = try TraceMerger.merge(directory: dir)
        Issue.record("a directory whose only log is a FIFO was merged")
      } catch {
        #expect(error.message.contains("a.sslog: is a FIFO"), "\(error)")
      }
    }
  }

  @Test("removing old logs takes only this user's regular SockScope logs, never through a link")
  func logCleanupRemovesOnlyLogs() throws {
    try withDirectory { dir in
      let logs = dir + "/logs"
      try FileManager.default.createDirectory(atPath: logs + "/sub.sslog", withIntermediateDirectories: true)
      try "SSCOPLOG and the rest".write(toFile: logs + "/mine.sslog", atomically: false, encoding: .utf8)
      try "not a log".write(toFile: logs + "/other.sslog", atomically: false, encoding: .utf8)
      try "SSCOPLOG precious".write(toFile: dir + "/precious.sslog", atomically: false, encoding: .utf8)
      symlink(dir + "/precious.sslog", logs + "/link.sslog")
      mkfifo(logs + "/fifo.sslog", 0o644)
      try "keep".write(toFile: logs + "/notes.txt", atomically: false, encoding: .utf8)
      let left = try LogCleanup.removeLogs(in: logs)
      #expect(left == ["fifo.sslog", "link.sslog", "other.sslog", "sub.sslog"])
      #expect(
        try FileManager.default.contentsOfDirectory(atPath: logs).sorted()
          == ["fifo.sslog", "link.sslog", "notes.txt", "other.sslog", "sub.sslog"])
      #expect(FileManager.default.fileExists(atPath: dir + "/precious.sslog"))

      symlink(logs, dir + "/linked")
      do throws(TraceFileError) {
        _ = try LogCleanup.removeLogs(in: dir + "/linked")
        Issue.record("a linked directory was cleaned")
      } catch {
        #expect(error.isRefusal)
      }
    }
  }
}

@Suite("JSON printed on a terminal")
struct JSONTerminalSafetyTests {
  @Test("C1 controls, line separators and bidirectional overrides are escaped; other text stays UTF-8")
  func escapesWhatTerminalsActOn() throws {
    let text =
      "a\u{9B}2J\u{85}b\u{2028}\u{2029}\u{202A}\u{202E}\u{2066}\u{2069}c «Лев» ° × é \u{A0}\u{2027}\u{202F}"
    var writer = JSONWriter()
    writer.string(text)
    let json = String(decoding: writer.bytes, as: UTF8.self)
    #expect(
      json
        == #""a\u009b2J\u0085b\u2028\u2029\u202a\u202e\u2066\u2069c «Лев» ° × é "#
        + "\u{A0}\u{2027}\u{202F}\"")
    #expect(!json.unicodeScalars.contains { String($0).terminalSafe != String($0) })
    let parsed = try JSONValue.parse(Array(json.utf8))
    #expect(parsed == .string(text))
  }
}
