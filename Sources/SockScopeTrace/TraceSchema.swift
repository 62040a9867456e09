import SockScopeResources

/// The machine-readable form of the trace format.
public enum TraceSchema {
  /// The JSON Schema (draft 2020-12) that each line of a `trace.jsonl` satisfies.
  public static var text: String { EmbeddedResources.traceSchema }
}
