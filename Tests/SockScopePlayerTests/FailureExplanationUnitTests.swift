import Foundation
import SockScopeLanguage
import SockScopeTrace
import Testing

@testable import SockScopePlayer

/// Plays `lines` (a header and events) and returns the sentence of its last step.
private func lastSentence(_ lines: [String], _ language: Language) throws -> String {
  let header =
    #"{"format":"sockscope-trace","version":2,"clock":"CLOCK_MONOTONIC","t0_ns":0,"processes":[{"pid":7,"role":"client","events":\#(lines.count),"ended":"closed"}]}"#
  let text = ([header] + lines).joined(separator: "\n") + "\n"
  let read = TraceFile.parse(Array(text.utf8), file: "t.jsonl")
  try #require(read.problems.isEmpty, "\(read.problems)")
  let playback = try #require(Playback(trace: read.trace, language: language))
  return playback.snapshot(playback.count - 1, paneHeight: 3).sentence
}

private func event(_ i: Int, _ body: String) -> String {
  #"{"index":\#(i),"t_ns":\#(i * 1000),"dur_ns":10,"pid":7,"tid":7,"seq":\#(i),"role":"client",\#(body)}"#
}

@Suite("Failed calls the recorders do not reach, and errnos with other causes")
struct FailureExplanationUnitTests {
  // Neither the interposer nor the strace import keeps a call on a descriptor that is not (or no
  // longer) a socket, so EBADF is checked on a written trace: a send on descriptor 3 after its close.
  @Test(
    "a send on a closed descriptor names the close's step and the fix", arguments: Language.allCases)
  func useAfterClose(_ language: Language) throws {
    let sentence = try lastSentence(
      [
        event(
          0,
          #""call":"socketpair","fd":3,"args":{"domain":"AF_UNIX","type":"SOCK_DGRAM","protocol":0,"fds":[3,4]},"ret":0,"sock":{"ino":11,"peer":12}"#
        ),
        event(1, #""call":"close","fd":3,"args":{},"ret":0,"sock":{"ino":11,"peer":12}"#),
        event(
          2,
          #""call":"send","fd":3,"args":{"len":5,"flags":"0"},"ret":-1,"errno":"EBADF","error":"Bad file descriptor""#
        ),
      ], language)
    let facts =
      language == .en
      ? ["send failed: EBADF", "descriptor 3 is not open", "close closed it at step 2", "after close"]
      : ["send не удался: EBADF", "дескриптор 3 не открыт", "закрыл close на шаге 2", "после close"]
    for fact in facts { #expect(sentence.contains(fact), "«\(fact)» missing in: \(sentence)") }
  }

  // EINVAL on bind also means "already bound" (measured: a second bind on a bound socket): with an
  // address that fits sockaddr_un, the player must not claim the sun_path limit.
  @Test("EINVAL with an address that fits is not explained as the sun_path limit")
  func einvalWithoutLongPath() throws {
    let sentence = try lastSentence(
      [
        event(
          0,
          #""call":"socket","fd":3,"args":{"domain":"AF_UNIX","type":"SOCK_DGRAM","protocol":0},"ret":3,"sock":{"ino":11}"#
        ),
        event(
          1,
          #""call":"bind","fd":3,"args":{"addr":{"path":"./a.socket"},"addrlen":13},"ret":0,"sock":{"ino":11}"#
        ),
        event(
          2,
          #""call":"bind","fd":3,"args":{"addr":{"path":"./b.socket"},"addrlen":13},"ret":-1,"errno":"EINVAL","error":"Invalid argument","sock":{"ino":11}"#
        ),
      ], .en)
    #expect(sentence.hasPrefix("The call failed: EINVAL"))
    #expect(!sentence.contains("sun_path"))
  }

  // Linux's UNIX sockets answer a send with no destination with ENOTCONN (measured for datagram,
  // stream and seqpacket sockets), so EDESTADDRREQ comes only from other systems' traces or strace
  // imports: it is checked on a written trace.
  @Test("EDESTADDRREQ on a datagram send names the socket and the fix", arguments: Language.allCases)
  func destinationRequired(_ language: Language) throws {
    let sentence = try lastSentence(
      [
        event(
          0,
          #""call":"socket","fd":3,"args":{"domain":"AF_UNIX","type":"SOCK_DGRAM","protocol":0},"ret":3,"sock":{"ino":11}"#
        ),
        event(
          1,
          #""call":"send","fd":3,"args":{"len":5,"flags":"0"},"ret":-1,"errno":"EDESTADDRREQ","error":"Destination address required","sock":{"ino":11}"#
        ),
      ], language)
    let facts =
      language == .en
      ? [
        "send failed: EDESTADDRREQ", "socket 11 (descriptor 3) has no destination", "Fix: connect", "sendto",
        "Linux returns ENOTCONN here for UNIX sockets, never EDESTADDRREQ",
      ]
      : [
        "send не удался: EDESTADDRREQ", "у сокета 11 (дескриптор 3) нет адресата",
        "Что делать: вызовите connect", "Linux для UNIX-сокетов в этом случае возвращает ENOTCONN",
      ]
    for fact in facts { #expect(sentence.contains(fact), "«\(fact)» missing in: \(sentence)") }
  }

  @Test("ENOTCONN, what Linux returns, is explained without the note on EDESTADDRREQ")
  func notConnectedOnLinux() throws {
    let sentence = try lastSentence(
      [
        event(
          0,
          #""call":"socket","fd":3,"args":{"domain":"AF_UNIX","type":"SOCK_DGRAM","protocol":0},"ret":3,"sock":{"ino":11}"#
        ),
        event(
          1,
          #""call":"send","fd":3,"args":{"len":5,"flags":"0"},"ret":-1,"errno":"ENOTCONN","error":"Transport endpoint is not connected","sock":{"ino":11}"#
        ),
      ], .en)
    #expect(sentence.contains("send failed: ENOTCONN"), "\(sentence)")
    #expect(!sentence.contains("EDESTADDRREQ"), "\(sentence)")
  }
}
