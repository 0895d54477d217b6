// Frontier, quadrants, net monetary benefit and acceptability (see decision.hpp).
#include "decision.hpp"

#include "portable_math.hpp"
#include "statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace recoverysim::analysis {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
}

Quadrant quadrant(double dc, double de) {
  if (dc == 0 && de == 0) return Quadrant::no_difference;
  if (dc > 0 && de > 0) return Quadrant::costs_more_gains;
  if (dc < 0 && de < 0) return Quadrant::saves_loses;
  // On an axis: costing more for the same effect is dominated, saving for the same is dominant.
  return dc >= 0 && de <= 0 ? Quadrant::costs_more_loses : Quadrant::saves_gains;
}

std::string quadrant_name(Quadrant q) {
  switch (q) {
    case Quadrant::costs_more_gains: return "costs more, more effective";
    case Quadrant::costs_more_loses: return "costs more, less effective (dominated)";
    case Quadrant::saves_gains: return "saves money, more effective (dominant)";
    case Quadrant::saves_loses: return "saves money, less effective";
    case Quadrant::no_difference: return "no difference";
  }
  return "unknown";
}

Frontier efficient_frontier(std::span<const double> mean_cost, std::span<const double> mean_effect) {
  const std::vector<Dominance> status = dominance(mean_cost, mean_effect);
  Frontier f;
  for (std::size_t i = 0; i < status.size(); ++i)
    if (status[i] == Dominance::efficient) f.options.push_back(i);
  // By cost; options of equal cost and effect (identical) stay in index order.
  std::stable_sort(f.options.begin(), f.options.end(),
                   [&](std::size_t a, std::size_t b) { return mean_cost[a] < mean_cost[b]; });
  f.sequential_icer.assign(f.options.size(), nan);
  for (std::size_t k = 1; k < f.options.size(); ++k) {
    const std::size_t p = f.options[k - 1], q = f.options[k];
    const double de = mean_effect[q] - mean_effect[p];
    f.sequential_icer[k] = de > 0 ? (mean_cost[q] - mean_cost[p]) / de : nan;
  }
  return f;
}

std::vector<double> net_monetary_benefit(std::span<const double> effect, std::span<const double> cost, double wtp) {
  if (effect.size() != cost.size()) throw std::invalid_argument("net_monetary_benefit: inputs of different lengths");
  std::vector<double> out(effect.size());
  for (std::size_t r = 0; r < out.size(); ++r) out[r] = wtp * effect[r] - cost[r];
  return out;
}

Acceptability acceptability(const std::vector<std::vector<double>>& cost,
                            const std::vector<std::vector<double>>& effect, std::span<const double> wtp) {
  if (cost.size() != effect.size())
    throw std::invalid_argument("acceptability: costs and effects of different options");
  const std::size_t options = cost.size();
  const std::size_t replicates = options ? cost.front().size() : 0;
  for (std::size_t a = 0; a < options; ++a)
    if (cost[a].size() != replicates || effect[a].size() != replicates)
      throw std::invalid_argument("acceptability: options with different numbers of replicates");
  std::vector<std::size_t> complete;
  for (std::size_t r = 0; r < replicates; ++r) {
    bool ok = true;
    for (std::size_t a = 0; a < options; ++a) ok = ok && !std::isnan(cost[a][r]) && !std::isnan(effect[a][r]);
    if (ok) complete.push_back(r);
  }
  Acceptability out;
  out.wtp.assign(wtp.begin(), wtp.end());
  out.replicates = complete.size();
  const auto R = static_cast<double>(complete.size());
  for (const double lambda : wtp) {
    std::vector<double> wins(options, 0.0);
    for (const std::size_t r : complete) {
      double best = -std::numeric_limits<double>::infinity();
      std::size_t ties = 0;
      for (std::size_t a = 0; a < options; ++a) {
        const double nmb = lambda * effect[a][r] - cost[a][r];
        if (nmb > best) {
          best = nmb;
          ties = 1;
        } else if (nmb == best) {
          ++ties;
        }
      }
      for (std::size_t a = 0; a < options; ++a)
        if (lambda * effect[a][r] - cost[a][r] == best) wins[a] += 1.0 / static_cast<double>(ties);
    }
    std::vector<double> p(options, nan), se(options, nan);
    for (std::size_t a = 0; a < options && R > 0; ++a) {
      p[a] = wins[a] / R;
      se[a] = std::sqrt(p[a] * (1.0 - p[a]) / R);
    }
    out.probability.push_back(std::move(p));
    out.standard_error.push_back(std::move(se));
  }
  return out;
}

std::vector<double> wtp_grid(double top, std::size_t points) {
  std::vector<double> grid;
  if (points == 0) return grid;
  grid.push_back(0.0);
  if (!(top > 0.0) || points == 1) return grid;
  for (std::size_t k = 1; k < points; ++k) {
    const double x = top * static_cast<double>(k) / static_cast<double>(points - 1);
    const double magnitude = portable::power_of_ten(portable::decimal_exponent(x) - 1);
    grid.push_back(std::round(x / magnitude) * magnitude);
  }
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  return grid;
}

}  // namespace recoverysim::analysis
