// A module's effects on a whole population as plain columns, asked for tile by tile as the day
// kernel asks for them: for tests that look at what a module does to each agent.
#pragma once

#include "models/recovery/intervention.hpp"

#include <algorithm>
#include <vector>

namespace recoverysim::testing {

struct ModuleEffects {
  std::vector<float> support_connections, craving_increment, self_efficacy_increment, skills_increment,
      engagement_increment, lapse_multiplier, stress_lapse_multiplier, relapse_odds_multiplier, dropout_multiplier,
      entry_multiplier;
  std::int64_t total = 0;  // the sum of what add_effects returned
};

inline ModuleEffects module_effects(recovery::Intervention& module, const recovery::Population& pop, RandomKey key,
                                    std::uint32_t day) {
  ModuleEffects out;
  for (std::size_t first = 0; first < pop.size(); first += recovery::agents_per_tile) {
    const std::size_t n = std::min(recovery::agents_per_tile, pop.size() - first);
    recovery::TileEffects fx;
    fx.set_neutral();
    out.total += module.add_effects({day, key, pop, first, n}, fx);
    const auto append = [n](std::vector<float>& column, const float* lanes) {
      column.insert(column.end(), lanes, lanes + n);
    };
    append(out.support_connections, fx.support_connections);
    append(out.craving_increment, fx.craving_increment);
    append(out.self_efficacy_increment, fx.self_efficacy_increment);
    append(out.skills_increment, fx.skills_increment);
    append(out.engagement_increment, fx.engagement_increment);
    append(out.lapse_multiplier, fx.lapse_multiplier);
    append(out.stress_lapse_multiplier, fx.stress_lapse_multiplier);
    append(out.relapse_odds_multiplier, fx.relapse_odds_multiplier);
    append(out.dropout_multiplier, fx.dropout_multiplier);
    append(out.entry_multiplier, fx.entry_multiplier);
  }
  return out;
}

}  // namespace recoverysim::testing
