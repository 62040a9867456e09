import CSockScopeLog
import Glibc

/// What `receiveMessage(into:maxDescriptors:)` got.
public struct ReceivedMessage: Sendable {
  /// The data: bytes placed in the buffer and, on a datagram socket while recording, its real size.
  public var received: Received
  /// The sender's address, when the kernel gave one.
  public var address: UnixAddress
  /// The kernel's `msg_flags` (`MSG_CTRUNC` when descriptors did not fit and were closed).
  public var flags: MessageFlags
  /// The descriptors passed with SCM_RIGHTS: new numbers in this process for the sender's files.
  public var descriptors: [SocketDescriptor]
}

/// One descriptor of a `poll`: what is asked and what happened.
public struct PollEntry: Sendable, Equatable {
  public var descriptor: SocketDescriptor
  /// `POLLIN`, `POLLOUT`... as `Int16` bits.
  public var events: Int16
  /// What the kernel reported (after the call).
  public var returned: Int16 = 0

  public init(_ descriptor: SocketDescriptor, events: Int16) {
    self.descriptor = descriptor
    self.events = events
  }
}

extension SocketDescriptor {
  /// Sends the concatenation of `buffers` as one message with `descriptors` passed along
  /// (SCM_RIGHTS): the receiver gets new descriptors for the same open files. The corresponding C
  /// function is `sendmsg(2)`. Recorded as the interposer records it: each passed descriptor with
  /// the inode of what it refers to.
  public func sendMessage(
    _ buffers: [UnsafeRawBufferPointer], passing descriptors: [SocketDescriptor], flags: MessageFlags = [],
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> Int {
    var iovecs = buffers.map {
      iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
    }
    let fds = descriptors.map(\.rawValue)
    let payload = fds.count * MemoryLayout<CInt>.size
    let space = ControlBuffer.space(payload)
    var control = [UInt64](repeating: 0, count: (space + 7) / 8)  // 8-byte aligned, as cmsghdr needs
    let site = SourceSite(file, line, function)
    let result = control.withUnsafeMutableBytes { control in
      ControlBuffer.writeRights(fds, into: control)
      return iovecs.withUnsafeMutableBufferPointer { iov in
        var message = msghdr()
        message.msg_iov = iov.baseAddress
        message.msg_iovlen = iov.count
        message.msg_control = fds.isEmpty ? nil : control.baseAddress
        message.msg_controllen = fds.isEmpty ? 0 : space
        return sendMessage(&message, flags: flags, site: site)
      }
    }
    return try result.get(call: "sendmsg")
  }

  /// Receives into `buffer` through `recvmsg(2)`, with room for `maxDescriptors` passed
  /// descriptors. Recorded as the interposer records it: each received descriptor (its new number
  /// here) with the inode of what it refers to, other control messages, `MSG_CTRUNC`.
  public func receiveMessage(
    into buffer: UnsafeMutableRawBufferPointer, maxDescriptors: Int, flags: MessageFlags = [],
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> ReceivedMessage {
    var received = Received(count: 0, datagramLength: nil)
    var storage = sockaddr_un()
    var outFlags: CInt = 0
    var nameLength: socklen_t = 0
    var passed: [CInt] = []
    let space = ControlBuffer.space(max(0, maxDescriptors) * MemoryLayout<CInt>.size)
    var control = [UInt64](repeating: 0, count: (space + 7) / 8)
    let result = withUnsafeMutablePointer(to: &storage) { p in
      control.withUnsafeMutableBytes { control in
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
          message.msg_control = maxDescriptors > 0 ? control.baseAddress : nil
          message.msg_controllen = maxDescriptors > 0 ? space : 0
          let (kernelFlags, asksLength) = receiveFlags(flags)
          let n = system_recvmsg(rawValue, &message, kernelFlags)
          outFlags = message.msg_flags
          nameLength = message.msg_namelen
          if n >= 0 {
            passed = ControlBuffer.rights(of: &message)
            // Received numbers are new to this process: whatever the cache held for them is stale.
            sockscope_fd_forget_passed(&message)
          }
          return settle(n, asksLength: asksLength, buffer: buffer.count, into: &received)
        } record: { r, got in
          r.appendReceive(
            on: rawValue, &message, flags: flags.rawValue, kernelResult: received.kernelResult(got))
        }
      }
    }
    received.count = try result.get(call: "recvmsg")
    return ReceivedMessage(
      received: received, address: UnixAddress(storage: storage, length: nameLength),
      flags: MessageFlags(rawValue: outFlags), descriptors: passed.map(SocketDescriptor.init(rawValue:)))
  }

  /// Waits until one of `entries` is ready or `timeout` milliseconds pass (-1: no limit); fills
  /// each entry's `returned` and returns how many are ready. The corresponding C function is
  /// `poll(2)`. Recorded as the interposer records it: every descriptor asked about, with what it
  /// asked and what it got.
  public static func poll(
    _ entries: inout [PollEntry], timeout: CInt,
    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function
  ) throws(SocketError) -> Int {
    var fds = entries.map { pollfd(fd: $0.descriptor.rawValue, events: $0.events, revents: 0) }
    let result = fds.withUnsafeMutableBufferPointer { fds in
      perform(SOCKSCOPE_CALL_POLL, fd: -1, retryOnInterrupt: true, site: SourceSite(file, line, function)) {
        Int(system_poll(fds.baseAddress, fds.count, timeout))
      } record: { r, ready in
        r.record.a0 = Int64(fds.count)
        r.record.a1 = Int64(timeout < 0 ? -1 : timeout)
        var items = [sockscope_item](repeating: sockscope_item(), count: fds.count)
        var lost: UInt32 = 0
        let n = items.withUnsafeMutableBufferPointer {
          sockscope_poll_items(
            fds.baseAddress, UInt(fds.count), CInt(ready), $0.baseAddress, UInt32(min(fds.count, 64)), &lost)
        }
        r.items = Array(items.prefix(Int(n)))
        r.record.items_lost = lost
        r.append()
      }
    }
    let ready = try result.get(call: "poll")
    for i in entries.indices { entries[i].returned = fds[i].revents }
    return ready
  }
}

/// SCM_RIGHTS control buffers, with the C macros' arithmetic (they are not visible to Swift).
enum ControlBuffer {
  static let headerSize = MemoryLayout<cmsghdr>.size

  static func align(_ n: Int) -> Int { (n + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1) }

  /// CMSG_SPACE(payload).
  static func space(_ payload: Int) -> Int { align(headerSize) + align(payload) }

  /// Writes one SCM_RIGHTS message carrying `fds` at the start of `buffer`.
  static func writeRights(_ fds: [CInt], into buffer: UnsafeMutableRawBufferPointer) {
    guard !fds.isEmpty, let base = buffer.baseAddress else { return }
    var header = cmsghdr()
    header.cmsg_len = align(headerSize) + fds.count * MemoryLayout<CInt>.size
    header.cmsg_level = SOL_SOCKET
    header.cmsg_type = CInt(SCM_RIGHTS)
    base.storeBytes(of: header, as: cmsghdr.self)
    for (i, fd) in fds.enumerated() {
      base.storeBytes(of: fd, toByteOffset: align(headerSize) + i * MemoryLayout<CInt>.size, as: CInt.self)
    }
  }

  /// The descriptors SCM_RIGHTS messages in `message` carry (read through the shared C codec).
  static func rights(of message: inout msghdr) -> [CInt] {
    items(of: &message).filter { $0.kind == Int64(SOCKSCOPE_ITEM_RIGHT.rawValue) }.map {
      CInt(truncatingIfNeeded: $0.x)
    }
  }

  /// What the recorders record of `message`'s control data (sockscope_control_items).
  static func items(of message: inout msghdr) -> [sockscope_item] {
    var items = [sockscope_item](repeating: sockscope_item(), count: Int(SOCKSCOPE_MAX_ITEMS))
    var lost: UInt32 = 0
    let n = items.withUnsafeMutableBufferPointer {
      sockscope_control_items(&message, $0.baseAddress, UInt32($0.count), &lost)
    }
    return Array(items.prefix(Int(n)))
  }
}
