// Counter-based random streams (Random123 Philox4x32-10) and the transforms that turn
// their 32-bit outputs into the draws the model needs.
//
// Every draw is addressed, never sequenced: key = (seed, replicate), counter = (agent, day,
// stream, draw). An agent therefore gets the same number for the same decision whatever the
// thread that computes it, the order of agents, or the arm it is simulated in. The standard
// library's distributions are deliberately not used: their algorithms differ between
// implementations, and results must not.
#pragma once

#include "kernels.hpp"
#include "portable_math.hpp"

#include <Random123/philox.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

namespace recoverysim {

using Philox = r123::Philox4x32;  // Philox4x32-10, exactly as Random123 defines it

// Philox4x32-10's multipliers, key increments and rounds, as Random123 defines them: the one
// definition that the lane versions below write out (philox_lanes, philox_8, philox_16), each
// checked against Random123 output for output (tests/sim/test_random.cpp).
namespace philox_constants {
inline constexpr std::uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;  // multipliers
inline constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;  // key increments
inline constexpr int rounds = 10;
}  // namespace philox_constants

// Stream ids: one per kind of decision. Core ids are below 1000; each intervention module
// gets its own block of ids (module_stream_base), so adding a module never moves a core draw.
enum class Stream : std::uint32_t {
  core_day = 0,   // one block per agent-day: the four slots of CoreDaySlot
  substance = 1,  // attributes drawn at creation, one stream each
  severity = 2,
  mental_health = 3,
  baseline_support = 4,
  baseline_engagement = 5,
  withdrawal_length = 6,  // d_W, drawn at creation (day 0) and at each readmission day
  parameter_draws = 7,    // uncertain scenario parameters, once per replicate (counter: hash of the path)
  age = 8,                // age at admission, drawn at creation
  sex = 9,
  entry_setting = 10,  // the setting of an episode, drawn on its first day (creation: day 0)
  step_down = 11,      // whether a completed episode steps down, drawn on the completion day
  waiting_list = 12,   // leaving a waiting list unserved, drawn each day on the list after the first
  // Which posterior set of a calibration a replicate runs with (sim/app/run/parameter_sets.hpp):
  // once per replicate, counter (name_counter("parameter-sets"), 0, parameter_sets, 0).
  parameter_sets = 13,
};
inline constexpr std::uint32_t module_stream_base = 1000;

// The four outputs of the core-day block. Decisions that can never happen to the same agent
// on the same day (the exits from different states; dropout and readmission) share a slot.
// The cause of a death splits the death slot's uniform: no draw of its own.
enum CoreDaySlot : unsigned { slot_stress = 0, slot_death = 1, slot_state_exit = 2, slot_treatment_exit = 3 };

struct RandomKey {
  std::uint32_t seed = 0;
  std::uint32_t replicate = 0;
};

// One Philox block: four independent 32-bit uniforms for (agent, day, stream, draw).
inline std::array<std::uint32_t, 4> philox_block(RandomKey key, std::uint32_t agent, std::uint32_t day,
                                                 std::uint32_t stream, std::uint32_t draw) {
  const Philox::ctr_type ctr = {{agent, day, stream, draw}};
  const Philox::key_type k = {{key.seed, key.replicate}};
  const Philox::ctr_type out = Philox{}(ctr, k);
  return {out.v[0], out.v[1], out.v[2], out.v[3]};
}

// Philox4x32-10 for `lanes` consecutive agents at once: out[j][l] is output j of the block
// for counter (first_agent + l, day, stream, draw), the same numbers as philox_block(). The
// lanes are independent, so the compiler turns each round into a few vector instructions;
// tests/sim/test_random.cpp checks it against Random123 output for output. The first argument
// is the instruction set of the calling kernel (kernels.hpp): with AVX-512, written out below.
template <std::size_t lanes, class Isa>
[[gnu::always_inline]] inline void philox_lanes(Isa, RandomKey key, std::uint32_t first_agent, std::uint32_t day,
                                                std::uint32_t stream, std::uint32_t draw,
                                                std::uint32_t (&out)[4][lanes]) {
  constexpr std::uint64_t m0 = philox_constants::m0, m1 = philox_constants::m1;
  constexpr std::uint32_t w0 = philox_constants::w0, w1 = philox_constants::w1;
  std::uint32_t* __restrict x0 = out[0];
  std::uint32_t* __restrict x1 = out[1];
  std::uint32_t* __restrict x2 = out[2];
  std::uint32_t* __restrict x3 = out[3];
  for (std::size_t l = 0; l < lanes; ++l) {
    x0[l] = first_agent + static_cast<std::uint32_t>(l);
    x1[l] = day;
    x2[l] = stream;
    x3[l] = draw;
  }
  std::uint32_t k0 = key.seed, k1 = key.replicate;
  for (int round = 0; round < philox_constants::rounds; ++round) {
    for (std::size_t l = 0; l < lanes; ++l) {
      const std::uint64_t p0 = m0 * x0[l];
      const std::uint64_t p1 = m1 * x2[l];
      const auto y0 = static_cast<std::uint32_t>(p1 >> 32) ^ x1[l] ^ k0;
      const auto y2 = static_cast<std::uint32_t>(p0 >> 32) ^ x3[l] ^ k1;
      x1[l] = static_cast<std::uint32_t>(p1);
      x3[l] = static_cast<std::uint32_t>(p0);
      x0[l] = y0;
      x2[l] = y2;
    }
    k0 += w0;
    k1 += w1;
  }
}

// The same in the build's own instruction set (tests, benchmarks, code outside the kernels).
template <std::size_t lanes>
inline void philox_lanes(RandomKey key, std::uint32_t first_agent, std::uint32_t day, std::uint32_t stream,
                         std::uint32_t draw, std::uint32_t (&out)[4][lanes]) {
  philox_lanes<lanes>(BaselineKernel::isa{}, key, first_agent, day, stream, draw, out);
}

#if defined(__x86_64__)
// Philox4x32-10 on 16 counters (x0, x1, x2, x3) at once, in AVX-512 registers, in place. Written
// out because the compiler turns the portable loop's 32x32->64-bit products into 64-bit
// multiplies (vpmullq, several times slower): here each round takes the even and odd lanes'
// products with vpmuludq and picks their halves back into place with one vpermt2d each. The
// zero-masked forms are the same instructions (all lanes kept); GCC 12's unmasked forms read an
// undefined pass-through operand that its warnings report as uninitialised. Only the AVX-512
// kernel calls it (the target attribute lets it be inlined there, and nowhere else).
[[gnu::target("avx512f"), gnu::always_inline]] inline void philox_16(RandomKey key, __m512i& x0, __m512i& x1,
                                                                     __m512i& x2, __m512i& x3) {
  const __m512i m0 = _mm512_set1_epi64(philox_constants::m0), m1 = _mm512_set1_epi64(philox_constants::m1);
  // Lane 2j of a result from lane 2j (+1 for the high half) of the even products, lane 2j + 1
  // from the same lane of the odd ones (indices 16 and up).
  const __m512i high_halves = _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  const __m512i low_halves = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
  constexpr __mmask8 all = 0xFF;
  std::uint32_t k0 = key.seed, k1 = key.replicate;
  for (int round = 0; round < philox_constants::rounds; ++round) {
    const __m512i even0 = _mm512_maskz_mul_epu32(all, x0, m0);
    const __m512i odd0 = _mm512_maskz_mul_epu32(all, _mm512_maskz_srli_epi64(all, x0, 32), m0);
    const __m512i even2 = _mm512_maskz_mul_epu32(all, x2, m1);
    const __m512i odd2 = _mm512_maskz_mul_epu32(all, _mm512_maskz_srli_epi64(all, x2, 32), m1);
    const __m512i hi0 = _mm512_permutex2var_epi32(even0, high_halves, odd0);
    const __m512i lo0 = _mm512_permutex2var_epi32(even0, low_halves, odd0);
    const __m512i hi2 = _mm512_permutex2var_epi32(even2, high_halves, odd2);
    const __m512i lo2 = _mm512_permutex2var_epi32(even2, low_halves, odd2);
    x0 = _mm512_ternarylogic_epi32(hi2, x1, _mm512_set1_epi32(static_cast<int>(k0)), 0x96);  // a ^ b ^ c
    x2 = _mm512_ternarylogic_epi32(hi0, x3, _mm512_set1_epi32(static_cast<int>(k1)), 0x96);
    x1 = lo2;
    x3 = lo0;
    k0 += philox_constants::w0;
    k1 += philox_constants::w1;
  }
}

// The same on 8 counters in AVX2 registers: the even and odd lanes' products with vpmuludq, their
// halves blended back into place. Only the AVX2 kernel calls it.
[[gnu::target("avx2"), gnu::always_inline]] inline void philox_8(RandomKey key, __m256i& x0, __m256i& x1, __m256i& x2,
                                                                 __m256i& x3) {
  const __m256i m0 = _mm256_set1_epi64x(philox_constants::m0), m1 = _mm256_set1_epi64x(philox_constants::m1);
  constexpr int odd = 0xAA;
  std::uint32_t k0 = key.seed, k1 = key.replicate;
  for (int round = 0; round < philox_constants::rounds; ++round) {
    const __m256i even0 = _mm256_mul_epu32(x0, m0), odd0 = _mm256_mul_epu32(_mm256_srli_epi64(x0, 32), m0);
    const __m256i even2 = _mm256_mul_epu32(x2, m1), odd2 = _mm256_mul_epu32(_mm256_srli_epi64(x2, 32), m1);
    const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(even0, 32), odd0, odd);
    const __m256i lo0 = _mm256_blend_epi32(even0, _mm256_slli_epi64(odd0, 32), odd);
    const __m256i hi2 = _mm256_blend_epi32(_mm256_srli_epi64(even2, 32), odd2, odd);
    const __m256i lo2 = _mm256_blend_epi32(even2, _mm256_slli_epi64(odd2, 32), odd);
    x0 = _mm256_xor_si256(_mm256_xor_si256(hi2, x1), _mm256_set1_epi32(static_cast<int>(k0)));
    x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(k1)));
    x1 = lo2;
    x3 = lo0;
    k0 += philox_constants::w0;
    k1 += philox_constants::w1;
  }
}

// philox_lanes for the 16 agents from first_agent.
[[gnu::target("avx512f"), gnu::always_inline]] inline void philox_16(RandomKey key, std::uint32_t first_agent,
                                                                     std::uint32_t day, std::uint32_t stream,
                                                                     std::uint32_t draw, std::uint32_t* x0_out,
                                                                     std::uint32_t* x1_out, std::uint32_t* x2_out,
                                                                     std::uint32_t* x3_out) {
  __m512i x0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first_agent)),
                                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  __m512i x1 = _mm512_set1_epi32(static_cast<int>(day)), x2 = _mm512_set1_epi32(static_cast<int>(stream));
  __m512i x3 = _mm512_set1_epi32(static_cast<int>(draw));
  philox_16(key, x0, x1, x2, x3);
  _mm512_storeu_si512(x0_out, x0);
  _mm512_storeu_si512(x1_out, x1);
  _mm512_storeu_si512(x2_out, x2);
  _mm512_storeu_si512(x3_out, x3);
}

template <std::size_t lanes>
[[gnu::target("avx512f"), gnu::always_inline]] inline void philox_lanes(Avx512Isa, RandomKey key,
                                                                        std::uint32_t first_agent, std::uint32_t day,
                                                                        std::uint32_t stream, std::uint32_t draw,
                                                                        std::uint32_t (&out)[4][lanes]) {
  static_assert(lanes % 16 == 0, "the AVX-512 Philox works on 16 lanes at a time");
  for (std::size_t b = 0; b < lanes; b += 16)
    philox_16(key, first_agent + static_cast<std::uint32_t>(b), day, stream, draw, out[0] + b, out[1] + b, out[2] + b,
              out[3] + b);
}
#endif

// ---- transforms of 32-bit uniforms ------------------------------------------------------

inline constexpr double two_pow_32 = 4294967296.0;

// Uniform on the open interval (0, 1): never 0 or 1, so log() is always finite. The functions
// below use portable_math.hpp rather than <cmath>: the same bits on every CPU.
inline double to_open_unit(std::uint32_t u) { return (static_cast<double>(u) + 0.5) / two_pow_32; }

// True with probability p (p outside [0,1] saturates).
inline bool bernoulli(std::uint32_t u, double p) { return static_cast<double>(u) < p * two_pow_32; }

// Probability that an event with constant hazard h (per day) happens within one day.
inline double hazard_to_probability(double hazard_per_day) { return -portable::expm1(-hazard_per_day); }

inline double logistic(double x) { return 1.0 / (1.0 + portable::exp(-x)); }

// Geometric on {1, 2, ...} with the given mean (>= 1): P(k) = p (1-p)^(k-1), p = 1/mean.
inline std::uint32_t geometric_from_mean(std::uint32_t u, double mean) {
  if (mean <= 1.0) return 1;
  const double p = 1.0 / mean;
  const double k = std::floor(portable::log(to_open_unit(u)) / portable::log1p(-p));
  return k >= 4.0e9 ? 4000000000u : 1u + static_cast<std::uint32_t>(k);
}

// Index of the category into which u falls, given cumulative probabilities ending at 1.
inline unsigned categorical(std::uint32_t u, std::span<const double> cumulative) {
  const double x = to_open_unit(u);
  for (unsigned i = 0; i + 1 < cumulative.size(); ++i)
    if (x < cumulative[i]) return i;
  return static_cast<unsigned>(cumulative.size() - 1);
}

// FNV-1a of a name: a fixed counter for a named quantity (a parameter's path, an arm), the
// same whatever the order in which names are declared.
inline std::uint32_t name_counter(std::string_view name) {
  std::uint32_t hash = 2166136261u;
  for (const unsigned char c : name) hash = (hash ^ c) * 16777619u;
  return hash;
}

// A sequence of uniforms for one (agent, day, stream): blocks draw = 0, 1, 2, ... consumed
// four outputs at a time. Used where a draw needs a variable number of uniforms (gamma, beta).
class DrawSequence {
 public:
  DrawSequence(RandomKey key, std::uint32_t agent, std::uint32_t day, std::uint32_t stream)
      : key_(key), agent_(agent), day_(day), stream_(stream) {}

  std::uint32_t next_u32() {
    if (used_ == 4) {
      block_ = philox_block(key_, agent_, day_, stream_, draw_++);
      used_ = 0;
    }
    return block_[used_++];
  }
  double next_open_unit() { return to_open_unit(next_u32()); }

  // Standard normal by Box-Muller (one of the pair is discarded to keep the sequence simple).
  double next_normal() {
    const double r = std::sqrt(-2.0 * portable::log(next_open_unit()));
    return r * portable::cos(6.283185307179586 * next_open_unit());
  }

  // Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 via the boost Gamma(a+1) U^(1/a).
  double next_gamma(double shape) {
    if (shape < 1.0) {
      const double boost = portable::pow(next_open_unit(), 1.0 / shape);
      return next_gamma(shape + 1.0) * boost;
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x = 0.0;
      double v = 0.0;
      do {
        x = next_normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = next_open_unit();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
      if (portable::log(u) < 0.5 * x * x + d * (1.0 - v + portable::log(v))) return d * v;
    }
  }

  double next_beta(double a, double b) {
    const double x = next_gamma(a);
    const double y = next_gamma(b);
    return x / (x + y);
  }

 private:
  RandomKey key_;
  std::uint32_t agent_, day_, stream_;
  std::uint32_t draw_ = 0;
  std::array<std::uint32_t, 4> block_{};
  unsigned used_ = 4;
};

}  // namespace recoverysim
