public import SockScopeLanguage
public import SockScopePlayer
public import SockScopeTrace

/// A format that other tools read.
public enum ExportFormat: String, Sendable, CaseIterable {
  /// A Mermaid `sequenceDiagram`, for Markdown pages.
  case mermaid
  /// A PlantUML sequence diagram.
  case plantuml
  /// Chrome trace-event JSON, for ui.perfetto.dev and chrome://tracing.
  case perfetto
  /// pcapng, for Wireshark and tshark: one packet per send that moved data.
  case pcapng
  /// A self-contained web page that steps through the run (HTML, CSS, script and figures inline).
  case html

  /// Whether the output is binary (not for a terminal).
  public var isBinary: Bool { self == .pcapng }
}

/// Writing a trace in a format another tool reads.
public enum Export {
  /// Why a trace could not be exported.
  public struct Failure: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// `trace` as `format`, ready to write to a file. `title` names the run on a web page, in the
  /// page's first `language` (the page switches between Russian and English).
  public static func bytes(
    _ trace: Trace, as format: ExportFormat, title: String = "", language: PlayerLanguage = .ru
  ) throws(Failure) -> [UInt8] {
    switch format {
    case .mermaid: Array(MermaidExport.text(trace).utf8)
    case .plantuml: Array(PlantUMLExport.text(trace).utf8)
    case .perfetto: PerfettoExport.bytes(trace)
    case .pcapng: PcapNGExport.bytes(trace)
    case .html: try HTMLExport.page(trace, title: title, language: language)
    }
  }
}
