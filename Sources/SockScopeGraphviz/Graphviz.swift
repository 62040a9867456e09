import CGraphviz
import Synchronization

/// An output format of a rendered graph.
public enum GraphvizFormat: String, Sendable, CaseIterable {
  /// Scalable vector graphics, bitmap, print.
  case svg, png, pdf
}

/// A layout engine.
public enum GraphvizEngine: String, Sendable {
  /// Hierarchical layout: flowcharts such as the schematic.
  case dot
  /// Keeps the positions given in `pos` (neato -n2): for charts whose geometry is computed.
  case nop2
}

/// Graphviz refused a graph or could not render it.
public struct GraphvizError: Error, Sendable, CustomStringConvertible {
  /// What Graphviz was doing: `read the graph`, `lay out the graph`, `render svg`.
  public var stage: String
  /// The library's own messages.
  public var message: String
  /// `Graphviz could not read the graph: syntax error in line 3`.
  public var description: String { "Graphviz could not \(stage): \(message)" }
}

/// Renders DOT through libgraphviz, in process.
///
/// libcgraph and libgvc keep global state and are not thread-safe, so every call into them goes
/// through one lock that also owns the single context: there is no way to reach the library from
/// two threads at once. Every graph, layout and buffer is freed before `render` returns.
public enum Graphviz {
  private final class Context: @unchecked Sendable {
    // Only touched while `lock` is held.
    var gvc: OpaquePointer?
    var errors: [String] = []
  }

  private static let lock = Mutex(Context())

  /// The messages the library reported during the current call (set while the lock is held).
  nonisolated(unsafe) private static var collected: [String] = []

  /// Lays out `dot` with `engine` and renders it as `format`.
  public static func render(
    _ dot: String, engine: GraphvizEngine, format: GraphvizFormat
  ) throws(GraphvizError)
    -> [UInt8]
  {
    let result: Result<[UInt8], GraphvizError> = lock.withLock { context in
      if context.gvc == nil { context.gvc = gvContext() }
      guard let gvc = context.gvc else {
        return .failure(GraphvizError(stage: "start", message: "gvContext() failed"))
      }
      collected = []
      _ = agseterrf { message in
        if let message { Graphviz.collected.append(String(cString: message)) }
        return 0
      }
      guard let graph = agmemread(dot) else {
        let detail = collected.joined().trimmingCharacters(in: .whitespacesAndNewlines)
        return .failure(
          GraphvizError(stage: "read the graph", message: detail.isEmpty ? "syntax error" : detail))
      }
      defer { agclose(graph) }
      guard gvLayout(gvc, graph, engine.rawValue) == 0 else {
        return .failure(GraphvizError(stage: "lay out the graph", message: collected.joined()))
      }
      defer { gvFreeLayout(gvc, graph) }
      var data: UnsafeMutablePointer<CChar>?
      var length: UInt32 = 0
      guard gvRenderData(gvc, graph, format.rawValue, &data, &length) == 0, let data else {
        return .failure(GraphvizError(stage: "render \(format.rawValue)", message: collected.joined()))
      }
      defer { gvFreeRenderData(data) }
      return .success(
        UnsafeRawBufferPointer(start: data, count: Int(length)).map { $0 })
    }
    return try result.get()
  }

  /// The library's version, such as `2.43.0`.
  public static var version: String {
    lock.withLock { context in
      if context.gvc == nil { context.gvc = gvContext() }
      guard let gvc = context.gvc, let v = gvcVersion(gvc) else { return "unknown" }
      return String(cString: v)
    }
  }
}

extension String {
  fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
    var s = Substring(self)
    while let f = s.first, set.contains(f) { s = s.dropFirst() }
    while let l = s.last, set.contains(l) { s = s.dropLast() }
    return String(s)
  }
}

extension Set where Element == Character {
  fileprivate static let whitespacesAndNewlines: Set<Character> = [" ", "\n", "\t", "\r", "\r\n"]
}
