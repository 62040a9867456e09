import CSockScopeLog
import Glibc

/// A socket's communication domain.
public struct SocketDomain: RawRepresentable, Sendable, Hashable {
  /// The C value.
  public let rawValue: CInt
  /// The value with this C number.
  public init(rawValue: CInt) { self.rawValue = rawValue }

  /// Local (UNIX domain) sockets.
  public static let unix = SocketDomain(rawValue: AF_UNIX)
}

/// A socket type and its creation options.
public struct SocketType: RawRepresentable, Sendable, Hashable {
  /// The C value.
  public let rawValue: CInt
  /// The value with this C number.
  public init(rawValue: CInt) { self.rawValue = rawValue }

  /// Reliable, ordered byte streams with connections (`SOCK_STREAM`).
  public static let stream = SocketType(rawValue: CInt(SOCK_STREAM.rawValue))
  /// Messages with boundaries (`SOCK_DGRAM`); on AF_UNIX also reliable and ordered.
  public static let datagram = SocketType(rawValue: CInt(SOCK_DGRAM.rawValue))
  /// Ordered messages with boundaries and connections (`SOCK_SEQPACKET`).
  public static let sequencedPacket = SocketType(rawValue: CInt(SOCK_SEQPACKET.rawValue))

  /// The same type with close-on-exec set (`SOCK_CLOEXEC`).
  public var closeOnExec: SocketType { SocketType(rawValue: rawValue | CInt(SOCK_CLOEXEC.rawValue)) }
  /// The same type, non-blocking (`SOCK_NONBLOCK`).
  public var nonBlocking: SocketType { SocketType(rawValue: rawValue | CInt(SOCK_NONBLOCK.rawValue)) }
}

/// Flags of send and receive calls (`MSG_*`).
public struct MessageFlags: OptionSet, Sendable, Hashable {
  /// The C value.
  public let rawValue: CInt
  /// The value with this C number.
  public init(rawValue: CInt) { self.rawValue = rawValue }

  /// `MSG_PEEK`: read data without taking it from the queue.
  public static let peek = MessageFlags(rawValue: CInt(MSG_PEEK))
  /// `MSG_TRUNC`: return a datagram's real length even when the buffer cut it.
  public static let truncate = MessageFlags(rawValue: CInt(MSG_TRUNC))
  /// `MSG_DONTWAIT`: fail with EAGAIN instead of waiting.
  public static let dontWait = MessageFlags(rawValue: CInt(MSG_DONTWAIT))
  /// `MSG_WAITALL`: on a stream, wait until the whole buffer is filled.
  public static let waitAll = MessageFlags(rawValue: CInt(MSG_WAITALL))
  /// `MSG_NOSIGNAL`: EPIPE without SIGPIPE when the peer has closed.
  public static let noSignal = MessageFlags(rawValue: CInt(MSG_NOSIGNAL))
}

/// Which direction `shutdown` closes.
public enum ShutdownHow: CInt, Sendable {
  /// `SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`.
  case read = 0, write = 1, readWrite = 2
}

/// What a receive call got.
public struct Received: Sendable, Equatable {
  /// Bytes placed in the buffer.
  public var count: Int
  /// For a datagram socket, the datagram's real size while recording (the layer asks the kernel
  /// with MSG_TRUNC); nil otherwise.
  public var datagramLength: Int?

  /// Whether the datagram was longer than the buffer and its tail was discarded.
  public var wasCut: Bool { (datagramLength ?? count) > count }
}

/// A socket file descriptor whose calls are recorded while `Recorder` is recording.
///
/// Each method is a thin wrapper over one C call: it retries on EINTR where the call may block
/// (unless `retryOnInterrupt` is false), records one event per attempt, and throws `SocketError`
/// carrying the errno.
public struct SocketDescriptor: RawRepresentable, Sendable, Hashable {
  /// The C value.
  public let rawValue: CInt
  /// The value with this C number.
  public init(rawValue: CInt) { self.rawValue = rawValue }

  // MARK: Creating

  /// Creates a socket. The corresponding C function is `socket(2)`.
  public static func open(
    _ domain: SocketDomain = .unix, _ type: SocketType, protocol proto: CInt = 0,
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> SocketDescriptor {
    let fd = perform(
      SOCKSCOPE_CALL_SOCKET, fd: -1, retryOnInterrupt: false, site: SourceSite(file, line, function)
    ) {
      Int(system_socket(domain.rawValue, type.rawValue, proto))
    } record: { r, _ in
      r.appending { _ = sockscope_record_socket(&$0, domain.rawValue, type.rawValue, proto, $1) }
    }
    return SocketDescriptor(rawValue: CInt(try fd.get(call: "socket")))
  }

  /// Creates a connected pair of sockets. The corresponding C function is `socketpair(2)`.
  public static func pair(
    _ type: SocketType, _ domain: SocketDomain = .unix, file: StaticString = #fileID, line: UInt = #line,
    function: StaticString = #function
  ) throws(SocketError) -> (SocketDescriptor, SocketDescriptor) {
    var fds: (CInt, CInt) = (-1, -1)
    let result = withUnsafeMutablePointer(to: &fds) { pair in
      pair.withMemoryRebound(to: CInt.self, capacity: 2) { buffer in
        perform(
          SOCKSCOPE_CALL_SOCKETPAIR, fd: -1, retryOnInterrupt: false, site: SourceSite(file, line, function)
        ) {
          Int(system_socketpair(domain.rawValue, type.rawValue, 0, buffer))
        } record: { r, _ in
          r.appending { _ = sockscope_record_socketpair(&$0, buffer, domain.rawValue, type.rawValue, 0, $1) }
        }
      }
    }
    _ = try result.get(call: "socketpair")
    return (SocketDescriptor(rawValue: fds.0), SocketDescriptor(rawValue: fds.1))
  }

  // MARK: Naming and connecting

  /// Gives the socket an address; for a path, this creates the socket file. The corresponding C
  /// function is `bind(2)`.
  public func bind(
    to address: UnixAddress, file: StaticString = #fileID, line: UInt = #line,
    function: StaticString = #function
  ) throws(SocketError) {
    let result = address.withSockaddr { sa, len in
      perform(
        SOCKSCOPE_CALL_BIND, fd: rawValue, retryOnInterrupt: false, site: SourceSite(file, line, function)
      ) {
        Int(system_bind(rawValue, sa, len))
      } record: { r, _ in
        r.appendName(DescriptorCache.info(rawValue), sa, length: len)
      }
    }
    _ = try result.get(call: "bind", context: address.description)
  }

  /// Connects to the socket at `address`. The corresponding C function is `connect(2)`.
  public func connect(
    to address: UnixAddress, file: StaticString = #fileID, line: UInt = #line,
    function: StaticString = #function
  ) throws(SocketError) {
    let result = address.withSockaddr { sa, len in
      perform(
        SOCKSCOPE_CALL_CONNECT, fd: rawValue, retryOnInterrupt: true, site: SourceSite(file, line, function)
      ) {
        Int(system_connect(rawValue, sa, len))
      } record: { r, _ in
        let info = DescriptorCache.info(rawValue)
        r.appendName(r.record.ret == 0 ? sockscope_fd_connected(rawValue, info) : info, sa, length: len)
      }
    }
    _ = try result.get(call: "connect", context: address.description)
  }

  /// Marks a stream socket as accepting connections. The corresponding C function is `listen(2)`.
  public func listen(
    backlog: CInt = 128, file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) {
    let result = perform(
      SOCKSCOPE_CALL_LISTEN, fd: rawValue, retryOnInterrupt: false, site: SourceSite(file, line, function)
    ) {
      Int(system_listen(rawValue, backlog))
    } record: { r, _ in
      let info = DescriptorCache.info(rawValue)
      r.appending { _ = sockscope_record_on_socket(&$0, info, Int64(backlog), $1) }
    }
    _ = try result.get(call: "listen")
  }

  /// Takes the next connection. With `flags`, calls `accept4(2)`; else `accept(2)`.
  public func accept(
    flags: SocketType? = nil, file: StaticString = #fileID, line: UInt = #line,
    function: StaticString = #function
  ) throws(SocketError) -> (SocketDescriptor, UnixAddress) {
    var storage = sockaddr_un()
    var length = socklen_t(MemoryLayout<sockaddr_un>.size)
    let call = flags == nil ? SOCKSCOPE_CALL_ACCEPT : SOCKSCOPE_CALL_ACCEPT4
    let result = withUnsafeMutablePointer(to: &storage) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        perform(call, fd: rawValue, retryOnInterrupt: true, site: SourceSite(file, line, function)) {
          Int(system_accept4(rawValue, sa, &length, flags?.rawValue))
        } record: { r, _ in
          r.appendAccept(DescriptorCache.info(rawValue), sa, length: length, flags: flags?.rawValue ?? 0)
        }
      }
    }
    let fd = try result.get(call: flags == nil ? "accept" : "accept4")
    return (SocketDescriptor(rawValue: CInt(fd)), UnixAddress(storage: storage, length: length))
  }

  // MARK: Ending

  /// Shuts down one or both directions. The corresponding C function is `shutdown(2)`.
  public func shutdown(
    _ how: ShutdownHow = .readWrite, file: StaticString = #fileID, line: UInt = #line,
    function: StaticString = #function
  ) throws(SocketError) {
    let result = perform(
      SOCKSCOPE_CALL_SHUTDOWN, fd: rawValue, retryOnInterrupt: false, site: SourceSite(file, line, function)
    ) {
      Int(system_shutdown(rawValue, how.rawValue))
    } record: { r, _ in
      let info = DescriptorCache.info(rawValue)
      r.appending { _ = sockscope_record_on_socket(&$0, info, Int64(how.rawValue), $1) }
    }
    _ = try result.get(call: "shutdown")
  }

  /// Closes the descriptor. Never retried: after EINTR the descriptor is already released on
  /// Linux. The corresponding C function is `close(2)`.
  public func close(
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) {
    let info = sockscope_log_is_open() != 0 ? DescriptorCache.info(rawValue) : sockscope_fd_info()
    DescriptorCache.forget(rawValue)
    let result = perform(
      SOCKSCOPE_CALL_CLOSE, fd: rawValue, retryOnInterrupt: false, site: SourceSite(file, line, function)
    ) {
      Int(system_close(rawValue))
    } record: { r, _ in
      r.appending { _ = sockscope_record_on_socket(&$0, info, 0, $1) }
    }
    _ = try result.get(call: "close")
  }

  // MARK: Inspecting

  /// The socket's own address. The corresponding C function is `getsockname(2)`.
  public func localAddress(
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> UnixAddress {
    try nameQuery(SOCKSCOPE_CALL_GETSOCKNAME, "getsockname", SourceSite(file, line, function)) {
      system_getsockname(rawValue, $0, $1)
    }
  }

  /// The connected peer's address. The corresponding C function is `getpeername(2)`.
  public func peerAddress(
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> UnixAddress {
    try nameQuery(SOCKSCOPE_CALL_GETPEERNAME, "getpeername", SourceSite(file, line, function)) {
      system_getpeername(rawValue, $0, $1)
    }
  }

  private func nameQuery(
    _ call: sockscope_call, _ name: String, _ site: SourceSite,
    _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> CInt
  ) throws(SocketError) -> UnixAddress {
    var storage = sockaddr_un()
    var length = socklen_t(MemoryLayout<sockaddr_un>.size)
    let result = withUnsafeMutablePointer(to: &storage) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        perform(call, fd: rawValue, retryOnInterrupt: false, site: site) {
          Int(body(sa, &length))
        } record: { r, _ in
          let info = DescriptorCache.info(rawValue)
          // The kernel gives the name's full length even when it did not fit: only what fit is read.
          let got = UInt32(min(length, socklen_t(MemoryLayout<sockaddr_un>.size)))
          r.appending { _ = sockscope_record_sockname(&$0, info, sa, got, $1) }
        }
      }
    }
    _ = try result.get(call: name)
    return UnixAddress(storage: storage, length: length)
  }

  /// Sets an integer socket option. The corresponding C function is `setsockopt(2)`.
  public func setOption(
    level: CInt = 1 /* SOL_SOCKET */, _ option: CInt, to value: CInt, file: StaticString = #fileID,
    line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) {
    var v = value
    let result = perform(
      SOCKSCOPE_CALL_SETSOCKOPT, fd: rawValue, retryOnInterrupt: false, site: SourceSite(file, line, function)
    ) {
      Int(system_setsockopt(rawValue, level, option, &v, socklen_t(MemoryLayout<CInt>.size)))
    } record: { r, _ in
      let info = DescriptorCache.info(rawValue)
      let length = UInt32(MemoryLayout<CInt>.size)
      r.appending { _ = sockscope_record_setsockopt(&$0, info, level, option, &v, length, $1) }
    }
    _ = try result.get(call: "setsockopt")
  }
}

/// Runs one system call, retrying on EINTR when asked, and records each attempt while recording.
///
/// `record` receives the record so far and the call's return value; it fills in what is specific
/// to the call and appends it. Untraced, this costs one load and one branch around the call.
@inline(__always)
func perform(
  _ call: sockscope_call, fd: CInt, retryOnInterrupt: Bool, site: SourceSite, _ body: () -> Int,
  record: (inout CallRecord, Int) -> Void
) -> Result<Int, Errno> {
  let recording = sockscope_log_is_open() != 0
  while true {
    let start = recording ? sockscope_now_ns() : 0
    let ret = body()
    let err = ret == -1 ? errno : 0
    if _slowPath(recording) {
      var r = CallRecord(call, fd: fd, start: start, ret: ret, err: err, site: site)
      record(&r, ret)
      errno = err
    }
    if ret != -1 { return .success(ret) }
    if err == EINTR && retryOnInterrupt { continue }
    return .failure(Errno(rawValue: err))
  }
}
