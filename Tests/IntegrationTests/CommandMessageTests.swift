import Foundation
import Testing

@Suite("What commands say when there is little to do")
struct CommandMessageTests {
  @Test("recording a program that makes no socket call says so, without blaming the directory")
  func recordNoSocketCall() throws {
    try withTemporaryDirectory { dir in
      let result = try sockscope(["record", "--out", "run", "--", "true"], in: dir)
      #expect(result.status == 0, "true succeeded, so record does")
      #expect(result.stderr.contains("made no call on a UNIX-domain socket"), "\(result.stderr)")
      #expect(!result.stderr.contains("sockscope demo"), "no advice to record a demo first")
      #expect(!FileManager.default.fileExists(atPath: dir + "/run/trace.jsonl"))
    }
  }

  @Test("stream-echo --help prints usage and creates no directory called --help")
  func streamEchoHelp() throws {
    let binary = URL(fileURLWithPath: sockscopeBinary).deletingLastPathComponent()
      .appendingPathComponent("stream-echo").path
    try withTemporaryDirectory { dir in
      let result = try run(binary, ["--help"], in: dir)
      #expect(result.status == 0)
      #expect(result.stderr.contains("usage: stream-echo"))
      #expect(!FileManager.default.fileExists(atPath: dir + "/--help"))
      let bad = try run(binary, ["--bogus"], in: dir)
      #expect(bad.status == 2 && bad.stderr.contains("unknown option --bogus"))
    }
  }
}
