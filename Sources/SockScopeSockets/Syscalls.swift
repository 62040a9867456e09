// Every C socket function this module uses is called here and nowhere else, so the mocking seam
// (Mocking.swift, debug builds) sees every call. Each returns what C returns, with errno set.
import CSockScopeLog
import Glibc

@inline(__always)
func system_socket(_ domain: CInt, _ type: CInt, _ proto: CInt) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("socket", [Int(domain), Int(type), Int(proto)]) { return -1 }
  #endif
  return socket(domain, type, proto)
}

@inline(__always)
func system_socketpair(
  _ domain: CInt, _ type: CInt, _ proto: CInt, _ fds: UnsafeMutablePointer<CInt>
) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("socketpair", [Int(domain), Int(type), Int(proto)]) { return -1 }
  #endif
  return socketpair(domain, type, proto, fds)
}

@inline(__always)
func system_bind(_ fd: CInt, _ addr: UnsafePointer<sockaddr>, _ len: socklen_t) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("bind", [Int(fd), Int(len)]) { return -1 }
  #endif
  return bind(fd, addr, len)
}

@inline(__always)
func system_connect(_ fd: CInt, _ addr: UnsafePointer<sockaddr>, _ len: socklen_t) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("connect", [Int(fd), Int(len)]) { return -1 }
  #endif
  return connect(fd, addr, len)
}

@inline(__always)
func system_listen(_ fd: CInt, _ backlog: CInt) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("listen", [Int(fd), Int(backlog)]) { return -1 }
  #endif
  return listen(fd, backlog)
}

@inline(__always)
func system_accept4(
  _ fd: CInt, _ addr: UnsafeMutablePointer<sockaddr>?, _ len: UnsafeMutablePointer<socklen_t>?, _ flags: CInt?
) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure(flags == nil ? "accept" : "accept4", [Int(fd), Int(flags ?? 0)]) { return -1 }
  #endif
  if let flags { return sockscope_accept4(fd, addr, len, flags) }
  return accept(fd, addr, len)
}

@inline(__always)
func system_send(_ fd: CInt, _ buf: UnsafeRawPointer?, _ len: Int, _ flags: CInt) -> Int {
  #if ENABLE_MOCKING
    if mockedFailure("send", [Int(fd), len, Int(flags)]) { return -1 }
  #endif
  return send(fd, buf, len, flags)
}

@inline(__always)
func system_sendto(
  _ fd: CInt, _ buf: UnsafeRawPointer?, _ len: Int, _ flags: CInt, _ addr: UnsafePointer<sockaddr>?,
  _ addrlen: socklen_t
) -> Int {
  #if ENABLE_MOCKING
    if mockedFailure("sendto", [Int(fd), len, Int(flags), Int(addrlen)]) { return -1 }
  #endif
  return sendto(fd, buf, len, flags, addr, addrlen)
}

@inline(__always)
func system_sendmsg(_ fd: CInt, _ msg: UnsafePointer<msghdr>, _ flags: CInt) -> Int {
  #if ENABLE_MOCKING
    if mockedFailure("sendmsg", [Int(fd), Int(flags)]) { return -1 }
  #endif
  return sendmsg(fd, msg, flags)
}

@inline(__always)
func system_recv(_ fd: CInt, _ buf: UnsafeMutableRawPointer?, _ len: Int, _ flags: CInt) -> Int {
  #if ENABLE_MOCKING
    if mockedFailure("recv", [Int(fd), len, Int(flags)]) { return -1 }
  #endif
  return recv(fd, buf, len, flags)
}

@inline(__always)
func system_recvfrom(
  _ fd: CInt, _ buf: UnsafeMutableRawPointer?, _ len: Int, _ flags: CInt,
  _ addr: UnsafeMutablePointer<sockaddr>?, _ addrlen: UnsafeMutablePointer<socklen_t>?
) -> Int {
  #if ENABLE_MOCKING
    if mockedFailure("recvfrom", [Int(fd), len, Int(flags)]) { return -1 }
  #endif
  return recvfrom(fd, buf, len, flags, addr, addrlen)
}

@inline(__always)
func system_recvmsg(_ fd: CInt, _ msg: UnsafeMutablePointer<msghdr>, _ flags: CInt) -> Int {
  #if ENABLE_MOCKING
    if mockedFailure("recvmsg", [Int(fd), Int(flags)]) { return -1 }
  #endif
  return recvmsg(fd, msg, flags)
}

@inline(__always)
func system_shutdown(_ fd: CInt, _ how: CInt) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("shutdown", [Int(fd), Int(how)]) { return -1 }
  #endif
  return shutdown(fd, how)
}

@inline(__always)
func system_close(_ fd: CInt) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("close", [Int(fd)]) { return -1 }
  #endif
  return close(fd)
}

@inline(__always)
func system_unlink(_ path: UnsafePointer<CChar>) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("unlink", []) { return -1 }
  #endif
  return unlink(path)
}

@inline(__always)
func system_lstat(_ path: UnsafePointer<CChar>, _ st: UnsafeMutablePointer<stat>) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("lstat", []) { return -1 }
  #endif
  return lstat(path, st)
}

@inline(__always)
func system_getsockname(
  _ fd: CInt, _ addr: UnsafeMutablePointer<sockaddr>, _ len: UnsafeMutablePointer<socklen_t>
) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("getsockname", [Int(fd)]) { return -1 }
  #endif
  return getsockname(fd, addr, len)
}

@inline(__always)
func system_getpeername(
  _ fd: CInt, _ addr: UnsafeMutablePointer<sockaddr>, _ len: UnsafeMutablePointer<socklen_t>
) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("getpeername", [Int(fd)]) { return -1 }
  #endif
  return getpeername(fd, addr, len)
}

@inline(__always)
func system_setsockopt(
  _ fd: CInt, _ level: CInt, _ name: CInt, _ value: UnsafeRawPointer, _ len: socklen_t
) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("setsockopt", [Int(fd), Int(level), Int(name)]) { return -1 }
  #endif
  return setsockopt(fd, level, name, value, len)
}

@inline(__always)
func system_poll(_ fds: UnsafeMutablePointer<pollfd>?, _ count: Int, _ timeout: CInt) -> CInt {
  #if ENABLE_MOCKING
    if mockedFailure("poll", [count, Int(timeout)]) { return -1 }
  #endif
  return poll(fds, nfds_t(count), timeout)
}
