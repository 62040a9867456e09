import Foundation
import SockScopeLanguage
import SockScopeMerge
import SockScopeTrace
import Testing

@testable import SockScopePlayer

@Suite("A killed process in the player")
struct KilledProcessTests {
  /// The demo's run with client#1 killed by SIGKILL after its second send (its close left out).
  func killedPlayback(_ language: Language) throws -> Playback {
    var trace = try TraceFile.read(path: demoTracePath).trace
    trace.events.removeAll { $0.role == "client#1" && $0.call == .close }
    for i in trace.events.indices { trace.events[i].index = i }
    for i in trace.header.processes.indices where trace.header.processes[i].role == "client#1" {
      trace.header.processes[i].ending = .killed
      trace.header.processes[i].signal = "SIGKILL"
    }
    return try #require(Playback(trace: trace, language: language))
  }

  @Test("the killed process's last step says which signal killed it, first; no other step does")
  func markAtLastStep() throws {
    for language in Language.allCases {
      let playback = try killedPlayback(language)
      let snapshots = (0..<playback.count).map { playback.snapshot($0, paneHeight: 10) }
      let marked = snapshots.filter { $0.sentence.hasPrefix("✕") }
      #expect(marked.count == 1)
      let last = try #require(marked.first)
      #expect(last.role == "client#1" && last.callLine.contains("Толстой"))
      #expect(
        last.sentence.hasPrefix(
          language == .en
            ? "✕ After this call the process was killed by SIGKILL."
            : "✕ После этого вызова процесс убит сигналом SIGKILL."))
      // Seen in an 80-column frame, not cut off.
      let frame = FrameRenderer(width: 80, height: 24, color: false, language: language, title: "t")
        .render(last).joined(separator: "\n")
      #expect(frame.contains("SIGKILL"))
    }
  }

  @Test("a process that ended by itself gets no mark")
  func noMarkOtherwise() throws {
    let playback = try demoPlayback(.en)
    #expect((0..<playback.count).allSatisfy { !playback.snapshot($0, paneHeight: 10).sentence.contains("✕") })
  }
}
