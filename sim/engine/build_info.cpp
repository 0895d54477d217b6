// The build fingerprint (build_info.hpp).
#include "build_info.hpp"

#include "kernels.hpp"

namespace recoverysim {

namespace {

#define RECOVERYSIM_TEXT(x) RECOVERYSIM_TEXT_(x)
#define RECOVERYSIM_TEXT_(x) #x

constexpr const char* compiler =
#if defined(__clang__)
    "clang " RECOVERYSIM_TEXT(__clang_major__) "." RECOVERYSIM_TEXT(__clang_minor__) "." RECOVERYSIM_TEXT(
        __clang_patchlevel__);
#elif defined(__GNUC__)
    "gcc " RECOVERYSIM_TEXT(__GNUC__) "." RECOVERYSIM_TEXT(__GNUC_MINOR__) "." RECOVERYSIM_TEXT(__GNUC_PATCHLEVEL__);
#else
    "unknown compiler";
#endif

// The build's -march, from CMake (RECOVERYSIM_BASELINE, or native).
#if defined(RECOVERYSIM_MARCH)
constexpr const char* target = RECOVERYSIM_MARCH;
#else
constexpr const char* target = "default";
#endif

}  // namespace

std::string build_fingerprint() {
  return std::string(compiler) + "; " + (*target ? target : "default") + "; kernel " + kernel_name(kernel_in_use());
}

}  // namespace recoverysim
