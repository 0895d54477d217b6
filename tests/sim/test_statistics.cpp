// Statistics against hand-computed examples.
#include "analysis/statistics.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::analysis;

namespace {
constexpr double missing = std::numeric_limits<double>::quiet_NaN();
}  // namespace

TEST_CASE("statistics: t_quantile_975 matches the printed table and tends to the normal quantile") {
  // Values of any printed table of Student's t (two-sided 5%).
  CHECK(std::fabs(t_quantile_975(1) - 12.7062) < 1e-3);
  CHECK(std::fabs(t_quantile_975(2) - 4.3027) < 1e-3);
  CHECK(std::fabs(t_quantile_975(3) - 3.1824) < 1e-3);
  CHECK(std::fabs(t_quantile_975(4) - 2.7764) < 1e-3);
  CHECK(std::fabs(t_quantile_975(5) - 2.5706) < 1e-3);
  CHECK(std::fabs(t_quantile_975(10) - 2.2281) < 1e-3);
  CHECK(std::fabs(t_quantile_975(20) - 2.0860) < 1e-3);
  CHECK(std::fabs(t_quantile_975(29) - 2.0452) < 1e-3);
  CHECK(std::fabs(t_quantile_975(30) - 2.0423) < 1e-3);
  CHECK(std::fabs(t_quantile_975(31) - 2.0395) < 1e-3);
  CHECK(std::fabs(t_quantile_975(40) - 2.0211) < 1e-3);
  CHECK(std::fabs(t_quantile_975(60) - 2.0003) < 1e-3);
  CHECK(std::fabs(t_quantile_975(120) - 1.9799) < 1e-3);
  CHECK(std::fabs(t_quantile_975(1000000) - 1.9600) < 1e-4);
  CHECK(std::fabs(t_quantile_975(std::int64_t{1} << 50) - 1.959964) < 1e-6);
  // Beyond the table, the expansion is accurate to far better than the table's 4 decimals:
  // t(31) = 2.0395134464, t(120) = 1.9799304051 (to 10 decimals).
  CHECK(std::fabs(t_quantile_975(31) - 2.0395134464) < 1e-7);
  CHECK(std::fabs(t_quantile_975(120) - 1.9799304051) < 1e-9);
  // Decreasing in df.
  for (std::int64_t df = 1; df < 200; ++df) CHECK(t_quantile_975(df + 1) < t_quantile_975(df));
  CHECK(std::isnan(t_quantile_975(0)));
}

TEST_CASE("statistics: mean_interval by hand, NaN left out, one value gives NaN bounds") {
  // x = 2, 4, 4, 5, 7 (and a NaN, left out): n = 5, mean = 22/5 = 4.4.
  // Deviations -2.4, -0.4, -0.4, 0.6, 2.6; squares 5.76 + 0.16 + 0.16 + 0.36 + 6.76 = 13.2.
  // Variance 13.2 / 4 = 3.3, se = sqrt(3.3 / 5) = sqrt(0.66) = 0.8124038;
  // t(4) = 2.7764451, half-width 2.7764451 * 0.8124038 = 2.2555947.
  const std::vector<double> x = {2.0, 4.0, missing, 4.0, 5.0, 7.0};
  const Interval i = mean_interval(x);
  CHECK(i.estimate == doctest::Approx(4.4));
  CHECK(i.low == doctest::Approx(2.1444053337).epsilon(1e-9));
  CHECK(i.high == doctest::Approx(6.6555946663).epsilon(1e-9));

  const std::vector<double> one = {3.5, missing};
  const Interval j = mean_interval(one);
  CHECK(j.estimate == 3.5);
  CHECK(std::isnan(j.low));
  CHECK(std::isnan(j.high));

  const std::vector<double> none = {missing};
  CHECK(std::isnan(mean_interval(none).estimate));

  // No spread: the interval shrinks to the mean.
  const std::vector<double> same = {1.0, 1.0, 1.0};
  const Interval k = mean_interval(same);
  CHECK(k.low == 1.0);
  CHECK(k.high == 1.0);
}

TEST_CASE("statistics: paired_difference by hand, and narrower than the unpaired interval") {
  // Differences arm - ref: 2, 1, 1, 3, 1 (the NaN pair is left out): mean 1.6.
  // Deviations 0.4, -0.6, -0.6, 1.4, -0.6; squares 0.16 + 0.36 + 0.36 + 1.96 + 0.36 = 3.2.
  // Variance 3.2 / 4 = 0.8, se = sqrt(0.8 / 5) = 0.4, half-width t(4) * 0.4 = 1.1105780421.
  const std::vector<double> arm = {10.0, 12.0, 9.0, missing, 14.0, 11.0};
  const std::vector<double> ref = {8.0, 11.0, 8.0, 5.0, 11.0, 10.0};
  const Interval p = paired_difference(arm, ref);
  CHECK(p.estimate == doctest::Approx(1.6));
  CHECK(p.low == doctest::Approx(1.6 - 1.1105780421).epsilon(1e-9));
  CHECK(p.high == doctest::Approx(1.6 + 1.1105780421).epsilon(1e-9));

  // The complete pairs as if the arms were independent samples: arm 10, 12, 9, 14, 11 has mean 11.2 and
  // variance (1.44 + 0.64 + 4.84 + 7.84 + 0.04) / 4 = 3.7; ref 8, 11, 8, 11, 10 has mean 9.6
  // and variance (2.56 + 1.96 + 2.56 + 1.96 + 0.16) / 4 = 2.3. se^2 = 3.7/5 + 2.3/5 = 1.2;
  // Welch df = 1.44 / (0.74^2/4 + 0.46^2/4) = 1.44 / 0.1898 = 7.5869336, t = 2.3280415,
  // half-width 2.3280415 * sqrt(1.2) = 2.5502417. The arms move together: covariance
  // (1.92 + 1.12 + 3.52 + 3.92 - 0.08) / 4 = 2.6, and 3.7 + 2.3 - 2 * 2.6 = 0.8 is the variance
  // of the differences; pairing narrows the interval more than twofold.
  const std::vector<double> arm5 = {10.0, 12.0, 9.0, 14.0, 11.0};
  const std::vector<double> ref5 = {8.0, 11.0, 8.0, 11.0, 10.0};
  const Interval u = unpaired_difference(arm5, ref5);
  CHECK(u.estimate == doctest::Approx(1.6));
  CHECK(u.high - u.estimate == doctest::Approx(2.5502417253).epsilon(1e-8));
  CHECK(u.estimate - u.low == doctest::Approx(2.5502417253).epsilon(1e-8));
  CHECK(p.high - p.low < 0.5 * (u.high - u.low));

  const std::vector<double> short_ref = {1.0};
  CHECK_THROWS_AS(paired_difference(arm, short_ref), std::invalid_argument);
}

TEST_CASE("statistics: unpaired_difference is Welch's interval") {
  // arm 3, 5, 7, 9: mean 6, variance (9 + 1 + 1 + 9) / 3 = 20/3, var/n = 5/3.
  // ref 1, 2, 3 (and a NaN, left out): mean 2, variance (1 + 0 + 1) / 2 = 1, var/n = 1/3.
  // Difference 4, se^2 = 5/3 + 1/3 = 2. Welch df = 2^2 / ((5/3)^2 / 3 + (1/3)^2 / 2)
  // = 4 / (25/27 + 1/18) = 4 / 0.9814815 = 4.0754717; t(4.0754717) = 2.7562849 (between
  // t(4) = 2.7764 and t(5) = 2.5706); half-width 2.7562849 * sqrt(2) = 3.8979755.
  const std::vector<double> arm = {3.0, 5.0, 7.0, 9.0};
  const std::vector<double> ref = {1.0, missing, 2.0, 3.0};
  const Interval i = unpaired_difference(arm, ref);
  CHECK(i.estimate == doctest::Approx(4.0));
  CHECK(i.low == doctest::Approx(4.0 - 3.8979754511).epsilon(1e-8));
  CHECK(i.high == doctest::Approx(4.0 + 3.8979754511).epsilon(1e-8));

  const std::vector<double> single = {1.0};
  const Interval j = unpaired_difference(arm, single);
  CHECK(j.estimate == doctest::Approx(5.0));
  CHECK(std::isnan(j.low));
}

TEST_CASE("statistics: ratio_of_means with the log-scale delta method") {
  // arm 2, 4, 6: mean 4, variance (4 + 0 + 4) / 2 = 4.
  // ref 1, 2, 2: mean 5/3, variance (4/9 + 1/9 + 1/9) / 2 = 1/3.
  // covariance ((-2)(-2/3) + 0 (1/3) + 2 (1/3)) / 2 = 1. Ratio 4 / (5/3) = 2.4.
  // var(log r) = 4 / (3 * 16) + (1/3) / (3 * 25/9) - 2 * 1 / (3 * 4 * 5/3)
  //            = 1/12 + 1/25 - 1/10 = 0.0233333, se = 0.1527525;
  // half-width t(2) * se = 4.3026527 * 0.1527525 = 0.6572411;
  // interval 2.4 exp(-0.6572411) = 1.2438702, 2.4 exp(0.6572411) = 4.6307081.
  const std::vector<double> arm = {2.0, 4.0, 6.0, missing};
  const std::vector<double> ref = {1.0, 2.0, 2.0, 7.0};
  const Interval r = ratio_of_means(arm, ref);
  CHECK(r.estimate == doctest::Approx(2.4));
  CHECK(r.low == doctest::Approx(1.2438702355).epsilon(1e-9));
  CHECK(r.high == doctest::Approx(4.6307081202).epsilon(1e-9));

  const std::vector<double> negative = {-1.0, -2.0, 0.5, 1.0};
  const Interval n = ratio_of_means(negative, ref);
  CHECK(std::isnan(n.estimate));
  CHECK(std::isnan(n.low));
  CHECK(std::isnan(n.high));
}

TEST_CASE("statistics: kaplan_meier with censoring and ties, Greenwood log(-log) bounds") {
  // Agent:   a  b  c  d  e  f  g  h
  // day:     1  1  1  2  3  3  4  5
  // event:   1  1  0  1  0  1  1  0
  // day 0: n = 8, d = 0: S = 1.
  // day 1: n = 8 (c, censored on day 1, is still at risk), d = 2: S = 6/8 = 0.75.
  // day 2: n = 5 (d e f g h), d = 1: S = 0.75 * 4/5 = 0.6.
  // day 3: n = 4 (e f g h), d = 1 (e censored the same day): S = 0.6 * 3/4 = 0.45.
  // day 4: n = 2 (g h), d = 1: S = 0.45 * 1/2 = 0.225.
  // day 5: n = 1 (h), d = 0: S = 0.225.
  const std::vector<std::int32_t> time = {1, 1, 1, 2, 3, 3, 4, 5};
  const std::vector<std::uint8_t> event = {1, 1, 0, 1, 0, 1, 1, 0};
  const SurvivalCurve c = kaplan_meier(time, event, 6);
  REQUIRE(c.survival.size() == 6);
  REQUIRE(c.low.size() == 6);
  REQUIRE(c.high.size() == 6);
  REQUIRE(c.at_risk.size() == 6);
  const std::vector<double> s = {1.0, 0.75, 0.6, 0.45, 0.225, 0.225};
  const std::vector<std::int64_t> n = {8, 8, 5, 4, 2, 1};
  for (std::size_t t = 0; t < 6; ++t) {
    CAPTURE(t);
    CHECK(c.survival[t] == doctest::Approx(s[t]).epsilon(1e-12));
    CHECK(c.at_risk[t] == n[t]);
    CHECK(c.low[t] <= c.survival[t]);
    CHECK(c.high[t] >= c.survival[t]);
  }
  // Day 0: S = 1, the bounds equal S.
  CHECK(c.low[0] == 1.0);
  CHECK(c.high[0] == 1.0);
  // Day 3: Greenwood sum d / (n (n - d)) = 2/(8*6) + 1/(5*4) + 1/(4*3) = 5/120 + 6/120 + 10/120
  // = 0.175. log S = log 0.45 = -0.7985077; se of log(-log S) = sqrt(0.175) / 0.7985077
  // = 0.4183300 / 0.7985077 = 0.5238898. exp(1.959964 * 0.5238898) = 2.7921309, so
  // low = 0.45^2.7921309 = 0.1075781 and high = 0.45^(1/2.7921309) = 0.7512738.
  CHECK(c.low[3] == doctest::Approx(0.107578115238).epsilon(1e-6));
  CHECK(c.high[3] == doctest::Approx(0.751273849926).epsilon(1e-6));
  // Day 1: Greenwood sum 1/24, se = sqrt(1/24) / |log 0.75| = 0.2041241 / 0.2876821 = 0.7095477;
  // exp(1.959964 * 0.7095477) = 4.0176128: low = 0.75^4.0176128 = 0.3148071,
  // high = 0.75^(1/4.0176128) = 0.9308983.
  CHECK(c.low[1] == doctest::Approx(0.314807113706).epsilon(1e-6));
  CHECK(c.high[1] == doctest::Approx(0.930898317091).epsilon(1e-6));

  // Everyone at risk has the event: S = 0, bounds equal S, and stays so.
  const std::vector<std::int32_t> time2 = {0, 1};
  const std::vector<std::uint8_t> event2 = {1, 1};
  const SurvivalCurve z = kaplan_meier(time2, event2, 3);
  CHECK(z.survival == std::vector<double>{0.5, 0.0, 0.0});
  CHECK(z.at_risk == std::vector<std::int64_t>{2, 1, 0});
  CHECK(z.low[1] == 0.0);
  CHECK(z.high[1] == 0.0);
  CHECK(z.low[2] == 0.0);
  CHECK(z.high[2] == 0.0);

  const std::vector<std::int32_t> late = {6};
  const std::vector<std::uint8_t> one_event = {1};
  CHECK_THROWS_AS(kaplan_meier(late, one_event, 6), std::invalid_argument);
}

TEST_CASE("statistics: mean_curve over replicates") {
  SurvivalCurve a{{1.0, 0.8, 0.6}, {1.0, 0.7, 0.5}, {1.0, 0.9, 0.7}, {10, 8, 6}};
  SurvivalCurve b{{1.0, 0.9, 0.5}, {1.0, 0.8, 0.4}, {1.0, 1.0, 0.6}, {10, 9, 5}};
  SurvivalCurve c{{1.0, 0.7, 0.7}, {1.0, 0.6, 0.6}, {1.0, 0.8, 0.8}, {10, 7, 6}};
  const std::vector<SurvivalCurve> curves = {a, b, c};
  const SurvivalCurve m = mean_curve(curves);
  // Day 0: all 1, no spread. Days 1 and 2: means 0.8 and 0.6, both with deviations
  // (0, 0.1, -0.1) and (0, -0.1, 0.1): sd 0.1, standard error 0.1 / sqrt(3), and t(2) =
  // 4.3026527. The interval is taken on the logit scale so that it stays in [0, 1] (the plain
  // one, 0.8 +- 0.2484, would reach 1.048): expit(logit(m) +- t se / (m (1 - m))).
  // at_risk: means 10, 8, 17/3 = 5.67 -> 6.
  const auto logit_bound = [](double mean, double sign) {
    const double half = 4.302652729749464 * 0.1 / std::sqrt(3.0) / (mean * (1.0 - mean));
    return 1.0 / (1.0 + std::exp(-(std::log(mean / (1.0 - mean)) + sign * half)));
  };
  CHECK(m.survival[0] == 1.0);
  CHECK(m.low[0] == 1.0);
  CHECK(m.high[0] == 1.0);
  CHECK(m.survival[1] == doctest::Approx(0.8));
  CHECK(m.low[1] == doctest::Approx(logit_bound(0.8, -1)).epsilon(1e-9));
  CHECK(m.high[1] == doctest::Approx(logit_bound(0.8, +1)).epsilon(1e-9));
  CHECK(m.high[1] < 1.0);
  CHECK(m.survival[2] == doctest::Approx(0.6));
  CHECK(m.low[2] == doctest::Approx(logit_bound(0.6, -1)).epsilon(1e-9));
  CHECK(m.high[2] == doctest::Approx(logit_bound(0.6, +1)).epsilon(1e-9));
  CHECK(m.at_risk == std::vector<std::int64_t>{10, 8, 6});

  // One curve: returned as is, with its own bounds.
  const std::vector<SurvivalCurve> single = {b};
  const SurvivalCurve s = mean_curve(single);
  CHECK(s.survival == b.survival);
  CHECK(s.low == b.low);
  CHECK(s.high == b.high);
  CHECK(s.at_risk == b.at_risk);

  const std::vector<SurvivalCurve> none;
  CHECK(mean_curve(none).survival.empty());

  SurvivalCurve shorter{{1.0}, {1.0}, {1.0}, {10}};
  const std::vector<SurvivalCurve> mismatched = {a, shorter};
  CHECK_THROWS_AS(mean_curve(mismatched), std::invalid_argument);
}

TEST_CASE("statistics: discounted_sum") {
  // 1 per day on days 0 .. 1460 (four years of 365.25 days) at 3% a year: a geometric series
  // of ratio q = 1.03^(-1/365.25) = 0.99991907568, sum (1 - q^1461) / (1 - q)
  // = (1 - 1.03^-4) / (1 - q) = 1377.99067543.
  const std::vector<double> ones(1461, 1.0);
  CHECK(discounted_sum(ones, 0.03) == doctest::Approx(1377.99067543).epsilon(1e-10));
  CHECK(discounted_sum(ones, 0.0) == 1461.0);
  // Day 0 is not discounted; 1000 on day 365 at 5%: 1000 / 1.05^(365/365.25) = 952.4128
  std::vector<double> two(366, 0.0);
  two[0] = 10.0;
  two[365] = 1000.0;
  CHECK(discounted_sum(two, 0.05) == doctest::Approx(10.0 + 1000.0 / std::pow(1.05, 365.0 / 365.25)));
  CHECK(discounted_sum(two, 0.05) == doctest::Approx(962.412758).epsilon(1e-8));
}

TEST_CASE("statistics: icer_bootstrap") {
  // Sums: cost 865, effect 0.084; ICER = (865/8) / (0.084/8) = 10297.619048.
  const std::vector<double> cost = {100.0, 120.0, 90.0, 110.0, 130.0, 95.0, 105.0, 115.0};
  const std::vector<double> effect = {0.010, 0.012, 0.008, 0.011, 0.013, 0.009, 0.010, 0.011};
  const Interval a = icer_bootstrap(cost, effect, 2000, RandomKey{11, 0});
  CHECK(a.estimate == doctest::Approx(10297.619048).epsilon(1e-9));
  CHECK(a.low < a.estimate);
  CHECK(a.high > a.estimate);
  // The cost and effect move together, so the ratio is tight: within 5% of the estimate.
  CHECK(a.low > 0.95 * a.estimate);
  CHECK(a.high < 1.05 * a.estimate);

  const Interval same = icer_bootstrap(cost, effect, 2000, RandomKey{11, 0});
  CHECK(same.low == a.low);
  CHECK(same.high == a.high);

  const Interval other = icer_bootstrap(cost, effect, 2000, RandomKey{12, 0});
  CHECK(other.estimate == a.estimate);
  CHECK((other.low != a.low || other.high != a.high));
  CHECK(other.low == doctest::Approx(a.low).epsilon(0.01));
  CHECK(other.high == doctest::Approx(a.high).epsilon(0.01));

  // An effect of unsettled sign (mean 0.05 with replicates of both signs): the ratio is
  // unbounded, so the bounds are NaN while the estimate 10 / 0.05 = 200 stands.
  const std::vector<double> cost2 = {10.0, 12.0, 8.0, 11.0, 9.0, 10.0};
  const std::vector<double> effect2 = {1.0, -1.0, 0.5, -0.8, 0.2, 0.4};
  const Interval u = icer_bootstrap(cost2, effect2, 1000, RandomKey{11, 0});
  CHECK(u.estimate == doctest::Approx(200.0));
  CHECK(std::isnan(u.low));
  CHECK(std::isnan(u.high));

  // A negative effect (the option is worse) of settled sign: a finite interval around the
  // ratio, here negative since the option saves money too (cost -865/8, effect -0.084/8).
  std::vector<double> saving(cost), worse(effect);
  for (auto& v : saving) v = -v;
  for (auto& v : worse) v = -v;
  const Interval w = icer_bootstrap(saving, worse, 2000, RandomKey{11, 0});
  CHECK(w.estimate == doctest::Approx(10297.619048).epsilon(1e-9));
  CHECK(w.low == a.low);
  CHECK(w.high == a.high);

  const std::vector<double> zero = {1.0, -1.0};
  CHECK(std::isnan(icer_bootstrap(zero, zero, 100, RandomKey{1, 0}).estimate));
}

TEST_CASE("statistics: dominance, strong and extended") {
  // Option  cost    effect  (listed out of cost order)
  //   A    10000    1.0
  //   B    20000    1.2     ICER vs A = 10000 / 0.2 = 50000
  //   C    25000    1.1     costs more than B for less effect: dominated
  //   D    40000    2.0     ICER vs B = 20000 / 0.8 = 25000 < 50000: B extendedly dominated;
  //                         then ICER vs A = 30000 / 1.0 = 30000
  //   E    60000    2.4     ICER vs D = 20000 / 0.4 = 50000 > 30000: frontier A, D, E.
  const std::vector<double> cost = {40000.0, 25000.0, 10000.0, 60000.0, 20000.0};  // D C A E B
  const std::vector<double> effect = {2.0, 1.1, 1.0, 2.4, 1.2};
  const std::vector<Dominance> d = dominance(cost, effect);
  CHECK(d == std::vector<Dominance>{Dominance::efficient, Dominance::dominated, Dominance::efficient,
                                    Dominance::efficient, Dominance::extendedly_dominated});

  // Removing one option can expose another: P0 (0, 0), P1 (10, 1), P2 (25, 2), P3 (29, 3).
  // ICERs 10, 15, 4: P2 goes (15 > 4). Then P1 -> P3 costs 19 for 2, ICER 9.5 < 10: P1 goes.
  // The frontier P0 -> P3 has ICER 29/3.
  const std::vector<double> cost2 = {0.0, 10.0, 25.0, 29.0};
  const std::vector<double> effect2 = {0.0, 1.0, 2.0, 3.0};
  CHECK(dominance(cost2, effect2) == std::vector<Dominance>{Dominance::efficient, Dominance::extendedly_dominated,
                                                            Dominance::extendedly_dominated, Dominance::efficient});

  // Ties: same cost, less effect -> dominated; same effect, more cost -> dominated; identical
  // options both efficient; a middle option on a straight segment stays efficient.
  const std::vector<double> cost3 = {0.0, 10.0, 10.0, 10.0, 15.0, 20.0};
  const std::vector<double> effect3 = {0.0, 1.0, 0.5, 1.0, 1.0, 2.0};
  CHECK(dominance(cost3, effect3) == std::vector<Dominance>{Dominance::efficient, Dominance::efficient,
                                                            Dominance::dominated, Dominance::efficient,
                                                            Dominance::dominated, Dominance::efficient});

  CHECK(dominance_name(Dominance::efficient) == "efficient");
  CHECK(dominance_name(Dominance::dominated) == "dominated");
  CHECK(dominance_name(Dominance::extendedly_dominated) == "extendedly dominated");
}
