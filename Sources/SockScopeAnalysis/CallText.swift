public import SockScopeTrace

/// A call's family, as a documented schematic names it: `send` stands for send, sendto, sendmsg
/// and write; `recv` for recv, recvfrom, recvmsg and read; `accept` for accept and accept4.
extension SocketCall {
  public var family: String {
    switch self {
    case .send, .sendto, .sendmsg, .write: "send"
    case .recv, .recvfrom, .recvmsg, .read: "recv"
    case .accept, .accept4: "accept"
    default: rawValue
    }
  }
}

/// The arguments of a call that tell one step of a program from another: what the schematic's
/// boxes show and what folding compares. Every read of `TraceEvent.args` the analysis makes is
/// here, so typed arguments replace them in one place.
public enum StepArgument: Sendable, Hashable {
  case name(String)
  case path(String)
  case number(Int64)
}

extension TraceEvent {
  /// The key arguments of the call, in the order the program wrote them: the domain and type of
  /// `socket`, the path of `bind`/`connect`/`unlink` (and of `sendto` when it names one), the
  /// buffer size of a receive, the backlog of `listen`.
  public var stepArguments: [StepArgument] {
    let a = arguments
    switch call {
    case .socket, .socketpair:
      return [a.socket?.domain?.description, a.socket?.type?.baseName].compactMap {
        $0.map(StepArgument.name)
      }
    case .bind, .connect: return addressPath.map { [.path($0)] } ?? []
    case .sendto: return addressPath.map { [.path($0)] } ?? []
    case .unlink: return a.unlinkedPath.map { [.path($0)] } ?? []
    case .listen: return a.backlog.map { [.number($0)] } ?? []
    case .recv, .recvfrom, .recvmsg, .read: return a.length.map { [.number($0)] } ?? []
    case .shutdown: return [.name(a.shutdownHow?.description ?? "")]
    case .setsockopt: return [.name(a.option?.option?.description ?? ""), .number(a.option?.value ?? 0)]
    case .send, .sendmsg, .write, .accept, .accept4, .close, .getsockname, .getpeername, .output: return []
    case .dup, .dup2, .dup3, .fcntl, .fork, .getsockopt, .poll, .select, .epollCtl, .epollWait: return []
    case .execve, .programStart: return a.program?.path.map { [.path($0)] } ?? []
    }
  }

  /// The call in the program's terms, without its data: `socket(AF_UNIX, SOCK_DGRAM)`,
  /// `bind("./echo.socket")`, `recv(1024)`, `send(message)`. The one text of a step that the
  /// schematic, the reference run of `diff` and the reports share. Not escaped: a view escapes it
  /// for where it is shown.
  public var stepText: String {
    let shown = stepArguments.map { argument -> String in
      switch argument {
      case .name(let s): s
      case .path(let p): "\"\(p)\""
      case .number(let n): String(n)
      }
    }
    switch call {
    case .send, .sendmsg, .write: return "\(call.rawValue)(message)"
    // On a connected socket the address is NULL (Python's send() arrives as sendto(..., NULL, 0)).
    case .sendto: return "sendto(" + (["message"] + shown).joined(separator: ", ") + ")"
    case .output: return "print"
    default: return "\(call.rawValue)(\(shown.joined(separator: ", ")))"
    }
  }

  /// The key arguments as a schematic step writes them (`AF_UNIX SOCK_DGRAM`, `./echo.socket`,
  /// `1024`), for a run used as the reference of another.
  public var schematicArguments: [String] {
    switch call.family {
    case "socket", "socketpair", "bind", "connect", "unlink", "recv":
      return stepArguments.map { argument in
        switch argument {
        case .name(let s), .path(let s): s
        case .number(let n): String(n)
        }
      }
    default: return []
    }
  }
}
