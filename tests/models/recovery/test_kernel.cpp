// The population kernel: days fused per tile give exactly what days one at a time give, and
// neither depends on the number of threads.
#include "models/recovery/kernel.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <vector>

using namespace recoverysim;
using namespace recoverysim::recovery;

namespace {

struct Run {
  Population pop;
  std::vector<DayCounts> counts;
  std::vector<std::uint8_t> trajectory;
};

constexpr std::uint32_t days = 200;

// An open cohort (arrivals while the run goes on), small enough to be quick, with a long
// readmission-prone horizon so that every branch of the day is taken.
Parameters kernel_parameters() {
  Parameters p = testing::open_cohort(37.5, 80);  // 3000 agents, not a multiple of the tile
  p.treatment.readmission_hazard_per_day = 0.05;
  return p;
}

Run run(int threads, std::uint32_t fused_days) {
  const Parameters p = kernel_parameters();
  const DayContext ctx(p);
  Run r;
  r.pop.resize(static_cast<std::size_t>(p.population.size));
  r.counts.resize(days);
  r.trajectory.assign(r.pop.size() * days, 0);
  tbb::task_arena arena(threads);
  arena.execute([&] {
    const RandomKey key{99, 4};
    initialise(r.pop, p, key);
    for (std::uint32_t day = 0; day < days; day += fused_days) {
      if (fused_days == 1) {
        const TrajectorySink today{r.trajectory.data(), days, day};
        r.counts[day] = step_population(ctx, r.pop, key, day, &today);
      } else {
        const std::uint32_t n = std::min(fused_days, days - day);
        const TrajectorySink block{r.trajectory.data(), days, day};
        step_population_days(ctx, r.pop, key, day, std::span<DayCounts>(r.counts).subspan(day, n), &block);
      }
    }
  });
  return r;
}

void check_same(const Run& a, const Run& b) {
  for (std::uint32_t d = 0; d < days; ++d) {
    INFO("day ", d);
    REQUIRE(a.counts[d].state == b.counts[d].state);
    REQUIRE(a.counts[d].treatment == b.counts[d].treatment);
  }
  CHECK(a.trajectory == b.trajectory);
  CHECK(a.pop.craving == b.pop.craving);
  CHECK(a.pop.engagement == b.pop.engagement);
  CHECK(a.pop.state == b.pop.state);
  CHECK(a.pop.withdrawal_days_left == b.pop.withdrawal_days_left);
  CHECK(a.pop.first_relapse_day == b.pop.first_relapse_day);
  CHECK(a.pop.readmissions == b.pop.readmissions);
  CHECK(a.pop.death_day == b.pop.death_day);
  CHECK(a.pop.abstinent_days == b.pop.abstinent_days);
}

}  // namespace

TEST_CASE("days fused per tile give exactly the day-by-day results, at any thread count") {
  const Run day_by_day = run(1, 1);
  // The run must exercise arrivals, readmissions and deaths, or the comparison proves little.
  std::int64_t readmissions = 0;
  for (auto n : day_by_day.pop.readmissions) readmissions += n;
  CHECK(readmissions > 100);
  CHECK(day_by_day.counts.back().state[static_cast<std::size_t>(ClinicalState::deceased)] > 0);
  CHECK(day_by_day.counts[10].treatment[static_cast<std::size_t>(TreatmentStatus::waiting)] > 0);

  SUBCASE("fused in blocks of 64 days, 1 thread") { check_same(day_by_day, run(1, 64)); }
  SUBCASE("fused in blocks of 64 days, 2 threads") { check_same(day_by_day, run(2, 64)); }
  SUBCASE("fused in one block of 200 days, 2 threads") { check_same(day_by_day, run(2, 200)); }
  SUBCASE("day by day, 2 threads") { check_same(day_by_day, run(2, 1)); }
}
