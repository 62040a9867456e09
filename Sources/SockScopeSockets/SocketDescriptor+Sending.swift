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
    } record: { r, sent in
      r.identify(DescriptorCache.info(rawValue))
      r.record.a0 = Int64(bytes.count)
      r.record.a1 = Int64(flags.rawValue)
      r.record.full_len = UInt64(max(sent, 0))
      r.append(data: UnsafeRawBufferPointer(rebasing: bytes.prefix(max(sent, 0))))
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
      } record: { r, sent in
        r.identify(DescriptorCache.info(rawValue))
        r.record.a0 = Int64(bytes.count)
        r.record.a1 = Int64(flags.rawValue)
        r.record.a3 = Int64(AF_UNIX)
        r.record.full_len = UInt64(max(sent, 0))
        r.address = address.sunPathBytes
        r.record.path_ino = destinationInode(address, sent: sent)
        r.append(data: UnsafeRawBufferPointer(rebasing: bytes.prefix(max(sent, 0))))
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
    let total = buffers.reduce(0) { $0 + $1.count }
    let result = iovecs.withUnsafeMutableBufferPointer { iov in
      func send(_ name: UnsafeMutableRawPointer?, _ nameLength: socklen_t) -> Result<Int, Errno> {
        var message = msghdr()
        message.msg_name = name
        message.msg_namelen = nameLength
        message.msg_iov = iov.baseAddress
        message.msg_iovlen = iov.count
        return perform(
          SOCKSCOPE_CALL_SENDMSG, fd: rawValue, retryOnInterrupt: true, site: SourceSite(file, line, function)
        ) {
          system_sendmsg(rawValue, &message, flags.rawValue)
        } record: { r, sent in
          r.identify(DescriptorCache.info(rawValue))
          r.record.a0 = Int64(total)
          r.record.a1 = Int64(flags.rawValue)
          r.record.a2 = Int64(iov.count)
          r.record.full_len = UInt64(max(sent, 0))
          r.address = address?.sunPathBytes ?? []
          if let address { r.record.path_ino = destinationInode(address, sent: sent) }
          let gathered = SocketDescriptor.gather(
            buffers, limit: min(max(sent, 0), Int(sockscope_log_capture_limit())))
          gathered.withUnsafeBytes { r.append(data: $0) }
        }
      }
      guard let address else { return send(nil, 0) }
      return address.withSockaddr { sa, len in send(UnsafeMutableRawPointer(mutating: sa), len) }
    }
    return try result.get(call: "sendmsg", context: address?.description)
  }

  static func gather(_ buffers: [UnsafeRawBufferPointer], limit: Int) -> [UInt8] {
    var out: [UInt8] = []
    for b in buffers where out.count < limit { out += b.prefix(limit - out.count) }
    return out
  }
}
