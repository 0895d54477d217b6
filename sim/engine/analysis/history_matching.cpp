// The arithmetic of history matching (see history_matching.hpp): the maximin Latin hypercube,
// implausibility and likelihood of targets, the truncated-Gaussian mixture proposal of the next
// wave (its draws and its density), and sampling-importance-resampling of the posterior.
//
// Random counters (Philox, random.hpp), all in the caller's `stream`; the day slot tells the
// functions apart, so that one stream may serve all three without two sharing a draw:
//   maximin_latin_hypercube  agent = candidate, day = 1 (a DrawSequence): for each coordinate in
//                            turn, n - 1 uniforms for the shuffle of the strata, then n positions;
//   draw_from                agent = point, day = 2 (a DrawSequence): the mixture's choice, the
//                            centre, then one uniform per coordinate, always all of them;
//   systematic_resample      agent = 0, day = 3, draw = 0: output 0 of the block.
// So every result depends on (key, stream, n, p) and the inputs only.
#include "history_matching.hpp"

#include "portable_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace recoverysim::analysis {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double sqrt_2 = 1.4142135623730951;
constexpr double sqrt_2pi = 2.5066282746310002;
constexpr double log_2pi = 1.8378770664093453;

// The day slots of the counters (see the file's header).
constexpr std::uint32_t design_day = 1, proposal_day = 2, resample_day = 3;

double normal_cdf(double x) { return 0.5 * std::erfc(-x / sqrt_2); }

double normal_pdf(double x) { return portable::exp(-0.5 * x * x) / sqrt_2pi; }

// The normal mass of [a, b] (a <= b), taken in the lower tail where Phi keeps its relative
// precision: Phi(b) - Phi(a) = Phi(-a) - Phi(-b).
double normal_mass(double a, double b) {
  return a > 0.0 ? normal_cdf(-a) - normal_cdf(-b) : normal_cdf(b) - normal_cdf(a);
}

// Acklam's rational approximation of the standard normal quantile for p in (0, 0.5] (relative
// error below 1.2e-9), refined by one Halley step to near double precision.
double lower_normal_quantile(double p) {
  constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                          1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                          -1.328068155288572e+01};
  constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                          -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
  double x = 0.0;
  if (p < 0.02425) {
    const double q = std::sqrt(-2.0 * portable::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  const double pdf = normal_pdf(x);
  if (pdf > 0.0) {  // beyond |x| of about 38 the density underflows: keep Acklam's value
    const double u = (normal_cdf(x) - p) / pdf;
    x -= u / (1.0 + 0.5 * x * u);
  }
  return x;
}

// The standard normal quantile; the upper half by symmetry (1 - p is exact for p >= 0.5).
double normal_quantile(double p) {
  if (std::isnan(p)) return nan;
  if (p <= 0.0) return -infinity;
  if (p >= 1.0) return infinity;
  return p > 0.5 ? -lower_normal_quantile(1.0 - p) : lower_normal_quantile(p);
}

// A standard normal truncated to [a, b] from one uniform u, by inverting the CDF on
// [Phi(a), Phi(b)]. An interval in the upper tail is reflected into the lower one, where Phi
// keeps its relative precision; one so far out that Phi(b) - Phi(a) underflows gives the bound
// nearer the mean, where all its mass is.
double truncated_standard_normal(double a, double b, double u) {
  if (a > 0.0) return -truncated_standard_normal(-b, -a, 1.0 - u);
  const double low = normal_cdf(a), high = normal_cdf(b);
  if (!(high > low)) return std::fabs(a) < std::fabs(b) ? a : b;
  return std::clamp(normal_quantile(low + u * (high - low)), a, b);
}

// One coordinate of the proposal's Gaussian step from centre c with scale s, truncated to
// [0, 1], from the uniform u. A zero scale stays at the centre; an infinite one is uniform.
double truncated_coordinate(double c, double s, double u) {
  if (s == infinity) return u;
  if (!(s > 0.0) || std::isnan(c)) return std::clamp(c, 0.0, 1.0);
  return std::clamp(c + s * truncated_standard_normal((0.0 - c) / s, (1.0 - c) / s, u), 0.0, 1.0);
}

// The density at x in [0, 1] of that coordinate: phi((x - c) / s) / s over the normal mass of
// [0, 1]. A point mass (zero scale, or a centre so far out that the mass underflows) has no
// density: 0 (almost every x misses it).
double truncated_coordinate_density(double c, double s, double x) {
  if (s == infinity) return 1.0;
  if (!(s > 0.0)) return 0.0;
  const double mass = normal_mass((0.0 - c) / s, (1.0 - c) / s);
  if (!(mass > 0.0)) return 0.0;
  return normal_pdf((x - c) / s) / s / mass;
}

// The number of centres of q, after checking its shape.
std::size_t centre_count(const Proposal& q) {
  const std::size_t p = q.dimensions;
  if (q.scales.size() != p) throw std::invalid_argument("Proposal: scales do not match its dimensions");
  if (p == 0) return 0;
  if (q.centres.size() % p != 0) throw std::invalid_argument("Proposal: centres are not rows of its dimensions");
  return q.centres.size() / p;
}

// One Latin hypercube, the candidate c of maximin_latin_hypercube (counters in the file's header).
std::vector<double> latin_hypercube(std::size_t n, std::size_t p, RandomKey key, std::uint32_t stream,
                                    std::uint32_t c) {
  DrawSequence draws(key, c, design_day, stream);
  std::vector<double> points(n * p);
  std::vector<std::size_t> strata(n);
  for (std::size_t d = 0; d < p; ++d) {
    std::iota(strata.begin(), strata.end(), std::size_t{0});
    for (std::size_t i = n - 1; i > 0; --i) {  // Fisher-Yates: j uniform in 0..i
      const auto j = static_cast<std::size_t>(draws.next_open_unit() * static_cast<double>(i + 1));
      std::swap(strata[i], strata[std::min(j, i)]);
    }
    for (std::size_t i = 0; i < n; ++i)
      points[i * p + d] = (static_cast<double>(strata[i]) + draws.next_open_unit()) / static_cast<double>(n);
  }
  return points;
}

// The smallest squared Euclidean distance between two of the n points (infinity for n < 2).
double min_squared_distance(const std::vector<double>& points, std::size_t n, std::size_t p) {
  double smallest = infinity;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      double squared = 0.0;
      for (std::size_t d = 0; d < p; ++d) {
        const double step = points[i * p + d] - points[j * p + d];
        squared += step * step;
      }
      smallest = std::min(smallest, squared);
    }
  return smallest;
}

// Ranks 1..n of v, tied values given the mean of the ranks they span.
std::vector<double> mean_ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return v[i] < v[j]; });
  std::vector<double> rank(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double mean_rank = 0.5 * static_cast<double>(i + j) + 1.0;  // ranks i + 1 .. j + 1
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = mean_rank;
    i = j + 1;
  }
  return rank;
}

// Pearson's correlation of two arrays of the same length; NaN if either is constant.
double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n = static_cast<double>(x.size());
  const double mean_x = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double mean_y = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mean_x) * (x[i] - mean_x);
    syy += (y[i] - mean_y) * (y[i] - mean_y);
    sxy += (x[i] - mean_x) * (y[i] - mean_y);
  }
  if (!(sxx > 0.0) || !(syy > 0.0)) return nan;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

}  // namespace

// ---- Design ------------------------------------------------------------------------------

std::vector<double> maximin_latin_hypercube(std::size_t n, std::size_t p, RandomKey key, std::uint32_t stream,
                                            std::size_t candidates) {
  if (n == 0 || p == 0) return {};
  std::vector<double> best;
  double best_distance = -infinity;
  for (std::size_t c = 0; c < std::max(candidates, std::size_t{1}); ++c) {  // 0 candidates: still one design
    std::vector<double> points = latin_hypercube(n, p, key, stream, static_cast<std::uint32_t>(c));
    const double distance = min_squared_distance(points, n, p);
    if (distance > best_distance) {  // strictly: ties keep the earliest candidate
      best = std::move(points);
      best_distance = distance;
    }
  }
  return best;
}

// ---- Implausibility ----------------------------------------------------------------------

double implausibility(const TargetFit& fit) {
  if (std::isnan(fit.model_mean)) return infinity;
  const double variance = fit.observation_variance + fit.discrepancy_variance + fit.model_variance;
  const double distance = std::fabs(fit.observed - fit.model_mean);
  if (variance > 0.0) return distance / std::sqrt(variance);
  return distance == 0.0 ? 0.0 : infinity;
}

double largest_implausibility(std::span<const double> implausibilities, std::size_t k) {
  if (implausibilities.empty()) return 0.0;
  std::vector<double> sorted(implausibilities.begin(), implausibilities.end());
  for (double& v : sorted)
    if (std::isnan(v)) v = infinity;  // as implausibility() rules out a NaN model mean
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  return sorted[std::min(std::max(k, std::size_t{1}), sorted.size()) - 1];  // k = 0 read as 1
}

double log_likelihood(std::span<const TargetFit> fits, std::span<const double> weights) {
  if (weights.size() != fits.size()) throw std::invalid_argument("log_likelihood: one weight per target");
  double total = 0.0;
  for (std::size_t k = 0; k < fits.size(); ++k) {
    if (weights[k] == 0.0) continue;  // a target weighed 0 is left out (0 * -infinity is no number)
    const TargetFit& fit = fits[k];
    if (std::isnan(fit.model_mean)) return -infinity;
    const double variance = fit.observation_variance + fit.discrepancy_variance + fit.model_variance;
    const double difference = fit.observed - fit.model_mean;
    if (!(variance > 0.0)) {
      if (difference != 0.0) return -infinity;
      continue;  // a point mass met exactly: the same infinite factor for every set that meets it, dropped
    }
    total += weights[k] * (-0.5 * (log_2pi + portable::log(variance)) - 0.5 * difference * difference / variance);
  }
  return total;
}

// ---- Proposal of the next wave -----------------------------------------------------------

Proposal proposal_around(std::span<const double> kept, std::size_t p, double uniform_share, double min_scale) {
  Proposal q;
  q.dimensions = p;
  q.uniform_share = uniform_share;
  q.scales.assign(p, min_scale);
  if (p == 0 ? !kept.empty() : kept.size() % p != 0)
    throw std::invalid_argument("proposal_around: the kept sets are not rows of p coordinates");
  if (kept.empty()) return q;  // no centres: the uniform proposal
  q.centres.assign(kept.begin(), kept.end());
  const std::size_t m = kept.size() / p;
  for (std::size_t d = 0; d < p; ++d) {
    double mean = 0.0;
    for (std::size_t i = 0; i < m; ++i) mean += kept[i * p + d];
    mean /= static_cast<double>(m);
    double squares = 0.0;
    for (std::size_t i = 0; i < m; ++i) squares += (kept[i * p + d] - mean) * (kept[i * p + d] - mean);
    // Equal weights 1/m: the weighted standard deviation is the population one (divided by m).
    const double sd = std::sqrt(squares / static_cast<double>(m));
    q.scales[d] = std::max(sqrt_2 * sd, min_scale);
  }
  return q;
}

std::vector<double> draw_from(const Proposal& q, std::size_t n, RandomKey key, std::uint32_t stream) {
  const std::size_t p = q.dimensions, m = centre_count(q);
  std::vector<double> points(n * p);
  for (std::size_t i = 0; i < n; ++i) {
    DrawSequence draws(key, static_cast<std::uint32_t>(i), proposal_day, stream);
    // Both choices are always drawn, so that coordinate d always takes the same counter.
    const double choice = draws.next_open_unit(), pick = draws.next_open_unit();
    const bool uniform = m == 0 || choice < q.uniform_share;
    const std::size_t c = m == 0 ? 0 : std::min(static_cast<std::size_t>(pick * static_cast<double>(m)), m - 1);
    for (std::size_t d = 0; d < p; ++d) {
      const double u = draws.next_open_unit();
      points[i * p + d] = uniform ? u : truncated_coordinate(q.centres[c * p + d], q.scales[d], u);
    }
  }
  return points;
}

double density(const Proposal& q, std::span<const double> x) {
  const std::size_t p = q.dimensions, m = centre_count(q);
  if (x.size() != p) throw std::invalid_argument("density: a point of another dimension than the proposal's");
  if (!std::all_of(x.begin(), x.end(), [](double v) { return v >= 0.0 && v <= 1.0; })) return 0.0;
  if (m == 0) return 1.0;
  double mixture = 0.0;
  for (std::size_t c = 0; c < m; ++c) {
    double product = 1.0;
    for (std::size_t d = 0; d < p; ++d)
      product *= truncated_coordinate_density(q.centres[c * p + d], q.scales[d], x[d]);
    mixture += product;
  }
  return q.uniform_share + (1.0 - q.uniform_share) * mixture / static_cast<double>(m);
}

// ---- Posterior ---------------------------------------------------------------------------

std::vector<double> normalised_weights(std::span<const double> log_weights) {
  std::vector<double> w(log_weights.size(), 0.0);
  double top = -infinity;
  for (const double v : log_weights)
    if (v > top) top = v;  // NaN is never larger: left out with -infinity
  if (top == -infinity) return w;
  double total = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!(log_weights[i] > -infinity)) continue;
    // Points at +infinity, if any, share the whole weight.
    w[i] = top == infinity ? (log_weights[i] == infinity ? 1.0 : 0.0) : portable::exp(log_weights[i] - top);
    total += w[i];
  }
  for (double& v : w) v /= total;  // total >= 1: the largest point has exp(0)
  return w;
}

double effective_sample_size(std::span<const double> weights) {
  double squares = 0.0;
  for (const double w : weights) squares += w * w;
  return squares > 0.0 ? 1.0 / squares : 0.0;
}

std::vector<std::size_t> systematic_resample(std::span<const double> weights, std::size_t n, RandomKey key,
                                             std::uint32_t stream) {
  const auto weight = [&](std::size_t i) { return weights[i] > 0.0 ? weights[i] : 0.0; };  // NaN, < 0: none
  double total = 0.0;
  std::size_t last = weights.size();  // the last index with weight
  for (std::size_t i = 0; i < weights.size(); ++i)
    if (weight(i) > 0.0) {
      total += weight(i);
      last = i;
    }
  std::vector<std::size_t> indices;
  if (last == weights.size()) return indices;  // no weight: nothing to draw from
  const double u = to_open_unit(philox_block(key, 0, resample_day, stream, 0)[0]);
  indices.reserve(n);
  std::size_t i = 0;
  double cumulative = weight(0);
  for (std::size_t k = 0; k < n; ++k) {
    // Position (k + u) / n of the total falls in index i's share [C_(i-1), C_i).
    const double position = (static_cast<double>(k) + u) / static_cast<double>(n) * total;
    while (i < last && cumulative <= position) cumulative += weight(++i);
    indices.push_back(i);
  }
  return indices;
}

double weighted_quantile(std::span<const double> x, std::span<const double> weights, double q) {
  if (x.size() != weights.size()) throw std::invalid_argument("weighted_quantile: one weight per value");
  std::vector<std::pair<double, double>> pairs;  // (x, w) with a value and a positive weight
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isnan(x[i]) && weights[i] > 0.0) pairs.emplace_back(x[i], weights[i]);
  if (pairs.empty() || std::isnan(q)) return nan;
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double total = 0.0;
  for (const auto& pair : pairs) total += pair.second;  // in the order of the walk below: it ends at total exactly
  const double target = std::clamp(q, 0.0, 1.0) * total;
  double cumulative = 0.0;
  for (const auto& [value, w] : pairs) {
    cumulative += w;
    if (cumulative >= target) return value;
  }
  return pairs.back().first;
}

double rank_correlation(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) throw std::invalid_argument("rank_correlation: inputs of different lengths");
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isnan(x[i]) && !std::isnan(y[i])) {
      xs.push_back(x[i]);
      ys.push_back(y[i]);
    }
  if (xs.size() < 3) return nan;
  return pearson(mean_ranks(xs), mean_ranks(ys));
}

}  // namespace recoverysim::analysis
