// Tests of the twelve_step module's bookkeeping: the daily figures, kept up to date as agents
// join, die, step and link, equal the same figures recomputed from the module's state in agent
// order (the mean affiliation, summed tile by tile, to within rounding). And the vectorised
// draws of the modules' helpers equal philox_block's.
#include "models/twelve_step/twelve_step.hpp"

#include "models/recovery/arm_simulation.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::recovery;

TEST_CASE("twelve_step: the daily figures equal a recount in agent order, every day") {
  // Fast sponsorship in the cohort; and affiliation decaying to tiny values and zero.
  const std::vector<std::vector<std::string>> configurations = {
      {"uptake_probability=1", "meetings_per_week=7", "initial_affiliation=0.6", "step_probability_per_meeting=0.5",
       "sponsor_find_probability_per_day=0.2", "external_sponsors_per_1000=1", "max_sponsees=2"},
      {"meetings_per_week=0", "affiliation_decay_rate_per_day=0.5", "external_sponsors_per_1000=3"},
  };
  for (const auto& options : configurations) {
    INFO("options: ", options[0]);
    Parameters p = testing::default_parameters();
    p.population.size = 3000;
    p.model.stable_after_days = 15;
    TwelveStep module;
    ParamTable table;
    module.declare(table);
    for (const auto& o : options) table.assign_from_option(o);
    module.validate(table);
    ArmSimulation arm(p, {{&module, 1200}});
    std::vector<double> m(module.metric_names().size());
    std::vector<std::span<double>> ms{m};
    arm.start_replicate({23, 0}, 300);
    std::int64_t links_seen = 0;
    for (std::uint32_t d = 0; d < 300; ++d) {
      arm.step(d, nullptr, ms);
      const auto& pop = arm.population();
      std::int64_t participants = 0, sponsored = 0, sponsoring = 0;
      double affiliation = 0.0, steps = 0.0;
      for (std::size_t i = 0; i < pop.size(); ++i) {
        if (module.sponsees()[i] > 0) ++sponsoring;
        if (!module.participant()[i] || pop.state[i] == ClinicalState::deceased) continue;
        ++participants;
        affiliation += module.affiliation()[i];
        steps += module.steps()[i];
        if (module.sponsor()[i] != TwelveStep::no_sponsor) ++sponsored;
      }
      const double per_participant = participants > 0 ? 1.0 / static_cast<double>(participants) : 0.0;
      INFO("day ", d);
      // Summed in another order: each of at most 3000 additions rounds by at most 2^-53.
      CHECK(m[1] == doctest::Approx(affiliation * per_participant).epsilon(1e-12));
      CHECK(m[2] == steps * per_participant);
      CHECK(m[3] == static_cast<double>(sponsored));
      CHECK(m[4] == static_cast<double>(sponsoring));
      links_seen += sponsored;
    }
    CHECK(links_seen > 0);
  }
}

TEST_CASE("module helpers: first_draws gives philox_block's first number for every agent") {
  std::vector<std::int32_t> agents;
  for (std::int32_t k = 0; k < 70; ++k) agents.push_back(k * 7919 + (k % 3 == 0 ? 2'000'000'000 : 0));
  for (const RandomKey key : {RandomKey{0, 0}, RandomKey{7, 3}, RandomKey{0xffffffffu, 12345}}) {
    for (const std::uint32_t day : {0u, 1u, 364u, 32767u}) {
      for (const std::uint32_t stream : {1000u, 1201u}) {
        // Every length up to 70: the vector part and the remainder.
        for (std::size_t n = 0; n <= agents.size(); ++n) {
          std::vector<std::uint32_t> out(n + 1, 0xdeadbeefu);
          first_draws(key, std::span<const std::int32_t>(agents.data(), n), day, stream, out);
          for (std::size_t k = 0; k < n; ++k)
            REQUIRE(out[k] == philox_block(key, static_cast<std::uint32_t>(agents[k]), day, stream, 0)[0]);
          REQUIRE(out[n] == 0xdeadbeefu);  // nothing written past the agents
        }
      }
    }
  }
}
