// Frontier, sequential ICERs, quadrants, net monetary benefit and acceptability against a
// worked example computed by hand.
#include "analysis/decision.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace recoverysim::analysis;
using doctest::Approx;

TEST_CASE("decision: the efficient frontier and its sequential ICERs by hand") {
  // (mean cost, mean effect): A (0, 0), B (100, 10), C (300, 15), D (250, 14), E (150, 5), F (200, 11).
  // E is dominated by B (costs more, achieves less). F is extendedly dominated: its ICER against B,
  // 100 / 1 = 100, exceeds that of D against F, 50 / 3. The frontier is A, B, D, C with
  // sequential ICERs 100 / 10 = 10, 150 / 4 = 37.5 and 50 / 1 = 50.
  const std::vector<double> cost = {0, 100, 300, 250, 150, 200};
  const std::vector<double> effect = {0, 10, 15, 14, 5, 11};
  const Frontier f = efficient_frontier(cost, effect);
  CHECK(f.options == std::vector<std::size_t>{0, 1, 3, 2});
  REQUIRE(f.sequential_icer.size() == 4);
  CHECK(std::isnan(f.sequential_icer[0]));
  CHECK(f.sequential_icer[1] == Approx(10.0));
  CHECK(f.sequential_icer[2] == Approx(37.5));
  CHECK(f.sequential_icer[3] == Approx(50.0));
  // Against the first option alone, C reads 300 / 15 = 20 per unit: the sequential ratio of the
  // last step, 50, is what the extra units cost.
}

TEST_CASE("decision: quadrants of the cost-effectiveness plane") {
  CHECK(quadrant(10, 2) == Quadrant::costs_more_gains);
  CHECK(quadrant(10, -2) == Quadrant::costs_more_loses);
  CHECK(quadrant(-10, 2) == Quadrant::saves_gains);
  CHECK(quadrant(-10, -2) == Quadrant::saves_loses);
  CHECK(quadrant(10, 0) == Quadrant::costs_more_loses);  // pays more for nothing
  CHECK(quadrant(0, 3) == Quadrant::saves_gains);        // more for nothing extra
  CHECK(quadrant(0, 0) == Quadrant::no_difference);
  CHECK(quadrant_name(Quadrant::saves_loses) == "saves money, less effective");
}

TEST_CASE("decision: net monetary benefit and acceptability by hand") {
  // Three options over four replicates.
  const std::vector<std::vector<double>> cost = {{0, 0, 0, 0}, {100, 100, 120, 80}, {300, 280, 320, 300}};
  const std::vector<std::vector<double>> effect = {{0, 0, 0, 0}, {10, 8, 12, 10}, {15, 16, 14, 15}};
  CHECK(net_monetary_benefit(effect[1], cost[1], 20) == std::vector<double>{100, 60, 120, 120});
  const std::vector<double> wtp = {0, 10, 20, 50};
  const Acceptability a = acceptability(cost, effect, wtp);
  REQUIRE(a.probability.size() == 4);
  CHECK(a.replicates == 4);
  // At 0 the cheapest always wins.
  CHECK(a.probability[0] == std::vector<double>{1, 0, 0});
  // At 10: B's net benefits are 0, -20, 0, 20 against A's 0: ties in replicates 0 and 2 are
  // shared, A wins replicate 1, B replicate 3: 0.5 each.
  CHECK(a.probability[1][0] == Approx(0.5));
  CHECK(a.probability[1][1] == Approx(0.5));
  CHECK(a.probability[1][2] == 0.0);
  // At 20: B 100, 60, 120, 120; C 0, 40, -40, 0: B every time.
  CHECK(a.probability[2] == std::vector<double>{0, 1, 0});
  // At 50: B 400, 300, 480, 420; C 450, 520, 380, 450: C in three replicates of four.
  CHECK(a.probability[3][1] == Approx(0.25));
  CHECK(a.probability[3][2] == Approx(0.75));
  CHECK(a.standard_error[3][2] == Approx(std::sqrt(0.75 * 0.25 / 4)));
  CHECK(a.standard_error[0][0] == 0.0);
}

TEST_CASE("decision: a willingness-to-pay grid reads well") {
  const auto grid = wtp_grid(50000, 6);
  CHECK(grid == std::vector<double>{0, 10000, 20000, 30000, 40000, 50000});
  const auto odd = wtp_grid(12345, 4);
  CHECK(odd.front() == 0.0);
  CHECK(odd.back() == 12000.0);  // two significant digits
}
