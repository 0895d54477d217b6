// Outcome definitions against a hand-computed four-agent cohort.
#include "models/recovery/outcomes.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace recoverysim::recovery;
using doctest::Approx;

TEST_CASE("outcomes count from admission, over the agents followed long enough") {
  Population pop;
  pop.resize(4);
  // Horizon 200 days, episodes of 90 days.
  // agent 0: admitted day 0, first lapse day 10, relapse day 11, completed, alive, 150 abstinent days
  // agent 1: admitted day 50, dropped out, died on day 100, 20 abstinent days, 1 readmission
  // agent 2: admitted day 100, first lapse day 120 (20 days after admission), ongoing
  // agent 3: admitted day 150: followed 50 days, too late to complete in time
  pop.arrivals_per_day = 1.0 / 50.0;  // admitted on days 0, 50, 100 and 150
  const DayCount lapse[] = {10, -1, 120, -1};
  const DayCount relapse[] = {11, -1, -1, -1};
  const EpisodeOutcome outcome[] = {EpisodeOutcome::completed, EpisodeOutcome::dropped_out, EpisodeOutcome::ongoing,
                                    EpisodeOutcome::ongoing};
  const DayCount death[] = {-1, 100, -1, -1};
  const DayCount abstinent[] = {150, 20, 60, 40};
  const DayCount readmissions[] = {0, 1, 0, 0};
  for (std::size_t i = 0; i < 4; ++i) {
    REQUIRE(pop.admission_day(i) == static_cast<int>(50 * i));
    pop.first_lapse_day[i] = lapse[i];
    pop.first_relapse_day[i] = relapse[i];
    pop.first_episode_outcome[i] = outcome[i];
    pop.death_day[i] = death[i];
    pop.abstinent_days[i] = abstinent[i];
    pop.readmissions[i] = readmissions[i];
  }
  const auto names = outcome_names(200);
  const auto values = compute_outcomes(pop, 200, 90);
  REQUIRE(names.size() == values.size());
  auto value = [&](const std::string& name) {
    for (std::size_t j = 0; j < names.size(); ++j)
      if (names[j] == name) return values[j];
    FAIL("no outcome " << name);
    return 0.0;
  };
  CHECK(value("relapse_by_day_30") == Approx(1.0 / 4));    // all four followed 30 days
  CHECK(value("lapse_by_day_30") == Approx(2.0 / 4));      // agents 0 and 2
  CHECK(value("lapse_by_day_90") == Approx(2.0 / 3));      // agent 3 followed only 50 days
  CHECK(value("lapse_by_day_180") == Approx(1.0));         // agent 0 only
  CHECK(value("first_episode_completion") == Approx(1.0 / 3));  // agents 0, 1 and 2 had 90 days
  // Person-days alive after admission: 200 + 50 + 100 + 50 = 400.
  CHECK(value("percent_days_abstinent") == Approx(100.0 * 270 / 400));
  CHECK(value("readmissions_per_person_year") == Approx(1.0 / (400 / 365.25)));
  CHECK(value("deaths") == 1.0);
  CHECK(std::isnan(compute_outcomes(pop, 60, 90)[outcome_names(60).size() - 4]));  // nobody could complete
}

TEST_CASE("an agent's whole state fits in 64 bytes") {
  // 10^7 agents in one process: the memory target. Adding a column shows here.
  MESSAGE("bytes per agent: " << Population::bytes_per_agent());
  CHECK(Population::bytes_per_agent() <= 64);
  Population pop;
  pop.resize(3);
  std::size_t bytes = 0;
  pop.for_each_column([&](const auto& column) {
    CHECK(column.size() == 3);  // every column is in the list, and resized with it
    bytes += sizeof(column[0]);
  });
  CHECK(bytes == Population::bytes_per_agent());
}
