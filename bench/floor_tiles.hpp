// The floor kernel's loop over a range of tiles (floor_tiles.cpp), compiled once per kernel as
// the model's own kernel is (sim/engine/kernels.hpp), so that the two are measured alike.
#pragma once

#include "random.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace recoverysim::bench {

inline constexpr int floor_states = 6;
inline constexpr std::size_t floor_tile = 64;  // as in the model's kernel: one vectorised Philox call per tile
using FloorThresholds = std::array<std::array<std::uint32_t, floor_states>, floor_states>;

// Advances the agents of tiles [first_tile, last_tile) of `state` (agents in all) by one day;
// returns how many are then in the last, absorbing state.
template <class KernelTag>
std::int64_t floor_tiles(RandomKey key, std::uint32_t day, const FloorThresholds& threshold, std::uint8_t* state,
                         std::size_t agents, std::size_t first_tile, std::size_t last_tile);

}  // namespace recoverysim::bench
