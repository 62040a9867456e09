package import Glibc
package import SockScopeOutput
import Synchronization

/// Whole-file reads with plain system calls: a trace of a million events is hundreds of
/// megabytes, and going through `Data` copied it twice more. (Writing: SockScopeOutput.)
///
/// What the user's files are promised (docs/safety.md): files inside a trace directory are read
/// only when they are regular files, never through a link, and never block (a FIFO is refused);
/// every file read is remembered (`FileIO.inputs`), so that no output of the command replaces it.
extension FileIO {
  /// How a file is opened for reading.
  package enum Origin {
    /// A path the user named: links are followed (`/dev/stdin`, `<(...)`), and a pipe is read to
    /// its end.
    case named
    /// An entry found inside a directory: only a regular file is read, never through a link,
    /// and opening it never blocks (a FIFO named `*.sslog` is refused, not waited on).
    case directoryEntry
  }

  /// The bytes of the file at `path`, read as an entry of a trace directory (a `*.sslog`).
  package static func readAll(_ path: String) throws(TraceFileError) -> [UInt8] {
    let (fd, st) = try openForReading(path, origin: .directoryEntry)
    defer { close(fd) }
    return try readToEnd(fd, path: path, sizeHint: Int(st.st_size))
  }

  /// Calls `body` with the bytes of the file at `path`, mapped rather than copied when the file
  /// is a regular one: a 300 MB trace then costs no copy and no zeroed pages. The file must not be
  /// truncated while it is read; sockscope replaces traces by renaming, never in place. A pipe or
  /// other stream is read to its end.
  package static func withContents<R>(
    of path: String, origin: Origin = .named, _ body: (UnsafeBufferPointer<UInt8>) -> R
  ) throws(TraceFileError) -> R {
    let (fd, st) = try openForReading(path, origin: origin)
    defer { close(fd) }
    let size = Int(st.st_size)
    if (st.st_mode & S_IFMT) == S_IFREG && size > 0,
      let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), mapped != MAP_FAILED
    {
      defer { munmap(mapped, size) }
      return body(UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: size))
    }
    let bytes = try readToEnd(fd, path: path, sizeHint: size)
    return bytes.withUnsafeBufferPointer(body)
  }

  /// Opens `path` for reading as `origin` says, and remembers it as an input of this process.
  package static func openForReading(_ path: String, origin: Origin) throws(TraceFileError) -> (Int32, stat) {
    let flags =
      origin == .named ? O_RDONLY | O_CLOEXEC : O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
    let fd = open(path, flags)
    guard fd >= 0 else {
      let code = errno
      if code == ELOOP && origin == .directoryEntry {
        throw TraceFileError(
          path: path, message: "is a symbolic link; sockscope reads only regular files in a trace directory",
          errno: code)
      }
      throw failure(path, "cannot be read", code)
    }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      let code = errno
      close(fd)
      throw failure(path, "cannot be read", code)
    }
    let type = st.st_mode & S_IFMT
    if type == S_IFDIR || (origin == .directoryEntry && type != S_IFREG) {
      close(fd)
      throw TraceFileError(
        path: path,
        message: "is \(kindName(st.st_mode)), not a regular file"
          + (origin == .directoryEntry ? "; sockscope reads only regular files in a trace directory" : ""))
    }
    if origin == .directoryEntry {
      // A regular file never blocks; reads are plain ones from here on.
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    }
    inputs.withLock { _ = $0.insert(Identity(st)) }
    return (fd, st)
  }

  /// Reads `fd` to its end: a regular file's size is only a hint (a pipe's is 0).
  private static func readToEnd(_ fd: Int32, path: String, sizeHint: Int) throws(TraceFileError) -> [UInt8] {
    var readError: Int32 = 0
    var ended = false
    var bytes = [UInt8](unsafeUninitializedCapacity: max(sizeHint, 0) + 1) { buffer, initialized in
      (readError, ended) = readFully(fd, into: buffer, filled: &initialized)
    }
    while readError == 0 && !ended {
      let chunk = [UInt8](unsafeUninitializedCapacity: max(bytes.count, 1 << 16)) { buffer, initialized in
        (readError, ended) = readFully(fd, into: buffer, filled: &initialized)
      }
      bytes.append(contentsOf: chunk)
    }
    guard readError == 0 else { throw failure(path, "cannot be read", readError) }
    return bytes
  }

  /// Reads until `buffer` is full or the file ends; returns 0 or the errno that stopped it, and
  /// whether the file ended.
  private static func readFully(
    _ fd: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>, filled: inout Int
  ) -> (Int32, Bool) {
    guard let base = buffer.baseAddress else { return (0, false) }
    while filled < buffer.count {
      let n = Glibc.read(fd, base + filled, buffer.count - filled)
      if n < 0 {
        if errno == EINTR { continue }
        return (errno, false)
      }
      if n == 0 { return (0, true) }
      filled += n
    }
    return (0, false)
  }

  /// The names in `directory`, `.` and `..` left out; the listing follows `directory` itself if it
  /// is a link (the user named it), nothing inside it.
  package static func entries(of directory: String) throws(TraceFileError) -> [String] {
    guard let dir = opendir(directory) else { throw failure(directory, "cannot be listed", errno) }
    return try entries(dir, directory)
  }

  /// The names in the open directory `fd` (which stays open).
  package static func entries(ofDescriptor fd: Int32, path: String) throws(TraceFileError) -> [String] {
    let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
    guard copy >= 0, let dir = fdopendir(copy) else {
      let code = errno
      if copy >= 0 { close(copy) }
      throw failure(path, "cannot be listed", code)
    }
    rewinddir(dir)
    return try entries(dir, path)
  }

  private static func entries(_ dir: OpaquePointer, _ path: String) throws(TraceFileError) -> [String] {
    defer { closedir(dir) }
    var names: [String] = []
    errno = 0
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
      errno = 0
    }
    if errno != 0 { throw failure(path, "cannot be listed", errno) }
    return names
  }

  package static func failure(_ path: String, _ what: String, _ code: Int32) -> TraceFileError {
    let reason = String(cString: strerror(code))
    let hint = OutputError.fix(forErrno: code).map { " (\($0))" } ?? ""
    return TraceFileError(path: path, message: "\(what): \(reason)\(hint)", errno: code)
  }
}

/// Reading a file the user named (a strace log, a schematic), as traces are read.
public enum InputFile {
  /// The bytes of the file at `path`: links are followed, a pipe is read to its end, and the file
  /// is remembered as an input, so that no output of the same command replaces it.
  public static func read(_ path: String) throws(TraceFileError) -> [UInt8] {
    try FileIO.withContents(of: path) { Array($0) }
  }
}
