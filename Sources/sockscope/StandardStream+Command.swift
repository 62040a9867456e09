import SockScopeOutput

extension StandardStream {
  /// Refuses to write a command's result to standard output when it is one of the command's own
  /// input files (`sockscope import strace run.log >> run.log`).
  func requireNotAnInput() throws(CommandFailure) {
    guard OutputFileWriter.isInput(descriptor: fd) else { return }
    throw CommandFailure(
      "standard output is an input of this command (the same file, by device and inode); writing it "
        + "would destroy what is being read: redirect the output elsewhere", exitCode: 2)
  }
}
