// One day of the recovery model for one agent, in the reference model's order:
// stress, latent update, death, lapse / lapse resolution / resuming abstinence,
// bookkeeping, treatment. Each step is a small function of one agent's state so that it can
// be tested on its own; advance_one_day() composes them and the kernel in kernel.hpp runs it
// over the population's columns.
#pragma once

#include "parameters.hpp"
#include "states.hpp"

#include "random.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace recoverysim::recovery {

// One agent's state, copied out of the population's columns for the day.
struct AgentState {
  Substance substance = Substance::alcohol;
  bool mental_health = false;
  double baseline_support = 0.0;     // g0
  double baseline_engagement = 0.0;  // w0
  double craving_peak = 0.0;         // c_peak

  double craving = 0.0;        // c
  double self_efficacy = 0.0;  // e
  double support = 0.0;        // g
  double skills = 0.0;         // k
  double engagement = 0.0;     // w

  ClinicalState state = ClinicalState::withdrawal;
  TreatmentStatus treatment = TreatmentStatus::in_treatment;
  std::int32_t abstinent_run = 0;
  std::int32_t abstinent_before_use = 0;
  std::int32_t days_since_use = 0;
  std::int32_t withdrawal_days_done = 0;
  std::int32_t withdrawal_length = 1;
  std::int32_t episode_days = 0;

  std::int32_t first_lapse_day = -1;
  std::int32_t first_relapse_day = -1;
  EpisodeOutcome first_episode_outcome = EpisodeOutcome::ongoing;
  std::int32_t first_episode_days = 0;
  std::int32_t readmissions = 0;
  std::int32_t death_day = -1;
  std::int32_t abstinent_days = 0;
};

// What interventions contribute to an agent's day through the declared channels.
// The defaults are neutral: an agent with no intervention gets exactly the core model.
struct AgentEffects {
  double support_connections = 0.0;  // added to g_target
  double craving_increment = 0.0;
  double self_efficacy_increment = 0.0;
  double skills_increment = 0.0;
  double engagement_increment = 0.0;
  double lapse_multiplier = 1.0;
  double stress_lapse_multiplier = 1.0;  // applies on stress days only
  double relapse_odds_multiplier = 1.0;
  double dropout_multiplier = 1.0;
};

// The four uniforms of the agent's core-day block (see CoreDaySlot).
struct DayDraws {
  std::uint32_t stress = 0;
  std::uint32_t death = 0;
  std::uint32_t state_exit = 0;
  std::uint32_t treatment_exit = 0;
};

// What happened to the agent today (for counts, records and, later, modules' own events).
struct DayEvents {
  bool died = false;
  bool lapsed = false;
  bool relapsed = false;
  bool resumed = false;
  bool dropped_out = false;
  bool completed = false;
  bool readmitted = false;
};

// Everything the day needs that is the same for every agent: the parameters and the setting.
struct DayContext {
  const Parameters& p;
  const ModelParameters& m;
  const SettingParameters& setting;
  double stress_probability;
  double readmission_probability;

  explicit DayContext(const Parameters& params)
      : p(params),
        m(params.model),
        setting(params.treatment.settings[static_cast<std::size_t>(params.treatment.setting)]),
        stress_probability(params.model.stress_probability_per_day),
        readmission_probability(hazard_to_probability(params.treatment.readmission_hazard_per_day)) {}
};

inline double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }
inline std::size_t index_of(Substance s) { return static_cast<std::size_t>(s); }

// ---- step 2: latent update -----------------------------------------------------------------

inline double craving_target(const DayContext& ctx, const AgentState& a) {
  const auto& m = ctx.m;
  double target = a.craving_peak;
  if (!is_using(a.state) && a.state != ClinicalState::withdrawal)
    target = m.craving_floor + (a.craving_peak - m.craving_floor) * std::exp(-a.abstinent_run / m.craving_decay_days);
  if (a.treatment == TreatmentStatus::in_treatment && a.substance == Substance::opioid)
    target *= ctx.setting.opioid_craving_target_multiplier;
  return target;
}

inline void update_latent(const DayContext& ctx, AgentState& a, bool stress, const AgentEffects& fx) {
  const auto& m = ctx.m;
  const double c_star = craving_target(ctx, a);
  a.craving += m.craving_adjustment_rate_per_day * (c_star - a.craving) +
               (stress ? m.stress_craving_jump * (1.0 - a.skills) * (1.0 - a.craving) : 0.0);
  a.craving = clamp01(a.craving + fx.craving_increment);

  if (a.state == ClinicalState::early_recovery || a.state == ClinicalState::stable_recovery)
    a.self_efficacy += m.self_efficacy_growth_rate_per_day * (1.0 - a.self_efficacy);
  a.self_efficacy = clamp01(a.self_efficacy + fx.self_efficacy_increment);

  const double support_target = clamp01(a.baseline_support + fx.support_connections);
  a.support = clamp01(a.support + m.support_adjustment_rate_per_day * (support_target - a.support));

  const double growth =
      a.treatment == TreatmentStatus::in_treatment ? ctx.setting.skills_growth_rate_per_day * (1.0 - a.skills) : 0.0;
  a.skills = clamp01(a.skills + growth - m.skills_decay_rate_per_day * a.skills + fx.skills_increment);

  a.engagement += m.engagement_adjustment_rate_per_day * (a.baseline_engagement - a.engagement);
  a.engagement = clamp01(a.engagement + fx.engagement_increment);
}

// ---- step 3: death ---------------------------------------------------------------------------

inline bool in_loss_of_tolerance_window(const DayContext& ctx, const AgentState& a) {
  return a.substance == Substance::opioid && is_using(a.state) &&
         a.days_since_use < ctx.m.loss_of_tolerance_window_days &&
         a.abstinent_before_use >= ctx.m.loss_of_tolerance_min_abstinent_days;
}

inline double death_hazard(const DayContext& ctx, const AgentState& a) {
  const auto& m = ctx.m;
  double h = m.death_base_hazard_per_day[index_of(a.substance)];
  if (is_abstinent(a.state)) h *= m.death_abstinent_multiplier;
  if (a.treatment == TreatmentStatus::in_treatment) {
    h *= m.death_in_treatment_multiplier;
    if (a.substance == Substance::opioid) h *= ctx.setting.opioid_death_multiplier;
  }
  if (in_loss_of_tolerance_window(ctx, a)) h *= m.death_loss_of_tolerance_multiplier;
  return h;
}

// ---- steps 4-6: leaving the current state ----------------------------------------------------

inline double lapse_hazard(const DayContext& ctx, const AgentState& a, bool stress, const AgentEffects& fx) {
  const auto& m = ctx.m;
  const double x0 = m.covariate_centre;
  const double log_relative = m.lapse_craving_coefficient * (a.craving - x0) +
                              m.lapse_self_efficacy_coefficient * (a.self_efficacy - x0) +
                              m.lapse_support_coefficient * (a.support - x0) +
                              m.lapse_skills_coefficient * (a.skills - x0) +
                              (a.mental_health ? m.lapse_mental_health_coefficient : 0.0);
  double h = m.lapse_base_hazard_per_day[index_of(a.substance)] * std::exp(log_relative);
  if (a.state == ClinicalState::withdrawal) h *= m.lapse_withdrawal_multiplier;
  if (stress) h *= m.stress_lapse_multiplier * fx.stress_lapse_multiplier;
  if (a.treatment == TreatmentStatus::in_treatment) h *= ctx.setting.lapse_multiplier_in_treatment;
  return h * fx.lapse_multiplier;
}

inline double relapse_probability(const DayContext& ctx, const AgentState& a, const AgentEffects& fx) {
  const auto& m = ctx.m;
  const double x0 = m.covariate_centre;
  const double log_odds = m.relapse_intercept + m.relapse_craving_coefficient * (a.craving - x0) +
                          m.relapse_self_efficacy_coefficient * (a.self_efficacy - x0) +
                          m.relapse_support_coefficient * (a.support - x0);
  const double odds = std::exp(log_odds) * fx.relapse_odds_multiplier;
  return odds / (1.0 + odds);
}

inline double resume_hazard(const DayContext& ctx, const AgentState& a) {
  const auto& m = ctx.m;
  const double x0 = m.covariate_centre;
  double h = m.resume_base_hazard_per_day * std::exp(m.resume_self_efficacy_coefficient * (a.self_efficacy - x0) +
                                                     m.resume_support_coefficient * (a.support - x0));
  if (a.treatment == TreatmentStatus::in_treatment) h *= m.resume_in_treatment_multiplier;
  return h;
}

// ---- step 8: treatment -----------------------------------------------------------------------

inline double dropout_hazard(const DayContext& ctx, const AgentState& a, const AgentEffects& fx) {
  const auto& m = ctx.m;
  double h = ctx.setting.dropout_base_hazard_per_day *
             std::exp(m.dropout_engagement_coefficient * (a.engagement - m.dropout_engagement_centre) +
                      m.dropout_craving_coefficient * (a.craving - m.covariate_centre));
  if (is_using(a.state)) h *= m.dropout_use_multiplier;
  return h * fx.dropout_multiplier;
}

// Closes the first treatment episode's record if this is the first episode. `days` counts the
// days the agent began in treatment, the day it ended included.
inline void record_first_episode_end(AgentState& a, EpisodeOutcome outcome, std::int32_t days) {
  if (a.readmissions == 0 && a.first_episode_outcome == EpisodeOutcome::ongoing) {
    a.first_episode_outcome = outcome;
    a.first_episode_days = days;
  }
}

// ---- the whole day ---------------------------------------------------------------------------

// Advances one living agent by one day. `draw_new_withdrawal_length()` is called only on
// readmission (it reads the agent's withdrawal_length stream for today).
template <class NewWithdrawalLength>
DayEvents advance_one_day(const DayContext& ctx, AgentState& a, std::int32_t day, const DayDraws& u,
                          const AgentEffects& fx, NewWithdrawalLength&& draw_new_withdrawal_length) {
  const auto& m = ctx.m;
  DayEvents events;
  const ClinicalState start = a.state;

  // 1. stress event
  const bool stress = bernoulli(u.stress, ctx.stress_probability);

  // 2. latent update, with the state at the start of the day
  update_latent(ctx, a, stress, fx);

  // 3. death, resolved first; it ends the day
  if (bernoulli(u.death, hazard_to_probability(death_hazard(ctx, a)))) {
    a.state = ClinicalState::deceased;
    a.death_day = day;
    if (a.treatment == TreatmentStatus::in_treatment) record_first_episode_end(a, EpisodeOutcome::died, a.episode_days + 1);
    events.died = true;
    return events;
  }

  // 4-6. the exit from the current state (one slot: these never happen on the same day)
  switch (start) {
    case ClinicalState::withdrawal:
    case ClinicalState::early_recovery:
    case ClinicalState::stable_recovery:
      if (bernoulli(u.state_exit, hazard_to_probability(lapse_hazard(ctx, a, stress, fx)))) {
        a.state = ClinicalState::lapse;
        events.lapsed = true;
      } else if (start == ClinicalState::withdrawal && ++a.withdrawal_days_done >= a.withdrawal_length) {
        a.state = ClinicalState::early_recovery;
      }
      break;
    case ClinicalState::lapse:
      if (bernoulli(u.state_exit, relapse_probability(ctx, a, fx))) {
        a.state = ClinicalState::relapse;
        events.relapsed = true;
      } else {
        a.state = ClinicalState::early_recovery;
      }
      break;
    case ClinicalState::relapse:
      if (bernoulli(u.state_exit, hazard_to_probability(resume_hazard(ctx, a)))) {
        a.state = ClinicalState::early_recovery;
        events.resumed = true;
      }
      break;
    case ClinicalState::deceased: break;
  }

  // 7. bookkeeping
  if (events.lapsed) {
    a.abstinent_before_use = a.abstinent_run;
    a.days_since_use = 0;
    a.self_efficacy *= m.self_efficacy_violation_factor;
    a.engagement *= m.engagement_violation_factor;
    if (a.first_lapse_day < 0) a.first_lapse_day = day;
  } else if (a.days_since_use < INT32_MAX) {
    ++a.days_since_use;
  }
  if (events.relapsed && a.first_relapse_day < 0) a.first_relapse_day = day;
  a.abstinent_run = is_abstinent(a.state) ? a.abstinent_run + 1 : 0;
  if (a.state == ClinicalState::early_recovery && a.abstinent_run >= m.stable_after_days)
    a.state = ClinicalState::stable_recovery;

  // 8. treatment: dropout or progress towards completion; or readmission after treatment
  if (a.treatment == TreatmentStatus::in_treatment) {
    if (bernoulli(u.treatment_exit, hazard_to_probability(dropout_hazard(ctx, a, fx)))) {
      a.treatment = TreatmentStatus::dropped_out;
      record_first_episode_end(a, EpisodeOutcome::dropped_out, a.episode_days + 1);
      events.dropped_out = true;
    } else if (++a.episode_days >= ctx.setting.length_days) {
      a.treatment = TreatmentStatus::completed;
      record_first_episode_end(a, EpisodeOutcome::completed, a.episode_days);
      events.completed = true;
    }
  } else if (a.state == ClinicalState::relapse &&
             (a.treatment == TreatmentStatus::completed || a.treatment == TreatmentStatus::dropped_out)) {
    if (bernoulli(u.treatment_exit, ctx.readmission_probability)) {
      a.treatment = TreatmentStatus::in_treatment;
      a.state = ClinicalState::withdrawal;
      a.withdrawal_days_done = 0;
      a.episode_days = 0;
      a.abstinent_run = 0;
      a.withdrawal_length = draw_new_withdrawal_length();
      ++a.readmissions;
      events.readmitted = true;
    }
  }

  if (is_abstinent(a.state)) ++a.abstinent_days;
  return events;
}

}  // namespace recoverysim::recovery
