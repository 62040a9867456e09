import CSockScopeLog
import Glibc

extension SocketDescriptor {
  // MARK: Sending

  /// Sends on a connected socket; returns the bytes sent. The corresponding C function is `send(2)`.
  ///
  /// A datagram send blocks while the receiver's queue is full. With `retryOnInterrupt` false, a
  /// signal ends the wait with EINTR (thrown), so a program can stop on Ctrl-C.
  public func send(
    _ bytes: UnsafeRawBufferPointer, flags: MessageFlags = [], retryOnInterrupt: Bool = true,
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> Int {
    let result = perform(
      SOCKSCOPE_CALL_SEND, fd: rawValue, retryOnInterrupt: retryOnInterrupt,
      site: SourceSite(file, line, function)
    ) {
      system_send(rawValue, bytes.baseAddress, bytes.count, flags.rawValue)
    } record: { r, _ in
      CallRecord.withMessage(bytes) { r.appendSend(on: rawValue, $0, flags: flags.rawValue) }
    }
    return try result.get(call: "send")
  }

  /// Sends `bytes` on a connected socket.
  public func send(
    _ bytes: [UInt8], flags: MessageFlags = [], retryOnInterrupt: Bool = true, file: StaticString = #fileID,
    line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> Int {
    let result: Result<Int, SocketError> = bytes.withUnsafeBytes { raw in
      do throws(SocketError) {
        return .success(
          try send(
            raw, flags: flags, retryOnInterrupt: retryOnInterrupt, file: file, line: line, function: function)
        )
      } catch { return .failure(error) }
    }
    return try result.get()
  }

  /// Sends to `address`. The corresponding C function is `sendto(2)`.
  public func send(
    _ bytes: UnsafeRawBufferPointer, to address: UnixAddress, flags: MessageFlags = [],
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> Int {
    let result = address.withSockaddr { sa, len in
      perform(
        SOCKSCOPE_CALL_SENDTO, fd: rawValue, retryOnInterrupt: true, site: SourceSite(file, line, function)
      ) {
        system_sendto(rawValue, bytes.baseAddress, bytes.count, flags.rawValue, sa, len)
      } record: { r, _ in
        CallRecord.withMessage(bytes, name: sa, nameLength: len) {
          r.appendSend(on: rawValue, $0, flags: flags.rawValue)
        }
      }
    }
    return try result.get(call: "sendto", context: address.description)
  }

  /// Sends the concatenation of `buffers` as one message, to `address` when given. The
  /// corresponding C function is `sendmsg(2)`.
  public func sendMessage(
    _ buffers: [UnsafeRawBufferPointer], to address: UnixAddress? = nil, flags: MessageFlags = [],
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> Int {
    var iovecs = buffers.map {
      iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
    }
    let site = SourceSite(file, line, function)
    let result = iovecs.withUnsafeMutableBufferPointer { iov in
      var message = msghdr()
      message.msg_iov = iov.baseAddress
      message.msg_iovlen = iov.count
      guard let address else { return sendMessage(&message, flags: flags, site: site) }
      return address.withSockaddr { sa, len in
        message.msg_name = UnsafeMutableRawPointer(mutating: sa)
        message.msg_namelen = len
        return sendMessage(&message, flags: flags, site: site)
      }
    }
    return try result.get(call: "sendmsg", context: address?.description)
  }

  /// sendmsg(2) of `message`, recorded (with an address, passed descriptors, or neither).
  func sendMessage(_ message: inout msghdr, flags: MessageFlags, site: SourceSite) -> Result<Int, Errno> {
    perform(SOCKSCOPE_CALL_SENDMSG, fd: rawValue, retryOnInterrupt: true, site: site) {
      system_sendmsg(rawValue, &message, flags.rawValue)
    } record: { r, _ in
      r.appendSend(on: rawValue, &message, flags: flags.rawValue)
    }
  }
}
