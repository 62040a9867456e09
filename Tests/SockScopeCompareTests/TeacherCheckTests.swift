import Foundation
import SockScopeDiagrams
import SockScopeTrace
import Testing

@testable import SockScopeCompare

@Suite("compare as strict as a careful teacher")
struct TeacherCheckTests {
  /// The demo's run with the server's receives given a buffer of `size` bytes, each datagram cut
  /// to it as the kernel would (the datagram's real size kept, as the recorder records it).
  func withBuffer(_ size: Int64) throws -> Trace {
    var trace = try demoTrace()
    for i in trace.events.indices where trace.events[i].role == "server" && trace.events[i].call == .recv {
      trace.events[i].args["len"] = .int(size)
      if var data = trace.events[i].data, data.length > UInt64(size) {
        data.datagramLength = data.length
        data.length = UInt64(size)
        data.bytes = Array(data.bytes.prefix(Int(size)))
        trace.events[i].data = data
        trace.events[i].ret = size
      }
    }
    return trace
  }

  @Test("a receive buffer inside the loop is checked, with the expected and the actual size")
  func argumentInsideLoop() throws {
    let c = try compareWithPage(try withBuffer(512))
    #expect(!c.conforms)
    let f = try #require(c.findings.first { $0.kind == .wrongArgument })
    #expect(f.role == "server" && f.step == "recv(1024)")
    #expect(f.expected == "1024" && f.actual == "512")
    #expect(f.message.contains("in 4 of 4 repetitions of the loop"), "\(f.message)")
    #expect(f.event == (try demoTrace().index("server", .recv)))
  }

  @Test("a datagram cut by a short buffer is a difference of its own, with both sizes")
  func cutDatagram() throws {
    let c = try compareWithPage(try withBuffer(4))
    let cut = c.findings.filter { $0.kind == .cutDatagram }
    // «Лев» (6 bytes) twice and «Толстой» (14) are cut; «DONE» (4) fits.
    #expect(cut.count == 3, "\(cut.map(\.message))")
    let f = try #require(cut.first)
    #expect(f.expected == "6 bytes" && f.actual == "4 bytes")
    #expect(f.message.contains("received 4 of the 6 bytes"))
    #expect(f.message.contains("MSG_TRUNC"))
    #expect(f.severity == .difference)
  }

  @Test("a server that never removes its socket file does not conform, and the report says why")
  func socketFileLeft() throws {
    let c = try compareWithPage(try demoTrace().without { $0.role == "server" && $0.call == .unlink })
    #expect(!c.conforms)
    let f = try #require(c.findings.first { $0.kind == .socketFileLeft })
    #expect(f.role == "server")
    #expect(f.message.contains("EADDRINUSE"))
    #expect(f.expected == "unlink(\"./echo.socket\")")
  }

  @Test("receiving after DONE is a difference naming what came after")
  func receivingAfterExit() throws {
    var trace = try demoTrace()
    // The server's receives reordered: DONE first, the other datagrams after it.
    let done = try #require(trace.events.firstIndex { $0.role == "server" && $0.data?.text == "DONE" })
    let first = try trace.index("server", .recv)
    let a = trace.events[first]
    trace.events[first].data = trace.events[done].data
    trace.events[done].data = a.data
    let c = try compareWithPage(trace)
    let f = try #require(c.findings.first { $0.kind == .receivedAfterExit })
    #expect(f.message.contains("went on receiving after \"DONE\""))
    #expect(f.message.contains("«Толстой»") || f.message.contains("«Лев»"))
  }

  @Test("every report is Russian by default and English with .en, the same findings in both")
  func languages() throws {
    let trace = try withBuffer(4)
    let ru = Comparer.compare(trace, with: try DocumentedSchematic.datagramEcho, reference: "«P»")
    let en = try compareWithPage(trace)
    #expect(ru.findings.map(\.kind) == en.findings.map(\.kind))
    let text = ru.report(.text, trace: "t", hints: true)
    #expect(text.hasPrefix("Проверка t по схеме «P»"))
    #expect(text.contains("датаграмма обрезана: server"))
    #expect(text.contains("ожидалось: 1024; в прогоне: 4"))
    #expect(text.contains("совет: "))
    #expect(!text.contains("the schematic"))
    let markdown = ru.report(.markdown, trace: "t")
    #expect(markdown.contains("**Не соответствует**"))
    #expect(markdown.contains("| находка | роль |"))
    let json = try JSONValue.parse(ru.report(.json, trace: "t"))
    #expect(json.objectValue?["language"] == .string("ru"))
    let finding = try #require(json.objectValue?["findings"]?.arrayValue?.first?.objectValue)
    #expect(finding["expected"] != nil && finding["hint"]?.stringValue?.isEmpty == false)
    #expect(en.report(.text, trace: "t").contains("Checking t against the schematic the page"))
  }

  @Test("the marked figure never draws a receive with a short buffer green")
  func markedShortBuffer() throws {
    let trace = try withBuffer(16)
    let c = try compareWithPage(trace)
    let figure = Schematic(trace: trace, language: .en).marked(c.marks, missing: c.missing)
    let receive = try #require(figure.columns[0].steps.first { $0.call == .recv })
    #expect(receive.mark == .failed)
  }

  @Test("hints explain each finding with the fix, only when asked")
  func hints() throws {
    let c = try compareWithPage(try withBuffer(16))
    #expect(c.findings.allSatisfy { !$0.hint.isEmpty })
    let plain = c.report(.text, trace: "t")
    let hinted = c.report(.text, trace: "t", hints: true)
    #expect(!plain.contains("hint:"))
    #expect(hinted.contains("hint: The buffer size is the most recv returns"))
  }

  @Test("a connect refused after the server closed is explained as such, a send refused as its peer gone")
  func failureHints() {
    let words = FindingWords(language: .en)
    #expect(words.failureHint(call: "connect", errno: "ECONNREFUSED").contains("bound to it was closed"))
    #expect(
      words.failureHint(call: "send", errno: "ECONNREFUSED").contains(
        "was closed after this socket connected"))
    #expect(words.failureHint(call: "bind", errno: "EADDRINUSE").contains("remove it before bind"))
  }

  @Test("diff: a process beyond the reference's, or an extra step, makes the runs differ")
  func diffExtras() throws {
    let a = try demoTrace()
    let (reference, options) = Comparer.reference(from: a, language: .en)
    var b = a
    let last = try #require(b.events.last)
    b.events.append(
      TraceEvent(
        index: last.index + 1, time: last.time + 1, pid: 99, role: "client#3", call: .socket,
        args: ["domain": .string("AF_UNIX"), "type": .string("SOCK_DGRAM")], ret: 3))
    let c = Comparer.compare(b, with: reference, reference: "A", options: options)
    #expect(!c.conforms)
    #expect(
      c.findings.contains { $0.kind == .extraRole && $0.message.contains("the reference run does not have") })
    var extra = a
    let server = try a.index("server", .bind)
    extra.events.insert(
      TraceEvent(
        index: 0, time: a.events[server].time + 1, pid: a.events[server].pid, role: "server",
        call: .getsockname),
      at: server + 1)
    for i in extra.events.indices { extra.events[i].index = i }
    let d = Comparer.compare(extra, with: reference, reference: "A", options: options)
    #expect(!d.conforms)
    #expect(d.findings.contains { $0.kind == .extraStep && $0.severity == .difference })
  }

  @Test("Russian counts agree with their number: 1 раз, 2 раза, 5 раз, 12 раз, 22 раза")
  func russianTimes() {
    #expect(
      [1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 104].map(FindingWords.times) == [
        "раз", "раза", "раза", "раз", "раз", "раз", "раз", "раз", "раза", "раз", "раза",
      ])
  }
}
