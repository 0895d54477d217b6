// The day kernel's entry points: the instantiation of kernel_tiles.cpp for the kernel in use.
#include "kernel.hpp"

namespace recoverysim::recovery {

DayCounts step_population(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t day,
                          const TrajectorySink* trajectory, ModuleChannels channels, Observation* observation,
                          std::uint64_t* place_requests) {
  return with_kernel([&]<class KernelTag>(KernelTag) {
    return step_population_for<KernelTag>(ctx, pop, key, day, trajectory, channels, observation, place_requests);
  });
}

void step_population_days(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t first_day,
                          std::span<DayCounts> counts_per_day, const TrajectorySink* trajectory,
                          Observation* observation) {
  with_kernel([&]<class KernelTag>(KernelTag) {
    step_population_days_for<KernelTag>(ctx, pop, key, first_day, counts_per_day, trajectory, observation);
  });
}

}  // namespace recoverysim::recovery
