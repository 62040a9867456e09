public import SockScopeAnalysis
public import SockScopeGraphviz
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
  public var language: DiagramLanguage
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
  /// Queues view: net.unix.max_dgram_qlen, drawn where it limits a queue; nil draws no limit.
  public var datagramQueueLimit: QueueLimit?

  public init(
    language: DiagramLanguage = .ru, timestamps: Bool = false, timeAxis: Bool = false,
    maximumCalls: Int = 400,
    theme: DiagramTheme = .light, dpi: Double? = nil
  ) {
    self.theme = theme
    self.dpi = dpi
    self.language = language
    self.timestamps = timestamps
    self.timeAxis = timeAxis
    self.maximumCalls = maximumCalls
  }
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
        Schematic(trace: trace, language: options.language).graph(
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

  /// `dot` with every control character inside a label written as `String.terminalSafe` writes it:
  /// doubled backslash inside a quoted string (where DOT would drop a lone one), as is inside an
  /// HTML-like label (where a backslash is literal). The text's own newlines are kept.
  static func escapingControls(_ dot: String) -> String {
    guard dot.unicodeScalars.contains(where: { $0 != "\n" && String($0).terminalSafe != String($0) }) else {
      return dot
    }
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
