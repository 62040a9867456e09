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
  /// `execve` (every exec function): the program's path as passed (nil for `fexecve`);
  /// `program_start`: the program, as `/proc/self/exe` named it.
  public var execPath: String? { arguments.program?.path }

  /// `execve`: the C function the program called (`execv`, `execve`, `execvp`...).
  public var execFunction: String? { arguments.program?.function?.rawValue }

  /// `execve`, `program_start`: the AF_UNIX socket descriptors the process held, with their
  /// close-on-exec flag; nil when the trace did not record them (an older trace, a strace import).
  public var execDescriptors: [ExecDescriptor]? {
    arguments.program?.sockets?.map {
      ExecDescriptor(fd: $0.fd, inode: $0.inode, closeOnExec: $0.closeOnExec)
    }
  }
}
