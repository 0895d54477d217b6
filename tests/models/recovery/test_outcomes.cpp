// Outcome definitions and their counts: a hand-computed four-agent cohort, the same outcome
// counted from the records and day by day, and the per-agent state budget.
#include "models/recovery/arm_simulation.hpp"
#include "models/recovery/observation.hpp"
#include "models/recovery/outcome_estimates.hpp"
#include "models/recovery/outcomes.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

using namespace recoverysim::recovery;
using doctest::Approx;

namespace {

// Horizon 200 days, episodes of 90 days, agents admitted on days 0, 50, 100 and 150:
//  agent 0: first lapse day 10, relapse day 11, completed on day 89, alive, 150 abstinent days
//  agent 1: dropped out after 30 days (on day 79), died on day 100, 20 abstinent days, 1 readmission
//  agent 2: first lapse day 120 (20 days after admission), ongoing
//  agent 3: followed 50 days, too late to complete in time
Population four_agents() {
  Population pop;
  pop.resize(4);
  pop.arrivals_per_day = 1.0 / 50.0;
  const DayCount lapse[] = {10, -1, 120, -1};
  const DayCount relapse[] = {11, -1, -1, -1};
  const EpisodeOutcome outcome[] = {EpisodeOutcome::completed, EpisodeOutcome::dropped_out, EpisodeOutcome::ongoing,
                                    EpisodeOutcome::ongoing};
  const DayCount episode_days[] = {90, 30, 100, 50};
  const DayCount death[] = {-1, 100, -1, -1};
  const DayCount abstinent[] = {150, 20, 60, 40};
  const DayCount readmissions[] = {0, 1, 0, 0};
  for (std::size_t i = 0; i < 4; ++i) {
    pop.first_lapse_day[i] = lapse[i];
    pop.first_relapse_day[i] = relapse[i];
    pop.first_episode_outcome[i] = outcome[i];
    pop.first_episode_days[i] = episode_days[i];
    pop.death_day[i] = death[i];
    pop.abstinent_days[i] = abstinent[i];
    pop.readmissions[i] = readmissions[i];
  }
  return pop;
}

// A quantity of one replicate: a definition's (every one, companions included) or a horizon outcome.
double value_of(const ObservationPlan& plan, const std::vector<OutcomeCounts>& counts, const Population& pop,
                const std::string& name) {
  for (std::size_t i = 0; i < plan.definitions.size(); ++i) {
    const auto names = outcome_quantity_names(plan.definitions[i]);
    const auto values = outcome_values(counts[i], all_strata(counts[i]));
    for (std::size_t j = 0; j < names.size(); ++j)
      if (names[j] == name) return values[j];
  }
  const auto horizon = compute_horizon_outcomes(pop, plan.days);
  for (std::size_t j = 0; j < horizon.size(); ++j)
    if (horizon_outcome_names()[j] == name) return horizon[j];
  FAIL("no outcome " << name);
  return 0.0;
}

}  // namespace

TEST_CASE("outcomes: competing-risk shares, net risks and complete-follow-up shares by hand") {
  const Population pop = four_agents();
  for (std::size_t i = 0; i < 4; ++i) REQUIRE(pop.admission_day(i) == static_cast<int>(50 * i));
  ObservationPlan plan;
  plan.days = 200;
  plan.definitions = default_outcome_definitions(200, 90);
  Observation observation(plan);
  observation.start_replicate(pop);
  const auto counts = observation.finish(pop);
  const auto v = [&](const std::string& name) { return value_of(plan, counts, pop, name); };
  // The per-replicate outcomes are the headline quantities, in the same order.
  const auto names = replicate_outcome_names(plan);
  const auto values = replicate_outcome_values(plan, counts, pop);
  REQUIRE(names.size() == values.size());
  for (std::size_t j = 0; j < names.size(); ++j)  // (the state shares are NaN: this cohort was never run)
    CHECK(((values[j] == v(names[j])) || (std::isnan(values[j]) && std::isnan(v(names[j])))));
  CHECK(std::find(names.begin(), names.end(), "relapse_by_day_30_complete") == names.end());

  // Relapse, from each arrival, death competing: agent 0 relapses on its day 11 (all 4 at risk).
  CHECK(v("relapse_by_day_30") == 0.25);
  CHECK(v("relapse_by_day_30_complete") == 0.25);  // all four followed 30 days
  CHECK(v("relapse_by_day_30_complete_n") == 4);
  // By day 90: agent 3 is censored on its day 49, agent 1 dies on its day 50 without relapsing;
  // the Aalen-Johansen share stays 1/4, while among the three followed 90 days it is 1/3.
  CHECK(v("relapse_by_day_90") == Approx(0.25).epsilon(1e-12));
  CHECK(v("relapse_by_day_90_complete") == Approx(1.0 / 3.0));
  CHECK(v("relapse_by_day_90_complete_n") == 3);
  // Net (death censored): the same here, since the death comes after the only relapse.
  CHECK(v("relapse_by_day_90_km") == Approx(0.25).epsilon(1e-12));
  // Lapse: days 10 (n = 4) and 20 (n = 3): 1/4 + 3/4 x 1/3 = 1/2.
  CHECK(v("lapse_by_day_30") == 0.5);
  // First-episode completion by day 90: agent 1 drops out on its day 29 (n = 4), agent 3 is
  // censored on day 49, agent 0 completes on day 89 with n = 2: 3/4 x 1/2 = 3/8.
  CHECK(v("first_episode_completion") == Approx(0.375).epsilon(1e-12));
  CHECK(v("first_episode_completion_complete") == Approx(1.0 / 3.0));  // agents 0, 1, 2 had 90 days
  // Person-days alive after admission: 200 + 50 + 100 + 50 = 400.
  CHECK(v("percent_days_abstinent") == Approx(100.0 * 270 / 400));
  CHECK(v("readmissions_per_person_year") == Approx(1.0 / (400 / 365.25)));
  CHECK(v("deaths") == 1.0);

  // A horizon shorter than an episode: nobody can have completed one.
  ObservationPlan short_plan;
  short_plan.days = 60;
  short_plan.definitions = default_outcome_definitions(60, 90);
  Observation short_observation(short_plan);
  short_observation.start_replicate(pop);
  const auto short_counts = short_observation.finish(pop);
  CHECK(std::isnan(value_of(short_plan, short_counts, pop, "first_episode_completion")));
}

TEST_CASE("outcomes: counted day by day or read off the records, the same tables") {
  // Origin `admission` (arrival or readmission, first occurrence) is each agent's arrival, but
  // it is an event origin: followed day by day. It must give exactly the tables the records give.
  const Parameters p = recoverysim::testing::open_cohort(20.0, 150);  // 3,000 people
  ObservationPlan plan;
  plan.days = 200;
  plan.periods = 2;
  plan.period_days = 75.0;
  plan.definitions = default_outcome_definitions(200, 90);
  for (const auto& base : {plan.definitions[0], plan.definitions[3]}) {
    OutcomeDefinition tracked = base;
    tracked.name = base.name + "_tracked";
    tracked.origin = {Origin::Kind::event, {event_code_arrival, event_code_readmitted}, 1, "admission"};
    plan.definitions.push_back(tracked);
  }
  ArmSimulation arm(p, {}, plan);
  arm.start_replicate({7, 0}, 200);
  std::vector<DayCounts> counts(200);
  arm.step_days(0, counts, nullptr, {});
  arm.finish_replicate();
  const auto& c = arm.outcome_counts();
  REQUIRE(c.size() == 6);
  const OutcomeCounts& derived = c[0];  // relapse
  const OutcomeCounts& tracked = c[4];  // relapse_tracked
  for (std::size_t s = 0; s < 2; ++s) {
    CAPTURE(s);
    CHECK(derived.event[s].entered == tracked.event[s].entered);
    CHECK(derived.event[s].censored == tracked.event[s].censored);
    CHECK(derived.event[s].events == tracked.event[s].events);
    CHECK(derived.rows[s] == tracked.rows[s]);
    CHECK(c[3].rows[s] == c[5].rows[s]);  // abstinent on day D: by range, and day by day
  }
  CHECK(derived.event[0].total_entered() + derived.event[1].total_entered() == 3000);
  CHECK(c[3].rows[0][0] > 0);
}

TEST_CASE("an agent's whole state fits in 72 bytes") {
  // 10^7 agents in one process: the memory target. Adding a column shows here. Model
  // version 2 added age, sex and the cause of death (69 bytes; 64 before).
  MESSAGE("bytes per agent: " << Population::bytes_per_agent());
  CHECK(Population::bytes_per_agent() <= 72);
  Population pop;
  pop.resize(3);
  std::size_t bytes = 0;
  pop.for_each_column([&](const auto& column) {
    CHECK(column.size() == 3);  // every column is in the list, and resized with it
    bytes += sizeof(column[0]);
  });
  CHECK(bytes == Population::bytes_per_agent());
}

TEST_CASE("outcomes: a module's wait records, first wait only") {
  Population pop;
  pop.resize(5);
  for (std::size_t i = 0; i < 5; ++i) pop.death_day[i] = -1;
  pop.death_day[3] = 40;
  //               served      left, later served   never queued   died waiting   still waiting
  const std::vector<std::int32_t> queued = {10, 10, -1, 20, 30};
  const std::vector<std::int32_t> served = {15, 300, -1, -1, -1};
  const std::vector<std::int32_t> left = {-1, 40, -1, 40, -1};
  const auto records = wait_records(queued, served, left, pop);
  REQUIRE(records.size() == 5);
  CHECK(records[0].origin_day == 10);
  CHECK(records[0].end_day == 15);
  CHECK(records[0].cause == 0);  // served
  CHECK(records[1].end_day == 40);
  CHECK(records[1].cause == 2);  // left first: the later service is another wait
  CHECK(records[2].origin_day == -1);
  CHECK(records[3].cause == 1);   // died while waiting
  CHECK(records[4].cause == -1);  // censored at the horizon
}

TEST_CASE("outcomes: deaths by cause, as events of definitions and in the per-agent records") {
  Parameters p = recoverysim::testing::closed_cohort(4000);
  p.model.gompertz_base_hazard_per_day = 5e-4;
  p.model.substance_death_base_hazard_per_day = {2e-3, 2e-3, 2e-3};
  const auto definition = [](std::string name, OutcomeStatistic statistic, std::vector<std::vector<EventCode>> causes) {
    OutcomeDefinition d;
    d.name = std::move(name);
    d.statistic = statistic;
    d.causes = std::move(causes);
    for (std::size_t k = 0; k < d.causes.size(); ++k) d.cause_names.push_back("cause" + std::to_string(k));
    d.days = {200};
    d.where = "the test";
    return d;
  };
  ObservationPlan plan;
  plan.days = 200;
  plan.definitions.push_back(definition("substance", OutcomeStatistic::cumulative_incidence,
                                        {{event_code_died_substance_related}, {event_code_died_other_causes}}));
  plan.definitions.push_back(definition("other_alone", OutcomeStatistic::cumulative_incidence,
                                        {{event_code_died_other_causes}}));  // the other cause censors
  OutcomeDefinition rate = definition("substance_rate", OutcomeStatistic::rate, {{event_code_died_substance_related}});
  rate.split = RateSplit::after_leaving;
  rate.after_leaving_days = 14;
  plan.definitions.push_back(rate);
  OutcomeDefinition young_men = definition("young_men", OutcomeStatistic::cumulative_incidence,
                                           {{event_code_died_substance_related}, {event_code_died_other_causes}});
  young_men.subgroup = {{SubgroupCondition::Attribute::age_years, {}, 18.0, 40.0},
                        {SubgroupCondition::Attribute::sex, {1}, 0.0, 0.0}};
  plan.definitions.push_back(young_men);
  ArmSimulation arm(p, {}, plan);
  arm.start_replicate({11, 0}, 200);
  std::vector<DayCounts> counts(200);
  arm.step_days(0, counts, nullptr, {});
  arm.finish_replicate();
  const auto& c = arm.outcome_counts();
  const Population& pop = arm.population();

  std::int64_t substance = 0, other = 0, substance_soon_after = 0, substance_in_treatment = 0;
  for (std::size_t i = 0; i < pop.size(); ++i) {
    if (pop.death_day[i] < 0) {
      CHECK(pop.death_cause[i] == DeathCause::none);
      continue;
    }
    const bool by_substance = pop.death_cause[i] == DeathCause::substance_related;
    substance += by_substance ? 1 : 0;
    other += pop.death_cause[i] == DeathCause::other_causes ? 1 : 0;
    const bool treated = pop.treatment[i] == TreatmentStatus::in_treatment;
    substance_in_treatment += by_substance && treated ? 1 : 0;
    // status_days keeps the days since leaving at death: d = 0 .. 13 are the first 14 days out.
    substance_soon_after += by_substance && !treated && pop.status_days[i] <= 13 ? 1 : 0;
  }
  CHECK(substance > 100);
  CHECK(other > 100);
  CHECK(substance_soon_after > 10);

  // Cumulative incidence: each death counted once, under its cause.
  const auto events_of = [](const recoverysim::analysis::EventTable& t, std::size_t k) {
    std::int64_t n = 0;
    for (std::size_t d = 0; d < t.days; ++d) n += t.event(d, k);
    return n;
  };
  CHECK(events_of(c[0].event[0], 0) == substance);
  CHECK(events_of(c[0].event[0], 1) == other);
  CHECK(events_of(c[1].event[0], 0) == other);
  std::int64_t censored = 0;
  for (const auto n : c[1].event[0].censored) censored += n;
  CHECK(censored == 4000 - other);
  // The rate's events by category (events, person-days): in treatment, the first 14 days out, later.
  const auto& rows = c[2].rows[0];
  REQUIRE(rows.size() == 3 * 2);
  CHECK(rows[0 * 2] == substance_in_treatment);
  CHECK(rows[1 * 2] == substance_soon_after);
  CHECK(rows[2 * 2] == substance - substance_in_treatment - substance_soon_after);

  // A subgroup by age at admission and sex.
  std::int64_t young_men_count = 0, young_men_substance = 0;
  for (std::size_t i = 0; i < pop.size(); ++i)
    if (pop.age_years[i] < 40.0f && pop.male[i] == 1) {
      ++young_men_count;
      young_men_substance += pop.death_cause[i] == DeathCause::substance_related ? 1 : 0;
    }
  CHECK(young_men_count > 1000);
  CHECK(c[3].event[0].total_entered() == young_men_count);
  CHECK(events_of(c[3].event[0], 0) == young_men_substance);

  // The horizon outcomes by cause and status.
  const auto horizon = compute_horizon_outcomes(pop, 200);
  const auto at = [&](const std::string& name) {
    for (std::size_t j = 0; j < horizon.size(); ++j)
      if (horizon_outcome_names()[j] == name) return horizon[j];
    FAIL("no horizon outcome " << name);
    return 0.0;
  };
  CHECK(at("deaths") == static_cast<double>(substance + other));
  CHECK(at("deaths_substance_related") == static_cast<double>(substance));
  CHECK(at("deaths_other_causes") == static_cast<double>(other));
  CHECK(at("deaths_in_treatment") + at("deaths_out_of_treatment") == at("deaths"));
}
