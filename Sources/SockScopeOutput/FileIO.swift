package import Glibc
package import Synchronization

/// Files by identity, and the files this process has read: the facts that writing needs to keep
/// its promises (docs/safety.md). An output never follows a symbolic link and never replaces a
/// file this process read; the readers (SockScopeTrace's `FileIO` extension) remember each file
/// they open in `inputs`.
package enum FileIO {
  /// A file by identity: the same file whatever name, hard link or `./` reaches it.
  package struct Identity: Hashable {
    var device: UInt64
    var inode: UInt64

    package init(_ st: stat) {
      device = UInt64(st.st_dev)
      inode = UInt64(st.st_ino)
    }
  }

  /// Every file this process has read, so that no output of the same command replaces one.
  package static let inputs = Mutex<Set<Identity>>([])

  /// Whether `st` is a file this process has read.
  package static func isInput(_ st: stat) -> Bool { inputs.withLock { $0.contains(Identity(st)) } }

  /// What kind of file `mode` says it is, for messages: "a FIFO", "a directory"…
  package static func kindName(_ mode: mode_t) -> String {
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
}
