/// The language of what SockScope says: the player's explanations, the figures' words, the
/// reports of `compare` and `grade`, the echo pair's messages. Russian is the course's language
/// and every command's default.
public enum Language: String, Sendable, CaseIterable {
  /// Russian, the lecture page's language.
  case ru
  /// English.
  case en
}
