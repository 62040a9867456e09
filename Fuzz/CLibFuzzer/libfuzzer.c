// Nothing to compile: the target exists for its header (include/libfuzzer.h).
#include "libfuzzer.h"
