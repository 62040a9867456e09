import Foundation
import SockScopeAnalysis
import SockScopeDiagrams
import SockScopeLanguage
import SockScopePlayer
import SockScopeTrace
import Testing

// The views of a recorded exec (examples/python/exec-inherit, the gallery's fixture): what the
// new program holds, and how the process that ran it is named.
@Suite("exec-inherit on the views: the new program's descriptors and name", needs("python3"))
struct ExecViewsRecordedTests {
  @Test(
    "the new program holds only the inheritable end; the topology draws the close-on-exec one as closed at exec; every view names the program"
  )
  func execInheritViews() throws {
    try withTemporaryDirectory { dir in
      let trace = try recordGalleryExample(.one("exec-inherit", "parent", "parent.py"), in: dir)
      let model = KernelModel(trace: trace)
      let parent = try #require(trace.header.processes.first { $0.role == "parent" }?.pid)
      let child = try #require(trace.header.processes.first { $0.role == "parent/1" }?.pid)
      let pair = try #require(model.events.firstIndex { $0.call == .socketpair && $0.succeeded })
      let (parentFD, childFD) = try #require(model.events[pair].pairDescriptors)
      let parentEnd = try #require(model.events[pair].socket?.inode)
      let childEnd = try #require(model.events[pair].socket?.peer)
      let exec = try #require(model.events.firstIndex { $0.call == .execve && $0.pid == child })

      // What the kernel had: before the exec the child held both ends (fork); after it, only the
      // inheritable one, under the same number (the example started with no other descriptors).
      #expect(model.descriptors(of: child, after: exec - 1) == [parentFD: parentEnd, childFD: childEnd])
      #expect(model.descriptors(of: child, after: exec) == [childFD: childEnd])
      let fates = model.execFates
      let execIndex = model.events[exec].index
      #expect(
        fates[HeldDescriptor(pid: child, fd: parentFD, socket: parentEnd)]
          == .closedAtExec(eventIndex: execIndex))
      #expect(
        fates[HeldDescriptor(pid: child, fd: childFD, socket: childEnd)] == .keptAtExec(eventIndex: execIndex)
      )

      // The topology, as `render` writes it: the closed one dashed and labelled, the kept one too.
      let dot = String(
        decoding: try Diagrams.render(
          trace, view: .topology, format: .dot, options: DiagramOptions(language: .en)), as: UTF8.self)
      let closedEdge = try #require(
        dot.split(separator: "\n").first { $0.contains("p\(child) -> s\(parentEnd) ") })
      #expect(
        closedEdge.contains("closed at exec (close-on-exec)") && closedEdge.contains("dashed"),
        "\(closedEdge)")
      let keptEdge = try #require(
        dot.split(separator: "\n").first { $0.contains("p\(child) -> s\(childEnd) ") })
      #expect(keptEdge.contains("kept open across exec") && !keptEdge.contains("dashed"), "\(keptEdge)")
      let parentEdge = try #require(
        dot.split(separator: "\n").first { $0.contains("p\(parent) -> s\(parentEnd) ") })
      #expect(!parentEdge.contains("exec"), "the parent did not exec: \(parentEdge)")

      // The name: `parent/1 → python3` on the topology, the sequence chart and in the player
      // from the exec on; the role itself is unchanged.
      let participant = try #require(trace.participants.first { $0.pid == child })
      #expect(participant.role == "parent/1")
      #expect(participant.title.hasPrefix("parent/1 → python3"), "\(participant.title)")
      #expect(dot.contains("\(participant.title)\\npid \(child)"))
      let sequence = String(
        decoding: try Diagrams.render(
          trace, view: .sequence, format: .dot, options: DiagramOptions(language: .en)), as: UTF8.self)
      #expect(sequence.contains("\(participant.title)\\npid \(child)"))
      let playback = try #require(Playback(trace: trace, language: .en))
      let steps = (0..<playback.count).map { playback.snapshot($0, paneHeight: 2) }
      let execStep = try #require(steps.firstIndex { $0.event == model.events[exec].index })
      #expect(steps[..<execStep].allSatisfy { $0.pid != child || $0.role == "parent/1" })
      #expect(steps[execStep...].allSatisfy { $0.pid != child || $0.role == participant.title })
    }
  }
}
