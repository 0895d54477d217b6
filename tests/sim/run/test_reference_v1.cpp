// Model version 1 as a version-2 scenario (scenarios/reference/v1.yaml) against the reference
// figures of MODEL.md section 5 (closed cohort, outpatient, 365 days). The reference figures
// are given to two decimals, so the tolerance is their rounding (0.005) plus 4 standard errors
// of the simulated share.
#include "models/recovery/kernel.hpp"
#include "models/recovery/outcomes.hpp"
#include "run/scenario.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace recoverysim;
using namespace recoverysim::recovery;

namespace {

struct Share {
  std::int64_t hits = 0;
  std::int64_t n = 0;
  double value() const { return static_cast<double>(hits) / static_cast<double>(n); }
  double se() const { return std::sqrt(value() * (1 - value()) / static_cast<double>(n)); }
};

void check_share(const char* what, const Share& s, double reference) {
  const double tolerance = 0.005 + 4.0 * s.se();
  INFO(what, ": simulated ", s.value(), " (SE ", s.se(), ", n ", s.n, "), reference ", reference, ", tolerance ",
       tolerance);
  CHECK(std::fabs(s.value() - reference) <= tolerance);
}

}  // namespace

TEST_CASE("reference/v1.yaml reproduces the reference model's section 5 figures" * doctest::test_suite("statistical")) {
  Scenario scenario;
  scenario.load(std::string(RECOVERYSIM_SOURCE_DIR) + "/scenarios/reference/v1.yaml");
  const Parameters& p = scenario.model;
  constexpr int agents = 60000;
  constexpr int days = 365;
  Population pop;
  pop.resize(agents);
  const RandomKey key{5, 0};
  initialise(pop, p, key);
  const DayContext ctx(p);
  for (int t = 0; t < days; ++t) step_population(ctx, pop, key, static_cast<std::uint32_t>(t));
  finalise_records(pop);

  Share relapse30, relapse90, relapse365, lapse365, completion;
  std::array<Share, substance_count> relapse_by_substance;
  for (std::size_t i = 0; i < pop.size(); ++i) {
    const auto r = pop.first_relapse_day[i];
    for (auto* s : {&relapse30, &relapse90, &relapse365, &lapse365, &completion}) ++s->n;
    relapse30.hits += r >= 0 && r < 30;
    relapse90.hits += r >= 0 && r < 90;
    relapse365.hits += r >= 0 && r < 365;
    lapse365.hits += pop.first_lapse_day[i] >= 0;
    completion.hits += pop.first_episode_outcome[i] == EpisodeOutcome::completed;
    auto& by = relapse_by_substance[static_cast<std::size_t>(pop.substance[i])];
    ++by.n;
    by.hits += r >= 0;
  }
  check_share("first relapse by day 30", relapse30, 0.36);
  check_share("first relapse by day 90", relapse90, 0.45);
  check_share("first relapse by day 365", relapse365, 0.50);
  check_share("first relapse by day 365, alcohol", relapse_by_substance[0], 0.38);
  check_share("first relapse by day 365, opioid", relapse_by_substance[1], 0.68);
  check_share("first relapse by day 365, stimulant", relapse_by_substance[2], 0.54);
  check_share("any lapse by day 365", lapse365, 0.69);
  check_share("first episode completed", completion, 0.37);
}
