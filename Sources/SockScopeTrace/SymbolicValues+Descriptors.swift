// The numbers of the descriptor calls, typed like the socket calls' (SymbolicValues.swift): the
// trace spells them as `ArgumentNames` does (`POLLIN|POLLOUT`, `EPOLL_CTL_ADD`, `F_DUPFD`).

extension ArgumentValues {
  static let pollEvents = reversed(ArgumentNames.pollEvents)
  static let epollEvents = reversed(ArgumentNames.epollEvents)
  static let epollOperations = reversed(ArgumentNames.epollOperations)
  static let fcntlCommands = reversed(ArgumentNames.fcntlCommands)
}

/// `poll`'s events asked for or returned (`POLLIN|POLLOUT`, `0` for none).
public struct PollEvents: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static var isFlagSet: Bool { true }
  public static func value(named name: Substring) -> Int64? { ArgumentValues.pollEvents[name] }
  public var description: String { ArgumentNames.pollEvents(rawValue) }
}

/// epoll's events (`EPOLLIN|EPOLLET`, `0` for none); 32 bits, as the kernel's `events` field.
public struct EpollEvents: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue & 0xFFFF_FFFF }
  public static var isFlagSet: Bool { true }
  public static func value(named name: Substring) -> Int64? { ArgumentValues.epollEvents[name] }
  public var description: String { ArgumentNames.epollEvents(rawValue) }
}

/// `epoll_ctl`'s operation (`EPOLL_CTL_ADD`).
public struct EpollOperation: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static let add = EpollOperation(rawValue: 1)
  public static let delete = EpollOperation(rawValue: 2)
  public static let modify = EpollOperation(rawValue: 3)
  public static func value(named name: Substring) -> Int64? { ArgumentValues.epollOperations[name] }
  public var description: String { ArgumentNames.epollOperation(rawValue) }
}

/// `fcntl`'s command (`F_DUPFD`, `F_DUPFD_CLOEXEC`; the recorders record no other).
public struct FcntlCommand: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static let duplicate = FcntlCommand(rawValue: 0)
  public static let duplicateCloseOnExec = FcntlCommand(rawValue: 1030)
  public static func value(named name: Substring) -> Int64? { ArgumentValues.fcntlCommands[name] }
  public var description: String { ArgumentNames.fcntlCommand(rawValue) }
}

/// `dup3`'s flags: `O_CLOEXEC`, or the number.
public struct DuplicateFlags: SymbolicArgument, Hashable {
  public var rawValue: Int64
  public init(rawValue: Int64) { self.rawValue = rawValue }
  public static let closeOnExec = DuplicateFlags(rawValue: 0o2000000)
  public static func value(named name: Substring) -> Int64? {
    name == "O_CLOEXEC" ? closeOnExec.rawValue : nil
  }
  public var description: String { self == .closeOnExec ? "O_CLOEXEC" : String(rawValue) }
}
