// Per-replicate summary outcomes computed from the per-agent records at the horizon.
#pragma once

#include "population.hpp"

#include <string>
#include <vector>

namespace recoverysim::recovery {

// Closes records still open at the horizon (e.g. the length of an ongoing first episode).
void finalise_records(Population& pop);

// The outcome names for a horizon of `days`: relapse_by_day_D and lapse_by_day_D for the
// milestones D <= days, then the horizon-wide outcomes.
std::vector<std::string> outcome_names(std::int64_t days);

// Values in the order of outcome_names(days). `episode_length_days` is the setting's planned
// episode length (first_episode_completion counts only agents who had the time to complete).
std::vector<double> compute_outcomes(const Population& pop, std::int64_t days, std::int64_t episode_length_days);

}  // namespace recoverysim::recovery
