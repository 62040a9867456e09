// What a call records, written once for both recorders: the LD_PRELOAD interposer
// (Sources/CSockScopePreload) and the Swift socket layer (Sources/SockScopeSockets) make the call,
// then hand its arguments and result to these functions, which fill the record (socket identity,
// arguments, address, payload, items) and append it. The descriptor cache that keeps the identity
// lookups out of send and recv is here too. codec.c turns control messages and poll sets into
// items; docs/trace-format.md says what each field means per call.
#ifndef SOCKSCOPE_RECORD_H
#define SOCKSCOPE_RECORD_H

#include "sockscope_log.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct msghdr;
struct sockaddr;

/// How far a cached descriptor entry is believed without asking the kernel again.
enum sockscope_trust {
  /// Every entry is confirmed with one fstat (its inode must still be the cached one): the
  /// interposer does not see every call that frees or reuses a number.
  SOCKSCOPE_CONFIRM_ALL = 0,
  /// An entry saying "not an AF_UNIX socket" is believed (read and write, mostly file I/O).
  SOCKSCOPE_TRUST_NOT_SOCKET = 1,
  /// Any entry is believed: the Swift layer's descriptors are sockets it made, closed through it.
  SOCKSCOPE_TRUST_ALL = 2,
};

/// What is known of descriptor `fd`: from the cache when `trust` allows, else asked of the kernel
/// (fstat, getsockname, SO_TYPE, the peer through NETLINK_SOCK_DIAG) and cached. `type` is -1 when
/// `fd` is not an AF_UNIX socket. The lookup makes socket calls of its own: an interposer must let
/// them through unrecorded.
sockscope_fd_info sockscope_fd_describe(int fd, enum sockscope_trust trust);

/// Caches a socket just made by socket(2) (`type` may carry SOCK_CLOEXEC and SOCK_NONBLOCK).
sockscope_fd_info sockscope_fd_created(int fd, int domain, int type);

/// Caches both ends of a new socketpair, each the other's peer; returns the first end's entry.
sockscope_fd_info sockscope_fd_created_pair(const int sv[2], int domain, int type);

/// Caches a connection accept returned, of the listener's type, with its peer.
sockscope_fd_info sockscope_fd_accepted(int fd, sockscope_fd_info listener);

/// Asks the peer of `fd` again (after a successful connect) and caches it.
sockscope_fd_info sockscope_fd_connected(int fd, sockscope_fd_info info);

/// Forgets the descriptors SCM_RIGHTS brought in `msg` (after recvmsg): their numbers were freed
/// and reused without any call a recorder sees.
void sockscope_fd_forget_passed(const struct msghdr *msg);

/// A zeroed record of `call` on `fd`, by this thread, started at `t_ns` (sockscope_now_ns()).
void sockscope_record_start(sockscope_record *r, enum sockscope_call call, int fd, uint64_t t_ns);

/// The socket's identity in `r`: its inode, its peer's, and whether it delivers datagrams.
void sockscope_record_identify(sockscope_record *r, sockscope_fd_info info);

/// Sets the result: `ret` as the program saw it, `err` (errno) when it failed, and the duration
/// (from the start until now).
void sockscope_record_result(sockscope_record *r, long ret, int err);

/// The sun_path bytes of an AF_UNIX address (an abstract name keeps its leading NUL); 0 when
/// `addr` is not one or has no name.
uint32_t sockscope_unix_path(const struct sockaddr *addr, uint32_t len, const char **path);

/// Appends `r` (its result set) after a send, sendto, sendmsg or write on a socket, described by
/// `msg` (for send, sendto and write: one iovec, the address if any, no control data). a0 the
/// bytes offered, a1 `flags`; for sendmsg a2 the iovec count and a3 the control length, otherwise
/// a3 AF_UNIX when an address was given; the address and the inode of the socket file a
/// successful send reached; `full_len` and the payload: the first bytes sent, gathered across the
/// iovecs up to the capture limit; passed descriptors and other control messages as items.
int sockscope_record_send(sockscope_record *r, sockscope_fd_info info, const struct msghdr *msg, int flags,
                          const sockscope_source *source);

/// The flags a receive gives the kernel. On a datagram socket MSG_TRUNC is added (unless the
/// program asked for it, or for read, which takes no flags), so that the kernel returns the
/// datagram's real length; `*asks_length` says whether it was added.
int sockscope_receive_flags(sockscope_fd_info info, enum sockscope_call call, int flags, int *asks_length);

/// What the program gets from a receive whose kernel answer was `n`: with MSG_TRUNC added, no
/// more than its buffer holds (`capacity`), as without the flag.
long sockscope_receive_result(long n, int asks_length, size_t capacity);

/// Appends `r` (its result set to what the program got) after a recv, recvfrom, recvmsg or read,
/// described by `msg` as the kernel left it (for recv, recvfrom and read: one iovec, the sender's
/// address and its length). `kernel_n` is what the kernel returned: with MSG_TRUNC, a datagram's
/// real length, recorded as `full_len`. a0 the buffer size, a1 `flags`, a2 `msg_flags` and a3 the
/// control length the kernel returned (0 when the call failed); the sender's address; the
/// payload: the first bytes the program got, gathered from the iovecs up to the capture limit;
/// received descriptors and other control messages as items.
int sockscope_record_receive(sockscope_record *r, sockscope_fd_info info, const struct msghdr *msg, int flags,
                             long kernel_n, const sockscope_source *source);

/// Appends `r` (its result set) after bind or connect to `addr`: a0 the address length, a1
/// AF_UNIX, the name (for an autobind, the abstract name the kernel chose, asked with one
/// getsockname made straight to the kernel), and the inode of the socket file once it exists.
int sockscope_record_name(sockscope_record *r, sockscope_fd_info info, const struct sockaddr *addr, uint32_t len,
                          const sockscope_source *source);

/// Appends `r` (its result set to the new descriptor or -1) after accept or accept4 on a listener
/// described by `listener`: a0 `flags`, and for a connection a1 its inode, a2 its peer's, a3
/// AF_UNIX and the peer's address. Caches the new descriptor.
int sockscope_record_accept(sockscope_record *r, sockscope_fd_info listener, const struct sockaddr *addr,
                            uint32_t addr_len, int flags, const sockscope_source *source);

/// Appends `r` (its result set: the new descriptor or -1) after socket(2): a0 `domain`, a1 `type`,
/// a2 `protocol`; a new socket is cached and identified, and is the record's `fd`.
int sockscope_record_socket(sockscope_record *r, int domain, int type, int protocol,
                            const sockscope_source *source);

/// Appends `r` (its result set) after socketpair(2) made `sv`: a0 `domain`, a1 `type`, a2
/// `protocol`; once made, `fd` the first end, a3 the second, both cached, each the other's peer.
int sockscope_record_socketpair(sockscope_record *r, const int sv[2], int domain, int type, int protocol,
                                const sockscope_source *source);

/// Appends `r` (its result set) after a call on socket `info` whose one argument is `arg`: listen
/// (a0 the backlog), shutdown (a0 how); close has none (pass 0).
int sockscope_record_on_socket(sockscope_record *r, sockscope_fd_info info, int64_t arg,
                               const sockscope_source *source);

/// Appends `r` (its result set) after getsockname or getpeername on socket `info`: a0 AF_UNIX and,
/// when it succeeded, the name the kernel returned in `addr` (`len` bytes).
int sockscope_record_sockname(sockscope_record *r, sockscope_fd_info info, const struct sockaddr *addr,
                              uint32_t len, const sockscope_source *source);

/// Appends `r` (its result set) after setsockopt on socket `info`: a0 `level`, a1 `option`, a2 the
/// value when it is one int (`length` == sizeof(int)), a3 `length`.
int sockscope_record_setsockopt(sockscope_record *r, sockscope_fd_info info, int level, int option,
                                const void *value, uint32_t length, const sockscope_source *source);

/// Appends `r` (its result set) after getsockopt on socket `info`: a0 `level`, a1 `option`, and
/// when it succeeded a2 the value when it is one int, a3 the length returned (`got`), SO_PEERCRED's
/// answer as a credentials item.
int sockscope_record_getsockopt(sockscope_record *r, sockscope_fd_info info, int level, int option,
                                const void *value, uint32_t got, const sockscope_source *source);

#ifdef __cplusplus
}
#endif

#endif
