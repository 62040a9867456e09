import Foundation
import SockScopeMerge
import SockScopeTrace
import Testing

@testable import SockScopePlayer

@Suite("The player and Windows line ends")
struct LineEndTests {
  @Test("a program that prints CRLF line ends fills its pane line by line, as with LF")
  func crlfOutput() throws {
    let read = try TraceFile.read(path: demoTracePath)
    var crlf = read.trace
    for i in crlf.events.indices where crlf.events[i].call == .output {
      let text = try #require(crlf.events[i].data?.text)
      let bytes = Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
      crlf.events[i].data = Payload(capturing: bytes, length: UInt64(bytes.count), limit: bytes.count)
    }
    let plain = try #require(Playback(trace: read.trace, language: .en))
    let windows = try #require(Playback(trace: crlf, language: .en))
    for k in 0..<plain.count {
      let a = plain.snapshot(k, paneHeight: 16)
      let b = windows.snapshot(k, paneHeight: 16)
      #expect(b.panes == a.panes, "step \(k + 1)")
    }
  }
}
