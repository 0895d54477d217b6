// The day's constants, converted once from the parameters to the kernel's precision.
#include "day.hpp"

#include "calendar.hpp"
#include "portable_math.hpp"

#include <algorithm>

namespace recoverysim::recovery {

namespace {
float as_float(double x) { return static_cast<float>(x); }
std::int32_t as_day_count(std::int64_t x) {
  return static_cast<std::int32_t>(std::min<std::int64_t>(x, max_day_count + 1));
}
void copy(float (&to)[substance_count], const PerSubstance& from) {
  for (std::size_t s = 0; s < substance_count; ++s) to[s] = as_float(from[s]);
}
}  // namespace

DayContext::DayContext(const Parameters& params) : p(params) {
  const ModelParameters& m = params.model;

  covariate_centre = as_float(m.covariate_centre);
  stable_after_days = as_day_count(m.stable_after_days);

  stress_probability = as_float(m.stress_probability_per_day);
  stress_craving_jump = as_float(m.stress_craving_jump);
  stress_lapse_multiplier = as_float(m.stress_lapse_multiplier);

  craving_floor = as_float(m.craving_floor);
  craving_decay_per_day = as_float(1.0 / m.craving_decay_days);
  craving_adjustment_rate = as_float(m.craving_adjustment_rate_per_day);

  self_efficacy_growth_rate = as_float(m.self_efficacy_growth_rate_per_day);
  self_efficacy_violation_factor = as_float(m.self_efficacy_violation_factor);
  support_adjustment_rate = as_float(m.support_adjustment_rate_per_day);
  skills_decay_rate = as_float(m.skills_decay_rate_per_day);
  engagement_adjustment_rate = as_float(m.engagement_adjustment_rate_per_day);
  engagement_violation_factor = as_float(m.engagement_violation_factor);

  years_per_day = as_float(1.0 / days_per_year);
  for (std::size_t s = 0; s < substance_count; ++s)
    other_causes_base_hazard[s] = as_float(m.gompertz_base_hazard_per_day * m.other_causes_smr[s]);
  gompertz_slope_per_year = as_float(m.gompertz_slope_per_year);
  gompertz_reference_age = as_float(m.gompertz_reference_age_years);
  other_causes_male_multiplier = as_float(m.other_causes_male_multiplier);
  copy(substance_death_base_hazard, m.substance_death_base_hazard_per_day);
  substance_death_withdrawal_multiplier = as_float(m.substance_death_withdrawal_multiplier);
  substance_death_abstinent_multiplier = as_float(m.substance_death_abstinent_multiplier);
  death_loss_of_tolerance_multiplier = as_float(m.death_loss_of_tolerance_multiplier);
  loss_of_tolerance_window_days = as_day_count(m.loss_of_tolerance_window_days);
  loss_of_tolerance_min_abstinent_days = as_day_count(m.loss_of_tolerance_min_abstinent_days);

  copy(lapse_base_hazard, m.lapse_base_hazard_per_day);
  lapse_craving_coefficient = as_float(m.lapse_craving_coefficient);
  lapse_self_efficacy_coefficient = as_float(m.lapse_self_efficacy_coefficient);
  lapse_support_coefficient = as_float(m.lapse_support_coefficient);
  lapse_skills_coefficient = as_float(m.lapse_skills_coefficient);
  lapse_mental_health_coefficient = as_float(m.lapse_mental_health_coefficient);
  lapse_withdrawal_multiplier = as_float(m.lapse_withdrawal_multiplier);

  relapse_intercept = as_float(m.relapse_intercept);
  relapse_craving_coefficient = as_float(m.relapse_craving_coefficient);
  relapse_self_efficacy_coefficient = as_float(m.relapse_self_efficacy_coefficient);
  relapse_support_coefficient = as_float(m.relapse_support_coefficient);

  resume_base_hazard = as_float(m.resume_base_hazard_per_day);
  resume_self_efficacy_coefficient = as_float(m.resume_self_efficacy_coefficient);
  resume_support_coefficient = as_float(m.resume_support_coefficient);
  resume_in_treatment_multiplier = as_float(m.resume_in_treatment_multiplier);

  dropout_engagement_coefficient = as_float(m.dropout_engagement_coefficient);
  dropout_engagement_centre = as_float(m.dropout_engagement_centre);
  dropout_craving_coefficient = as_float(m.dropout_craving_coefficient);
  dropout_use_multiplier = as_float(m.dropout_use_multiplier);

  // Unused rows (codes no setting has) hold the first setting's values: every lane reads a number.
  for (std::size_t k = 0; k < max_settings; ++k) {
    const SettingParameters& setting = params.treatment.settings[k < params.treatment.setting_count() ? k : 0];
    craving_target_multiplier[k] = as_float(setting.craving_target_multiplier);
    skills_growth_rate[k] = as_float(setting.skills_growth_per_day);
    overdose_multiplier_in_treatment[k] = as_float(setting.overdose_multiplier_in_treatment);
    exit_overdose_excess[k] = as_float(setting.exit_overdose_multiplier - 1.0);
    exit_overdose_decay_per_day[k] = as_float(1.0 / setting.exit_overdose_decay_days);
    lapse_multiplier_in_treatment[k] = as_float(setting.lapse_multiplier_in_treatment);
    exit_lapse_excess[k] = as_float(setting.exit_lapse_multiplier - 1.0);
    exit_lapse_decay_per_day[k] = as_float(1.0 / setting.exit_lapse_decay_days);
    dropout_base_hazard[k] = as_float(setting.dropout_base_hazard_per_day);
    episode_length_days[k] = as_day_count(setting.length_days);
  }
  const EntryParameters& entry = params.treatment.entry;
  entry_base_hazard = as_float(entry.base_hazard_per_day);
  entry_engagement_coefficient = as_float(entry.engagement_coefficient);
  entry_craving_coefficient = as_float(entry.craving_coefficient);
  entry_mental_health_coefficient = as_float(entry.mental_health_coefficient);
  for (std::size_t x = 0; x + 1 < clinical_state_count; ++x)
    entry_state_multiplier[x] = as_float(entry.state_multiplier[x]);
  for (std::size_t s = 0; s < substance_count; ++s) {
    if (params.population.substance_mix[s] <= 0.0) continue;
    const auto cumulative = params.treatment.entry_cumulative(static_cast<Substance>(s));
    const auto first = static_cast<std::int32_t>(
        std::find_if(cumulative.begin(), cumulative.end(), [](double c) { return c > 0.0; }) - cumulative.begin());
    const bool single = cumulative[static_cast<std::size_t>(first)] >= 1.0;
    only_setting = !single || (only_setting >= 0 && only_setting != first) ? -2 : first;
    if (only_setting == -2) break;
  }
  only_setting = std::max(only_setting, -1);
  // A step-down moves agents to another setting.
  if (only_setting >= 0) {
    const SettingParameters& one = params.treatment.settings[static_cast<std::size_t>(only_setting)];
    if (one.step_down >= 0 && one.step_down_probability > 0.0) only_setting = -1;
  }
}

}  // namespace recoverysim::recovery
