public import ArgumentParser
import Foundation
import Glibc
import SockScopePlayer
import SockScopeTrace

extension PlayerLanguage: ExpressibleByArgument {}

struct PlayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "play",
    abstract: "Step through a run in the terminal: each process's console, the call, what the kernel did.",
    discussion: """
      The server's console on the left, the clients' on the right (as the page's animation shows \
      them), and below them the current call, one sentence on what the kernel did, and the datagram \
      on its way from sender to receiver.

      Keys: → space n next · ← b back · Home End · p play/pause · + − speed · ? keys · q quit.

      Without a terminal (or with --frames) every step is printed as a plain text frame. --cast FILE \
      writes an asciinema recording with a marker per step, which asciinema's web player can step \
      through on a course page.

      Examples:
        sockscope play sockscope-out
        sockscope play run/trace.jsonl --frames --lang en > steps.txt
        sockscope play sockscope-out --cast demo.cast     then: asciinema play demo.cast
      """)

  @Argument(help: ArgumentHelp("A trace.jsonl file or a trace directory.", valueName: "trace"))
  var trace: String

  @Flag(help: "Print every step as a plain text frame instead of playing.")
  var frames = false

  @Option(help: ArgumentHelp("Write an asciicast v2 recording here instead of playing.", valueName: "file"))
  var cast: String?

  @Option(
    name: .customLong("lang"), help: ArgumentHelp("Language of the player's words.", valueName: "ru|en"))
  var language: PlayerLanguage = .ru

  @Option(help: ArgumentHelp("Columns of a frame (--frames, --cast).", valueName: "n"))
  var width = 100

  @Option(help: ArgumentHelp("Rows of a frame (--frames, --cast).", valueName: "n"))
  var height = 30

  func validate() throws {
    guard width >= FrameRenderer.minimumWidth, height >= FrameRenderer.minimumHeight else {
      throw ValidationError(
        "frames need at least \(FrameRenderer.minimumWidth)×\(FrameRenderer.minimumHeight); got \(width)×\(height)"
      )
    }
  }

  func run() throws {
    try reportingFailures {
      let playback = try PlayCommand.load(trace, language: language)
      let title = (trace as NSString).lastPathComponent
      if let cast {
        try PlayCommand.writeCast(playback, title: title, width: width, height: height, to: cast)
        FileOutput.standardError.write(
          "wrote \(cast) (\(counted(playback.count, "step"))); play it with: asciinema play \(cast)\n")
        return
      }
      if frames || isatty(1) != 1 || isatty(0) != 1 {
        try FileOutput.standardOutput.requireNotAnInput()
        PlayCommand.printFrames(playback, title: title, width: width, height: height)
        return
      }
      let status: Int32
      do {
        status = try TerminalPlayer(playback: playback, title: title, color: TerminalPlayer.colorWanted).run()
      } catch {
        throw CommandFailure("\(error)")
      }
      if status != 0 { throw ExitCode(status) }
    }
  }

  static func load(_ path: String, language: PlayerLanguage) throws(CommandFailure) -> Playback {
    let trace = try TraceInput.read(path)
    guard let playback = Playback(trace: trace, language: language) else {
      throw CommandFailure(
        "\(path) holds no socket calls, so there is nothing to play; record a run first (sockscope demo)")
    }
    return playback
  }

  static func printFrames(_ playback: Playback, title: String, width: Int, height: Int) {
    let renderer = FrameRenderer(
      width: width, height: height, color: false, language: playback.language, title: title)
    // Stops at the first failed write (a full disk): the command then reports it.
    for k in 0..<playback.count where FileOutput.standardOutput.failure == nil {
      let lines = renderer.render(playback.snapshot(k, paneHeight: renderer.paneHeight))
      FileOutput.standardOutput.write(
        lines.map { $0.trimmingTrailingSpaces }.joined(separator: "\n") + "\n\n")
    }
  }

  static func writeCast(
    _ playback: Playback, title: String, width: Int, height: Int, to path: String
  ) throws(CommandFailure) {
    let renderer = FrameRenderer(
      width: width, height: height, color: getenv("NO_COLOR") == nil, language: playback.language,
      title: title)
    let text = Asciicast.recording(playback, renderer: renderer, timestamp: Int(Date().timeIntervalSince1970))
    try OutputFile.write(Array(text.utf8), to: path)
  }
}

extension String {
  fileprivate var trimmingTrailingSpaces: String {
    var s = Substring(self)
    while s.last == " " { s = s.dropLast() }
    return String(s)
  }
}
