import Foundation
import SockScopeAnalysis
import SockScopeTrace
import Testing

@testable import SockScopeDiagrams

@Suite("Themes and fonts of the figures")
struct ThemeTests {
  /// The demo with a failed receive, a cut datagram and a killed client: every mark a figure has.
  static func markedTrace() throws -> Trace {
    var trace = try demoTrace()
    let recvs = trace.events.indices.filter {
      trace.events[$0].role == "server" && trace.events[$0].call == .recv
    }
    try #require(recvs.count >= 2)
    trace.events[recvs[0]].failure = CallFailure(name: "EINTR", message: "Interrupted system call")
    trace.events[recvs[0]].ret = -1
    trace.events[recvs[1]].data?.datagramLength = 4000
    return trace
  }

  /// Every colour a DOT text names: attributes (`color="…"`, `fillcolor=…`) and HTML labels' fonts.
  static func colors(in dot: String) -> [String] {
    dot.matches(of: /(?:color|fillcolor|fontcolor|bgcolor)=\\?"([^"\\]*)\\?"/).map { String($0.output.1) }
  }

  /// Whether `color` is black, white or a grey `#rrggbb` (red, green and blue equal).
  static func isGrey(_ color: String) -> Bool {
    if ["white", "black", "transparent", ""].contains(color.lowercased()) { return true }
    let hex = Array(color.lowercased().dropFirst())
    guard color.hasPrefix("#"), hex.count == 6 else { return false }
    return hex[0..<2] == hex[2..<4] && hex[2..<4] == hex[4..<6]
  }

  static func dot(_ trace: Trace, _ view: DiagramView, _ theme: DiagramTheme) throws -> String {
    String(
      decoding: try Diagrams.render(
        trace, view: view, format: .dot, options: DiagramOptions(language: .en, theme: theme)),
      as: UTF8.self)
  }

  /// The demo's schematic with every kind of comparison mark, drawn in `theme`.
  static func comparedSchematic(_ theme: DiagramTheme) throws -> String {
    let trace = try markedTrace()
    let schematic = Schematic(trace: trace, language: .en)
    let server = schematic.columns[0]
    var marks: [Int: StepMark] = [:]
    for e in server.steps[0].events { marks[e] = .conforming }
    for e in server.steps[1].events { marks[e] = .extra }
    for e in server.steps[2].events { marks[e] = .failed }
    let figure = schematic.marked(marks, missing: [(pid: server.pids[0], step: "listen(5)", before: nil)])
    return figure.graph(language: .en, theme: theme).text
  }

  @Test("each theme sets its background and text colours in every view", arguments: DiagramView.allCases)
  func backgrounds(view: DiagramView) throws {
    let trace = try demoTrace()
    let light = try Self.dot(trace, view, .light)
    let dark = try Self.dot(trace, view, .dark)
    let print = try Self.dot(trace, view, .print)
    #expect(light.contains("bgcolor=\"white\""))
    #expect(print.contains("bgcolor=\"white\""))
    #expect(dark.contains("bgcolor=\"\(DiagramPalette.dark.background)\""))
    #expect(dark.contains("fontcolor=\"\(DiagramPalette.dark.text)\""))
    // Dark: no text or outline left at Graphviz's default black on the dark background.
    #expect(!dark.contains("color=\"black\""))
    #expect(light != dark && light != print)
  }

  @Test("the dark theme's background is dark and its text light; print's is white and its text black")
  func contrast() {
    func luminance(_ hex: String) -> Double {
      let v = Array(hex.dropFirst()).chunks(2).compactMap { Int(String($0), radix: 16) }
      return Double(v.reduce(0, +)) / (3 * 255)
    }
    #expect(luminance(DiagramPalette.dark.background) < 0.2)
    #expect(luminance(DiagramPalette.dark.text) > 0.8)
    #expect(luminance(DiagramPalette.dark.line) > 0.6)
    #expect(DiagramPalette.print.text == "#000000")
  }

  @Test(
    "the print theme uses greys only, in every view and on a compared schematic",
    arguments: DiagramView.allCases)
  func printIsGrey(view: DiagramView) throws {
    let dot = try Self.dot(try Self.markedTrace(), view, .print)
    let colors = Self.colors(in: dot)
    #expect(colors.count > 5, "the DOT names its colours")
    #expect(colors.filter { !Self.isGrey($0) } == [])
    let compared = Self.colors(in: try Self.comparedSchematic(.print))
    #expect(compared.filter { !Self.isGrey($0) } == [])
    // The check itself: the light theme's colours are found and are not grey.
    #expect(Self.colors(in: try Self.dot(try Self.markedTrace(), view, .light)).contains { !Self.isGrey($0) })
    #expect(DiagramPalette.print.colors.allSatisfy(Self.isGrey))
  }

  @Test("in print a failure and a cut datagram are told by their text and lines, not colour alone")
  func printMarksWithoutColour() throws {
    let trace = try Self.markedTrace()
    let sequence = try Self.dot(trace, .sequence, .print)
    #expect(sequence.contains("= -1 EINTR"))
    #expect(sequence.contains("(cut: 4000 B → "))
    let schematic = try Self.dot(trace, .schematic, .print)
    #expect(schematic.contains("✗ EINTR: Interrupted system call"))
    #expect(schematic.contains("cut: 4000 B → "))

    // A compared figure: failed and conforming steps differ in line width, extra and missing ones
    // are dashed, the missing one is titled so, and the legend's glyphs differ.
    let compared = try Self.comparedSchematic(.print)
    let lines = compared.split(separator: "\n")
    func node(_ text: String) throws -> Substring {
      try #require(lines.first { $0.contains(text) && $0.contains("penwidth") })
    }
    let conforming = try node("socket(AF_UNIX, SOCK_DGRAM)")
    let failed = try node("✗ EINTR")
    let missing = try node("Missing from the run")
    func penwidth(_ line: Substring) -> String? {
      line.firstMatch(of: /penwidth=([0-9.]+)/).map { String($0.output.1) }
    }
    #expect(penwidth(conforming) != penwidth(failed))
    #expect(missing.contains("dashed"))
    #expect(!conforming.contains("dashed"))
    #expect(compared.contains("✗</font> failed"))
    #expect(compared.contains("■</font> as documented"))
  }

  @Test("every SVG names a list of font families, ending in a generic one", arguments: DiagramView.allCases)
  func svgFontFallbacks(view: DiagramView) throws {
    let svg = String(
      decoding: try Diagrams.render(
        try demoTrace(), view: view, format: .svg, options: DiagramOptions(language: .en)),
      as: UTF8.self)
    let families = svg.matches(of: /font-family="([^"]*)"/).map { String($0.output.1) }
    #expect(!families.isEmpty)
    for family in Set(families) {
      let list = family.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      #expect(list.first == "DejaVu Sans", "\(family)")
      #expect(list.count >= 3 && list.last == "sans-serif", "\(family)")
    }
  }

  @Test("a PNG's size follows the dpi asked for")
  func pngDPI() throws {
    let trace = try demoTrace()
    func size(_ dpi: Double?) throws -> (Int, Int) {
      let png = try Diagrams.render(
        trace, view: .topology, format: .png, options: DiagramOptions(language: .en, dpi: dpi))
      return try pngSize(png)
    }
    let normal = try size(nil)
    let double = try size(192)
    #expect(try size(96) == normal)
    #expect(abs(double.0 - 2 * normal.0) <= 4 && abs(double.1 - 2 * normal.1) <= 4, "\(normal) → \(double)")
    // The DOT and the SVG are not changed by a dpi: it sizes PNGs only.
    let svg = try Diagrams.render(
      trace, view: .topology, format: .svg, options: DiagramOptions(language: .en, dpi: 300))
    #expect(
      svg
        == (try Diagrams.render(trace, view: .topology, format: .svg, options: DiagramOptions(language: .en)))
    )
  }

  @Test("the demo's topology fits a slide: about as wide as tall, not a banner")
  func topologyAspect() throws {
    let png = try Diagrams.render(
      try demoTrace(), view: .topology, format: .png, options: DiagramOptions(language: .en))
    let (width, height) = try pngSize(png)
    let ratio = Double(width) / Double(height)
    #expect((0.5...2.5).contains(ratio), "\(width)×\(height)")
  }
}

/// Width and height from a PNG's IHDR chunk.
func pngSize(_ png: [UInt8]) throws -> (Int, Int) {
  try #require(png.count > 24 && png.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
  try #require(Array(png[12..<16]) == Array("IHDR".utf8))
  func int(_ at: Int) -> Int { png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
  return (int(16), int(20))
}

extension Array {
  fileprivate func chunks(_ n: Int) -> [ArraySlice<Element>] {
    stride(from: 0, to: count, by: n).map { self[$0..<Swift.min($0 + n, count)] }
  }
}
