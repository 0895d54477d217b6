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

// MODEL-v2's starting values of the keys the literature calibration fits (calibration/
// literature.yaml), in place of the calibrated defaults: the hand-worked figures of the equation
// tests (test_day.cpp) are written with these round numbers.
inline recovery::Parameters starting_values() {
  recovery::Parameters p = default_parameters();
  auto& m = p.model;
  m.lapse_base_hazard_per_day = {0.0030, 0.0048, 0.0039};
  m.relapse_intercept = -0.6;
  m.resume_base_hazard_per_day = 0.01;
  m.dropout_use_multiplier = 3.0;
  m.dropout_engagement_coefficient = -3.0;
  m.substance_death_base_hazard_per_day[1] = 4e-5;
  m.other_causes_smr[1] = 3.0;
  auto& tr = p.treatment;
  tr.entry.base_hazard_per_day = 0.003;
  auto setting = [&](recovery::Setting s) -> recovery::SettingParameters& {
    return tr.settings[static_cast<std::size_t>(s)];
  };
  setting(recovery::Setting::outpatient).dropout_base_hazard_per_day = 0.0075;
  setting(recovery::Setting::intensive_outpatient).dropout_base_hazard_per_day = 0.0095;
  setting(recovery::Setting::detox).dropout_base_hazard_per_day = 0.06;
  setting(recovery::Setting::residential).dropout_base_hazard_per_day = 0.018;
  setting(recovery::Setting::methadone).dropout_base_hazard_per_day = 0.0012;
  setting(recovery::Setting::buprenorphine).dropout_base_hazard_per_day = 0.0035;
  setting(recovery::Setting::detox).exit_lapse_multiplier = 4.0;
  setting(recovery::Setting::residential).exit_lapse_multiplier = 4.0;
  setting(recovery::Setting::methadone).overdose_multiplier_in_treatment = 0.40;
  setting(recovery::Setting::buprenorphine).overdose_multiplier_in_treatment = 0.35;
  for (auto s : {recovery::Setting::residential, recovery::Setting::methadone, recovery::Setting::buprenorphine})
    setting(s).exit_overdose_multiplier = 6.0;
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
