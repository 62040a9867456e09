import Foundation
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopePlayer

/// Plays `lines` (events of pid 7) and returns the sentence of its last step.
private func lastSentence(_ lines: [String], _ language: Language) throws -> String {
  let header =
    #"{"format":"sockscope-trace","version":2,"clock":"CLOCK_MONOTONIC","t0_ns":0,"processes":[{"pid":7,"role":"main","events":\#(lines.count),"ended":"closed"}]}"#
  let text = ([header] + lines).joined(separator: "\n") + "\n"
  let read = TraceFile.parse(Array(text.utf8), file: "t.jsonl")
  try #require(read.problems.isEmpty, "\(read.problems)")
  let playback = try #require(Playback(trace: read.trace, language: language))
  return playback.snapshot(playback.count - 1, paneHeight: 3).sentence
}

private func event(_ i: Int, _ body: String) -> String {
  #"{"index":\#(i),"t_ns":\#(i * 1000),"dur_ns":10,"pid":7,"tid":7,"seq":\#(i),"role":"main",\#(body)}"#
}

private let pair = event(
  0,
  #""call":"socketpair","fd":3,"args":{"domain":"AF_UNIX","type":"SOCK_STREAM|SOCK_CLOEXEC","protocol":0,"sv":[3,4]},"ret":0,"sock":{"ino":11,"peer":12}"#
)

@Suite("exec in the player, from written traces")
struct ExecNarrationTests {
  @Test("without the recorded descriptor list (strace, an older trace), nothing is said about which survived")
  func unrecordedDescriptors() throws {
    let sentence = try lastSentence(
      [pair, event(1, #""call":"execve","args":{"path":"/bin/prog"},"ret":0"#)], .en)
    #expect(sentence.contains("now runs the program /bin/prog"), "\(sentence)")
    #expect(sentence.contains("The trace did not record which socket descriptors were close-on-exec"))
    #expect(!sentence.contains("Kept") && !sentence.contains("Closed"))
  }

  @Test(
    "a close-on-exec end that was the last reference: destroyed; the other kept",
    arguments: Language.allCases)
  func lastReference(_ language: Language) throws {
    let sentence = try lastSentence(
      [
        pair,
        event(
          1,
          #""call":"execve","args":{"function":"execv","path":"/bin/prog","sockets":[{"fd":3,"ino":11,"cloexec":true},{"fd":4,"ino":12,"cloexec":false}]},"ret":0"#
        ),
      ], language)
    let facts =
      language == .en
      ? [
        "Kept under the same numbers: fd 4 → socket 12", "Closed (close-on-exec): fd 3 → socket 11",
        "destroyed",
      ]
      : [
        "Остались открыты под теми же номерами: fd 4 → сокет 12", "Закрыт (close-on-exec) fd 3 → сокет 11",
        "уничтожило",
      ]
    for fact in facts { #expect(sentence.contains(fact), "«\(fact)» missing in: \(sentence)") }
  }

  @Test("a failed exec is explained as a failure, not as a new program")
  func failedExec() throws {
    let sentence = try lastSentence(
      [
        pair,
        event(
          1,
          #""call":"execve","args":{"path":"/missing","sockets":[{"fd":3,"ino":11,"cloexec":true}]},"ret":-1,"errno":"ENOENT","error":"No such file or directory""#
        ),
      ], .en)
    #expect(!sentence.contains("now runs"), "\(sentence)")
    #expect(sentence.contains("ENOENT"), "\(sentence)")
  }
}
