import Foundation
import SockScopeMerge
import SockScopeOutput
import SockScopeTrace

/// Reading the trace a command works on. Unreadable or invalid input is exit status 2 everywhere.
enum TraceInput {
  /// The trace at `path` (a trace.jsonl or a trace directory), which must be valid.
  static func read(_ path: String) throws(CommandFailure) -> Trace {
    let read: TraceReadResult
    do { read = try TraceFile.read(path: path) } catch { throw CommandFailure("\(error)", exitCode: 2) }
    guard read.isValid else {
      throw CommandFailure(
        "\(path) is not a valid trace (\(problemCount(read.problems.count)), the first: "
          + "\(String(describing: read.problems[0]).terminalSafe)); "
          + "see them all with: sockscope validate \(path)", exitCode: 2)
    }
    // A directory without trace.jsonl was merged just now: what was left out of it (a damaged log,
    // a FIFO named *.sslog) is said here, as merge says it.
    var isDirectory: ObjCBool = false
    let merged = (path as NSString).appendingPathComponent(TraceFile.fileName)
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
      !FileManager.default.fileExists(atPath: merged)
    {
      for note in read.trace.header.problems {
        StandardStream.standardError.write("note: \(note.terminalSafe)\n")
      }
    }
    return read.trace
  }

  /// "1 problem", "3 problems".
  static func problemCount(_ n: Int) -> String { counted(n, "problem") }
}

/// `n` and the noun that agrees with it: "1 event", "2 events", "1 process", "3 processes".
func counted(_ n: Int, _ singular: String, plural: String? = nil) -> String {
  "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
}

/// `path` as a shell reads it back as one word: quoted when it holds anything but letters, digits
/// and `/._-+@%:,` (a path with a space must still work when the user pastes a suggested command).
func shellQuoted(_ path: String) -> String {
  let plain = path.unicodeScalars.allSatisfy {
    $0.properties.isAlphabetic || ("0"..."9").contains($0) || "/._-+@%:,".unicodeScalars.contains($0)
  }
  return plain && !path.isEmpty
    ? path.terminalSafe : "'" + path.terminalSafe.replacingSingleQuotes() + "'"
}

extension String {
  fileprivate func replacingSingleQuotes() -> String {
    split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''")
  }
}
