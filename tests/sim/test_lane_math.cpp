// The kernel's single-precision functions against the C library in double precision.
#include "lane_math.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace recoverysim;

TEST_CASE("exp_lane is within 4e-7 relative error of exp on [-87, 88]") {
  double worst = 0.0;
  for (double x = -87.0; x <= 88.0; x += 0.000731) {
    const auto xf = static_cast<float>(x);
    const double exact = std::exp(static_cast<double>(xf));
    worst = std::max(worst, std::abs(static_cast<double>(exp_lane(xf)) - exact) / exact);
  }
  MESSAGE("largest relative error of exp_lane: " << worst);
  CHECK(worst < 4e-7);
  CHECK(exp_lane(0.0f) == 1.0f);
  CHECK(exp_lane(-1000.0f) > 0.0f);  // clamped, never 0 or NaN
  CHECK(std::isfinite(exp_lane(1000.0f)));
}

TEST_CASE("probability_within_day_lane keeps its relative precision for tiny hazards") {
  double worst = 0.0;
  for (double h = 1e-9; h < 30.0; h *= 1.01) {
    const auto hf = static_cast<float>(h);
    const double exact = -std::expm1(-static_cast<double>(hf));
    worst = std::max(worst, std::abs(static_cast<double>(probability_within_day_lane(hf)) - exact) / exact);
  }
  MESSAGE("largest relative error of probability_within_day_lane: " << worst);
  CHECK(worst < 4e-6);
  CHECK(probability_within_day_lane(0.0f) == 0.0f);
}

TEST_CASE("bernoulli_lane: p <= 0 never, p >= 1 always, and the threshold is sharp") {
  for (std::uint32_t u : {0u, 1u, 1000u, 0x7fffffffu, 0xffffff7fu, 0xffffffffu}) {
    CHECK_FALSE(bernoulli_lane(u, 0.0f));
    CHECK(bernoulli_lane(u, 1.0f));
  }
  // P(u < p 2^32) over all u is p: count exactly below a threshold.
  const float p = 1e-5f;
  const auto threshold = static_cast<double>(p) * 4294967296.0;
  CHECK(bernoulli_lane(static_cast<std::uint32_t>(threshold) - 1, p));
  CHECK_FALSE(bernoulli_lane(static_cast<std::uint32_t>(threshold) + 1, p));
}
