import CSockScopeLog
import Foundation
import SockScopeOutput
public import SockScopeTrace

/// One process's binary log (`*.sslog`), read back into events.
///
/// The layout is defined by `Sources/CSockScopeLog/include/sockscope_log.h` and documented in
/// docs/trace-format.md. Reading never traps on damaged input: a damaged record is reported and
/// skipped, and everything readable around it is kept.
public struct ProcessLog: Sendable {
  /// The extension of a per-process log file (`1234.sslog`).
  public static let fileExtension = "sslog"

  /// The file the log was read from.
  public var path: String
  /// The process that wrote it, as the trace header will list it.
  public var process: TracedProcess
  /// CLOCK_MONOTONIC and CLOCK_REALTIME when the log was opened.
  public var startMonotonic: UInt64
  /// CLOCK_REALTIME when the log was opened, in nanoseconds since 1970.
  public var startRealtime: UInt64
  /// The most payload bytes kept per call (`--capture`).
  public var captureLimit: Int
  /// The process's events in its own order (index is the position in this log).
  public var events: [TraceEvent]
  /// What was wrong with the file, in words for the user.
  public var problems: [String]

  /// Reads the log at `path`.
  public static func read(path: String) throws(TraceFileError) -> ProcessLog {
    let (fd, _) = try FileIO.openForReading(path, origin: .directoryEntry)
    defer { close(fd) }
    var window = LogWindow(fd: fd, path: path)
    var log = try decode(&window, path: path)
    log.resolveNativeSources()
    return log
  }

  /// Decodes the bytes of a log; `path` names it in messages.
  public static func decode(_ bytes: [UInt8], path: String) throws(TraceFileError) -> ProcessLog {
    var window = LogWindow(bytes: bytes, path: path)
    return try decode(&window, path: path)
  }

  static func decode(_ bytes: inout LogWindow, path: String) throws(TraceFileError) -> ProcessLog {
    var events: [TraceEvent] = []
    // Room for as many events as the file could hold (`room(in:)`), so the list never grows by copying; what is not filled is never
    // touched, and untouched pages take no memory.
    // (At most 8 M events ahead: a huge log still grows, rather than claim more address space than
    // the machine has.)
    events.reserveCapacity(min(room(in: bytes), 1 << 23))
    var log = try decode(&bytes, path: path) { events.append($0) }
    log.events = events
    return log
  }

  /// The most events the log in `bytes` could hold: its size over the smallest record any version
  /// writes.
  static func room(in bytes: LogWindow) -> Int {
    let size = bytes.knownSize ?? bytes.fileSize ?? 0
    return max(0, (size - Int(SOCKSCOPE_LOG_HEADER_SIZE)) / MemoryLayout<sockscope_record_head>.size)
  }

  /// Decodes a log, handing each event to `emit` in the log's order; the result's `events` is
  /// empty (the caller stores them where it wants: `TimelineDecoder` puts every log's in one array).
  static func decode(
    _ bytes: inout LogWindow, path: String, emit: (consuming TraceEvent) -> Void
  ) throws(TraceFileError) -> ProcessLog {
    let headerSize = Int(SOCKSCOPE_LOG_HEADER_SIZE)
    guard try bytes.has(0, MemoryLayout<sockscope_log_header>.size) else {
      throw TraceFileError(
        path: path, message: "too short to be a SockScope log (\(bytes.knownSize ?? 0) bytes)")
    }
    let header = bytes.load(0, as: sockscope_log_header.self)
    let magic = withUnsafeBytes(of: header.magic) { Array($0) }
    guard magic == Array(SOCKSCOPE_LOG_MAGIC.utf8) else {
      throw TraceFileError(path: path, message: "not a SockScope log (wrong magic)")
    }
    guard (1...SOCKSCOPE_LOG_VERSION).contains(header.version), Int(header.header_size) == headerSize else {
      throw TraceFileError(
        path: path,
        message:
          "log format version \(header.version) is not the one this sockscope reads (\(SOCKSCOPE_LOG_VERSION))"
      )
    }
    let role = cString(header.role)
    let pid = header.pid
    var problems: [String] = []
    var count = 0
    var offset = headerSize
    let layout = RecordLayout(version: header.version)
    let magicWord = SOCKSCOPE_RECORD_MAGIC
    var names = LogNames()
    var lastMessage: MessageArguments?
    var payloads = PayloadBlocks()

    while try bytes.has(offset, layout.minimumSize) {
      if bytes.load(offset, as: UInt32.self) == 0 { break }  // The end: nothing was committed past here.
      let (record, recordSize) = try layout.record(in: &bytes, at: offset) ?? (sockscope_record(), 0)
      let size = Int(record.size)
      let body = recordSize + Int(record.addr_len) + Int(record.data_len) + Int(record.extra_len)
      guard record.magic == magicWord, recordSize > 0, size % 8 == 0, size >= body,
        try bytes.has(offset, size)
      else {
        // Resynchronise on the next record magic at an 8-byte boundary.
        var next = offset + 8
        while try bytes.has(next, layout.minimumSize) {
          if bytes.load(next, as: UInt32.self) == magicWord { break }
          next += 8
        }
        problems.append("\(path): damaged record at byte \(offset); skipped \(next - offset) bytes")
        offset = next
        continue
      }
      let addrStart = offset + recordSize
      let address = Array(bytes.bytes(addrStart, Int(record.addr_len)))
      let dataStart = addrStart + Int(record.addr_len)
      let payload = bytes.bytes(dataStart, Int(record.data_len))  // Copied once, into `payloads`.
      if names.define(record, name: address) {
        offset += size
        continue
      }
      if var event = RecordDecoder.event(
        record, address: address, payload: payload, into: &payloads, role: role, pid: pid)
      {
        event.sourceBox = names.sharedSource(of: record)
        let itemsStart = dataStart + Int(record.data_len)
        RecordItems.decode(bytes.bytes(itemsStart, Int(record.extra_len)), record, into: &event)
        // A datagram pair sends every message to one address: its events share one copy of it.
        if case .message(var m) = event.arguments, m.address != nil {
          m.share(with: lastMessage)
          event.arguments = .message(m)
          lastMessage = m
        }
        emit(event)
        count += 1
      } else {
        problems.append("\(path): record \(record.seq) has unknown call code \(record.call); skipped")
      }
      offset += size
    }
    let closed = header.state == SOCKSCOPE_LOG_CLOSED.rawValue
    if !closed {
      problems.append(cutNote(pid: pid, role: role, events: count))
    }
    if header.role_length > 0 {
      problems.append(
        "pid \(pid) (\(role)): its role was \(header.role_length) bytes; a log keeps at most "
          + "\(SOCKSCOPE_ROLE_MAX) bytes of a role, so it was cut after the last whole character that fit")
    }
    if header.dropped > 0 {
      problems.append(
        "pid \(pid) (\(role)): \(header.dropped) events were lost: \(dropReason(header.dropped_errno))")
    }
    let process = TracedProcess(
      pid: pid, ppid: header.ppid, role: role, executable: cString(header.exe), events: count,
      ending: closed ? .closed : .cut, dropped: header.dropped)
    return ProcessLog(
      path: path, process: process, startMonotonic: header.start_mono_ns, startRealtime: header.start_real_ns,
      captureLimit: Int(header.capture_limit), events: [], problems: problems)
  }

  /// The note on a process whose log was never closed, when nothing else is known of its end.
  static func cutNote(pid: Int32, role: String, events: Int) -> String {
    "pid \(pid) (\(role)): its log was never closed, so the process ended abruptly (killed or crashed); "
      + "the \(events) events it recorded up to then are kept, the call in flight is not"
  }

  /// Why events could not be stored, from the errno the writer noted (0 in logs from before it did).
  static func dropReason(_ err: Int32) -> String {
    if err == 0 || err == ENOSPC { return "no disk space could be reserved" }
    // The writer's own code for "the path no longer names the log" (it grows the file by path).
    if err == ESTALE {
      return "the log could not be grown: its file was moved, removed or replaced while the process ran"
    }
    // The writer's code for the process's file size limit, which the log stops at; truncate's too,
    // for a length past the largest file the file system holds (4 GiB on FAT32).
    if err == EFBIG {
      return "the log could not be grown past the process's file size limit (RLIMIT_FSIZE, `ulimit -f`) "
        + "or the largest file its file system holds"
    }
    let failure = ArgumentNames.failure(errno: err)
    return "the log could not be grown (\(failure.name): \(failure.message))"
  }

  private static func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
      let bytes = raw.prefix { $0 != 0 }
      return String(decoding: bytes, as: UTF8.self)
    }
  }
}

/// Turns one binary record into an event with named arguments. The meaning of a0...a3 per call
/// is the table in docs/trace-format.md.
enum RecordDecoder {
  static let unixFamily: Int64 = 1

  static func event(
    _ r: sockscope_record, address: [UInt8], payload: ArraySlice<UInt8>, into payloads: inout PayloadBlocks,
    role: String, pid: Int32
  ) -> TraceEvent? {
    guard let call = SocketCall(logCode: r.call) else { return nil }
    var arguments = CallArguments.none
    var data: Payload?
    let isDatagram = r.flags & UInt16(SOCKSCOPE_FLAG_DATAGRAM.rawValue) != 0
    let failed = r.err != 0
    let moved = UInt64(max(r.ret, 0))
    func captured(length: UInt64, datagramLength: UInt64? = nil) -> Payload {
      payload.withUnsafeBufferPointer {
        payloads.payload(capturing: $0, length: length, limit: $0.count, datagramLength: datagramLength)
      }
    }

    func addr(_ family: Int64) -> SocketAddress {
      let name: SocketAddress.Name
      if family != unixFamily && family != 0 {
        name = .family(ArgumentNames.domain(family))
      } else if address.isEmpty {
        name = .unnamed
      } else if address[0] == 0 {
        name = .abstract(escaped(address.dropFirst()))
      } else {
        name = .path(escaped(address.prefix { $0 != 0 }))
      }
      return SocketAddress(name, inode: r.path_ino != 0 ? r.path_ino : nil)
    }

    switch call {
    case .socket, .socketpair:
      arguments = .socket(
        SocketArguments(
          domain: SocketDomain(rawValue: r.a0), type: SocketType(rawValue: r.a1), protocol: r.a2,
          descriptors: call == .socketpair && !failed ? [Int64(r.fd), r.a3] : nil))
    case .bind, .connect:
      arguments = .address(AddressArguments(address: addr(r.a1), length: r.a0))
    case .listen:
      arguments = .listen(backlog: r.a0)
    case .accept, .accept4:
      var a = AcceptArguments()
      if call == .accept4 { a.flags = SocketFlags(rawValue: r.a0) }
      if !failed {
        if r.a3 != 0 || !address.isEmpty { a.address = addr(r.a3) }
        a.newSocket = SocketIdentity(
          inode: UInt64(clamping: r.a1), peer: r.a2 != 0 ? UInt64(clamping: r.a2) : nil)
      }
      arguments = .accept(a)
    case .send, .sendto, .sendmsg, .write:
      var a = MessageArguments(length: r.a0)
      if call != .write { a.flags = MessageFlags(rawValue: r.a1) }
      if call == .sendto && (r.a3 != 0 || !address.isEmpty) { a.address = addr(r.a3) }
      if call == .sendmsg {
        if !address.isEmpty { a.address = addr(unixFamily) }
        a.vectorCount = r.a2
        a.controlLength = r.a3
      }
      arguments = .message(a)
      if !failed { data = captured(length: moved) }
    case .recv, .recvfrom, .recvmsg, .read:
      var a = MessageArguments(length: r.a0)
      if call != .read { a.flags = MessageFlags(rawValue: r.a1) }
      if call == .recvmsg {
        a.returnedFlags = MessageFlags(rawValue: r.a2)
        a.controlLength = r.a3
      }
      if (call == .recvfrom || call == .recvmsg) && !failed && !address.isEmpty {
        a.address = addr(unixFamily)
      }
      arguments = .message(a)
      if !failed {
        data = captured(length: moved, datagramLength: isDatagram ? r.full_len : nil)
      }
    case .shutdown:
      arguments = .shutdown(how: ShutdownHow(rawValue: r.a0))
    case .close:
      break
    case .unlink:
      arguments = .unlink(
        UnlinkArguments(path: escaped(address.prefix { $0 != 0 }), inode: r.path_ino != 0 ? r.path_ino : nil))
    case .getsockname, .getpeername:
      arguments = .name(address: failed ? nil : addr(r.a0))
    case .setsockopt:
      let level = SocketOptionLevel(rawValue: r.a0)
      arguments = .option(
        OptionArguments(
          level: level, option: SocketOption(rawValue: r.a1, level: level),
          value: !failed && r.a3 == MemoryLayout<CInt>.size ? r.a2 : nil, length: r.a3))
    case .output:
      arguments = .output(stream: r.fd == 2 ? .stderr : .stdout)
      data = captured(length: r.full_len)
    case .dup, .dup2, .dup3, .fcntl, .fork, .getsockopt, .poll, .select, .epollCtl, .epollWait:
      arguments = RecordItems.fixedArguments(call, r, failed: failed)
    case .execve, .programStart:
      var program = call == .execve ? RecordItems.execArguments(r) : ProgramArguments()
      if !address.isEmpty { program.path = escaped(address.prefix { $0 != 0 }) }
      arguments = .program(program)
    }

    var socket: SocketIdentity?
    if r.sock_ino != 0 {
      socket = SocketIdentity(inode: r.sock_ino, peer: r.peer_ino == 0 ? nil : r.peer_ino)
    }
    return TraceEvent(
      time: r.t_ns, duration: r.dur_ns, pid: pid, tid: r.tid, seq: r.seq, role: role, call: call,
      fd: r.fd >= 0 ? r.fd : nil, arguments: arguments, ret: r.ret,
      failure: failed ? ArgumentNames.failure(errno: r.err) : nil, socket: socket, data: data)
  }

  /// A path or abstract name as text; bytes that are not UTF-8 become `\xNN`, as strace shows them.
  static func escaped(_ bytes: some Collection<UInt8>) -> String {
    if let s = String(validating: Array(bytes), as: UTF8.self) { return s }
    return bytes.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "\\x" + hex2($0) }.joined()
  }

  static func hex2(_ b: UInt8) -> String {
    let s = String(b, radix: 16)
    return s.count == 1 ? "0" + s : s
  }
}
