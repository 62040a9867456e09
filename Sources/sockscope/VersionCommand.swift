import ArgumentParser
import SockScopeGraphviz
import SockScopeOutput
import SockScopeTrace

enum SockScopeVersion {
  static let number = "0.1.0"
  static var text: String { "sockscope \(number) (trace format \(TraceHeader.currentVersion))" }
}

struct VersionCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "version", abstract: "Print the versions of sockscope, its trace format and libgraphviz.")

  func run() throws {
    try reportingFailures {
      StandardStream.standardOutput.write("\(SockScopeVersion.text), libgraphviz \(Graphviz.version)\n")
    }
  }
}
