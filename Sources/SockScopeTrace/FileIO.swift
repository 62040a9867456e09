import Dispatch
import Glibc
import Synchronization

/// Whole-file reads and atomic streamed writes with plain system calls: a trace of a million
/// events is hundreds of megabytes, and going through `Data` copied it twice more.
enum FileIO {
  /// The bytes of the file at `path`.
  static func readAll(_ path: String) throws(TraceFileError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw failure(path, "cannot be read", errno) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw failure(path, "cannot be read", errno) }
    let size = max(Int(st.st_size), 0)
    var readError: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      readError = readFully(fd, into: buffer, filled: &initialized)
    }
    guard readError == 0 else { throw failure(path, "cannot be read", readError) }
    return bytes
  }

  /// Calls `body` with the bytes of the file at `path`, mapped rather than copied when the file
  /// is a regular one: a 300 MB trace then costs no copy and no zeroed pages. The file must not be
  /// truncated while it is read; sockscope replaces traces by renaming, never in place.
  static func withContents<R>(
    of path: String, _ body: (UnsafeBufferPointer<UInt8>) -> R
  ) throws(TraceFileError) -> R {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw failure(path, "cannot be read", errno) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw failure(path, "cannot be read", errno) }
    let size = Int(st.st_size)
    if (st.st_mode & S_IFMT) == S_IFREG && size > 0,
      let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), mapped != MAP_FAILED
    {
      defer { munmap(mapped, size) }
      return body(UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: size))
    }
    let bytes = try readAll(path)
    return bytes.withUnsafeBufferPointer(body)
  }

  /// Reads until `buffer` is full or the file ends; returns 0 or the errno that stopped it.
  private static func readFully(
    _ fd: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>, filled: inout Int
  )
    -> Int32
  {
    guard let base = buffer.baseAddress else { return 0 }
    while filled < buffer.count {
      let n = Glibc.read(fd, base + filled, buffer.count - filled)
      if n < 0 {
        if errno == EINTR { continue }
        return errno
      }
      if n == 0 { break }
      filled += n
    }
    return 0
  }

  /// Writes the file at `path` atomically: `produce` appends to a buffer and calls `flush` when it
  /// holds enough; the bytes go to a temporary file next to `path`, renamed over it at the end,
  /// so readers never see half a file and a failure (a full disk) leaves nothing behind.
  ///
  /// A `path` that is a device or a pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written in
  /// place: renaming over it would replace the device node with a file, which root may do.
  static func writeAtomically(
    _ path: String,
    produce: (inout JSONWriter, _ flush: (inout JSONWriter) throws(TraceFileError) -> Void)
      throws(TraceFileError) -> Void
  ) throws(TraceFileError) {
    var st = stat()
    let inPlace = stat(path, &st) == 0 && [S_IFCHR, S_IFIFO].contains(st.st_mode & S_IFMT)
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let temporary = inPlace ? nil : "\(directory).\(name).\(getpid()).tmp"
    let fd =
      if let temporary {
        open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      } else {
        open(path, O_WRONLY | O_CLOEXEC)
      }
    guard fd >= 0 else { throw failure(path, "cannot be written", errno) }
    // The writes happen on another thread while the next megabyte is encoded: the kernel's copy
    // into the page cache costs about as much as encoding, and the two overlap on two cores.
    let output = BackgroundWriter(fd: fd)
    var writer = JSONWriter(capacity: 1 << 20)
    var produced: TraceFileError?
    do {
      try produce(&writer) { (w: inout JSONWriter) throws(TraceFileError) in
        if let code = output.submit(w.bytes) { throw failure(path, "cannot be written", code) }
        w.bytes.removeAll(keepingCapacity: true)
      }
      _ = output.submit(writer.bytes)
    } catch {
      produced = error
    }
    let writeError = output.finish()
    let closeError = close(fd) == 0 ? 0 : errno
    if let produced {
      if let temporary { unlink(temporary) }
      throw produced
    }
    for code in [writeError, closeError] where code != 0 {
      if let temporary { unlink(temporary) }
      throw failure(path, "cannot be written", code)
    }
    guard let temporary else { return }
    guard rename(temporary, path) == 0 else {
      let e = errno
      unlink(temporary)
      throw failure(path, "cannot be written", e)
    }
  }

  static func failure(_ path: String, _ what: String, _ code: Int32) -> TraceFileError {
    let reason = String(cString: strerror(code))
    let hint = TraceFileError.fix(forErrno: code).map { " (\($0))" } ?? ""
    return TraceFileError(path: path, message: "\(what): \(reason)\(hint)", errno: code)
  }
}

/// Writing a result file whole or not at all, as traces are written.
public enum OutputFileWriter {
  /// Writes `bytes` to `path` through a temporary file renamed over it, or in place when `path`
  /// is a device or a pipe.
  public static func write(_ bytes: [UInt8], to path: String) throws(TraceFileError) {
    try FileIO.writeAtomically(path) { (w, _) throws(TraceFileError) in w.bytes = bytes }
  }
}

/// Writes buffers to a descriptor on a serial queue, at most two behind the producer.
private final class BackgroundWriter: Sendable {
  let fd: Int32
  let queue = DispatchQueue(label: "sockscope.trace-writer")
  let slots = DispatchSemaphore(value: 2)
  let firstError = Mutex<Int32>(0)

  init(fd: Int32) { self.fd = fd }

  /// Queues `bytes` for writing; returns the errno of an earlier failed write, if any.
  func submit(_ bytes: [UInt8]) -> Int32? {
    if let code = error { return code }
    slots.wait()
    queue.async { [self] in
      defer { slots.signal() }
      guard error == nil else { return }
      let code = writeAll(bytes)
      if code != 0 { firstError.withLock { $0 = code } }
    }
    return nil
  }

  /// Waits for every queued write; returns 0 or the errno of the first that failed.
  func finish() -> Int32 {
    queue.sync {}
    return error ?? 0
  }

  private var error: Int32? {
    let code = firstError.withLock { $0 }
    return code == 0 ? nil : code
  }

  private func writeAll(_ bytes: [UInt8]) -> Int32 {
    bytes.withUnsafeBytes { raw in
      var written = 0
      while written < raw.count {
        guard let base = raw.baseAddress else { return 0 }
        let n = Glibc.write(fd, base + written, raw.count - written)
        if n < 0 {
          if errno == EINTR { continue }
          return errno
        }
        written += n
      }
      return 0
    }
  }
}
