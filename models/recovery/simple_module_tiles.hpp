// SimpleModule's loop over a tile, included after kernel_region.hpp by a module source that is
// compiled once per kernel, so the loop is compiled for that kernel's instruction set;
// RECOVERYSIM_SIMPLE_MODULE_EFFECTS(Module) then instantiates it. See simple_module.hpp.
#pragma once

#include "simple_module.hpp"

namespace recoverysim::recovery {

template <class Module>
concept HasEffectStream = requires {
  Module::effect_stream;
};
// Optional: `static constexpr int effect_draws = 2`, the block's second number too.
template <class Module>
concept HasSecondDraw = requires {
  requires Module::effect_draws == 2;
};
// Optional: `bool draws_today() const`, false on days no agent's effect reads its draw.
template <class Module>
concept HasDrawsToday = requires(const Module& m) {
  static_cast<bool>(m.draws_today());
};

template <class Module>
template <class KernelTag>
std::int64_t SimpleModule<Module>::tile_effects(const TileView& tile, TileEffects& fx) {
  Module& module = *static_cast<Module*>(this);
  std::uint32_t draws[agents_per_tile] = {}, second_draws[agents_per_tile] = {};
  if constexpr (HasEffectStream<Module>) {
    bool needed = true;
    if constexpr (HasDrawsToday<Module>) needed = module.draws_today();
    const std::uint32_t stream = stream_base_ + Module::effect_stream;
    if constexpr (HasSecondDraw<Module>) {
      if (needed)
        first_two_draws_of_tile_for<KernelTag>(tile.key, tile.first, tile.n, tile.day, stream, draws, second_draws);
    } else if (needed) {
      first_draws_of_range_for<KernelTag>(tile.key, tile.first, tile.n, tile.day, stream, draws);
    }
  }
  std::int64_t total = 0;
  for (std::size_t l = 0; l < tile.n; ++l) {
    // The lane's effects so far (the modules before this one): the module adds to them and
    // multiplies them in its own order, exactly as it would on the tile's channels.
    AgentEffect e{fx.support_connections[l],     fx.craving_increment[l],       fx.self_efficacy_increment[l],
                  fx.skills_increment[l],        fx.engagement_increment[l],    fx.lapse_multiplier[l],
                  fx.stress_lapse_multiplier[l], fx.relapse_odds_multiplier[l], fx.dropout_multiplier[l],
                  fx.entry_multiplier[l]};
    total += module.effect(AgentToday{tile.first + l, tile.day, tile.pop, draws[l], second_draws[l]}, e);
  }
  return total;
}

}  // namespace recoverysim::recovery

// Instantiates Module's tile loop for the kernel of the source it is in (after kernel_region.hpp).
#define RECOVERYSIM_SIMPLE_MODULE_EFFECTS(Module)                                                           \
  template std::int64_t recoverysim::recovery::SimpleModule<Module>::tile_effects<RECOVERYSIM_THIS_KERNEL>( \
      const recoverysim::recovery::TileView&, recoverysim::recovery::TileEffects&);
