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

  /// Whether the output is binary (not for a terminal).
  public var isBinary: Bool { self == .pcapng }
}

/// Writing a trace in a format another tool reads.
public enum Export {
  /// `trace` as `format`, ready to write to a file.
  public static func bytes(_ trace: Trace, as format: ExportFormat) -> [UInt8] {
    switch format {
    case .mermaid: Array(MermaidExport.text(trace).utf8)
    case .plantuml: Array(PlantUMLExport.text(trace).utf8)
    case .perfetto: PerfettoExport.bytes(trace)
    case .pcapng: PcapNGExport.bytes(trace)
    }
  }
}
