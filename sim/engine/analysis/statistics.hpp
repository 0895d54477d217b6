// Statistics of replicated runs: intervals over replicates, paired comparisons between arms,
// Kaplan-Meier curves, discounting and cost-effectiveness. Pure functions on plain arrays, so
// each can be checked against a hand-computed example. Inputs of mismatched lengths (arm and
// reference, time and event, curves) throw std::invalid_argument.
#pragma once

#include "random.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace recoverysim::analysis {

// An estimate with its two-sided 95% interval. NaN bounds when the interval is undefined
// (one replicate, a zero denominator, ...); a NaN estimate when the estimate is.
struct Interval {
  double estimate = 0.0;
  double low = 0.0;
  double high = 0.0;
};

// Quantile 0.975 of Student's t with `df` degrees of freedom (df >= 1; NaN for df < 1).
// Exact tabulated values for df <= 30, the Cornish-Fisher expansion in 1/df beyond (error
// below 3e-8, tending to 1.959964 as df grows).
double t_quantile_975(std::int64_t df);

// The range a quantity can take, so that its interval stays inside it.
enum class Bounds {
  none,         // any real number (differences)
  nonnegative,  // counts, rates, costs, days: the interval is taken on the log scale
  unit,         // shares in [0, 1]: the interval is taken on the logit scale
  percent,      // percentages in [0, 100]: as shares, on the logit scale of x / 100
};

// Mean of x with the t interval mean +- t(n-1) sd / sqrt(n). NaN values (an outcome undefined
// in a replicate) are left out; with fewer than two values left the bounds are NaN. With
// `bounds`, the same standard error is carried to the log (nonnegative) or logit (unit) scale
// by the delta method and the interval taken there, so that it never leaves the range: for a
// mean m with standard error se, m exp(+-t se / m), or expit(logit m +- t se / (m (1 - m))).
// A mean on the edge of the range (all values 0, say) has the interval [m, m]. An infinite
// value (a quantile never reached) makes the mean infinite and the bounds NaN.
Interval mean_interval(std::span<const double> x, Bounds bounds = Bounds::none);

// Replicate-paired difference mean(arm - ref) with the t interval of the paired differences.
// Pairs with a NaN on either side are left out.
Interval paired_difference(std::span<const double> arm, std::span<const double> ref);

// The same difference of means with Welch's interval, as if the arms were independent
// samples: shown beside the paired interval to make the gain of pairing visible. NaN values
// are left out of each arm separately; the Welch-Satterthwaite degrees of freedom are not an
// integer in general, and the t quantile is then taken at that fractional df.
Interval unpaired_difference(std::span<const double> arm, std::span<const double> ref);

// Ratio of means mean(arm) / mean(ref), with a delta-method interval on the log scale that
// uses the paired covariance: var(log r) = var_a/(n mean_a^2) + var_b/(n mean_b^2)
// - 2 cov_ab/(n mean_a mean_b), interval exp(log r +- t(n-1) se). Pairs with a NaN on either
// side are left out. NaN estimate and bounds when either mean is <= 0.
Interval ratio_of_means(std::span<const double> arm, std::span<const double> ref);

// Kaplan-Meier estimate of the survival function S(t) = P(no event by the end of day t),
// t = 0 .. days-1. time[i] is the day of agent i's event or censoring (0-based, < days);
// event[i] is 1 for an event, 0 for censoring. Censored at t means observed through day t
// without the event (still at risk on day t), so events and censorings on the same day are
// counted with the censored agents still at risk. Bounds: Greenwood's variance on the
// log(-log S) scale with the normal quantile 1.959964; where S is 1 or 0 the bounds equal S.
// at_risk[t] agents were at risk on day t. All four vectors have length `days`.
struct SurvivalCurve {
  std::vector<double> survival;
  std::vector<double> low;
  std::vector<double> high;
  std::vector<std::int64_t> at_risk;
};
SurvivalCurve kaplan_meier(std::span<const std::int32_t> time, std::span<const std::uint8_t> event, std::int64_t days);

// Pointwise mean of curves (one per replicate, equal lengths) with the t interval over
// replicates (NaN values left out as in mean_interval, kept inside [0, 1] on the logit scale);
// at_risk is the mean over replicates, rounded to the nearest integer. With a single curve,
// that curve unchanged (its own bounds); with none, an empty curve.
SurvivalCurve mean_curve(std::span<const SurvivalCurve> curves);

// Sum over days t of daily[t] / (1 + annual_rate)^(t / 365.25): costs discounted to day 0.
double discounted_sum(std::span<const double> daily, double annual_rate);

// Incremental cost-effectiveness ratio mean(cost) / mean(effect) over replicates (cost and
// effect are per-replicate differences against the reference), with a percentile bootstrap
// interval over replicates (`samples` resamples drawn from Philox with `key`, so the same
// data give the same interval). Bounds are NaN when the effect's sign is not settled: more
// than 2.5% of the resamples give a mean effect <= 0 while the estimate's is > 0 (or
// conversely), since the ratio is then unbounded. Pairs with a NaN on either side are left
// out; the estimate is NaN when the mean effect is 0, the bounds with fewer than two pairs.
//
// Resample s (0-based) takes its n replicate indices from DrawSequence(key, s, 0,
// bootstrap_stream), index = floor(u * n / 2^32) for each 32-bit output u in turn. The
// resampled (mean cost, mean effect) points are ranked by their angle on the
// cost-effectiveness plane, which orders them as their ratio does while their effect has the
// estimate's sign and sends the few with the other sign to the tail their ratio runs off to;
// the bounds are the ratios of the points of rank floor(0.025 samples) and
// samples - 1 - floor(0.025 samples).
inline constexpr std::uint32_t bootstrap_stream = 0x80000001u;  // far from the model's streams
Interval icer_bootstrap(std::span<const double> cost, std::span<const double> effect, int samples, RandomKey key);

// Dominance among options given their mean cost and mean effect (more effect is better):
// dominated (another option costs no more and achieves at least as much, one of them
// strictly), extendedly dominated (its ICER against the next cheaper efficient option exceeds
// that of a costlier efficient option), or efficient. Strong dominance is decided first; the
// remaining options, sorted by cost, then lose one extendedly dominated option at a time (the
// cheapest found) until the ICERs along the frontier no longer decrease. Ties: of two options
// with the same cost the one with less effect is dominated, and of two with the same effect
// the costlier one; identical options do not dominate each other and share one status. A
// middle option on a straight segment (equal ICERs on both sides) stays efficient. Costs and
// effects must be finite (std::invalid_argument otherwise).
enum class Dominance { efficient, dominated, extendedly_dominated };
std::string dominance_name(Dominance d);
std::vector<Dominance> dominance(std::span<const double> cost, std::span<const double> effect);

}  // namespace recoverysim::analysis
