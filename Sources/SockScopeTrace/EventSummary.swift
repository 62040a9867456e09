extension Payload {
  /// The data as a reader sees it in one line: `«Лев Николаевич»` for text (control characters
  /// escaped, cut to `limit` characters with an ellipsis), or the first bytes in hex,
  /// `0a 00 ff …`, for bytes that are not text. Empty data is `«»`.
  public func preview(limit: Int = 32) -> String {
    if let text {
      let safe = text.terminalSafe
      let short = safe.count > limit ? String(safe.prefix(max(limit - 1, 1))) + "…" : safe
      return "«" + short + "»"
    }
    let shown = bytes.prefix(max(limit / 3, 1))
    let hex = shown.map { byte in
      let digits = String(byte, radix: 16)
      return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
    return UInt64(shown.count) < length ? hex + " …" : hex
  }
}

extension TraceEvent {
  /// The call in one short line, as strace would name it, without descriptor numbers:
  /// `bind("./echo.socket")`, `send(«Лев»)`, `recv(1024) → «Лев»`, `connect("./echo.socket") → ENOENT`.
  /// Every text taken from the trace is escaped for a terminal.
  public var summary: String {
    let a = arguments
    func quoted(_ s: String?) -> String { s.map { "\"\($0.terminalSafe)\"" } ?? "" }
    var s: String
    switch call {
    case .socket, .socketpair:
      s = "\(call.rawValue)(\(a.socket?.domain?.description ?? ""), \(a.socket?.type?.baseName ?? ""))"
    case .bind, .connect: s = "\(call.rawValue)(\(quoted(addressPath)))"
    case .listen: s = "listen(\(a.backlog ?? 0))"
    case .accept, .accept4, .close, .getsockname, .getpeername: s = "\(call.rawValue)()"
    case .send, .sendmsg, .write: s = "\(call.rawValue)(\(data?.preview() ?? ""))"
    case .sendto:
      s = "sendto(\(data?.preview() ?? "")" + (addressPath.map { ", " + quoted($0) } ?? "") + ")"
    case .recv, .recvfrom, .recvmsg, .read:
      s = "\(call.rawValue)(\(a.length ?? 0))"
      // A 0-byte result is EOF on a stream but an empty datagram on a datagram socket: the event
      // alone does not say which, so it is shown as what it is, no bytes.
      if failure == nil, let data { s += " → " + data.preview() }
    case .shutdown: s = "shutdown(\(a.shutdownHow?.description ?? ""))"
    case .unlink: s = "unlink(\(quoted(a.unlinkedPath)))"
    case .setsockopt: s = "setsockopt(\(a.option?.option?.description ?? ""), \(a.option?.value ?? 0))"
    case .output: s = "print(\(data?.preview() ?? ""))"
    case .dup, .dup2, .dup3, .fcntl, .fork, .getsockopt, .poll, .select, .epollCtl, .epollWait:
      s = "\(call.rawValue)()"
    case .execve, .programStart: s = "\(call.rawValue)(\(quoted(a.program?.path)))"
    }
    if let failure { s += " → \(failure.name.terminalSafe)" }
    return s
  }
}
