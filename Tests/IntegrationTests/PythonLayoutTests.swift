import Foundation
import Testing

/// The interposer reads CPython 3.11's frames without the GIL through fixed offsets
/// (Sources/CSockScopePreload/callsite.c). It also checks them at run time against the public API
/// before use; this test compares them with the headers of the python3 installed here.
@Suite("The CPython layout the interposer reads")
struct PythonLayoutTests {
  /// The interposer's names for the offsets, with the C expression each stands for.
  static let fields: [(String, String)] = [
    ("THREAD_CFRAME", "offsetof(PyThreadState, cframe)"),
    ("CFRAME_CURRENT_FRAME", "offsetof(_PyCFrame, current_frame)"),
    ("FRAME_CODE", "offsetof(_PyInterpreterFrame, f_code)"),
    ("FRAME_PREVIOUS", "offsetof(_PyInterpreterFrame, previous)"),
    ("FRAME_PREV_INSTR", "offsetof(_PyInterpreterFrame, prev_instr)"),
    ("FRAME_OWNER", "offsetof(_PyInterpreterFrame, owner)"),
    ("CODE_FILENAME", "offsetof(PyCodeObject, co_filename)"),
    ("CODE_QUALNAME", "offsetof(PyCodeObject, co_qualname)"),
    ("CODE_FIRST_TRACEABLE", "offsetof(PyCodeObject, _co_firsttraceable)"),
    ("CODE_INSTRUCTIONS", "offsetof(PyCodeObject, co_code_adaptive)"),
    ("OWNED_BY_GENERATOR", "FRAME_OWNED_BY_GENERATOR"),
  ]

  @Test("on CPython 3.11 the offsets match the installed headers", needs("python3"), needs("gcc"))
  func offsetsMatchHeaders() throws {
    let python = try tool("python3")
    let gcc = try tool("gcc")
    let about = try run(
      python,
      [
        "-c",
        "import sys, sysconfig; print('%d.%d' % sys.version_info[:2]); print(sysconfig.get_paths()['include'])",
      ],
      in: "/tmp")
    let answer = about.stdout.split(separator: "\n").map(String.init)
    try #require(answer.count == 2, "\(about.stderr)")
    guard answer[0] == "3.11" else {
      // Other versions are read through the public API with the GIL: nothing to compare.
      return
    }
    let include = answer[1]
    let frameHeader = include + "/internal/pycore_frame.h"
    #expect(
      FileManager.default.fileExists(atPath: frameHeader),
      "\(frameHeader) is missing: the headers of \(python) (python3.11-dev) are needed to check the offsets")
    guard FileManager.default.fileExists(atPath: frameHeader) else { return }
    let source = try String(
      contentsOfFile: repositoryRoot + "/Sources/CSockScopePreload/callsite.c", encoding: .utf8)
    try withTemporaryDirectory { dir throws in
      var probe = "#define Py_BUILD_CORE 1\n#include <Python.h>\n#include <internal/pycore_frame.h>\n"
      probe += "#include <stdio.h>\nint main(void) {\n"
      for (name, expression) in Self.fields {
        probe += "  printf(\"\(name) %d\\n\", (int)(\(expression)));\n"
      }
      probe += "  return 0;\n}\n"
      try probe.write(toFile: dir + "/probe.c", atomically: true, encoding: .utf8)
      let built = try run(gcc, ["-I" + include, "-o", "probe", "probe.c"], in: dir)
      try #require(built.status == 0, "\(built.stderr)")
      let printed = try run(dir + "/probe", [], in: dir)
      for line in printed.stdout.split(separator: "\n") {
        let parts = line.split(separator: " ")
        let name = String(parts[0])
        let mine = try #require(
          source.firstMatch(of: try Regex("\\b\(name) = ([0-9]+),")).flatMap {
            Int($0.output[1].substring ?? "")
          },
          "\(name) is not in callsite.c")
        #expect(mine == Int(parts[1]), "\(name): callsite.c says \(mine), the headers \(parts[1])")
      }
      #expect(printed.stdout.split(separator: "\n").count == Self.fields.count)
    }
  }
}
