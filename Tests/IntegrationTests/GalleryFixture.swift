import Foundation
import SockScopeAnalysis
import SockScopeLanguage
import SockScopePlayer
import SockScopeTrace
import Testing

/// One program of a gallery example, recorded under its own role.
struct GalleryProgram: Sendable {
  var role: String
  /// The script, relative to the example's directory.
  var script: String
  /// Whether the next program starts only once this one printed `ready` (a server).
  var waitsForReady: Bool
}

/// An example of examples/python/ (the gallery): its programs in the order they start.
struct GalleryExample: Sendable, CustomTestStringConvertible {
  var name: String
  var programs: [GalleryProgram]
  var testDescription: String { name }

  var directory: String { repositoryRoot + "/examples/python/" + name }

  static func one(_ name: String, _ role: String, _ script: String) -> GalleryExample {
    GalleryExample(name: name, programs: [GalleryProgram(role: role, script: script, waitsForReady: false)])
  }

  static func pair(_ name: String) -> GalleryExample {
    GalleryExample(
      name: name,
      programs: [
        GalleryProgram(role: "server", script: "server.py", waitsForReady: true),
        GalleryProgram(role: "client", script: "client.py", waitsForReady: false),
      ])
  }

  /// Every example of the gallery (docs/gallery/README.md explains each).
  static let all: [GalleryExample] = [
    .pair("stream-echo"), .one("socketpair-fork", "pair", "pair.py"),
    .one("seqpacket", "records", "records.py"),
    .pair("abstract-name"), .pair("datagram-echo"), .one("pass-descriptor", "parent", "rights.py"),
    .one("credentials", "parent", "creds.py"), .pair("full-queue"),
    .one("nonblocking-poll", "parent", "poll.py"), .one("exec-inherit", "parent", "parent.py"),
    .one("spawn-inherit", "parent", "parent.py"),
  ]
}

/// Records `example` as a student would run it (each program under `sockscope record`, sharing one
/// --out, a server first) in a fresh directory `dir`, and returns the merged trace. When
/// SOCKSCOPE_GALLERY_DIR is set (`make gallery`), also writes every view of the run there.
func recordGalleryExample(_ example: GalleryExample, in dir: String) throws -> Trace {
  let python = try tool("python3")
  var running: [RunningProcess] = []
  for (n, program) in example.programs.enumerated() {
    // Started through a small Python that closes every descriptor above 2 and then execs
    // `sockscope record`: the test runner's own sockets would otherwise be inherited by the
    // example and appear in its gallery pages (an exec lists every socket a process holds).
    let arguments = [
      "-c", "import os, sys; os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])",
      sockscopeBinary, "record", "--out", "run", "--role", program.role, "--", python, "-u",
      example.directory + "/" + program.script,
    ]
    if n == example.programs.count - 1 {
      let last = try run(python, arguments, in: dir, seconds: 30)
      #expect(last.status == 0, "\(program.script): \(last.stdout)\n\(last.stderr)")
    } else {
      let p = try RunningProcess(python, arguments, in: dir)
      running.append(p)
      if program.waitsForReady {
        #expect(p.waitUntil { p.stdout.contains("ready") }, "\(program.script) never said ready: \(p.stderr)")
      }
    }
  }
  for p in running {
    let r = p.finish(seconds: 30)
    #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
  }
  // Each record merged when its program ended; merge once more so the trace holds every log.
  let merged = try sockscope(["merge", "run"], in: dir)
  #expect(merged.status == 0, "\(merged.stderr)")
  let trace = try readTrace(dir + "/run/trace.jsonl")
  if let gallery = ProcessInfo.processInfo.environment["SOCKSCOPE_GALLERY_DIR"], !gallery.isEmpty {
    try writeGalleryViews(example, trace: dir + "/run/trace.jsonl", to: gallery + "/" + example.name, in: dir)
  }
  return trace
}

/// Every view of one recorded example, made by the sockscope binary as a user makes them.
func writeGalleryViews(_ example: GalleryExample, trace: String, to out: String, in dir: String) throws {
  try? FileManager.default.removeItem(atPath: out)
  try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
  let copy = try String(contentsOfFile: trace, encoding: .utf8)
  try copy.write(toFile: out + "/trace.jsonl", atomically: true, encoding: .utf8)
  var commands: [[String]] = []
  for view in ["schematic", "sequence", "topology", "queues"] {
    for language in ["ru", "en"] {
      commands.append([
        "render", trace, "--view", view, "--lang", language, "-o", "\(out)/\(view)-\(language).png",
      ])
    }
  }
  for language in ["ru", "en"] {
    commands.append([
      "play", trace, "--cast", "\(out)/play-\(language).cast", "--lang", language, "--width", "120",
    ])
  }
  commands.append(["export", "html", trace, "-o", "\(out)/run.html", "--lang", "ru"])
  for c in commands {
    let r = try sockscope(c, in: dir, seconds: 60)
    #expect(r.status == 0, "\(c.joined(separator: " ")): \(r.stderr)")
  }
  for language in ["ru", "en"] {
    let frames = try sockscope(["play", trace, "--frames", "--lang", language, "--width", "120"], in: dir)
    #expect(frames.status == 0, "\(frames.stderr)")
    try frames.stdout.write(toFile: "\(out)/frames-\(language).txt", atomically: true, encoding: .utf8)
  }
}

/// The player's sentences for every step of `trace`, in `language`.
func sentences(_ trace: Trace, _ language: Language) throws -> [(call: String, sentence: String)] {
  let playback = try #require(Playback(trace: trace, language: language))
  return (0..<playback.count).map { k in
    let s = playback.snapshot(k, paneHeight: 3)
    return (s.callLine, s.sentence)
  }
}
