// The simple way to write an intervention module: say what happens to one agent today, and the
// engine applies it to every tile of agents, compiled for each kernel (AVX2, AVX-512) so the
// loop over a tile's 64 lanes is vectorised for the module. Tiles, masks and lanes stay here.
//
//   class Vouchers final : public SimpleModule<Vouchers> {
//    public:
//     static constexpr std::uint32_t effect_stream = 0;  // optional: a uniform draw per agent
//     static constexpr int effect_draws = 2;              // optional: and a second (a.second_draw)
//     bool draws_today() const { return ...; }            // optional: skip the draws on days without use
//     std::int64_t effect(const AgentToday& a, AgentEffect& e) {
//       const bool on = enrolled_[a.agent] != 0;
//       e.lapse_multiplier *= on ? 0.8f : 1.0f;
//       return on;  // summed over the day's tiles into DayView::effects_total
//     }
//     ...
//   };
//
// with, in a source file listed by recoverysim_kernel_sources in the module's module.cmake:
//
//   #include "vouchers.hpp"
//   #include "kernel_region.hpp"  // what follows is compiled for this file's kernel
//   #include "models/recovery/simple_module_tiles.hpp"
//   RECOVERYSIM_SIMPLE_MODULE_EFFECTS(recoverysim::recovery::Vouchers)
//
// `e` holds the agent's effects so far today (those of the modules before this one): effect()
// adds to the increments and multiplies the multipliers, in its own order. It reads agent
// a.agent's state and the module's state fixed for the day, and writes at most the module's own
// per-agent columns at a.agent (a count of sessions, say): tiles run in parallel, so nothing
// else. Write it without branches where it can be (`?:` on values, `&` between conditions) so
// that it vectorises; it is evaluated for every agent of the tile, living or dead, enrolled or
// not. A module that needs more (per-tile bookkeeping, a pass over selected lanes only, another
// agent's state) overrides add_effects itself: the tile API (intervention.hpp) stays the fast
// path.
//
// SimpleModule also resets the module's AgentColumns (kit.hpp) at the start of every replicate
// and keeps its stream base, then calls the module's start(ctx).
#pragma once

#include "intervention.hpp"
#include "kit.hpp"

namespace recoverysim::recovery {

// What happens to one agent today, on the channels of TileEffects: increments add up across
// modules, multipliers multiply.
struct AgentEffect {
  // The lane's own channels: a module changes only those it uses, and the others cost nothing.
  float& support_connections;
  float& craving_increment;
  float& self_efficacy_increment;
  float& skills_increment;
  float& engagement_increment;
  float& lapse_multiplier;
  float& stress_lapse_multiplier;
  float& relapse_odds_multiplier;
  float& dropout_multiplier;
  float& entry_multiplier;
};

// One agent as the effect hook sees it: the population holds its state at the start of the day.
struct AgentToday {
  std::size_t agent;
  std::uint32_t day;
  const Population& pop;
  std::uint32_t draw;  // a uniform 32-bit number on the module's effect_stream (0 without one)
  // The same block's second number, for a module that declares `effect_draws = 2` (else 0):
  // two decisions a day from one block.
  std::uint32_t second_draw = 0;
};

template <class Module>
class SimpleModule : public Intervention {
 public:
  void start_replicate(const ReplicateContext& ctx, std::size_t agents) final {
    stream_base_ = ctx.stream_base;
    columns_.reset(agents);
    static_cast<Module*>(this)->start(ctx, agents);
  }

  std::int64_t add_effects(const TileView& tile, TileEffects& fx) final {
    return with_kernel([&]<class KernelTag>(KernelTag) { return tile_effects<KernelTag>(tile, fx); });
  }

  // The loop over one tile's lanes, for one kernel (simple_module_tiles.hpp).
  template <class KernelTag>
  std::int64_t tile_effects(const TileView& tile, TileEffects& fx);

 protected:
  std::uint32_t stream_base() const { return stream_base_; }
  AgentColumns& columns() { return columns_; }

 private:
  AgentColumns columns_;
  std::uint32_t stream_base_ = 0;
};

}  // namespace recoverysim::recovery
