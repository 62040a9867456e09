extension Trace {
  /// The processes that act as servers: they bind or listen (a client connects or sends to an
  /// address; it does not give its socket one). One rule for the strace importer's role names,
  /// the views' order (servers first, as on the page) and the analysis.
  public static func serverPIDs(in events: [TraceEvent]) -> Set<Int32> {
    var servers = Set<Int32>()
    for i in events.indices where events[i].call == .bind || events[i].call == .listen {
      servers.insert(events[i].pid)
    }
    return servers
  }

  /// The processes of this trace that bind or listen (`serverPIDs(in:)`).
  public var serverPIDs: Set<Int32> { Trace.serverPIDs(in: events) }
}
