import SockScopeTrace
import Testing

@testable import SockScopeCompare

@Suite("Findings name where the program made the call")
struct FindingSourceTests {
  @Test("a finding about a call names the call's file and line, and only when the trace has it")
  func findingNamesSourceLine() throws {
    var trace = try demoTrace()
    for i in trace.events.indices where trace.events[i].role == "server" {
      trace.events[i].source = CallSite(file: "/home/student/server.py", line: 7, function: "<module>")
    }
    let schematic = try DocumentedSchematic.datagramEcho
    let withSource = Comparer.compare(
      trace.without { $0.role == "server" && $0.call == .unlink }, with: schematic, reference: "page")
    let left = try #require(withSource.findings.first { $0.kind == .socketFileLeft })
    #expect(left.source == "server.py:7")

    let plain = try demoTrace()
    let without = Comparer.compare(
      plain.without { $0.role == "server" && $0.call == .unlink }, with: schematic, reference: "page")
    let unnamed = try #require(without.findings.first { $0.kind == .socketFileLeft })
    #expect(unnamed.source == nil)
  }
}
