// The kernels: the instruction sets the hot code (the day kernel, the modules' tile passes, the
// Philox streams) is compiled for, and the one this process uses.
//
// A portable build compiles everything for its baseline (x86-64-v2 on x86-64) and, with GCC on
// x86-64, compiles the hot sources twice more, for AVX2 (x86-64-v3) and for AVX-512
// (x86-64-v4, 512-bit vectors): see kernel_region.hpp. The best kernel the CPU runs is chosen
// once, on first use (the CLI asks at start-up); RECOVERYSIM_KERNELS=baseline|avx2|avx512
// chooses a lower one. Every kernel computes the same bits: only the speed differs.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace recoverysim {

enum class Kernel : std::uint8_t { baseline = 0, avx2 = 1, avx512 = 2 };

// Instruction-set tags for the few functions written with intrinsics (random.hpp,
// intervention_lanes.cpp): what the code of a kernel may use.
struct PortableIsa {};
struct Avx2Isa {};
struct Avx512Isa {};

// Kernel tags: hot functions are templates on one of these, instantiated once per kernel.
struct BaselineKernel {
  static constexpr Kernel id = Kernel::baseline;
  // The baseline is the build's own target: a native build may already have AVX-512.
#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VL__)
  using isa = Avx512Isa;
#elif defined(__x86_64__) && defined(__AVX2__)
  using isa = Avx2Isa;
#else
  using isa = PortableIsa;
#endif
};
struct Avx2Kernel {
  static constexpr Kernel id = Kernel::avx2;
  using isa = Avx2Isa;
};
struct Avx512Kernel {
  static constexpr Kernel id = Kernel::avx512;
  using isa = Avx512Isa;
};

// "baseline", "avx2", "avx512" (a native build calls its one kernel "native").
const char* kernel_name(Kernel kernel);
// The kernels this build has, lowest first.
std::vector<Kernel> built_kernels();
// Those of them this CPU can run, lowest first (always the baseline).
std::vector<Kernel> supported_kernels();

// Why the kernel asked for in RECOVERYSIM_KERNELS cannot be used: one line.
class KernelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The kernel in use, chosen on the first call: the best the CPU supports, or the one named by
// RECOVERYSIM_KERNELS (throws KernelError if it is unknown, not built or beyond this CPU).
Kernel kernel_in_use();

// Calls f(Tag{}) with the tag of the kernel in use: one switch per call, so hot code calls it
// per tile or per day, never per agent.
template <class F>
decltype(auto) with_kernel(F&& f) {
#if defined(RECOVERYSIM_MULTI_KERNEL)
  switch (kernel_in_use()) {
    case Kernel::avx512: return f(Avx512Kernel{});
    case Kernel::avx2: return f(Avx2Kernel{});
    case Kernel::baseline: break;
  }
#endif
  return f(BaselineKernel{});
}

}  // namespace recoverysim
