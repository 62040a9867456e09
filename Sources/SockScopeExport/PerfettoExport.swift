import SockScopeTrace

/// Chrome trace-event JSON, which ui.perfetto.dev and chrome://tracing open: a track per process and
/// thread, a slice per call with its real duration, console output as instants, and a flow arrow
/// from each send to the receive that got its data.
enum PerfettoExport {
  static func bytes(_ trace: Trace) -> [UInt8] {
    let t0 = trace.header.t0
    /// Microseconds since the run's start, to the nanosecond.
    func micros(_ t: UInt64) -> JSONValue { .double(Double(Int64(bitPattern: t &- t0)) / 1000) }
    var events: [JSONValue] = []
    var named = Set<Int32>()
    var namedThreads = Set<Int32>()
    let programs = trace.programChanges
    for e in trace.events {
      if named.insert(e.pid).inserted {
        // A process that ran another program with exec is titled with it, as on every view.
        let role = ProgramChange.title(e.role, programs[e.pid] ?? [])
        events.append(
          .object([
            "ph": .string("M"), "name": .string("process_name"), "pid": .int(Int64(e.pid)),
            "args": .object(["name": .string("\(role) (pid \(e.pid))")]),
          ]))
      }
      if namedThreads.insert(e.tid).inserted {
        let name = e.tid == e.pid ? "main thread" : "thread \(e.tid)"
        events.append(
          .object([
            "ph": .string("M"), "name": .string("thread_name"), "pid": .int(Int64(e.pid)),
            "tid": .int(Int64(e.tid)), "args": .object(["name": .string(name)]),
          ]))
      }
    }
    let sendOfFlow = trace.flowIndex.send
    for e in trace.events {
      let common: JSONObject = [
        "pid": .int(Int64(e.pid)), "tid": .int(Int64(e.tid)), "ts": micros(e.time),
      ]
      var args: JSONObject = ["event": .int(Int64(e.index))]
      if let fd = e.fd { args["fd"] = .int(Int64(fd)) }
      args["ret"] = .int(e.ret)
      if let failure = e.failure {
        args["errno"] = .string(failure.name)
        args["error"] = .string(failure.message)
      }
      if let data = e.data {
        args["bytes"] = .int(Int64(clamping: data.length))
        args["data"] = .string(data.text ?? data.preview())
      }
      if let path = e.addressPath { args["address"] = .string(path) }
      if let ino = e.socket?.inode { args["socket"] = .int(Int64(clamping: ino)) }
      if let source = e.recordedSource { args["source"] = source.jsonValue }
      var slice = common
      if e.call == .output {
        slice["ph"] = .string("i")
        slice["s"] = .string("t")
        slice["name"] = .string("output")
        slice["cat"] = .string("output")
      } else {
        slice["ph"] = .string("X")
        slice["name"] = .string(e.call.rawValue)
        slice["cat"] = .string(e.failure == nil ? "socket" : "socket,failed")
        slice["dur"] = .double(Double(e.duration) / 1000)
      }
      slice["args"] = .object(args)
      events.append(.object(slice))
      // Flow arrows: from inside the send's slice to inside the receive's ("bp": "e" binds each end
      // to the slice enclosing its time). The end is placed no earlier than the send started, and
      // within the receive.
      for flow in e.flows {
        guard let send = sendOfFlow[flow] else { continue }
        let start = send.time &+ send.duration / 2
        let end = min(max(e.time, start), e.endTime)
        events.append(
          .object([
            "ph": .string("s"), "id": .int(Int64(flow)), "cat": .string("data"), "name": .string("data"),
            "pid": .int(Int64(send.pid)), "tid": .int(Int64(send.tid)), "ts": micros(start),
          ]))
        events.append(
          .object([
            "ph": .string("f"), "bp": .string("e"), "id": .int(Int64(flow)), "cat": .string("data"),
            "name": .string("data"), "pid": .int(Int64(e.pid)), "tid": .int(Int64(e.tid)), "ts": micros(end),
          ]))
      }
    }
    let document: JSONValue = .object([
      "displayTimeUnit": .string("ns"),
      "otherData": .object(["source": .string("sockscope"), "started": .string(trace.header.started ?? "")]),
      "traceEvents": .array(events),
    ])
    var writer = JSONWriter()
    writer.value(document)
    writer.bytes.append(UInt8(ascii: "\n"))
    return writer.bytes
  }
}
