// Outcomes over person-time (documented in docs/output.md). Days count from each agent's
// admission, so open and closed cohorts are read alike:
//  - percent_days_abstinent: abstinent person-days / person-days alive, in percent;
//  - readmissions_per_person_year: readmissions / (person-days alive / 365.25);
//  - deaths: number of deaths in the cohort; deaths_other_causes and deaths_substance_related
//    by cause; deaths_in_treatment and deaths_out_of_treatment by the status at death;
//  - abstinent_person_years: abstinent person-days / 365.25.
#include "outcomes.hpp"

#include "calendar.hpp"
#include "outcome_estimates.hpp"

#include <limits>

namespace recoverysim::recovery {

void finalise_records(Population& pop) {
  for (std::size_t i = 0; i < pop.size(); ++i)
    if (pop.first_episode_outcome[i] == EpisodeOutcome::ongoing) pop.first_episode_days[i] = pop.status_days[i];
}

const std::vector<OutcomeQuantity>& horizon_outcomes() {
  using analysis::Bounds;
  static const std::vector<OutcomeQuantity> quantities = {
      {"percent_days_abstinent", Bounds::percent, true, "percent",
       "days alive and abstinent as a percentage of days alive after admission, within the horizon"},
      {"readmissions_per_person_year", Bounds::nonnegative, true, "per person-year",
       "readmissions per person-year alive after admission, within the horizon"},
      {"deaths", Bounds::nonnegative, true, "people", "people who died within the horizon"},
      {"deaths_other_causes", Bounds::nonnegative, true, "people",
       "people who died of other causes within the horizon"},
      {"deaths_substance_related", Bounds::nonnegative, true, "people",
       "people who died a substance-related acute death within the horizon"},
      {"deaths_in_treatment", Bounds::nonnegative, true, "people", "people who died in treatment within the horizon"},
      {"deaths_out_of_treatment", Bounds::nonnegative, true, "people",
       "people who died out of treatment (after an episode ended) within the horizon"},
      {"abstinent_person_years", Bounds::nonnegative, true, "person-years",
       "person-years alive and abstinent after admission, within the horizon"},
  };
  return quantities;
}

const std::vector<std::string>& horizon_outcome_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& q : horizon_outcomes()) out.push_back(q.name);
    return out;
  }();
  return names;
}

std::vector<double> compute_horizon_outcomes(const Population& pop, std::int64_t days) {
  std::int64_t deaths = 0, readmissions = 0, abstinent_days = 0, days_alive = 0;
  std::int64_t substance_related = 0, in_treatment = 0;
  for (std::size_t i = 0; i < pop.size(); ++i) {
    const std::int64_t start = pop.admission_day(i);
    if (start >= days) break;  // agents arrive in index order
    if (pop.death_day[i] >= 0) {
      ++deaths;
      substance_related += pop.death_cause[i] == DeathCause::substance_related ? 1 : 0;
      in_treatment += pop.treatment[i] == TreatmentStatus::in_treatment ? 1 : 0;
    }
    readmissions += pop.readmissions[i];
    abstinent_days += pop.abstinent_days[i];
    days_alive += (pop.death_day[i] >= 0 ? pop.death_day[i] : days) - start;
  }
  const double alive = static_cast<double>(days_alive);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return {days_alive > 0 ? 100.0 * static_cast<double>(abstinent_days) / alive : nan,
          days_alive > 0 ? static_cast<double>(readmissions) / (alive / days_per_year) : nan,
          static_cast<double>(deaths),
          static_cast<double>(deaths - substance_related),
          static_cast<double>(substance_related),
          static_cast<double>(in_treatment),
          static_cast<double>(deaths - in_treatment),
          static_cast<double>(abstinent_days) / days_per_year};
}

std::vector<OutcomeQuantity> replicate_outcome_quantities(const ObservationPlan& plan) {
  std::vector<OutcomeQuantity> out;
  for (const auto& d : plan.definitions) {
    if (d.statistic == OutcomeStatistic::ratio || d.statistic == OutcomeStatistic::difference) continue;
    for (auto& q : outcome_quantities(d))
      if (q.headline) out.push_back(std::move(q));
  }
  for (const auto& q : horizon_outcomes()) out.push_back(q);
  return out;
}

std::vector<std::string> replicate_outcome_names(const ObservationPlan& plan) {
  std::vector<std::string> names;
  for (auto& q : replicate_outcome_quantities(plan)) names.push_back(std::move(q.name));
  return names;
}

std::vector<double> replicate_outcome_values(const ObservationPlan& plan, const std::vector<OutcomeCounts>& counts,
                                             const Population& pop) {
  std::vector<double> values;
  for (std::size_t i = 0; i < plan.definitions.size(); ++i) {
    const auto& d = plan.definitions[i];
    if (d.statistic == OutcomeStatistic::ratio || d.statistic == OutcomeStatistic::difference) continue;
    const auto strata = all_strata(counts[i]);
    const auto quantities = outcome_quantities(d);
    const auto all = outcome_values(counts[i], strata);
    for (std::size_t q = 0; q < all.size(); ++q)
      if (quantities[q].headline) values.push_back(all[q]);
  }
  for (const double v : compute_horizon_outcomes(pop, plan.days)) values.push_back(v);
  return values;
}

}  // namespace recoverysim::recovery
