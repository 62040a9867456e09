import Dispatch
import Glibc

extension FileIO {
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
  private static func destination(_ path: String) throws(OutputError) -> Destination {
    if let descriptor = descriptorNamed(path) {
      let fd = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
      guard fd >= 0 else { throw writeFailure(path, "cannot be written", errno) }
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
        guard fd >= 0 else { throw writeFailure(path, "cannot be written", errno) }
        return try checkedInPlace(fd, path)
      }
      switch type {
      case S_IFREG:
        if isInput(st) { throw inputRefusal(path) }
      case S_IFLNK:
        throw OutputError(
          path: path,
          message: "is a symbolic link; sockscope never writes through a link (it could point anywhere): "
            + "name the file it points to, or remove the link", isRefusal: true)
      default:
        throw OutputError(
          path: path,
          message: "is \(kindName(st.st_mode)); sockscope replaces only regular files: choose another path",
          isRefusal: true)
      }
    } else if errno != ENOENT {
      throw writeFailure(path, "cannot be written", errno)
    }
    let slash = path.lastIndex(of: "/")
    let directoryPath = slash.map { String(path[...$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let directory = open(directoryPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directory >= 0 else { throw writeFailure(path, "cannot be written", errno) }
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
    throw writeFailure(path, "cannot be written", code)
  }

  /// `fd`, written in place, unless it is a file this process read.
  private static func checkedInPlace(_ fd: Int32, _ path: String) throws(OutputError) -> Destination {
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

  static func inputRefusal(_ path: String) -> OutputError {
    OutputError(
      path: path,
      message: "is an input of this command (the same file, by device and inode); writing it would destroy "
        + "what is being read: choose another output path", isRefusal: true)
  }

  /// Writes the file at `path` atomically: `produce` hands its bytes to `submit` a piece at a time,
  /// in order (each piece is written as it is, on another thread, while the next is made). The
  /// bytes go to a new temporary file next to `path` (an unpredictable name, created exclusively,
  /// never through a link), renamed over it at the end, so readers never see half a file and a
  /// failure (a full disk) leaves nothing behind.
  ///
  /// A `path` that is a device or a pipe (`/dev/null`, a FIFO, a link to one such as
  /// `/dev/stdout`) is written in place: renaming over it would replace the device node with a
  /// file. Refused, with nothing written: a symbolic link to anything else, a directory, a socket,
  /// and any file this process has read (an input of the same command, by identity).
  package static func writeAtomically(
    _ path: String,
    produce: (_ submit: ([UInt8]) throws(OutputError) -> Void) throws(OutputError) -> Void
  ) throws(OutputError) {
    let destination = try destination(path)
    let fd = destination.fd
    // The writes happen on another thread while the next megabyte is encoded: the kernel's copy
    // into the page cache costs about as much as encoding, and the two overlap on two cores.
    let output = BackgroundWriter(fd: fd)
    var produced: OutputError?
    do {
      // A piece is handed on, never copied or kept: the writer frees it once written.
      try produce { (bytes: [UInt8]) throws(OutputError) in
        if let code = output.submit(bytes) { throw writeFailure(path, "cannot be written", code) }
      }
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
      throw writeFailure(path, "cannot be written", code)
    }
    guard let temporary = destination.temporary else { return }
    // renameat replaces the name itself: whatever was planted there since is never followed.
    guard renameat(destination.directory, temporary, destination.directory, destination.name) == 0 else {
      let e = errno
      destination.discard()
      throw writeFailure(path, "cannot be written", e)
    }
    close(destination.directory)
  }

  static func writeFailure(_ path: String, _ what: String, _ code: Int32) -> OutputError {
    let reason = String(cString: strerror(code))
    let hint = OutputError.fix(forErrno: code).map { " (\($0))" } ?? ""
    return OutputError(path: path, message: "\(what): \(reason)\(hint)", errno: code)
  }
}
