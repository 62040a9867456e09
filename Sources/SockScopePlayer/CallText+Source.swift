import SockScopeTrace

extension CallText {
  /// The call with its recorded source line (`client.py:14`, or `socat+0x1234` for native code
  /// without debug information), escaped for a terminal; unchanged when the trace has none.
  func at(_ site: CallSite?) -> CallText {
    guard let label = site?.label, !label.isEmpty else { return self }
    var placed = self
    placed.source = label.terminalSafe
    return placed
  }
}
