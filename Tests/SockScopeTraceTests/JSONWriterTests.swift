import Foundation
import Testing

@testable import SockScopeTrace

/// Characters the writer's eight-bytes-at-a-time path must notice: what JSON requires escaped,
/// what splits a line (for `str.splitlines()` in Python too: U+000B, U+000C, U+001C–U+001E,
/// U+0085, U+2028, U+2029), and near misses that share a lead byte with them and must stay as
/// they are (é, «, U+2027, U+202A, U+20AC).
private let awkward: [Unicode.Scalar] =
  (0x00...0x1F).map { Unicode.Scalar(UInt8($0)) } + [
    "\"", "\\", "/", "\u{7F}", "\u{80}", "\u{85}", "\u{9F}", "\u{A0}", "\u{AB}", "é", "\u{2027}",
    "\u{2028}", "\u{2029}", "\u{202A}", "\u{20AC}", "я", "😀", "\u{E2}", "\u{C2}",
  ]

/// What would end a line for `str.splitlines()` (and, \n and \r, for everyone else).
private let lineBreakers: Set<Unicode.Scalar> = [
  "\n", "\r", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}", "\u{2029}",
]

/// Writes `s` both ways the writer offers and checks each line reads back to `s` and holds
/// nothing that splits a line or that a terminal would act on. Returns whether all held, so a
/// broken writer reports its first few cases rather than thousands.
@discardableResult
private func expectWrittenLineRoundTrips(
  _ s: String, sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
  var fromString = JSONWriter()
  fromString.string(s)
  var fromBytes = JSONWriter()
  Array(s.utf8).withUnsafeBufferPointer { fromBytes.string(utf8: $0) }
  let line = String(decoding: fromString.bytes, as: UTF8.self)
  let shown = s.unicodeScalars.map { String($0.value, radix: 16) }
  let splitsNoLine = line.unicodeScalars.allSatisfy {
    !lineBreakers.contains($0) && !(0x00...0x1F ~= $0.value)
  }
  let noRawControls = line.unicodeScalars.allSatisfy { !(0x7F...0x9F ~= $0.value) }
  let readsBack = (try? JSONValue.parse(fromString.bytes)) == .string(s)
  #expect(fromString.bytes == fromBytes.bytes, "\(shown)", sourceLocation: sourceLocation)
  #expect(splitsNoLine, "\(shown) was written as \(line.debugDescription)", sourceLocation: sourceLocation)
  #expect(noRawControls, "\(shown): DEL and C1 controls are escaped", sourceLocation: sourceLocation)
  #expect(readsBack, "\(shown) was read back differently", sourceLocation: sourceLocation)
  return fromString.bytes == fromBytes.bytes && splitsNoLine && noRawControls && readsBack
}

/// A seeded generator, so a failure names a case that can be run again.
private struct Seeded: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

private func randomString(_ random: inout Seeded) -> String {
  var s = String.UnicodeScalarView()
  for _ in 0..<Int(random.next() % 40) {
    if random.next() % 3 == 0 {
      s.append(awkward[Int(random.next() % UInt64(awkward.count))])
    } else {
      s.append(Unicode.Scalar(UInt8(0x20 + random.next() % 0x5F)))
    }
  }
  return String(s)
}

/// Finds a program on PATH.
private func onPath(_ name: String) -> String? {
  let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
  return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite("The JSON writer keeps every string on its line")
struct JSONWriterTests {
  @Test("each awkward character, at every offset around the eight-byte blocks, reads back and splits no line")
  func everyOffset() {
    for c in awkward {
      for offset in 0...19 {
        for length in [offset + 1, offset + 3, 20, 24] where length > offset {
          var s = String(repeating: "a", count: offset)
          s.unicodeScalars.append(c)
          s += String(repeating: "b", count: length - offset - 1)
          guard expectWrittenLineRoundTrips(s) else { return }
        }
      }
    }
  }

  @Test("two awkward characters side by side, at every offset, read back and split no line")
  func pairsAtEveryOffset() {
    for c in awkward {
      for d in ["\u{2028}", "\u{85}", "\"", "é"] as [Unicode.Scalar] {
        for offset in 0...9 {
          var s = String(repeating: "x", count: offset)
          s.unicodeScalars.append(c)
          s.unicodeScalars.append(d)
          s += "tail"
          guard expectWrittenLineRoundTrips(s) else { return }
        }
      }
    }
  }

  @Test("random strings of ASCII and awkward characters read back and split no line")
  func randomStrings() {
    var random = Seeded(state: 2028)
    for _ in 0..<3000 {
      guard expectWrittenLineRoundTrips(randomString(&random)) else { return }
    }
  }

  @Test("a trace whose roles, payloads and error messages hold line separators stays one event a line")
  func traceLines() throws {
    var random = Seeded(state: 85)
    var events: [TraceEvent] = []
    for k in 0..<300 {
      let text = randomString(&random) + "\u{2028}\u{85}"
      events.append(
        TraceEvent(
          index: k, time: UInt64(1000 + k), pid: 7, seq: UInt64(k),
          role: "client \u{2029}" + randomString(&random),
          call: .output, fd: 1, ret: k % 2 == 0 ? Int64(text.utf8.count) : -1,
          failure: k % 2 == 0 ? nil : CallFailure(name: "EIO", message: randomString(&random) + "\u{2028}"),
          data: Payload(length: UInt64(text.utf8.count), bytes: Array(text.utf8))))
    }
    let trace = Trace(header: TraceHeader(t0: 1000), events: events)
    let bytes = consistentBytes(trace)
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.unicodeScalars.filter { lineBreakers.contains($0) }.count == events.count + 1)
    let read = TraceFile.parse(bytes, file: "t.jsonl")
    #expect(read.problems.isEmpty, "\(read.problems)")
    #expect(read.trace.events == events)
  }

  @Test("files written before separators were escaped, with them raw inside strings, still read")
  func rawSeparatorsStillRead() throws {
    let raw = "\"a\u{2028}b\u{2029}c\u{85}d\u{9F}e\""
    #expect(try JSONValue.parse(raw) == .string("a\u{2028}b\u{2029}c\u{85}d\u{9F}e"))
  }

  @Test(
    "Python's splitlines() finds one line per written string and json.loads reads each back",
    .enabled(
      if: onPath("python3") != nil || ProcessInfo.processInfo.environment["CI"] == "true",
      "python3 is not installed (make test installs it; under CI=true this test fails instead)"))
  func pythonReadsEveryLine() throws {
    let python = try #require(onPath("python3"), "python3 is missing: CI must have it (scripts/install-deps)")
    var random = Seeded(state: 0x2029)
    var strings = awkward.map { "a" + String($0) + "b" }
    for _ in 0..<500 { strings.append(randomString(&random)) }
    var w = JSONWriter()
    for s in strings {
      w.string(s)
      w.bytes.append(UInt8(ascii: "\n"))
    }
    let path = NSTemporaryDirectory() + "sockscope-writer-\(getpid()).jsonl"
    try Data(w.bytes).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [
      "-c",
      """
      import json, sys
      lines = open(sys.argv[1], encoding="utf-8", newline="").read().splitlines()
      print(json.dumps([json.loads(line) for line in lines], ensure_ascii=True))
      """,
      path,
    ]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let read = try JSONValue.parse(Array(data).filter { $0 != UInt8(ascii: "\n") })
    let items = try #require(read.arrayValue)
    #expect(items.count == strings.count, "Python split the written lines into \(items.count)")
    for (item, s) in zip(items, strings) where item != .string(s) {
      Issue.record("Python read \(item) for \(s.unicodeScalars.map { String($0.value, radix: 16) })")
    }
  }
}

@Suite("Payloads that are not UTF-8")
struct NonUTF8PayloadTests {
  @Test(
    "surrogates, overlong forms, values past U+10FFFF and cut characters are kept as hex and read back byte for byte"
  )
  func invalidSequencesAreHex() throws {
    let invalid: [[UInt8]] = [
      [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80],
      [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80], [0xD0],
      [0xE2, 0x80],
    ]
    let valid: [[UInt8]] = [
      [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xD0, 0xAF],
    ]
    var events: [TraceEvent] = []
    for (k, sequence) in (invalid + valid).enumerated() {
      let bytes = Array("a".utf8) + sequence + Array("b".utf8)
      let payload = Payload(length: UInt64(bytes.count), bytes: bytes)
      #expect(payload.isText == valid.contains(sequence), "\(sequence.map { String($0, radix: 16) })")
      events.append(
        TraceEvent(
          index: k, time: UInt64(k), pid: 1, role: "r", call: .output, fd: 1, ret: Int64(bytes.count),
          data: payload))
    }
    let read = TraceFile.parse(
      consistentBytes(Trace(header: TraceHeader(t0: 0), events: events)), file: "t")
    #expect(read.problems.isEmpty, "\(read.problems)")
    #expect(read.trace.events.map(\.data) == events.map(\.data))
  }
}
