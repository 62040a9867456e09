public import SockScopeLanguage
import SockScopePlayer
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

/// Whether a web page embeds the recorded programs' source files, and where it reads them.
public enum SourceEmbedding: Sendable, Equatable {
  /// The page names each call's file and line but holds no code.
  case leaveOut
  /// Each file a call site names is looked up in these directories, in order (a relative name
  /// inside one of them; an absolute name only if it lies inside one).
  case lookIn([String])
}

/// Writing a trace in a format another tool reads.
public enum Export {
  /// Why a trace could not be exported.
  public struct Failure: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// `trace` as `format`, ready to write to a file. `title` names the run on a web page, in the
  /// page's first `language` (the page switches between Russian and English); `sources` says
  /// where the page reads the programs' code from.
  public static func bytes(
    _ trace: Trace, as format: ExportFormat, title: String = "", language: Language = .ru,
    sources: SourceEmbedding = .leaveOut
  ) throws(Failure) -> [UInt8] {
    switch format {
    case .mermaid: Array(MermaidExport.text(trace).utf8)
    case .plantuml: Array(PlantUMLExport.text(trace).utf8)
    case .perfetto: PerfettoExport.bytes(trace)
    case .pcapng: PcapNGExport.bytes(trace)
    case .html: try HTMLExport.page(trace, title: title, language: language, sources: sources)
    }
  }
}
