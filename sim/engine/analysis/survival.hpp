// Time-to-event estimation from counting-process tables: the Aalen-Johansen cumulative
// incidence with competing causes (and its delta-method variance), the net Kaplan-Meier
// incidence of one cause with the others censored, restricted mean times and quantiles of the
// time to an event. A table holds only counts by day since the origin, so tables of separate
// work units add up, and the estimators never see a record per person.
#pragma once

#include "statistics.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace recoverysim::analysis {

// Counts of one time-to-event table, by day since the origin t = 0 .. days-1:
//  - entered[t]: people who join the risk set at the start of day t (0 for everyone whose
//    clock starts at their own origin; later for a delayed entry, e.g. day 0 as the origin of
//    an open cohort);
//  - event(t, k): people whose first event, of cause k, happens on day t;
//  - censored[t]: people observed through day t without an event, who then leave (the horizon).
// Someone at risk on day t with an event or a censoring that day counts in the risk set of day t.
struct EventTable {
  std::size_t days = 0;
  std::size_t causes = 0;
  std::vector<std::int64_t> entered;
  std::vector<std::int64_t> censored;
  std::vector<std::int64_t> events;  // [t * causes + k]

  EventTable() = default;
  EventTable(std::size_t days, std::size_t causes);
  std::int64_t& event(std::size_t t, std::size_t k) { return events[t * causes + k]; }
  std::int64_t event(std::size_t t, std::size_t k) const { return events[t * causes + k]; }
  EventTable& operator+=(const EventTable& other);
  std::int64_t total_entered() const;
};

// The Aalen-Johansen estimate from a table:
//  - survival[t]: P(no event of any cause by the end of day t since the origin);
//  - incidence[k][t]: P(an event of cause k first, by the end of day t);
//  - variance[k][t]: the delta-method (Greenwood-type) variance of incidence[k][t], when asked for;
//  - at_risk[t]: people at risk on day t.
// While no one has been censored or entered late, every value is a ratio of two counts
// computed with one division, so that with full follow-up incidence[k][D-1] equals, bit for
// bit, the share of the people who entered with an event of cause k within D days.
struct CompetingRisks {
  std::vector<double> survival;
  std::vector<std::vector<double>> incidence;
  std::vector<std::vector<double>> variance;
  std::vector<std::int64_t> at_risk;
};
CompetingRisks aalen_johansen(const EventTable& table, bool with_variance = false);

// The incidence curve of `cause` (Aalen-Johansen) with a 95% interval from the delta-method
// variance on the logit scale (the normal quantile; equal to the estimate where it is 0 or 1),
// and the people at risk each day. For the intervals of one replicate's curve; curves of
// several replicates are summarised over replicates (mean_curve).
SurvivalCurve incidence_curve(const EventTable& table, std::size_t cause);

// 1 - Kaplan-Meier of cause k with every other cause treated as censoring: the net risk of k
// "if the other causes did not act". Exact ratios while nobody has left the risk set otherwise.
std::vector<double> net_incidence(const EventTable& table, std::size_t cause);

// Mean of min(time to the first event of any cause, tau) in days: the sum of survival[t] for
// t < tau (survival beyond the last day is taken as its last value). NaN with an empty curve.
double restricted_mean(std::span<const double> survival, std::size_t tau);

// The first day t with incidence[t] >= p (to within 1e-9, so that a curve that reaches p
// exactly is not missed by rounding): the p-quantile of the time to the event, those who never
// have it counted as never reaching it. +infinity when the incidence never reaches p;
// NaN with an empty curve.
double incidence_quantile(std::span<const double> incidence, double p);

}  // namespace recoverysim::analysis
