import Foundation
import SockScopeTrace
import Testing

@testable import SockScopePlayer

let demoTracePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("SockScopeTraceTests/Fixtures/demo-trace.jsonl").path
let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
  "Fixtures"
).path

func demoPlayback(_ language: PlayerLanguage) throws -> Playback {
  let read = try TraceFile.read(path: demoTracePath)
  try #require(read.problems.isEmpty)
  return try #require(Playback(trace: read.trace, language: language))
}

/// Every step as plain frames, as `sockscope play --frames` prints them.
func allFrames(_ playback: Playback, width: Int = 80, height: Int = 24) -> String {
  let renderer = FrameRenderer(
    width: width, height: height, color: false, language: playback.language, title: "demo-trace.jsonl")
  return (0..<playback.count).map { k in
    renderer.render(playback.snapshot(k, paneHeight: renderer.paneHeight)).joined(separator: "\n") + "\n"
  }.joined(separator: "\n")
}

@Suite("Stepping through the demo's run")
struct PlayerTests {
  @Test("every frame matches its golden file, in both languages", arguments: PlayerLanguage.allCases)
  func goldenFrames(language: PlayerLanguage) throws {
    let frames = allFrames(try demoPlayback(language))
    let path = goldenDirectory + "/frames-\(language.rawValue).txt"
    if ProcessInfo.processInfo.environment["SOCKSCOPE_RECORD_GOLDEN"] == "1" {
      try frames.write(toFile: path, atomically: true, encoding: .utf8)
    }
    #expect(
      frames == (try String(contentsOfFile: path, encoding: .utf8)),
      "re-record with SOCKSCOPE_RECORD_GOLDEN=1 if intended")
  }

  @Test("every frame line is exactly 80 columns wide, Cyrillic included", arguments: PlayerLanguage.allCases)
  func widths(language: PlayerLanguage) throws {
    let playback = try demoPlayback(language)
    let renderer = FrameRenderer(width: 80, height: 24, color: false, language: language, title: "t")
    for k in 0..<playback.count {
      let lines = renderer.render(playback.snapshot(k, paneHeight: renderer.paneHeight))
      #expect(lines.count == 24)
      #expect(lines.allSatisfy { DisplayWidth.of($0) == 80 }, "step \(k + 1)")
    }
  }

  @Test("steps follow the order calls returned: each send comes before the recv that waited for it")
  func stepOrder() throws {
    let playback = try demoPlayback(.en)
    let snapshots = (0..<playback.count).map { playback.snapshot($0, paneHeight: 16) }
    let sendLev = try #require(snapshots.firstIndex { $0.callLine.hasPrefix("send(3, «Лев»") })
    let recvLev = try #require(snapshots.firstIndex { $0.callLine.hasPrefix("recv(3, 1024, 0) = 6 «Лев»") })
    #expect(sendLev < recvLev)
    #expect(snapshots[sendLev].travel?.position == 0.5, "sent: in the kernel's queue")
    #expect(snapshots[recvLev].travel?.position == 1, "received: delivered")
    #expect(snapshots[recvLev].sentence.hasPrefix("recv blocked for"))
    #expect(snapshots.last?.callLine == "unlink(\"./echo.socket\") = 0")
  }

  @Test("a step is the same however it is reached: forward, backward, or directly")
  func snapshotsAreComplete() throws {
    let playback = try demoPlayback(.ru)
    let direct = playback.snapshot(9, paneHeight: 16)
    var k = 0
    while k < 14 { k += 1 }
    while k > 9 { k -= 1 }
    #expect(playback.snapshot(k, paneHeight: 16) == direct)
  }

  @Test("a console shows only what its processes had printed when the call returned")
  func consolesFollowTime() throws {
    let playback = try demoPlayback(.ru)
    let first = playback.snapshot(0, paneHeight: 16)
    #expect(first.left == ["Открываем UNIX сокет..."])
    #expect(first.right.isEmpty)
    let last = playback.snapshot(playback.count - 1, paneHeight: 16)
    #expect(last.left.suffix(3) == ["DONE", "--------------------", "Выключение..."])
    #expect(last.right.contains("── client#2 (pid 4898) ──"))
  }

  @Test("a long console is cut to the pane, keeping its last lines")
  func longConsole() throws {
    let playback = try demoPlayback(.ru)
    let s = playback.snapshot(playback.count - 1, paneHeight: 3)
    #expect(s.right == ["ОТПРАВЛЕНО: DONE", "Выключение.", "Выполнено"])
  }
}

@Suite("Terminal text")
struct TerminalTextTests {
  @Test("columns are counted per character: Cyrillic 1, CJK 2, combining marks 0")
  func displayWidth() {
    #expect(DisplayWidth.of("Лев Толстой") == 11)
    #expect(DisplayWidth.of("漢字") == 4)
    #expect(DisplayWidth.of("e\u{301}") == 1)
    #expect(DisplayWidth.fit("Толстой", 4) == "Толс")
    #expect(DisplayWidth.fit("漢字", 3) == "漢 ")
    #expect(DisplayWidth.fit("ab", 4) == "ab  ")
  }

  @Test("text wraps at spaces and long words are cut")
  func wrapping() {
    #expect(DisplayWidth.wrap("один два три", 8) == ["один два", "три"])
    #expect(DisplayWidth.wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"])
  }

  @Test("keys and escape sequences a terminal sends are understood; partial sequences wait for more")
  func keys() {
    var input = Array("\u{1B}[C\u{1B}[D \u{1B}[H\u{1B}[4~pq?+-n".utf8)
    var keys: [Key] = []
    while let k = Key.next(&input) { keys.append(k) }
    #expect(keys == [.next, .back, .next, .first, .last, .playPause, .quit, .help, .faster, .slower, .next])
    var partial: [UInt8] = [0x1B, UInt8(ascii: "[")]
    #expect(Key.next(&partial) == nil)
    #expect(partial.count == 2)
    var ctrlC: [UInt8] = [0x03]
    #expect(Key.next(&ctrlC) == .quit)
  }

  @Test("colour is only added when asked for, and adds no columns")
  func colour() throws {
    let playback = try demoPlayback(.en)
    let plain = FrameRenderer(width: 80, height: 24, color: false, language: .en, title: "t")
    let coloured = FrameRenderer(width: 80, height: 24, color: true, language: .en, title: "t")
    let a = plain.render(playback.snapshot(3, paneHeight: 16))
    let b = coloured.render(playback.snapshot(3, paneHeight: 16))
    #expect(!a.joined().contains("\u{1B}"))
    #expect(b.joined().contains("\u{1B}["))
    let stripped = b.map { $0.replacing(/\x1B\[[0-9;]*m/, with: "") }
    #expect(stripped == a)
  }
}

@Suite("asciinema recordings")
struct AsciicastTests {
  @Test("a recording has a v2 header, events in time order, and one marker per step")
  func structure() throws {
    let playback = try demoPlayback(.ru)
    let renderer = FrameRenderer(width: 100, height: 30, color: true, language: .ru, title: "t")
    let lines = Asciicast.recording(playback, renderer: renderer, timestamp: 1_700_000_000).split(
      separator: "\n")
    let header = try JSONValue.parse(String(lines[0])).objectValue
    #expect(header?["version"] == .int(2))
    #expect(header?["width"] == .int(100) && header?["height"] == .int(30))
    var last = -1.0
    var markers = 0
    for line in lines.dropFirst() {
      let event = try #require(try JSONValue.parse(String(line)).arrayValue)
      #expect(event.count == 3)
      let time: Double =
        switch event[0] {
        case .double(let d): d
        case .int(let i): Double(i)
        default: -1
        }
      #expect(time >= last)
      last = time
      let kind = event[1].stringValue
      #expect(kind == "o" || kind == "m")
      if kind == "m" { markers += 1 }
    }
    #expect(markers == playback.count)
  }
}
