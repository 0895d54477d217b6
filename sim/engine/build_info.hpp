// What this build is: the compiler, the instruction set it was compiled for, and the kernel in
// use, in one short line that results and logs can carry.
#pragma once

#include <string>

namespace recoverysim {

// "gcc 12.2.0; x86-64-v2; kernel avx512": the compiler and its version; the -march of the build
// (x86-64-v2 by default, "native" for RECOVERYSIM_NATIVE, "default" when none was given); and
// kernel_name(kernel_in_use()). Chooses the kernel if it was not chosen yet, so it throws
// KernelError where kernel_in_use() would.
std::string build_fingerprint();

}  // namespace recoverysim
