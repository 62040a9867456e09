public import SockScopeAnalysis
public import SockScopeGraphviz
public import SockScopeLanguage
public import SockScopeTrace

/// What a diagram shows.
public enum DiagramView: String, Sendable, CaseIterable {
  /// The page's flowchart: a column per program, a box per step, loops folded.
  case schematic
  /// A message sequence chart: a lifeline per process, every call in time order.
  case sequence
  /// Processes, descriptors, sockets, the socket file and the kernel queue, with counts.
  case topology
  /// How full each receive queue was over time, with the queue-length limit where it applies.
  case queues
}

/// How a diagram is written.
public enum DiagramFormat: String, Sendable, CaseIterable {
  /// The DOT text SockScope generates (what Graphviz lays out).
  case dot
  case svg, png, pdf
}

/// Choices for drawing.
public struct DiagramOptions: Sendable {
  public var language: Language
  /// Sequence view: show each call's time since the start of the run.
  public var timestamps: Bool
  /// Sequence view: the vertical axis follows real time; datagrams are drawn slanted from send to
  /// receive, blocking calls as bars of their real duration.
  public var timeAxis: Bool
  /// Sequence view: the most calls drawn; a longer trace is drawn as its beginning and end, with
  /// the fold said on the figure.
  public var maximumCalls: Int
  /// The colours: for a screen, a printer or a slide.
  public var theme: DiagramTheme
  /// PNG only: pixels per inch (Graphviz's default is 96); nil keeps the default.
  public var dpi: Double?
  /// Schematic view: the documented schematic whose loops (decisions, output steps, loops of
  /// several calls) are drawn where the run made its steps; the lecture page's by default.
  public var documented: DocumentedSchematic?
  /// Sequence view: draw this page (from 1) of the calls, `maximumCalls` a page, instead of folding
  /// a long trace. A page lays out in a fraction of a second where every call of a long trace takes
  /// Graphviz many seconds and gigabytes (docs/performance.md).
  public var page: Int?
  /// Queues view: net.unix.max_dgram_qlen, drawn where it limits a queue; nil draws no limit.
  public var datagramQueueLimit: QueueLimit?

  public init(
    language: Language = .ru, timestamps: Bool = false, timeAxis: Bool = false,
    maximumCalls: Int = 400,
    theme: DiagramTheme = .light, dpi: Double? = nil,
    documented: DocumentedSchematic? = DiagramOptions.pageSchematic, page: Int? = nil
  ) {
    self.documented = documented
    self.page = page
    self.theme = theme
    self.dpi = dpi
    self.language = language
    self.timestamps = timestamps
    self.timeAxis = timeAxis
    self.maximumCalls = maximumCalls
  }
}

extension DiagramOptions {
  /// The lecture page's schematic, built in (nil only if the embedded file did not parse, which
  /// a test rules out).
  public static let pageSchematic: DocumentedSchematic? = try? DocumentedSchematic.datagramEcho
}

/// Why a trace cannot be drawn.
public enum DiagramError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The trace holds no socket call: nothing to draw.
  case emptyTrace
  case graphviz(String)

  public var description: String {
    switch self {
    case .emptyTrace:
      "the trace holds no socket calls, so there is nothing to draw; record a program that uses sockets "
        + "(sockscope demo, or sockscope record --out DIR -- PROGRAM) and draw that trace"
    case .graphviz(let message): message
    }
  }
}

/// Draws traces.
public enum Diagrams {
  /// The graph for `view`, and the engine that lays it out.
  public static func graph(
    of trace: Trace, view: DiagramView, options: DiagramOptions
  ) throws(DiagramError)
    -> (DOTGraph, GraphvizEngine)
  {
    guard trace.events.contains(where: { $0.call != .output }) else { throw .emptyTrace }
    switch view {
    case .schematic:
      return (
        Schematic(trace: trace, language: options.language, documented: options.documented).graph(
          language: options.language, theme: options.theme), .dot
      )
    case .sequence:
      return (SequenceChart(trace: trace, options: options).graph, .nop2)
    case .topology:
      return (Topology(trace: trace, language: options.language, theme: options.theme).graph, .dot)
    case .queues:
      return (
        QueueChart(trace: trace, options: options, datagramQueueLimit: options.datagramQueueLimit).graph,
        .nop2
      )
    }
  }

  /// How many pages of `callsPerPage` calls the sequence view of `trace` has (at least 1).
  public static func sequencePages(of trace: Trace, callsPerPage: Int) -> Int {
    let calls = trace.events.count { $0.call != .output }
    return max((calls + max(callsPerPage, 1) - 1) / max(callsPerPage, 1), 1)
  }

  /// A graph laid out with `engine`, as the bytes of a file in `format` (`dot`: the DOT text).
  public static func render(
    _ graph: DOTGraph, engine: GraphvizEngine, format: DiagramFormat
  ) throws(DiagramError)
    -> [UInt8]
  {
    // Roles and payloads from the trace may hold control characters: written as visible escapes,
    // they cannot reach the terminal a figure is printed on, nor make an SVG invalid XML. The DOT
    // text's own newlines (between statements; a label's are already `\n`) are kept.
    let text = escapingControls(graph.text)
    guard let output = GraphvizFormat(rawValue: format.rawValue) else { return Array(text.utf8) }
    do {
      let bytes = try Graphviz.render(text, engine: engine, format: output)
      return output == .svg ? withFontFallbacks(bytes) : bytes
    } catch {
      throw .graphviz(error.description)
    }
  }

  /// The diagram as the bytes of a file in `format`.
  public static func render(
    _ trace: Trace, view: DiagramView, format: DiagramFormat, options: DiagramOptions
  )
    throws(DiagramError) -> [UInt8]
  {
    var (graph, engine) = try graph(of: trace, view: view, options: options)
    if format == .png, let dpi = options.dpi { graph.attributes["dpi"] = .number(dpi) }
    return try render(graph, engine: engine, format: format)
  }

  /// The `font-family` Graphviz writes for the layout font, widened to a list of similar families
  /// so that an SVG shown on a machine without DejaVu Sans still draws sans-serif text.
  static func withFontFallbacks(_ svg: [UInt8]) -> [UInt8] {
    let text = String(decoding: svg, as: UTF8.self)
    let from = "font-family=\"\(DiagramFonts.layout)\""
    guard text.contains(from) else { return svg }
    return Array(text.replacing(from, with: "font-family=\"\(DiagramFonts.svgFamilies)\"").utf8)
  }

  /// Whether `text` holds a character other than a newline that `String.terminalSafe` escapes (C0
  /// and C1 controls, DEL, U+2028–U+202E, U+2066–U+2069), checked on the UTF-8 bytes: the DOT text
  /// of a chart of every call is tens of megabytes, and a check per character took seconds.
  static func mayNeedEscape(_ text: String) -> Bool {
    text.utf8.withContiguousStorageIfAvailable { bytes in
      var i = 0
      while i < bytes.count {
        let b = bytes[i]
        if b < 0x20 && b != 0x0A || b == 0x7F { return true }
        if b == 0xC2 && i + 1 < bytes.count && (0x80...0x9F).contains(bytes[i + 1]) { return true }
        if b == 0xE2 && i + 2 < bytes.count {
          let (b1, b2) = (bytes[i + 1], bytes[i + 2])
          if (b1 == 0x80 && (0xA8...0xAE).contains(b2)) || (b1 == 0x81 && (0xA6...0xA9).contains(b2)) {
            return true
          }
        }
        i += 1
      }
      return false
    } ?? text.unicodeScalars.contains { $0 != "\n" && String($0).terminalSafe != String($0) }
  }

  /// `dot` with every control character inside a label written as `String.terminalSafe` writes it:
  /// doubled backslash inside a quoted string (where DOT would drop a lone one), as is inside an
  /// HTML-like label (where a backslash is literal). The text's own newlines are kept.
  static func escapingControls(_ dot: String) -> String {
    guard mayNeedEscape(dot) else { return dot }
    var out = String.UnicodeScalarView()
    var inQuote = false
    var escaped = false
    var htmlDepth = 0
    for scalar in dot.unicodeScalars {
      let visible = String(scalar).terminalSafe
      if scalar != "\n" && visible != String(scalar) {
        out.append(contentsOf: (inQuote ? "\\\\" + visible.dropFirst() : visible).unicodeScalars)
        escaped = false
        continue
      }
      out.append(scalar)
      if inQuote {
        if escaped {
          escaped = false
        } else if scalar == "\\" {
          escaped = true
        } else if scalar == "\"" {
          inQuote = false
        }
      } else if scalar == "<" {
        htmlDepth += 1
      } else if scalar == ">" && htmlDepth > 0 {
        htmlDepth -= 1
      } else if scalar == "\"" && htmlDepth == 0 {
        inQuote = true
      }
    }
    return String(out)
  }
}
