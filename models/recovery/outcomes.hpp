// Per-replicate outcomes over person-time, computed from the per-agent records at the horizon
// (the outcome definitions' quantities come from their counts: outcome_estimates.hpp).
#pragma once

#include "observation.hpp"
#include "population.hpp"

#include <string>
#include <vector>

namespace recoverysim::recovery {

// Closes records still open at the horizon (e.g. the length of an ongoing first episode).
void finalise_records(Population& pop);

// percent_days_abstinent, readmissions_per_person_year, deaths (all, by cause, by treatment
// status at death), abstinent_person_years.
const std::vector<std::string>& horizon_outcome_names();
// The same with their ranges, units and descriptions.
const std::vector<OutcomeQuantity>& horizon_outcomes();
// Their values, in that order, for a run of `days` days.
std::vector<double> compute_horizon_outcomes(const Population& pop, std::int64_t days);

// Every per-replicate outcome of an arm observed with `plan`: the headline quantities of its
// counted definitions (not their companions, nor the contrasts, which the analysis forms),
// then the horizon outcomes.
std::vector<std::string> replicate_outcome_names(const ObservationPlan& plan);
std::vector<OutcomeQuantity> replicate_outcome_quantities(const ObservationPlan& plan);
// Their values for one replicate, from its counts (whole cohort) and its population.
std::vector<double> replicate_outcome_values(const ObservationPlan& plan, const std::vector<OutcomeCounts>& counts,
                                             const Population& pop);

}  // namespace recoverysim::recovery
