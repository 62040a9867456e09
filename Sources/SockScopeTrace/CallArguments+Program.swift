// The typed arguments of the calls that start a program in a process: `execve` (every exec
// function) and `program_start` (the sockets a program held when it began), and their JSON keys
// (docs/trace-format.md, "args, per call"), read by `CallArguments.decodeMembers` and written by
// `writeCanonical` (CallArguments+JSON.swift), the format's edge.

/// The exec function a program called (`function`).
public enum ExecFunction: String, Sendable, CaseIterable {
  case execve, execv, execvp, execvpe, execl, execlp, execle, fexecve, execveat
}

/// An AF_UNIX socket descriptor a process held at an exec or when its program started, as the
/// recorder read it from the kernel then (`sockets`).
public struct HeldSocket: Sendable, Hashable {
  public var fd: Int32
  /// The socket's sockfs inode.
  public var inode: UInt64?
  /// Whether the descriptor was close-on-exec (`FD_CLOEXEC`, read with `F_GETFD`).
  public var closeOnExec: Bool
  /// The socket's type (`program_start` records it; an exec's list does not).
  public var type: SocketType?

  public init(fd: Int32, inode: UInt64? = nil, closeOnExec: Bool, type: SocketType? = nil) {
    self.fd = fd
    self.inode = inode
    self.closeOnExec = closeOnExec
    self.type = type
  }
}

/// `execve` and `program_start`: which exec function was called (`function`), the program
/// (`path`: as passed to exec; for a start, what `/proc/self/exe` named), `fexecve`/`execveat`'s
/// descriptor (`dirfd`) and `execveat`'s flags (`at_flags`), and the AF_UNIX socket descriptors the
/// process held (`sockets`).
public struct ProgramArguments: Sendable, Equatable {
  public var function: ExecFunction?
  public var path: String?
  public var directory: Int64?
  public var atFlags: Int64?
  public var sockets: [HeldSocket]?

  public init(
    function: ExecFunction? = nil, path: String? = nil, directory: Int64? = nil, atFlags: Int64? = nil,
    sockets: [HeldSocket]? = nil
  ) {
    self.function = function
    self.path = path
    self.directory = directory
    self.atFlags = atFlags
    self.sockets = sockets
  }
}

extension CallArguments {
  /// `execve`'s and `program_start`'s arguments.
  public var program: ProgramArguments? {
    if case .program(let a) = self { return a }
    return nil
  }

  /// The typed arguments of `execve` or `program_start`, from the members `each` hands over; a
  /// member it does not take stays unknown.
  static func decodeProgram(_ each: ((String, JSONValue) -> Bool) -> Void) -> CallArguments {
    var a = ProgramArguments()
    func set<T>(_ slot: inout T?, _ value: T?) -> Bool {
      guard let value else { return false }
      slot = value
      return true
    }
    each { key, v in
      switch key {
      case "function": set(&a.function, v.stringValue.flatMap(ExecFunction.init(rawValue:)))
      case "path": set(&a.path, v.stringValue)
      case "dirfd": set(&a.directory, v.intValue)
      case "at_flags": set(&a.atFlags, v.intValue)
      case "sockets": set(&a.sockets, ArgumentItems.list(v, HeldSocket.init(json:)))
      default: false
      }
    }
    return .program(a)
  }

  /// Appends the members of `execve`'s or `program_start`'s arguments, in the order
  /// docs/trace-format.md lists them (the order the binary-log reader has always written).
  func writeProgram(_ a: ProgramArguments, _ m: inout MemberWriter, to w: inout JSONWriter) {
    m.text("function", a.function?.rawValue, in: &w)
    m.int("dirfd", a.directory, in: &w)
    m.int("at_flags", a.atFlags, in: &w)
    if let path = a.path {
      m.key("path", in: &w)
      w.string(path)
    }
    if let sockets = a.sockets {
      m.key("sockets", in: &w)
      w.items(sockets) { $0.write(to: &$1) }
    }
  }
}

extension HeldSocket {
  /// `{"fd": 4, "ino": 14695, "cloexec": false}`, and `"type": "SOCK_STREAM"` on a start; `ino`
  /// and `type` optional.
  init?(json v: JSONValue) {
    guard let o = v.objectValue, let fd = o["fd"]?.descriptorValue, case .bool(let cloexec)? = o["cloexec"],
      let type = ArgumentItems.symbol(o["type"], SocketType.self)
    else { return nil }
    var inode: UInt64?
    if let i = o["ino"] {
      guard let n = i.inodeValue else { return nil }
      inode = n
    }
    self.init(fd: fd, inode: inode, closeOnExec: cloexec, type: type)
  }

  func write(to w: inout JSONWriter) {
    var m = MemberWriter()
    m.int("fd", Int64(fd), in: &w)
    m.int("ino", inode.map { Int64(clamping: $0) }, in: &w)
    m.key("cloexec", in: &w)
    w.raw(closeOnExec ? "true" : "false")
    m.text("type", type, in: &w)
    m.end(&w)
  }
}
