import ArgumentParser
import Foundation
import Glibc
import SockScopeLanguage
import SockScopeOutput
import SockScopePlayer
import SockScopeTrace

struct PlayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "play",
    abstract: "Step through a run in the terminal: each process's console, the call, what the kernel did.",
    discussion: """
      One pane per process (two clients are two panes, a forked child has its own), each showing \
      what that process printed; below them the current call with its data, what the kernel did, \
      the datagram on its way from sender to receiver, and what waits in each socket's receive queue.

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
  var language: Language = .ru

  @Option(help: ArgumentHelp("Columns of a frame (--frames, --cast): 80 to 1000.", valueName: "n"))
  var width = 100

  @Option(help: ArgumentHelp("Rows of a frame (--frames, --cast): 24 to 1000.", valueName: "n"))
  var height = 30

  @OptionGroup(title: "Focus") var focus: FocusOptions

  func validate() throws {
    // Bounded both ways: a frame is width × height cells, drawn for every step.
    let widths = FrameRenderer.minimumWidth...FrameRenderer.maximumWidth
    let heights = FrameRenderer.minimumHeight...FrameRenderer.maximumHeight
    guard widths.contains(width) else {
      throw ValidationError(
        "--width must be between \(widths.lowerBound) and \(widths.upperBound) columns; got \(width)")
    }
    guard heights.contains(height) else {
      throw ValidationError(
        "--height must be between \(heights.lowerBound) and \(heights.upperBound) rows; got \(height)")
    }
  }

  func run() throws {
    try reportingFailures {
      let playback = try PlayCommand.load(trace, language: language, focus: focus)
      let title = (trace as NSString).lastPathComponent
      if let cast {
        try PlayCommand.writeCast(playback, title: title, width: width, height: height, to: cast)
        StandardStream.standardError.write(
          "wrote \(cast) (\(counted(playback.count, "step"))); play it with: asciinema play \(shellQuoted(cast))\n"
        )
        return
      }
      if frames || isatty(1) != 1 || isatty(0) != 1 {
        try StandardStream.standardOutput.requireNotAnInput()
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

  static func load(
    _ path: String, language: Language, focus: FocusOptions? = nil
  ) throws(CommandFailure) -> Playback {
    var trace = try TraceInput.read(path)
    if let focus { trace = try focus.apply(trace, path: path) }
    guard let playback = Playback(trace: trace, language: language) else {
      throw CommandFailure(
        "\(path) holds no socket calls, so there is nothing to play; record a run first (sockscope demo)",
        exitCode: 2)
    }
    return playback
  }

  static func printFrames(_ playback: Playback, title: String, width: Int, height: Int) {
    let renderer = FrameRenderer(
      width: width, height: height, color: false, language: playback.language, title: title)
    // Stops at the first failed write (a full disk): the command then reports it.
    for k in 0..<playback.count where StandardStream.standardOutput.failure == nil {
      StandardStream.standardOutput.write(
        renderer.plainText(playback.snapshot(k, paneHeight: renderer.paneHeight)) + "\n\n")
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
