import Foundation

/// Converts the output of `strace -f -tt -yy -s N` into a trace, for programs that cannot be
/// recorded with LD_PRELOAD (statically linked, Go) or runs recorded elsewhere.
///
/// Reads the three shapes strace writes: one file with `[pid N]` prefixes (on standard error),
/// one file with a leading pid column (`-f -o FILE`), or one file per process (`-ff -o FILE`, named
/// `FILE.PID`). Calls split by other processes (`<unfinished ...>` … `<... name resumed>`) are joined.
/// Only calls on AF_UNIX sockets (and unlinks of their socket files) become events; other lines
/// strace prints (signals, exits, calls on files or other sockets) are passed over by design, and
/// the sockets glibc opens for itself and unlinks of other files are left out and counted; any line
/// that is none of these is reported with its number, never dropped silently.
public enum StraceImport {
  /// The trace and the lines that could not be read.
  public struct Result: Sendable {
    public var trace: Trace
    public var problems: [TraceProblem]
    /// Sockets glibc opened to ask nscd for a user or host name: left out, counted here.
    public var nameServiceSockets: Int = 0
    /// Unlinks of files no socket call in the trace names: left out, counted here.
    public var otherUnlinks: Int = 0
    /// Calls strace wrote without `-tt`'s time of day: ordered by line number, with no duration.
    public var untimedCalls: Int = 0
  }

  /// One input file: its name, its text, and the pid when the name says it (`log.1234`).
  public struct Input: Sendable {
    public var name: String
    public var text: String
    public var pid: Int32?

    public init(name: String, text: String, pid: Int32? = nil) {
      self.name = name
      self.text = text
      self.pid = pid
    }
  }

  struct Call {
    var pid: Int32
    var name: String
    var arguments: String
    var result: String
    var start: UInt64
    var end: UInt64
    var file: String
    var line: Int
    /// Whether strace wrote the time of day (`-tt`); without it, `start` and `end` count lines.
    var timed: Bool
  }

  /// Imports `inputs`; `roles` names processes by pid, overriding the guess.
  public static func read(_ inputs: [Input], roles: [Int32: String] = [:]) -> Result {
    var calls: [Call] = []
    var problems: [TraceProblem] = []
    for input in inputs {
      var pending: [Int32: (name: String, arguments: String, start: UInt64, line: Int)] = [:]
      for (n, raw) in input.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let number = n + 1
        var line = Substring(raw)
        if line.allSatisfy({ $0 == " " }) { continue }
        var pid = input.pid ?? 0
        if line.hasPrefix("[pid ") {
          let close = line.firstIndex(of: "]") ?? line.endIndex
          pid = Int32(line[line.index(line.startIndex, offsetBy: 5)..<close].trimmingSpaces) ?? 0
          line = line[line.index(after: min(close, line.index(before: line.endIndex)))...].trimmingSpaces
        } else if let space = line.firstIndex(of: " "), let value = Int32(line[..<space]),
          !line[space...].trimmingSpaces.isEmpty
        {
          // A call's name never starts with a digit, and a time has `:` or `.`: a bare number is the pid.
          pid = value
          line = line[space...].trimmingSpaces
        }
        var time: UInt64 = UInt64(number) * 1000
        let space = line.firstIndex(of: " ")
        let clock = space.flatMap { timeOfDay(line[..<$0]) }
        if let space, let clock {
          time = clock
          line = line[space...].trimmingSpaces
        }
        if line.hasPrefix("---") || line.hasPrefix("+++") { continue }  // signals and exits
        if line.hasPrefix("<... ") {
          let nameStart = line.index(line.startIndex, offsetBy: 5)
          // Searched from the name on: in `<... resumed>` the marker starts before any name would.
          guard let resumed = line.range(of: " resumed>"), resumed.lowerBound >= nameStart else {
            problems.append(
              TraceProblem(file: input.name, line: number, message: "a resumed call strace did not name"))
            continue
          }
          let name = String(line[nameStart..<resumed.lowerBound])
          guard let start = pending.removeValue(forKey: pid), start.name == name else {
            problems.append(
              TraceProblem(
                file: input.name, line: number,
                message: "\(name) resumed, but no unfinished \(name) of pid \(pid) came before it"))
            continue
          }
          let rest = String(line[resumed.upperBound...])
          guard let split = splitResult(start.arguments + rest) else {
            problems.append(
              TraceProblem(file: input.name, line: number, message: "cannot read the end of \(name)"))
            continue
          }
          calls.append(
            Call(
              pid: pid, name: name, arguments: split.0, result: split.1, start: start.start, end: time,
              file: input.name, line: start.line, timed: clock != nil))
          continue
        }
        guard let paren = line.firstIndex(of: "("),
          line[..<paren].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
          paren > line.startIndex
        else {
          problems.append(
            TraceProblem(
              file: input.name, line: number, message: "not a line strace writes: \(line.prefix(60))"))
          continue
        }
        let name = String(line[..<paren])
        let body = String(line[line.index(after: paren)...])
        if body.hasSuffix("<unfinished ...>") {
          pending[pid] = (name, String(body.dropLast("<unfinished ...>".count)).trimmingSpaces, time, number)
          continue
        }
        guard let split = splitResult(body) else {
          problems.append(
            TraceProblem(file: input.name, line: number, message: "\(name): no result (a line cut short?)"))
          continue
        }
        calls.append(
          Call(
            pid: pid, name: name, arguments: split.0, result: split.1, start: time, end: time,
            file: input.name, line: number, timed: clock != nil))
      }
      for (pid, call) in pending {
        problems.append(
          TraceProblem(
            file: input.name, line: call.line,
            message: "\(call.name) of pid \(pid) never finished (the log ends first)"))
      }
    }
    calls.sort { ($0.start, $0.pid) < ($1.start, $1.pid) }
    var events: [TraceEvent] = []
    for call in calls {
      let made: TraceEvent?
      do {
        made = try event(call)
      } catch {
        problems.append(TraceProblem(file: call.file, line: call.line, message: error.message))
        continue
      }
      guard let event = made else { continue }
      // What strace printed can be damaged in ways no call is (a negative length): checked as
      // `validate` checks a line, so the import never writes a trace that validate refuses.
      if let problem = firstProblem(of: event) {
        problems.append(
          TraceProblem(file: call.file, line: call.line, message: "\(call.name): \(problem); left out"))
        continue
      }
      events.append(event)
    }
    let (kept, nameService) = leavingOutNameServiceSockets(events)
    let (socketFileUnlinks, otherUnlinks) = leavingOutUnlinksOfOtherFiles(kept)
    events = socketFileUnlinks
    var seq: [Int32: UInt64] = [:]
    for i in events.indices {
      events[i].seq = seq[events[i].pid, default: 0]
      seq[events[i].pid, default: 0] += 1
    }
    let named = nameRoles(events, explicit: roles)
    for i in events.indices { events[i].role = named[events[i].pid] ?? "pid \(events[i].pid)" }
    let pids = Array(Set(events.map(\.pid))).sorted()
    let processes = pids.map { pid in
      TracedProcess(
        pid: pid, role: named[pid] ?? "pid \(pid)", executable: "",
        events: events.count { $0.pid == pid })
    }
    let trace = TraceMerger.merge(events: events, processes: processes)
    return Result(
      trace: trace, problems: problems, nameServiceSockets: nameService, otherUnlinks: otherUnlinks,
      untimedCalls: calls.count { !$0.timed })
  }

  /// The events without unlinks of files that no socket call in them names, and how many those were.
  ///
  /// strace's `-e trace=unlink` shows every file a process removes, and `strace -f` follows the
  /// launcher too (a build tool, `sockscope demo` clearing its old logs); only socket files belong
  /// in a socket trace. `./echo.socket` and `echo.socket` are taken as the same file.
  static func leavingOutUnlinksOfOtherFiles(_ events: [TraceEvent]) -> ([TraceEvent], Int) {
    func normalized(_ path: String) -> Substring {
      var p = Substring(path)
      while p.hasPrefix("./") { p = p.dropFirst(2) }
      return p
    }
    let socketPaths = Set(events.filter { $0.call != .unlink }.compactMap { $0.addressPath.map(normalized) })
    let kept = events.filter { e in
      guard e.call == .unlink else { return true }
      return e.args["path"]?.stringValue.map { socketPaths.contains(normalized($0)) } ?? false
    }
    return (kept, events.count - kept.count)
  }

  /// Paths where glibc asks nscd, the name-service cache, for users, groups and hosts.
  static let nscdPaths: Set<String> = ["/var/run/nscd/socket", "/run/nscd/socket"]

  /// The events without the sockets glibc opened on its own to ask nscd (a Python started without
  /// `HOME` looks its user up this way), and how many such sockets there were.
  ///
  /// glibc makes these calls inside libc, where SockScope's LD_PRELOAD layer cannot see them and
  /// strace can; leaving them out makes an imported trace show the calls a recorded one shows.
  static func leavingOutNameServiceSockets(_ events: [TraceEvent]) -> ([TraceEvent], Int) {
    struct Key: Hashable {
      var pid: Int32
      var inode: UInt64
    }
    var lookups = Set<Key>()
    for e in events where e.call == .connect {
      guard let inode = e.socket?.inode, let path = e.addressPath, nscdPaths.contains(path) else { continue }
      lookups.insert(Key(pid: e.pid, inode: inode))
    }
    guard !lookups.isEmpty else { return (events, 0) }
    let kept = events.filter { e in
      guard let inode = e.socket?.inode else { return true }
      return !lookups.contains(Key(pid: e.pid, inode: inode))
    }
    return (kept, lookups.count)
  }

  /// The server is the process that binds, clients are the others, numbered as they connect.
  static func nameRoles(_ events: [TraceEvent], explicit: [Int32: String]) -> [Int32: String] {
    var names = explicit
    let binders = Set(events.filter { $0.call == .bind || $0.call == .listen }.map(\.pid))
    var clients: [Int32] = []
    for e in events where names[e.pid] == nil {
      if binders.contains(e.pid) {
        names[e.pid] =
          binders.count == 1 ? "server" : "server#\(names.values.count { $0.hasPrefix("server") } + 1)"
      } else if e.call == .connect || e.call == .sendto {
        clients.append(e.pid)
        names[e.pid] = "client#\(clients.count)"
      }
    }
    if clients.count == 1, let only = clients.first, explicit[only] == nil { names[only] = "client" }
    return names
  }

  /// `args) = ret rest` split at the `) = ` that closes the argument list. strace pads short
  /// lines so results line up at column 40 (`close(3)        = 0`), so spaces may come before `=`.
  static func splitResult(_ body: String) -> (String, String)? {
    var end = body.endIndex
    while let range = body.range(of: " = ", options: .backwards, range: body.startIndex..<end) {
      let before = body[..<range.lowerBound].trimmingSpaces
      if before.hasSuffix(")") {
        return (String(before.dropLast()), String(body[range.upperBound...]))
      }
      end = range.lowerBound
    }
    return nil
  }

  /// `09:20:34.924024` as nanoseconds since midnight.
  static func timeOfDay(_ s: Substring) -> UInt64? {
    let parts = s.split(separator: ":", omittingEmptySubsequences: false)
    // In range, or a damaged line's huge "hour" would overflow the arithmetic below.
    guard parts.count == 3, let h = UInt64(parts[0]), let m = UInt64(parts[1]), h < 24, m < 60 else {
      return nil
    }
    let secParts = parts[2].split(separator: ".", omittingEmptySubsequences: false)
    guard secParts.count <= 2, let first = secParts.first, let sec = UInt64(first), sec <= 60 else {
      return nil
    }
    var frac: UInt64 = 0
    if secParts.count == 2 {
      let digits = String(secParts[1].prefix(9))
      frac = (UInt64(digits) ?? 0) * UInt64(pow10(9 - digits.count))
    }
    return ((h * 60 + m) * 60 + sec) * 1_000_000_000 + frac
  }

  static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r * 10 } }
}

extension StraceImport {
  /// A socket as strace -yy annotates it: `3<UNIX:[14394]>`, `4<UNIX:[13615->14394]>`,
  /// `3<UNIX:[14394,"echo.socket"]>`, and `3<UNIX-STREAM:[14394]>`: strace prints the kernel's
  /// protocol name, and Linux 5.15 and later name stream sockets `UNIX-STREAM`.
  struct Descriptor {
    var fd: Int32
    var inode: UInt64
    var peer: UInt64?
  }

  static func descriptor(_ text: Substring) -> Descriptor? {
    guard let open = text.firstIndex(of: "<"), let fd = Int32(text[..<open].trimmingSpaces),
      let bracket = text[open...].firstIndex(of: "["),
      isUnixProtocol(text[text.index(after: open)..<bracket])
    else { return nil }
    let inside = text[text.index(after: bracket)...].prefix { $0 != "]" && $0 != "," }
    let parts = inside.components(separatedBy: "->")
    // Inodes fit in 63 bits, as the trace format's integers do.
    func inode(_ text: String) -> UInt64? { Int64(text).flatMap { $0 >= 0 ? UInt64($0) : nil } }
    guard let ino = inode(parts[0]) else { return nil }
    return Descriptor(fd: fd, inode: ino, peer: parts.count > 1 ? inode(parts[1]) : nil)
  }

  /// `UNIX:` or `UNIX-STREAM:` (any `UNIX-NAME:`), the part of an annotation before its `[`.
  static func isUnixProtocol(_ text: Substring) -> Bool {
    guard text.hasPrefix("UNIX"), text.hasSuffix(":") else { return false }
    let name = text.dropFirst(4).dropLast()
    return name.isEmpty || (name.count > 1 && name.first == "-" && name.dropFirst().allSatisfy(\.isUppercase))
  }

  /// Top-level arguments, split at commas outside quotes, braces, brackets, parentheses and
  /// descriptor annotations (`3<UNIX:[1->2]>`). A closer counts only when it closes the innermost
  /// opener, because strace also writes `>` in arrows: `[13615->14394]`, `[110 => 2]`.
  static func arguments(_ text: String) -> [Substring] {
    var out: [Substring] = []
    var closers: [Character] = []
    var previous: Character = " "
    var quoted = false
    var escaped = false
    var start = text.startIndex
    for i in text.indices {
      let c = text[i]
      if quoted {
        if escaped {
          escaped = false
        } else if c == "\\" {
          escaped = true
        } else if c == "\"" {
          quoted = false
        }
        continue
      }
      switch c {
      case "\"": quoted = true
      case "{": closers.append("}")
      case "[": closers.append("]")
      case "(": closers.append(")")
      case "<" where previous.isNumber: closers.append(">")
      case "}", "]", ")", ">":
        if closers.last == c { closers.removeLast() }
      case "," where closers.isEmpty:
        out.append(text[start..<i].trimmingSpaces)
        start = text.index(after: i)
      default: break
      }
      previous = c
    }
    let last = text[start...].trimmingSpaces
    if !last.isEmpty { out.append(last) }
    return out
  }

  /// A C string as strace prints it (`"\320\233ev\n"`), as bytes; `...` after it means strace cut it.
  static func bytes(_ text: Substring) -> [UInt8]? {
    guard text.hasPrefix("\"") else { return nil }
    var out: [UInt8] = []
    let utf8 = Array(text.utf8)
    var k = 1  // after the opening quote
    while k < utf8.count {
      let c = utf8[k]
      if c == UInt8(ascii: "\"") { break }
      if c == UInt8(ascii: "\\"), k + 1 < utf8.count {
        let e = utf8[k + 1]
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A); k += 2
        case UInt8(ascii: "t"): out.append(0x09); k += 2
        case UInt8(ascii: "r"): out.append(0x0D); k += 2
        case UInt8(ascii: "v"): out.append(0x0B); k += 2
        case UInt8(ascii: "f"): out.append(0x0C); k += 2
        case UInt8(ascii: "x"):
          var v: UInt8 = 0
          var j = k + 2
          while j < utf8.count, j < k + 4, let d = hexDigit(utf8[j]) { v = v << 4 | d; j += 1 }
          out.append(v); k = j
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
          var v = 0
          var j = k + 1
          while j < utf8.count, j < k + 4, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(utf8[j]) {
            v = v * 8 + Int(utf8[j] - UInt8(ascii: "0")); j += 1
          }
          out.append(UInt8(truncatingIfNeeded: v)); k = j
        default: out.append(e); k += 2
        }
      } else {
        out.append(c)
        k += 1
      }
    }
    return out
  }

  static func hexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  /// `{sa_family=AF_UNIX, sun_path="echo.socket"}` or `sun_path=@"name"` as an address object.
  static func address(_ text: Substring) -> JSONObject? {
    guard text.contains("AF_UNIX") else { return nil }
    guard let range = text.range(of: "sun_path=") else { return ["unnamed": .bool(true)] }
    var rest = text[range.upperBound...]
    let abstract = rest.hasPrefix("@")
    if abstract { rest = rest.dropFirst() }
    guard let bytes = bytes(rest) else { return nil }
    let name = String(decoding: bytes, as: UTF8.self)
    return abstract ? ["abstract": .string(name)] : ["path": .string(name)]
  }

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

extension Substring {
  var trimmingSpaces: Substring {
    var s = self
    while s.first == " " || s.first == "\t" { s = s.dropFirst() }
    while s.last == " " || s.last == "\t" || s.last == "\r" { s = s.dropLast() }
    return s
  }
}

extension String {
  var trimmingSpaces: String { String(Substring(self).trimmingSpaces) }
}
