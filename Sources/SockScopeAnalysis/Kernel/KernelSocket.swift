/// What a socket carries, from the type `socket`/`socketpair` gave it.
public enum SocketKind: Sendable, Equatable, Hashable {
  /// SOCK_DGRAM: datagrams, boundaries kept, one receive queue per receiving socket.
  case datagram
  /// SOCK_STREAM: a byte stream on a connection; no boundaries.
  case stream
  /// SOCK_SEQPACKET: records on a connection, boundaries kept.
  case seqpacket
  /// A type SockScope does not explain (`SOCK_RAW`, a number), as recorded.
  case other(String)

  /// The kind for a recorded type (`SOCK_DGRAM|SOCK_CLOEXEC`); nil when nothing was recorded.
  public init?(typeName: String?) {
    guard let typeName, !typeName.isEmpty else { return nil }
    let base = typeName.split(separator: "|").first.map(String.init) ?? typeName
    switch base {
    case "SOCK_DGRAM": self = .datagram
    case "SOCK_STREAM": self = .stream
    case "SOCK_SEQPACKET": self = .seqpacket
    default: self = .other(base)
    }
  }

  /// The C constant (`SOCK_DGRAM`), or the recorded type for another.
  public var constant: String {
    switch self {
    case .datagram: "SOCK_DGRAM"
    case .stream: "SOCK_STREAM"
    case .seqpacket: "SOCK_SEQPACKET"
    case .other(let name): name
    }
  }

  /// Whether data keeps its boundaries (datagrams and seqpacket records).
  public var keepsBoundaries: Bool { self == .datagram || self == .seqpacket }

  /// Whether the kind works on connections (listen, accept).
  public var isConnectionOriented: Bool { self == .stream || self == .seqpacket }
}

/// A socket's address as the kernel holds it.
public enum SocketName: Sendable, Equatable, Hashable {
  /// A filesystem path: `bind` created a socket file there.
  case path(String)
  /// Linux's abstract namespace (`@name`): no file.
  case abstract(String)
  /// An abstract name the kernel chose at `bind` with only the family (autobind).
  case autobound(String)
  /// No name (an unbound socket, a socketpair end).
  case unnamed
  /// An address of another family (`AF_INET`), as recorded.
  case foreign(String)

  /// `./echo.socket`, `@name`; nil when unnamed.
  public var shown: String? {
    switch self {
    case .path(let p): p
    case .abstract(let n): "@" + n
    case .autobound(let n): n.isEmpty ? nil : "@" + n
    case .unnamed: nil
    case .foreign(let family): family
    }
  }

  /// Whether the name is a file on disk.
  public var isFile: Bool { if case .path = self { true } else { false } }

  /// Whether the name is in the abstract namespace (no file).
  public var isAbstract: Bool {
    switch self {
    case .abstract, .autobound: true
    default: false
    }
  }
}

/// Something waiting in a receive queue: one datagram or record, or the bytes of one send on a
/// stream (a stream receive may take part of it).
public struct QueuedData: Sendable, Equatable {
  /// The send's flow id, when traced.
  public var flow: Int?
  public var bytes: UInt64
}

/// A socket as the kernel holds it at one moment of the run.
public struct KernelSocket: Sendable, Equatable {
  public var inode: UInt64
  /// nil when the trace does not show the call that made the socket.
  public var kind: SocketKind?
  /// The family, when the trace shows it and it is not AF_UNIX.
  public var foreignFamily: String?
  public var name: SocketName = .unnamed
  /// The connected peer's inode.
  public var peer: UInt64?
  /// Whether the socket is an end of a `socketpair`.
  public var isPairEnd = false
  /// The backlog `listen` asked for, once the socket listens.
  public var backlog: Int64?
  /// Connections made by `connect` and not yet taken by `accept` (the server ends' inodes).
  public var pending: [UInt64] = []
  /// The receive queue, oldest first.
  public var queue: [QueuedData] = []
  /// `shutdown`: no more sending, no more receiving.
  public var shutWrite = false
  public var shutRead = false
  /// Whether no descriptor (and no descriptor in flight) refers to it any more: the kernel
  /// destroyed it.
  public var released = false

  public init(inode: UInt64, kind: SocketKind? = nil) {
    self.inode = inode
    self.kind = kind
  }

  /// Datagrams or records waiting (for a stream: sends whose bytes are not all read).
  public var queuedItems: Int { queue.count }

  /// Bytes waiting.
  public var queuedBytes: UInt64 { queue.reduce(0) { $0 + $1.bytes } }
}

/// A socket file on disk, made by `bind` to a path.
public struct SocketFileEntry: Sendable, Equatable {
  public var path: String
  /// The socket bound to it when it was made.
  public var socket: UInt64
  /// The file's own inode, when recorded.
  public var fileInode: Int64?
}

/// A descriptor: a number in one process's table that refers to a socket.
public struct DescriptorRef: Sendable, Equatable, Hashable, Comparable {
  public var pid: Int32
  public var fd: Int32

  public init(pid: Int32, fd: Int32) {
    self.pid = pid
    self.fd = fd
  }

  public static func < (a: DescriptorRef, b: DescriptorRef) -> Bool { (a.pid, a.fd) < (b.pid, b.fd) }
}

/// What the kernel holds after a step: sockets, each process's descriptors, socket files,
/// descriptors in flight in SCM_RIGHTS messages.
public struct KernelState: Sendable, Equatable {
  public var sockets: [UInt64: KernelSocket] = [:]
  /// Per process, descriptor number → socket inode.
  public var descriptors: [Int32: [Int32: UInt64]] = [:]
  /// Socket files on disk, by path as written.
  public var files: [String: SocketFileEntry] = [:]
  /// References to sockets passed with SCM_RIGHTS and not yet received.
  public var inFlight: [UInt64: Int] = [:]

  public init() {}

  /// The descriptors that refer to `inode`, in every process.
  public func holders(of inode: UInt64) -> [DescriptorRef] {
    var refs: [DescriptorRef] = []
    for (pid, table) in descriptors {
      for (fd, ino) in table where ino == inode { refs.append(DescriptorRef(pid: pid, fd: fd)) }
    }
    return refs.sorted()
  }

  /// How many references keep `inode` alive: descriptors, and descriptors in flight.
  public func references(to inode: UInt64) -> Int { holders(of: inode).count + (inFlight[inode] ?? 0) }

  /// The sockets that still exist, by inode.
  public var liveSockets: [KernelSocket] {
    sockets.values.filter { !$0.released }.sorted { $0.inode < $1.inode }
  }
}

/// How a process came to hold a descriptor.
public enum DescriptorOrigin: Sendable, Equatable {
  /// Its own call made it: socket, socketpair, accept.
  case made
  /// Its parent's, copied at fork.
  case inherited
  /// dup, dup2, dup3, fcntl(F_DUPFD) of another descriptor of the process.
  case duplicated
  /// Received with SCM_RIGHTS.
  case passed
  /// Seen in use; the call that made it is not in the trace.
  case seen
}

/// A descriptor number of one process and the socket it referred to.
public struct HeldDescriptor: Sendable, Equatable, Hashable {
  public var pid: Int32
  public var fd: Int32
  public var socket: UInt64

  public init(pid: Int32, fd: Int32, socket: UInt64) {
    self.pid = pid
    self.fd = fd
    self.socket = socket
  }
}
