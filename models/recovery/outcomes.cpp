// Outcome definitions (documented in docs/output.md). Days count from each agent's admission,
// so open and closed cohorts are read alike:
//  - relapse_by_day_D, lapse_by_day_D: share of the agents followed for at least D days whose
//    first relapse (lapse) fell within D days of admission, deaths included in the denominator;
//  - first_episode_completion: among agents admitted at least length_days before the horizon
//    (all of whom had the time to complete), the share whose first episode ended in completion;
//    NaN when there are none;
//  - percent_days_abstinent: abstinent person-days / person-days alive, in percent;
//  - readmissions_per_person_year: readmissions / (person-days alive / 365.25);
//  - deaths: number of deaths in the cohort.
#include "outcomes.hpp"

#include <array>
#include <limits>

namespace recoverysim::recovery {

namespace {
constexpr std::array<std::int64_t, 4> milestone_days = {30, 90, 180, 365};
}

void finalise_records(Population& pop) {
  for (std::size_t i = 0; i < pop.size(); ++i)
    if (pop.first_episode_outcome[i] == EpisodeOutcome::ongoing) pop.first_episode_days[i] = pop.episode_days[i];
}

std::vector<std::string> outcome_names(std::int64_t days) {
  std::vector<std::string> names;
  for (const char* event : {"relapse", "lapse"})
    for (std::int64_t d : milestone_days)
      if (d <= days) names.push_back(std::string(event) + "_by_day_" + std::to_string(d));
  for (const char* name :
       {"first_episode_completion", "percent_days_abstinent", "readmissions_per_person_year", "deaths"})
    names.emplace_back(name);
  return names;
}

std::vector<double> compute_outcomes(const Population& pop, std::int64_t days, std::int64_t episode_length_days) {
  const std::size_t n = pop.size();
  std::array<std::int64_t, milestone_days.size()> relapsed{}, lapsed{}, followed{};
  std::int64_t could_complete = 0, completed = 0, deaths = 0, readmissions = 0, abstinent_days = 0, days_alive = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t start = pop.admission_day(i);
    if (start >= days) continue;  // never admitted within the horizon
    for (std::size_t j = 0; j < milestone_days.size(); ++j) {
      if (start + milestone_days[j] > days) continue;
      ++followed[j];
      if (pop.first_relapse_day[i] >= 0 && pop.first_relapse_day[i] - start < milestone_days[j]) ++relapsed[j];
      if (pop.first_lapse_day[i] >= 0 && pop.first_lapse_day[i] - start < milestone_days[j]) ++lapsed[j];
    }
    if (start + episode_length_days <= days) {
      ++could_complete;
      if (pop.first_episode_outcome[i] == EpisodeOutcome::completed) ++completed;
    }
    if (pop.death_day[i] >= 0) ++deaths;
    readmissions += pop.readmissions[i];
    abstinent_days += pop.abstinent_days[i];
    days_alive += (pop.death_day[i] >= 0 ? pop.death_day[i] : days) - start;
  }
  const auto share = [](std::int64_t part, std::int64_t whole) {
    return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
  };
  std::vector<double> values;
  for (const auto* counts : {&relapsed, &lapsed})
    for (std::size_t j = 0; j < milestone_days.size(); ++j)
      if (milestone_days[j] <= days) values.push_back(share((*counts)[j], followed[j]));
  values.push_back(could_complete > 0 ? share(completed, could_complete) : std::numeric_limits<double>::quiet_NaN());
  values.push_back(days_alive > 0 ? 100.0 * static_cast<double>(abstinent_days) / static_cast<double>(days_alive) : 0.0);
  values.push_back(days_alive > 0 ? static_cast<double>(readmissions) / (static_cast<double>(days_alive) / 365.25) : 0.0);
  values.push_back(static_cast<double>(deaths));
  return values;
}

}  // namespace recoverysim::recovery
