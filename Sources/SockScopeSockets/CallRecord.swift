import CSockScopeLog
import Glibc

/// One call's record, filled and appended by the C record codec (`sockscope_record.h`) that the
/// LD_PRELOAD interposer uses too: what a call records (identity, payload gathering, the MSG_TRUNC
/// rule, addresses, control messages) is written once. Built only while recording, out of line
/// from each call's fast path, so that an untraced program pays one predictable branch.
struct CallRecord {
  var record = sockscope_record()
  var address: [UInt8] = []
  var site: SourceSite?
  /// Call-specific items (polled descriptors), made by the C codec both recorders use.
  var items: [sockscope_item] = []

  init(_ call: sockscope_call, fd: CInt, start: UInt64, ret: Int, err: CInt, site: SourceSite? = nil) {
    self.site = site
    sockscope_record_start(&record, call, fd, start)
    sockscope_record_result(&record, ret, err)
  }

  /// Fills the socket identity from what the descriptor cache knows.
  mutating func identify(_ info: sockscope_fd_info) { sockscope_record_identify(&record, info) }

  /// Appends the record with its fixed fields as set, `address` and `data` as payload. Preserves
  /// errno for the caller.
  func append(data: UnsafeRawBufferPointer? = nil) {
    appending { r, source in
      address.withUnsafeBytes { addr in
        items.withUnsafeBufferPointer { items in
          _ = sockscope_log_append_full(
            &r, addr.baseAddress, UInt32(addr.count), data?.baseAddress, UInt32(clamping: data?.count ?? 0),
            source, items.baseAddress, UInt32(items.count))
        }
      }
    }
  }

  /// Appends the record of a send, sendto or sendmsg described by `message` (one iovec and the
  /// address for send and sendto), as `sockscope_record_send` fills it.
  func appendSend(on fd: CInt, _ message: UnsafePointer<msghdr>, flags: CInt) {
    let info = DescriptorCache.info(fd)
    appending { r, source in _ = sockscope_record_send(&r, info, message, flags, source) }
  }

  /// Appends the record of a receive described by `message` as the kernel left it, whose kernel
  /// result was `kernelResult` (with MSG_TRUNC added: a datagram's real length), as
  /// `sockscope_record_receive` fills it.
  func appendReceive(on fd: CInt, _ message: UnsafePointer<msghdr>, flags: CInt, kernelResult: Int) {
    let info = DescriptorCache.info(fd)
    appending { r, source in _ = sockscope_record_receive(&r, info, message, flags, kernelResult, source) }
  }

  /// Appends the record of bind or connect to `address` (`sockscope_record_name`).
  func appendName(_ info: sockscope_fd_info, _ address: UnsafePointer<sockaddr>, length: socklen_t) {
    appending { r, source in _ = sockscope_record_name(&r, info, address, length, source) }
  }

  /// Appends the record of accept on a listener (`sockscope_record_accept`), which caches the new
  /// descriptor.
  func appendAccept(
    _ listener: sockscope_fd_info, _ address: UnsafePointer<sockaddr>, length: socklen_t, flags: CInt
  ) {
    appending { r, source in _ = sockscope_record_accept(&r, listener, address, length, flags, source) }
  }

  /// Appends the record through `body`, one of the C codec's `sockscope_record_*` functions,
  /// given a copy of the record and where the call was made. Preserves errno for the caller.
  func appending(_ body: (inout sockscope_record, UnsafePointer<sockscope_source>?) -> Void) {
    let saved = errno
    var r = record
    SourceSite.withSource(site) { body(&r, $0) }
    errno = saved
  }

  /// Calls `body` with a message of one iovec over `buffer`, named `name` (`nameLength` bytes):
  /// send, sendto, recv and recvfrom described as sendmsg and recvmsg are.
  static func withMessage<R>(
    _ buffer: UnsafeRawBufferPointer, name: UnsafeRawPointer? = nil, nameLength: socklen_t = 0,
    _ body: (UnsafePointer<msghdr>) -> R
  ) -> R {
    var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: buffer.baseAddress), iov_len: buffer.count)
    return withUnsafeMutablePointer(to: &iov) { iov in
      var message = msghdr()
      message.msg_name = UnsafeMutableRawPointer(mutating: name)
      message.msg_namelen = name == nil ? 0 : nameLength
      message.msg_iov = iov
      message.msg_iovlen = 1
      return withUnsafePointer(to: &message) { body($0) }
    }
  }
}

/// What the socket layer knows about a descriptor: the C cache the interposer keeps too
/// (`sockscope_fd_describe`), trusted without the interposer's fstat per call, because the layer's
/// descriptors are sockets it made and closes itself.
enum DescriptorCache {
  /// The cached facts, looked up and cached on first use.
  static func info(_ fd: CInt) -> sockscope_fd_info { sockscope_fd_describe(fd, SOCKSCOPE_TRUST_ALL) }

  static func forget(_ fd: CInt) { sockscope_fd_forget(fd) }
}
