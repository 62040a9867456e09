import CSockScopeLog
import SockScopeTrace

/// The call-specific items of a version 2 record (passed descriptors, credentials, control
/// messages, polled descriptors), decoded into the event's typed arguments (written as
/// docs/trace-format.md gives: `rights`, `creds`, `cmsgs`, `cred`, `fds`, `read`/`write`/
/// `ready_read`/`ready_write`, `ready`; `sockets` of exec and program_start).
enum RecordItems {
  /// The arguments of the descriptor calls, from the record's fixed fields (a0...a3).
  static func fixedArguments(_ call: SocketCall, _ r: sockscope_record, failed: Bool) -> CallArguments {
    switch call {
    case .dup2, .dup3:
      return .duplicate(
        DuplicateArguments(
          newDescriptor: Int32(truncatingIfNeeded: r.a0),
          flags: call == .dup3 ? DuplicateFlags(rawValue: r.a1) : nil
        ))
    case .fcntl:
      return .duplicate(DuplicateArguments(command: FcntlCommand(rawValue: r.a0), argument: r.a1))
    case .getsockopt:
      let level = SocketOptionLevel(rawValue: r.a0)
      // SO_PEERCRED's answer is an item (`cred`); other options are one int.
      let isPeerCredentials = r.a0 == 1 && r.a1 == 17
      return .option(
        OptionArguments(
          level: level, option: SocketOption(rawValue: r.a1, level: level),
          value: failed || isPeerCredentials ? nil : r.a2, length: r.a3))
    case .poll:
      return .poll(PollArguments(count: r.a0, timeoutMilliseconds: r.a1))
    case .select:
      return .select(SelectArguments(count: r.a0, timeoutMilliseconds: r.a1))
    case .epollCtl:
      let operation = EpollOperation(rawValue: r.a0)
      return .epollControl(
        EpollControlArguments(
          operation: operation, target: Int32(truncatingIfNeeded: r.a1),
          events: operation == .delete ? nil : EpollEvents(rawValue: r.a2)))
    case .epollWait:
      return .epollWait(EpollWaitArguments(maxEvents: r.a0, timeoutMilliseconds: r.a1))
    default:
      return .none
    }
  }

  /// `execve`'s arguments: which exec function the program called, and `fexecve`/`execveat`'s
  /// descriptor and flags.
  static func execArguments(_ r: sockscope_record) -> ProgramArguments {
    let functions: [ExecFunction] = [
      .execve, .execv, .execvp, .execvpe, .execl, .execlp, .execle, .fexecve, .execveat,
    ]
    var a = ProgramArguments(function: r.a0 >= 1 && r.a0 <= 9 ? functions[Int(r.a0) - 1] : .execve)
    if r.a0 == 8 || r.a0 == 9 { a.directory = r.a1 }
    if r.a0 == 9 { a.atFlags = r.a2 }
    return a
  }

  /// Adds what `bytes` (the record's items) say to `event.arguments`. A damaged item list (a length
  /// that is not a whole number of items) keeps the whole items and says so.
  static func decode(_ bytes: ArraySlice<UInt8>, _ r: sockscope_record, into event: inout TraceEvent) {
    // A send or receive with no item has nothing to add (most records): looked at below, its
    // arguments were copied out and back for nothing.
    if bytes.isEmpty && r.items_lost == 0, case .message = event.arguments { return }
    let size = MemoryLayout<sockscope_item>.size
    var rights: [PassedDescriptor] = []
    var credentials: Credentials?
    var others: [OtherControlMessage] = []
    var polled: [PollDescriptor] = []
    var ready: [EpollReadyEvent] = []
    var sets = SelectArguments()
    var sockets: [HeldSocket] = []
    var offset = bytes.startIndex
    while offset + size <= bytes.endIndex {
      let item = bytes.withUnsafeBytes {
        $0.loadUnaligned(fromByteOffset: offset - bytes.startIndex, as: sockscope_item.self)
      }
      offset += size
      func fd(_ v: Int64) -> Int32 { Int32(truncatingIfNeeded: v) }
      switch Int(item.kind) {
      case Int(SOCKSCOPE_ITEM_RIGHT.rawValue):
        rights.append(PassedDescriptor(fd: fd(item.x), inode: item.y != 0 ? UInt64(bitPattern: item.y) : nil))
      case Int(SOCKSCOPE_ITEM_CREDS.rawValue):
        credentials = Credentials(pid: item.x, uid: item.y, gid: item.z)
      case Int(SOCKSCOPE_ITEM_CMSG.rawValue):
        others.append(OtherControlMessage(level: item.x, type: item.y, length: item.z))
      case Int(SOCKSCOPE_ITEM_CMSG_CUT.rawValue):
        others.append(OtherControlMessage(level: item.x, type: item.y, length: item.z, truncated: true))
      case Int(SOCKSCOPE_ITEM_POLLFD.rawValue):
        polled.append(
          PollDescriptor(
            fd: fd(item.x), events: PollEvents(rawValue: item.y), returnedEvents: PollEvents(rawValue: item.z)
          ))
      case Int(SOCKSCOPE_ITEM_SELECT.rawValue):
        func add(_ bit: sockscope_select_bits, _ set: WritableKeyPath<SelectArguments, [Int32]?>) {
          guard item.y & Int64(bit.rawValue) != 0 else { return }
          var list = sets[keyPath: set] ?? []
          list.append(fd(item.x))
          sets[keyPath: set] = list
        }
        add(SOCKSCOPE_SELECT_READ, \.read)
        add(SOCKSCOPE_SELECT_WRITE, \.write)
        add(SOCKSCOPE_SELECT_EXCEPT, \.except)
        add(SOCKSCOPE_SELECT_READY_READ, \.readyRead)
        add(SOCKSCOPE_SELECT_READY_WRITE, \.readyWrite)
        add(SOCKSCOPE_SELECT_READY_EXCEPT, \.readyExcept)
      case Int(SOCKSCOPE_ITEM_EPOLL.rawValue):
        // The descriptor epoll_ctl registered with this data; else the data itself.
        ready.append(
          item.x >= 0
            ? EpollReadyEvent(fd: fd(item.x), events: EpollEvents(rawValue: item.y))
            : EpollReadyEvent(data: item.z, events: EpollEvents(rawValue: item.y)))
      case Int(SOCKSCOPE_ITEM_EXEC_FD.rawValue):
        sockets.append(
          HeldSocket(fd: fd(item.x), inode: UInt64(bitPattern: item.y), closeOnExec: item.z != 0))
      case Int(SOCKSCOPE_ITEM_HELD_FD.rawValue):
        sockets.append(
          HeldSocket(
            fd: fd(item.x), inode: UInt64(bitPattern: item.y), closeOnExec: item.z & 1 != 0,
            type: SocketType(rawValue: item.z >> 1)))
      default:
        break  // A kind from a newer writer: nothing this reader can say about it.
      }
    }
    switch event.arguments {
    case .message(var a):
      if let credentials { a.credentials = credentials }
      if !rights.isEmpty { a.rights = rights }
      if !others.isEmpty { a.otherControlMessages = others }
      event.arguments = .message(a)
    case .option(var a) where event.call == .getsockopt:
      a.credentials = credentials
      event.arguments = .option(a)
    case .poll(var a):
      a.descriptors = polled
      event.arguments = .poll(a)
    case .epollWait(var a):
      a.ready = ready
      event.arguments = .epollWait(a)
    case .select(var a):
      // read/write and what became ready of them always; the exception sets when asked for.
      a.read = sets.read ?? []
      a.write = sets.write ?? []
      a.readyRead = sets.readyRead ?? []
      a.readyWrite = sets.readyWrite ?? []
      if let asked = sets.except {
        a.except = asked
        a.readyExcept = sets.readyExcept ?? []
      }
      event.arguments = .select(a)
    case .program(var a):
      a.sockets = sockets
      event.arguments = .program(a)
    default:
      break  // Items on a call that carries none: a damaged record; nothing to say.
    }
    if r.items_lost > 0 { event.unreadArguments.members["items_lost"] = .int(Int64(r.items_lost)) }
  }
}
