// Single-precision functions for the per-agent kernel, written with +, -, *, / and exponent
// bit manipulation only. The compiler can then vectorise a loop that calls them (a call to
// std::exp would stop it), and every build computes the same bits on every machine: there is
// no library code whose accuracy differs between versions, and no contraction into FMA
// (-ffp-contract=off). tests/sim/test_lane_math.cpp bounds their error.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

namespace recoverysim {

// e^x, relative error below 3e-7 for x in [-87, 88]; arguments outside are clamped (e^-87 is
// about 1.6e-38, e^88 about 1.7e38).
[[gnu::always_inline]] inline float exp_lane(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  // n = round(x / ln 2): adding 1.5 * 2^23 pushes the fraction bits out of the float.
  constexpr float shifter = 12582912.0f;
  const float n = (x * 1.44269504f + shifter) - shifter;
  // r = x - n ln 2, with ln 2 split in two so that n * ln2_hi is exact; |r| <= 0.35.
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-6f;
  // Taylor series of e^r to degree 7: truncation error below 6e-9 for |r| <= 0.35.
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t biased = static_cast<std::int32_t>(n) + 127;  // 2^n as a float's exponent bits
  return p * std::bit_cast<float>(biased << 23);
}

// 1 - e^-h, the probability that an event of constant hazard h (per day) happens within the
// day. For small h the series keeps full relative precision, where 1 - e^-h would cancel.
[[gnu::always_inline]] inline float probability_within_day_lane(float h) {
  const float series = h * (1.0f - h * (0.5f - h * (1.0f / 6.0f - h * (1.0f / 24.0f - h * (1.0f / 120.0f)))));
  return h < 0.03125f ? series : 1.0f - exp_lane(-h);
}

// True with probability p for a uniform 32-bit u (p >= 1 always, p <= 0 never). Converting u
// to float rounds it to 24 significant bits, so the probability is exact to a relative 6e-8
// however small p is.
[[gnu::always_inline]] inline bool bernoulli_lane(std::uint32_t u, float p) {
  // A select, not `|| p >= 1`: the vectoriser handles float selects better than mixed masks.
  const float threshold = p >= 1.0f ? 8589934592.0f : p * 4294967296.0f;
  return static_cast<float>(u) < threshold;
}

}  // namespace recoverysim
