import SockScopeTrace
import Testing

@testable import SockScopeCompare

/// `diff` holds a run to another run in both directions: a step the reference lacks and a loop that
/// ran more often are differences, just as a missing step and a shorter loop are.
@Suite("Comparing two runs, in both directions")
struct DiffDirectionTests {
  @Test("a run with a step the reference run does not have differs from it")
  func extraStepDiffers() throws {
    let full = try demoTrace()
    let shorter = full.without { $0.role == "server" && $0.call == .unlink }
    let (reference, options) = Comparer.reference(from: shorter)
    let c = Comparer.compare(full, with: reference, reference: "A", options: options)
    #expect(!c.conforms, "\(c.findings)")
    let extra = try #require(c.findings.first { $0.kind == .extraStep })
    #expect(extra.severity == .difference)
    #expect(extra.role == "server")
    #expect(extra.message.contains("unlink"))
  }

  @Test("a run whose loop ran more times than the reference's differs from it")
  func longerLoopDiffers() throws {
    let full = try demoTrace()
    let fewer = full.without { $0.role == "client#1" && $0.call == .send && $0.data?.text == "Толстой" }
    let (reference, options) = Comparer.reference(from: fewer, language: .en)
    let c = Comparer.compare(full, with: reference, reference: "A", options: options)
    #expect(!c.conforms, "\(c.findings)")
    let loop = try #require(c.findings.first { $0.kind == .loopCount && $0.role == "client#1" })
    #expect(loop.severity == .difference)
    #expect(loop.message.contains("ran 2 times; the reference ran it 1"), "\(loop.message)")
  }

  @Test("each run of a pair differs from the other: the difference does not depend on which is the reference")
  func symmetric() throws {
    let full = try demoTrace()
    let fewer = full.without { $0.role == "client#1" && $0.call == .send && $0.data?.text == "Толстой" }
    for (a, b) in [(full, fewer), (fewer, full)] {
      let (reference, options) = Comparer.reference(from: a)
      let c = Comparer.compare(b, with: reference, reference: "A", options: options)
      #expect(!c.conforms, "\(c.findings)")
    }
  }
}
