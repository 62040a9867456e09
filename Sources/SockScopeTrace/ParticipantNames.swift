/// Gives every traced process its own participant name, however its role was asked for.
///
/// A process asks for a role (`--role client`, the demo's `client#1`, or the role it inherited
/// from its parent across `fork`). Roles may repeat: two `record --role client` runs into one
/// directory, two `sockscope client --trace DIR` by hand, an strace import given one name for two
/// pids. The names are:
/// - a role asked for by one process only: the role itself (`server`);
/// - a role asked for by several: `role#1`, `role#2`… in the order of each process's first step
///   (then pid), skipping numbers another process already has by name;
/// - a forked child that kept its parent's role (it did not ask for one of its own): its parent's
///   name, `/`, and its number among that parent's forked children, in the order of their first
///   steps: `server/1`, `server/2`, `server/1/1` for a grandchild. A parent counts only when it
///   made socket calls of its own; otherwise its children are numbered as independent processes.
///
/// The names depend only on the logs, so merging the same logs again gives the same names. The
/// role a process asked for stays in `TracedProcess.requestedRole` when it differs.
package enum ParticipantNames {
  /// Names `processes` (keeping each one's asked-for role) and the `role` of every event.
  package static func assign(_ processes: inout [TracedProcess], events: inout [TraceEvent]) {
    guard !processes.isEmpty else { return }
    // Read in place: iterating would copy (retain and release) every event.
    var seen = RecentKeys<Int32>()
    var firstStepOfSlot: [Int] = []
    var callsOfSlot: [Bool] = []
    for i in events.indices {
      let (slot, isNew) = seen.slot(of: events[i].pid)
      if isNew {
        firstStepOfSlot.append(i)
        callsOfSlot.append(false)
      }
      if !callsOfSlot[slot] && events[i].call != .output { callsOfSlot[slot] = true }
    }
    var firstStep: [Int32: Int] = [:]
    var makesCalls = Set<Int32>()
    for (pid, slot) in seen.slots {
      firstStep[pid] = firstStepOfSlot[slot]
      if callsOfSlot[slot] { makesCalls.insert(pid) }
    }
    let asked = processes.map { $0.requestedRole ?? $0.role }
    let slot = Dictionary(processes.indices.map { (processes[$0].pid, $0) }, uniquingKeysWith: { a, _ in a })
    // Fork children: the parent is traced, made socket calls, and the child kept its role.
    var parentSlot = [Int?](repeating: nil, count: processes.count)
    for n in processes.indices {
      guard let p = slot[processes[n].ppid], p != n, makesCalls.contains(processes[p].pid),
        asked[p] == asked[n]
      else { continue }
      parentSlot[n] = p
    }
    // A process that ran another program (exec) after its first socket calls has a log per
    // program, both with its pid: one participant, named from its first entry.
    let byFirstStep = processes.indices.filter { slot[processes[$0].pid] == $0 }.sorted {
      (firstStep[processes[$0].pid] ?? .max, processes[$0].pid) < (
        firstStep[processes[$1].pid] ?? .max, processes[$1].pid
      )
    }
    var names = [String?](repeating: nil, count: processes.count)
    var taken = Set<String>()
    let independent = byFirstStep.filter { parentSlot[$0] == nil }
    var askedCount: [String: Int] = [:]
    for n in independent { askedCount[asked[n], default: 0] += 1 }
    for n in independent where askedCount[asked[n]] == 1 {
      names[n] = asked[n]
      taken.insert(asked[n])
    }
    var nextNumber: [String: Int] = [:]
    for n in independent where names[n] == nil {
      var k = nextNumber[asked[n], default: 1]
      while taken.contains("\(asked[n])#\(k)") { k += 1 }
      names[n] = "\(asked[n])#\(k)"
      taken.insert("\(asked[n])#\(k)")
      nextNumber[asked[n]] = k + 1
    }
    // Children after their parents: a parent's name is known before its children are numbered.
    var childCount = [Int](repeating: 0, count: processes.count)
    func name(_ n: Int, depth: Int) -> String {
      if let known = names[n] { return known }
      guard let p = parentSlot[n], depth < processes.count else { return asked[n] }
      let parentName = name(p, depth: depth + 1)
      var k = childCount[p] + 1
      while taken.contains("\(parentName)/\(k)") { k += 1 }
      childCount[p] = k
      let given = "\(parentName)/\(k)"
      names[n] = given
      taken.insert(given)
      return given
    }
    for n in byFirstStep where parentSlot[n] != nil { _ = name(n, depth: 0) }

    var nameOfPID: [Int32: String] = [:]
    for n in processes.indices {
      let given = slot[processes[n].pid].flatMap { names[$0] } ?? asked[n]
      processes[n].requestedRole = given == asked[n] ? nil : asked[n]
      processes[n].role = given
      nameOfPID[processes[n].pid] = given
    }
    // A pid the header does not name (an inconsistent file read back) keeps the role of the first
    // event of each of its runs, as it always has.
    var nameOfSlot = [String?](repeating: nil, count: seen.slots.count)
    for (pid, slot) in seen.slots { nameOfSlot[slot] = nameOfPID[pid] }
    var lastPID: Int32?
    var lastName = ""
    for i in events.indices {
      if events[i].pid != lastPID {
        lastPID = events[i].pid
        lastName = nameOfSlot[seen.slot(of: events[i].pid).slot] ?? events[i].role
      }
      if events[i].role != lastName { events[i].role = lastName }
    }
  }
}
