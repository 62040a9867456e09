import Foundation
import Glibc
import SockScopeMerge
import SockScopeStrace
import SockScopeTrace

/// Finding and reading the runs `sockscope grade` is given: run directories, traces, strace logs,
/// and directories holding many of them.
enum RunDiscovery {
  /// One run to grade, named as the report names it.
  struct Candidate {
    enum Source {
      /// A trace directory or a trace.jsonl: read as every command reads a trace.
      case trace(String)
      /// A file found or named: a trace or an strace log, told apart by its first byte.
      case file(String, named: Bool)
      /// The per-process files `strace -ff -o PREFIX` wrote: one run.
      case straceFiles([String])
      /// Known bad already: a path that does not exist, a FIFO...
      case bad(String)
    }
    var name: String
    var source: Source
  }

  /// Why a run could not be graded.
  struct ReadError: Error, CustomStringConvertible {
    var description: String
  }

  /// The runs under `paths`, in the order given (a directory's entries by name), and the files
  /// found in directories that are neither traces nor strace logs.
  /// `excluding` names files and folders the command itself writes (the report and its figures),
  /// which a directory of runs may hold from an earlier grading: they are not runs.
  static func collect(
    _ paths: [String], excluding: Set<String> = []
  ) -> (candidates: [Candidate], skipped: [String]) {
    var candidates: [Candidate] = []
    var skipped: [String] = []
    for path in paths {
      var st = stat()
      guard stat(path, &st) == 0 else {
        let code = errno
        let perProcess = StraceImportCommand.perProcessFiles(prefix: path)
        if code == ENOENT && !perProcess.isEmpty {
          candidates.append(Candidate(name: path, source: .straceFiles(perProcess)))
        } else {
          candidates.append(
            Candidate(name: path, source: .bad("\(path): \(String(cString: strerror(code)))")))
        }
        continue
      }
      switch st.st_mode & S_IFMT {
      case S_IFDIR:
        let before = candidates.count
        walk(path, depth: 0, excluding: excluding, into: &candidates, skipped: &skipped)
        if candidates.count == before && !skipped.contains(where: { $0.hasPrefix(path) }) {
          candidates.append(
            Candidate(
              name: path,
              source: .bad("\(path): no runs in it (no trace.jsonl, logs/, *.sslog, trace or strace log)")))
        }
      case S_IFREG: candidates.append(Candidate(name: path, source: .file(path, named: true)))
      default:
        candidates.append(
          Candidate(name: path, source: .bad("\(path): not a regular file or a directory; a run is neither")))
      }
    }
    return (candidates, skipped)
  }

  /// `path` made absolute and without `.` and `..` components, as `collect`'s `excluding` holds it.
  static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

  /// Whether a directory is one run: it holds a merged trace or per-process logs.
  static func isRun(_ directory: String) -> Bool {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.contains(TraceFile.fileName) || names.contains(TraceDirectory.logsFolder)
      || names.contains { $0.hasSuffix(".sslog") }
  }

  static func walk(
    _ directory: String, depth: Int, excluding: Set<String>, into candidates: inout [Candidate],
    skipped: inout [String]
  ) {
    if isRun(directory) {
      candidates.append(Candidate(name: directory, source: .trace(directory)))
      return
    }
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    } catch {
      candidates.append(
        Candidate(
          name: directory, source: .bad("\(directory): cannot be listed: \(error.localizedDescription)")))
      return
    }
    // strace -ff -o PREFIX: PREFIX.PID files, one run.
    var straceGroups: [String: [String]] = [:]
    for name in names where !name.hasPrefix(".") {
      let path = (directory as NSString).appendingPathComponent(name)
      if excluding.contains(absolute(path)) { continue }
      var st = stat()
      guard lstat(path, &st) == 0 else {
        candidates.append(Candidate(name: path, source: .bad("\(path): \(String(cString: strerror(errno)))")))
        continue
      }
      var kind = st.st_mode & S_IFMT
      if kind == S_IFLNK {
        // Links are read through, never walked (a loop would never end): a link to a run is a run.
        var target = stat()
        guard stat(path, &target) == 0 else {
          candidates.append(
            Candidate(
              name: path, source: .bad("\(path): a link to nothing (\(String(cString: strerror(errno))))")))
          continue
        }
        kind = target.st_mode & S_IFMT
        if kind == S_IFDIR {
          if isRun(path) {
            candidates.append(Candidate(name: path, source: .trace(path)))
          } else {
            skipped.append(path)
          }
          continue
        }
      }
      switch kind {
      case S_IFDIR:
        if depth < 2 {
          walk(path, depth: depth + 1, excluding: excluding, into: &candidates, skipped: &skipped)
        } else if isRun(path) {
          candidates.append(Candidate(name: path, source: .trace(path)))
        } else {
          skipped.append(path)
        }
      case S_IFREG:
        let ext = (name as NSString).pathExtension
        if !ext.isEmpty, ext.allSatisfy(\.isNumber), Int32(ext) != nil {
          straceGroups[(path as NSString).deletingPathExtension, default: []].append(path)
        } else {
          candidates.append(Candidate(name: path, source: .file(path, named: false)))
        }
      default:
        // A FIFO is never opened: reading it could wait for ever.
        candidates.append(Candidate(name: path, source: .bad("\(path): \(kindName(kind)), not a run")))
      }
    }
    for prefix in straceGroups.keys.sorted() {
      candidates.append(Candidate(name: prefix, source: .straceFiles(straceGroups[prefix] ?? [])))
    }
  }

  static func kindName(_ kind: mode_t) -> String {
    switch kind {
    case S_IFIFO: "a FIFO"
    case S_IFSOCK: "a socket"
    case S_IFCHR, S_IFBLK: "a device"
    default: "not a regular file"
    }
  }

  /// What reading a candidate gave.
  enum Outcome {
    case trace(Trace)
    case failure(String)
    /// A file found in a directory that is neither a trace nor an strace log (a README, a
    /// picture): listed, not graded.
    case foreign
  }

  /// The candidate's trace, or why it has none.
  static func read(_ candidate: Candidate) -> Outcome {
    do {
      let trace: Trace
      switch candidate.source {
      case .bad(let message): throw ReadError(description: message)
      case .trace(let path): trace = try readTrace(path)
      case .straceFiles(let paths): trace = try readStrace(paths, name: candidate.name)
      case .file(let path, let named):
        let bytes: [UInt8]
        do { bytes = try InputFile.read(path) } catch { throw ReadError(description: "\(error)") }
        let first = bytes.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }.first
        if first == UInt8(ascii: "{") {
          trace = try valid(TraceFile.parse(bytes, file: path), path)
        } else if !named && !looksLikeStrace(bytes) {
          return .foreign
        } else {
          trace = try readStrace([path], name: path, bytes: bytes)
        }
      }
      guard trace.events.contains(where: { $0.call != .output }) else {
        throw ReadError(
          description: "\(candidate.name): the trace holds no socket calls, so there is no run to check")
      }
      return .trace(trace)
    } catch {
      return .failure("\(error)")
    }
  }

  /// Whether text has a line as strace writes a call: `name(...) = ...` or `<unfinished ...>`.
  static func looksLikeStrace(_ bytes: [UInt8]) -> Bool {
    let text = String(decoding: bytes.prefix(1 << 20), as: UTF8.self)
    return text.split(whereSeparator: \.isNewline).contains { line in
      line.contains("(") && (line.contains(") = ") || line.contains("<unfinished ...>"))
    }
  }

  static func readTrace(_ path: String) throws -> Trace {
    let read: TraceReadResult
    do { read = try TraceFile.read(path: path) } catch { throw ReadError(description: "\(error)") }
    return try valid(read, path)
  }

  static func valid(_ read: TraceReadResult, _ path: String) throws -> Trace {
    guard read.isValid else {
      throw ReadError(
        description:
          "\(path) is not a valid trace (\(TraceInput.problemCount(read.problems.count)), the first: "
          + "\(read.problems[0]))")
    }
    return read.trace
  }

  static func readStrace(_ paths: [String], name: String, bytes: [UInt8]? = nil) throws -> Trace {
    var inputs: [StraceImport.Input] = []
    for path in paths {
      let data: [UInt8]
      if let bytes, paths.count == 1 {
        data = bytes
      } else {
        do { data = try InputFile.read(path) } catch { throw ReadError(description: "\(error)") }
      }
      inputs.append(
        StraceImport.Input(
          name: path, text: String(decoding: data, as: UTF8.self),
          pid: Int32((path as NSString).pathExtension)))
    }
    let result = StraceImport.read(inputs)
    guard !result.trace.events.isEmpty else {
      throw ReadError(
        description: "\(name): neither a trace nor an strace log with calls on AF_UNIX sockets; record with "
          + StraceImportCommand.straceCommand)
    }
    return result.trace
  }
}
