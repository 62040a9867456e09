import Glibc

/// Writing a result file whole or not at all, as traces are written.
public enum OutputFileWriter {
  /// Writes `bytes` to `path` through a temporary file renamed over it, or in place when `path`
  /// is a device or a pipe. Refuses a link, a directory and any file this process read.
  public static func write(_ bytes: [UInt8], to path: String) throws(OutputError) {
    try FileIO.writeAtomically(path) { submit throws(OutputError) in try submit(bytes) }
  }

  /// Whether the open descriptor `fd` is a file this process has read: a command's standard
  /// output appended (`>>`) to its own input.
  public static func isInput(descriptor fd: Int32) -> Bool {
    var st = stat()
    return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && FileIO.isInput(st)
  }
}
