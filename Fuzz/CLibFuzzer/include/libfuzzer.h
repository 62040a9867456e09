// libFuzzer's entry for programs that have their own main (compiler-rt, FuzzerInterface.h):
// SwiftPM names every executable's entry point itself, so the fuzz build cannot use libFuzzer's
// main and calls this instead. Only the -sanitize=fuzzer build links it.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
