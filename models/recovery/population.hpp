// The cohort as struct-of-arrays columns: one std::vector per attribute, latent variable,
// state, counter and per-agent record. Agent i is index i in every column.
#pragma once

#include "parameters.hpp"
#include "states.hpp"

#include "random.hpp"

#include <cstdint>
#include <vector>

namespace recoverysim::recovery {

// Day numbers and day counters are 16-bit (at most max_day_count, states.hpp): with float
// latent variables this keeps the whole state of an agent within 72 bytes (bytes_per_agent()),
// so that 10^7 agents fit in well under a gigabyte and a day streams through little memory.
using DayCount = std::int16_t;

struct Population {
  // Open cohorts: agent i arrives on day floor(i / arrivals_per_day); 0 = everyone on day 0.
  double arrivals_per_day = 0.0;

  // Fixed attributes, drawn at creation.
  std::vector<Substance> substance;
  std::vector<float> severity;
  std::vector<std::uint8_t> mental_health;
  std::vector<float> baseline_support;
  std::vector<float> baseline_engagement;
  std::vector<float> craving_peak;
  std::vector<float> age_years;    // at admission; on day t: + (t - admission day) / days_per_year
  std::vector<std::uint8_t> male;  // sex: 1 male, 0 female

  // Latent variables in [0, 1].
  std::vector<float> craving;
  std::vector<float> self_efficacy;
  std::vector<float> support;
  std::vector<float> skills;
  std::vector<float> engagement;

  // State and counters.
  std::vector<ClinicalState> state;
  std::vector<TreatmentStatus> treatment;
  std::vector<std::uint8_t> setting;           // of the current or last episode (a code of the settings table)
  std::vector<DayCount> abstinent_run;         // a: consecutive abstinent days
  std::vector<DayCount> abstinent_before_use;  // a_prior: a at the last return to use
  std::vector<DayCount> days_since_use;        // days since the last return to use
  std::vector<DayCount> withdrawal_days_left;  // d_W of the current episode, less the days done
  // Days in the current treatment status: in treatment, the days of the episode so far; out of
  // it after an episode, the days since leaving (0 on the first day out).
  std::vector<DayCount> status_days;

  // Per-agent records written to the output (-1 = never).
  std::vector<DayCount> first_lapse_day;
  std::vector<DayCount> first_relapse_day;
  std::vector<EpisodeOutcome> first_episode_outcome;
  std::vector<DayCount> first_episode_days;
  std::vector<DayCount> readmissions;
  std::vector<DayCount> death_day;
  std::vector<DeathCause> death_cause;
  std::vector<DayCount> abstinent_days;

  std::size_t size() const { return state.size(); }
  void resize(std::size_t n);

  // The day agent i enters the cohort (0 in a closed cohort).
  std::int32_t admission_day(std::size_t i) const {
    return arrivals_per_day > 0.0 ? static_cast<std::int32_t>(static_cast<double>(i) / arrivals_per_day) : 0;
  }
  // How many agents have entered by the end of `day`: they are agents 0 .. admitted_by(day)-1.
  std::size_t admitted_by(std::int32_t day) const;

  // Calls f(column) for every column: the one list of them.
  template <class F>
  void for_each_column(F&& f) {
    f(substance), f(severity), f(mental_health), f(baseline_support), f(baseline_engagement), f(craving_peak);
    f(age_years), f(male);
    f(craving), f(self_efficacy), f(support), f(skills), f(engagement);
    f(state), f(treatment), f(setting), f(abstinent_run), f(abstinent_before_use), f(days_since_use),
        f(withdrawal_days_left);
    f(status_days);
    f(first_lapse_day), f(first_relapse_day), f(first_episode_outcome), f(first_episode_days), f(readmissions);
    f(death_day), f(death_cause), f(abstinent_days);
  }

  // Bytes of state per agent, summed over the columns.
  static std::size_t bytes_per_agent() {
    std::size_t bytes = 0;
    Population{}.for_each_column([&](const auto& column) { bytes += sizeof(column[0]); });
    return bytes;
  }
};

// Draws every agent's attributes for one replicate and puts the cohort at its t = 0 state
// (in treatment, in withdrawal). The draws depend only on (seed, replicate, agent), so all
// arms of a replicate get the same people. Runs in parallel.
void initialise(Population& pop, const Parameters& p, RandomKey key);

// The setting of an episode that starts on `day`, from the agent's entry_setting stream and the
// entry mix of its substance.
std::uint8_t draw_setting(const TreatmentParameters& t, Substance s, RandomKey key, std::uint32_t agent,
                          std::uint32_t day);

// Whether an episode of `setting` completed on `day` steps down to the setting's step_down
// (continuing care), from the agent's step_down stream; never if that setting does not admit s.
bool steps_down(const TreatmentParameters& t, Substance s, std::size_t setting, RandomKey key, std::uint32_t agent,
                std::uint32_t day);

// Geometric withdrawal duration for one agent, from its withdrawal_length stream on `day`.
DayCount draw_withdrawal_length(const Parameters& p, Substance s, RandomKey key, std::uint32_t agent,
                                std::uint32_t day);

}  // namespace recoverysim::recovery
