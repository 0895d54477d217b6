// The day loop of one arm: the cohort, its modules, its outcome observation, and the order of
// a day -- modules' before_day, the core day (parallel, asking the modules for each tile's
// effects, handing them and the observation each tile at the end of the day), the waiting
// lists of settings with slots (serial), modules' after_day (side by side: each changes only
// its own module's state), then the waiting lists' and modules' events to the observation.
// The runner drives it replicate by replicate; tests drive it directly.
#pragma once

#include "intervention.hpp"
#include "kernel.hpp"
#include "observation.hpp"
#include "pathway.hpp"

#include <optional>
#include <span>
#include <vector>

namespace recoverysim::recovery {

struct ModuleSlot {
  Intervention* module = nullptr;
  std::uint32_t stream_base = 0;
};

// `plan` with the outcomes the modules declare (their waits, say) added.
ObservationPlan with_module_outcomes(ObservationPlan plan, const std::vector<ModuleSlot>& modules);

class ArmSimulation {
 public:
  // `observed`: the outcomes to count (with_module_outcomes() adds the modules' own); by
  // default the shipped ones and the modules' for a run of `days` days.
  ArmSimulation(const Parameters& params, std::vector<ModuleSlot> modules, ObservationPlan observed);
  ArmSimulation(const Parameters& params, std::vector<ModuleSlot> modules, std::int64_t days);
  // Without outcomes (tests of the day loop).
  ArmSimulation(const Parameters& params, std::vector<ModuleSlot> modules)
      : ArmSimulation(params, std::move(modules), ObservationPlan{}) {}

  // A new cohort for replicate `key`, simulated for `days` days.
  void start_replicate(RandomKey key, std::int64_t days);
  // One day. `metrics[m]` receives module m's metrics for the day (metric_names() order).
  DayCounts step(std::uint32_t day, const TrajectorySink* trajectory, std::span<const std::span<double>> metrics);
  // Days [first, first + counts.size()): counts[d] and the trajectory's slot offset + d receive
  // day first + d; metrics[m] receives module m's metrics for these days, day after day. An arm
  // without modules runs the days fused per tile of agents (step_population_days).
  void step_days(std::uint32_t first, std::span<DayCounts> counts, const TrajectorySink* trajectory,
                 std::span<const std::span<double>> metrics);
  // Closes per-agent records at the horizon and counts the replicate's outcomes.
  void finish_replicate();
  // The replicate's outcome counts (after finish_replicate), in the order of the plan's
  // definitions, and its event record (empty unless the plan records events).
  const std::vector<OutcomeCounts>& outcome_counts() const { return outcome_counts_; }
  std::vector<RecordedEvent> take_event_records() { return observation_.take_records(); }
  const ObservationPlan& observation_plan() const { return observation_.plan(); }

  Population& population() { return pop_; }
  const Population& population() const { return pop_; }
  const std::vector<ModuleSlot>& modules() const { return modules_; }

 private:
  const Parameters& params_;
  std::optional<DayContext> ctx_;  // derived from params_ at each replicate (parameters may be drawn per replicate)
  std::vector<ModuleSlot> modules_;
  std::vector<std::size_t> metric_counts_;  // per module
  Population pop_;
  Observation observation_;
  std::vector<OutcomeCounts> outcome_counts_;
  std::vector<std::vector<ModuleEvent>> emitted_;  // per module: today's events
  std::vector<ModuleEvent> module_events_;         // all of today's, with global codes
  std::vector<Intervention*> module_pointers_;     // modules_' modules, for the day kernel
  std::vector<std::int64_t> effects_totals_;       // per module: today's sum of add_effects
  std::vector<std::uint8_t> events_;
  std::vector<std::int32_t> event_agents_;   // today's agents with an event, for the modules
  WaitingLists waiting_lists_;               // settings with slots (step 10 of the day)
  std::vector<ModuleEvent> pathway_events_;  // today's, from the waiting lists
  bool distinct_modules_ = true;             // no module object is listed twice
  RandomKey key_;
};

}  // namespace recoverysim::recovery
