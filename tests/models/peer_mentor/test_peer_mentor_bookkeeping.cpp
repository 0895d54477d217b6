// Tests of the peer_mentor module's bookkeeping: the per-agent day counters, kept up to date
// only when a match or a wait ends, equal a count made day by day from the agents' status.
#include "models/peer_mentor/peer_mentor.hpp"
#include "models/recovery/arm_simulation.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::recovery;

namespace {

std::vector<std::int32_t> column(const std::vector<AgentColumn>& columns, const std::string& name) {
  for (const auto& c : columns)
    if (c.name == name) return std::get<std::vector<std::int32_t>>(c.values);
  FAIL("no column " << name);
  return {};
}

}  // namespace

TEST_CASE("peer_mentor: matched_days and wait_days equal the days counted one by one") {
  const std::vector<std::vector<std::string>> configurations = {
      {"mentors=3", "caseload=4", "departure_hazard_per_day=0.02", "hiring_delay_days=5", "duration_days=20"},
      {"mentors=2", "caseload=6", "match_on=discharge", "priority=severity", "duration_days=10",
       "departure_hazard_per_day=0.05", "recruit_after_abstinent_days=30", "recruit_probability_per_day=0.05",
       "recruits_max=3"},
  };
  for (const auto& options : configurations) {
    INFO("options: ", options[0], " ", options[2]);
    const Parameters p = testing::open_cohort(3.0, 200);
    PeerMentor module;
    ParamTable table;
    module.declare(table);
    for (const auto& o : options) table.assign_from_option(o);
    ArmSimulation arm(p, {{&module, 1000}});
    std::vector<double> m(module.metric_names().size());
    std::vector<std::span<double>> ms{m};
    const auto n = static_cast<std::size_t>(p.population.size);
    std::vector<std::int32_t> matched_days(n, 0), wait_days(n, -1);
    std::vector<std::uint8_t> ever_matched(n, 0);
    arm.start_replicate({17, 0}, 260);
    for (std::uint32_t d = 0; d < 260; ++d) {
      // A day counts as matched for those matched when it starts (before_day).
      for (std::size_t i = 0; i < n; ++i) matched_days[i] += module.status_of(i) == MenteeStatus::matched;
      arm.step(d, nullptr, ms);
      REQUIRE(module.check_state(arm.population()) == "");
      // A day counts as waited for those queued at its end who were never matched. (With these
      // settings nobody enters and leaves the programme on the same day, unseen.)
      for (std::size_t i = 0; i < n; ++i) {
        const MenteeStatus s = module.status_of(i);
        if (s == MenteeStatus::matched) ever_matched[i] = 1;
        if (s != MenteeStatus::ineligible && wait_days[i] < 0) wait_days[i] = 0;
        if (s == MenteeStatus::queued && !ever_matched[i]) ++wait_days[i];
      }
    }
    const auto columns = module.agent_columns();
    const auto kept_matched = column(columns, "matched_days");
    const auto kept_wait = column(columns, "wait_days");
    std::int64_t total_matched = 0, total_wait = 0;
    for (std::size_t i = 0; i < n; ++i) {
      INFO("agent ", i);
      CHECK(kept_matched[i] == matched_days[i]);
      CHECK(kept_wait[i] == wait_days[i]);
      total_matched += matched_days[i];
      total_wait += wait_days[i] > 0 ? wait_days[i] : 0;
    }
    // The run had both matches and waits to count.
    CHECK(total_matched > 1000);
    CHECK(total_wait > 1000);
  }
}
