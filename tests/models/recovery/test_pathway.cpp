// Settings with slots and their waiting lists (models/recovery/pathway.hpp), through the arm's
// day loop: places are never exceeded, lists are served first come first served, people give
// up at the stated hazard, and the results do not depend on the thread count.
#include "models/recovery/arm_simulation.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::recovery;

namespace {

constexpr std::int64_t days = 200;
constexpr auto residential = static_cast<std::size_t>(Setting::residential);

// A community-start open cohort whose entries all go to residential care, 30 places, a list
// that forms within days.
Parameters crowded(double give_up_per_day) {
  Parameters p = testing::open_cohort(20.0, 100);  // 2000 agents over 100 days
  p.population.start = CohortStart::community;
  p.treatment.setting = residential;
  p.treatment.entry.base_hazard_per_day = 0.05;
  p.treatment.settings[residential].slots = 30;
  p.treatment.settings[residential].waitlist_dropout_per_day = give_up_per_day;
  return p;
}

struct Run {
  std::vector<DayCounts> counts;
  std::vector<std::int64_t> occupied;  // residential places taken at the end of each day
  std::vector<RecordedEvent> events;
  Population pop;
};

Run run(const Parameters& p, int threads) {
  ObservationPlan plan;
  plan.days = days;
  plan.record_events = true;
  plan.first_episode_at_arrival = false;
  ArmSimulation arm(p, {}, plan);
  Run r;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    arm.start_replicate({11, 2}, days);
    for (std::int64_t d = 0; d < days; ++d) {
      r.counts.push_back(arm.step(static_cast<std::uint32_t>(d), nullptr, {}));
      std::int64_t taken = 0;
      const Population& pop = arm.population();
      for (std::size_t i = 0; i < pop.size(); ++i)
        taken += pop.treatment[i] == TreatmentStatus::in_treatment && pop.state[i] != ClinicalState::deceased &&
                 pop.setting[i] == residential;
      r.occupied.push_back(taken);
    }
    arm.finish_replicate();
  });
  r.events = arm.take_event_records();
  r.pop = arm.population();
  return r;
}

}  // namespace

TEST_CASE("waiting lists: places are never exceeded and the list is counted as waiting_list") {
  const Run r = run(crowded(0.02), 2);
  std::int64_t most_waiting = 0;
  for (std::int64_t d = 0; d < days; ++d) {
    INFO("day ", d);
    CHECK(r.occupied[static_cast<std::size_t>(d)] <= 30);
    most_waiting = std::max(most_waiting, r.counts[static_cast<std::size_t>(d)]
                                              .treatment[static_cast<std::size_t>(TreatmentStatus::waiting_list)]);
  }
  CHECK(most_waiting > 50);           // a list formed
  CHECK(r.occupied[days - 1] == 30);  // and kept the places full
  // The counts after the list's step agree with the agents' statuses at the horizon.
  std::array<std::int64_t, treatment_status_count> statuses{};
  for (std::size_t i = 0; i < r.pop.size(); ++i)
    if (r.pop.state[i] != ClinicalState::deceased) ++statuses[static_cast<std::size_t>(r.pop.treatment[i])];
  for (std::size_t y = 1; y < treatment_status_count; ++y) CHECK(statuses[y] == r.counts.back().treatment[y]);
}

TEST_CASE("waiting lists: served first come first served with joining and leaving recorded") {
  const Run r = run(crowded(0.02), 1);
  // The record is sorted by agent, then day: an agent's joining precedes its leaving.
  std::map<std::int32_t, std::int32_t> joined;  // agent -> day joined (the latest time)
  struct Served {
    std::int32_t day, joined_day, agent;
    auto operator<=>(const Served&) const = default;
  };
  std::vector<Served> served;
  std::int64_t left[4] = {};
  for (const RecordedEvent& e : r.events) {
    if (e.code == event_code_waitlist_joined) joined[e.agent] = e.day;
    if (e.code == event_code_waitlist_left) {
      REQUIRE(e.detail >= 1);
      REQUIRE(e.detail <= 3);
      ++left[e.detail];
      if (e.detail == 1) served.push_back({e.day, joined.at(e.agent), e.agent});
    }
  }
  CHECK(left[1] > 100);  // admitted from the list
  CHECK(left[2] > 100);  // gave up
  // Whoever joined earlier (day, then agent index within a day) is never admitted on a later
  // day than someone who joined after them.
  std::sort(served.begin(), served.end());
  for (std::size_t k = 1; k < served.size(); ++k) {
    INFO("admission ", k, " on day ", served[k].day);
    CHECK(std::pair(served[k - 1].joined_day, served[k - 1].agent) < std::pair(served[k].joined_day, served[k].agent));
  }
}

TEST_CASE("waiting lists: people give up at waitlist_dropout_per_day" * doctest::test_suite("statistical")) {
  // Every day after the first on the list is a chance to give up, with p = 1 - exp(-h).
  const double h = 0.05, p = -std::expm1(-h);
  const Run r = run(crowded(h), 2);
  std::map<std::int32_t, std::int32_t> since;
  std::int64_t exposed = 0, gave_up = 0;
  for (const RecordedEvent& e : r.events) {
    if (e.code == event_code_waitlist_joined) since[e.agent] = e.day;
    if (e.code == event_code_waitlist_left) {
      exposed += e.day - since.at(e.agent);  // days after the joining day, the leaving day included
      gave_up += e.detail == 2;
      since.erase(e.agent);
    }
  }
  for (const auto& [agent, day] : since) exposed += days - 1 - day;  // still waiting at the horizon
  const double rate = static_cast<double>(gave_up) / static_cast<double>(exposed);
  const double se = std::sqrt(p * (1 - p) / static_cast<double>(exposed));
  INFO("gave up ", gave_up, " of ", exposed, " waiting days: ", rate, " against ", p, " (SE ", se, ")");
  CHECK(std::fabs(rate - p) < 4 * se);
}

TEST_CASE("waiting lists: the same results on 1 and 2 threads") {
  const Run one = run(crowded(0.02), 1), two = run(crowded(0.02), 2);
  for (std::int64_t d = 0; d < days; ++d) {
    CHECK(one.counts[static_cast<std::size_t>(d)].treatment == two.counts[static_cast<std::size_t>(d)].treatment);
    CHECK(one.counts[static_cast<std::size_t>(d)].state == two.counts[static_cast<std::size_t>(d)].state);
  }
  CHECK(one.events == two.events);
  CHECK(one.pop.setting == two.pop.setting);
  CHECK(one.pop.readmissions == two.pop.readmissions);
}
