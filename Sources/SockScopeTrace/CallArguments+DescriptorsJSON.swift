// The JSON of the descriptor calls' items and control messages (docs/trace-format.md): read by
// `CallArguments.decodeMembers` and written by `writeCanonical` (CallArguments+JSON.swift), the
// format's edge. An item that does not read (a descriptor that is not a number) makes its whole
// list unreadable, so the key is kept as written in `UnreadArguments`.

extension JSONValue {
  /// A descriptor number: an integer that fits `Int32`.
  var descriptorValue: Int32? { intValue.flatMap { Int32(exactly: $0) } }

  /// An inode: a non-negative integer.
  var inodeValue: UInt64? { intValue.flatMap { UInt64(exactly: $0) } }
}

enum ArgumentItems {
  /// Every item of an array read by `item`; nil when `v` is not an array or an item does not read.
  static func list<T>(_ v: JSONValue, _ item: (JSONValue) -> T?) -> [T]? {
    guard let values = v.arrayValue else { return nil }
    var items: [T] = []
    items.reserveCapacity(values.count)
    for value in values {
      guard let read = item(value) else { return nil }
      items.append(read)
    }
    return items
  }

  /// A symbolic value spelled as a string (`"POLLIN"`); nil when `v` is absent.
  /// - Returns: `.some(nil)` when `v` is there but does not read (so the item does not either).
  static func symbol<T: SymbolicArgument>(_ v: JSONValue?, _: T.Type) -> T?? {
    guard let v else { return .some(nil) }
    guard let s = v.stringValue, let value = T(spelling: s) else { return nil }
    return .some(value)
  }

  /// An optional integer member: `.some(nil)` when absent, nil when present and not an integer.
  static func int(_ v: JSONValue?) -> Int64?? {
    guard let v else { return .some(nil) }
    guard let n = v.intValue else { return nil }
    return .some(n)
  }
}

/// Writes an object member by member, skipping absent ones.
struct MemberWriter {
  /// Whether no member has been written yet.
  private(set) var isFirst = true
  /// Whether the caller wrote the `{`.
  private var opened = false

  init() {}

  /// A writer of more members of an object whose `{` is written; `isFirst` when it has none yet.
  init(opened isFirst: Bool) {
    self.isFirst = isFirst
    opened = true
  }

  mutating func key(_ name: StaticString, in w: inout JSONWriter) {
    if !isFirst {
      w.bytes.append(UInt8(ascii: ","))
    } else if !opened {
      w.bytes.append(UInt8(ascii: "{"))
    }
    isFirst = false
    w.bytes.append(UInt8(ascii: "\""))
    w.raw(name)
    w.raw("\":")
  }

  mutating func descriptors(_ name: StaticString, _ v: [Int32]?, in w: inout JSONWriter) {
    guard let v else { return }
    key(name, in: &w)
    w.descriptors(v)
  }

  mutating func int(_ name: StaticString, _ v: Int64?, in w: inout JSONWriter) {
    guard let v else { return }
    key(name, in: &w)
    w.int(v)
  }

  mutating func text(_ name: StaticString, _ v: (some CustomStringConvertible)?, in w: inout JSONWriter) {
    guard let v else { return }
    key(name, in: &w)
    w.string(v.description)
  }

  func end(_ w: inout JSONWriter) {
    if isFirst && !opened { w.bytes.append(UInt8(ascii: "{")) }
    w.bytes.append(UInt8(ascii: "}"))
  }
}

extension JSONWriter {
  /// Appends `[3,4]`.
  mutating func descriptors(_ fds: [Int32]) {
    bytes.append(UInt8(ascii: "["))
    for (n, fd) in fds.enumerated() {
      if n > 0 { bytes.append(UInt8(ascii: ",")) }
      int(Int64(fd))
    }
    bytes.append(UInt8(ascii: "]"))
  }

  /// Appends `[item,item]`, each written by `item`.
  mutating func items<T>(_ list: [T], _ item: (T, inout JSONWriter) -> Void) {
    bytes.append(UInt8(ascii: "["))
    for (n, element) in list.enumerated() {
      if n > 0 { bytes.append(UInt8(ascii: ",")) }
      item(element, &self)
    }
    bytes.append(UInt8(ascii: "]"))
  }
}

extension CallArguments {
  /// The typed arguments of a descriptor call (`duplicate`, `poll`, `select`, `epollControl`,
  /// `epollWait`), from the members `each` hands over; a member it does not take stays unknown.
  static func decodeDescriptorCall(
    _ family: ArgumentFamily, _ each: ((String, JSONValue) -> Bool) -> Void
  ) -> CallArguments {
    func int(_ v: JSONValue) -> Int64? { v.intValue }
    func symbol<T: SymbolicArgument>(_ v: JSONValue, _: T.Type) -> T? {
      v.stringValue.flatMap { T(spelling: $0) }
    }
    func set<T>(_ slot: inout T?, _ value: T?) -> Bool {
      guard let value else { return false }
      slot = value
      return true
    }
    switch family {
    case .duplicate:
      var a = DuplicateArguments()
      each { key, v in
        switch key {
        case "newfd": set(&a.newDescriptor, v.descriptorValue)
        case "flags": set(&a.flags, symbol(v, DuplicateFlags.self))
        case "cmd": set(&a.command, symbol(v, FcntlCommand.self))
        case "arg": set(&a.argument, int(v))
        default: false
        }
      }
      return .duplicate(a)
    case .poll:
      var a = PollArguments()
      each { key, v in
        switch key {
        case "nfds": set(&a.count, int(v))
        case "timeout_ms": set(&a.timeoutMilliseconds, int(v))
        case "fds": set(&a.descriptors, ArgumentItems.list(v, PollDescriptor.init(json:)))
        default: false
        }
      }
      return .poll(a)
    case .select:
      var a = SelectArguments()
      func fds(_ v: JSONValue) -> [Int32]? { ArgumentItems.list(v, \.descriptorValue) }
      each { key, v in
        switch key {
        case "nfds": set(&a.count, int(v))
        case "timeout_ms": set(&a.timeoutMilliseconds, int(v))
        case "read": set(&a.read, fds(v))
        case "write": set(&a.write, fds(v))
        case "ready_read": set(&a.readyRead, fds(v))
        case "ready_write": set(&a.readyWrite, fds(v))
        case "except": set(&a.except, fds(v))
        case "ready_except": set(&a.readyExcept, fds(v))
        default: false
        }
      }
      return .select(a)
    case .epollControl:
      var a = EpollControlArguments()
      each { key, v in
        switch key {
        case "op": set(&a.operation, symbol(v, EpollOperation.self))
        case "target_fd": set(&a.target, v.descriptorValue)
        case "events": set(&a.events, symbol(v, EpollEvents.self))
        default: false
        }
      }
      return .epollControl(a)
    case .epollWait:
      var a = EpollWaitArguments()
      each { key, v in
        switch key {
        case "maxevents": set(&a.maxEvents, int(v))
        case "timeout_ms": set(&a.timeoutMilliseconds, int(v))
        case "ready": set(&a.ready, ArgumentItems.list(v, EpollReadyEvent.init(json:)))
        default: false
        }
      }
      return .epollWait(a)
    default:
      each { _, _ in false }
      return .none
    }
  }

  /// Appends the members of a descriptor call's arguments, in the order docs/trace-format.md
  /// lists them (the order the binary-log reader has always written).
  func writeDescriptorCall(_ m: inout MemberWriter, to w: inout JSONWriter) {
    switch self {
    case .duplicate(let a):
      m.int("newfd", a.newDescriptor.map(Int64.init), in: &w)
      m.text("flags", a.flags, in: &w)
      m.text("cmd", a.command, in: &w)
      m.int("arg", a.argument, in: &w)
    case .poll(let a):
      m.int("nfds", a.count, in: &w)
      m.int("timeout_ms", a.timeoutMilliseconds, in: &w)
      if let fds = a.descriptors {
        m.key("fds", in: &w)
        w.items(fds) { $0.write(to: &$1) }
      }
    case .select(let a):
      m.int("nfds", a.count, in: &w)
      m.int("timeout_ms", a.timeoutMilliseconds, in: &w)
      m.descriptors("read", a.read, in: &w)
      m.descriptors("write", a.write, in: &w)
      m.descriptors("ready_read", a.readyRead, in: &w)
      m.descriptors("ready_write", a.readyWrite, in: &w)
      m.descriptors("except", a.except, in: &w)
      m.descriptors("ready_except", a.readyExcept, in: &w)
    case .epollControl(let a):
      m.text("op", a.operation, in: &w)
      m.int("target_fd", a.target.map(Int64.init), in: &w)
      m.text("events", a.events, in: &w)
    case .epollWait(let a):
      m.int("maxevents", a.maxEvents, in: &w)
      m.int("timeout_ms", a.timeoutMilliseconds, in: &w)
      if let ready = a.ready {
        m.key("ready", in: &w)
        w.items(ready) { $0.write(to: &$1) }
      }
    default:
      break
    }
  }
}

extension PassedDescriptor {
  /// `{"fd": 5, "ino": 14695}`; `ino` optional.
  init?(json v: JSONValue) {
    guard let o = v.objectValue, let fd = o["fd"]?.descriptorValue else { return nil }
    var inode: UInt64?
    if let i = o["ino"] {
      guard let n = i.inodeValue else { return nil }
      inode = n
    }
    self.init(fd: fd, inode: inode)
  }

  func write(to w: inout JSONWriter) {
    var m = MemberWriter()
    m.int("fd", Int64(fd), in: &w)
    m.int("ino", inode.map { Int64(clamping: $0) }, in: &w)
    m.end(&w)
  }
}

extension Credentials {
  /// `{"pid", "uid", "gid"}`, all three integers.
  init?(json v: JSONValue) {
    guard let o = v.objectValue, let pid = o["pid"]?.intValue, let uid = o["uid"]?.intValue,
      let gid = o["gid"]?.intValue
    else { return nil }
    self.init(pid: pid, uid: uid, gid: gid)
  }

  func write(to w: inout JSONWriter) {
    var m = MemberWriter()
    m.int("pid", pid, in: &w)
    m.int("uid", uid, in: &w)
    m.int("gid", gid, in: &w)
    m.end(&w)
  }
}

extension OtherControlMessage {
  /// `{"level", "type", "len"}`, and `"truncated": true` for a header cut short.
  init?(json v: JSONValue) {
    guard let o = v.objectValue, let level = ArgumentItems.int(o["level"]),
      let type = ArgumentItems.int(o["type"]), let length = ArgumentItems.int(o["len"])
    else { return nil }
    var truncated = false
    if let t = o["truncated"] {
      guard case .bool(let b) = t else { return nil }
      truncated = b
    }
    self.init(level: level, type: type, length: length, truncated: truncated)
  }

  func write(to w: inout JSONWriter) {
    var m = MemberWriter()
    m.int("level", level, in: &w)
    m.int("type", type, in: &w)
    m.int("len", length, in: &w)
    if truncated {
      m.key("truncated", in: &w)
      w.raw("true")
    }
    m.end(&w)
  }
}

extension PollDescriptor {
  /// `{"fd": 5, "events": "POLLIN", "revents": "POLLIN"}`.
  init?(json v: JSONValue) {
    guard let o = v.objectValue, let fd = o["fd"]?.descriptorValue,
      let events = ArgumentItems.symbol(o["events"], PollEvents.self),
      let returned = ArgumentItems.symbol(o["revents"], PollEvents.self)
    else { return nil }
    self.init(fd: fd, events: events, returnedEvents: returned)
  }

  func write(to w: inout JSONWriter) {
    var m = MemberWriter()
    m.int("fd", Int64(fd), in: &w)
    m.text("events", events, in: &w)
    m.text("revents", returnedEvents, in: &w)
    m.end(&w)
  }
}

extension EpollReadyEvent {
  /// `{"fd": 5, "events": "EPOLLIN"}`, or `{"data": N, "events"}` when no descriptor was registered.
  init?(json v: JSONValue) {
    guard let o = v.objectValue, let data = ArgumentItems.int(o["data"]),
      let events = ArgumentItems.symbol(o["events"], EpollEvents.self)
    else { return nil }
    var fd: Int32?
    if let f = o["fd"] {
      guard let n = f.descriptorValue else { return nil }
      fd = n
    }
    self.init(fd: fd, data: data, events: events)
  }

  func write(to w: inout JSONWriter) {
    var m = MemberWriter()
    m.int("fd", fd.map(Int64.init), in: &w)
    m.int("data", data, in: &w)
    m.text("events", events, in: &w)
    m.end(&w)
  }
}
