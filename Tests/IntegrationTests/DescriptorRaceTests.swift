import Foundation
import Testing

/// A C program whose second thread keeps duplicating its own file onto the lowest free descriptor
/// number (the one any `open` in the process would get next) and closing it again, while the main
/// thread sends and receives 20 000 datagrams of 1000 bytes: a log that grows by about 20 MB.
/// Prints its file's size at the end.
let descriptorRaceC = #"""
  #include <fcntl.h>
  #include <pthread.h>
  #include <stdio.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <sys/stat.h>
  #include <unistd.h>

  static volatile int stop;
  static int own, spare;

  static void *churn(void *unused) {
    (void)unused;
    while (!stop)
      if (dup2(own, spare) == spare) close(spare);
    return NULL;
  }

  int main(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 2;
    own = open("own.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (own < 0 || write(own, "hello\n", 6) != 6) return 2;
    spare = dup(own); /* the lowest free number: what the next open would get */
    close(spare);
    pthread_t thread;
    pthread_create(&thread, NULL, churn, NULL);
    char message[1000], buffer[1000];
    memset(message, 'x', sizeof message);
    long received = 0;
    for (int i = 0; i < 20000; i++) {
      if (send(sv[0], message, sizeof message, 0) != (ssize_t)sizeof message) return 3;
      if (recv(sv[1], buffer, sizeof buffer, 0) == (ssize_t)sizeof message) received++;
    }
    stop = 1;
    pthread_join(thread, NULL);
    struct stat st;
    fstat(own, &st);
    printf("received %ld, own.dat has %lld bytes\n", received, (long long)st.st_size);
    return 0;
  }
  """#

@Suite("A recorded program's descriptors, raced by its own threads", .serialized)
struct DescriptorRaceTests {
  /// The log is written through its mapping and grown by its path, never through a descriptor in
  /// the program's table while the program runs: a descriptor opened even for a moment (a pwrite of
  /// zeros every 256 KiB was tried) can be the number another thread dup2s onto, and the log's
  /// writes then land in the program's file (a review reproduced it in 5 of 8 runs).
  @Test(
    "a thread that keeps dup2-ing onto the next free number while the log grows never gets the log's writes in its file",
    needs("gcc"))
  func logNeverWritesThroughARacedNumber() throws {
    try withTemporaryDirectory { dir throws in
      try compileC(descriptorRaceC, named: "race", in: dir, flags: ["-O1", "-pthread"])
      let expected = "received 20000, own.dat has 6 bytes\n"
      let plain = try run(dir + "/race", [], in: dir)
      #expect(plain.stdout == expected, "unrecorded: \(plain.stdout)")
      for round in 1...3 {
        let recorded = try sockscope(
          ["record", "--out", "run\(round)", "--", dir + "/race"], in: dir, seconds: 120)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stdout == expected, "round \(round): \(recorded.stdout)")
        let own = try String(contentsOfFile: dir + "/own.dat", encoding: .utf8)
        #expect(own == "hello\n", "round \(round): own.dat is \(own.utf8.count) bytes")
      }
    }
  }
}
