import Foundation
import Testing

@testable import SockScopeMerge
@testable import SockScopeTrace

@Suite("A trace directory whose logs cannot be read")
struct UnreadableLogsTests {
  @Test(
    "when no per-process log can be read, merging is an error naming the directory and the fix, not an empty trace"
  )
  func everyLogUnreadable() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "sockscope-unreadable-\(getpid())"
    ).path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Data("not a log".utf8).write(to: URL(fileURLWithPath: dir + "/1-1.sslog"))
    try Data().write(to: URL(fileURLWithPath: dir + "/2-2.sslog"))
    #expect {
      try TraceMerger.merge(directory: dir)
    } throws: { error in
      let message = "\(error)"
      return message.hasPrefix(dir + ": none of its 2 per-process logs (*.sslog) could be read: ")
        && message.contains("1-1.sslog: too short to be a SockScope log")
        && message.hasSuffix("Record the run again (sockscope record or demo)")
    }
    // Through the reader every command uses for a directory, too.
    #expect(throws: TraceFileError.self) { try TraceFile.read(path: dir) }
  }
}
