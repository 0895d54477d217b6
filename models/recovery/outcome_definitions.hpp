// Outcome definitions: what to estimate, from which events, from which time origin, in which
// subgroup. The shipped outcomes (relapse_by_day_D, lapse_by_day_D, first_episode_completion,
// abstinent_on_day_D) are definitions like any a scenario adds under `analysis.outcomes`, and
// an intervention module declares its own (the per-person wait of a capacity-limited module).
// docs/output.md states the estimand of each statistic.
#pragma once

#include "events.hpp"
#include "states.hpp"

#include "analysis/statistics.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace recoverysim::recovery {

enum class OutcomeStatistic : std::uint8_t {
  cumulative_incidence,  // the first event after the origin, death (or other causes) competing
  state_share,           // the share in a state on day D after the origin
  rate,                  // events per 1,000 person-years, person-time split by a changing status
  ratio,                 // two quantities of one arm, or one quantity of two arms, replicate by replicate
  difference,
};

// The time origin: each agent's own clock starts at its arrival in the cohort, at day 0 of the
// run (agents then enter the risk set late, at their arrival), or at the n-th occurrence of an
// event (an episode's start or end, a module's enrolment).
struct Origin {
  enum class Kind : std::uint8_t { arrival, day0, event } kind = Kind::arrival;
  std::vector<EventCode> codes;  // kind event: any of these
  std::int32_t occurrence = 1;   // the n-th occurrence after arrival
  std::string text;              // as written (`arrival`, `episode_end`, `peer_mentor.matched`)
  bool operator==(const Origin&) const = default;
};

// One condition on a fixed attribute of the agent (all conditions of a subgroup must hold).
struct SubgroupCondition {
  enum class Attribute : std::uint8_t {
    substance,
    mental_health,
    severity,
    baseline_support,
    baseline_engagement,
    admission_day,
    age_years,
    sex
  } attribute = Attribute::substance;
  std::vector<std::int32_t> codes;  // substance, mental_health, sex (0 female, 1 male): the values allowed
  double low = 0.0;                 // the others: low <= value < high (age_years: at admission)
  double high = 0.0;
};

// A set of states: an agent is in it when its clinical state and its treatment status both
// belong to the masks (bit i: code i).
struct StateSet {
  std::uint32_t clinical = 0;
  std::uint32_t treatment = 0;
  bool contains(std::int32_t clinical_code, std::int32_t treatment_code) const {
    return ((clinical >> clinical_code) & 1u) != 0 && ((treatment >> treatment_code) & 1u) != 0;
  }
};

// How a rate's person-time is split: not at all; in / out of treatment; or in treatment, the
// first N days after leaving it, and later.
enum class RateSplit : std::uint8_t { none, treatment_status, after_leaving };

struct OutcomeDefinition {
  std::string name;
  OutcomeStatistic statistic = OutcomeStatistic::cumulative_incidence;
  // cumulative_incidence: causes[0] is the event, the others compete (each a set of codes);
  // rate: causes[0] are the events counted.
  std::vector<std::vector<EventCode>> causes;
  std::vector<std::string> cause_names;  // each cause's event (or group) name
  std::vector<std::string> event_text;   // the event as written: one name or several (cause 0)
  Origin origin;
  std::vector<std::int32_t> days;         // cumulative_incidence: by day D; state_share: on day D
  std::int32_t restricted_mean_days = 0;  // > 0: also the mean time to the first cause, up to this
  std::vector<double> quantiles;          // also the days by which these shares had the event
  std::vector<SubgroupCondition> subgroup;
  StateSet state;  // state_share
  std::string state_name;
  RateSplit split = RateSplit::none;
  std::int32_t after_leaving_days = 0;  // RateSplit::after_leaving
  std::int32_t window_from = 0;         // rate: person-time and events from this day since the origin
  std::int32_t window_to = std::numeric_limits<std::int32_t>::max();  // ... to before this one
  // ratio, difference: the quantities compared (one name with two arms, or two names)
  std::vector<std::string> of;
  std::vector<std::string> arms;
  // The shipped first_episode_completion reads as one quantity with the definition's name.
  bool single_quantity = false;
  // If set, also the share who never had the event by the end of follow-up, under this name.
  std::string never_name;
  // Counted from the records of the module with this stream base (its outcome_records), not
  // followed day by day: a module that keeps each person's times already has them.
  std::uint32_t recorded_by_module = 0;
  std::string where;  // where it was written, for messages
};

// One person's time to event, as a module records it: the origin's day (-1: never reached),
// the day of the first event among the causes and its cause (-1: none by the horizon).
struct TimeToEventRecord {
  std::int32_t origin_day = -1;
  std::int32_t end_day = -1;
  std::int32_t cause = -1;
};

// The milestones of the shipped outcomes (days since admission).
inline constexpr std::int32_t outcome_milestone_days[] = {30, 90, 180, 365};

// The shipped definitions for a run of `days` days whose setting's episode lasts
// `episode_length_days`: relapse and lapse (by day D), first_episode_completion (by the
// episode's length) and abstinent (on day D), each for the milestones within the horizon. In a
// cohort that starts in the community (`first_episode_at_arrival` false) the first episode's
// completion is counted from its start, the `admitted` event, not from arrival.
std::vector<OutcomeDefinition> default_outcome_definitions(std::int64_t days, std::int64_t episode_length_days,
                                                           bool first_episode_at_arrival = true);

// A definition's quantities, in the order the analysis lists them (none for a contrast between
// arms, which is not a quantity of one arm), each with the range it can take: shares in [0, 1];
// counts, rates and days nonnegative; differences any number.
struct OutcomeQuantity {
  std::string name;
  analysis::Bounds bounds = analysis::Bounds::none;
  // The estimate itself (stored per replicate under outcomes/), not one of its companions
  // (the net risk, the complete-follow-up share and the n's, a rate's counts), which only the
  // summaries give.
  bool headline = true;
  std::string unit;         // "share", "days", "people", ...
  std::string description;  // in words, for the datasets that store it
};
std::vector<OutcomeQuantity> outcome_quantities(const OutcomeDefinition& definition);
std::vector<std::string> outcome_quantity_names(const OutcomeDefinition& definition);
// A quantile as it appears in a quantity's name: 0.9 -> "90", 0.975 -> "97p5".
std::string quantile_name(double q);
// A rate's categories of person-time as suffixes of its quantities: "" (all of it) first.
std::vector<std::string> rate_category_suffixes(const OutcomeDefinition& definition);

// The states an outcome may name (`abstinent`, `in_treatment`, ...), with their sets.
struct NamedStateSet {
  std::string name;
  StateSet set;
  std::string doc;
};
const std::vector<NamedStateSet>& named_state_sets();

}  // namespace recoverysim::recovery
