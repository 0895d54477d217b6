// Helpers shared by the model tests: default parameters and cohorts, without a scenario file.
#pragma once

#include "models/recovery/parameters.hpp"

namespace recoverysim::testing {

inline recovery::Parameters default_parameters() {
  recovery::Parameters p;
  ParamTable table;
  recovery::declare_parameters(table, p);
  return p;
}

// The defaults for a closed cohort of `agents`.
inline recovery::Parameters closed_cohort(std::int64_t agents) {
  recovery::Parameters p = default_parameters();
  p.population.size = agents;
  return p;
}

// The defaults for an open cohort admitting `arrivals_per_day` for `for_days` days.
inline recovery::Parameters open_cohort(double arrivals_per_day, std::int64_t for_days) {
  recovery::Parameters p = default_parameters();
  p.intake.arrivals_per_day = arrivals_per_day;
  p.intake.for_days = for_days;
  p.population.size = p.intake.cohort_size();
  return p;
}

}  // namespace recoverysim::testing
