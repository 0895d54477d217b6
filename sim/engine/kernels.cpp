// Which kernels this build has and this CPU runs, and the choice of one (kernels.hpp).
#include "kernels.hpp"

#include <cstdlib>
#include <string_view>

namespace recoverysim {

namespace {

#if defined(RECOVERYSIM_MULTI_KERNEL)
// GCC's own CPU model (libgcc), which also checks that the OS saves the wide registers.
bool cpu_runs(Kernel kernel) {
  __builtin_cpu_init();
  switch (kernel) {
    // clang-tidy reads both level names as one stand-in (scripts/check_style.sh): not clones.
    // NOLINTNEXTLINE(bugprone-branch-clone)
    case Kernel::avx512: return __builtin_cpu_supports("x86-64-v4");
    case Kernel::avx2: return __builtin_cpu_supports("x86-64-v3");
    case Kernel::baseline: return true;
  }
  return false;
}
#else
bool cpu_runs(Kernel kernel) { return kernel == Kernel::baseline; }
#endif

const char* instruction_set(Kernel kernel) {
  switch (kernel) {
    case Kernel::avx512: return "AVX-512 (x86-64-v4)";
    case Kernel::avx2: return "AVX2 (x86-64-v3)";
    case Kernel::baseline: break;
  }
  return "the build's baseline";
}

std::string names(const std::vector<Kernel>& kernels) {
  std::string text;
  for (const Kernel k : kernels) text += (text.empty() ? "" : ", ") + std::string(kernel_name(k));
  return text;
}

Kernel choose_kernel() {
  const std::vector<Kernel> supported = supported_kernels();
  const char* asked = std::getenv("RECOVERYSIM_KERNELS");
  if (asked == nullptr || *asked == '\0' || std::string_view(asked) == "auto") return supported.back();
  for (const Kernel k : built_kernels()) {
    if (std::string_view(asked) != kernel_name(k)) continue;
    if (!cpu_runs(k))
      throw KernelError("RECOVERYSIM_KERNELS=" + std::string(asked) + ": this CPU lacks " + instruction_set(k) +
                        "; it runs " + names(supported));
    return k;
  }
  std::string known = names(built_kernels());
#if defined(RECOVERYSIM_MULTI_KERNEL)
  const std::string why = "unknown kernel";
#else
  const std::string why = "not a kernel of this build";
#endif
  throw KernelError("RECOVERYSIM_KERNELS=" + std::string(asked) + ": " + why + " (this build has " + known +
                    "; or auto)");
}

}  // namespace

const char* kernel_name(Kernel kernel) {
  switch (kernel) {
    case Kernel::avx512: return "avx512";
    case Kernel::avx2: return "avx2";
    case Kernel::baseline: break;
  }
#if defined(RECOVERYSIM_NATIVE_BUILD)
  return "native";
#else
  return "baseline";
#endif
}

std::vector<Kernel> built_kernels() {
#if defined(RECOVERYSIM_MULTI_KERNEL)
  return {Kernel::baseline, Kernel::avx2, Kernel::avx512};
#else
  return {Kernel::baseline};
#endif
}

std::vector<Kernel> supported_kernels() {
  std::vector<Kernel> kernels;
  for (const Kernel k : built_kernels())
    if (cpu_runs(k)) kernels.push_back(k);
  return kernels;
}

Kernel kernel_in_use() {
  // A function-local static: chosen once, by the first caller (a throw leaves it unchosen).
  static const Kernel chosen = choose_kernel();
  return chosen;
}

}  // namespace recoverysim
