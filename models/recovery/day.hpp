// One day of the recovery model for one agent, in the reference model's order:
// stress, latent update, death, lapse / lapse resolution / resuming abstinence,
// bookkeeping, treatment. Each step is a small function of one agent's state so that it can
// be tested on its own; advance_one_day() composes them and the kernel in kernel.cpp runs it
// over a tile of agents.
//
// The code is written for the vectoriser: single precision, no branches (every decision is a
// select between values; booleans combine with & and |, which evaluate both sides, rather
// than && and ||), no calls the compiler cannot inline (lane_math.hpp instead of <cmath>),
// and no early return. The kernel's loop over agents then compiles to SIMD
// instructions, and each agent still gets exactly the same arithmetic whatever lane it is in.
#pragma once

#include "parameters.hpp"
#include "states.hpp"

#include "lane_math.hpp"
#include "random.hpp"

#include <algorithm>
#include <cstdint>

namespace recoverysim::recovery {

// One agent's state, copied out of the population's columns for the day.
// Enums are Wide and the flag an int so that every comparison in the kernel is 32 bits wide.
struct AgentState {
  Wide<Substance> substance = Substance::alcohol;
  std::int32_t mental_health = 0;
  float baseline_support = 0.0f;     // g0
  float baseline_engagement = 0.0f;  // w0
  float craving_peak = 0.0f;         // c_peak
  float age_years = 0.0f;            // today's age (the kernel advances the age at admission)
  std::int32_t male = 0;

  float craving = 0.0f;        // c
  float self_efficacy = 0.0f;  // e
  float support = 0.0f;        // g
  float skills = 0.0f;         // k
  float engagement = 0.0f;     // w

  Wide<ClinicalState> state = ClinicalState::withdrawal;
  Wide<TreatmentStatus> treatment = TreatmentStatus::in_treatment;
  std::int32_t setting = static_cast<std::int32_t>(Setting::outpatient);  // of the current or last episode
  std::int32_t abstinent_run = 0;
  std::int32_t abstinent_before_use = 0;
  std::int32_t days_since_use = 0;
  std::int32_t withdrawal_days_left = 1;  // d_W minus the withdrawal days done
  std::int32_t status_days = 0;           // days in the current treatment status (population.hpp)

  std::int32_t first_lapse_day = -1;
  std::int32_t first_relapse_day = -1;
  Wide<EpisodeOutcome> first_episode_outcome = EpisodeOutcome::ongoing;
  std::int32_t first_episode_days = 0;
  std::int32_t readmissions = 0;
  std::int32_t death_day = -1;
  Wide<DeathCause> death_cause = DeathCause::none;
  std::int32_t abstinent_days = 0;
};

// What interventions contribute to an agent's day through the declared channels.
// The defaults are neutral: an agent with no intervention gets exactly the core model.
struct AgentEffects {
  float support_connections = 0.0f;  // added to g_target
  float craving_increment = 0.0f;
  float self_efficacy_increment = 0.0f;
  float skills_increment = 0.0f;
  float engagement_increment = 0.0f;
  float lapse_multiplier = 1.0f;
  float stress_lapse_multiplier = 1.0f;  // applies on stress days only
  float relapse_odds_multiplier = 1.0f;
  float dropout_multiplier = 1.0f;
  float entry_multiplier = 1.0f;  // on the treatment entry hazard
};

// The four uniforms of the agent's core-day block (see CoreDaySlot).
struct DayDraws {
  std::uint32_t stress = 0;
  std::uint32_t death = 0;
  std::uint32_t state_exit = 0;
  std::uint32_t treatment_exit = 0;
};

// The day's constants, in the kernel's precision: the model's parameters and the settings
// table, with derived values (probabilities, reciprocals) computed once. A setting's constants
// are arrays indexed by the agent's setting code (a gather in the vectorised loop). Such a read
// is always made, and the value then selected: a read under a condition could fall outside
// the array for all the compiler knows, so it would keep a branch and not vectorise the loop.
struct DayContext {
  const Parameters& p;

  float covariate_centre;
  std::int32_t stable_after_days;

  float stress_probability;
  float stress_craving_jump;
  float stress_lapse_multiplier;

  float craving_floor;
  float craving_decay_per_day;  // 1 / craving_decay_days
  float craving_adjustment_rate;
  float craving_target_multiplier[max_settings];

  float self_efficacy_growth_rate;
  float self_efficacy_violation_factor;
  float support_adjustment_rate;
  float skills_growth_rate[max_settings];
  float skills_decay_rate;
  float engagement_adjustment_rate;
  float engagement_violation_factor;

  float years_per_day;                              // 1 / days_per_year: the age advances by this each day
  float other_causes_base_hazard[substance_count];  // Gompertz base x SMR
  float gompertz_slope_per_year;
  float gompertz_reference_age;
  float other_causes_male_multiplier;
  float substance_death_base_hazard[substance_count];
  float substance_death_withdrawal_multiplier;
  float substance_death_abstinent_multiplier;
  float overdose_multiplier_in_treatment[max_settings];
  float exit_overdose_excess[max_settings];         // M_exit - 1
  float exit_overdose_decay_per_day[max_settings];  // 1 / tau_exit
  float death_loss_of_tolerance_multiplier;
  std::int32_t loss_of_tolerance_window_days;
  std::int32_t loss_of_tolerance_min_abstinent_days;

  float lapse_base_hazard[substance_count];
  float lapse_craving_coefficient;
  float lapse_self_efficacy_coefficient;
  float lapse_support_coefficient;
  float lapse_skills_coefficient;
  float lapse_mental_health_coefficient;
  float lapse_withdrawal_multiplier;
  float lapse_multiplier_in_treatment[max_settings];
  float exit_lapse_excess[max_settings];         // M_L - 1
  float exit_lapse_decay_per_day[max_settings];  // 1 / tau_L

  float relapse_intercept;
  float relapse_craving_coefficient;
  float relapse_self_efficacy_coefficient;
  float relapse_support_coefficient;

  float resume_base_hazard;
  float resume_self_efficacy_coefficient;
  float resume_support_coefficient;
  float resume_in_treatment_multiplier;

  float dropout_base_hazard[max_settings];
  float dropout_engagement_coefficient;
  float dropout_engagement_centre;
  float dropout_craving_coefficient;
  float dropout_use_multiplier;

  std::int32_t episode_length_days[max_settings];

  float entry_base_hazard;
  float entry_engagement_coefficient;
  float entry_craving_coefficient;
  float entry_mental_health_coefficient;
  float entry_state_multiplier[clinical_state_count - 1];  // withdrawal .. relapse
  // The setting every episode takes place in, when the entry mix allows one only (the usual
  // case): the kernel then reads its constants once instead of gathering them per agent. -1
  // when agents' settings differ.
  std::int32_t only_setting = -1;

  explicit DayContext(const Parameters& params);
};

// Selects a per-substance constant without indexing, so that the vectoriser needs no gather.
[[gnu::always_inline]] inline float of_substance(const float (&values)[substance_count], Wide<Substance> s) {
  return s == Substance::alcohol ? values[0] : s == Substance::opioid ? values[1] : values[2];
}

[[gnu::always_inline]] inline float clamp01(float x) { return std::clamp(x, 0.0f, 1.0f); }

// ---- step 2: latent update -----------------------------------------------------------------

[[gnu::always_inline]] inline float craving_target(const DayContext& ctx, const AgentState& a) {
  const float decayed =
      ctx.craving_floor +
      (a.craving_peak - ctx.craving_floor) * exp_lane(-static_cast<float>(a.abstinent_run) * ctx.craving_decay_per_day);
  const bool at_peak = is_using(a.state) | (a.state == ClinicalState::withdrawal);
  const float target = at_peak ? a.craving_peak : decayed;
  const float multiplier = ctx.craving_target_multiplier[a.setting];  // read unconditionally (DayContext)
  return a.treatment == TreatmentStatus::in_treatment ? target * multiplier : target;
}

[[gnu::always_inline]] inline void update_latent(const DayContext& ctx, AgentState& a, bool stress,
                                                 const AgentEffects& fx) {
  const float c_star = craving_target(ctx, a);
  const float jump = stress ? ctx.stress_craving_jump * (1.0f - a.skills) * (1.0f - a.craving) : 0.0f;
  a.craving = clamp01(a.craving + ctx.craving_adjustment_rate * (c_star - a.craving) + jump + fx.craving_increment);

  const float growth = is_abstinent(a.state) ? ctx.self_efficacy_growth_rate * (1.0f - a.self_efficacy) : 0.0f;
  a.self_efficacy = clamp01(a.self_efficacy + growth + fx.self_efficacy_increment);

  const float support_target = clamp01(a.baseline_support + fx.support_connections);
  a.support = clamp01(a.support + ctx.support_adjustment_rate * (support_target - a.support));

  const float growth_rate = ctx.skills_growth_rate[a.setting];
  const float learning = a.treatment == TreatmentStatus::in_treatment ? growth_rate * (1.0f - a.skills) : 0.0f;
  a.skills = clamp01(a.skills + learning - ctx.skills_decay_rate * a.skills + fx.skills_increment);

  a.engagement = clamp01(a.engagement + ctx.engagement_adjustment_rate * (a.baseline_engagement - a.engagement) +
                         fx.engagement_increment);
}

// ---- step 3: death ---------------------------------------------------------------------------

[[gnu::always_inline]] inline bool in_loss_of_tolerance_window(const DayContext& ctx, const AgentState& a) {
  return (a.substance == Substance::opioid) & is_using(a.state) &
         (a.days_since_use < ctx.loss_of_tolerance_window_days) &
         (a.abstinent_before_use >= ctx.loss_of_tolerance_min_abstinent_days);
}

// Out of treatment after an episode (completed or dropped out): the post-exit multipliers apply.
[[gnu::always_inline]] inline bool left_treatment(const AgentState& a) {
  return (a.treatment == TreatmentStatus::completed) | (a.treatment == TreatmentStatus::dropped_out);
}

// 1 + (M - 1) exp(-d / tau) while out of treatment after an episode, d = days since leaving
// (0 on the first day out); 1 otherwise.
// The setting is that of the episode left (the agent's setting until a new episode starts).
[[gnu::always_inline]] inline float after_exit_multiplier(const float (&excess)[max_settings],
                                                          const float (&decay_per_day)[max_settings],
                                                          const AgentState& a) {
  const float m = 1.0f + excess[a.setting] * exp_lane(-static_cast<float>(a.status_days) * decay_per_day[a.setting]);
  return left_treatment(a) ? m : 1.0f;
}

// Other causes: Gompertz in today's age, times the substance's SMR (and the male multiplier).
[[gnu::always_inline]] inline float other_causes_hazard(const DayContext& ctx, const AgentState& a) {
  const float h = of_substance(ctx.other_causes_base_hazard, a.substance) *
                  exp_lane(ctx.gompertz_slope_per_year * (a.age_years - ctx.gompertz_reference_age));
  return a.male != 0 ? h * ctx.other_causes_male_multiplier : h;
}

// Substance-related acute death: base by substance, times the use, treatment, tolerance and
// post-exit multipliers.
[[gnu::always_inline]] inline float substance_death_hazard(const DayContext& ctx, const AgentState& a) {
  float h = of_substance(ctx.substance_death_base_hazard, a.substance);
  h *= is_abstinent(a.state) ? ctx.substance_death_abstinent_multiplier : 1.0f;
  h *= a.state == ClinicalState::withdrawal ? ctx.substance_death_withdrawal_multiplier : 1.0f;
  const float in_treatment_multiplier = ctx.overdose_multiplier_in_treatment[a.setting];
  h *= a.treatment == TreatmentStatus::in_treatment ? in_treatment_multiplier : 1.0f;
  h *= in_loss_of_tolerance_window(ctx, a) ? ctx.death_loss_of_tolerance_multiplier : 1.0f;
  return h * after_exit_multiplier(ctx.exit_overdose_excess, ctx.exit_overdose_decay_per_day, a);
}

// The death hazard, both causes together.
[[gnu::always_inline]] inline float death_hazard(const DayContext& ctx, const AgentState& a) {
  return other_causes_hazard(ctx, a) + substance_death_hazard(ctx, a);
}

// ---- steps 4-6: leaving the current state ----------------------------------------------------

[[gnu::always_inline]] inline float lapse_hazard(const DayContext& ctx, const AgentState& a, bool stress,
                                                 const AgentEffects& fx) {
  const float x0 = ctx.covariate_centre;
  const float log_relative =
      ctx.lapse_craving_coefficient * (a.craving - x0) + ctx.lapse_self_efficacy_coefficient * (a.self_efficacy - x0) +
      ctx.lapse_support_coefficient * (a.support - x0) + ctx.lapse_skills_coefficient * (a.skills - x0) +
      (a.mental_health != 0 ? ctx.lapse_mental_health_coefficient : 0.0f);
  float h = of_substance(ctx.lapse_base_hazard, a.substance) * exp_lane(log_relative);
  h *= a.state == ClinicalState::withdrawal ? ctx.lapse_withdrawal_multiplier : 1.0f;
  h *= stress ? ctx.stress_lapse_multiplier * fx.stress_lapse_multiplier : 1.0f;
  const float in_treatment_multiplier = ctx.lapse_multiplier_in_treatment[a.setting];
  h *= a.treatment == TreatmentStatus::in_treatment ? in_treatment_multiplier : 1.0f;
  h *= after_exit_multiplier(ctx.exit_lapse_excess, ctx.exit_lapse_decay_per_day, a);
  return h * fx.lapse_multiplier;
}

[[gnu::always_inline]] inline float relapse_probability(const DayContext& ctx, const AgentState& a,
                                                        const AgentEffects& fx) {
  const float x0 = ctx.covariate_centre;
  const float log_odds = ctx.relapse_intercept + ctx.relapse_craving_coefficient * (a.craving - x0) +
                         ctx.relapse_self_efficacy_coefficient * (a.self_efficacy - x0) +
                         ctx.relapse_support_coefficient * (a.support - x0);
  const float odds = exp_lane(log_odds) * fx.relapse_odds_multiplier;
  return 1.0f / (1.0f + 1.0f / odds);  // odds / (1 + odds), also right for odds 0 or infinite
}

[[gnu::always_inline]] inline float resume_hazard(const DayContext& ctx, const AgentState& a) {
  const float x0 = ctx.covariate_centre;
  const float h = ctx.resume_base_hazard * exp_lane(ctx.resume_self_efficacy_coefficient * (a.self_efficacy - x0) +
                                                    ctx.resume_support_coefficient * (a.support - x0));
  return a.treatment == TreatmentStatus::in_treatment ? h * ctx.resume_in_treatment_multiplier : h;
}

// The probability of leaving today's state: lapsing from withdrawal or recovery, a lapse
// becoming a relapse, or resuming abstinence from relapse.
[[gnu::always_inline]] inline float exit_probability(const DayContext& ctx, const AgentState& a, bool stress,
                                                     const AgentEffects& fx) {
  const float lapse = probability_within_day_lane(lapse_hazard(ctx, a, stress, fx));
  const float relapse = relapse_probability(ctx, a, fx);
  const float resume = probability_within_day_lane(resume_hazard(ctx, a));
  return a.state == ClinicalState::lapse ? relapse : a.state == ClinicalState::relapse ? resume : lapse;
}

// ---- steps 8-9: leaving treatment, entering it ------------------------------------------

// The treatment transition's hazard, in today's state (after steps 4-7): dropout for someone
// in treatment, entry for someone out of it. The two never apply to the same agent on the same
// day, so one log-linear form, one exponential and one draw serve both:
//   dropout  base_drop[setting] exp(d_w (w - w_c) + d_c (c - x0)) x mu_use if using x F_drop
//   entry    base_E exp(b_w (w - x0) + b_c (c - x0) + b_m m) x S_E[X] x F_E
[[gnu::always_inline]] inline float treatment_hazard(const DayContext& ctx, const AgentState& a,
                                                     const AgentEffects& fx) {
  const float x0 = ctx.covariate_centre;
  const bool in = a.treatment == TreatmentStatus::in_treatment;
  const float drop_log = ctx.dropout_engagement_coefficient * (a.engagement - ctx.dropout_engagement_centre) +
                         ctx.dropout_craving_coefficient * (a.craving - x0);
  const float entry_log = ctx.entry_engagement_coefficient * (a.engagement - x0) +
                          ctx.entry_craving_coefficient * (a.craving - x0) +
                          (a.mental_health != 0 ? ctx.entry_mental_health_coefficient : 0.0f);
  const Wide<ClinicalState> x = a.state;
  const float* m = ctx.entry_state_multiplier;
  const float by_state = x == ClinicalState::withdrawal        ? m[0]
                         : x == ClinicalState::early_recovery  ? m[1]
                         : x == ClinicalState::stable_recovery ? m[2]
                         : x == ClinicalState::lapse           ? m[3]
                                                               : m[4];
  const float drop_base = ctx.dropout_base_hazard[a.setting];  // read unconditionally (DayContext)
  const float h = (in ? drop_base : ctx.entry_base_hazard) * exp_lane(in ? drop_log : entry_log);
  const float dropout = (is_using(a.state) ? h * ctx.dropout_use_multiplier : h) * fx.dropout_multiplier;
  const float entry = h * by_state * fx.entry_multiplier;
  return in ? dropout : entry;
}

// ---- the whole day ---------------------------------------------------------------------------

// Advances one agent by one day and returns what happened (DayEvent bits, and
// event_died_substance_related for a death of that cause); a deceased agent
// is left as it is. Every field is assigned by a select on the day's decisions, each of which
// already excludes death, so that the code has no branch for the vectoriser to trip on. An
// entry (event_entry) is only decided here: the caller draws its setting and starts the episode
// or puts the agent on a waiting list, and decides the step-downs of the day's completions --
// rare events, kept out of this code (population.hpp, start_episode).
[[gnu::always_inline]] inline std::int32_t advance_one_day(const DayContext& ctx, AgentState& a, std::int32_t day,
                                                           const DayDraws& u, const AgentEffects& fx) {
  const bool in_treatment = a.treatment == TreatmentStatus::in_treatment;
  // 0. An episode entered from lapse or relapse starts in withdrawal, on its first day (its
  // length was drawn on entry).
  const bool starts_withdrawal = in_treatment & (a.status_days == 0) & is_using(a.state);
  a.state = starts_withdrawal ? ClinicalState::withdrawal : a.state;
  a.abstinent_run = starts_withdrawal ? 0 : a.abstinent_run;
  const Wide<ClinicalState> start = a.state;
  const bool alive = start != ClinicalState::deceased;

  // 1. stress event
  const bool stress = bernoulli_lane(u.stress, ctx.stress_probability);

  // 2. latent update, with the state at the start of the day (none for the deceased)
  const float latent_before[] = {a.craving, a.self_efficacy, a.support, a.skills, a.engagement};
  update_latent(ctx, a, stress, fx);
  a.craving = alive ? a.craving : latent_before[0];
  a.self_efficacy = alive ? a.self_efficacy : latent_before[1];
  a.support = alive ? a.support : latent_before[2];
  a.skills = alive ? a.skills : latent_before[3];
  a.engagement = alive ? a.engagement : latent_before[4];

  // 3. death, resolved first: on that day nothing below happens (`lives` is false). One uniform
  // decides death with the hazard of both causes, and its position below the death probability
  // the cause: substance-related if below p h_S / (h_O + h_S), so in proportion to the hazards.
  const float h_other = other_causes_hazard(ctx, a);
  const float h_substance = substance_death_hazard(ctx, a);
  const float h_death = h_other + h_substance;
  const float p_death = probability_within_day_lane(h_death);
  const bool died = alive & bernoulli_lane(u.death, p_death);
  // u < p h_S / h (u as a fraction of 2^32), multiplied out: no division, and h = 0 never dies.
  const bool died_substance = died & (static_cast<float>(u.death) * h_death < p_death * h_substance * 4294967296.0f);
  const bool lives = alive & !died;

  // 4-6. the exit from the current state (one draw: these never happen on the same day)
  const bool exits = lives & bernoulli_lane(u.state_exit, exit_probability(ctx, a, stress, fx));
  const bool lapsed = exits & !is_using(start);
  const bool relapsed = exits & (start == ClinicalState::lapse);
  const bool resumed = exits & (start == ClinicalState::relapse);
  const bool withdrawal_day = lives & (start == ClinicalState::withdrawal) & !exits;
  a.withdrawal_days_left -= withdrawal_day ? 1 : 0;
  Wide<ClinicalState> next = start;
  next = withdrawal_day & (a.withdrawal_days_left <= 0) ? ClinicalState::early_recovery : next;
  next =
      lives & (start == ClinicalState::lapse) ? (exits ? ClinicalState::relapse : ClinicalState::early_recovery) : next;
  next = resumed ? ClinicalState::early_recovery : next;
  next = lapsed ? ClinicalState::lapse : next;

  // 7. bookkeeping
  a.abstinent_before_use = lapsed ? a.abstinent_run : a.abstinent_before_use;
  a.days_since_use = lapsed ? 0 : lives ? std::min(a.days_since_use + 1, max_day_count) : a.days_since_use;
  a.self_efficacy = lapsed ? a.self_efficacy * ctx.self_efficacy_violation_factor : a.self_efficacy;
  a.engagement = lapsed ? a.engagement * ctx.engagement_violation_factor : a.engagement;
  a.first_lapse_day = lapsed & (a.first_lapse_day < 0) ? day : a.first_lapse_day;
  a.first_relapse_day = relapsed & (a.first_relapse_day < 0) ? day : a.first_relapse_day;
  a.abstinent_run = !lives ? a.abstinent_run : is_abstinent(next) ? a.abstinent_run + 1 : 0;
  next = (next == ClinicalState::early_recovery) & (a.abstinent_run >= ctx.stable_after_days)
             ? ClinicalState::stable_recovery
             : next;
  a.state = died ? ClinicalState::deceased : next;
  a.death_day = died ? day : a.death_day;
  a.death_cause = !died ? a.death_cause : died_substance ? DeathCause::substance_related : DeathCause::other_causes;

  // 8. treatment, with the state after steps 4-7: dropout or progress towards completion;
  // 9. entry, for someone out of treatment since the start of the day (the same uniform: the
  // two never happen to the same agent on the same day)
  const bool treated_today = lives & in_treatment;
  const bool transition = bernoulli_lane(u.treatment_exit, probability_within_day_lane(treatment_hazard(ctx, a, fx)));
  const bool dropped_out = treated_today & transition;
  const bool completed = treated_today & !dropped_out & (a.status_days + 1 >= ctx.episode_length_days[a.setting]);
  // (An entry only is decided here: the caller starts the episode, or puts the agent on a
  // waiting list, with start_episode.)
  const bool may_enter = left_treatment(a) | (a.treatment == TreatmentStatus::untreated);  // not on a list
  const bool entered = lives & may_enter & transition;

  // The first episode's record closes when it ends: by dropout, completion or death.
  const bool first_episode_open = (a.readmissions == 0) & (a.first_episode_outcome == EpisodeOutcome::ongoing);
  const bool died_in_treatment = died & in_treatment;
  const bool first_episode_ends = first_episode_open & (dropped_out | completed | died_in_treatment);
  a.first_episode_outcome = !first_episode_ends ? a.first_episode_outcome
                            : dropped_out       ? EpisodeOutcome::dropped_out
                            : completed         ? EpisodeOutcome::completed
                                                : EpisodeOutcome::died;
  // The days begun in treatment, the last one included.
  a.first_episode_days = first_episode_ends ? a.status_days + 1 : a.first_episode_days;
  // The status clock: a day more in treatment or out of it; 0 at the end of the day an episode
  // ends (so 0 on the first day out) and on readmission.
  a.status_days = dropped_out | completed ? 0 : lives ? std::min(a.status_days + 1, max_day_count) : a.status_days;
  a.treatment = dropped_out ? TreatmentStatus::dropped_out : completed ? TreatmentStatus::completed : a.treatment;
  a.abstinent_days += is_abstinent(a.state) ? 1 : 0;  // never true of the deceased

  return (starts_withdrawal ? event_started_withdrawal : 0) | (died ? event_died : 0) |
         (died_substance ? event_died_substance_related : 0) | (lapsed ? event_lapsed : 0) |
         (relapsed ? event_relapsed : 0) | (resumed ? event_resumed : 0) | (dropped_out ? event_dropped_out : 0) |
         (completed ? event_completed : 0) | (entered ? event_entry : 0);
}

}  // namespace recoverysim::recovery
