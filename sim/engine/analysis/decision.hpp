// Decisions between options from their costs and effects: the efficient frontier with its
// sequential incremental cost-effectiveness ratios, the quadrant of a comparison on the
// cost-effectiveness plane, net monetary benefit and the acceptability curve. Pure functions on
// plain arrays (options x replicates), each checked against a worked example in the tests.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace recoverysim::analysis {

// Where a comparison (option minus comparator: difference in cost, difference in effect, more
// effect being better) lies on the cost-effectiveness plane.
enum class Quadrant {
  costs_more_gains,  // north-east: the ratio is a cost per unit of effect gained
  costs_more_loses,  // north-west: dominated
  saves_gains,       // south-east: dominant, no ratio needed
  saves_loses,       // south-west: the ratio is a saving per unit of effect given up
  no_difference,     // both differences 0 (or one 0 and the other on an axis)
};
Quadrant quadrant(double cost_difference, double effect_difference);
// "costs more, more effective", ...: words for tables and reports.
std::string quadrant_name(Quadrant q);

// The options on the efficient frontier (dominance() says which), in order of increasing cost,
// and the sequential ICER of each against the previous one on the frontier (NaN for the first).
struct Frontier {
  std::vector<std::size_t> options;
  std::vector<double> sequential_icer;
};
Frontier efficient_frontier(std::span<const double> mean_cost, std::span<const double> mean_effect);

// wtp x effect - cost, element by element.
std::vector<double> net_monetary_benefit(std::span<const double> effect, std::span<const double> cost, double wtp);

// For each willingness to pay in `wtp`, the probability that each option has the highest net
// monetary benefit, estimated as the share of replicates in which it has (ties shared equally),
// with its Monte Carlo standard error sqrt(p (1 - p) / R). cost[option][replicate],
// effect[option][replicate]; replicates where any option's value is NaN are left out.
struct Acceptability {
  std::vector<double> wtp;
  std::vector<std::vector<double>> probability;  // [wtp][option]
  std::vector<std::vector<double>> standard_error;
  std::size_t replicates = 0;
};
Acceptability acceptability(const std::vector<std::vector<double>>& cost,
                            const std::vector<std::vector<double>>& effect, std::span<const double> wtp);

// A grid of willingness-to-pay values for an acceptability curve: 0 and `points` - 1 values up
// to `top`, rounded to two significant digits so that they read well.
std::vector<double> wtp_grid(double top, std::size_t points);

}  // namespace recoverysim::analysis
