// Counter-based random streams (Random123 Philox4x32-10) and the transforms that turn
// their 32-bit outputs into the draws the model needs.
//
// Every draw is addressed, never sequenced: key = (seed, replicate), counter = (agent, day,
// stream, draw). An agent therefore gets the same number for the same decision whatever the
// thread that computes it, the order of agents, or the arm it is simulated in. The standard
// library's distributions are deliberately not used: their algorithms differ between
// implementations, and results must not.
#pragma once

#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <span>

namespace recoverysim {

using Philox = r123::Philox4x32;  // Philox4x32-10, exactly as Random123 defines it

// Stream ids: one per kind of decision. Core ids are below 1000; each intervention module
// gets its own block of ids (module_stream_base), so adding a module never moves a core draw.
enum class Stream : std::uint32_t {
  core_day = 0,          // one block per agent-day: the four slots of CoreDaySlot
  substance = 1,         // attributes drawn at creation, one stream each
  severity = 2,
  mental_health = 3,
  baseline_support = 4,
  baseline_engagement = 5,
  withdrawal_length = 6, // d_W, drawn at creation (day 0) and at each readmission day
  parameter_draws = 7,   // uncertain scenario parameters, once per replicate (counter: hash of the path)
};
inline constexpr std::uint32_t module_stream_base = 1000;

// The four outputs of the core-day block. Decisions that can never happen to the same agent
// on the same day (the exits from different states; dropout and readmission) share a slot.
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
// tests/sim/test_random.cpp checks it against Random123 output for output.
template <std::size_t lanes>
inline void philox_lanes(RandomKey key, std::uint32_t first_agent, std::uint32_t day, std::uint32_t stream,
                         std::uint32_t draw, std::uint32_t (&out)[4][lanes]) {
  constexpr std::uint64_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;  // Random123's multipliers
  constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;  // and key increments
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
  for (int round = 0; round < 10; ++round) {
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

// ---- transforms of 32-bit uniforms ------------------------------------------------------

inline constexpr double two_pow_32 = 4294967296.0;

// Uniform on the open interval (0, 1): never 0 or 1, so log() is always finite.
inline double to_open_unit(std::uint32_t u) { return (static_cast<double>(u) + 0.5) / two_pow_32; }

// True with probability p (p outside [0,1] saturates).
inline bool bernoulli(std::uint32_t u, double p) { return static_cast<double>(u) < p * two_pow_32; }

// Probability that an event with constant hazard h (per day) happens within one day.
inline double hazard_to_probability(double hazard_per_day) { return -std::expm1(-hazard_per_day); }

inline double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Geometric on {1, 2, ...} with the given mean (>= 1): P(k) = p (1-p)^(k-1), p = 1/mean.
inline std::uint32_t geometric_from_mean(std::uint32_t u, double mean) {
  if (mean <= 1.0) return 1;
  const double p = 1.0 / mean;
  const double k = std::floor(std::log(to_open_unit(u)) / std::log1p(-p));
  return k >= 4.0e9 ? 4000000000u : 1u + static_cast<std::uint32_t>(k);
}

// Index of the category into which u falls, given cumulative probabilities ending at 1.
inline unsigned categorical(std::uint32_t u, std::span<const double> cumulative) {
  const double x = to_open_unit(u);
  for (unsigned i = 0; i + 1 < cumulative.size(); ++i)
    if (x < cumulative[i]) return i;
  return static_cast<unsigned>(cumulative.size() - 1);
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
    const double r = std::sqrt(-2.0 * std::log(next_open_unit()));
    return r * std::cos(6.283185307179586 * next_open_unit());
  }

  // Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 via the boost Gamma(a+1) U^(1/a).
  double next_gamma(double shape) {
    if (shape < 1.0) {
      const double boost = std::pow(next_open_unit(), 1.0 / shape);
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
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
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
