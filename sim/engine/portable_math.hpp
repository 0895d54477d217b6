// The project's own exp, expm1, log, log1p, pow, cos, atan2 and lgamma in double precision, used
// wherever a result is computed (the random draws' transforms, scenario distributions, module
// hazards, the summaries and decisions) instead of the C library's.
//
// Why: glibc picks some of its functions at run time by CPU (exp, log, pow, expm1, cos, atan2
// and what calls them, such as tgamma, have FMA variants chosen through ifunc), and those may
// differ from the others in the last bit. Results would then depend on the node that computed
// them. These are written with +, -, *, / and bit manipulation only (sqrt, floor and the like
// are exact IEEE operations, the same everywhere), and the project compiles with
// -ffp-contract=off, so they give the same bits on every x86-64 CPU, with every kernel, and
// with any C library. Accuracy (tests/sim/test_portable_math.cpp measures it against the C
// library's long double functions): exp, log and log1p within 1 ulp; expm1, pow, cos and atan2
// within 2 ulp; lgamma within 1e-14.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>

namespace recoverysim::portable {

namespace detail {

inline constexpr double infinity = std::numeric_limits<double>::infinity();
inline constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// ln 2 in two parts: k * ln2_hi is exact for |k| < 2^12 (41 significant bits).
inline constexpr double ln2_hi = 0x1.62e42fefa4000p-1;
inline constexpr double ln2_lo = -0x1.8432a1b0e2634p-43;
inline constexpr double inv_ln2 = 0x1.71547652b82fep+0;

// An unevaluated sum hi + lo, |lo| at most half an ulp of hi.
struct Sum {
  double hi;
  double lo;
};

// a + b exactly, as hi + lo (Knuth's two-sum: any order of magnitudes).
inline Sum two_sum(double a, double b) {
  const double s = a + b;
  const double b_part = s - a;
  const double a_part = s - b_part;
  return {s, (a - a_part) + (b - b_part)};
}

// a + b exactly when |a| >= |b| (or a is 0).
inline Sum fast_two_sum(double a, double b) {
  const double s = a + b;
  return {s, b - (s - a)};
}

// a * b exactly, as hi + lo (Dekker's product with Veltkamp's split: no FMA needed, so the
// same on every CPU). For |a|, |b| below 2^995.
inline Sum two_product(double a, double b) {
  constexpr double splitter = 134217729.0;  // 2^27 + 1
  const double ca = splitter * a, cb = splitter * b;
  const double a_hi = ca - (ca - a), a_lo = a - a_hi;
  const double b_hi = cb - (cb - b), b_lo = b - b_hi;
  const double p = a * b;
  return {p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo};
}

// x * 2^k for an integer k (the result may be subnormal, 0 or infinite).
inline double scale(double x, int k) {
  const auto power = [](int e) { return std::bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52); };
  if (k > 1023) return x * power(1023) * power(k - 1023 > 1023 ? 1023 : k - 1023);
  if (k < -1022) return x * power(-1022) * power(k + 1022 < -1022 ? -1022 : k + 1022);
  return x * power(k);
}

// e^r - 1 - r divided by r^2: the Taylor series 1/2 + r/6 + ... to r^13/15!, whose truncation
// is below 2^-60 relative for |r| <= ln 2 / 2.
inline double expm1_tail(double r) {
  double p = 1.0 / 1307674368000.0;  // 1/15!
  p = p * r + 1.0 / 87178291200.0;
  p = p * r + 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  return p * r + 0.5;
}

// x = k ln 2 + r with |r| <= ln 2 / 2 (about), r as r + r_lo; x_lo is a correction to x.
struct Reduced {
  int k;
  double r;
  double r_lo;
};
inline Reduced reduce_ln2(double x, double x_lo) {
  const double k = std::floor(x * inv_ln2 + 0.5);
  const double r_hi = x - k * ln2_hi;  // exact: k ln2_hi is exact and close to x
  const double r_lo = x_lo - k * ln2_lo;
  const double r = r_hi + r_lo;
  return {static_cast<int>(k), r, (r_hi - r) + r_lo};
}

// e^(x + x_lo), |x_lo| at most an ulp of x.
inline double exp_sum(double x, double x_lo) {
  if (x != x) return x;
  if (x > 709.782712893384) return infinity;  // e^x above the largest double
  if (x < -745.1332191019412) return 0.0;     // below half the smallest subnormal
  const Reduced red = reduce_ln2(x, x_lo);
  // e^(r + r_lo) = 1 + r + (r_lo + r^2 tail(r)), the small terms summed first.
  const double small = red.r_lo + red.r * red.r * expm1_tail(red.r);
  return scale(1.0 + (red.r + small), red.k);
}

// ln x as hi + lo, to about 2^-60 relative, for finite x > 0. x = 2^k m with m in
// [sqrt(1/2), sqrt(2)), f = m - 1 (exact), s = f / (2 + f) carried as s + s_lo, and
// ln m = 2 atanh(s) = 2 s + 2 s^3 / 3 + 2 s^5 / 5 + ..., |s| <= 0.1716.
inline Sum log_sum(double x) {
  int k = 0;
  if (x < 0x1p-1022) {  // subnormal: make it normal
    x *= 0x1p54;
    k = -54;
  }
  auto bits = std::bit_cast<std::uint64_t>(x);
  k += static_cast<int>(bits >> 52) - 1023;
  bits = (bits & 0x000FFFFFFFFFFFFFu) | 0x3FF0000000000000u;  // m in [1, 2)
  double m = std::bit_cast<double>(bits);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    ++k;
  }
  const double f = m - 1.0;
  const double d = 2.0 + f;
  const double d_lo = f - (d - 2.0);  // 2 + f = d + d_lo exactly
  const double s = f / d;
  const Sum p = two_product(s, d);
  const double s_lo = (((f - p.hi) - p.lo) - s * d_lo) / d;
  const double z = s * s;
  double t = 2.0 / 25.0;
  for (const double c : {2.0 / 23.0, 2.0 / 21.0, 2.0 / 19.0, 2.0 / 17.0, 2.0 / 15.0, 2.0 / 13.0, 2.0 / 11.0, 2.0 / 9.0,
                         2.0 / 7.0, 2.0 / 5.0, 2.0 / 3.0})
    t = t * z + c;
  const double tail = s * z * t;  // 2 s^3 / 3 + ...: about 1% of ln m at most
  const double kd = static_cast<double>(k);
  const Sum high = two_sum(kd * ln2_hi, 2.0 * s);
  return fast_two_sum(high.hi, high.lo + ((2.0 * s_lo + tail) + kd * ln2_lo));
}

// cos and sin of r + r_lo for |r| <= pi/4 (Taylor series to r^18 and r^19: below 2^-58).
inline double cos_kernel(double r, double r_lo) {
  const double z = r * r;
  double c = -1.0 / 6402373705728000.0;  // -1/18!
  for (const double k :
       {1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0, -1.0 / 3628800.0, 1.0 / 40320.0, -1.0 / 720.0})
    c = c * z + k;
  const double half_z = 0.5 * z;
  const double w = 1.0 - half_z;
  // cos r = 1 - z/2 + z^2 (1/24 - ...): (1 - w) - z/2 recovers what w lost.
  return w + (((1.0 - w) - half_z) + (z * z * (c * z + 1.0 / 24.0) - r * r_lo));
}
inline double sin_kernel(double r, double r_lo) {
  const double z = r * r;
  double s = -1.0 / 121645100408832000.0;  // -1/19!
  for (const double k : {1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
                         1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0})
    s = s * z + k;
  return r + (r_lo * (1.0 - 0.5 * z) + r * z * (s * z - 1.0 / 6.0));
}

// atan t for |t| <= 7/16 (Taylor series to t^45: below 2^-60 relative).
inline double atan_kernel(double t) {
  const double z = t * t;
  double p = 1.0 / 45.0;
  for (int n = 21; n >= 1; --n) p = p * z + ((n % 2 == 0) ? 1.0 : -1.0) / static_cast<double>(2 * n + 1);
  return t + t * z * p;
}

}  // namespace detail

// e^x, within 1 ulp (0 below about -745, infinity above about 709.78).
inline double exp(double x) { return detail::exp_sum(x, 0.0); }

// e^x - 1, within 2 ulp, with full relative precision for small x.
inline double expm1(double x) {
  if (x != x) return x;
  if (x > 709.782712893384) return detail::infinity;
  if (x < -40.0) return -1.0;  // e^x below half an ulp of 1
  if (std::fabs(x) < 0x1p-54) return x;
  if (std::fabs(x) <= 0.34657359027997264) return x + x * x * detail::expm1_tail(x);  // |x| <= ln 2 / 2
  const detail::Reduced red = detail::reduce_ln2(x, 0.0);
  const double m = red.r + (red.r_lo + red.r * red.r * detail::expm1_tail(red.r));  // e^r - 1
  // e^x - 1 = 2^k (1 + m) - 1 = 2^k m + (2^k - 1), where 2^k - 1 is exact for |k| <= 53.
  if (red.k > 53) return detail::scale(1.0 + m, red.k) - 1.0;
  const double two_k = detail::scale(1.0, red.k);
  return two_k * m + (two_k - 1.0);
}

// ln x, within 1 ulp (NaN below 0, -infinity at 0).
inline double log(double x) {
  if (!(x > 0.0)) return x == 0.0 ? -detail::infinity : detail::not_a_number;
  if (x == detail::infinity) return x;
  return detail::log_sum(x).hi;
}

// ln(1 + x), within 1 ulp, with full relative precision for small x.
inline double log1p(double x) {
  if (!(x > -1.0)) return x == -1.0 ? -detail::infinity : detail::not_a_number;
  if (x == detail::infinity) return x;
  if (std::fabs(x) < 0x1p-54) return x;
  // 1 + x = u + c exactly; ln(u + c) = ln u + c / u to far below an ulp.
  const detail::Sum u = detail::two_sum(1.0, x);
  const detail::Sum l = detail::log_sum(u.hi);
  return l.hi + (l.lo + u.lo / u.hi);
}

// x^y, within 2 ulp for x > 0: e^(y ln x), with ln x and the product carried in two parts so that
// a large y ln x loses nothing. For x <= 0: 0^y is 0 (y > 0), infinity (y < 0) or 1 (y = 0);
// a negative x needs an integer y (its sign from y's parity), else NaN.
inline double pow(double x, double y) {
  if (y == 0.0 || x == 1.0) return 1.0;
  if (x != x || y != y) return detail::not_a_number;
  if (x < 0.0) {
    if (std::floor(y) != y) return detail::not_a_number;
    const double magnitude = pow(-x, y);
    return std::fmod(y, 2.0) != 0.0 ? -magnitude : magnitude;
  }
  if (x == 0.0) return y > 0.0 ? 0.0 : detail::infinity;
  if (x == detail::infinity) return y > 0.0 ? detail::infinity : 0.0;
  if (std::fabs(y) == detail::infinity) return (x > 1.0) == (y > 0.0) ? detail::infinity : 0.0;
  const detail::Sum l = detail::log_sum(x);
  const detail::Sum p = detail::two_product(y, l.hi);
  const detail::Sum e = detail::fast_two_sum(p.hi, p.lo + y * l.lo);
  return detail::exp_sum(e.hi, e.lo);
}

// cos x, within 2 ulp for |x| < 10^6 (the reduction by pi/2 is exact there; beyond it the
// result is still the same on every machine, but less accurate).
inline double cos(double x) {
  if (x != x || std::fabs(x) == detail::infinity) return detail::not_a_number;
  constexpr double pio2_1 = 0x1.921fb544p+0, pio2_2 = 0x1.0b4611a6p-34, pio2_3 = 0x1.3198a2e037073p-69;
  constexpr double two_over_pi = 0x1.45f306dc9c883p-1;
  const double n = std::floor(x * two_over_pi + 0.5);
  const double a = x - n * pio2_1;  // exact: n pio2_1 is exact and close to x
  const double b = n * pio2_2;      // exact
  const double r = a - b;
  const double r_lo = ((a - r) - b) - n * pio2_3;
  const auto quadrant = static_cast<std::int64_t>(n) & 3;
  switch (quadrant) {
    case 0: return detail::cos_kernel(r, r_lo);
    case 1: return -detail::sin_kernel(r, r_lo);
    case 2: return -detail::cos_kernel(r, r_lo);
    default: return detail::sin_kernel(r, r_lo);
  }
}

// The angle of (x, y) in [-pi, pi], within 2 ulp (atan2 of the C library, signed zeros
// included).
inline double atan2(double y, double x) {
  constexpr double pi_hi = 0x1.921fb54442d18p+1, pi_lo = 0x1.1a62633145c07p-53;
  constexpr double pio2_hi = 0x1.921fb54442d18p+0, pio2_lo = 0x1.1a62633145c07p-54;
  constexpr double pio4_hi = 0x1.921fb54442d18p-1, pio4_lo = 0x1.1a62633145c07p-55;
  if (x != x || y != y) return detail::not_a_number;
  if (y == 0.0) return std::signbit(x) ? std::copysign(pi_hi, y) : std::copysign(0.0, y);
  if (x == 0.0) return std::copysign(pio2_hi, y);
  if (std::fabs(x) == detail::infinity && std::fabs(y) == detail::infinity)
    return std::copysign(x > 0.0 ? pio4_hi : 3.0 * pio4_hi, y);
  // atan |y / x| in [0, pi/2], from the nearest of atan 0, atan 1/2, atan 1, atan 3/2, pi/2.
  const double z = std::fabs(y / x);
  double base_hi = 0.0, base_lo = 0.0, t = z;
  if (z >= 39.0 / 16.0) {
    base_hi = pio2_hi, base_lo = pio2_lo, t = -1.0 / z;
  } else if (z >= 19.0 / 16.0) {
    base_hi = 0x1.f730bd281f69bp-1, base_lo = 0x1.007887af0cbbdp-56, t = (z - 1.5) / (1.0 + 1.5 * z);
  } else if (z >= 11.0 / 16.0) {
    base_hi = pio4_hi, base_lo = pio4_lo, t = (z - 1.0) / (z + 1.0);
  } else if (z >= 7.0 / 16.0) {
    base_hi = 0x1.dac670561bb4fp-2, base_lo = 0x1.a2b7f222f65e2p-56, t = (2.0 * z - 1.0) / (2.0 + z);
  }
  const double angle = base_hi + (base_lo + detail::atan_kernel(t));
  if (x > 0.0) return std::copysign(angle, y);
  return std::copysign(pi_hi - (angle - pi_lo), y);  // the left half-plane: pi - angle
}

// ln Gamma(x) for x > 0 (NaN otherwise): Stirling's series from x + n >= 10, and the product
// x (x + 1) ... (x + n - 1) for smaller x. Error below 1e-14 (absolute where |ln Gamma| < 1,
// relative elsewhere).
inline double lgamma(double x) {
  if (!(x > 0.0) || x == detail::infinity) return x == detail::infinity ? x : detail::not_a_number;
  double w = x, product = 1.0;
  while (w < 10.0) {
    product *= w;
    w += 1.0;
  }
  constexpr double half_log_two_pi = 0x1.d67f1c864beb5p-1;
  const double v = 1.0 / w, v2 = v * v;
  // 1/(12 w) - 1/(360 w^3) + 1/(1260 w^5) - 1/(1680 w^7) + 1/(1188 w^9) - 691/(360360 w^11) + 1/(156 w^13)
  double series = 1.0 / 156.0;
  for (const double c : {-691.0 / 360360.0, 1.0 / 1188.0, -1.0 / 1680.0, 1.0 / 1260.0, -1.0 / 360.0, 1.0 / 12.0})
    series = series * v2 + c;
  return (w - 0.5) * log(w) - w + half_log_two_pi + series * v - log(product);
}

// 10^e as the double nearest to it for |e| <= 22 (exact for 0 <= e <= 22), the same on every
// machine beyond.
inline double power_of_ten(int e) {
  if (e < 0) return 1.0 / power_of_ten(-e);
  double power = 1.0;
  for (; e > 22; e -= 22) power *= 1e22;
  double exact = 1.0;
  for (int i = 0; i < e; ++i) exact *= 10.0;
  return power * exact;
}

// The exponent e with 10^e <= x < 10^(e+1) (floor of log10 x, without a logarithm) for finite
// x > 0, the powers of ten taken as power_of_ten gives them.
inline int decimal_exponent(double x) {
  int e = 0;
  while (e < 308 && x >= power_of_ten(e + 1)) ++e;
  while (e > -323 && x < power_of_ten(e)) --e;
  return e;
}

}  // namespace recoverysim::portable
