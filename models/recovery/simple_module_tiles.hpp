// SimpleModule's loop over a tile, included after kernel_region.hpp by a module source that is
// compiled once per kernel, so the loop is compiled for that kernel's instruction set;
// RECOVERYSIM_SIMPLE_MODULE_EFFECTS(Module) then instantiates it. See simple_module.hpp.
#pragma once

#include "simple_module.hpp"

namespace recoverysim::recovery {

template <class Module>
concept HasEffectStream = requires { Module::effect_stream; };

template <class Module>
template <class KernelTag>
std::int64_t SimpleModule<Module>::tile_effects(const TileView& tile, TileEffects& fx) const {
  const Module& module = *static_cast<const Module*>(this);
  std::uint32_t draws[agents_per_tile] = {};
  if constexpr (HasEffectStream<Module>)
    first_draws_of_range_for<KernelTag>(tile.key, tile.first, tile.n, tile.day, stream_base_ + Module::effect_stream,
                                        draws);
  std::int64_t total = 0;
  for (std::size_t l = 0; l < tile.n; ++l) {
    AgentEffect e;
    total += module.effect(AgentToday{tile.first + l, tile.day, tile.pop, draws[l]}, e);
    fx.support_connections[l] += e.support_connections;
    fx.craving_increment[l] += e.craving_increment;
    fx.self_efficacy_increment[l] += e.self_efficacy_increment;
    fx.skills_increment[l] += e.skills_increment;
    fx.engagement_increment[l] += e.engagement_increment;
    fx.lapse_multiplier[l] *= e.lapse_multiplier;
    fx.stress_lapse_multiplier[l] *= e.stress_lapse_multiplier;
    fx.relapse_odds_multiplier[l] *= e.relapse_odds_multiplier;
    fx.dropout_multiplier[l] *= e.dropout_multiplier;
  }
  return total;
}

}  // namespace recoverysim::recovery

// Instantiates Module's tile loop for the kernel of the source it is in (after kernel_region.hpp).
#define RECOVERYSIM_SIMPLE_MODULE_EFFECTS(Module)                                                        \
  template std::int64_t recoverysim::recovery::SimpleModule<Module>::tile_effects<RECOVERYSIM_THIS_KERNEL>( \
      const recoverysim::recovery::TileView&, recoverysim::recovery::TileEffects&) const;
