import Foundation
import SockScopeMerge
import SockScopeTrace

// One strace call as a trace event.
extension StraceImport {
  /// The first thing `validate` would find wrong with `event` as a trace line.
  static func firstProblem(of event: TraceEvent) -> String? {
    var w = JSONWriter()
    event.write(to: &w)
    let outcome = w.bytes.withUnsafeBufferPointer { TraceFile.decodeLine($0, isHeader: false) }
    return outcome.problems.first.map { p in p.field.map { "field \"\($0)\": \(p.message)" } ?? p.message }
  }

  /// Why a call's line, though shaped like strace's, cannot be read.
  struct UnreadableCall: Error {
    var message: String
    /// The call names its descriptor without `-yy`'s annotation (`3`, not `3<UNIX:[14394]>`).
    var unannotated = false
  }

  /// Calls made only on sockets: a plain number for their descriptor means strace ran without `-yy`.
  static let socketOnlyCalls: Set<String> = [
    "bind", "connect", "listen", "accept", "accept4", "sendto", "sendmsg", "recvfrom", "recvmsg", "shutdown",
  ]

  /// Calls on a descriptor, named by their first argument.
  static let descriptorCalls = socketOnlyCalls.union(["close", "read", "write"])

  /// Checks the descriptor of a call that is not on an AF_UNIX socket: one strace annotated as
  /// something else (`3</etc/passwd>`, `3<TCP:[…]>`) is passed over; a line without one is damaged.
  static func checkOtherDescriptor(
    _ text: Substring?, of c: Call, failure: CallFailure?
  ) throws(UnreadableCall) {
    guard let text, !text.isEmpty else {
      throw UnreadableCall(message: "\(c.name): no descriptor where strace writes one; left out")
    }
    if let open = text.firstIndex(of: "<"), Int32(text[..<open]) != nil, text.hasSuffix(">") { return }
    guard Int32(text) != nil else {
      throw UnreadableCall(message: "\(c.name): cannot read its descriptor \"\(text.prefix(40))\"; left out")
    }
    // strace cannot annotate a descriptor that is not open (EBADF); on any other, -yy was missing.
    if socketOnlyCalls.contains(c.name), failure?.name != "EBADF" {
      throw UnreadableCall(
        message: "\(c.name) on descriptor \(text) without -yy's annotation", unannotated: true)
    }
  }

  /// One call as an event, or nil when it is not about an AF_UNIX socket.
  static func event(_ c: Call) throws(UnreadableCall) -> TraceEvent? {
    let args = arguments(c.arguments)
    var resultWords = c.result.split(separator: " ", maxSplits: 1).map(String.init)
    let retText = resultWords.isEmpty ? "" : resultWords.removeFirst()
    let retDescriptor = descriptor(Substring(retText))
    let readRet = Int64(retText.prefix { $0 == "-" || $0.isNumber })
    let ret = readRet ?? 0
    var failure: CallFailure?
    if ret == -1, let rest = resultWords.first {
      let name = String(rest.prefix { $0 != " " })
      let message = rest.drop { $0 != "(" }.dropFirst().dropLast(rest.hasSuffix(")") ? 1 : 0)
      failure = CallFailure(name: name, message: String(message))
    }
    let target = args.first.flatMap { descriptor($0) }
    if target == nil, descriptorCalls.contains(c.name) {
      try checkOtherDescriptor(args.first, of: c, failure: failure)
    }
    var e = TraceEvent(
      time: c.start, duration: c.end &- c.start, pid: c.pid, role: "", call: .close, fd: target?.fd, ret: ret,
      failure: failure, socket: target.map { SocketIdentity(inode: $0.inode, peer: $0.peer) })
    func flags(_ i: Int) -> String { args.count > i ? String(args[i]) : "0" }
    switch c.name {
    case "socket", "socketpair":
      guard args.first == "AF_UNIX" || args.first == "AF_LOCAL" else { return nil }
      e.call = c.name == "socket" ? .socket : .socketpair
      e.args = [
        "domain": .string("AF_UNIX"), "type": .string(args.count > 1 ? String(args[1]) : ""),
        "protocol": .int(0),
      ]
      if c.name == "socket" {
        e.fd = Int32(exactly: ret).flatMap { $0 >= 0 ? $0 : nil }
        e.socket = retDescriptor.map { SocketIdentity(inode: $0.inode, peer: $0.peer) }
      } else if args.count > 3 {
        let pair = arguments(String(args[3].dropFirst().dropLast())).compactMap { descriptor($0) }
        if pair.count == 2 {
          e.fd = pair[0].fd
          e.args["fds"] = .array([.int(Int64(pair[0].fd)), .int(Int64(pair[1].fd))])
          e.socket = SocketIdentity(inode: pair[0].inode, peer: pair[1].inode)
        }
      }
    case "bind", "connect":
      guard target != nil, args.count > 1, let addr = address(args[1]) else { return nil }
      e.call = c.name == "bind" ? .bind : .connect
      e.args = ["addr": .object(addr), "addrlen": .int(Int64(args.count > 2 ? args[2] : "") ?? 0)]
    case "listen":
      guard target != nil else { return nil }
      e.call = .listen
      e.args = ["backlog": .int(Int64(flags(1)) ?? 0)]
    case "accept", "accept4":
      guard target != nil else { return nil }
      e.call = c.name == "accept" ? .accept : .accept4
      if c.name == "accept4" { e.args["flags"] = .string(flags(3)) }
      if let d = retDescriptor {
        var s: JSONObject = ["ino": .int(Int64(d.inode))]
        if let p = d.peer { s["peer"] = .int(Int64(p)) }
        e.args["new_sock"] = .object(s)
        e.ret = Int64(d.fd)
      }
    case "sendto", "sendmsg", "write":
      guard target != nil else { return nil }
      e.call = c.name == "sendto" ? .sendto : c.name == "write" ? .write : .sendmsg
      let data = args.count > 1 ? bytes(args[1]) ?? [] : []
      e.args["len"] = .int(Int64(args.count > 2 ? args[2] : "") ?? Int64(data.count))
      if c.name != "write" { e.args["flags"] = .string(flags(3)) }
      if c.name == "sendto", args.count > 4, let addr = address(args[4]) { e.args["addr"] = .object(addr) }
      if failure == nil { e.data = Payload(capturing: data, length: UInt64(max(ret, 0)), limit: data.count) }
    case "recvfrom", "recvmsg", "read":
      guard let t = target else { return nil }
      e.call = c.name == "recvfrom" ? .recvfrom : c.name == "read" ? .read : .recvmsg
      let buffer = Int64(args.count > 2 ? args[2] : "") ?? 0
      let flagText = flags(3)
      e.args["len"] = .int(buffer)
      if c.name != "read" { e.args["flags"] = .string(flagText) }
      if failure == nil {
        let data = args.count > 1 ? bytes(args[1]) ?? [] : []
        // With MSG_TRUNC the kernel returned the datagram's real size (SockScope's layer asks so).
        let truncating = flagText.contains("MSG_TRUNC") && c.name != "read"
        let got = truncating ? min(ret, buffer) : ret
        e.ret = got
        e.data = Payload(
          capturing: data, length: UInt64(max(got, 0)), limit: data.count,
          datagramLength: truncating ? UInt64(max(ret, 0)) : nil)
      }
      e.socket = SocketIdentity(inode: t.inode, peer: t.peer)
    case "shutdown":
      guard target != nil else { return nil }
      e.call = .shutdown
      e.args = ["how": .string(flags(1))]
    case "close":
      guard target != nil else { return nil }
      e.call = .close
    case "unlink":
      guard let path = args.first.flatMap({ bytes($0) }) else { return nil }
      e.call = .unlink
      e.fd = nil
      e.args = ["path": .string(String(decoding: path, as: UTF8.self))]
    default:
      return nil
    }
    guard readRet != nil else {
      // strace writes `= ?` for a call the process never returned from (it exited or was killed).
      throw UnreadableCall(
        message: retText == "?"
          ? "\(c.name) never returned: the process ended during it; left out"
          : "\(c.name): cannot read its result \"\(retText.prefix(40))\"")
    }
    return e
  }
}
