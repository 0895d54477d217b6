// The population kernel: days fused per tile give exactly what days one at a time give, and
// neither depends on the number of threads.
#include "models/recovery/kernel.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::recovery;
using doctest::Approx;

namespace {

struct Run {
  Population pop;
  std::vector<DayCounts> counts;
  std::vector<std::uint8_t> trajectory;
};

constexpr std::uint32_t days = 200;

// An open cohort (arrivals while the run goes on), small enough to be quick, with a long
// entry-prone horizon and half the episodes in detox (which steps down to outpatient), so that
// every branch of the day is taken.
Parameters kernel_parameters() {
  Parameters p = testing::open_cohort(37.5, 80);  // 3000 agents, not a multiple of the tile
  p.treatment.entry.base_hazard_per_day = 0.05;
  p.treatment.entry_mix[static_cast<std::size_t>(Setting::detox)] = 0.5;
  p.treatment.entry_mix[static_cast<std::size_t>(Setting::outpatient)] = 0.5;
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
  CHECK(a.pop.setting == b.pop.setting);
  CHECK(a.pop.death_day == b.pop.death_day);
  CHECK(a.pop.death_cause == b.pop.death_cause);
  CHECK(a.pop.status_days == b.pop.status_days);
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
  CHECK(day_by_day.counts[10].treatment[static_cast<std::size_t>(TreatmentStatus::not_arrived)] > 0);

  SUBCASE("fused in blocks of 64 days, 1 thread") { check_same(day_by_day, run(1, 64)); }
  SUBCASE("fused in blocks of 64 days, 2 threads") { check_same(day_by_day, run(2, 64)); }
  SUBCASE("fused in one block of 200 days, 2 threads") { check_same(day_by_day, run(2, 200)); }
  SUBCASE("day by day, 2 threads") { check_same(day_by_day, run(2, 1)); }
}

TEST_CASE("a completed detox episode steps down to outpatient the next day, with its probability") {
  for (const double probability : {0.0, 1.0}) {
    CAPTURE(probability);
    Parameters p = testing::closed_cohort(3000);
    p.treatment.setting = static_cast<std::size_t>(Setting::detox);
    p.treatment.entry.base_hazard_per_day = 0.0;  // no other entry
    p.treatment.settings[static_cast<std::size_t>(Setting::detox)].step_down_probability = probability;
    const DayContext ctx(p);
    CHECK(ctx.only_setting == (probability > 0.0 ? -1 : static_cast<std::int32_t>(Setting::detox)));
    Population pop;
    pop.resize(static_cast<std::size_t>(p.population.size));
    const RandomKey key{3, 0};
    initialise(pop, p, key);
    std::vector<DayCounts> counts(8);  // detox lasts 7 days: completions on day 6
    step_population_days(ctx, pop, key, 0, counts);
    std::int64_t completed = 0;
    for (std::size_t i = 0; i < pop.size(); ++i) {
      const bool done = pop.first_episode_outcome[i] == EpisodeOutcome::completed;
      completed += done;
      const bool stepped = done && probability > 0.0;
      INFO("agent ", i);
      CHECK(pop.readmissions[i] == (stepped ? 1 : 0));
      CHECK(static_cast<Setting>(pop.setting[i]) == (stepped ? Setting::outpatient : Setting::detox));
      if (stepped && pop.state[i] != ClinicalState::deceased)
        CHECK((pop.treatment[i] == TreatmentStatus::in_treatment || pop.treatment[i] == TreatmentStatus::dropped_out));
    }
    CHECK(completed > 1000);
  }
}

TEST_CASE("age advances with the days simulated, from each agent's admission") {
  // All aged 40 at admission, and a Gompertz hazard so steep that it is negligible until the age
  // passes the reference age (half a day into day 183 after admission) and certain after it:
  // everyone dies of other causes on the 183rd day after their admission.
  Parameters p = testing::open_cohort(20.0, 10);  // 200 agents, arriving on days 0 to 9
  p.model.gompertz_base_hazard_per_day = 1.0;
  p.model.gompertz_slope_per_year = 20000.0;
  p.model.gompertz_reference_age_years = 40.0 + 182.5 / 365.25;
  p.model.substance_death_base_hazard_per_day = {0.0, 0.0, 0.0};
  const DayContext ctx(p);
  Population pop;
  pop.resize(static_cast<std::size_t>(p.population.size));
  const RandomKey key{5, 0};
  initialise(pop, p, key);
  for (auto& age : pop.age_years) age = 40.0f;
  std::vector<DayCounts> counts(200);
  step_population_days(ctx, pop, key, 0, counts);
  for (std::size_t i = 0; i < pop.size(); ++i) {
    INFO("agent ", i, " admitted on day ", pop.admission_day(i));
    CHECK(pop.death_day[i] == pop.admission_day(i) + 183);
    CHECK(pop.death_cause[i] == DeathCause::other_causes);
  }
}

TEST_CASE("ages at admission are truncated normal by substance, and sex is Bernoulli") {
  Parameters p = testing::closed_cohort(20000);
  Population pop;
  pop.resize(static_cast<std::size_t>(p.population.size));
  initialise(pop, p, RandomKey{8, 1});
  double sum[substance_count] = {}, n[substance_count] = {}, male = 0.0;
  for (std::size_t i = 0; i < pop.size(); ++i) {
    const auto s = static_cast<std::size_t>(pop.substance[i]);
    CHECK(pop.age_years[i] >= 18.0f);
    CHECK(pop.age_years[i] <= 85.0f);
    sum[s] += pop.age_years[i];
    n[s] += 1.0;
    male += pop.male[i];
  }
  // The mean of a normal truncated to [18, 85]: mu + sigma (phi(a) - phi(b)) / (Phi(b) - Phi(a)).
  const auto truncated_mean = [](double mu, double sigma) {
    const double a = (18.0 - mu) / sigma, b = (85.0 - mu) / sigma;
    const auto phi = [](double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * 3.141592653589793); };
    const auto Phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
    return mu + sigma * (phi(a) - phi(b)) / (Phi(b) - Phi(a));
  };
  const double mean[] = {truncated_mean(42.0, 12.0), truncated_mean(35.0, 10.0), truncated_mean(36.0, 10.0)};
  const double sd[] = {12.0, 10.0, 10.0};
  for (std::size_t s = 0; s < substance_count; ++s) {
    INFO(substance_names[s], ": mean age ", sum[s] / n[s], ", expected ", mean[s]);
    CHECK(std::fabs(sum[s] / n[s] - mean[s]) <= 4.0 * sd[s] / std::sqrt(n[s]));  // 4 SE (sd bounds the SE)
  }
  const double se = std::sqrt(0.65 * 0.35 / 20000.0);
  CHECK(std::fabs(male / 20000.0 - 0.65) <= 4.0 * se);
}
