// The modules' vectorised helpers (intervention.hpp): Philox first draws for lists and ranges of
// agents, and the flagged agents of a tile. Compiled once per kernel (kernels.hpp); the modules'
// tile passes call their own kernel's, everything else the one in use.
#include "intervention.hpp"

#include <algorithm>
#include <bit>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "kernel_region.hpp"  // last: what follows is compiled for this file's kernel

namespace recoverysim::recovery {

// Named per kernel rather than anonymous: this file is also compiled as an included one.
namespace RECOVERYSIM_KERNEL_NAMESPACE {

#if RECOVERYSIM_KERNEL_AVX512
// Philox4x32-10, output 0, for the 16 counters (agent, day, stream, 0) held in `agent`.
inline __m512i philox_first_16(RandomKey key, __m512i agent, std::uint32_t day, std::uint32_t stream) {
  __m512i x0 = agent, x1 = _mm512_set1_epi32(static_cast<int>(day)), x2 = _mm512_set1_epi32(static_cast<int>(stream));
  __m512i x3 = _mm512_setzero_si512();
  philox_16(key, x0, x1, x2, x3);
  return x0;
}
#elif RECOVERYSIM_KERNEL_AVX2
// The same for 8 counters.
inline __m256i philox_first_8(RandomKey key, __m256i agent, std::uint32_t day, std::uint32_t stream) {
  __m256i x0 = agent, x1 = _mm256_set1_epi32(static_cast<int>(day)), x2 = _mm256_set1_epi32(static_cast<int>(stream));
  __m256i x3 = _mm256_setzero_si256();
  philox_8(key, x0, x1, x2, x3);
  return x0;
}
#endif

}  // namespace RECOVERYSIM_KERNEL_NAMESPACE

using namespace RECOVERYSIM_KERNEL_NAMESPACE;

template <class KernelTag>
void first_draws_for(RandomKey key, std::span<const std::int32_t> agents, std::uint32_t day, std::uint32_t stream,
                     std::span<std::uint32_t> out) {
  std::size_t k = 0;
#if RECOVERYSIM_KERNEL_AVX512
  for (; k + 16 <= agents.size(); k += 16) {
    const __m512i agent = _mm512_loadu_si512(agents.data() + k);
    _mm512_storeu_si512(out.data() + k, philox_first_16(key, agent, day, stream));
  }
  // The last few agents in masked lanes: one vector call costs less than a few scalar ones.
  if (k < agents.size()) {
    const auto mask = static_cast<__mmask16>((1u << (agents.size() - k)) - 1);
    const __m512i agent = _mm512_maskz_loadu_epi32(mask, agents.data() + k);
    _mm512_mask_storeu_epi32(out.data() + k, mask, philox_first_16(key, agent, day, stream));
    return;
  }
#elif RECOVERYSIM_KERNEL_AVX2
  for (; k + 8 <= agents.size(); k += 8) {
    const __m256i agent = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(agents.data() + k));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.data() + k), philox_first_8(key, agent, day, stream));
  }
  if (k + 2 < agents.size()) {
    alignas(32) std::int32_t lanes[8] = {};
    alignas(32) std::uint32_t draws[8];
    std::copy(agents.begin() + static_cast<std::ptrdiff_t>(k), agents.end(), lanes);
    const __m256i agent = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
    _mm256_store_si256(reinterpret_cast<__m256i*>(draws), philox_first_8(key, agent, day, stream));
    std::copy(draws, draws + (agents.size() - k), out.begin() + static_cast<std::ptrdiff_t>(k));
    return;
  }
#endif
  for (; k < agents.size(); ++k) out[k] = philox_block(key, static_cast<std::uint32_t>(agents[k]), day, stream, 0)[0];
}

template <class KernelTag>
void first_draws_of_range_for(RandomKey key, std::size_t first, std::size_t n, std::uint32_t day, std::uint32_t stream,
                              std::uint32_t* out) {
  std::size_t l = 0;
#if RECOVERYSIM_KERNEL_AVX512
  const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (; l < n; l += 16) {
    const __m512i agent = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first + l)), step);
    const auto mask = static_cast<__mmask16>(n - l >= 16 ? 0xFFFFu : (1u << (n - l)) - 1);
    _mm512_mask_storeu_epi32(out + l, mask, philox_first_16(key, agent, day, stream));
  }
#endif
  for (; l < n; ++l) out[l] = philox_block(key, static_cast<std::uint32_t>(first + l), day, stream, 0)[0];
}

template <class KernelTag>
void first_two_draws_of_tile_for(RandomKey key, std::size_t first, std::size_t n, std::uint32_t day,
                                 std::uint32_t stream, std::uint32_t* first_out, std::uint32_t* second_out) {
  std::uint32_t u[4][agents_per_tile];
  philox_lanes<agents_per_tile>(typename KernelTag::isa{}, key, static_cast<std::uint32_t>(first), day, stream, 0, u);
  std::copy_n(u[0], n, first_out);
  std::copy_n(u[1], n, second_out);
}

template <class KernelTag>
std::size_t flagged_agents_for(const std::int32_t* flags, std::size_t n, std::size_t first, std::int32_t* out) {
  std::size_t count = 0, l = 0;
#if RECOVERYSIM_KERNEL_AVX512
  // Eight lanes at a time: the flags were just stored by loops vectorised at that width, and a
  // load of the same width is forwarded from those stores where a wider one would wait for them.
  const __m256i step = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (; l + 8 <= n; l += 8) {
    const __m256i f = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(flags + l));
    const __mmask8 set = _mm256_test_epi32_mask(f, f);
    const __m256i agents = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(first + l)), step);
    // Compressed in a register and stored whole (a compressing store to memory is slow); the
    // lanes past the count are overwritten by the next block or left unused.
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + count), _mm256_maskz_compress_epi32(set, agents));
    count += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(set)));
  }
#endif
  for (; l < n; ++l) {
    out[count] = static_cast<std::int32_t>(first + l);
    count += flags[l] != 0 ? 1 : 0;
  }
  return count;
}

template void first_draws_for<RECOVERYSIM_THIS_KERNEL>(RandomKey, std::span<const std::int32_t>, std::uint32_t,
                                                       std::uint32_t, std::span<std::uint32_t>);
template void first_draws_of_range_for<RECOVERYSIM_THIS_KERNEL>(RandomKey, std::size_t, std::size_t, std::uint32_t,
                                                                std::uint32_t, std::uint32_t*);
template void first_two_draws_of_tile_for<RECOVERYSIM_THIS_KERNEL>(RandomKey, std::size_t, std::size_t, std::uint32_t,
                                                                   std::uint32_t, std::uint32_t*, std::uint32_t*);
template std::size_t flagged_agents_for<RECOVERYSIM_THIS_KERNEL>(const std::int32_t*, std::size_t, std::size_t,
                                                                 std::int32_t*);

}  // namespace recoverysim::recovery
