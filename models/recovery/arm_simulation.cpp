// One arm's day loop.
#include "arm_simulation.hpp"
#include "parallel.hpp"

#include "outcomes.hpp"

#include <tbb/blocked_range.h>
#include <tbb/partitioner.h>

#include <algorithm>

namespace recoverysim::recovery {

ObservationPlan with_module_outcomes(ObservationPlan plan, const std::vector<ModuleSlot>& modules) {
  if (plan.days <= 0) return plan;  // nothing observed
  for (const auto& m : modules)
    for (auto& d : m.module->outcome_definitions(static_cast<EventCode>(m.stream_base), plan.days))
      plan.definitions.push_back(std::move(d));
  return plan;
}

namespace {

ObservationPlan shipped_outcomes(const Parameters& params, std::int64_t days) {
  ObservationPlan plan;
  plan.days = days;
  plan.first_episode_at_arrival = params.population.start == CohortStart::treatment;
  plan.definitions =
      default_outcome_definitions(days, params.longest_first_episode_days(), plan.first_episode_at_arrival);
  return plan;
}

}  // namespace

ArmSimulation::ArmSimulation(const Parameters& params, std::vector<ModuleSlot> modules, std::int64_t days)
    : ArmSimulation(params, modules, with_module_outcomes(shipped_outcomes(params, days), modules)) {}

ArmSimulation::ArmSimulation(const Parameters& params, std::vector<ModuleSlot> modules, ObservationPlan observed)
    : params_(params),
      ctx_(std::in_place, params),
      modules_(std::move(modules)),
      observation_(std::move(observed)),
      waiting_lists_(params) {
  for (const auto& m : modules_) {
    metric_counts_.push_back(m.module->metric_names().size());
    module_pointers_.push_back(m.module);
  }
  effects_totals_.assign(modules_.size(), 0);
  std::vector<Intervention*> sorted = module_pointers_;
  std::sort(sorted.begin(), sorted.end());
  distinct_modules_ = std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
  const auto n = static_cast<std::size_t>(params.population.size);
  pop_.resize(n);
  if (!modules_.empty()) events_.assign(n, 0);
  emitted_.resize(modules_.size());
}

void ArmSimulation::start_replicate(RandomKey key, std::int64_t days) {
  key_ = key;
  ctx_.emplace(params_);
  initialise(pop_, params_, key);
  observation_.start_replicate(pop_);
  outcome_counts_.clear();
  std::fill(events_.begin(), events_.end(), std::uint8_t{0});
  waiting_lists_.start_replicate(pop_.size());
  for (const auto& m : modules_) m.module->start_replicate({params_, key, days, m.stream_base}, pop_.size());
}

DayCounts ArmSimulation::step(std::uint32_t day, const TrajectorySink* trajectory,
                              std::span<const std::span<double>> metrics) {
  const bool lists = waiting_lists_.active();
  std::uint64_t* requests = lists ? waiting_lists_.place_requests() : nullptr;
  pathway_events_.clear();
  if (modules_.empty()) {
    DayCounts counts = step_population(*ctx_, pop_, key_, day, trajectory, {}, &observation_, requests);
    if (lists) {
      waiting_lists_.serve(pop_, key_, day, counts, pathway_events_, nullptr);
      observation_.observe_module_events(static_cast<std::int32_t>(day), pathway_events_);
    }
    return counts;
  }
  DayView view{day, key_, pop_, events_};
  for (const auto& m : modules_) m.module->before_day(view);
  DayCounts counts = step_population(*ctx_, pop_, key_, day, trajectory,
                                     {module_pointers_, effects_totals_, events_.data()}, &observation_, requests);
  // The waiting lists before the modules, which see who was admitted from them.
  if (lists) waiting_lists_.serve(pop_, key_, day, counts, pathway_events_, events_.data());
  list_event_agents(events_, event_agents_);
  view.event_agents = &event_agents_;
  const auto after_day = [&](std::size_t i) {
    DayView own = view;
    own.effects_total = effects_totals_[i];
    emitted_[i].clear();
    own.emitted = observation_.reads_module_events() ? &emitted_[i] : nullptr;
    modules_[i].module->after_day(own, metrics[i]);
  };
  if (modules_.size() > 1 && distinct_modules_) {
    // A module's after_day reads the population and the day's events and changes only its own
    // state: the modules' after_days run at the same time, with the same results.
    recoverysim::parallel_for(
        tbb::blocked_range<std::size_t>(0, modules_.size(), 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t i = r.begin(); i != r.end(); ++i) after_day(i);
        },
        tbb::simple_partitioner{});
  } else {
    for (std::size_t i = 0; i < modules_.size(); ++i) after_day(i);
  }
  // The waiting lists' events, then the modules', in the arm's order of modules, their codes
  // made global.
  module_events_ = pathway_events_;
  for (std::size_t i = 0; i < modules_.size(); ++i)
    for (ModuleEvent e : emitted_[i]) {
      e.code = static_cast<EventCode>(e.code + modules_[i].stream_base);
      module_events_.push_back(e);
    }
  observation_.observe_module_events(static_cast<std::int32_t>(day), module_events_);
  return counts;
}

void ArmSimulation::step_days(std::uint32_t first, std::span<DayCounts> counts, const TrajectorySink* trajectory,
                              std::span<const std::span<double>> metrics) {
  if (modules_.empty() && !waiting_lists_.active())
    return step_population_days(*ctx_, pop_, key_, first, counts, trajectory, &observation_);
  std::vector<std::span<double>> today(modules_.size());
  for (std::size_t d = 0; d < counts.size(); ++d) {
    for (std::size_t m = 0; m < modules_.size(); ++m)
      today[m] = metrics[m].subspan(d * metric_counts_[m], metric_counts_[m]);
    TrajectorySink sink;
    if (trajectory) sink = {trajectory->data, trajectory->stride, trajectory->offset + d};
    counts[d] = step(first + static_cast<std::uint32_t>(d), trajectory ? &sink : nullptr, today);
  }
}

void ArmSimulation::finish_replicate() {
  finalise_records(pop_);
  outcome_counts_ = observation_.finish(pop_, [this](const OutcomeDefinition& d) {
    for (const auto& m : modules_)
      if (m.stream_base == d.recorded_by_module) return m.module->outcome_records(d, pop_);
    return std::vector<TimeToEventRecord>{};
  });
}

}  // namespace recoverysim::recovery
