// Unit tests of each step of the day, against the reference model's equations written out.
#include "models/recovery/day.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace recoverysim;
using namespace recoverysim::recovery;
using doctest::Approx;

namespace {

constexpr std::uint32_t always = 0;           // bernoulli(0, p) is true for any p > 0
constexpr std::uint32_t never = 0xffffffffu;  // bernoulli(max, p) is false for any p < 1
constexpr DayDraws quiet_day{never, never, never, never};

AgentState typical_agent() {
  AgentState a;
  a.substance = Substance::alcohol;
  a.mental_health = true;
  a.baseline_support = 0.4f;
  a.baseline_engagement = 0.7f;
  a.craving_peak = 0.6f;
  a.craving = 0.5f;
  a.self_efficacy = 0.4f;
  a.support = 0.3f;
  a.skills = 0.2f;
  a.engagement = 0.6f;
  a.state = ClinicalState::early_recovery;
  a.treatment = TreatmentStatus::in_treatment;
  a.abstinent_run = 30;
  a.withdrawal_days_left = 5;
  return a;
}

bool has(std::uint8_t events, DayEvent e) { return (events & e) != 0; }

}  // namespace

TEST_CASE("craving target: peak while using or in withdrawal, decaying with abstinent days otherwise") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  CHECK(craving_target(ctx, a) == Approx(0.1 + (0.6 - 0.1) * std::exp(-30.0 / 60.0)));
  for (auto x : {ClinicalState::withdrawal, ClinicalState::lapse, ClinicalState::relapse}) {
    a.state = x;
    CHECK(craving_target(ctx, a) == Approx(0.6));
  }
  Parameters moud = p;
  moud.treatment.setting = Setting::moud;
  const DayContext moud_ctx(moud);
  a.substance = Substance::opioid;
  CHECK(craving_target(moud_ctx, a) == Approx(0.6 * 0.6));
  a.treatment = TreatmentStatus::completed;
  CHECK(craving_target(moud_ctx, a) == Approx(0.6));
}

TEST_CASE("latent update follows the reference equations") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  const double c_star = 0.1 + 0.5 * std::exp(-0.5);
  update_latent(ctx, a, /*stress=*/false, AgentEffects{});
  CHECK(a.craving == Approx(0.5 + 0.1 * (c_star - 0.5)));
  CHECK(a.self_efficacy == Approx(0.4 + 0.01 * 0.6));
  CHECK(a.support == Approx(0.3 + 0.05 * (0.4 - 0.3)));
  CHECK(a.skills == Approx(0.2 + 0.01 * 0.8 - 0.001 * 0.2));
  CHECK(a.engagement == Approx(0.6 + 0.05 * 0.1));

  AgentState s = typical_agent();
  update_latent(ctx, s, /*stress=*/true, AgentEffects{});
  CHECK(s.craving == Approx(0.5 + 0.1 * (c_star - 0.5) + 0.3 * 0.8 * 0.5));

  AgentState out = typical_agent();
  out.state = ClinicalState::relapse;
  out.treatment = TreatmentStatus::dropped_out;
  update_latent(ctx, out, false, AgentEffects{});
  CHECK(out.self_efficacy == Approx(0.4));         // grows only when abstinent
  CHECK(out.skills == Approx(0.2 - 0.001 * 0.2));  // grows only in treatment

  AgentState fx = typical_agent();
  AgentEffects effects;
  effects.support_connections = 0.25f;
  effects.craving_increment = -0.05f;
  update_latent(ctx, fx, false, effects);
  CHECK(fx.support == Approx(0.3 + 0.05 * (0.65 - 0.3)));
  CHECK(fx.craving == Approx(0.5 + 0.1 * (c_star - 0.5) - 0.05));

  AgentState high = typical_agent();
  high.craving = 0.99f;
  effects = AgentEffects{};
  effects.craving_increment = 0.5f;
  update_latent(ctx, high, true, effects);
  CHECK(high.craving == 1.0);  // clamped
}

TEST_CASE("death hazard: base by substance, times abstinence, treatment and loss-of-tolerance factors") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  CHECK(death_hazard(ctx, a) == Approx(2.7e-5 * 0.2 / 3.0));
  a.treatment = TreatmentStatus::dropped_out;
  a.state = ClinicalState::relapse;
  CHECK(death_hazard(ctx, a) == Approx(2.7e-5));

  a.substance = Substance::opioid;
  a.days_since_use = 3;
  a.abstinent_before_use = 20;
  CHECK(in_loss_of_tolerance_window(ctx, a));
  CHECK(death_hazard(ctx, a) == Approx(6.4e-5 * 8.0));
  a.days_since_use = 14;
  CHECK_FALSE(in_loss_of_tolerance_window(ctx, a));
  a.days_since_use = 13;
  a.abstinent_before_use = 13;
  CHECK_FALSE(in_loss_of_tolerance_window(ctx, a));
  a.abstinent_before_use = 14;
  a.substance = Substance::alcohol;
  CHECK_FALSE(in_loss_of_tolerance_window(ctx, a));

  Parameters moud = p;
  moud.treatment.setting = Setting::moud;
  const DayContext moud_ctx(moud);
  AgentState o = typical_agent();
  o.substance = Substance::opioid;
  CHECK(death_hazard(moud_ctx, o) == Approx(6.4e-5 * 0.2 / 3.0 * 0.3));
}

TEST_CASE("lapse hazard: log-linear in the centred covariates, with its multipliers") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  const double base = 0.0030 * std::exp(3.0 * 0.0 - 2.0 * (-0.1) - 1.5 * (-0.2) - 1.5 * (-0.3) + 0.4);
  CHECK(lapse_hazard(ctx, a, false, AgentEffects{}) == Approx(base));
  CHECK(lapse_hazard(ctx, a, true, AgentEffects{}) == Approx(base * 3.0));
  AgentEffects fx;
  fx.lapse_multiplier = 0.5f;
  fx.stress_lapse_multiplier = 0.6f;
  CHECK(lapse_hazard(ctx, a, false, fx) == Approx(base * 0.5));
  CHECK(lapse_hazard(ctx, a, true, fx) == Approx(base * 3.0 * 0.6 * 0.5));
  a.state = ClinicalState::withdrawal;
  CHECK(lapse_hazard(ctx, a, false, AgentEffects{}) == Approx(base * 1.6));

  Parameters residential = p;
  residential.treatment.setting = Setting::residential;
  const DayContext res_ctx(residential);
  a.state = ClinicalState::early_recovery;
  CHECK(lapse_hazard(res_ctx, a, false, AgentEffects{}) == Approx(base * 0.5));
  a.treatment = TreatmentStatus::completed;
  CHECK(lapse_hazard(res_ctx, a, false, AgentEffects{}) == Approx(base));
}

TEST_CASE("relapse probability is logistic and interventions multiply its odds") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  const double x = -0.6 + 3.0 * 0.0 - 3.0 * (-0.1) - 2.0 * (-0.2);
  CHECK(relapse_probability(ctx, a, AgentEffects{}) == Approx(1.0 / (1.0 + std::exp(-x))));
  AgentEffects fx;
  fx.relapse_odds_multiplier = 0.8f;
  const double odds = std::exp(x) * 0.8;
  CHECK(relapse_probability(ctx, a, fx) == Approx(odds / (1.0 + odds)));
}

TEST_CASE("resume and dropout hazards") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  a.state = ClinicalState::relapse;
  const double resume = 0.01 * std::exp(2.0 * (-0.1) + 1.5 * (-0.2));
  CHECK(resume_hazard(ctx, a) == Approx(resume * 2.0));
  a.treatment = TreatmentStatus::dropped_out;
  CHECK(resume_hazard(ctx, a) == Approx(resume));

  AgentState b = typical_agent();
  const double drop = 0.0075 * std::exp(-3.0 * (0.6 - 0.6) + 1.0 * 0.0);
  CHECK(dropout_hazard(ctx, b, AgentEffects{}) == Approx(drop));
  b.state = ClinicalState::lapse;
  AgentEffects fx;
  fx.dropout_multiplier = 0.7f;
  CHECK(dropout_hazard(ctx, b, fx) == Approx(drop * 3.0 * 0.7));
}

TEST_CASE("a day: death ends the day and closes the first episode") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  DayDraws u = quiet_day;
  u.death = always;
  const auto ev = advance_one_day(ctx, a, 12, u, AgentEffects{});
  CHECK(has(ev, event_died));
  CHECK(a.state == ClinicalState::deceased);
  CHECK(a.death_day == 12);
  CHECK(a.first_episode_outcome == EpisodeOutcome::died);
  CHECK(a.first_episode_days == 1);
  CHECK(a.abstinent_run == 30);  // no bookkeeping after death
}

TEST_CASE("a day: withdrawal lasts d_W days, then early recovery starts counting abstinence") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  a.state = ClinicalState::withdrawal;
  a.abstinent_run = 0;
  a.withdrawal_days_left = 2;
  advance_one_day(ctx, a, 0, quiet_day, AgentEffects{});
  CHECK(a.state == ClinicalState::withdrawal);
  CHECK(a.abstinent_run == 0);
  CHECK(a.abstinent_days == 0);
  advance_one_day(ctx, a, 1, quiet_day, AgentEffects{});
  CHECK(a.state == ClinicalState::early_recovery);
  CHECK(a.abstinent_run == 1);
  CHECK(a.abstinent_days == 1);
}

TEST_CASE("a day: a lapse records the return to use and the next day resolves it") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  DayDraws u = quiet_day;
  u.state_exit = always;
  AgentState before = a;
  update_latent(ctx, before, false, AgentEffects{});
  const auto ev = advance_one_day(ctx, a, 40, u, AgentEffects{});
  CHECK(has(ev, event_lapsed));
  CHECK(a.state == ClinicalState::lapse);
  CHECK(a.first_lapse_day == 40);
  CHECK(a.abstinent_before_use == 30);
  CHECK(a.abstinent_run == 0);
  CHECK(a.days_since_use == 0);
  CHECK(a.self_efficacy == Approx(before.self_efficacy * 0.7));
  CHECK(a.engagement == Approx(before.engagement * 0.9));

  AgentState back = a;
  advance_one_day(ctx, back, 41, quiet_day, AgentEffects{});
  CHECK(back.state == ClinicalState::early_recovery);
  CHECK(back.abstinent_run == 1);
  CHECK(back.days_since_use == 1);
  CHECK(back.first_relapse_day == -1);

  const auto ev2 = advance_one_day(ctx, a, 41, u, AgentEffects{});
  CHECK(has(ev2, event_relapsed));
  CHECK(a.state == ClinicalState::relapse);
  CHECK(a.first_relapse_day == 41);
  CHECK(a.first_lapse_day == 40);
}

TEST_CASE("a day: early recovery becomes stable after stable_after_days abstinent days") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  a.abstinent_run = 88;
  advance_one_day(ctx, a, 100, quiet_day, AgentEffects{});
  CHECK(a.state == ClinicalState::early_recovery);
  advance_one_day(ctx, a, 101, quiet_day, AgentEffects{});
  CHECK(a.abstinent_run == 90);
  CHECK(a.state == ClinicalState::stable_recovery);
}

TEST_CASE("a day: treatment completes at length_days or ends by dropout") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  a.episode_days = 89;
  const auto ev = advance_one_day(ctx, a, 89, quiet_day, AgentEffects{});
  CHECK(has(ev, event_completed));
  CHECK(a.treatment == TreatmentStatus::completed);
  CHECK(a.first_episode_outcome == EpisodeOutcome::completed);
  CHECK(a.first_episode_days == 90);

  AgentState b = typical_agent();
  b.episode_days = 10;
  DayDraws u = quiet_day;
  u.treatment_exit = always;
  const auto ev2 = advance_one_day(ctx, b, 10, u, AgentEffects{});
  CHECK(has(ev2, event_dropped_out));
  CHECK(b.treatment == TreatmentStatus::dropped_out);
  CHECK(b.first_episode_outcome == EpisodeOutcome::dropped_out);
  CHECK(b.first_episode_days == 11);  // ten days done, and the day of dropout
}

TEST_CASE("a day: someone in relapse out of treatment may be readmitted to a new episode") {
  const Parameters p = testing::default_parameters();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  a.state = ClinicalState::relapse;
  a.treatment = TreatmentStatus::dropped_out;
  a.first_episode_outcome = EpisodeOutcome::dropped_out;
  a.first_episode_days = 10;
  a.episode_days = 10;
  a.abstinent_run = 0;
  DayDraws u = quiet_day;
  u.treatment_exit = always;
  const auto ev = advance_one_day(ctx, a, 200, u, AgentEffects{});
  CHECK(has(ev, event_readmitted));  // the caller then draws the new episode's withdrawal length
  CHECK(a.treatment == TreatmentStatus::in_treatment);
  CHECK(a.state == ClinicalState::withdrawal);
  CHECK(a.episode_days == 0);
  CHECK(a.readmissions == 1);
  CHECK(a.first_episode_outcome == EpisodeOutcome::dropped_out);  // the first episode's record stays
  CHECK(a.first_episode_days == 10);

  AgentState completed = typical_agent();
  completed.treatment = TreatmentStatus::completed;  // abstinent: not eligible
  const auto ev2 = advance_one_day(ctx, completed, 200, u, AgentEffects{});
  CHECK_FALSE(has(ev2, event_readmitted));
}
