import Testing

@testable import SockScopeTrace

@Suite("Argument names")
struct ArgumentNamesTests {
  @Test("socket types read as strace prints them, flags included")
  func socketTypes() {
    #expect(ArgumentNames.socketType(2) == "SOCK_DGRAM")
    #expect(ArgumentNames.socketType(1 | 0o2000000) == "SOCK_STREAM|SOCK_CLOEXEC")
    #expect(ArgumentNames.socketType(5 | 0o4000) == "SOCK_SEQPACKET|SOCK_NONBLOCK")
  }

  @Test("message flags are named, unknown bits shown in hex, none as 0")
  func messageFlags() {
    #expect(ArgumentNames.messageFlags(0) == "0")
    #expect(ArgumentNames.messageFlags(0x20 | 0x40) == "MSG_TRUNC|MSG_DONTWAIT")
    #expect(ArgumentNames.messageFlags(0x100_0000) == "0x1000000")
  }

  @Test("domains, shutdown directions and socket options are named")
  func otherNames() {
    #expect(ArgumentNames.domain(1) == "AF_UNIX")
    #expect(ArgumentNames.domain(99) == "99")
    #expect(ArgumentNames.shutdownHow(2) == "SHUT_RDWR")
    #expect(ArgumentNames.socketOption(16, level: 1) == "SO_PASSCRED")
  }

  @Test("errno values carry their symbol and message")
  func errnoNames() {
    let f = ArgumentNames.failure(errno: 2)
    #expect(f.name == "ENOENT")
    #expect(f.message == "No such file or directory")
    #expect(ArgumentNames.failure(errno: 111).name == "ECONNREFUSED")
    #expect(ArgumentNames.failure(errno: 9999).name == "errno 9999")
  }
}
