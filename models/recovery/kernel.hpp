// The population-wide day: advance_one_day() over every living agent, split across threads
// by oneTBB, counting agents per state at the end of the day. Each agent's day depends only
// on its own columns and its own random block, so the result is the same for any split.
#pragma once

#include "day.hpp"
#include "intervention.hpp"
#include "observation.hpp"
#include "population.hpp"

#include "kernels.hpp"

#include <array>
#include <cstdint>
#include <span>

namespace recoverysim::recovery {

struct DayCounts {
  std::array<std::int64_t, clinical_state_count> state{};        // living and deceased
  std::array<std::int64_t, treatment_status_count> treatment{};  // living only
  double treatment_cost = 0.0;                                   // the settings' costs of the day (pathway.hpp)

  DayCounts& operator+=(const DayCounts& other) {
    for (std::size_t i = 0; i < state.size(); ++i) state[i] += other.state[i];
    for (std::size_t i = 0; i < treatment.size(); ++i) treatment[i] += other.treatment[i];
    treatment_cost += other.treatment_cost;
    return *this;
  }
};

// Where to record each agent's end-of-day state, if trajectories are kept:
// data[agent * stride + offset]. Agents not yet admitted are recorded as not_admitted.
struct TrajectorySink {
  std::uint8_t* data = nullptr;
  std::size_t stride = 0;
  std::size_t offset = 0;
};
inline constexpr std::uint8_t not_admitted = 255;

// What the modules of an arm exchange with the core day: their effects on each tile, asked for
// just before the tile is advanced, and the events it reports back, handed to each module's
// after_tile once the tile is advanced. Empty when the arm has no intervention.
struct ModuleChannels {
  std::span<Intervention* const> modules;
  std::span<std::int64_t> effects_totals;  // per module: the sum of what add_effects returned
  std::uint8_t* events = nullptr;          // per agent: today's events
};

// Advances the whole population by one day on oneTBB's threads. Agents not yet arrived are
// counted as such and left untouched; on its arrival day an agent joins the cohort.
// The trajectory, if any, receives the day at its offset; the observation, if any, sees every
// tile at the end of the day. With settings that have slots, `place_requests` (one word per
// tile of 64 agents, zeroed by the caller) receives the agents who asked for a place today, for
// the waiting-list step (pathway.hpp), which must then follow; without, it may be null.
DayCounts step_population(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t day,
                          const TrajectorySink* trajectory = nullptr, ModuleChannels channels = {},
                          Observation* observation = nullptr, std::uint64_t* place_requests = nullptr);

// Advances the population by counts_per_day.size() days from first_day, for an arm without
// modules: each tile of agents stays in cache for all those days, so memory is read and
// written once per block of days rather than once a day. Day first_day + d goes to
// counts_per_day[d] and to the trajectory's slot offset + d. Same results as day by day. Not
// for settings with slots, whose waiting lists are served between days.
void step_population_days(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t first_day,
                          std::span<DayCounts> counts_per_day, const TrajectorySink* trajectory = nullptr,
                          Observation* observation = nullptr);

// The two above for one kernel (kernels.hpp), instantiated in kernel_tiles.cpp for each kernel
// the build has; step_population and step_population_days call the one in use.
template <class KernelTag>
DayCounts step_population_for(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t day,
                              const TrajectorySink* trajectory, ModuleChannels channels, Observation* observation,
                              std::uint64_t* place_requests);
template <class KernelTag>
void step_population_days_for(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t first_day,
                              std::span<DayCounts> counts_per_day, const TrajectorySink* trajectory,
                              Observation* observation);

}  // namespace recoverysim::recovery
