import CSockScopeLog
import Glibc

extension SocketDescriptor {
  // MARK: Receiving

  /// Receives into `buffer`. The corresponding C function is `recv(2)`.
  ///
  /// While recording, a datagram socket is asked with MSG_TRUNC added, so that a datagram longer
  /// than the buffer is reported with its real length (`Received.wasCut`); the program still gets
  /// exactly what plain `recv` would return.
  public func receive(
    into buffer: UnsafeMutableRawBufferPointer, flags: MessageFlags = [], file: StaticString = #fileID,
    line: UInt = #line, function: StaticString = #function
  ) throws(SocketError)
    -> Received
  {
    var received = Received(count: 0, datagramLength: nil)
    let result = perform(
      SOCKSCOPE_CALL_RECV, fd: rawValue, retryOnInterrupt: true, site: SourceSite(file, line, function)
    ) { () -> Int in
      let (kernelFlags, asksLength) = receiveFlags(flags)
      let n = system_recv(rawValue, buffer.baseAddress, buffer.count, kernelFlags)
      return settle(n, asksLength: asksLength, buffer: buffer.count, into: &received)
    } record: { r, got in
      CallRecord.withMessage(UnsafeRawBufferPointer(buffer)) {
        r.appendReceive(on: rawValue, $0, flags: flags.rawValue, kernelResult: received.kernelResult(got))
      }
    }
    received.count = try result.get(call: "recv")
    return received
  }

  /// Receives into `buffer` and says who sent it. The corresponding C function is `recvfrom(2)`.
  public func receiveFrom(
    into buffer: UnsafeMutableRawBufferPointer, flags: MessageFlags = [], file: StaticString = #fileID,
    line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> (Received, UnixAddress) {
    var received = Received(count: 0, datagramLength: nil)
    var storage = sockaddr_un()
    var length = socklen_t(MemoryLayout<sockaddr_un>.size)
    let result = withUnsafeMutablePointer(to: &storage) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        perform(
          SOCKSCOPE_CALL_RECVFROM, fd: rawValue, retryOnInterrupt: true,
          site: SourceSite(file, line, function)
        ) { () -> Int in
          length = socklen_t(MemoryLayout<sockaddr_un>.size)
          let (kernelFlags, asksLength) = receiveFlags(flags)
          let n = system_recvfrom(rawValue, buffer.baseAddress, buffer.count, kernelFlags, sa, &length)
          return settle(n, asksLength: asksLength, buffer: buffer.count, into: &received)
        } record: { r, got in
          CallRecord.withMessage(UnsafeRawBufferPointer(buffer), name: sa, nameLength: length) {
            r.appendReceive(on: rawValue, $0, flags: flags.rawValue, kernelResult: received.kernelResult(got))
          }
        }
      }
    }
    received.count = try result.get(call: "recvfrom")
    return (received, UnixAddress(storage: storage, length: length))
  }

  /// Receives into `buffer` through `recvmsg(2)`; also returns the kernel's `msg_flags`.
  public func receiveMessage(
    into buffer: UnsafeMutableRawBufferPointer, flags: MessageFlags = [], file: StaticString = #fileID,
    line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> (Received, UnixAddress, MessageFlags) {
    var received = Received(count: 0, datagramLength: nil)
    var storage = sockaddr_un()
    var outFlags: CInt = 0
    var nameLength: socklen_t = 0
    let result = withUnsafeMutablePointer(to: &storage) { p in
      var iov = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
      var message = msghdr()
      return perform(
        SOCKSCOPE_CALL_RECVMSG, fd: rawValue, retryOnInterrupt: true, site: SourceSite(file, line, function)
      ) { () -> Int in
        message = msghdr()
        message.msg_name = UnsafeMutableRawPointer(p)
        message.msg_namelen = socklen_t(MemoryLayout<sockaddr_un>.size)
        withUnsafeMutablePointer(to: &iov) { message.msg_iov = $0 }
        message.msg_iovlen = 1
        let (kernelFlags, asksLength) = receiveFlags(flags)
        let n = system_recvmsg(rawValue, &message, kernelFlags)
        outFlags = message.msg_flags
        nameLength = message.msg_namelen
        return settle(n, asksLength: asksLength, buffer: buffer.count, into: &received)
      } record: { r, got in
        r.appendReceive(
          on: rawValue, &message, flags: flags.rawValue, kernelResult: received.kernelResult(got))
      }
    }
    received.count = try result.get(call: "recvmsg")
    return (received, UnixAddress(storage: storage, length: nameLength), MessageFlags(rawValue: outFlags))
  }

  /// The flags for the kernel: while recording, MSG_TRUNC is added on datagram sockets
  /// (`sockscope_receive_flags`, the interposer's rule).
  @inline(__always)
  func receiveFlags(_ flags: MessageFlags) -> (CInt, Bool) {
    guard sockscope_log_is_open() != 0 else { return (flags.rawValue, false) }
    var asksLength: CInt = 0
    let kernelFlags = sockscope_receive_flags(
      DescriptorCache.info(rawValue), SOCKSCOPE_CALL_RECV, flags.rawValue, &asksLength)
    return (kernelFlags, asksLength != 0)
  }

  /// Turns the kernel's answer into what the program would have got without the added MSG_TRUNC
  /// (`sockscope_receive_result`), noting the datagram's real length.
  @inline(__always)
  func settle(_ n: Int, asksLength: Bool, buffer: Int, into received: inout Received) -> Int {
    // Untraced (or not a datagram socket), the kernel's answer is the program's: no C call.
    guard n >= 0, asksLength else { return n }
    received.datagramLength = n
    return sockscope_receive_result(n, 1, buffer)
  }
}

extension Received {
  /// What the kernel returned for a receive the program got `got` from: with MSG_TRUNC added, the
  /// datagram's real length.
  func kernelResult(_ got: Int) -> Int { datagramLength ?? got }
}
