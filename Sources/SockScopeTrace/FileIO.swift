import Dispatch
import Glibc
import Synchronization

/// Whole-file reads and atomic streamed writes with plain system calls: a trace of a million
/// events is hundreds of megabytes, and going through `Data` copied it twice more.
///
/// What the user's files are promised (docs/safety.md): an output never follows a symbolic link
/// and never replaces a file this process read; files inside a trace directory are read only
/// when they are regular files, never through a link, and never block (a FIFO is refused).
enum FileIO {
  /// A file by identity: the same file whatever name, hard link or `./` reaches it.
  struct Identity: Hashable {
    var device: UInt64
    var inode: UInt64

    init(_ st: stat) {
      device = UInt64(st.st_dev)
      inode = UInt64(st.st_ino)
    }
  }

  /// Every file this process has read, so that no output of the same command replaces one.
  static let inputs = Mutex<Set<Identity>>([])

  /// How a file is opened for reading.
  enum Origin {
    /// A path the user named: links are followed (`/dev/stdin`, `<(...)`), and a pipe is read to
    /// its end.
    case named
    /// An entry found inside a directory: only a regular file is read, never through a link,
    /// and opening it never blocks (a FIFO named `*.sslog` is refused, not waited on).
    case directoryEntry
  }

  /// The bytes of the file at `path`, read as an entry of a trace directory (a `*.sslog`).
  static func readAll(_ path: String) throws(TraceFileError) -> [UInt8] {
    let (fd, st) = try openForReading(path, origin: .directoryEntry)
    defer { close(fd) }
    return try readToEnd(fd, path: path, sizeHint: Int(st.st_size))
  }

  /// Calls `body` with the bytes of the file at `path`, mapped rather than copied when the file
  /// is a regular one: a 300 MB trace then costs no copy and no zeroed pages. The file must not be
  /// truncated while it is read; sockscope replaces traces by renaming, never in place. A pipe or
  /// other stream is read to its end.
  static func withContents<R>(
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
  static func openForReading(_ path: String, origin: Origin) throws(TraceFileError) -> (Int32, stat) {
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
  static func entries(of directory: String) throws(TraceFileError) -> [String] {
    guard let dir = opendir(directory) else { throw failure(directory, "cannot be listed", errno) }
    return try entries(dir, directory)
  }

  /// The names in the open directory `fd` (which stays open).
  static func entries(ofDescriptor fd: Int32, path: String) throws(TraceFileError) -> [String] {
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

  /// What kind of file `mode` says it is, for messages: "a FIFO", "a directory"…
  static func kindName(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: "a regular file"
    case S_IFDIR: "a directory"
    case S_IFIFO: "a FIFO (named pipe)"
    case S_IFSOCK: "a socket"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFLNK: "a symbolic link"
    default: "not a regular file"
    }
  }

  /// Where an output goes: a new temporary file beside the target, renamed over it at the end,
  /// or, for a device, a pipe or a descriptor of this process, the file itself written in place.
  private struct Destination {
    var fd: Int32
    /// The target's directory, open, for the temporary file and the rename; -1 in place.
    var directory: Int32 = -1
    var temporary: String?
    var name = ""

    /// Removes the temporary file (never through a link: unlinkat removes the name itself).
    func discard() {
      if let temporary { unlinkat(directory, temporary, 0) }
      if directory >= 0 { close(directory) }
    }
  }

  /// Opens where `path`'s bytes go, or refuses it: see `writeAtomically`.
  private static func destination(_ path: String) throws(TraceFileError) -> Destination {
    if let descriptor = descriptorNamed(path) {
      let fd = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
      guard fd >= 0 else { throw failure(path, "cannot be written", errno) }
      return try checkedInPlace(fd, path)
    }
    var st = stat()
    if lstat(path, &st) == 0 {
      let type = st.st_mode & S_IFMT
      var target = stat()
      let linkToStream =
        type == S_IFLNK && stat(path, &target) == 0
        && [S_IFCHR, S_IFIFO].contains(target.st_mode & S_IFMT)
      if [S_IFCHR, S_IFIFO].contains(type) || linkToStream {
        // Written in place: renaming over it would replace the device node with a file, which
        // root may do. Opened without O_CREAT or O_TRUNC, so nothing is made or cut.
        let fd = open(path, O_WRONLY | O_CLOEXEC | (linkToStream ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { throw failure(path, "cannot be written", errno) }
        return try checkedInPlace(fd, path)
      }
      switch type {
      case S_IFREG:
        if isInput(st) { throw inputRefusal(path) }
      case S_IFLNK:
        throw TraceFileError(
          path: path,
          message: "is a symbolic link; sockscope never writes through a link (it could point anywhere): "
            + "name the file it points to, or remove the link", isRefusal: true)
      default:
        throw TraceFileError(
          path: path,
          message: "is \(kindName(st.st_mode)); sockscope replaces only regular files: choose another path",
          isRefusal: true)
      }
    } else if errno != ENOENT {
      throw failure(path, "cannot be written", errno)
    }
    let slash = path.lastIndex(of: "/")
    let directoryPath = slash.map { String(path[...$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let directory = open(directoryPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directory >= 0 else { throw failure(path, "cannot be written", errno) }
    // An unpredictable name, made by this call and no other (O_EXCL), never a link (O_NOFOLLOW):
    // nothing planted beside the target can be written through.
    let stem = name.utf8.count > 200 ? ".sockscope" : "." + name
    for _ in 0..<64 {
      let temporary = "\(stem).\(String(UInt64.random(in: 0...UInt64.max), radix: 36)).tmp"
      let fd = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
      if fd >= 0 { return Destination(fd: fd, directory: directory, temporary: temporary, name: name) }
      guard errno == EEXIST else { break }
    }
    let code = errno
    close(directory)
    throw failure(path, "cannot be written", code)
  }

  /// `fd`, written in place, unless it is a file this process read.
  private static func checkedInPlace(_ fd: Int32, _ path: String) throws(TraceFileError) -> Destination {
    var st = stat()
    if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && isInput(st) {
      close(fd)
      throw inputRefusal(path)
    }
    return Destination(fd: fd)
  }

  /// The descriptor `path` names when it is one of this process's own (`/dev/stdout`,
  /// `/dev/fd/3`, `/proc/self/fd/3`): written as the descriptor, where the shell opened it.
  private static func descriptorNamed(_ path: String) -> Int32? {
    switch path {
    case "/dev/stdout": return 1
    case "/dev/stderr": return 2
    default:
      for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
        return Int32(path.dropFirst(prefix.count))
      }
      return nil
    }
  }

  static func isInput(_ st: stat) -> Bool { inputs.withLock { $0.contains(Identity(st)) } }

  static func inputRefusal(_ path: String) -> TraceFileError {
    TraceFileError(
      path: path,
      message: "is an input of this command (the same file, by device and inode); writing it would destroy "
        + "what is being read: choose another output path", isRefusal: true)
  }

  /// Writes the file at `path` atomically: `produce` appends to a buffer and calls `flush` when it
  /// holds enough; the bytes go to a new temporary file next to `path` (an unpredictable name,
  /// created exclusively, never through a link), renamed over it at the end, so readers never see
  /// half a file and a failure (a full disk) leaves nothing behind.
  ///
  /// A `path` that is a device or a pipe (`/dev/null`, a FIFO, a link to one such as
  /// `/dev/stdout`) is written in place: renaming over it would replace the device node with a
  /// file. Refused, with nothing written: a symbolic link to anything else, a directory, a socket,
  /// and any file this process has read (an input of the same command, by identity).
  static func writeAtomically(
    _ path: String,
    produce: (inout JSONWriter, _ flush: (inout JSONWriter) throws(TraceFileError) -> Void)
      throws(TraceFileError) -> Void
  ) throws(TraceFileError) {
    let destination = try destination(path)
    let fd = destination.fd
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
      destination.discard()
      throw produced
    }
    for code in [writeError, closeError] where code != 0 {
      destination.discard()
      throw failure(path, "cannot be written", code)
    }
    guard let temporary = destination.temporary else { return }
    // renameat replaces the name itself: whatever was planted there since is never followed.
    guard renameat(destination.directory, temporary, destination.directory, destination.name) == 0 else {
      let e = errno
      destination.discard()
      throw failure(path, "cannot be written", e)
    }
    close(destination.directory)
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
  /// is a device or a pipe. Refuses a link, a directory and any file this process read.
  public static func write(_ bytes: [UInt8], to path: String) throws(TraceFileError) {
    try FileIO.writeAtomically(path) { (w, _) throws(TraceFileError) in w.bytes = bytes }
  }

  /// Whether the open descriptor `fd` is a file this process has read: a command's standard
  /// output appended (`>>`) to its own input.
  public static func isInput(descriptor fd: Int32) -> Bool {
    var st = stat()
    return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && FileIO.isInput(st)
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

/// Removing a command's own per-process logs, and nothing else.
public enum LogCleanup {
  /// Removes every `*.sslog` in `directory` that is a regular file holding a SockScope log
  /// (it starts with the log's magic) and belongs to this user, without following any link:
  /// `directory` itself must not be a link, and links, directories, FIFOs and other people's
  /// files in it are left alone. Returns the names left alone, for the caller to report.
  public static func removeLogs(in directory: String) throws(TraceFileError) -> [String] {
    let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    guard dirfd >= 0 else {
      let code = errno
      if code == ELOOP || code == ENOTDIR {
        var st = stat()
        let kind = lstat(directory, &st) == 0 ? FileIO.kindName(st.st_mode) : "not a directory"
        throw TraceFileError(
          path: directory,
          message: "is \(kind), not a directory of sockscope's own; sockscope removes old logs only in "
            + "its own directory and never through a link: remove it or choose another --out",
          errno: code, isRefusal: true)
      }
      throw FileIO.failure(directory, "cannot be opened", code)
    }
    defer { close(dirfd) }
    let names = try FileIO.entries(ofDescriptor: dirfd, path: directory)
    var leftAlone: [String] = []
    let magic = Array("SSCOPLOG".utf8)
    // Logs, and the exit records launchers write beside them (ProcessExit): each only when it is a
    // regular file of this user that reads as one, checked on the very file that is removed.
    let logSuffix = "." + ProcessLog.fileExtension
    let exitSuffix = "." + ProcessExit.fileExtension
    for name in names.sorted() where name.hasSuffix(logSuffix) || name.hasSuffix(exitSuffix) {
      var st = stat()
      guard fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
      guard (st.st_mode & S_IFMT) == S_IFREG, st.st_uid == geteuid() else {
        leftAlone.append(name)
        continue
      }
      let fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
      guard fd >= 0 else {
        leftAlone.append(name)
        continue
      }
      var head = [UInt8](repeating: 0, count: 4096)
      let n = read(fd, &head, head.count)
      var opened = stat()
      let same = fstat(fd, &opened) == 0 && FileIO.Identity(opened) == FileIO.Identity(st)
      close(fd)
      let isOurs =
        name.hasSuffix(logSuffix)
        ? n >= magic.count && Array(head[..<magic.count]) == magic
        : n > 0 && n < head.count && ProcessExit.parse(Array(head[..<n])) != nil
      guard isOurs, same else {
        leftAlone.append(name)
        continue
      }
      if unlinkat(dirfd, name, 0) != 0 && errno != ENOENT {
        throw FileIO.failure("\(directory)/\(name)", "cannot be removed", errno)
      }
    }
    return leftAlone
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
