// The project's own double-precision functions (portable_math.hpp) against the C library's long
// double ones, in ulps of the double result, and their special values.
#include "portable_math.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>

using namespace recoverysim;

namespace {

// |value - exact| in units of the last place of the double nearest to exact.
double ulps(double value, long double exact) {
  const double nearest = static_cast<double>(exact);
  if (nearest == 0.0) return value == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  const double ulp = std::nextafter(std::fabs(nearest), std::numeric_limits<double>::infinity()) - std::fabs(nearest);
  return static_cast<double>(std::fabs(static_cast<long double>(value) - exact) / static_cast<long double>(ulp));
}

// Largest error of f against reference over n points spread evenly, then at random, on [a, b].
double worst_ulps(double a, double b, const std::function<double(double)>& f,
                  const std::function<long double(long double)>& reference, int n = 200000) {
  double worst = 0.0;
  std::uint64_t state = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < n; ++i) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    const double u = i % 2 == 0 ? static_cast<double>(i) / n : static_cast<double>(state >> 11) * 0x1p-53;
    const double x = a + (b - a) * u;
    worst = std::max(worst, ulps(f(x), reference(static_cast<long double>(x))));
  }
  return worst;
}

}  // namespace

TEST_CASE("portable exp, expm1, log and log1p are within 1 or 2 ulp of the exact values") {
  const auto exp_error = worst_ulps(-700.0, 700.0, portable::exp, [](long double x) { return std::exp(x); });
  const auto small_exp_error = worst_ulps(-1.0, 1.0, portable::exp, [](long double x) { return std::exp(x); });
  const auto expm1_error = worst_ulps(-40.0, 40.0, portable::expm1, [](long double x) { return std::expm1(x); });
  const auto small_expm1_error = worst_ulps(-1e-3, 1e-3, portable::expm1, [](long double x) { return std::expm1(x); });
  const auto log_error = worst_ulps(1e-300, 1e300, portable::log, [](long double x) { return std::log(x); });
  const auto unit_log_error = worst_ulps(0.5, 2.0, portable::log, [](long double x) { return std::log(x); });
  const auto tiny_log_error =
      worst_ulps(1e-310, 1e-300, portable::log, [](long double x) { return std::log(x); });  // subnormals
  const auto log1p_error = worst_ulps(-0.999, 10.0, portable::log1p, [](long double x) { return std::log1p(x); });
  const auto small_log1p_error = worst_ulps(-1e-6, 1e-6, portable::log1p, [](long double x) { return std::log1p(x); });
  MESSAGE("ulps: exp " << exp_error << ", " << small_exp_error << "; expm1 " << expm1_error << ", " << small_expm1_error
                       << "; log " << log_error << ", " << unit_log_error << ", " << tiny_log_error << "; log1p "
                       << log1p_error << ", " << small_log1p_error);
  CHECK(exp_error <= 1.0);
  CHECK(small_exp_error <= 1.0);
  CHECK(expm1_error <= 2.0);
  CHECK(small_expm1_error <= 2.0);
  CHECK(log_error <= 1.0);
  CHECK(unit_log_error <= 1.0);
  CHECK(tiny_log_error <= 1.0);
  CHECK(log1p_error <= 1.0);
  CHECK(small_log1p_error <= 1.0);
}

TEST_CASE("portable pow, cos and atan2 are within 2 ulp of the exact values") {
  double pow_error = 0.0, cos_error = 0.0, atan2_error = 0.0;
  std::uint64_t state = 12345;
  const auto uniform = [&] {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return static_cast<double>(state >> 11) * 0x1p-53;
  };
  for (int i = 0; i < 200000; ++i) {
    // The shapes the model uses: u^(1/shape) for u in (0, 1), discounting, the beta terms.
    const double x = i % 3 == 0 ? uniform() : i % 3 == 1 ? 1.0 + 0.1 * uniform() : 100.0 * uniform();
    const double y = i % 3 == 0 ? 1.0 / (0.02 + uniform()) : i % 3 == 1 ? 30.0 * uniform() : 20.0 * uniform() - 10.0;
    pow_error = std::max(pow_error,
                         ulps(portable::pow(x, y), std::pow(static_cast<long double>(x), static_cast<long double>(y))));
    const double angle = 6.283185307179586 * uniform();
    cos_error = std::max(cos_error, ulps(portable::cos(angle), std::cos(static_cast<long double>(angle))));
    const double a = 2.0 * uniform() - 1.0, b = (2.0 * uniform() - 1.0) * (i % 2 == 0 ? 1.0 : 1e3);
    atan2_error = std::max(atan2_error, ulps(portable::atan2(a, b),
                                             std::atan2(static_cast<long double>(a), static_cast<long double>(b))));
  }
  MESSAGE("ulps: pow " << pow_error << "; cos " << cos_error << "; atan2 " << atan2_error);
  CHECK(pow_error <= 2.0);
  CHECK(cos_error <= 2.0);
  CHECK(atan2_error <= 2.0);
}

TEST_CASE("portable lgamma agrees with the C library's to 1e-14") {
  double worst = 0.0;
  for (double x = 0.01; x < 40.0; x += 0.00731) {
    const double exact = static_cast<double>(std::lgamma(static_cast<long double>(x)));
    worst = std::max(worst, std::fabs(portable::lgamma(x) - exact) / std::max(1.0, std::fabs(exact)));
  }
  MESSAGE("largest error of lgamma (absolute below 1, relative above): " << worst);
  CHECK(worst < 1e-14);
}

TEST_CASE("portable functions: special values as the C library gives them") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(portable::exp(0.0) == 1.0);
  CHECK(portable::exp(1000.0) == inf);
  CHECK(portable::exp(-1000.0) == 0.0);
  CHECK(portable::exp(-740.0) > 0.0);  // subnormal
  CHECK(std::isnan(portable::exp(std::nan(""))));
  CHECK(portable::expm1(0.0) == 0.0);
  CHECK(portable::expm1(1e-300) == 1e-300);
  CHECK(portable::expm1(-100.0) == -1.0);
  CHECK(portable::log(1.0) == 0.0);
  CHECK(portable::log(0.0) == -inf);
  CHECK(std::isnan(portable::log(-1.0)));
  CHECK(portable::log(inf) == inf);
  CHECK(portable::log1p(0.0) == 0.0);
  CHECK(portable::log1p(-1.0) == -inf);
  CHECK(portable::pow(2.0, 10.0) == 1024.0);
  CHECK(portable::pow(10.0, -2.0) == 0.01);
  CHECK(portable::pow(0.0, 2.0) == 0.0);
  CHECK(portable::pow(-2.0, 3.0) == -8.0);
  CHECK(std::isnan(portable::pow(-2.0, 0.5)));
  CHECK(portable::pow(5.0, 0.0) == 1.0);
  CHECK(portable::cos(0.0) == 1.0);
  CHECK(portable::atan2(0.0, 1.0) == 0.0);
  CHECK(portable::atan2(1.0, 0.0) == std::atan2(1.0, 0.0));
  CHECK(portable::atan2(0.0, -1.0) == std::atan2(0.0, -1.0));
  CHECK(portable::atan2(-1.0, -1.0) == std::atan2(-1.0, -1.0));
  CHECK(portable::decimal_exponent(1.0) == 0);
  CHECK(portable::decimal_exponent(999.0) == 2);
  CHECK(portable::decimal_exponent(1000.0) == 3);
  CHECK(portable::decimal_exponent(0.05) == -2);
  CHECK(portable::power_of_ten(-2) == 0.01);
  CHECK(portable::power_of_ten(5) == 1e5);
}
