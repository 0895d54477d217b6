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
  a.age_years = 40.0f;
  a.male = 1;
  return a;
}

bool has(std::int32_t events, DayEvent e) { return (events & e) != 0; }

}  // namespace

TEST_CASE("craving target: peak while using or in withdrawal, decaying with abstinent days otherwise") {
  const Parameters p = testing::starting_values();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  CHECK(craving_target(ctx, a) == Approx(0.1 + (0.6 - 0.1) * std::exp(-30.0 / 60.0)));
  for (auto x : {ClinicalState::withdrawal, ClinicalState::lapse, ClinicalState::relapse}) {
    a.state = x;
    CHECK(craving_target(ctx, a) == Approx(0.6));
  }
  // The setting's multiplier, read from the agent's own setting, while in treatment only.
  a.substance = Substance::opioid;
  a.setting = static_cast<std::int32_t>(Setting::buprenorphine);
  CHECK(craving_target(ctx, a) == Approx(0.6 * 0.6));
  a.setting = static_cast<std::int32_t>(Setting::outpatient);
  CHECK(craving_target(ctx, a) == Approx(0.6));
  a.setting = static_cast<std::int32_t>(Setting::methadone);
  a.treatment = TreatmentStatus::completed;
  CHECK(craving_target(ctx, a) == Approx(0.6));
}

TEST_CASE("latent update follows the reference equations") {
  const Parameters p = testing::starting_values();
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

TEST_CASE("death from other causes: Gompertz in age, times the SMR and the male multiplier") {
  Parameters p = testing::starting_values();
  p.model.other_causes_male_multiplier = 1.5;
  const DayContext ctx(p);
  AgentState a = typical_agent();
  CHECK(other_causes_hazard(ctx, a) == Approx(6.5e-6 * 2.0 * 1.5));  // at the reference age, alcohol's SMR
  a.male = 0;
  CHECK(other_causes_hazard(ctx, a) == Approx(6.5e-6 * 2.0));
  a.age_years = 50.0f;
  CHECK(other_causes_hazard(ctx, a) == Approx(6.5e-6 * 2.0 * std::exp(0.085 * 10.0)).epsilon(1e-5));
  a.age_years = 25.0f;
  CHECK(other_causes_hazard(ctx, a) == Approx(6.5e-6 * 2.0 * std::exp(-0.085 * 15.0)).epsilon(1e-5));
  // Doubling per ln 2 / slope years: the Gompertz shape.
  const float h30 = (a.age_years = 30.0f, other_causes_hazard(ctx, a));
  const float h60 = (a.age_years = 60.0f, other_causes_hazard(ctx, a));
  CHECK(h60 / h30 == Approx(std::exp(0.085 * 30.0)).epsilon(1e-5));
  a.substance = Substance::opioid;
  CHECK(other_causes_hazard(ctx, a) == Approx(6.5e-6 * 3.0 * std::exp(0.085 * 20.0)).epsilon(1e-5));
  // Neither the state nor treatment changes it.
  const float before = other_causes_hazard(ctx, a);
  a.state = ClinicalState::relapse;
  a.treatment = TreatmentStatus::dropped_out;
  CHECK(other_causes_hazard(ctx, a) == before);
}

TEST_CASE("substance-related death: base by substance, times use, treatment, tolerance and exit factors") {
  const Parameters p = testing::starting_values();
  const DayContext ctx(p);
  AgentState a = typical_agent();  // alcohol, early recovery, in treatment
  CHECK(substance_death_hazard(ctx, a) == Approx(4e-6 * 0.02 * 0.33));
  a.state = ClinicalState::withdrawal;
  CHECK(substance_death_hazard(ctx, a) == Approx(4e-6 * 0.2 * 0.33));
  a.state = ClinicalState::lapse;
  CHECK(substance_death_hazard(ctx, a) == Approx(4e-6 * 0.33));
  CHECK(death_hazard(ctx, a) == Approx(4e-6 * 0.33 + 6.5e-6 * 2.0));

  // Out of treatment long after leaving: the base; just after leaving, up to M_exit.
  a.treatment = TreatmentStatus::dropped_out;
  a.state = ClinicalState::relapse;
  a.status_days = 10000;
  CHECK(substance_death_hazard(ctx, a) == Approx(4e-6));
  a.status_days = 0;  // the first day out
  CHECK(substance_death_hazard(ctx, a) == Approx(4e-6 * 6.0));
  a.status_days = 14;
  CHECK(substance_death_hazard(ctx, a) == Approx(4e-6 * (1.0 + 5.0 * std::exp(-1.0))).epsilon(1e-5));
  a.treatment = TreatmentStatus::completed;
  CHECK(substance_death_hazard(ctx, a) == Approx(4e-6 * (1.0 + 5.0 * std::exp(-1.0))).epsilon(1e-5));
  a.status_days = 10000;

  a.substance = Substance::opioid;
  a.days_since_use = 3;
  a.abstinent_before_use = 20;
  CHECK(in_loss_of_tolerance_window(ctx, a));
  CHECK(substance_death_hazard(ctx, a) == Approx(4e-5 * 8.0));
  a.status_days = 0;  // the tolerance and exit multipliers multiply
  CHECK(substance_death_hazard(ctx, a) == Approx(4e-5 * 8.0 * 6.0));
  a.status_days = 10000;
  a.days_since_use = 14;
  CHECK_FALSE(in_loss_of_tolerance_window(ctx, a));
  a.days_since_use = 13;
  a.abstinent_before_use = 13;
  CHECK_FALSE(in_loss_of_tolerance_window(ctx, a));
  a.abstinent_before_use = 14;
  a.substance = Substance::alcohol;
  CHECK_FALSE(in_loss_of_tolerance_window(ctx, a));

  AgentState o = typical_agent();
  o.substance = Substance::opioid;
  o.setting = static_cast<std::int32_t>(Setting::buprenorphine);
  CHECK(substance_death_hazard(ctx, o) == Approx(4e-5 * 0.02 * 0.35));
  o.setting = static_cast<std::int32_t>(Setting::methadone);
  CHECK(substance_death_hazard(ctx, o) == Approx(4e-5 * 0.02 * 0.4));
}

TEST_CASE("a day: one uniform decides death and its cause, in proportion to the two hazards") {
  Parameters p = testing::starting_values();
  // Large hazards, so that the thresholds fall far from both ends of the 32-bit range.
  p.model.gompertz_base_hazard_per_day = 0.05;  // x SMR 3 for opioid: 0.15
  p.model.substance_death_base_hazard_per_day = {0.1, 0.1, 0.1};
  const DayContext ctx(p);
  AgentState base = typical_agent();
  base.substance = Substance::opioid;
  base.state = ClinicalState::relapse;
  base.treatment = TreatmentStatus::dropped_out;
  base.status_days = 10000;
  const double h_o = 0.15, h_s = 0.1;
  const double p_death = -std::expm1(-(h_o + h_s));
  const double p_substance = p_death * h_s / (h_o + h_s);
  const auto at = [](double share) { return static_cast<std::uint32_t>(share * 4294967296.0); };
  const auto cause_at = [&](std::uint32_t u) {
    AgentState a = base;
    DayDraws d = quiet_day;
    d.death = u;
    const std::int32_t ev = advance_one_day(ctx, a, 7, d, AgentEffects{});
    CHECK(((ev & event_died) != 0) == (a.state == ClinicalState::deceased));
    CHECK(((ev & event_died_substance_related) != 0) == (a.death_cause == DeathCause::substance_related));
    return a.death_cause.value();
  };
  CHECK(cause_at(at(p_substance * 0.99)) == DeathCause::substance_related);
  CHECK(cause_at(at(p_substance * 1.01)) == DeathCause::other_causes);
  CHECK(cause_at(at(p_death * 0.99)) == DeathCause::other_causes);
  CHECK(cause_at(at(p_death * 1.01)) == DeathCause::none);
  CHECK(cause_at(0) == DeathCause::substance_related);
  // With no hazard of one cause, every death is of the other.
  Parameters q = p;
  q.model.substance_death_base_hazard_per_day = {0.0, 0.0, 0.0};
  const DayContext q_ctx(q);
  AgentState a = base;
  DayDraws d = quiet_day;
  d.death = always;
  advance_one_day(q_ctx, a, 7, d, AgentEffects{});
  CHECK(a.death_cause == DeathCause::other_causes);
}

TEST_CASE("a day: the lapse hazard after an episode ends decays from M_L, only while out of treatment") {
  Parameters p = testing::starting_values();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  a.setting = static_cast<std::int32_t>(Setting::residential);  // M_L 4, tau_L 7
  a.status_days = 27;                                           // the 28th and last day of the episode
  const auto ev = advance_one_day(ctx, a, 27, quiet_day, AgentEffects{});
  CHECK((ev & event_completed) != 0);
  CHECK(a.status_days == 0);  // d = 0 on the first day out

  // The same agent in treatment, to compare with: only the post-exit factor differs (the
  // residential setting's in-treatment multiplier 0.5 aside).
  const auto without_exit = [&](AgentState b) {
    b.treatment = TreatmentStatus::in_treatment;
    return lapse_hazard(ctx, b, false, AgentEffects{}) / 0.5f;
  };
  for (int d = 0; d < 30; ++d) {
    INFO("day out ", d);
    CHECK(a.status_days == d);
    const double expected = 1.0 + 3.0 * std::exp(-d / 7.0);
    CHECK(lapse_hazard(ctx, a, false, AgentEffects{}) / without_exit(a) == Approx(expected).epsilon(1e-5));
    advance_one_day(ctx, a, 28 + d, quiet_day, AgentEffects{});
  }
  // In treatment again (an entry, whose episode the caller starts): no post-exit factor.
  a.treatment = TreatmentStatus::in_treatment;
  a.status_days = 0;
  a.state = ClinicalState::early_recovery;
  CHECK(lapse_hazard(ctx, a, false, AgentEffects{}) / without_exit(a) == Approx(0.5));  // in treatment: x 0.5 only

  // Dropping out starts it as well; out of treatment with the default outpatient setting, M_L 1.5.
  const DayContext outpatient(testing::starting_values());
  AgentState b = typical_agent();
  b.treatment = TreatmentStatus::dropped_out;
  b.status_days = 0;
  AgentState c = b;
  c.treatment = TreatmentStatus::in_treatment;
  CHECK(lapse_hazard(outpatient, b, false, AgentEffects{}) / lapse_hazard(outpatient, c, false, AgentEffects{}) ==
        Approx(1.5));
  b.status_days = 7;
  CHECK(lapse_hazard(outpatient, b, false, AgentEffects{}) / lapse_hazard(outpatient, c, false, AgentEffects{}) ==
        Approx(1.0 + 0.5 * std::exp(-1.0)).epsilon(1e-5));
}

TEST_CASE("lapse hazard: log-linear in the centred covariates, with its multipliers") {
  const Parameters p = testing::starting_values();
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

  const DayContext& res_ctx = ctx;
  a.setting = static_cast<std::int32_t>(Setting::residential);
  a.state = ClinicalState::early_recovery;
  CHECK(lapse_hazard(res_ctx, a, false, AgentEffects{}) == Approx(base * 0.5));
  a.treatment = TreatmentStatus::completed;
  a.status_days = 10000;  // long after leaving: no post-exit factor left
  CHECK(lapse_hazard(res_ctx, a, false, AgentEffects{}) == Approx(base));
  a.status_days = 0;  // the first day out: M_L = 4
  CHECK(lapse_hazard(res_ctx, a, false, AgentEffects{}) == Approx(base * 4.0));
}

TEST_CASE("relapse probability is logistic and interventions multiply its odds") {
  const Parameters p = testing::starting_values();
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
  const Parameters p = testing::starting_values();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  a.state = ClinicalState::relapse;
  const double resume = 0.01 * std::exp(2.0 * (-0.1) + 1.5 * (-0.2));
  CHECK(resume_hazard(ctx, a) == Approx(resume * 2.0));
  a.treatment = TreatmentStatus::dropped_out;
  CHECK(resume_hazard(ctx, a) == Approx(resume));

  AgentState b = typical_agent();
  const double drop = 0.0075 * std::exp(-3.0 * (0.6 - 0.6) + 1.0 * 0.0);
  CHECK(treatment_hazard(ctx, b, AgentEffects{}) == Approx(drop));  // in treatment: the dropout hazard
  b.state = ClinicalState::lapse;
  AgentEffects fx;
  fx.dropout_multiplier = 0.7f;
  CHECK(treatment_hazard(ctx, b, fx) == Approx(drop * 3.0 * 0.7));
}

TEST_CASE("a day: death ends the day and closes the first episode") {
  const Parameters p = testing::starting_values();
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
  CHECK(a.death_cause != DeathCause::none);
}

TEST_CASE("a day: withdrawal lasts d_W days, then early recovery starts counting abstinence") {
  const Parameters p = testing::starting_values();
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
  const Parameters p = testing::starting_values();
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
  const Parameters p = testing::starting_values();
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
  const Parameters p = testing::starting_values();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  a.status_days = 89;
  const auto ev = advance_one_day(ctx, a, 89, quiet_day, AgentEffects{});
  CHECK(has(ev, event_completed));
  CHECK(a.treatment == TreatmentStatus::completed);
  CHECK(a.first_episode_outcome == EpisodeOutcome::completed);
  CHECK(a.first_episode_days == 90);

  AgentState b = typical_agent();
  b.status_days = 10;
  DayDraws u = quiet_day;
  u.treatment_exit = always;
  const auto ev2 = advance_one_day(ctx, b, 10, u, AgentEffects{});
  CHECK(has(ev2, event_dropped_out));
  CHECK(b.treatment == TreatmentStatus::dropped_out);
  CHECK(b.first_episode_outcome == EpisodeOutcome::dropped_out);
  CHECK(b.first_episode_days == 11);  // ten days done, and the day of dropout
}

TEST_CASE("a day: someone out of treatment may enter and the caller starts the episode") {
  Parameters p = testing::starting_values();
  DayDraws u = quiet_day;
  u.treatment_exit = always;
  for (const auto status : {TreatmentStatus::dropped_out, TreatmentStatus::completed, TreatmentStatus::untreated}) {
    AgentState a = typical_agent();
    a.state = ClinicalState::relapse;
    a.treatment = status;
    a.first_episode_outcome = EpisodeOutcome::dropped_out;
    a.status_days = 10;
    const auto ev = advance_one_day(DayContext(p), a, 200, u, AgentEffects{});
    CHECK((ev & event_entry) != 0);
    // The day leaves the status, the state and the counters to the caller (kernel_tiles.cpp,
    // pathway.cpp), which draws the setting first.
    CHECK(a.treatment == status);
    CHECK(a.state == ClinicalState::relapse);
    CHECK(a.readmissions == 0);
    CHECK(a.first_episode_outcome == EpisodeOutcome::dropped_out);
  }
  // Neither someone in treatment nor someone on a waiting list enters.
  for (const auto status : {TreatmentStatus::in_treatment, TreatmentStatus::waiting_list}) {
    AgentState a = typical_agent();
    a.treatment = status;
    CHECK((advance_one_day(DayContext(p), a, 200, u, AgentEffects{}) & event_entry) == 0);
  }
  // A state multiplier of 0 closes entry from that state (version 1: relapse only).
  AgentState abstinent = typical_agent();
  abstinent.treatment = TreatmentStatus::completed;
  p.treatment.entry.state_multiplier[static_cast<std::size_t>(abstinent.state.value())] = 0.0;
  CHECK((advance_one_day(DayContext(p), abstinent, 200, u, AgentEffects{}) & event_entry) == 0);
}

TEST_CASE("a day: the entry hazard follows its equation") {
  Parameters p = testing::starting_values();
  const DayContext ctx(p);
  AgentState a = typical_agent();
  a.treatment = TreatmentStatus::dropped_out;
  a.engagement = 0.8f;
  a.craving = 0.3f;
  a.mental_health = 1;
  AgentEffects fx;
  fx.entry_multiplier = 1.5f;
  const auto& e = p.treatment.entry;
  for (const auto x : {ClinicalState::withdrawal, ClinicalState::early_recovery, ClinicalState::stable_recovery,
                       ClinicalState::lapse, ClinicalState::relapse}) {
    a.state = x;
    const double expected =
        e.base_hazard_per_day *
        std::exp(e.engagement_coefficient * 0.3 + e.craving_coefficient * -0.2 + e.mental_health_coefficient) *
        e.state_multiplier[static_cast<std::size_t>(x)] * 1.5;
    INFO(clinical_state_names[static_cast<std::size_t>(x)]);
    CHECK(treatment_hazard(ctx, a, fx) == doctest::Approx(expected).epsilon(1e-5));  // out of treatment: entry
  }
}

TEST_CASE("a day: an episode entered from relapse starts in withdrawal on its first day") {
  const DayContext ctx(testing::starting_values());
  AgentState a = typical_agent();
  a.state = ClinicalState::relapse;
  a.treatment = TreatmentStatus::in_treatment;
  a.status_days = 0;  // entered yesterday
  a.abstinent_run = 0;
  a.withdrawal_days_left = 3;  // drawn on entry
  const auto ev = advance_one_day(ctx, a, 50, quiet_day, AgentEffects{});
  CHECK((ev & event_started_withdrawal) != 0);
  CHECK(a.state == ClinicalState::withdrawal);
  CHECK(a.withdrawal_days_left == 2);  // its first withdrawal day done
  // The next day is not a first day: nothing more happens to the state.
  const auto again = advance_one_day(ctx, a, 51, quiet_day, AgentEffects{});
  CHECK((again & event_started_withdrawal) == 0);
  CHECK(a.state == ClinicalState::withdrawal);
}
