// Every constant of the recovery model, with its default from the reference model. The
// fields are plain data; declare_parameters() is the one place that names, documents and
// bounds them (see sim/engine/params.hpp).
#pragma once

#include "states.hpp"

#include "params.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace recoverysim::recovery {

using PerSubstance = std::array<double, substance_count>;

struct BetaShape {
  double a = 1.0;
  double b = 1.0;
};

// One treatment programme (a row of the settings table).
struct SettingParameters {
  std::int64_t length_days = 90;
  double dropout_base_hazard_per_day = 0.006;
  double skills_growth_per_day = 0.01;
  double lapse_multiplier_in_treatment = 1.0;
  double craving_target_multiplier = 1.0;          // while in treatment
  double overdose_multiplier_in_treatment = 0.33;  // substance-related death hazard, while in treatment
  // After an episode ends, while out of treatment: 1 + (M - 1) exp(-d / tau), d = days since leaving.
  double exit_lapse_multiplier = 1.0;
  double exit_lapse_decay_days = 7.0;
  double exit_overdose_multiplier = 6.0;
  double exit_overdose_decay_days = 14.0;
  std::array<bool, substance_count> admits{true, true, true};  // whose primary substance may enter
  // Continuing care: on completion, a referral to this setting (a name, or "none"), taken up
  // with step_down_probability; the next episode starts the next day. Resolved to a code.
  std::string step_down_name = "none";
  std::int32_t step_down = -1;
  double step_down_probability = 0.0;
  // Capacity: places (0: unlimited); when all are taken, entrants join the setting's FIFO
  // waiting list and leave it unserved at a daily hazard.
  std::int64_t slots = 0;
  double waitlist_dropout_per_day = 0.02;
  // Costs, in the arm's currency: per place taken per day, and per place provided per day.
  double cost_per_day = 0.0;
  double slot_cost_per_day = 0.0;
};

// Entering treatment, for a living agent out of treatment: the hazard
// base x exp(b_w (w - x0) + b_c (c - x0) + b_m m) x state_multiplier[X] x intervention multipliers.
struct EntryParameters {
  double base_hazard_per_day = 0.0007703;
  double engagement_coefficient = 1.0;
  double craving_coefficient = 0.5;
  double mental_health_coefficient = 0.3;
  // By clinical state (deceased excluded): withdrawal, early and stable recovery, lapse, relapse.
  std::array<double, clinical_state_count - 1> state_multiplier{1.0, 0.05, 0.05, 0.5, 1.0};
};

struct PopulationParameters {
  std::int64_t size = 10000;
  CohortStart start = CohortStart::treatment;
  PerSubstance substance_mix{};
  BetaShape severity;
  double mental_health_probability = 0.45;
  BetaShape baseline_support;
  BetaShape baseline_engagement;
  PerSubstance withdrawal_mean_days{};
  // Age at admission: normal by substance, truncated to [age_min_years, age_max_years].
  PerSubstance age_mean_years{};
  PerSubstance age_sd_years{};
  double age_min_years = 18.0;
  double age_max_years = 85.0;
  double male_probability = 0.65;
};

// Open cohorts: agents arrive evenly spaced, arrivals_per_day of them a day for for_days days.
// arrivals_per_day = 0 is a closed cohort (everyone starts on day 0).
struct IntakeParameters {
  double arrivals_per_day = 0.0;
  std::int64_t for_days = 0;
  bool open() const { return arrivals_per_day > 0.0; }
  std::int64_t cohort_size() const;
};

struct TreatmentParameters {
  // The settings table: built-in settings first (states.hpp), then those a scenario defines,
  // in the order it names them. A setting's code is its index.
  std::vector<std::string> setting_names{builtin_setting_names.begin(), builtin_setting_names.end()};
  std::array<SettingParameters, max_settings> settings{};
  std::array<std::string, max_settings> based_on{};  // a scenario's own setting: the one it starts from
  std::size_t setting = static_cast<std::size_t>(Setting::outpatient);
  // Where an episode takes place: shares over settings, for everyone and per substance. All
  // zero: `setting`; a substance's own shares, if any is positive, replace the common ones.
  std::array<double, max_settings> entry_mix{};
  std::array<std::array<double, max_settings>, substance_count> entry_mix_by_substance{};
  EntryParameters entry;

  std::size_t setting_count() const { return setting_names.size(); }
  // Some setting has a limited number of places: entries are then served day by day.
  bool capacity_limited() const;
  // Some setting has a cost: the places taken are then counted day by day.
  bool costed() const;
  // The cumulative entry shares for an agent of substance s (the last is 1).
  std::array<double, max_settings> entry_cumulative(Substance s) const;
};

struct ModelParameters {
  double covariate_centre = 0.5;
  std::int64_t stable_after_days = 90;

  double stress_probability_per_day = 0.05;
  double stress_craving_jump = 0.3;
  double stress_lapse_multiplier = 3.0;

  PerSubstance craving_peak{};
  double craving_peak_severity_slope = 0.3;
  double craving_floor = 0.1;
  double craving_decay_days = 60.0;
  double craving_adjustment_rate_per_day = 0.1;

  double self_efficacy_initial_intercept = 0.2;
  double self_efficacy_initial_severity_slope = 0.3;
  double self_efficacy_growth_rate_per_day = 0.01;
  double self_efficacy_violation_factor = 0.7;

  double support_adjustment_rate_per_day = 0.05;

  double skills_initial = 0.1;
  double skills_decay_rate_per_day = 0.001;

  double engagement_adjustment_rate_per_day = 0.05;
  double engagement_violation_factor = 0.9;

  // Death from other causes: a Gompertz hazard in age times a standardised mortality ratio.
  double gompertz_base_hazard_per_day = 6.5e-6;  // at the reference age
  double gompertz_slope_per_year = 0.085;
  double gompertz_reference_age_years = 40.0;
  PerSubstance other_causes_smr{};
  double other_causes_male_multiplier = 1.0;
  // Substance-related acute death ("overdose").
  PerSubstance substance_death_base_hazard_per_day{};
  double substance_death_withdrawal_multiplier = 0.2;
  double substance_death_abstinent_multiplier = 0.02;
  double death_loss_of_tolerance_multiplier = 8.0;
  std::int64_t loss_of_tolerance_window_days = 14;
  std::int64_t loss_of_tolerance_min_abstinent_days = 14;

  PerSubstance lapse_base_hazard_per_day{};
  double lapse_craving_coefficient = 3.0;
  double lapse_self_efficacy_coefficient = -2.0;
  double lapse_support_coefficient = -1.5;
  double lapse_skills_coefficient = -1.5;
  double lapse_mental_health_coefficient = 0.4;
  double lapse_withdrawal_multiplier = 1.6;

  double relapse_intercept = -0.8318;
  double relapse_craving_coefficient = 3.0;
  double relapse_self_efficacy_coefficient = -3.0;
  double relapse_support_coefficient = -2.0;

  double resume_base_hazard_per_day = 0.01115;
  double resume_self_efficacy_coefficient = 2.0;
  double resume_support_coefficient = 1.5;
  double resume_in_treatment_multiplier = 2.0;

  double dropout_engagement_coefficient = -5.316;
  double dropout_engagement_centre = 0.6;
  double dropout_craving_coefficient = 1.0;
  double dropout_use_multiplier = 5.962;
};

struct Parameters {
  PopulationParameters population;
  IntakeParameters intake;
  TreatmentParameters treatment;
  ModelParameters model;

  // The longest episode of a setting the entry mix sends some of the population to: by then
  // every first episode not ended by dropout or death has been completed.
  std::int64_t longest_first_episode_days() const;
};

// Declares the keys `population.*`, `treatment.*` and `model.*`, bound to `p`, with defaults.
void declare_parameters(ParamTable& table, Parameters& p);

// Checks that involve several keys (e.g. the substance mix sums to 1) and derives what follows
// from them (an open cohort's size). Throws InputError naming where the offending keys were set.
void validate_parameters(const ParamTable& table, Parameters& p);

}  // namespace recoverysim::recovery
