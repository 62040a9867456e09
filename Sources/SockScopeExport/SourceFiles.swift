#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The source files a trace's call sites name, read so a web page can show them beside the run.
///
/// A trace may come from someone else (a student's run), so a name in it is never trusted: it is
/// looked up only inside the directories given, one component at a time without following a
/// symbolic link, `..` is refused (an absolute name outside them is looked up by its last
/// component), and only a regular file of at most `maximumSize` bytes that is
/// UTF-8 text without NUL bytes is read. Anything else is reported, not read.
enum SourceFiles {
  /// The largest file embedded (a course example is a few kilobytes).
  static let maximumSize = 1 << 20

  /// Why a file is not on the page; the page says it in its language.
  enum Missing: String {
    /// No directory holds it.
    case notFound = "not-found"
    /// Left out on request (`--no-sources`).
    case leftOut = "left-out"
    /// A directory, device, FIFO or symbolic link, or a name with `..`.
    case notRegular = "not-regular"
    case tooLarge = "too-large"
    /// Not UTF-8 text, or holds NUL bytes.
    case notText = "not-text"
  }

  /// The text of `name`, from the first of `directories` that holds it.
  static func contents(of name: String, in directories: [String]) -> Result<String, MissingFile> {
    var worst = Missing.notFound
    for directory in directories {
      guard let relative = relativePath(name, in: directory) else { continue }
      switch readFile(relative, in: directory) {
      case .success(let text): return .success(text)
      case .failure(let why): if why.reason != .notFound { worst = why.reason }
      }
    }
    return .failure(MissingFile(reason: worst))
  }

  struct MissingFile: Error { var reason: Missing }

  /// The components of `name` below `directory`: a relative name as it is; an absolute one below
  /// `directory` when it lies inside it, else only its last component (a Python script's
  /// `co_filename` or a DWARF file name is absolute on the machine that recorded it, and a trace
  /// is often read on another: `--sources DIR` then holds the file by its name); nil for `..`.
  static func relativePath(_ name: String, in directory: String) -> [String]? {
    var parts = name.split(separator: "/").map(String.init).filter { $0 != "." }
    if name.hasPrefix("/") {
      let base = directory.split(separator: "/").map(String.init).filter { $0 != "." }
      if directory.hasPrefix("/"), parts.count > base.count, Array(parts.prefix(base.count)) == base {
        parts.removeFirst(base.count)
      } else {
        parts = parts.last.map { [$0] } ?? []
      }
    }
    guard !parts.isEmpty, !parts.contains("..") else { return nil }
    return parts
  }

  private static func readFile(_ parts: [String], in directory: String) -> Result<String, MissingFile> {
    var dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dir >= 0 else { return .failure(MissingFile(reason: .notFound)) }
    defer { close(dir) }
    for part in parts.dropLast() {
      let next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      guard next >= 0 else {
        return .failure(MissingFile(reason: errno == ENOENT ? .notFound : .notRegular))
      }
      close(dir)
      dir = next
    }
    let fd = openat(dir, parts[parts.count - 1], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard fd >= 0 else { return .failure(MissingFile(reason: errno == ENOENT ? .notFound : .notRegular)) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
      return .failure(MissingFile(reason: .notRegular))
    }
    guard st.st_size <= maximumSize else { return .failure(MissingFile(reason: .tooLarge)) }
    var bytes = [UInt8](repeating: 0, count: maximumSize + 1)
    var used = 0
    while used < bytes.count {
      let n = bytes.withUnsafeMutableBytes { buffer in
        buffer.baseAddress.map { read(fd, $0 + used, buffer.count - used) } ?? -1
      }
      if n < 0, errno == EINTR { continue }
      guard n >= 0 else { return .failure(MissingFile(reason: .notRegular)) }
      if n == 0 { break }
      used += n
    }
    guard used <= maximumSize else { return .failure(MissingFile(reason: .tooLarge)) }
    let content = bytes[..<used]
    guard !content.contains(0), let text = String(validating: content, as: UTF8.self) else {
      return .failure(MissingFile(reason: .notText))
    }
    return .success(text)
  }
}
