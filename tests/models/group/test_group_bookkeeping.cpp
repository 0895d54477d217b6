// Tests of the group module's bookkeeping: member_days, kept up to date only when a membership
// ends, equals a count made day by day from the agents' groups.
#include "models/group/group.hpp"
#include "models/recovery/arm_simulation.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::recovery;

TEST_CASE("group: member_days equals the days counted one by one") {
  const std::vector<std::vector<std::string>> configurations = {
      {"facilitators=2", "group_size=6"},
      {"facilitators=2", "group_size=6", "eligibility=aftercare", "aftercare_days=30"},
      {"facilitators=2", "group_size=6", "admission=closed", "closed_cycle_weeks=3"},
  };
  for (const auto& options : configurations) {
    INFO("options: ", options.back());
    const Parameters p = testing::open_cohort(2.0, 200);
    Group module;
    ParamTable table;
    module.declare(table);
    for (const auto& o : options) table.assign_from_option(o);
    ArmSimulation arm(p, {{&module, 1100}});
    std::vector<double> m(module.metric_names().size());
    std::vector<std::span<double>> ms{m};
    const auto n = static_cast<std::size_t>(p.population.size);
    std::vector<std::int32_t> member_days(n, 0);
    arm.start_replicate({19, 0}, 250);
    for (std::uint32_t d = 0; d < 250; ++d) {
      // A day counts for those who are members when it starts (before_day).
      for (std::size_t i = 0; i < n; ++i) member_days[i] += module.group_of()[i] != Group::no_group;
      arm.step(d, nullptr, ms);
    }
    const auto columns = module.agent_columns();
    REQUIRE(columns[1].name == "member_days");
    const auto& kept = std::get<std::vector<std::int32_t>>(columns[1].values);
    std::int64_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      INFO("agent ", i);
      CHECK(kept[i] == member_days[i]);
      total += member_days[i];
    }
    CHECK(total > 1000);
  }
}
