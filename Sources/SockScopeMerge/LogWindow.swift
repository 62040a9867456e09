import Glibc
import SockScopeOutput
import SockScopeTrace

/// The bytes of a per-process log, read a piece at a time: a merge then holds a window of each
/// log (a few megabytes) instead of the whole file, which was as large as the events it decodes.
///
/// Offsets are the file's. Reading only moves forward: asking for bytes drops those before them.
/// The file is read with `read(2)`, not mapped: a process that is still running truncates its log
/// when it closes it, which would fault a mapping.
struct LogWindow {
  private var buffer: [UInt8]
  /// The file offset of `buffer[0]`.
  private var base = 0
  private let fd: Int32?
  private let path: String
  private var ended: Bool
  static let piece = 4 << 20

  /// A window over bytes already in memory.
  init(bytes: [UInt8], path: String) {
    buffer = bytes
    fd = nil
    self.path = path
    ended = true
  }

  /// A window over the open file `fd`, read from its start.
  init(fd: Int32, path: String) {
    buffer = []
    self.fd = fd
    self.path = path
    ended = false
    var st = stat()
    fileSize = fstat(fd, &st) == 0 && st.st_size > 0 ? Int(st.st_size) : nil
  }

  /// The file's size when the window was opened (a log still being written may grow), if known.
  private(set) var fileSize: Int?

  /// The file's size, once its end has been read.
  var knownSize: Int? { ended ? base + buffer.count : nil }

  /// Whether the file holds `count` bytes at `offset`; reads them into the window if it does.
  mutating func has(_ offset: Int, _ count: Int) throws(TraceFileError) -> Bool {
    while offset + count > base + buffer.count {
      if ended { return false }
      try fill(keepingFrom: offset, through: offset + count)
    }
    return offset >= base
  }

  /// A value stored at `offset`, which `has` made available.
  func load<T>(_ offset: Int, as type: T.Type) -> T {
    buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset - base, as: type) }
  }

  /// The bytes at `offset..<offset + count`, which `has` made available.
  func bytes(_ offset: Int, _ count: Int) -> ArraySlice<UInt8> {
    buffer[(offset - base)..<(offset - base + count)]
  }

  private mutating func fill(keepingFrom offset: Int, through end: Int) throws(TraceFileError) {
    guard let fd else {
      ended = true
      return
    }
    // Drop what lies before `offset`, then read a piece (or what is wanted, if more).
    if offset > base {
      let drop = min(offset - base, buffer.count)
      buffer.removeSubrange(0..<drop)
      base += drop
    }
    let more = max(end - (base + buffer.count), LogWindow.piece)
    let start = buffer.count
    buffer.reserveCapacity(start + more)
    var readError: Int32 = 0
    buffer.append(contentsOf: repeatElement(0, count: more))
    var filled = 0
    buffer.withUnsafeMutableBytes { raw in
      guard let p = raw.baseAddress else { return }
      while filled < more {
        let n = Glibc.read(fd, p + start + filled, more - filled)
        if n < 0 {
          if errno == EINTR { continue }
          readError = errno
          return
        }
        if n == 0 {
          ended = true
          return
        }
        filled += n
      }
    }
    buffer.removeLast(more - filled)
    guard readError == 0 else { throw FileIO.failure(path, "cannot be read", readError) }
  }
}
