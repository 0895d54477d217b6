// The first code the program runs: if this CPU lacks the instruction set the build was compiled
// for (RECOVERYSIM_BASELINE, x86-64-v2 by default), say so in one line and exit 1, where
// otherwise the first such instruction would kill the process with SIGILL and no message.
//
// It runs from .preinit_array, before any initialiser of the program or of its libraries, and
// this file alone is compiled for plain x86-64 (sim/app/cli/CMakeLists.txt), so that the check
// itself runs on any x86-64 CPU. GCC's CPU model (libgcc, also plain x86-64) answers.
#include <unistd.h>

namespace {

#define RECOVERYSIM_CHECK_LINE(what)         \
  "recoverysim: error: this CPU lacks " what \
  " that this build needs; rebuild with "    \
  "-DRECOVERYSIM_BASELINE=x86-64\n"

[[gnu::no_sanitize_address, gnu::no_sanitize_undefined]] void check_cpu(int, char**, char**) {
  __builtin_cpu_init();
#if RECOVERYSIM_CPU_LEVEL == 2
  if (__builtin_cpu_supports("x86-64-v2")) return;
  static const char line[] = RECOVERYSIM_CHECK_LINE("SSE4.2/POPCNT (x86-64-v2)");
#elif RECOVERYSIM_CPU_LEVEL == 3
  if (__builtin_cpu_supports("x86-64-v3")) return;
  static const char line[] = RECOVERYSIM_CHECK_LINE("AVX2 (x86-64-v3)");
#elif RECOVERYSIM_CPU_LEVEL == 4
  if (__builtin_cpu_supports("x86-64-v4")) return;
  static const char line[] = RECOVERYSIM_CHECK_LINE("AVX-512 (x86-64-v4)");
#else
#error "RECOVERYSIM_CPU_LEVEL: 2, 3 or 4"
#endif
  const ssize_t written = write(STDERR_FILENO, line, sizeof line - 1);
  static_cast<void>(written);
  _exit(1);
}

}  // namespace

// Called by the dynamic loader before every other initialiser (glibc's _dl_init).
[[gnu::used, gnu::section(".preinit_array")]] static void (*const run_check_cpu)(int, char**, char**) = check_cpu;
