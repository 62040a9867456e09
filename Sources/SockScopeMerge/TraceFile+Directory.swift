import Foundation
import SockScopeOutput
public import SockScopeTrace

extension TraceFile {
  /// Reads a trace. `path` is a `trace.jsonl` file or a trace directory; a directory is read from
  /// its `trace.jsonl` when present, else merged from its per-process logs (`logs/`, or the old
  /// layout's logs directly in the directory: ``TraceDirectory``).
  public static func read(path: String) throws(TraceFileError) -> TraceReadResult {
    var st = stat()
    guard stat(path, &st) == 0 else {
      let code = errno
      if code == ENOENT {
        throw TraceFileError(path: path, message: "no such file or directory", errno: code)
      }
      throw FileIO.failure(path, "cannot be read", code)
    }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      // Inside the directory only regular files are read, never through a link, and a FIFO is
      // refused rather than waited on.
      let merged = (path as NSString).appendingPathComponent(fileName)
      var entry = stat()
      if lstat(merged, &entry) == 0 {
        return try FileIO.withContents(of: merged, origin: .directoryEntry) { parse($0, file: merged) }
      }
      let result = try TraceMerger.merge(directory: TraceDirectory.logsFolder(of: path))
      return TraceReadResult(trace: result.trace, problems: [])
    }
    // A named file is read whatever it is: a pipe (`<(cat t.jsonl)`, /dev/stdin) to its end.
    return try FileIO.withContents(of: path) { parse($0, file: path) }
  }
}
