// The mapping between typed call arguments and a trace line's `args` object: the only place that
// knows the keys (docs/trace-format.md, "args, per call"; the descriptor calls' keys and items are
// in CallArguments+DescriptorsJSON.swift). Reading never fails: a key the model does not know, or
// a value it cannot type, is kept as JSON in `UnreadArguments` and written back.

extension CallArguments {
  /// The typed arguments of `call` from a line's `args`, and what they do not hold.
  public static func decode(_ o: JSONObject, call: SocketCall) -> (CallArguments, UnreadArguments) {
    let (arguments, unknown) = decodeMembers(o, call: call)
    var unread = UnreadArguments(members: unknown)
    if !o.isEmpty {
      // Written back the writer's way, would the line read the same? If not, keep it as it was.
      var canonical = JSONWriter()
      arguments.writeCanonical(into: &canonical, call: call, unknown: unknown)
      var original = JSONWriter()
      original.object(o)
      if canonical.bytes != original.bytes { unread.asRead = o }
    }
    return (arguments, unread)
  }

  static func decodeMembers(_ o: JSONObject, call: SocketCall) -> (CallArguments, JSONObject) {
    var unknown = JSONObject()
    var typed = false
    func int(_ v: JSONValue) -> Int64? { v.intValue }
    func unsigned(_ v: JSONValue) -> UInt64? { v.intValue.flatMap { UInt64(exactly: $0) } }
    func symbol<T: SymbolicArgument>(_ v: JSONValue, _: T.Type) -> T? {
      v.stringValue.flatMap { T(spelling: $0) }
    }
    /// Runs `read` for each member; a member it does not take is kept as unknown.
    func each(_ read: (String, JSONValue) -> Bool) {
      for m in o {
        if read(m.key, m.value) {
          typed = true
        } else {
          unknown.appendUnchecked(m.key, m.value)
        }
      }
    }
    func set<T>(_ slot: inout T?, _ value: T?) -> Bool {
      guard let value else { return false }
      slot = value
      return true
    }

    var result = CallArguments.none
    switch call.argumentFamily {
    case .none:
      each { _, _ in false }
    case .socket:
      var a = SocketArguments()
      each { key, v in
        switch key {
        case "domain": set(&a.domain, symbol(v, SocketDomain.self))
        case "type": set(&a.type, symbol(v, SocketType.self))
        case "protocol": set(&a.protocol, int(v))
        case "fds":
          set(
            &a.descriptors,
            v.arrayValue.flatMap { items in
              items.count == 2 && items.allSatisfy { $0.intValue != nil } ? items.compactMap(\.intValue) : nil
            })
        default: false
        }
      }
      result = .socket(a)
    case .address:
      var a = AddressArguments()
      each { key, v in
        switch key {
        case "addr": set(&a.address, SocketAddress(json: v))
        case "addrlen": set(&a.length, int(v))
        default: false
        }
      }
      result = .address(a)
    case .listen:
      var backlog: Int64?
      each { key, v in key == "backlog" && set(&backlog, int(v)) }
      result = .listen(backlog: backlog)
    case .accept:
      var a = AcceptArguments()
      each { key, v in
        switch key {
        case "flags": set(&a.flags, symbol(v, SocketFlags.self))
        case "addr": set(&a.address, SocketAddress(json: v))
        case "new_sock": set(&a.newSocket, SocketIdentity(json: v))
        default: false
        }
      }
      result = .accept(a)
    case .message:
      var a = MessageArguments()
      each { key, v in
        switch key {
        case "len": set(&a.length, int(v))
        case "flags": set(&a.flags, symbol(v, MessageFlags.self))
        case "msg_flags": set(&a.returnedFlags, symbol(v, MessageFlags.self))
        case "addr": set(&a.address, SocketAddress(json: v))
        case "iovlen": set(&a.vectorCount, int(v))
        case "controllen": set(&a.controlLength, int(v))
        case "creds": set(&a.credentials, Credentials(json: v))
        case "rights": set(&a.rights, ArgumentItems.list(v, PassedDescriptor.init(json:)))
        case "cmsgs": set(&a.otherControlMessages, ArgumentItems.list(v, OtherControlMessage.init(json:)))
        default: false
        }
      }
      result = .message(a)
    case .shutdown:
      var how: ShutdownHow?
      each { key, v in key == "how" && set(&how, symbol(v, ShutdownHow.self)) }
      result = .shutdown(how: how)
    case .unlink:
      var a = UnlinkArguments()
      each { key, v in
        switch key {
        case "path": set(&a.path, v.stringValue)
        case "ino": set(&a.inode, unsigned(v))
        default: false
        }
      }
      result = .unlink(a)
    case .name:
      var address: SocketAddress?
      each { key, v in key == "addr" && set(&address, SocketAddress(json: v)) }
      result = .name(address: address)
    case .option:
      var a = OptionArguments()
      let level = o["level"]?.stringValue.flatMap { SocketOptionLevel(spelling: $0) }
      each { key, v in
        switch key {
        case "level": set(&a.level, level)
        case "optname":
          set(&a.option, v.stringValue.flatMap { SocketOption(spelling: $0, level: level ?? .socket) })
        case "value": set(&a.value, int(v))
        case "optlen": set(&a.length, int(v))
        case "cred": set(&a.credentials, Credentials(json: v))
        default: false
        }
      }
      result = .option(a)
    case .output:
      var stream: OutputStream?
      each { key, v in key == "stream" && set(&stream, v.stringValue.flatMap(OutputStream.init(rawValue:))) }
      result = .output(stream: stream)
    case .duplicate, .poll, .select, .epollControl, .epollWait:
      result = CallArguments.decodeDescriptorCall(call.argumentFamily, each)
    case .program:
      result = CallArguments.decodeProgram(each)
    }
    if !typed { result = CallArguments.none }
    return (result, unknown)
  }

  /// Appends the arguments as a line's `args` object: the line's own spelling when it was read
  /// and still says the same, else the typed arguments in the documented order, then unknown keys.
  func write(to w: inout JSONWriter, call: SocketCall, unread: UnreadArguments) {
    write(into: &w, call: call, unread: unread)
  }

  /// `write(to:call:unread:)` for any sink: the trace writer writes a million lines' arguments
  /// straight into its line buffer.
  func write<Sink: JSONSink>(into w: inout Sink, call: SocketCall, unread: UnreadArguments) {
    if let asRead = unread.asRead {
      let (again, unknown) = CallArguments.decodeMembers(asRead, call: call)
      if again == self && unknown == unread.members {
        w.embed(asRead) { asRead, w in w.object(asRead) }
        return
      }
    }
    writeCanonical(into: &w, call: call, unknown: unread.members)
  }

  func writeCanonical<Sink: JSONSink>(into w: inout Sink, call: SocketCall, unknown: JSONObject) {
    w.put(UInt8(ascii: "{"))
    var first = true
    func key(_ name: StaticString) {
      if first {
        first = false
      } else {
        w.put(UInt8(ascii: ","))
      }
      w.put(UInt8(ascii: "\""))
      w.put(name)
      w.put("\":")
    }
    func int(_ name: StaticString, _ v: Int64?) {
      guard let v else { return }
      key(name)
      w.putInt(v)
    }
    func text(_ name: StaticString, _ v: (some CustomStringConvertible)?) {
      guard let v else { return }
      key(name)
      w.putString(v.description)
    }
    func address(_ v: SocketAddress?) {
      guard let v else { return }
      key("addr")
      w.embed(v) { v, w in v.write(to: &w) }
    }
    func credentials(_ name: StaticString, _ v: Credentials?) {
      guard let v else { return }
      key(name)
      w.embed(v) { v, w in v.write(to: &w) }
    }

    switch self {
    case .none: break
    case .socket(let a):
      text("domain", a.domain)
      text("type", a.type)
      int("protocol", a.protocol)
      if let fds = a.descriptors {
        key("fds")
        w.embed(fds) { fds, w in w.value(.array(fds.map { .int($0) })) }
      }
    case .address(let a):
      address(a.address)
      int("addrlen", a.length)
    case .listen(let backlog): int("backlog", backlog)
    case .accept(let a):
      text("flags", a.flags)
      address(a.address)
      if let s = a.newSocket {
        key("new_sock")
        s.write(into: &w)
      }
    case .message(let a):
      int("len", a.length)
      if a.flags?.rawValue == 0 {
        key("flags")
        w.put(#""0""#)  // What `MessageFlags.description` spells for none, without building it.
      } else {
        text("flags", a.flags)
      }
      if call.receivesData {
        text("msg_flags", a.returnedFlags)
        int("controllen", a.controlLength)
        address(a.address)
        int("iovlen", a.vectorCount)
      } else {
        address(a.address)
        int("iovlen", a.vectorCount)
        int("controllen", a.controlLength)
        text("msg_flags", a.returnedFlags)
      }
      // The control messages, in the order the binary-log reader has always written them.
      credentials("creds", a.credentials)
      if let rights = a.rights {
        key("rights")
        w.embed(rights) { rights, w in w.items(rights) { $0.write(to: &$1) } }
      }
      if let others = a.otherControlMessages {
        key("cmsgs")
        w.embed(others) { others, w in w.items(others) { $0.write(to: &$1) } }
      }
    case .shutdown(let how): text("how", how)
    case .unlink(let a):
      if let path = a.path {
        key("path")
        w.putString(path)
      }
      int("ino", a.inode.map { Int64(clamping: $0) })
    case .name(let a): address(a)
    case .option(let a):
      text("level", a.level)
      text("optname", a.option)
      int("value", a.value)
      int("optlen", a.length)
      credentials("cred", a.credentials)
    case .output(let stream): text("stream", stream?.rawValue)
    case .duplicate, .poll, .select, .epollControl, .epollWait:
      var members = MemberWriter(opened: first)
      w.embed(self) { arguments, w in arguments.writeDescriptorCall(&members, to: &w) }
      first = members.isFirst
    case .program(let a):
      var members = MemberWriter(opened: first)
      w.embed(self) { arguments, w in arguments.writeProgram(a, &members, to: &w) }
      first = members.isFirst
    }
    for m in unknown {
      if first {
        first = false
      } else {
        w.put(UInt8(ascii: ","))
      }
      w.putString(m.key)
      w.put(UInt8(ascii: ":"))
      w.embed(m.value) { value, w in w.value(value) }
    }
    w.put(UInt8(ascii: "}"))
  }

  /// The arguments as a line's `args` object.
  func json(call: SocketCall, unread: UnreadArguments) -> JSONObject {
    var w = JSONWriter()
    write(to: &w, call: call, unread: unread)
    // What JSONWriter writes is JSON; the fallback only keeps this total.
    return (try? JSONValue.parse(w.bytes))?.objectValue ?? JSONObject()
  }
}

extension SocketAddress {
  /// The address an `addr` object names; nil unless it has exactly one of `path`, `abstract`,
  /// `unnamed` and `family`, of the right type.
  init?(json v: JSONValue) {
    guard let o = v.objectValue else { return nil }
    var names: [Name] = []
    if let p = o["path"] { guard let s = p.stringValue else { return nil }; names.append(.path(s)) }
    if let a = o["abstract"] { guard let s = a.stringValue else { return nil }; names.append(.abstract(s)) }
    if let u = o["unnamed"] { guard u == .bool(true) else { return nil }; names.append(.unnamed) }
    if let f = o["family"] { guard let s = f.stringValue else { return nil }; names.append(.family(s)) }
    guard names.count == 1 else { return nil }
    var inode: UInt64?
    if let i = o["ino"] {
      guard let n = i.intValue.flatMap({ UInt64(exactly: $0) }) else { return nil }
      inode = n
    }
    self.init(names[0], inode: inode)
  }

  func write(to w: inout JSONWriter) {
    switch name {
    case .path(let p):
      w.raw(#"{"path":"#)
      w.string(p)
    case .abstract(let a):
      w.raw(#"{"abstract":"#)
      w.string(a)
    case .unnamed: w.raw(#"{"unnamed":true"#)
    case .family(let f):
      w.raw(#"{"family":"#)
      w.string(f)
    }
    if let inode {
      w.raw(#","ino":"#)
      w.int(Int64(clamping: inode))
    }
    w.bytes.append(UInt8(ascii: "}"))
  }
}

extension SocketIdentity {
  /// The socket a `{"ino", "peer"}` object names; nil unless both are non-negative integers.
  init?(json v: JSONValue) {
    guard let o = v.objectValue, let ino = o["ino"]?.intValue.flatMap({ UInt64(exactly: $0) }) else {
      return nil
    }
    var peer: UInt64?
    if let p = o["peer"] {
      guard let n = p.intValue.flatMap({ UInt64(exactly: $0) }) else { return nil }
      peer = n
    }
    self.init(inode: ino, peer: peer)
  }
}

extension TraceEvent {
  /// The arguments as the trace line's `args` object (the format's edge: readers of an event use
  /// the typed `arguments`). Setting it reads the object into typed arguments for this call.
  public var args: JSONObject {
    get { arguments.json(call: call, unread: unreadArguments) }
    set { (arguments, unreadArguments) = CallArguments.decode(newValue, call: call) }
  }
}
