// Aalen-Johansen, net Kaplan-Meier, restricted means, quantiles and range-respecting intervals,
// against examples computed by hand.
#include "analysis/statistics.hpp"
#include "analysis/survival.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace recoverysim::analysis;
using doctest::Approx;

namespace {

// Ten people from day 0; causes 0 relapse, 1 death.
//  day 1: a relapse and a death         day 2: a relapse, then two censored
//  day 3: a relapse and a death (a tie)  day 4: one censored
//  day 5: a relapse                      day 6: the last one censored
EventTable hand_table() {
  EventTable t(7, 2);
  t.entered[0] = 10;
  t.event(1, 0) = 1;
  t.event(1, 1) = 1;
  t.event(2, 0) = 1;
  t.censored[2] = 2;
  t.event(3, 0) = 1;
  t.event(3, 1) = 1;
  t.censored[4] = 1;
  t.event(5, 0) = 1;
  t.censored[6] = 1;
  return t;
}

}  // namespace

TEST_CASE("survival: Aalen-Johansen by hand, with censoring, ties and a competing death") {
  const CompetingRisks aj = aalen_johansen(hand_table());
  // Risk sets 10, 10, 8, 5, 3, 2, 1. S = prod(1 - d/n); F_k += S(t-1) d_k / n.
  const std::vector<double> survival = {1.0, 0.8, 0.7, 0.42, 0.42, 0.21, 0.21};
  const std::vector<double> relapse = {0.0, 0.1, 0.2, 0.34, 0.34, 0.55, 0.55};
  const std::vector<double> death = {0.0, 0.1, 0.1, 0.24, 0.24, 0.24, 0.24};
  const std::vector<std::int64_t> at_risk = {10, 10, 8, 5, 3, 2, 1};
  for (std::size_t t = 0; t < 7; ++t) {
    CAPTURE(t);
    CHECK(aj.survival[t] == Approx(survival[t]).epsilon(1e-12));
    CHECK(aj.incidence[0][t] == Approx(relapse[t]).epsilon(1e-12));
    CHECK(aj.incidence[1][t] == Approx(death[t]).epsilon(1e-12));
    CHECK(aj.at_risk[t] == at_risk[t]);
    // Everyone is in exactly one of: no event yet, relapsed first, died first.
    CHECK(aj.survival[t] + aj.incidence[0][t] + aj.incidence[1][t] == Approx(1.0).epsilon(1e-12));
  }
  // Before the first censoring the values are ratios of counts, computed exactly.
  CHECK(aj.incidence[0][2] == 2.0 / 10.0);
  CHECK(aj.survival[2] == 7.0 / 10.0);
}

TEST_CASE("survival: net Kaplan-Meier censors the other cause") {
  // Deaths leave the risk set as censorings: S = 9/10, x 7/8, x 4/5, x 1/2 on days 1, 2, 3, 5.
  const std::vector<double> net = net_incidence(hand_table(), 0);
  CHECK(net[1] == 1.0 - 0.9);
  CHECK(net[2] == Approx(1.0 - 0.9 * 7.0 / 8.0).epsilon(1e-12));
  CHECK(net[3] == Approx(1.0 - 0.9 * 7.0 / 8.0 * 4.0 / 5.0).epsilon(1e-12));
  CHECK(net[5] == Approx(1.0 - 0.9 * 7.0 / 8.0 * 4.0 / 5.0 * 0.5).epsilon(1e-12));
  // The net risk exceeds the cumulative incidence when the other cause competes.
  CHECK(net[5] > aalen_johansen(hand_table()).incidence[0][5]);
}

TEST_CASE("survival: with full follow-up the Aalen-Johansen share equals the share with the event, exactly") {
  // 1,000 people, events of both causes on many days, censored only after day D - 1.
  EventTable t(400, 2);
  t.entered[0] = 1000;
  std::int64_t left = 1000, relapses_within = 0;
  constexpr std::size_t D = 365;
  for (std::size_t day = 0; day < 400 && left > 0; ++day) {
    const std::int64_t r = static_cast<std::int64_t>((day * 7 + 3) % 5), d = static_cast<std::int64_t>(day % 11 == 0);
    t.event(day, 0) = std::min(r, left);
    left -= t.event(day, 0);
    t.event(day, 1) = std::min(d, left);
    left -= t.event(day, 1);
    if (day < D) relapses_within += t.event(day, 0);
    if (day == 399) t.censored[day] = left;
  }
  const CompetingRisks aj = aalen_johansen(t);
  CHECK(aj.incidence[0][D - 1] == static_cast<double>(relapses_within) / 1000.0);
}

TEST_CASE("survival: delayed entry joins the risk set on its day") {
  // 4 people from day 0, 4 more from day 2. Day 1: one event (n = 4); day 3: one event (n = 7).
  EventTable t(5, 1);
  t.entered[0] = 4;
  t.entered[2] = 4;
  t.event(1, 0) = 1;
  t.event(3, 0) = 1;
  t.censored[4] = 6;
  const CompetingRisks aj = aalen_johansen(t);
  CHECK(aj.at_risk[1] == 4);
  CHECK(aj.at_risk[3] == 7);
  CHECK(aj.survival[3] == Approx(0.75 * 6.0 / 7.0).epsilon(1e-12));
}

TEST_CASE("survival: restricted mean and quantiles of the time to an event") {
  const CompetingRisks aj = aalen_johansen(hand_table());
  // sum of S(t) for t < 7: 1 + 0.8 + 0.7 + 0.42 + 0.42 + 0.21 + 0.21
  CHECK(restricted_mean(aj.survival, 7) == Approx(3.76).epsilon(1e-12));
  // beyond the last day the curve stays at its last value
  CHECK(restricted_mean(aj.survival, 9) == Approx(3.76 + 2 * 0.21).epsilon(1e-12));
  CHECK(incidence_quantile(aj.incidence[0], 0.5) == 5.0);  // 0.55 on day 5
  CHECK(incidence_quantile(aj.incidence[0], 0.2) == 2.0);
  CHECK(std::isinf(incidence_quantile(aj.incidence[0], 0.6)));  // never reached: more than 40% never relapse
}

TEST_CASE("survival: the delta-method variance of one cause is Greenwood's") {
  // With a single cause the Aalen-Johansen incidence is 1 - Kaplan-Meier, and its variance
  // S(t)^2 sum d / (n (n - d)).
  EventTable t(6, 1);
  t.entered[0] = 20;
  t.event(1, 0) = 3;
  t.censored[1] = 2;
  t.event(2, 0) = 1;
  t.event(4, 0) = 4;
  t.censored[4] = 1;
  t.censored[5] = 9;
  const CompetingRisks aj = aalen_johansen(t, true);
  double s = 1.0, sum = 0.0;
  const std::vector<std::pair<double, double>> nd = {{20, 0}, {20, 3}, {15, 1}, {14, 0}, {14, 4}, {9, 0}};
  for (std::size_t day = 0; day < 6; ++day) {
    const auto [n, d] = nd[day];
    if (d > 0) {
      s *= (n - d) / n;
      sum += d / (n * (n - d));
    }
    CAPTURE(day);
    CHECK(aj.incidence[0][day] == Approx(1.0 - s).epsilon(1e-12));
    CHECK(aj.variance[0][day] == Approx(s * s * sum).epsilon(1e-9));
  }
}

TEST_CASE("survival: incidence_curve bounds lie within [0, 1] around the estimate") {
  const SurvivalCurve c = incidence_curve(hand_table(), 0);
  for (std::size_t t = 0; t < c.survival.size(); ++t) {
    CHECK(c.low[t] >= 0.0);
    CHECK(c.high[t] <= 1.0);
    CHECK(c.low[t] <= c.survival[t]);
    CHECK(c.high[t] >= c.survival[t]);
  }
  CHECK(c.low[0] == 0.0);  // no event yet: the interval is the point 0
}

TEST_CASE("statistics: intervals of bounded quantities stay in their range") {
  // A wait that is 0 in most replicates: the t interval would go below zero.
  const std::vector<double> wait = {0.0, 0.0, 0.077, 0.0, 0.0};
  const Interval plain = mean_interval(wait);
  CHECK(plain.low < 0.0);
  const Interval kept = mean_interval(wait, Bounds::nonnegative);
  CHECK(kept.estimate == Approx(0.0154));
  CHECK(kept.low > 0.0);
  CHECK(kept.high > kept.estimate);
  // On the log scale: mean exp(+-t se / mean), the same standard error.
  const double se = (plain.high - plain.estimate) / t_quantile_975(4);
  CHECK(kept.high == Approx(0.0154 * std::exp(t_quantile_975(4) * se / 0.0154)).epsilon(1e-12));

  const std::vector<double> share = {0.99, 1.0, 0.97, 1.0, 1.0};
  const Interval s = mean_interval(share, Bounds::unit);
  CHECK(mean_interval(share).high > 1.0);
  CHECK(s.high < 1.0);
  CHECK(s.low > 0.9);
  const Interval percent = mean_interval(std::vector<double>{99.0, 100.0, 97.0, 100.0, 100.0}, Bounds::percent);
  CHECK(percent.high < 100.0);
  CHECK(percent.estimate == Approx(99.2));
  // Every value on the edge: the interval is the point.
  const Interval zero = mean_interval(std::vector<double>{0.0, 0.0, 0.0}, Bounds::nonnegative);
  CHECK(zero.low == 0.0);
  CHECK(zero.high == 0.0);
  // An infinite value (a quantile never reached) has no interval.
  const Interval never =
      mean_interval(std::vector<double>{3.0, std::numeric_limits<double>::infinity()}, Bounds::nonnegative);
  CHECK(std::isinf(never.estimate));
  CHECK(std::isnan(never.low));
}
