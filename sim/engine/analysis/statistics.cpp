// Statistics of replicated runs (see statistics.hpp).
#include "statistics.hpp"

#include "calendar.hpp"
#include "portable_math.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace recoverysim::analysis {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double z_975 = 1.959963984540054;  // quantile 0.975 of the standard normal

// Quantile 0.975 of Student's t for df = 1 .. 30 (the inverse of the regularized incomplete
// beta function, to 17 significant digits).
constexpr std::array<double, 30> t_975_table = {
    12.706204736174705, 4.3026527297494639, 3.1824463052837096, 2.7764451051977944, 2.5705818356363155,
    2.4469118511449700, 2.3646242515927853, 2.3060041352041667, 2.2621571627982055, 2.2281388519862747,
    2.2009851600916399, 2.1788128296672289, 2.1603686564627925, 2.1447866879178038, 2.1314495455597757,
    2.1199052992212547, 2.1098155778333171, 2.1009220402410385, 2.0930240544083098, 2.0859634472658648,
    2.0796138447276804, 2.0738730679040262, 2.0686576104190487, 2.0638985616280258, 2.0595385527532977,
    2.0555294386428732, 2.0518305164802856, 2.0484071417952452, 2.0452296421327043, 2.0422724563012383};

// Continued fraction of the incomplete beta function (modified Lentz), as in Numerical Recipes.
double beta_continued_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 1000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1.0) < 1e-16) break;
  }
  return h;
}

// Regularized incomplete beta I_x(a, b), with y = 1 - x given separately to keep its precision.
// Only used for a + b <= 16. Its front factor x^a y^b / B(a, b) is formed in logarithms with
// the project's own lgamma and log (portable_math.hpp), so that it is the same on every CPU.
double incomplete_beta(double a, double b, double x, double y) {
  if (x <= 0.0) return 0.0;
  if (y <= 0.0) return 1.0;
  const double front = portable::exp(portable::lgamma(a + b) - portable::lgamma(a) - portable::lgamma(b) +
                                     a * portable::log(x) + b * portable::log(y));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, y) / b;
}

// Quantile 0.975 of Student's t for a real df >= 1 (Welch's df is fractional): the table at
// integer df <= 30, the Cornish-Fisher expansion from df = 30 on, and in between the root of
// P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2) = 0.05, found by bisection.
double t_975(double df) {
  if (!(df >= 1.0)) return nan;
  if (df <= 30.0 && df == std::floor(df)) return t_975_table[static_cast<std::size_t>(df) - 1];
  if (df >= 30.0) {
    // Cornish-Fisher expansion of the t quantile in powers of 1/df (Abramowitz & Stegun 26.7.5).
    const double z = z_975, z2 = z * z;
    const double z3 = z * z2, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
    const double g1 = (z3 + z) / 4.0;
    const double g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0;
    const double g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0;
    const double g4 = (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / 92160.0;
    const double v = 1.0 / df;
    return z + v * (g1 + v * (g2 + v * (g3 + v * g4)));
  }
  double lo = z_975, hi = 13.0;  // the quantile lies between the normal's and t(1)'s
  for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
    const double t = 0.5 * (lo + hi);
    const double x = df / (df + t * t), y = t * t / (df + t * t);
    if (incomplete_beta(0.5 * df, 0.5, x, y) > 0.05) lo = t;
    else hi = t;
  }
  return 0.5 * (lo + hi);
}

struct Moments {
  std::size_t n = 0;
  double mean = nan;
  double variance = nan;  // with n - 1 in the denominator; NaN when n < 2
};

Moments moments(std::span<const double> x) {
  Moments m;
  double sum = 0.0;
  for (const double v : x)
    if (!std::isnan(v)) {
      sum += v;
      ++m.n;
    }
  if (m.n == 0) return m;
  m.mean = sum / static_cast<double>(m.n);
  if (m.n < 2) return m;
  double ss = 0.0;
  for (const double v : x)
    if (!std::isnan(v)) ss += (v - m.mean) * (v - m.mean);
  m.variance = ss / static_cast<double>(m.n - 1);
  return m;
}

void require_same_length(std::size_t a, std::size_t b, const char* what) {
  if (a != b) throw std::invalid_argument(std::string(what) + ": inputs of different lengths");
}

// The pairs (a[i], b[i]) with no NaN on either side.
std::pair<std::vector<double>, std::vector<double>> complete_pairs(std::span<const double> a,
                                                                   std::span<const double> b) {
  std::pair<std::vector<double>, std::vector<double>> out;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!std::isnan(a[i]) && !std::isnan(b[i])) {
      out.first.push_back(a[i]);
      out.second.push_back(b[i]);
    }
  return out;
}

}  // namespace

double t_quantile_975(std::int64_t df) { return df < 1 ? nan : t_975(static_cast<double>(df)); }

Interval mean_interval(std::span<const double> x, Bounds bounds) {
  if (bounds == Bounds::percent) {
    std::vector<double> shares(x.begin(), x.end());
    for (double& v : shares) v /= 100.0;
    const Interval i = mean_interval(shares, Bounds::unit);
    return {i.estimate * 100.0, i.low * 100.0, i.high * 100.0};
  }
  const Moments m = moments(x);
  if (m.n < 2 || !std::isfinite(m.mean)) return {m.mean, nan, nan};
  const double se = std::sqrt(m.variance / static_cast<double>(m.n));
  const double t = t_975(static_cast<double>(m.n - 1));
  if (bounds == Bounds::nonnegative && m.mean >= 0.0) {
    if (m.mean == 0.0 || se == 0.0) return {m.mean, m.mean, m.mean};
    const double half = t * se / m.mean;
    return {m.mean, m.mean * portable::exp(-half), m.mean * portable::exp(half)};
  }
  if (bounds == Bounds::unit && m.mean >= 0.0 && m.mean <= 1.0) {
    if (m.mean == 0.0 || m.mean == 1.0 || se == 0.0) return {m.mean, m.mean, m.mean};
    const double logit = portable::log(m.mean / (1.0 - m.mean));
    const double half = t * se / (m.mean * (1.0 - m.mean));
    const auto expit = [](double z) { return 1.0 / (1.0 + portable::exp(-z)); };
    return {m.mean, expit(logit - half), expit(logit + half)};
  }
  return {m.mean, m.mean - t * se, m.mean + t * se};
}

Interval paired_difference(std::span<const double> arm, std::span<const double> ref) {
  require_same_length(arm.size(), ref.size(), "paired_difference");
  std::vector<double> difference;
  for (std::size_t i = 0; i < arm.size(); ++i)
    if (!std::isnan(arm[i]) && !std::isnan(ref[i])) difference.push_back(arm[i] - ref[i]);
  return mean_interval(difference);
}

Interval unpaired_difference(std::span<const double> arm, std::span<const double> ref) {
  const Moments a = moments(arm), b = moments(ref);
  const double estimate = a.mean - b.mean;
  if (a.n < 2 || b.n < 2) return {estimate, nan, nan};
  const double va = a.variance / static_cast<double>(a.n), vb = b.variance / static_cast<double>(b.n);
  const double se2 = va + vb;
  if (se2 == 0.0) return {estimate, estimate, estimate};
  // Welch-Satterthwaite; never below min(n_a, n_b) - 1 >= 1 but for rounding.
  const double df = se2 * se2 / (va * va / static_cast<double>(a.n - 1) + vb * vb / static_cast<double>(b.n - 1));
  const double half = t_975(std::max(df, 1.0)) * std::sqrt(se2);
  return {estimate, estimate - half, estimate + half};
}

Interval ratio_of_means(std::span<const double> arm, std::span<const double> ref) {
  require_same_length(arm.size(), ref.size(), "ratio_of_means");
  const auto [a, b] = complete_pairs(arm, ref);
  const Moments ma = moments(a), mb = moments(b);
  if (ma.n == 0 || !(ma.mean > 0.0) || !(mb.mean > 0.0)) return {nan, nan, nan};
  const double ratio = ma.mean / mb.mean;
  if (ma.n < 2) return {ratio, nan, nan};
  double cross = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) cross += (a[i] - ma.mean) * (b[i] - mb.mean);
  const double n = static_cast<double>(ma.n);
  const double covariance = cross / (n - 1.0);
  const double var_log = ma.variance / (n * ma.mean * ma.mean) + mb.variance / (n * mb.mean * mb.mean) -
                         2.0 * covariance / (n * ma.mean * mb.mean);
  const double half = t_975(n - 1.0) * std::sqrt(std::max(var_log, 0.0));
  return {ratio, ratio * portable::exp(-half), ratio * portable::exp(half)};
}

SurvivalCurve kaplan_meier(std::span<const std::int32_t> time, std::span<const std::uint8_t> event, std::int64_t days) {
  require_same_length(time.size(), event.size(), "kaplan_meier");
  if (days < 0) throw std::invalid_argument("kaplan_meier: negative number of days");
  const auto length = static_cast<std::size_t>(days);
  // Events and exits (events and censorings) per day.
  std::vector<std::int64_t> events(length, 0), exits(length, 0);
  for (std::size_t i = 0; i < time.size(); ++i) {
    if (time[i] < 0 || time[i] >= days) throw std::invalid_argument("kaplan_meier: time outside 0 .. days-1");
    const auto t = static_cast<std::size_t>(time[i]);
    ++exits[t];
    if (event[i] != 0) ++events[t];
  }
  SurvivalCurve curve;
  curve.survival.resize(length);
  curve.low.resize(length);
  curve.high.resize(length);
  curve.at_risk.resize(length);
  auto at_risk = static_cast<std::int64_t>(time.size());
  double s = 1.0;
  double greenwood = 0.0;  // sum of d / (n (n - d)): var(S) / S^2
  for (std::size_t t = 0; t < length; ++t) {
    const std::int64_t n = at_risk, d = events[t];
    if (d > 0) {
      if (d == n) {
        s = 0.0;
      } else {
        const auto nd = static_cast<double>(n), dd = static_cast<double>(d);
        s *= (nd - dd) / nd;
        greenwood += dd / (nd * (nd - dd));
      }
    }
    curve.survival[t] = s;
    curve.at_risk[t] = n;
    if (s <= 0.0 || s >= 1.0) {
      curve.low[t] = curve.high[t] = s;
    } else {
      const double log_s = portable::log(s);
      const double se = std::sqrt(greenwood) / std::fabs(log_s);  // se of log(-log S)
      curve.low[t] = portable::pow(s, portable::exp(z_975 * se));
      curve.high[t] = portable::pow(s, portable::exp(-z_975 * se));
    }
    at_risk -= exits[t];
  }
  return curve;
}

SurvivalCurve mean_curve(std::span<const SurvivalCurve> curves) {
  if (curves.empty()) return {};
  if (curves.size() == 1) return curves.front();
  const std::size_t length = curves.front().survival.size();
  for (const auto& c : curves) {
    require_same_length(c.survival.size(), length, "mean_curve");
    require_same_length(c.at_risk.size(), length, "mean_curve");
  }
  SurvivalCurve out;
  out.survival.resize(length);
  out.low.resize(length);
  out.high.resize(length);
  out.at_risk.resize(length);
  std::vector<double> column(curves.size());
  for (std::size_t t = 0; t < length; ++t) {
    double at_risk = 0.0;
    for (std::size_t r = 0; r < curves.size(); ++r) {
      column[r] = curves[r].survival[t];
      at_risk += static_cast<double>(curves[r].at_risk[t]);
    }
    const Interval i = mean_interval(column, Bounds::unit);
    out.survival[t] = i.estimate;
    out.low[t] = i.low;
    out.high[t] = i.high;
    out.at_risk[t] = std::llround(at_risk / static_cast<double>(curves.size()));
  }
  return out;
}

double discounted_sum(std::span<const double> daily, double annual_rate) {
  double sum = 0.0;
  for (std::size_t t = 0; t < daily.size(); ++t)
    sum += daily[t] / portable::pow(1.0 + annual_rate, static_cast<double>(t) / days_per_year);
  return sum;
}

Interval icer_bootstrap(std::span<const double> cost, std::span<const double> effect, int samples, RandomKey key) {
  require_same_length(cost.size(), effect.size(), "icer_bootstrap");
  const auto [c, e] = complete_pairs(cost, effect);
  const std::size_t n = c.size();
  if (n == 0) return {nan, nan, nan};
  const double mean_cost = std::accumulate(c.begin(), c.end(), 0.0) / static_cast<double>(n);
  const double mean_effect = std::accumulate(e.begin(), e.end(), 0.0) / static_cast<double>(n);
  if (mean_effect == 0.0) return {nan, nan, nan};
  const double estimate = mean_cost / mean_effect;
  if (n < 2 || samples < 1) return {estimate, nan, nan};
  // Work with the effect's sign made positive: the ratio is unchanged by negating both means.
  const double sign = mean_effect > 0.0 ? 1.0 : -1.0;
  struct Point {
    double angle, cost, effect;
  };
  std::vector<Point> points(static_cast<std::size_t>(samples));
  int unsettled = 0;
  const auto n64 = static_cast<std::uint64_t>(n);
  for (int s = 0; s < samples; ++s) {
    DrawSequence draws(key, static_cast<std::uint32_t>(s), 0, bootstrap_stream);
    double sum_cost = 0.0, sum_effect = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>((std::uint64_t{draws.next_u32()} * n64) >> 32);
      sum_cost += c[i];
      sum_effect += e[i];
    }
    const double pc = sign * sum_cost / static_cast<double>(n), pe = sign * sum_effect / static_cast<double>(n);
    if (!(pe > 0.0)) ++unsettled;
    points[static_cast<std::size_t>(s)] = {portable::atan2(pc, pe), pc, pe};
  }
  if (static_cast<double>(unsettled) > 0.025 * static_cast<double>(samples)) return {estimate, nan, nan};
  std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.angle < b.angle; });
  const auto tail = static_cast<std::size_t>(std::floor(0.025 * static_cast<double>(samples)));
  const Point& lo = points[tail];
  const Point& hi = points[points.size() - 1 - tail];
  if (!(lo.effect > 0.0) || !(hi.effect > 0.0)) return {estimate, nan, nan};
  return {estimate, lo.cost / lo.effect, hi.cost / hi.effect};
}

std::string dominance_name(Dominance d) {
  switch (d) {
    case Dominance::efficient: return "efficient";
    case Dominance::dominated: return "dominated";
    case Dominance::extendedly_dominated: return "extendedly dominated";
  }
  return "unknown";
}

std::vector<Dominance> dominance(std::span<const double> cost, std::span<const double> effect) {
  require_same_length(cost.size(), effect.size(), "dominance");
  const std::size_t n = cost.size();
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(cost[i]) || !std::isfinite(effect[i]))
      throw std::invalid_argument("dominance: costs and effects must be finite");
  std::vector<Dominance> status(n, Dominance::efficient);
  // Strong dominance: j costs no more and achieves at least as much, one of them strictly.
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (cost[j] <= cost[i] && effect[j] >= effect[i] && (cost[j] < cost[i] || effect[j] > effect[i])) {
        status[i] = Dominance::dominated;
        break;
      }
  // The remaining options by cost; identical ones form one point of the frontier. Between
  // undominated options, equal costs mean equal effects, so costs and effects both increase.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < n; ++i)
    if (status[i] == Dominance::efficient) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cost[a] < cost[b]; });
  std::vector<std::vector<std::size_t>> frontier;  // the options at each point, by cost
  for (const std::size_t i : order) {
    if (!frontier.empty() && cost[frontier.back().front()] == cost[i]) frontier.back().push_back(i);
    else frontier.push_back({i});
  }
  // Extended dominance: point k goes when its ICER against k-1 exceeds that of k+1 against k,
  // (c_k - c_{k-1}) / (e_k - e_{k-1}) > (c_{k+1} - c_k) / (e_{k+1} - e_k), compared as cross
  // products (both effect differences are > 0). One point at a time, the cheapest first.
  for (bool removed = true; removed;) {
    removed = false;
    for (std::size_t k = 1; k + 1 < frontier.size(); ++k) {
      const std::size_t p = frontier[k - 1].front(), q = frontier[k].front(), r = frontier[k + 1].front();
      if ((cost[q] - cost[p]) * (effect[r] - effect[q]) > (cost[r] - cost[q]) * (effect[q] - effect[p])) {
        for (const std::size_t i : frontier[k]) status[i] = Dominance::extendedly_dominated;
        frontier.erase(frontier.begin() + static_cast<std::ptrdiff_t>(k));
        removed = true;
        break;
      }
    }
  }
  return status;
}

}  // namespace recoverysim::analysis
