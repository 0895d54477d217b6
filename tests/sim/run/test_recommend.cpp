// recommend() and decide() on an analysis built so that every answer is known by hand.
#include "run/decision.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

namespace recoverysim {
namespace {

constexpr std::size_t R = 10;

// Per replicate: the stated value plus a small symmetric wobble (mean exactly the value), so
// intervals exist but never change an answer.
std::vector<double> around(double value, double wobble) {
  std::vector<double> out(R);
  for (std::size_t r = 0; r < R; ++r) out[r] = value + (r % 2 == 0 ? wobble : -wobble);
  return out;
}

ArmAnalysis arm(const std::string& name, int mentors, double cost, double relapses, double per_year, double wait_p90) {
  ArmAnalysis a;
  a.name = name;
  a.sweep_base = mentors < 0 ? name : "mentors";
  if (mentors >= 0) a.sweep_point = {{"peer_mentor.mentors", std::to_string(mentors)}};
  const auto add = [&](const std::string& q, std::vector<double> values) {
    a.quantity_names.push_back(q);
    a.bounds.push_back(analysis::Bounds::none);
    a.module_metric.push_back(0);
    a.quantities.push_back(analysis::mean_interval(values));
    a.values.push_back(std::move(values));
  };
  add("cost_total", around(cost, cost > 0 ? 10.0 : 0.0));
  add("relapses", around(relapses, 0.5));
  add("cost_per_year", around(per_year, 0.0));
  if (!std::isnan(wait_p90)) add("peer_mentor.wait_p90_days", around(wait_p90, 0.0));
  return a;
}

// Effects against usual care (relapses averted): 5, 15, 20 at costs 1500, 3000, 6000.
// The frontier: usual care -> 20 mentors (200 per relapse averted) -> 30 mentors (600);
// 10 mentors is extendedly dominated (300 from usual care, then 150 to 20 mentors).
Analysis constructed() {
  Analysis a;
  a.reference = "usual_care";
  a.replicates = R;
  a.arms = {arm("usual_care", -1, 0, 100, 0, NAN), arm("mentors_10", 10, 1500, 95, 750, 40),
            arm("mentors_20", 20, 3000, 85, 1500, 10), arm("mentors_30", 30, 6000, 80, 3000, 0)};
  return a;
}

struct Fixture {
  Scenario scenario;
  Fixture() {
    scenario.load_text(
        "name: recommend_test\nreplicates: 10\n"
        "analysis: {reference_arm: usual_care, bootstrap_samples: 200}\n"
        "arms:\n  - name: usual_care\n  - name: mentors\n    interventions: [{type: peer_mentor}]\n"
        "    sweep: {grid: {peer_mentor.mentors: [10, 20, 30]}}\n",
        "recommend_test.yaml");
  }
  Recommendation at(double wtp, Constraints c = {}) {
    const Analysis analysis = constructed();
    c.wtp = wtp;
    return recommend(analysis, decide(analysis, scenario, wtp), c);
  }
  std::string chosen(double wtp, Constraints c = {}) {
    const Recommendation r = at(wtp, c);
    return r.recommended < 0 ? "none" : r.arms[static_cast<std::size_t>(r.recommended)].arm;
  }
};

TEST_CASE_FIXTURE(Fixture, "recommend: the answer known by construction at two willingness-to-pay values") {
  const Analysis analysis = constructed();
  const Decision d = decide(analysis, scenario, 400.0);
  // Frontier and sequential ICERs by hand.
  REQUIRE(d.frontier.options.size() == 3);
  CHECK(d.arms[d.frontier.options[1]] == "mentors_20");
  CHECK(d.arms[d.frontier.options[2]] == "mentors_30");
  CHECK(d.sequential_icer[1].estimate == doctest::Approx(200.0));
  CHECK(d.sequential_icer[2].estimate == doctest::Approx(600.0));
  // Net benefit at 400: 10 mentors 400 x 5 - 1500 = 500; 20: 6000 - 3000 = 3000; 30: 8000 - 6000 = 2000.
  CHECK(d.net_benefit[1].estimate == doctest::Approx(500.0));
  CHECK(d.net_benefit[2].estimate == doctest::Approx(3000.0));
  CHECK(d.net_benefit[3].estimate == doctest::Approx(2000.0));

  CHECK(chosen(100.0) == "usual_care");   // below the first ICER (200): nothing is worth its cost
  CHECK(chosen(400.0) == "mentors_20");   // between 200 and 600
  CHECK(chosen(1000.0) == "mentors_30");  // above 600
  const Recommendation r = at(400.0);
  CHECK(r.arms[static_cast<std::size_t>(r.runner_up)].arm == "mentors_30");
  CHECK(r.arms[static_cast<std::size_t>(r.recommended)].probability_best == 1.0);
  CHECK(r.edge_warning.empty());
}

TEST_CASE_FIXTURE(Fixture, "recommend: a wait limit and a budget are honoured") {
  Constraints wait;
  wait.max_wait_days = 5.0;  // 20 mentors wait 10 days at the 90th percentile: out
  CHECK(chosen(400.0, wait) == "mentors_30");
  const Recommendation r = at(400.0, wait);
  CHECK(r.arms[2].wait_share == 0.0);
  CHECK_FALSE(r.arms[2].feasible);
  CHECK(r.arms[0].feasible);  // usual care has no queue: nobody waits
  Constraints budget;
  budget.budget_per_year = 2000.0;  // 30 mentors cost 3000 a year: out
  CHECK(chosen(1000.0, budget) == "mentors_20");
  Constraints both = wait;
  both.budget_per_year = 2000.0;  // only usual care is left
  CHECK(chosen(1000.0, both) == "usual_care");
}

TEST_CASE_FIXTURE(Fixture, "recommend: an answer at the end of the swept grid is flagged") {
  const Recommendation top = at(1000.0);
  CHECK(top.edge_warning.find("extend the grid above 30") != std::string::npos);
  Constraints budget;
  budget.budget_per_year = 800.0;  // only 10 mentors (750 a year) and usual care are within it
  const Recommendation bottom = at(1000.0, budget);
  CHECK(bottom.arms[static_cast<std::size_t>(bottom.recommended)].arm == "mentors_10");
  CHECK(bottom.edge_warning.find("extend the grid below 10") != std::string::npos);
  CHECK(at(400.0).edge_warning.empty());  // 20 mentors: inside the grid
}

}  // namespace
}  // namespace recoverysim
