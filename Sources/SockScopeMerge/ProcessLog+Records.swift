import CSockScopeLog
import SockScopeTrace

/// How a log of one version lays out each record's fixed part: versions 1 and 2 store a whole
/// `sockscope_record` (128 and 160 bytes); versions 3 and 4 store a 32-byte `sockscope_record_head`
/// and then one 8-byte word for each field that is not zero (`sockscope_record_head.fields` says
/// which). Version 4 also leaves out each event's `seq`, which is its position among the log's
/// events: a layout of version 4 counts the events it decodes, so records must be decoded in order,
/// each once (as a reader walks a log).
struct RecordLayout {
  /// How each record's fixed part is stored.
  enum Form {
    /// Every record's fixed part is `size` bytes of `sockscope_record` (versions 1 and 2; the fields
    /// a version 1 record lacks read as zero).
    case whole(size: Int)
    /// A head and the words its `fields` name (versions 3 and 4).
    case compact
  }

  /// The next event's number, for a log whose records leave it out (version 4).
  private final class EventCounter {
    var next: UInt64 = 0
  }

  let form: Form
  private let counter: EventCounter?

  init(version: UInt32) {
    switch version {
    case 1: form = .whole(size: Int(SOCKSCOPE_RECORD_V1_SIZE))
    case 2: form = .whole(size: Int(SOCKSCOPE_RECORD_V2_SIZE))
    default: form = .compact
    }
    counter = version >= 4 ? EventCounter() : nil
  }

  /// The fewest bytes a record's fixed part takes.
  var minimumSize: Int {
    switch form {
    case .whole(let size): size
    case .compact: MemoryLayout<sockscope_record_head>.size
    }
  }

  /// The record at `offset` as a whole `sockscope_record`, and the length of its fixed part (where
  /// its address starts); nil when the fixed part runs past the end of the log. `minimumSize` bytes
  /// at `offset` must be available.
  func record(in bytes: inout LogWindow, at offset: Int) throws(TraceFileError) -> (sockscope_record, Int)? {
    switch form {
    case .whole(let size):
      if size == MemoryLayout<sockscope_record>.size {
        return (bytes.load(offset, as: sockscope_record.self), size)
      }
      var record = sockscope_record()
      let slice = bytes.bytes(offset, size)
      withUnsafeMutableBytes(of: &record) { out in
        slice.withUnsafeBytes { out.copyMemory(from: $0) }
      }
      return (record, size)
    case .compact:
      let head = bytes.load(offset, as: sockscope_record_head.self)
      var words = head.fields & (SOCKSCOPE_FIELDS_WORDS - 1)
      let length = MemoryLayout<sockscope_record_head>.size + 8 * words.nonzeroBitCount
      guard try bytes.has(offset, length) else { return nil }
      var r = sockscope_record()
      r.magic = head.magic
      r.size = head.size
      r.t_ns = head.t_ns
      r.tid = head.tid
      r.call = head.call
      r.flags = head.flags
      r.fd = head.fd
      var at = offset + MemoryLayout<sockscope_record_head>.size
      while words != 0 {
        Self.set(word: words.trailingZeroBitCount, to: bytes.load(at, as: UInt64.self), in: &r)
        words &= words - 1
        at += 8
      }
      if head.fields & SOCKSCOPE_FIELDS_RET_IS_DATA != 0 { r.ret = Int64(r.data_len) }
      if head.fields & SOCKSCOPE_FIELDS_FULL_IS_RET != 0 { r.full_len = UInt64(bitPattern: r.ret) }
      if let counter, head.magic == SOCKSCOPE_RECORD_MAGIC, head.call < UInt16(SOCKSCOPE_META_STRING.rawValue)
      {
        // A record that kept its number (one settled later) is believed; the others are counted.
        if head.fields & (1 << SOCKSCOPE_WORD_SEQ.rawValue) != 0 {
          counter.next = r.seq
        } else {
          r.seq = counter.next
        }
        counter.next &+= 1
      }
      return (r, length)
    }
  }

  /// Stores word number `index` (enum sockscope_record_word) of a version 3 or 4 record into `r`. A word
  /// this reader does not know (from a newer writer) is skipped.
  static func set(word index: Int, to value: UInt64, in r: inout sockscope_record) {
    let low = UInt32(truncatingIfNeeded: value)
    let high = UInt32(truncatingIfNeeded: value >> 32)
    switch UInt32(index) {
    case SOCKSCOPE_WORD_SEQ.rawValue: r.seq = value
    case SOCKSCOPE_WORD_DUR.rawValue: r.dur_ns = value
    case SOCKSCOPE_WORD_RET.rawValue: r.ret = Int64(bitPattern: value)
    case SOCKSCOPE_WORD_ERR.rawValue:
      r.err = Int32(bitPattern: low)
      r.items_lost = high
    case SOCKSCOPE_WORD_A0.rawValue: r.a0 = Int64(bitPattern: value)
    case SOCKSCOPE_WORD_A1.rawValue: r.a1 = Int64(bitPattern: value)
    case SOCKSCOPE_WORD_A2.rawValue: r.a2 = Int64(bitPattern: value)
    case SOCKSCOPE_WORD_A3.rawValue: r.a3 = Int64(bitPattern: value)
    case SOCKSCOPE_WORD_SOCK_INO.rawValue: r.sock_ino = value
    case SOCKSCOPE_WORD_PEER_INO.rawValue: r.peer_ino = value
    case SOCKSCOPE_WORD_PATH_INO.rawValue: r.path_ino = value
    case SOCKSCOPE_WORD_FULL_LEN.rawValue: r.full_len = value
    case SOCKSCOPE_WORD_LENGTHS.rawValue:
      r.addr_len = low
      r.data_len = high
    case SOCKSCOPE_WORD_EXTRA.rawValue:
      r.extra_len = low
      r.src_line = high
    case SOCKSCOPE_WORD_CALLER.rawValue: r.caller = value
    case SOCKSCOPE_WORD_MODULE.rawValue:
      r.src_module = low
      r.src_file = high
    case SOCKSCOPE_WORD_FUNC.rawValue: r.src_func = low
    default: break
    }
  }
}
