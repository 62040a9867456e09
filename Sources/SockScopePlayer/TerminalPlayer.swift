import CTerminal
import Glibc
import Synchronization

/// Set by signal handlers, read by the player's loop.
private let terminationRequested = Atomic<Int32>(0)
private let resized = Atomic<Bool>(false)

/// Why the interactive player could not run.
public enum PlayerError: Error, Sendable, CustomStringConvertible {
  case notATerminal
  case tooSmall(String)

  public var description: String {
    switch self {
    case .notATerminal:
      "standard input and output must be a terminal; use --frames to print the steps instead"
    case .tooSmall(let message): message
    }
  }
}

/// The full-screen, step-through player.
public struct TerminalPlayer {
  public var playback: Playback
  public var title: String
  public var color: Bool

  public init(playback: Playback, title: String, color: Bool) {
    self.playback = playback
    self.title = title
    self.color = color
  }

  /// The terminal's size, or nil when standard output is not one.
  public static func terminalSize() -> (width: Int, height: Int)? {
    var columns: CInt = 0
    var rows: CInt = 0
    guard sockscope_terminal_size(1, &columns, &rows) == 0 else { return nil }
    return (Int(columns), Int(rows))
  }

  /// Whether colour is wanted: not with NO_COLOR set (any value), nor on a dumb terminal.
  public static var colorWanted: Bool {
    getenv("NO_COLOR") == nil && (getenv("TERM").map { String(cString: $0) } ?? "dumb") != "dumb"
  }

  /// Plays until `q`; returns the exit status (0, or 128 + signal when ended by one).
  public func run() throws(PlayerError) -> Int32 {
    guard isatty(0) == 1, isatty(1) == 1 else { throw .notATerminal }
    guard let size = Self.terminalSize() else { throw .notATerminal }
    let words = PlayerText(language: playback.language)
    guard size.width >= FrameRenderer.minimumWidth, size.height >= FrameRenderer.minimumHeight else {
      throw .tooSmall(
        words.tooSmall(
          width: size.width, height: size.height, needWidth: FrameRenderer.minimumWidth,
          needHeight: FrameRenderer.minimumHeight))
    }
    var saved = termios()
    tcgetattr(0, &saved)
    installSignalHandlers()
    var raw = saved
    // No line buffering, no echo, and Ctrl-C as a key (it quits cleanly, like q).
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
    raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
    tcsetattr(0, TCSAFLUSH, &raw)
    write("\u{1B}[?1049h\u{1B}[?25l")
    defer {
      write("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
      tcsetattr(0, TCSAFLUSH, &saved)
    }
    return loop(size: size, words: words)
  }

  private func loop(size initial: (width: Int, height: Int), words: PlayerText) -> Int32 {
    var size = initial
    var step = 0
    var playing = false
    var speed = 1.0
    var showingHelp = false
    var animation: (start: Double, from: Double)?  // the datagram's move, while playing
    var lastAdvance = now()
    var input: [UInt8] = []

    func draw() {
      let renderer = FrameRenderer(
        width: size.width, height: size.height, color: color, language: playback.language, title: title)
      let lines: [String]
      if size.width < FrameRenderer.minimumWidth || size.height < FrameRenderer.minimumHeight {
        let text = words.tooSmall(
          width: size.width, height: size.height, needWidth: FrameRenderer.minimumWidth,
          needHeight: FrameRenderer.minimumHeight)
        lines = renderer.message(DisplayWidth.wrap(text, max(size.width - 2, 10)))
      } else if showingHelp {
        lines = renderer.message(words.help)
      } else {
        let snapshot = playback.snapshot(step, paneHeight: renderer.paneHeight)
        var position: Double?
        if let a = animation, let travel = snapshot.travel {
          let progress = min(1, (now() - a.start) * speed / 0.4)
          position = a.from + (travel.position - a.from) * progress
        }
        lines = renderer.render(
          snapshot, position: position, state: PlayState(playing: playing, speed: speed))
      }
      write("\u{1B}[H" + lines.map { $0 + "\u{1B}[0m" }.joined(separator: "\r\n"))
    }

    func go(to target: Int) {
      let next = max(0, min(playback.count - 1, target))
      if next == step + 1, let travel = playback.snapshot(next, paneHeight: 1).travel {
        animation = (now(), travel.startPosition)
      } else {
        animation = nil
      }
      step = next
    }

    write("\u{1B}[2J")
    draw()
    while true {
      let signal = terminationRequested.load(ordering: .relaxed)
      if signal != 0 { return 128 + signal }
      if resized.exchange(false, ordering: .relaxed), let s = Self.terminalSize() {
        size = s
        write("\u{1B}[2J")
        draw()
      }
      var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
      let timeout: Int32 = playing || animation != nil ? 40 : 200
      if poll(&fds, 1, timeout) > 0 {
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(0, &buffer, buffer.count)
        if n <= 0 { return 0 }
        input += buffer[..<n]
      }
      while let key = Key.next(&input) {
        if showingHelp {
          // Any key leaves the help and shows the trace again.
          showingHelp = false
          draw()
          continue
        }
        switch key {
        case .next: go(to: step + 1)
        case .back: go(to: step - 1)
        case .first: go(to: 0)
        case .last: go(to: playback.count - 1)
        case .playPause:
          playing.toggle()
          lastAdvance = now()
        case .faster: speed = min(speed * 1.5, 16)
        case .slower: speed = max(speed / 1.5, 0.125)
        case .help: showingHelp = true
        case .quit: return 0
        }
        draw()
      }
      if playing && now() - lastAdvance >= 1.2 / speed {
        lastAdvance = now()
        if step + 1 < playback.count { go(to: step + 1) } else { playing = false }
        draw()
      } else if let a = animation {
        draw()
        if (now() - a.start) * speed >= 0.4 { animation = nil }
      }
    }
  }

  private func installSignalHandlers() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { signal in terminationRequested.store(signal, ordering: .relaxed)
    }
    sigemptyset(&action.sa_mask)
    sigaction(SIGTERM, &action, nil)
    sigaction(SIGINT, &action, nil)
    sigaction(SIGHUP, &action, nil)
    var resize = sigaction()
    resize.__sigaction_handler.sa_handler = { _ in resized.store(true, ordering: .relaxed) }
    sigemptyset(&resize.sa_mask)
    sigaction(SIGWINCH, &resize, nil)
    // A launcher may have blocked them (test runners do); the player must still hear them.
    var set = sigset_t()
    sigemptyset(&set)
    for s in [SIGTERM, SIGINT, SIGHUP, SIGWINCH] { sigaddset(&set, s) }
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
  }

  private func write(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
      let n = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return }
      bytes = bytes.dropFirst(n)
    }
  }

  private func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }
}

/// A key the player understands, parsed from the bytes a terminal sends.
enum Key: Equatable {
  case next, back, first, last, playPause, faster, slower, help, quit

  /// Takes the next key from `input`; drops bytes that are no key; nil when more bytes are needed.
  static func next(_ input: inout [UInt8]) -> Key? {
    while let first = input.first {
      if first == 0x1B {
        // Escape sequences: ESC [ C, ESC [ D, ESC [ H, ESC [ F, ESC [ 1 ~, ESC [ 4 ~, ESC O H, ESC O F.
        guard input.count >= 3 else {
          if input.count == 1 || input[1] == UInt8(ascii: "[") || input[1] == UInt8(ascii: "O") { return nil }
          input.removeFirst()
          continue
        }
        let sequences: [([UInt8], Key)] = [
          (Array("\u{1B}[C".utf8), .next), (Array("\u{1B}[D".utf8), .back), (Array("\u{1B}[H".utf8), .first),
          (Array("\u{1B}[F".utf8), .last), (Array("\u{1B}OH".utf8), .first), (Array("\u{1B}OF".utf8), .last),
          (Array("\u{1B}[1~".utf8), .first), (Array("\u{1B}[4~".utf8), .last),
          (Array("\u{1B}[7~".utf8), .first),
          (Array("\u{1B}[8~".utf8), .last),
        ]
        for (bytes, key) in sequences where input.starts(with: bytes) {
          input.removeFirst(bytes.count)
          return key
        }
        // An unknown sequence: skip to its final byte.
        var end = 2
        while end < input.count && !(0x40...0x7E).contains(input[end]) { end += 1 }
        if end >= input.count { return nil }
        input.removeFirst(end + 1)
        continue
      }
      input.removeFirst()
      switch first {
      case UInt8(ascii: " "), UInt8(ascii: "n"), UInt8(ascii: "l"): return .next
      case UInt8(ascii: "b"), UInt8(ascii: "h"): return .back
      case UInt8(ascii: "g"): return .first
      case UInt8(ascii: "G"): return .last
      case UInt8(ascii: "p"): return .playPause
      case UInt8(ascii: "+"), UInt8(ascii: "="): return .faster
      case UInt8(ascii: "-"), UInt8(ascii: "_"): return .slower
      case UInt8(ascii: "?"): return .help
      case UInt8(ascii: "q"), 0x03: return .quit
      default: continue
      }
    }
    return nil
  }
}
