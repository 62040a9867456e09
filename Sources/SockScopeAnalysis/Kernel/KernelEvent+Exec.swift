import SockScopeTrace

/// A socket descriptor a process held when it called exec, as the interposer read it from the
/// kernel at that moment (`F_GETFD`): a close-on-exec one is closed by a successful exec, the
/// others stay open under the same number in the new program.
public struct ExecDescriptor: Sendable, Equatable {
  public var fd: Int32
  public var inode: UInt64?
  public var closeOnExec: Bool

  public init(fd: Int32, inode: UInt64?, closeOnExec: Bool) {
    self.fd = fd
    self.inode = inode
    self.closeOnExec = closeOnExec
  }
}

extension KernelEvent {
  /// `execve` (every exec function): the program's path as passed (nil for `fexecve`).
  public var execPath: String? { unread["path"]?.stringValue }

  /// `execve`: the C function the program called (`execv`, `execve`, `execvp`...).
  public var execFunction: String? { unread["function"]?.stringValue }

  /// `execve`: the AF_UNIX socket descriptors the process held, with their close-on-exec flag;
  /// nil when the trace did not record them (an older trace, a strace import).
  public var execDescriptors: [ExecDescriptor]? {
    guard let list = unread["sockets"]?.arrayValue else { return nil }
    return list.compactMap { item in
      guard let o = item.objectValue, let fd = o["fd"]?.intValue.flatMap({ Int32(exactly: $0) }) else {
        return nil
      }
      let inode = o["ino"]?.intValue.flatMap { UInt64(exactly: $0) }
      return ExecDescriptor(fd: fd, inode: inode, closeOnExec: o["cloexec"]?.boolValue ?? false)
    }
  }
}
