// The fuzz targets of `make fuzz` (scripts/fuzz), in one binary; SOCKSCOPE_FUZZ_TARGET picks one:
//   trace-reader   trace.jsonl reading (fast and thorough line readers, pieces, round trip)
//   strace-import  the strace log importer
//   strace-multi-file  the strace importer reading one file per process (strace -ff)
//   schematic      the documented-schematic reader (compare's schematics)
//   process-log    the per-process binary log reader
// Built with -sanitize=fuzzer,address -DFUZZING, libFuzzer drives it. Built normally, it replays
// files: `sockscope-fuzz TARGET FILE...` runs the checks on each, as a crash report is replayed.
import Foundation
@_spi(Fuzzing) import SockScopeCompare
@_spi(Fuzzing) import SockScopeMerge
@_spi(Fuzzing) import SockScopeStrace
@_spi(Fuzzing) import SockScopeTrace

enum Target: String, CaseIterable {
  case traceReader = "trace-reader"
  case straceImport = "strace-import"
  case processLog = "process-log"
  case straceMultiFile = "strace-multi-file"
  case schematic = "schematic"

  func check(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    switch self {
    case .traceReader: FuzzChecks.traceReader(bytes)
    case .straceImport: FuzzChecks.straceImport(bytes)
    case .processLog: FuzzChecks.processLog(bytes)
    case .straceMultiFile: FuzzChecks.straceImportFiles(bytes)
    case .schematic: SchematicFuzzChecks.schematic(bytes)
    }
  }
}

let fuzzTarget: Target? = ProcessInfo.processInfo.environment["SOCKSCOPE_FUZZ_TARGET"].flatMap(Target.init)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let fuzzTarget else {
    let names = Target.allCases.map(\.rawValue).joined(separator: ", ")
    FileHandle.standardError.write(Data("set SOCKSCOPE_FUZZ_TARGET to one of: \(names)\n".utf8))
    exit(2)
  }
  if let violated = fuzzTarget.check(UnsafeBufferPointer(start: data, count: size)) {
    // The crash is how libFuzzer learns of a failed check; it saves the input.
    fatalError("\(fuzzTarget.rawValue): \(violated)")
  }
  return 0
}

#if FUZZING
  import CLibFuzzer

  // SwiftPM links every executable's main to this name; libFuzzer then runs the inputs.
  @_cdecl("sockscope_fuzz_main")
  func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzzOneInput(data, size) }
  }
#else
  @main
  struct Replay {
    static func main() {
      let arguments = Array(CommandLine.arguments.dropFirst())
      guard let name = arguments.first, let target = Target(rawValue: name), arguments.count > 1 else {
        let names = Target.allCases.map(\.rawValue).joined(separator: "|")
        FileHandle.standardError.write(Data("usage: sockscope-fuzz \(names) FILE...\n".utf8))
        exit(2)
      }
      var failed = false
      for path in arguments.dropFirst() {
        guard let data = FileManager.default.contents(atPath: path) else {
          FileHandle.standardError.write(Data("\(path): cannot be read\n".utf8))
          exit(2)
        }
        let violated = Array(data).withUnsafeBufferPointer { target.check($0) }
        print("\(path): \(violated ?? "ok")")
        failed = failed || violated != nil
      }
      exit(failed ? 1 : 0)
    }
  }
#endif
