// Aalen-Johansen, net Kaplan-Meier, restricted means and quantiles (see survival.hpp).
#include "survival.hpp"

#include "portable_math.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace recoverysim::analysis {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double ratio(std::int64_t a, std::int64_t b) { return static_cast<double>(a) / static_cast<double>(b); }

// Walks a table day by day, keeping the risk set and whether every value so far is still an
// exact ratio of counts: nobody censored before today, nobody entered after someone left.
// `leaves(t)` says how many of day t's events take people out of the risk set of the curve at
// hand without being censoring (all causes for Aalen-Johansen, one cause for the net curve);
// the other causes' events count as censoring in the exactness test.
struct RiskSet {
  std::int64_t at_risk = 0;
  std::int64_t entered = 0;  // the base of the exact ratios
  std::int64_t exits = 0;    // every exit so far (events of any cause and censorings)
  bool exact = true;

  // Opens day t: adds its entries. Returns the people at risk on day t.
  std::int64_t open(const EventTable& table, std::size_t t) {
    const std::int64_t in = table.entered[t];
    if (in > 0 && exits > 0) exact = false;
    at_risk += in;
    entered += in;
    return at_risk;
  }
  // Closes day t once its events are counted: `censoring_like` of the day's exits are not
  // the curve's own events.
  void close(std::int64_t all_exits, std::int64_t censoring_like) {
    at_risk -= all_exits;
    exits += all_exits;
    if (censoring_like > 0) exact = false;
  }
};

std::int64_t day_events(const EventTable& table, std::size_t t) {
  std::int64_t d = 0;
  for (std::size_t k = 0; k < table.causes; ++k) d += table.event(t, k);
  return d;
}

}  // namespace

EventTable::EventTable(std::size_t days_, std::size_t causes_)
    : days(days_), causes(causes_), entered(days_, 0), censored(days_, 0), events(days_ * causes_, 0) {}

EventTable& EventTable::operator+=(const EventTable& other) {
  if (other.days != days || other.causes != causes)
    throw std::invalid_argument("EventTable: adding tables of different shapes");
  for (std::size_t i = 0; i < entered.size(); ++i) entered[i] += other.entered[i];
  for (std::size_t i = 0; i < censored.size(); ++i) censored[i] += other.censored[i];
  for (std::size_t i = 0; i < events.size(); ++i) events[i] += other.events[i];
  return *this;
}

std::int64_t EventTable::total_entered() const {
  std::int64_t n = 0;
  for (const auto e : entered) n += e;
  return n;
}

CompetingRisks aalen_johansen(const EventTable& table, bool with_variance) {
  const std::size_t T = table.days, K = table.causes;
  CompetingRisks out;
  out.survival.assign(T, 1.0);
  out.incidence.assign(K, std::vector<double>(T, 0.0));
  out.at_risk.assign(T, 0);
  std::vector<std::int64_t> cumulative(K, 0);
  std::int64_t cumulative_all = 0;
  double s = 1.0;  // survival at the end of the previous day
  std::vector<double> f(K, 0.0);
  RiskSet risk;
  // Delta-method sums (Marubini & Valsecchi 1995): with a_j = d_j / (n_j (n_j - d_j)),
  // b_j = S_{j-1}^2 d_kj (n_j - d_kj) / n_j^3 and c_j = S_{j-1} d_kj / n_j^2,
  // var F_k(t) = sum_j [F_k(t) - F_k(j)]^2 a_j + sum_j b_j - 2 sum_j [F_k(t) - F_k(j)] c_j,
  // expanded into running sums so that the whole curve costs O(T).
  std::vector<double> sum_a(1, 0.0), sum_aF(K, 0.0), sum_aF2(K, 0.0), sum_b(K, 0.0), sum_c(K, 0.0), sum_cF(K, 0.0);
  if (with_variance) out.variance.assign(K, std::vector<double>(T, 0.0));
  for (std::size_t t = 0; t < T; ++t) {
    const std::int64_t n = risk.open(table, t);
    out.at_risk[t] = n;
    const std::int64_t d = day_events(table, t);
    const double s_before = s;
    if (n > 0 && d > 0) {
      for (std::size_t k = 0; k < K; ++k) cumulative[k] += table.event(t, k);
      cumulative_all += d;
      if (risk.exact) {
        for (std::size_t k = 0; k < K; ++k) f[k] = ratio(cumulative[k], risk.entered);
        s = ratio(risk.entered - cumulative_all, risk.entered);
      } else {
        for (std::size_t k = 0; k < K; ++k) f[k] += s_before * ratio(table.event(t, k), n);
        s = s_before * (1.0 - ratio(d, n));
      }
    }
    out.survival[t] = s;
    for (std::size_t k = 0; k < K; ++k) out.incidence[k][t] = f[k];
    if (with_variance && n > 0 && d > 0) {
      const double nd = static_cast<double>(n), dd = static_cast<double>(d);
      const double a = d < n ? dd / (nd * (nd - dd)) : 0.0;
      sum_a[0] += a;
      for (std::size_t k = 0; k < K; ++k) {
        const double dk = static_cast<double>(table.event(t, k));
        sum_aF[k] += a * f[k];
        sum_aF2[k] += a * f[k] * f[k];
        sum_b[k] += s_before * s_before * dk * (nd - dk) / (nd * nd * nd);
        sum_c[k] += s_before * dk / (nd * nd);
        sum_cF[k] += s_before * dk / (nd * nd) * f[k];
      }
    }
    if (with_variance)
      for (std::size_t k = 0; k < K; ++k) {
        const double F = f[k];
        const double v =
            F * F * sum_a[0] - 2.0 * F * sum_aF[k] + sum_aF2[k] + sum_b[k] - 2.0 * (F * sum_c[k] - sum_cF[k]);
        out.variance[k][t] = std::max(v, 0.0);
      }
    risk.close(d + table.censored[t], table.censored[t]);
  }
  return out;
}

SurvivalCurve incidence_curve(const EventTable& table, std::size_t cause) {
  if (cause >= table.causes) throw std::invalid_argument("incidence_curve: no such cause");
  const CompetingRisks aj = aalen_johansen(table, true);
  constexpr double z = 1.959963984540054;
  SurvivalCurve curve;
  curve.survival = aj.incidence[cause];
  curve.at_risk = aj.at_risk;
  curve.low.resize(table.days);
  curve.high.resize(table.days);
  for (std::size_t t = 0; t < table.days; ++t) {
    const double f = curve.survival[t];
    if (f <= 0.0 || f >= 1.0) {
      curve.low[t] = curve.high[t] = f;
      continue;
    }
    const double se = std::sqrt(aj.variance[cause][t]) / (f * (1.0 - f));
    const double logit = portable::log(f / (1.0 - f));
    curve.low[t] = 1.0 / (1.0 + portable::exp(-(logit - z * se)));
    curve.high[t] = 1.0 / (1.0 + portable::exp(-(logit + z * se)));
  }
  return curve;
}

std::vector<double> net_incidence(const EventTable& table, std::size_t cause) {
  if (cause >= table.causes) throw std::invalid_argument("net_incidence: no such cause");
  std::vector<double> out(table.days, 0.0);
  std::int64_t cumulative = 0;
  double s = 1.0;
  RiskSet risk;
  for (std::size_t t = 0; t < table.days; ++t) {
    const std::int64_t n = risk.open(table, t);
    const std::int64_t dk = table.event(t, cause);
    if (n > 0 && dk > 0) {
      cumulative += dk;
      s = risk.exact ? ratio(risk.entered - cumulative, risk.entered) : s * (1.0 - ratio(dk, n));
    }
    out[t] = 1.0 - s;
    const std::int64_t d = day_events(table, t);
    risk.close(d + table.censored[t], d - dk + table.censored[t]);
  }
  return out;
}

double restricted_mean(std::span<const double> survival, std::size_t tau) {
  if (survival.empty()) return nan;
  double sum = 0.0;
  for (std::size_t t = 0; t < tau; ++t) sum += survival[std::min(t, survival.size() - 1)];
  return sum;
}

double incidence_quantile(std::span<const double> incidence, double p) {
  if (incidence.empty()) return nan;
  // A curve that reaches p exactly may fall short of it by rounding: 1e-9 settles such ties.
  for (std::size_t t = 0; t < incidence.size(); ++t)
    if (incidence[t] >= p - 1e-9) return static_cast<double>(t);
  return std::numeric_limits<double>::infinity();
}

}  // namespace recoverysim::analysis
