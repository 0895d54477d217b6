// The floor kernel's tiles (floor_tiles.hpp), compiled once per kernel.
#include "floor_tiles.hpp"

#include <algorithm>

#include "kernel_region.hpp"  // last: what follows is compiled for this file's kernel

namespace recoverysim::bench {

template <class KernelTag>
std::int64_t floor_tiles(RandomKey key, std::uint32_t day, const FloorThresholds& threshold, std::uint8_t* state,
                         std::size_t agents, std::size_t first_tile, std::size_t last_tile) {
  std::int64_t count = 0;
  for (std::size_t k = first_tile; k != last_tile; ++k) {
    const std::size_t first = k * floor_tile;
    const std::size_t n = std::min(floor_tile, agents - first);
    std::uint32_t u[4][floor_tile];
    philox_lanes<floor_tile>(typename KernelTag::isa{}, key, static_cast<std::uint32_t>(first), day, 0, 0, u);
    std::uint8_t* s = state + first;
    // The next state is the number of thresholds of the current row that u passes.
#pragma omp simd reduction(+ : count)
    for (std::size_t l = 0; l < n; ++l) {
      const auto& row = threshold[s[l]];
      std::uint32_t next = 0;
      for (int j = 0; j + 1 < floor_states; ++j) next += u[0][l] >= row[static_cast<std::size_t>(j)];
      s[l] = static_cast<std::uint8_t>(next);
      count += next == 5;
    }
  }
  return count;
}

template std::int64_t floor_tiles<RECOVERYSIM_THIS_KERNEL>(RandomKey, std::uint32_t, const FloorThresholds&,
                                                           std::uint8_t*, std::size_t, std::size_t, std::size_t);

}  // namespace recoverysim::bench
