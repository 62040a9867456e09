import CSockScopeLog
import SockScopeTrace

/// The call-specific items of a version 2 record (passed descriptors, credentials, control
/// messages, polled descriptors), decoded into the event's arguments in the shapes
/// docs/trace-format.md gives: `rights`, `creds`, `cmsgs`, `cred`, `fds`, `read`/`write`/
/// `ready_read`/`ready_write`, `ready`, `sockets` (exec).
enum RecordItems {
  /// The arguments of the new calls, from the record's fixed fields (a0...a3).
  static func fixedArguments(_ call: SocketCall, _ r: sockscope_record, failed: Bool) -> JSONObject {
    var args = JSONObject()
    switch call {
    case .dup2, .dup3:
      args["newfd"] = .int(r.a0)
      if call == .dup3 { args["flags"] = .string(r.a1 == 0o2000000 ? "O_CLOEXEC" : String(r.a1)) }
    case .fcntl:
      args["cmd"] = .string(ArgumentNames.fcntlCommand(r.a0))
      args["arg"] = .int(r.a1)
    case .getsockopt:
      args["level"] = .string(ArgumentNames.level(r.a0))
      args["optname"] = .string(ArgumentNames.socketOption(r.a1, level: r.a0))
      // SO_PEERCRED's answer is an item (`cred`); other options are one int.
      if !failed && !(r.a0 == 1 && r.a1 == 17) { args["value"] = .int(r.a2) }
      args["optlen"] = .int(r.a3)
    case .poll:
      args["nfds"] = .int(r.a0)
      args["timeout_ms"] = .int(r.a1)
    case .select:
      args["nfds"] = .int(r.a0)
      args["timeout_ms"] = .int(r.a1)
    case .epollCtl:
      args["op"] = .string(ArgumentNames.epollOperation(r.a0))
      args["target_fd"] = .int(r.a1)
      if r.a0 != 2 { args["events"] = .string(ArgumentNames.epollEvents(r.a2)) }
    case .epollWait:
      args["maxevents"] = .int(r.a0)
      args["timeout_ms"] = .int(r.a1)
    case .execve:
      let functions = [
        "execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve", "execveat",
      ]
      args["function"] = .string(r.a0 >= 1 && r.a0 <= 9 ? functions[Int(r.a0) - 1] : "execve")
      if r.a0 == 8 || r.a0 == 9 { args["dirfd"] = .int(r.a1) }
      if r.a0 == 9 { args["at_flags"] = .int(r.a2) }
    default:
      break
    }
    return args
  }

  /// Adds what `bytes` (the record's items) say to `event.args`. A damaged item list (a length
  /// that is not a whole number of items) keeps the whole items and says so.
  static func decode(_ bytes: ArraySlice<UInt8>, _ r: sockscope_record, into event: inout TraceEvent) {
    let size = MemoryLayout<sockscope_item>.size
    var rights: [JSONValue] = []
    var cmsgs: [JSONValue] = []
    var fds: [JSONValue] = []
    var ready: [JSONValue] = []
    var sockets: [JSONValue] = []
    var sets: [String: [JSONValue]] = [:]
    var offset = bytes.startIndex
    while offset + size <= bytes.endIndex {
      let item = bytes.withUnsafeBytes {
        $0.loadUnaligned(fromByteOffset: offset - bytes.startIndex, as: sockscope_item.self)
      }
      offset += size
      switch Int(item.kind) {
      case Int(SOCKSCOPE_ITEM_RIGHT.rawValue):
        var o: JSONObject = ["fd": .int(item.x)]
        if item.y != 0 { o["ino"] = .int(item.y) }
        rights.append(.object(o))
      case Int(SOCKSCOPE_ITEM_CREDS.rawValue):
        let creds: JSONValue = .object(["pid": .int(item.x), "uid": .int(item.y), "gid": .int(item.z)])
        event.args[event.call == .getsockopt ? "cred" : "creds"] = creds
      case Int(SOCKSCOPE_ITEM_CMSG.rawValue):
        cmsgs.append(.object(["level": .int(item.x), "type": .int(item.y), "len": .int(item.z)]))
      case Int(SOCKSCOPE_ITEM_CMSG_CUT.rawValue):
        cmsgs.append(
          .object([
            "level": .int(item.x), "type": .int(item.y), "len": .int(item.z), "truncated": .bool(true),
          ]))
      case Int(SOCKSCOPE_ITEM_POLLFD.rawValue):
        fds.append(
          .object([
            "fd": .int(item.x), "events": .string(ArgumentNames.pollEvents(item.y)),
            "revents": .string(ArgumentNames.pollEvents(item.z)),
          ]))
      case Int(SOCKSCOPE_ITEM_SELECT.rawValue):
        let bits: [(Int64, String)] = [
          (Int64(SOCKSCOPE_SELECT_READ.rawValue), "read"), (Int64(SOCKSCOPE_SELECT_WRITE.rawValue), "write"),
          (Int64(SOCKSCOPE_SELECT_EXCEPT.rawValue), "except"),
          (Int64(SOCKSCOPE_SELECT_READY_READ.rawValue), "ready_read"),
          (Int64(SOCKSCOPE_SELECT_READY_WRITE.rawValue), "ready_write"),
          (Int64(SOCKSCOPE_SELECT_READY_EXCEPT.rawValue), "ready_except"),
        ]
        for (bit, key) in bits where item.y & bit != 0 { sets[key, default: []].append(.int(item.x)) }
      case Int(SOCKSCOPE_ITEM_EPOLL.rawValue):
        // The descriptor epoll_ctl registered with this data; else the data itself.
        var o: JSONObject = item.x >= 0 ? ["fd": .int(item.x)] : ["data": .int(item.z)]
        o["events"] = .string(ArgumentNames.epollEvents(item.y))
        ready.append(.object(o))
      case Int(SOCKSCOPE_ITEM_EXEC_FD.rawValue):
        sockets.append(.object(["fd": .int(item.x), "ino": .int(item.y), "cloexec": .bool(item.z != 0)]))
      default:
        break  // A kind from a newer writer: nothing this reader can say about it.
      }
    }
    if !rights.isEmpty { event.args["rights"] = .array(rights) }
    if !cmsgs.isEmpty { event.args["cmsgs"] = .array(cmsgs) }
    if event.call == .poll { event.args["fds"] = .array(fds) }
    if event.call == .epollWait { event.args["ready"] = .array(ready) }
    if event.call == .execve { event.args["sockets"] = .array(sockets) }
    if event.call == .select {
      // read/write and what became ready of them always; the exception sets when asked for.
      for key in ["read", "write", "ready_read", "ready_write"] { event.args[key] = .array(sets[key] ?? []) }
      if let asked = sets["except"] {
        event.args["except"] = .array(asked)
        event.args["ready_except"] = .array(sets["ready_except"] ?? [])
      }
    }
    if r.items_lost > 0 { event.args["items_lost"] = .int(Int64(r.items_lost)) }
  }
}
