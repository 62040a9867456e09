import Foundation
import SockScopeTrace
import Testing

@Suite("The documented format, checked by an independent reader")
struct FormatTests {
  static let fixtures = repositoryRoot + "/Tests/SockScopeTraceTests/Fixtures"

  /// Line numbers that Python's `jsonschema` finds invalid against Resources/trace.schema.json.
  func pythonInvalidLines(_ file: String) throws -> [Int] {
    let script = """
      import json, sys, jsonschema
      schema = json.load(open(sys.argv[1]))
      v = jsonschema.Draft202012Validator(schema)
      bad = []
      for n, line in enumerate(open(sys.argv[2], encoding="utf-8").read().split("\\n"), 1):
          if not line: continue
          try:
              if not v.is_valid(json.loads(line)): bad.append(n)
          except ValueError:
              bad.append(n)
      print(json.dumps(bad))
      """
    let python = try #require(which("python3"))
    let result = try run(
      python, ["-c", script, repositoryRoot + "/Resources/trace.schema.json", file], in: "/tmp")
    try #require(result.status == 0, "python3 with jsonschema is installed by make test: \(result.stderr)")
    let value = try JSONValue.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    return (value.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }
  }

  @Test("the JSON Schema accepts every line of a real trace, as sockscope validate does")
  func schemaAcceptsRealTrace() throws {
    try withTemporaryDirectory { dir throws in
      #expect(try sockscope(["demo", "--out", "out"], in: dir).status == 0)
      #expect(try pythonInvalidLines(dir + "/out/trace.jsonl") == [])
    }
    #expect(try pythonInvalidLines(Self.fixtures + "/demo-trace.jsonl") == [])
  }

  @Test("the JSON Schema and sockscope reject the same broken lines")
  func schemaAndValidatorAgree() throws {
    let file = Self.fixtures + "/invalid-lines.jsonl"
    let python = try pythonInvalidLines(file)
    let bytes = Array(try #require(FileManager.default.contents(atPath: file)))
    let swift = Set(TraceFile.parse(bytes, file: file).problems.map(\.line)).sorted()
    #expect(python == [3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14])
    // Line 11 breaks a rule across lines (a flow id with no send), and line 1's header counts events
    // the file does not hold: rules a per-line schema cannot see.
    #expect(swift == (python + [1, 11]).sorted())
  }

  @Test("sockscope schema prints the schema in Resources, byte for byte")
  func schemaCommand() throws {
    let result = try sockscope(["schema"], in: "/tmp")
    #expect(result.status == 0)
    #expect(
      result.stdout
        == (try String(contentsOfFile: repositoryRoot + "/Resources/trace.schema.json", encoding: .utf8)))
  }

  @Test("help teaches: the root names the first commands to try, each command has an example")
  func help() throws {
    let root = try sockscope(["--help"], in: "/tmp")
    #expect(root.stdout.contains("sockscope demo"))
    #expect(root.stdout.contains("docs/trace-format.md"))
    for command in ["demo", "server", "client", "merge", "validate", "schema"] {
      let help = try sockscope([command, "--help"], in: "/tmp")
      #expect(help.status == 0)
      #expect(help.stdout.contains("Example"), "\(command) --help has an example")
    }
    let version = try sockscope(["version"], in: "/tmp")
    #expect(version.stdout.contains("libgraphviz 2."), "libgraphviz is linked and answers")
  }
}
