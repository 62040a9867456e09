public import SockScopeLanguage

/// The language of the echo pair's messages: the one `Language` (`.ru`, the page's own Russian

/// What the server and client print, word for word as on the lecture page (Russian) or translated.
///
/// The Russian texts keep the page's spelling (including «что бы»), because the point of the tool is
/// to reproduce what the page shows.
public struct EchoMessages: Sendable {
  public var opening: String
  public var listening: String
  public var separator: String
  public var serverShuttingDown: String
  public var serverDone: String
  public var connecting: String
  public var connected: String
  public var ctrlCToQuit: String
  public var sendDoneToStop: String
  public var prompt: String
  public var sentPrefix: String
  public var clientShuttingDown: String
  public var cannotConnect: String
  public var clientDone: String

  /// The exit word: a datagram of exactly these bytes stops the server.
  public static let doneWord = "DONE"

  /// «ОТПРАВЛЕНО: Лев».
  public func sent(_ line: String) -> String { sentPrefix + line }

  public static func forLanguage(_ language: Language) -> EchoMessages {
    switch language {
    case .ru:
      EchoMessages(
        opening: "Открываем UNIX сокет...", listening: "Слушаем...",
        separator: String(repeating: "-", count: 20),
        serverShuttingDown: "Выключение...", serverDone: "Выполнено", connecting: "Подключение...",
        connected: "Выполнено.", ctrlCToQuit: "Ctrl-C что бы выйти.",
        sendDoneToStop: "Отправьте 'DONE' что бы выключить сервер.", prompt: "> ", sentPrefix: "ОТПРАВЛЕНО: ",
        clientShuttingDown: "Выключение.", cannotConnect: "Не могу соединиться!", clientDone: "Выполнено")
    case .en:
      EchoMessages(
        opening: "Opening the UNIX socket...", listening: "Listening...",
        separator: String(repeating: "-", count: 20), serverShuttingDown: "Shutting down...",
        serverDone: "Done",
        connecting: "Connecting...", connected: "Done.", ctrlCToQuit: "Ctrl-C to quit.",
        sendDoneToStop: "Send 'DONE' to shut the server down.", prompt: "> ", sentPrefix: "SENT: ",
        clientShuttingDown: "Shutting down.", cannotConnect: "Cannot connect!", clientDone: "Done")
    }
  }
}
