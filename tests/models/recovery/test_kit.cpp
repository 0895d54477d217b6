// The programme building blocks (models/recovery/kit.hpp) on their own: the queue's order and
// wait records, the intake into places, staff departures and hires, eligibility conditions,
// costs, columns that reset themselves, and the draws the scalar effect hook is handed.
#include "models/recovery/kit.hpp"
#include "models/recovery/simple_module_tiles.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace recoverysim::recovery {

TEST_CASE("kit: the capacity queue serves by priority, then day joined, then agent") {
  CapacityQueue q;
  q.reset(10);
  q.join(7, 0);
  q.join(3, 1);
  q.join(5, 1);
  q.join(9, 2, /*priority=*/0);
  q.join(1, 2, /*priority=*/1);  // later priority class: last
  q.join(3, 2);                  // already waiting: ignored
  CHECK(q.size() == 5);
  q.leave(5, 2);  // leaves unserved
  CHECK(q.size() == 4);
  CHECK(!q.waiting(5));
  CHECK(q.serve(3) == 7);
  CHECK(q.serve(3) == 3);
  CHECK(q.serve(4) == 9);
  CHECK(q.serve(4) == 1);
  CHECK(q.serve(4) == -1);
  CHECK(q.size() == 0);
}

TEST_CASE("kit: a person who leaves and joins again is served under the new entry only") {
  CapacityQueue q;
  q.reset(4);
  q.join(2, 0);
  q.leave(2, 1);
  q.join(1, 2);
  q.join(2, 3);  // joins again: behind agent 1
  CHECK(q.serve(3) == 1);
  CHECK(q.serve(3) == 2);
  CHECK(q.serve(3) == -1);
}

TEST_CASE("kit: the queue's mean days so far and each person's first wait") {
  CapacityQueue q;
  q.reset(3);
  q.join(0, 0);
  q.join(1, 2);
  // On day 3: agent 0 has waited 4 days (0..3), agent 1 two days (2..3).
  CHECK(q.mean_days_so_far(3) == doctest::Approx(3.0));
  CHECK(q.serve(4) == 0);
  q.leave(1, 5);
  q.join(1, 6);  // a second wait: the record keeps the first
  CHECK(q.serve(8) == 1);

  Population pop;
  pop.resize(3);
  pop.death_day.assign(3, -1);
  const auto records = q.wait_records(pop);
  REQUIRE(records.size() == 3);
  CHECK(records[0].origin_day == 0);
  CHECK(records[0].end_day == 4);
  CHECK(records[0].cause == 0);  // served
  CHECK(records[1].origin_day == 2);
  CHECK(records[1].end_day == 5);
  CHECK(records[1].cause == 2);  // left unserved, alive
  CHECK(records[2].origin_day == -1);
}

TEST_CASE("kit: the intake queues new windows, drops those who may no longer wait and fills the places") {
  enum : EventCode { queued = 10, enrolled = 11, left = 12 };
  Intake intake({queued, enrolled, left});
  intake.reset(6);
  Population pop;
  pop.resize(6);
  std::vector<ModuleEvent> emitted;
  std::vector<std::int32_t> enrolled_today;
  const auto enrol = [&](std::int32_t agent) { enrolled_today.push_back(agent); };
  const auto priority = [](std::int32_t agent) { return std::uint16_t(agent == 0 || agent == 4 ? 0 : 1); };
  const auto codes = [&] {
    std::vector<std::pair<std::int32_t, EventCode>> out;
    for (const ModuleEvent& e : emitted) out.emplace_back(e.agent, e.code);
    emitted.clear();
    return out;
  };
  using Emitted = std::vector<std::pair<std::int32_t, EventCode>>;

  // Day 0: four windows open, two places; agents 0 and 4 come first by priority.
  DayView day0{0, {1, 2}, pop, {}};
  day0.emitted = &emitted;
  const std::vector<std::int32_t> opened0 = {0, 1, 3, 4};
  intake.admit(
      day0, opened0, 2, [](std::int32_t) { return true; }, priority, enrol);
  CHECK(enrolled_today == std::vector<std::int32_t>{0, 4});
  CHECK(intake.participants() == std::vector<std::int32_t>{0, 4});
  CHECK(intake.enrolled(4));
  CHECK(!intake.enrolled(1));
  CHECK(intake.queue().in_order() == std::vector<std::int32_t>{1, 3});
  CHECK(codes() == Emitted{{0, queued}, {1, queued}, {3, queued}, {4, queued}, {0, enrolled}, {4, enrolled}});

  // Day 1: agent 4's enrolment ends and agent 3 may no longer wait. A participant (0) and a
  // waiting agent (1) whose windows open again do not join twice; agent 5 joins behind agent 1,
  // who takes the free place.
  intake.end_if([](std::int32_t agent) { return agent == 4; });
  enrolled_today.clear();
  DayView day1{1, {1, 2}, pop, {}};
  day1.emitted = &emitted;
  const std::vector<std::int32_t> opened1 = {0, 1, 5};
  intake.admit(
      day1, opened1, 2, [](std::int32_t agent) { return agent != 3; }, priority, enrol);
  CHECK(enrolled_today == std::vector<std::int32_t>{1});
  CHECK(!intake.enrolled(4));
  CHECK(intake.participants() == std::vector<std::int32_t>{0, 1});
  CHECK(intake.queue().in_order() == std::vector<std::int32_t>{5});
  CHECK(codes() == Emitted{{3, left}, {5, queued}, {1, enrolled}});
  CHECK(intake.queue().left_unserved_day()[3] == 1);
  CHECK(intake.queue().first_served_day()[1] == 1);
}

TEST_CASE("kit: staff leave at their daily probability and return after the hiring delay") {
  StaffPositions staff;
  staff.reset(2000);
  CHECK(staff.working() == 2000);
  staff.update({5, 1}, 0, 77, 0.1, 10);  // nobody leaves on the day they start
  CHECK(staff.working() == 2000);
  staff.update({5, 1}, 1, 77, 0.1, 10);
  // Binomial(2000, 0.1): mean 200, sd 13.4; within 4 sd.
  const auto left = 2000 - staff.working();
  CHECK(std::abs(static_cast<double>(left) - 200.0) < 4.0 * std::sqrt(2000 * 0.1 * 0.9));
  for (std::uint32_t d = 2; d <= 10; ++d) staff.update({5, 1}, d, 77, 0.0, 10);
  CHECK(staff.working() == 2000 - left);  // vacant until day 11
  staff.update({5, 1}, 11, 77, 0.0, 10);
  CHECK(staff.working() == 2000);
}

TEST_CASE("kit: eligibility conditions and windows") {
  const Parameters p = testing::closed_cohort(200);
  Population pop;
  pop.resize(200);
  initialise(pop, p, {3, 0});
  Eligibility e;
  e.substance = SubstanceCondition::opioid;
  e.treatment = TreatmentCondition::in_treatment;
  std::size_t held = 0;
  for (std::size_t i = 0; i < pop.size(); ++i) {
    const bool expected = pop.substance[i] == Substance::opioid && pop.treatment[i] == TreatmentStatus::in_treatment &&
                          pop.state[i] != ClinicalState::deceased;
    CHECK(e.holds(pop, i) == expected);
    held += expected;
  }
  CHECK(held > 0);
  pop.state[0] = ClinicalState::deceased;
  CHECK(!Eligibility{}.holds(pop, 0));
  e.window_days = 30;
  CHECK(e.last_day(10) == 39);
  e.window_days = 0;
  CHECK(e.last_day(10) == max_day_count);
  CHECK(Eligibility{EligibleFrom::discharge}.opening_events() == (event_completed | event_dropped_out));
}

TEST_CASE("kit: a day's cost uses 365.25 days to a year") {
  const ProgrammeCosts c{36525.0, 2.0, 0.5, 730.5};
  CHECK(c.day(2.0, 3, 10) == doctest::Approx(2.0 * 100.0 + 2.0 + 6.0 + 5.0));
}

TEST_CASE("kit: per-agent columns reset themselves together") {
  AgentColumns columns;
  PerAgent<std::int32_t> day{columns, -1};
  PerAgent<float> level{columns, 0.5f};
  columns.reset(3);
  day[1] = 7;
  level[2] = 0.9f;
  columns.reset(4);
  CHECK(day == std::vector<std::int32_t>{-1, -1, -1, -1});
  CHECK(level == std::vector<float>(4, 0.5f));
}

namespace {

// Records the draws the effect hook is handed, per agent.
class Draws final : public SimpleModule<Draws> {
 public:
  static constexpr std::uint32_t effect_stream = 3;
  static constexpr int effect_draws = 2;
  std::vector<std::uint32_t> first, second;

  void declare(ParamTable&) override {}
  std::vector<Metric> metrics() const override { return {}; }
  void start(const ReplicateContext&, std::size_t agents) {
    first.assign(agents, 0);
    second.assign(agents, 0);
  }
  std::int64_t effect(const AgentToday& a, AgentEffect&) {
    first[a.agent] = a.draw;
    second[a.agent] = a.second_draw;
    return 1;
  }
  void after_day(DayView&, std::span<double>) override {}
  std::vector<AgentColumn> agent_columns() const override { return {}; }
};

}  // namespace

TEST_CASE("kit: the effect hook's two draws are the first two numbers of the agent's block") {
  const Parameters p = testing::closed_cohort(100);
  Population pop;
  pop.resize(100);
  const RandomKey key{9, 4};
  Draws module;
  module.start_replicate({p, key, 10, 1200}, 100);
  TileEffects fx;
  fx.set_neutral();
  // The second tile, partly filled: agents 64 to 99.
  CHECK(module.tile_effects<BaselineKernel>({7, key, pop, 64, 36}, fx) == 36);
  for (std::uint32_t i = 64; i < 100; ++i) {
    const auto block = philox_block(key, i, 7, 1203, 0);
    REQUIRE(module.first[i] == block[0]);
    REQUIRE(module.second[i] == block[1]);
  }
  CHECK(module.first[63] == 0);  // not in the tile
}

}  // namespace recoverysim::recovery
