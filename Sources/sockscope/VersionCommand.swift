import ArgumentParser
import CGraphviz
import SockScopeTrace

enum SockScopeVersion {
  static let number = "0.1.0"
  static var text: String { "sockscope \(number) (trace format \(TraceHeader.currentVersion))" }

  /// The version of the libgraphviz this binary is linked with, asked of the library itself.
  static var graphviz: String {
    guard let context = gvContext() else { return "unavailable" }
    defer { gvFreeContext(context) }
    return gvcVersion(context).map { String(cString: $0) } ?? "unknown"
  }
}

struct VersionCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "version", abstract: "Print the versions of sockscope, its trace format and libgraphviz.")

  func run() throws {
    FileOutput.standardOutput.write("\(SockScopeVersion.text), libgraphviz \(SockScopeVersion.graphviz)\n")
  }
}
