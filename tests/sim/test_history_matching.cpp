// History matching's arithmetic against hand-worked examples and exact properties: the Latin
// hypercube's strata, implausibility, likelihood, the proposal's draws and density, and the
// importance weights, resampling and summaries of the posterior.
#include "analysis/history_matching.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::analysis;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double missing = std::numeric_limits<double>::quiet_NaN();

// The smallest Euclidean distance between two of the n points of a row-major design.
double min_distance(const std::vector<double>& points, std::size_t n, std::size_t p) {
  double smallest = infinity;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < i; ++j) {
      double squared = 0.0;
      for (std::size_t d = 0; d < p; ++d) squared += std::pow(points[i * p + d] - points[j * p + d], 2);
      smallest = std::min(smallest, std::sqrt(squared));
    }
  return smallest;
}

// The probability of [low, high) under a one-dimensional proposal: density() by the midpoint rule.
double integrated_density(const Proposal& q, double low, double high, int cells) {
  const double h = (high - low) / cells;
  double sum = 0.0;
  for (int k = 0; k < cells; ++k) {
    const double x = low + (k + 0.5) * h;
    sum += density(q, std::span<const double>(&x, 1));
  }
  return sum * h;
}

}  // namespace

// ---- Design ------------------------------------------------------------------------------

TEST_CASE("history matching: the Latin hypercube puts one point in each stratum of every coordinate") {
  for (const std::size_t n : {std::size_t{2}, std::size_t{17}, std::size_t{50}}) {
    const std::size_t p = 4;
    const std::vector<double> design = maximin_latin_hypercube(n, p, RandomKey{11, 2}, 5);
    REQUIRE(design.size() == n * p);
    for (std::size_t d = 0; d < p; ++d) {
      std::vector<int> points_in(n, 0);
      for (std::size_t i = 0; i < n; ++i) {
        const double x = design[i * p + d];
        REQUIRE(x >= 0.0);
        REQUIRE(x < 1.0);
        ++points_in[static_cast<std::size_t>(std::floor(x * static_cast<double>(n)))];
      }
      for (std::size_t k = 0; k < n; ++k) CHECK(points_in[k] == 1);
    }
  }
}

TEST_CASE("history matching: the Latin hypercube depends on its key and stream only") {
  const std::vector<double> a = maximin_latin_hypercube(12, 3, RandomKey{7, 0}, 40);
  CHECK(a == maximin_latin_hypercube(12, 3, RandomKey{7, 0}, 40));
  CHECK(a != maximin_latin_hypercube(12, 3, RandomKey{8, 0}, 40));
  CHECK(a != maximin_latin_hypercube(12, 3, RandomKey{7, 1}, 40));
  CHECK(a != maximin_latin_hypercube(12, 3, RandomKey{7, 0}, 41));
  CHECK(maximin_latin_hypercube(0, 3, RandomKey{7, 0}, 40).empty());
  // One point: a uniform point of the cube; every candidate ties (no pair), the first is kept.
  const std::vector<double> one = maximin_latin_hypercube(1, 3, RandomKey{7, 0}, 40, 1);
  REQUIRE(one.size() == 3);
  for (const double x : one) CHECK((x > 0.0 && x < 1.0));
  CHECK(one != std::vector<double>{one[0], one[0], one[0]});
  CHECK(maximin_latin_hypercube(1, 3, RandomKey{7, 0}, 40, 5) == one);
}

TEST_CASE("history matching: maximin keeps the candidate whose smallest distance is largest") {
  // Candidate c's design does not depend on how many are drawn, so the design of the first k
  // candidates has a smallest distance that never decreases with k, and equals the best of them.
  const std::size_t n = 10, p = 2;
  const RandomKey key{3, 1};
  const double first = min_distance(maximin_latin_hypercube(n, p, key, 9, 1), n, p);
  double best = first;
  for (std::size_t k = 2; k <= 20; ++k) {
    const double with_k = min_distance(maximin_latin_hypercube(n, p, key, 9, k), n, p);
    CHECK(with_k >= best);
    best = std::max(best, with_k);
  }
  const double chosen = min_distance(maximin_latin_hypercube(n, p, key, 9), n, p);  // 20 candidates
  CHECK(chosen == best);
  CHECK(chosen >= first);
  CHECK(chosen > first);  // here the first candidate is not the best of 20
}

// ---- Implausibility ----------------------------------------------------------------------

TEST_CASE("history matching: implausibility by hand") {
  // |0.5 - 0.4| / sqrt(0.0016 + 0.0009 + 0) = 0.1 / 0.05 = 2 (to rounding of 0.5 - 0.4).
  TargetFit fit{0.5, 0.0016, 0.0009, 0.4, 0.0};
  CHECK(implausibility(fit) == doctest::Approx(2.0).epsilon(1e-14));
  // The model's variance counts: 0.1 / sqrt(0.0016 + 0.0009 + 0.0075) = 0.1 / 0.1 = 1.
  fit.model_variance = 0.0075;
  CHECK(implausibility(fit) == doctest::Approx(1.0).epsilon(1e-14));
  // Below the observation as above it.
  CHECK(implausibility(TargetFit{0.4, 0.0016, 0.0009, 0.5, 0.0}) == doctest::Approx(2.0).epsilon(1e-14));
  CHECK(implausibility(TargetFit{0.5, 0.01, 0.0, missing, 0.0}) == infinity);
  CHECK(implausibility(TargetFit{0.5, 0.0, 0.0, 0.5, 0.0}) == 0.0);
  CHECK(implausibility(TargetFit{0.5, 0.0, 0.0, 0.6, 0.0}) == infinity);
}

TEST_CASE("history matching: the k-th largest implausibility") {
  const std::vector<double> values = {1.0, 5.0, 3.0};
  CHECK(largest_implausibility(values) == 5.0);
  CHECK(largest_implausibility(values, 1) == 5.0);
  CHECK(largest_implausibility(values, 2) == 3.0);
  CHECK(largest_implausibility(values, 3) == 1.0);
  CHECK(largest_implausibility(values, 4) == 1.0);  // fewer values than k: the smallest
  const std::vector<double> two = {2.5, 0.5};
  CHECK(largest_implausibility(two, 3) == 0.5);
  CHECK(largest_implausibility(std::vector<double>{}, 2) == 0.0);
  // An infinite implausibility (a NaN model mean) is the largest.
  const std::vector<double> ruled_out = {1.0, infinity, 2.0};
  CHECK(largest_implausibility(ruled_out) == infinity);
  CHECK(largest_implausibility(ruled_out, 2) == 2.0);
}

TEST_CASE("history matching: log_likelihood by hand") {
  // Target 1: z = 1, E[f] = 0.5, V = 0.1 + 0.1 + 0.05 = 0.25:
  //   -0.5 ln(2 pi 0.25) - 0.5 (0.5^2 / 0.25) = -0.5 ln(pi / 2) - 0.5 = -0.7257913526447274.
  // Target 2: z = 2, E[f] = 2, V = 1: -0.5 ln(2 pi) = -0.9189385332046727.
  const std::vector<TargetFit> fits = {{1.0, 0.1, 0.1, 0.5, 0.05}, {2.0, 0.5, 0.25, 2.0, 0.25}};
  const std::vector<double> equal = {1.0, 1.0}, doubled = {1.0, 2.0};
  CHECK(log_likelihood(fits, equal) == doctest::Approx(-0.7257913526447274 - 0.9189385332046727).epsilon(1e-14));
  // Weight 2 doubles the second target's term.
  CHECK(log_likelihood(fits, doubled) == doctest::Approx(-0.7257913526447274 - 2 * 0.9189385332046727).epsilon(1e-14));
  CHECK(log_likelihood(std::span(fits).first(1), std::span(equal).first(1)) ==
        doctest::Approx(-0.7257913526447274).epsilon(1e-14));
  std::vector<TargetFit> bad = fits;
  bad[1].model_mean = missing;
  CHECK(log_likelihood(bad, equal) == -infinity);
  bad[1] = TargetFit{2.0, 0.0, 0.0, 2.5, 0.0};  // zero variance, unequal values
  CHECK(log_likelihood(bad, equal) == -infinity);
  CHECK(log_likelihood(std::vector<TargetFit>{}, std::vector<double>{}) == 0.0);
}

// ---- Proposal of the next wave -----------------------------------------------------------

TEST_CASE("history matching: proposal_around by hand") {
  // Coordinate 0: 0.1, 0.2, 0.6, mean 0.3, deviations -0.2, -0.1, 0.3: population variance
  // 0.14 / 3, scale sqrt(2 * 0.14 / 3) = 0.30550504633038933. Coordinate 1: all 0.5: min_scale.
  const std::vector<double> kept = {0.1, 0.5, 0.2, 0.5, 0.6, 0.5};
  const Proposal q = proposal_around(kept, 2, 0.1, 0.02);
  CHECK(q.dimensions == 2);
  CHECK(q.uniform_share == 0.1);
  CHECK(q.centres == kept);
  REQUIRE(q.scales.size() == 2);
  CHECK(q.scales[0] == doctest::Approx(0.30550504633038933).epsilon(1e-14));
  CHECK(q.scales[1] == 0.02);
  // One kept set: no spread, the scale is min_scale.
  const std::vector<double> one = {0.3, 0.7};
  CHECK(proposal_around(one, 2, 0.1).scales == std::vector<double>{0.01, 0.01});
  // None kept: no centres, the uniform proposal.
  const Proposal none = proposal_around(std::vector<double>{}, 2, 0.1);
  CHECK(none.centres.empty());
  const std::vector<double> x = {0.05, 0.95};
  CHECK(density(none, x) == 1.0);
}

TEST_CASE("history matching: density by hand for one centre") {
  // c = 0.2, s = 0.1, uniform share 0.25, at x = 0.3: z = 1, phi(1) = 0.24197072451914337; the
  // normal mass of [0, 1] is Phi(8) - Phi(-2) = 0.9772498680518201, so the truncated density is
  // 0.24197072451914337 / 0.1 / 0.9772498680518201 = 2.476037423279678 and the mixture's
  // 0.25 + 0.75 * 2.476037423279678 = 2.1070280674597583.
  Proposal q{{0.2}, {0.1}, 1, 0.25};
  const double x = 0.3;
  CHECK(density(q, std::span<const double>(&x, 1)) == doctest::Approx(2.1070280674597583).epsilon(1e-12));
  q.uniform_share = 0.0;
  CHECK(density(q, std::span<const double>(&x, 1)) == doctest::Approx(2.476037423279678).epsilon(1e-12));
  for (const double outside : {-0.01, 1.01, missing}) CHECK(density(q, std::span<const double>(&outside, 1)) == 0.0);
}

TEST_CASE("history matching: density integrates to 1 over the cube") {
  // Three centres near the edges, a small scale in one coordinate and a large one in the other.
  for (const double share : {0.0, 0.3}) {
    const Proposal q{{0.02, 0.9, 0.97, 0.05, 0.5, 0.99}, {0.03, 0.4}, 2, share};
    const int cells = 400;
    const double h = 1.0 / cells;
    double sum = 0.0;
    for (int i = 0; i < cells; ++i)
      for (int j = 0; j < cells; ++j) {
        const std::vector<double> x = {(i + 0.5) * h, (j + 0.5) * h};
        sum += density(q, x);
      }
    CHECK(sum * h * h == doctest::Approx(1.0).epsilon(1e-3));
  }
}

TEST_CASE("history matching: draw_from agrees with density") {
  // p = 1: 200,000 draws in 10 bins against the integrated density, within 4 binomial standard
  // errors per bin; one proposal with a centre near an edge, one mostly truncated.
  const std::vector<Proposal> proposals = {{{0.05, 0.6}, {0.12}, 1, 0.2}, {{0.97}, {0.3}, 1, 0.1}};
  for (const Proposal& q : proposals) {
    const std::size_t n = 200000;
    const std::vector<double> points = draw_from(q, n, RandomKey{21, 4}, 77);
    REQUIRE(points.size() == n);
    std::vector<double> counts(10, 0.0);
    for (const double x : points) {
      REQUIRE(x >= 0.0);
      REQUIRE(x <= 1.0);
      counts[std::min<std::size_t>(static_cast<std::size_t>(x * 10.0), 9)] += 1.0;
    }
    double total_probability = 0.0;
    for (std::size_t b = 0; b < 10; ++b) {
      const double probability =
          integrated_density(q, 0.1 * static_cast<double>(b), 0.1 * static_cast<double>(b + 1), 2000);
      total_probability += probability;
      const double expected = static_cast<double>(n) * probability;
      const double se = std::sqrt(expected * (1.0 - probability));
      CHECK(std::fabs(counts[b] - expected) < 4.0 * se);
    }
    CHECK(total_probability == doctest::Approx(1.0).epsilon(1e-6));
    CHECK(points == draw_from(q, n, RandomKey{21, 4}, 77));
  }
}

TEST_CASE("history matching: draw_from in the far tails stays in the cube") {
  const std::size_t n = 10000;
  // A centre so far out that the normal mass of [0, 1] underflows: every draw on the nearer bound.
  for (const double x : draw_from(Proposal{{5.0}, {0.01}, 1, 0.0}, n, RandomKey{1, 0}, 3)) CHECK(x == 1.0);
  for (const double x : draw_from(Proposal{{-5.0}, {0.01}, 1, 0.0}, n, RandomKey{1, 0}, 3)) CHECK(x == 0.0);
  // 30 scales beyond the cube: the truncated normal is nearly exponential from the bound, with
  // mean distance s / 30 (to 0.2%): (distance / s) * 30 is nearly Exp(1), mean about 1 (se 0.01),
  // and above 20 with probability 2e-9.
  for (const double centre : {1.3, -0.3}) {
    double sum = 0.0;
    for (const double x : draw_from(Proposal{{centre}, {0.01}, 1, 0.0}, n, RandomKey{1, 0}, 3)) {
      REQUIRE(x >= 0.0);
      REQUIRE(x <= 1.0);
      const double distance = centre > 1.0 ? 1.0 - x : x;
      CHECK(distance < 0.01 * 20.0 / 30.0);
      sum += distance / 0.01 * 30.0;
    }
    CHECK(sum / static_cast<double>(n) == doctest::Approx(0.998).epsilon(0.04));
  }
  // A tiny scale inside the cube: the draws stay next to the centre.
  for (const double x : draw_from(Proposal{{0.5}, {1e-6}, 1, 0.0}, n, RandomKey{1, 0}, 3))
    CHECK(std::fabs(x - 0.5) < 1e-5);
}

// ---- Posterior ---------------------------------------------------------------------------

TEST_CASE("history matching: normalised_weights by hand and without overflow") {
  const std::vector<double> w = normalised_weights(std::vector<double>{std::log(1.0), std::log(3.0), -infinity});
  REQUIRE(w.size() == 3);
  CHECK(w[0] == doctest::Approx(0.25).epsilon(1e-15));
  CHECK(w[1] == doctest::Approx(0.75).epsilon(1e-15));
  CHECK(w[2] == 0.0);
  // exp(1000) overflows; the weights are 1 / (1 + e) and e / (1 + e).
  const std::vector<double> big = normalised_weights(std::vector<double>{1000.0, 1001.0});
  CHECK(big[0] == doctest::Approx(0.2689414213699951).epsilon(1e-14));
  CHECK(big[1] == doctest::Approx(0.7310585786300049).epsilon(1e-14));
  CHECK(normalised_weights(std::vector<double>{-infinity, -infinity}) == std::vector<double>{0.0, 0.0});
  CHECK(normalised_weights(std::vector<double>{}).empty());
}

TEST_CASE("history matching: effective_sample_size") {
  CHECK(effective_sample_size(std::vector<double>(8, 0.125)) == 8.0);
  CHECK(effective_sample_size(std::vector<double>(10, 0.1)) == doctest::Approx(10.0).epsilon(1e-14));
  CHECK(effective_sample_size(std::vector<double>{0.0, 1.0, 0.0}) == 1.0);
  // 1 / (0.25 + 0.0625 + 0.0625) = 1 / 0.375.
  CHECK(effective_sample_size(std::vector<double>{0.5, 0.25, 0.25}) == doctest::Approx(8.0 / 3.0).epsilon(1e-15));
  CHECK(effective_sample_size(std::vector<double>{0.0, 0.0}) == 0.0);
}

TEST_CASE("history matching: systematic_resample by hand and within floor and ceil of n w") {
  // Positions (k + u) / 4: two below 0.5, one in [0.5, 0.75), one in [0.75, 1), whatever u.
  const std::vector<double> hand = {0.5, 0.25, 0.25};
  for (std::uint32_t seed = 0; seed < 5; ++seed)
    CHECK(systematic_resample(hand, 4, RandomKey{seed, 0}, 2) == std::vector<std::size_t>{0, 0, 1, 2});

  // Random weights, a few of them 0.
  std::vector<double> w(37);
  double total = 0.0;
  for (std::uint32_t i = 0; i < w.size(); ++i) {
    w[i] = i % 7 == 3 ? 0.0 : to_open_unit(philox_block(RandomKey{5, 5}, i, 0, 0, 0)[0]);
    total += w[i];
  }
  for (double& v : w) v /= total;
  const std::size_t n = 1000;
  const std::vector<std::size_t> indices = systematic_resample(w, n, RandomKey{9, 0}, 2);
  REQUIRE(indices.size() == n);
  CHECK(std::is_sorted(indices.begin(), indices.end()));
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto count = static_cast<double>(std::count(indices.begin(), indices.end(), i));
    const double share = static_cast<double>(n) * w[i];
    CHECK(count >= std::floor(share - 1e-9));
    CHECK(count <= std::ceil(share + 1e-9));
    if (w[i] == 0.0) CHECK(count == 0.0);
  }
  CHECK(systematic_resample(w, n, RandomKey{9, 0}, 2) == indices);
  bool another = false;
  for (std::uint32_t seed = 10; seed < 15; ++seed)
    another |= systematic_resample(w, n, RandomKey{seed, 0}, 2) != indices;
  CHECK(another);
}

TEST_CASE("history matching: weighted_quantile by hand") {
  // Sorted: 1 (0.5), 2 (0.3), 3 (0.2); cumulative 0.5, 0.8, 1.
  const std::vector<double> x = {3.0, 1.0, 2.0}, w = {0.2, 0.5, 0.3};
  CHECK(weighted_quantile(x, w, 0.0) == 1.0);
  CHECK(weighted_quantile(x, w, 0.5) == 1.0);
  CHECK(weighted_quantile(x, w, 0.6) == 2.0);
  CHECK(weighted_quantile(x, w, 0.8) == 2.0);
  CHECK(weighted_quantile(x, w, 0.9) == 3.0);
  CHECK(weighted_quantile(x, w, 1.0) == 3.0);
  // A NaN value is left out with its weight; the rest is renormalised: 1 (0.5 / 0.7), 3 (0.2 / 0.7).
  const std::vector<double> with_nan = {3.0, 1.0, missing};
  CHECK(weighted_quantile(with_nan, w, 0.7) == 1.0);
  CHECK(weighted_quantile(with_nan, w, 0.75) == 3.0);
  CHECK(std::isnan(weighted_quantile(x, std::vector<double>{0.0, 0.0, 0.0}, 0.5)));
  CHECK(std::isnan(weighted_quantile(std::vector<double>{}, std::vector<double>{}, 0.5)));
}

TEST_CASE("history matching: rank_correlation by hand") {
  const std::vector<double> x = {0.3, 1.2, -4.0, 2.5, 0.0};
  std::vector<double> y(x.size()), reversed(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    y[i] = std::exp(3.0 * x[i]);  // monotone: the same ranks
    reversed[i] = -x[i] * x[i] * x[i];
  }
  CHECK(rank_correlation(x, y) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(rank_correlation(x, reversed) == doctest::Approx(-1.0).epsilon(1e-15));
  // x = 1, 2, 2, 3 (ranks 1, 2.5, 2.5, 4), y = 1, 3, 2, 4 (ranks 1, 3, 2, 4); mean rank 2.5:
  // sum dx dy = 2.25 + 0 + 0 + 2.25 = 4.5, sum dx^2 = 4.5, sum dy^2 = 5: r = sqrt(0.9).
  const std::vector<double> tied = {1.0, 2.0, 2.0, 3.0, missing}, other = {1.0, 3.0, 2.0, 4.0, 7.0};
  CHECK(rank_correlation(tied, other) == doctest::Approx(0.9486832980505138).epsilon(1e-14));
  CHECK(std::isnan(rank_correlation(std::vector<double>{2.0, 2.0, 2.0, 2.0}, std::span<const double>(other).first(4))));
  CHECK(std::isnan(rank_correlation(std::vector<double>{1.0, 2.0}, std::vector<double>{2.0, 1.0})));
}
