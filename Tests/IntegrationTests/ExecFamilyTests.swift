import Foundation
import SockScopeAnalysis
import SockScopeTrace
import Testing

/// A C program that hands one end of a socketpair to a child, which execs this program again
/// through the exec function named in `argv[1]`; the new program sends a datagram that says how
/// it was started and with which arguments, and the parent prints it. Each exec function is hooked
/// by the interposer on its own (glibc's call its internal `__execve`), and the variadic ones
/// gather their arguments there, so each must start the same program with the same arguments and
/// environment as unrecorded.
let execFamilyC = #"""
  #define _GNU_SOURCE
  #include <fcntl.h>
  #include <stdio.h>
  #include <stdlib.h>
  #include <string.h>
  #include <sys/socket.h>
  #include <sys/wait.h>
  #include <unistd.h>

  extern char **environ;

  // The new program: argv is exec-family child FD FUNCTION.
  static int child(int argc, char **argv) {
    int fd = atoi(argv[2]);
    const char *marker = getenv("EXEC_FAMILY_MARKER");
    char message[256];
    int n = snprintf(message, sizeof message, "%s: argc %d, argv %s %s %s %s, marker %s", argv[3], argc,
                     argv[0], argv[1], argv[2], argv[3], marker ? marker : "(none)");
    return send(fd, message, (size_t)n, 0) == n ? 0 : 1;
  }

  int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "child") == 0) return child(argc, argv);
    if (argc != 3) return 2;
    const char *function = argv[1], *dir = argv[2];
    char self[4096];
    snprintf(self, sizeof self, "%s/exec-family", dir);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 2;
    char fd[16];
    snprintf(fd, sizeof fd, "%d", sv[1]);
    char *args[] = {"exec-family", "child", fd, (char *)function, NULL};
    setenv("EXEC_FAMILY_MARKER", "kept", 1);
    pid_t pid = fork();
    if (pid == 0) {
      close(sv[0]);
      setenv("PATH", dir, 1); /* the p functions search it for "exec-family" */
      if (!strcmp(function, "execvp")) execvp("exec-family", args);
      else if (!strcmp(function, "execvpe")) execvpe("exec-family", args, environ);
      else if (!strcmp(function, "execl")) execl(self, "exec-family", "child", fd, function, (char *)NULL);
      else if (!strcmp(function, "execlp")) execlp("exec-family", "exec-family", "child", fd, function, (char *)NULL);
      else if (!strcmp(function, "execle"))
        execle(self, "exec-family", "child", fd, function, (char *)NULL, environ);
      else if (!strcmp(function, "fexecve")) {
        int exe = open(self, O_RDONLY | O_CLOEXEC);
        fexecve(exe, args, environ);
      } else if (!strcmp(function, "execveat")) {
        int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        execveat(d, "exec-family", args, environ, 0);
      }
      _exit(127);
    }
    close(sv[1]);
    char buffer[512];
    ssize_t n = recv(sv[0], buffer, sizeof buffer - 1, 0);
    buffer[n > 0 ? n : 0] = 0;
    int status = 0;
    waitpid(pid, &status, 0);
    printf("parent got: %s\nchild exited with %d\n", buffer, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
  }
  """#

@Suite("Every exec function, recorded", .serialized)
struct ExecFamilyTests {
  static let functions = ["execvp", "execvpe", "execl", "execlp", "execle", "fexecve", "execveat"]

  @Test(
    "each exec function starts the same program with the same arguments and environment as unrecorded, and is recorded as itself",
    needs("gcc"), arguments: functions)
  func execFunction(_ function: String) throws {
    try withTemporaryDirectory { dir throws in
      try compileC(execFamilyC, named: "exec-family", in: dir)
      let program = dir + "/exec-family"
      let plain = try run(program, [function, dir], in: dir)
      #expect(plain.status == 0, "\(plain.stderr)")
      #expect(
        plain.stdout.hasPrefix("parent got: \(function): argc 4, argv exec-family child ")
          && plain.stdout.hasSuffix(" \(function), marker kept\nchild exited with 0\n"),
        "unrecorded: \(plain.stdout)")

      let recorded = try sockscope(
        ["record", "--out", "run", "--role", "parent", "--", program, function, dir], in: dir, seconds: 60)
      #expect(recorded.status == 0, "\(recorded.stderr)")
      #expect(recorded.stdout == plain.stdout, "the program behaves as unrecorded")

      let trace = try readTrace(dir + "/run/trace.jsonl")
      let model = KernelModel(trace: trace)
      // Recorded once: glibc's fexecve and execlp call other exec functions inside, not the hooks.
      #expect(model.events.filter { $0.call == .execve }.count == 1)
      let exec = try #require(model.events.firstIndex { $0.call == .execve }, "the exec is recorded")
      #expect(model.events[exec].succeeded)
      #expect(model.events[exec].execFunction == function)
      let expectedPath: String? =
        switch function {
        case "fexecve": nil
        case "execl", "execle": program
        default: "exec-family"
        }
      #expect(model.events[exec].execPath == expectedPath)
      let child = model.events[exec].pid
      // The new program is recorded too: its send, after the exec, in the same process.
      let send = try #require(
        model.events.firstIndex { $0.pid == child && $0.call.sendsData && $0.succeeded },
        "the new program's send is recorded")
      #expect(send > exec)
      let sent = String(decoding: model.events[send].data?.bytes ?? [], as: UTF8.self)
      #expect(plain.stdout.contains(sent) && sent.hasPrefix("\(function): argc 4"), "\(sent)")
    }
  }
}
