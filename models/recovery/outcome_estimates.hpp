// Estimates from a replicate's outcome counts: the values of a definition's quantities (for the
// whole cohort or for some admission periods), the range each can take, and its curves.
#pragma once

#include "observation.hpp"
#include "outcome_definitions.hpp"

#include "analysis/statistics.hpp"
#include "analysis/survival.hpp"

#include <span>
#include <vector>

namespace recoverysim::recovery {

// The strata counted together (every stratum: the whole cohort).
analysis::EventTable combined_event_table(const OutcomeCounts& counts, std::span<const std::size_t> strata);

// The values of a definition's quantities (outcome_quantity_names() order) from one replicate's
// counts of the given strata; NaN where nobody was counted.
std::vector<double> outcome_values(const OutcomeCounts& counts, std::span<const std::size_t> strata);

// Every stratum of some counts: 0 .. strata-1.
std::vector<std::size_t> all_strata(const OutcomeCounts& counts);

}  // namespace recoverysim::recovery
