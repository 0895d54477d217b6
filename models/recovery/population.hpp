// The cohort as struct-of-arrays columns: one std::vector per attribute, latent variable,
// state, counter and per-agent record. Agent i is index i in every column.
#pragma once

#include "parameters.hpp"
#include "states.hpp"

#include "random.hpp"

#include <cstdint>
#include <vector>

namespace recoverysim::recovery {

struct Population {
  // Fixed attributes, drawn at creation.
  std::vector<std::int32_t> admission_day;  // day the agent enters the cohort (0 in a closed cohort)
  std::vector<Substance> substance;
  std::vector<float> severity;
  std::vector<std::uint8_t> mental_health;
  std::vector<float> baseline_support;
  std::vector<float> baseline_engagement;
  std::vector<float> craving_peak;

  // Latent variables in [0, 1].
  std::vector<float> craving;
  std::vector<float> self_efficacy;
  std::vector<float> support;
  std::vector<float> skills;
  std::vector<float> engagement;

  // State and counters.
  std::vector<ClinicalState> state;
  std::vector<TreatmentStatus> treatment;
  std::vector<std::int32_t> abstinent_run;         // a: consecutive abstinent days
  std::vector<std::int32_t> abstinent_before_use;  // a_prior: a at the last return to use
  std::vector<std::int32_t> days_since_use;        // days since the last return to use
  std::vector<std::uint16_t> withdrawal_days_done;
  std::vector<std::uint16_t> withdrawal_length;    // d_W of the current episode
  std::vector<std::uint16_t> episode_days;         // days in the current treatment episode

  // Per-agent records written to the output (-1 = never).
  std::vector<std::int32_t> first_lapse_day;
  std::vector<std::int32_t> first_relapse_day;
  std::vector<EpisodeOutcome> first_episode_outcome;
  std::vector<std::int32_t> first_episode_days;
  std::vector<std::int32_t> readmissions;
  std::vector<std::int32_t> death_day;
  std::vector<std::int32_t> abstinent_days;

  std::size_t size() const { return state.size(); }
  void resize(std::size_t n);
};

// Draws every agent's attributes for one replicate and puts the cohort at its t = 0 state
// (in treatment, in withdrawal). The draws depend only on (seed, replicate, agent), so all
// arms of a replicate get the same people. Runs in parallel.
void initialise(Population& pop, const Parameters& p, RandomKey key);

// Geometric withdrawal duration for one agent, from its withdrawal_length stream on `day`.
std::uint16_t draw_withdrawal_length(const Parameters& p, Substance s, RandomKey key, std::uint32_t agent,
                                     std::uint32_t day);

}  // namespace recoverysim::recovery
