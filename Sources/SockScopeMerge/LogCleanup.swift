import Glibc
import SockScopeOutput
public import SockScopeTrace

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
