import CSockScopeLog
import Glibc

/// Symbolic names for the numbers socket calls take, spelled as `strace` spells them.
public enum ArgumentNames {
  static let domains: [Int64: String] = [
    0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET",
  ]

  static let socketTypes: [Int64: String] = [
    1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET",
  ]

  static let socketTypeFlags: [(Int64, String)] = [(0o4000, "SOCK_NONBLOCK"), (0o2000000, "SOCK_CLOEXEC")]

  static let messageFlags: [(Int64, String)] = [
    (0x1, "MSG_OOB"), (0x2, "MSG_PEEK"), (0x4, "MSG_DONTROUTE"), (0x8, "MSG_CTRUNC"), (0x10, "MSG_PROXY"),
    (0x20, "MSG_TRUNC"), (0x40, "MSG_DONTWAIT"), (0x80, "MSG_EOR"), (0x100, "MSG_WAITALL"),
    (0x200, "MSG_FIN"),
    (0x400, "MSG_SYN"), (0x800, "MSG_CONFIRM"), (0x1000, "MSG_RST"), (0x2000, "MSG_ERRQUEUE"),
    (0x4000, "MSG_NOSIGNAL"), (0x8000, "MSG_MORE"), (0x10000, "MSG_WAITFORONE"),
    (0x4000_0000, "MSG_CMSG_CLOEXEC"),
  ]

  static let shutdownHows: [Int64: String] = [0: "SHUT_RD", 1: "SHUT_WR", 2: "SHUT_RDWR"]

  static let levels: [Int64: String] = [1: "SOL_SOCKET"]

  static let socketOptions: [Int64: String] = [
    1: "SO_DEBUG", 2: "SO_REUSEADDR", 3: "SO_TYPE", 4: "SO_ERROR", 5: "SO_DONTROUTE", 6: "SO_BROADCAST",
    7: "SO_SNDBUF", 8: "SO_RCVBUF", 9: "SO_KEEPALIVE", 10: "SO_OOBINLINE", 12: "SO_PRIORITY", 13: "SO_LINGER",
    15: "SO_REUSEPORT", 16: "SO_PASSCRED", 17: "SO_PEERCRED", 18: "SO_RCVLOWAT", 19: "SO_SNDLOWAT",
    20: "SO_RCVTIMEO", 21: "SO_SNDTIMEO", 29: "SO_TIMESTAMP", 31: "SO_PEERSEC", 32: "SO_SNDBUFFORCE",
    33: "SO_RCVBUFFORCE", 34: "SO_PASSSEC", 38: "SO_PROTOCOL", 39: "SO_DOMAIN",
  ]

  static let pollEvents: [(Int64, String)] = [
    (0x1, "POLLIN"), (0x2, "POLLPRI"), (0x4, "POLLOUT"), (0x8, "POLLERR"), (0x10, "POLLHUP"),
    (0x20, "POLLNVAL"), (0x40, "POLLRDNORM"), (0x80, "POLLRDBAND"), (0x100, "POLLWRNORM"),
    (0x200, "POLLWRBAND"), (0x400, "POLLMSG"), (0x2000, "POLLRDHUP"),
  ]

  static let epollEvents: [(Int64, String)] = [
    (0x1, "EPOLLIN"), (0x2, "EPOLLPRI"), (0x4, "EPOLLOUT"), (0x8, "EPOLLERR"), (0x10, "EPOLLHUP"),
    (0x40, "EPOLLRDNORM"), (0x80, "EPOLLRDBAND"), (0x100, "EPOLLWRNORM"), (0x200, "EPOLLWRBAND"),
    (0x400, "EPOLLMSG"), (0x2000, "EPOLLRDHUP"), (0x1000_0000, "EPOLLEXCLUSIVE"),
    (0x2000_0000, "EPOLLWAKEUP"),
    (0x4000_0000, "EPOLLONESHOT"), (0x8000_0000, "EPOLLET"),
  ]

  static let epollOperations: [Int64: String] = [1: "EPOLL_CTL_ADD", 2: "EPOLL_CTL_DEL", 3: "EPOLL_CTL_MOD"]

  static let fcntlCommands: [Int64: String] = [0: "F_DUPFD", 1030: "F_DUPFD_CLOEXEC"]

  /// `POLLIN|POLLOUT`, `0` when none.
  public static func pollEvents(_ value: Int64) -> String { joined(flagNames(value, pollEvents)) }

  /// `EPOLLIN|EPOLLET`, `0` when none.
  public static func epollEvents(_ value: Int64) -> String {
    joined(flagNames(value & 0xFFFF_FFFF, epollEvents))
  }

  /// `EPOLL_CTL_ADD`.
  public static func epollOperation(_ value: Int64) -> String { epollOperations[value] ?? String(value) }

  /// `F_DUPFD_CLOEXEC`.
  public static func fcntlCommand(_ value: Int64) -> String { fcntlCommands[value] ?? String(value) }

  /// `AF_UNIX`, or the number when it has no name here.
  public static func domain(_ value: Int64) -> String { domains[value] ?? String(value) }

  /// `SOCK_DGRAM|SOCK_CLOEXEC`.
  public static func socketType(_ value: Int64) -> String {
    let base = value & 0xF
    var names = [socketTypes[base] ?? String(base)]
    names += flagNames(value & ~0xF, socketTypeFlags)
    return names.joined(separator: "|")
  }

  /// `SOCK_NONBLOCK|SOCK_CLOEXEC` for accept4, `0` when none.
  public static func acceptFlags(_ value: Int64) -> String { joined(flagNames(value, socketTypeFlags)) }

  /// `MSG_DONTWAIT|MSG_TRUNC`, `0` when none.
  public static func messageFlags(_ value: Int64) -> String { joined(flagNames(value, messageFlags)) }

  /// `SHUT_RDWR`.
  public static func shutdownHow(_ value: Int64) -> String { shutdownHows[value] ?? String(value) }

  /// `SOL_SOCKET`.
  public static func level(_ value: Int64) -> String { levels[value] ?? String(value) }

  /// `SO_PASSCRED` (names are given for SOL_SOCKET options only).
  public static func socketOption(_ value: Int64, level: Int64) -> String {
    level == 1 ? socketOptions[value] ?? String(value) : String(value)
  }

  /// How a failed call failed: `ENOENT` and `No such file or directory`.
  public static func failure(errno value: Int32) -> CallFailure {
    let name = sockscope_errno_name(value).map { String(cString: $0) } ?? "errno \(value)"
    return CallFailure(name: name, message: String(cString: strerror(value)))
  }

  private static func flagNames(_ value: Int64, _ table: [(Int64, String)]) -> [String] {
    var rest = value
    var names: [String] = []
    for (bit, name) in table where rest & bit != 0 {
      names.append(name)
      rest &= ~bit
    }
    if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
    return names
  }

  private static func joined(_ names: [String]) -> String {
    names.isEmpty ? "0" : names.joined(separator: "|")
  }
}
