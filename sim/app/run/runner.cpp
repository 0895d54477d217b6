// The run loop: units of replicates x days for one arm each, into unit files; then the
// results file assembled from them. Every arm of a replicate starts from the same cohort
// (same key), so arms differ only by their interventions. Inside a day the population is
// stepped in parallel; everything between days (counts, metrics, trajectories, progress)
// happens on the driving thread.
#include "runner.hpp"

#include "analysis.hpp"
#include "decision.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "memory_limit.hpp"
#include "progress.hpp"
#include "results_file.hpp"
#include "safe_files.hpp"

#include "models/recovery/arm_simulation.hpp"
#include "models/recovery/outcomes.hpp"

#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>

namespace recoverysim {

namespace {

constexpr std::int64_t days_per_block = 64;

// Adds the time spent in a scope to a total.
class ScopedTimer {
 public:
  explicit ScopedTimer(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() { total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

ResultsHeader header_of(const Scenario& scenario, std::string scenario_yaml, std::int64_t replicates) {
  const auto& run = scenario.run;
  return {run.name,
          std::move(scenario_yaml),
          run.seed,
          replicates,
          run.days,
          scenario.model.population.size,
          run.output_trajectories};
}

std::vector<ResultsFile::ModuleOutput> module_outputs(const Arm& arm) {
  std::vector<ResultsFile::ModuleOutput> outputs;
  for (const auto& m : arm.interventions) outputs.push_back({m.type, m.module->metrics()});
  return outputs;
}

ResultsFile::ArmInfo arm_info(const Scenario& scenario, const Arm& arm) {
  return {arm.name, arm.sweep_base, arm.sweep_point, scenario.observation_plan(arm),
          scenario.model_of(arm).treatment.setting_names};
}

}  // namespace

int resolve_threads(int requested, int processes_per_node) {
  if (requested > 0) return requested;
  return std::max(1, tbb::this_task_arena::max_concurrency() / std::max(1, processes_per_node));
}

UnitRunner::UnitRunner(Scenario& scenario, tbb::task_arena& arena)
    : scenario_(scenario), arena_(arena), uncertain_(!scenario.uncertain_parameters().empty()) {}

UnitRunner::~UnitRunner() = default;

recovery::ArmSimulation& UnitRunner::simulation(std::size_t arm) {
  if (!simulation_ || simulated_arm_ != arm) {
    simulation_.reset();
    std::vector<recovery::ModuleSlot> modules;
    for (const auto& m : scenario_.arms.at(arm).interventions) modules.push_back({m.module.get(), m.stream_base});
    arena_.execute([&] {
      simulation_ =
          std::make_unique<recovery::ArmSimulation>(scenario_.model_of(scenario_.arms[arm]), std::move(modules),
                                                    scenario_.observation_plan(scenario_.arms[arm]));
    });
    simulated_arm_ = arm;
  }
  return *simulation_;
}

void UnitRunner::run(const WorkUnit& unit, const std::string& path, Progress& progress, double& output_seconds) {
  const auto& run = scenario_.run;
  const Arm& arm = scenario_.arms.at(unit.arm);
  const std::int64_t N = scenario_.model.population.size;
  const std::int64_t T = run.days;
  auto& sim = simulation(unit.arm);

  std::unique_ptr<ResultsFile> file;
  {
    ScopedTimer timer(output_seconds);
    file = std::make_unique<ResultsFile>(path, header_of(scenario_, scenario_.resolved_yaml(), unit.replicates));
    file->add_arm(arm_info(scenario_, arm), module_outputs(arm));
  }
  std::vector<std::size_t> metric_counts;
  for (const auto& m : arm.interventions) metric_counts.push_back(m.module->metric_names().size());
  std::vector<recovery::DayCounts> per_day(static_cast<std::size_t>(T));
  std::vector<std::uint8_t> trajectory_block;
  if (run.output_trajectories) trajectory_block.resize(static_cast<std::size_t>(N * days_per_block));

  for (std::int64_t row = 0; row < unit.replicates; ++row) {
    const std::int64_t r = unit.first_replicate + row;
    if (uncertain_) scenario_.draw_replicate(r);
    const RandomKey key{static_cast<std::uint32_t>(run.seed), static_cast<std::uint32_t>(r)};
    const std::string label = arm.name + " replicate " + std::to_string(r + 1) + "/" + std::to_string(run.replicates);
    std::vector<std::vector<double>> metrics(metric_counts.size());
    for (std::size_t m = 0; m < metrics.size(); ++m)
      metrics[m].assign(static_cast<std::size_t>(T) * metric_counts[m], 0.0);
    std::vector<std::span<double>> these_days(metrics.size());

    arena_.execute([&] { sim.start_replicate(key, T); });
    // Blocks of days: the trajectory buffer's length, and the granularity of progress.
    for (std::int64_t day = 0; day < T; day += days_per_block) {
      throw_if_interrupted();
      const std::int64_t block = std::min(days_per_block, T - day);
      const recovery::TrajectorySink sink{trajectory_block.data(), static_cast<std::size_t>(days_per_block), 0};
      for (std::size_t m = 0; m < metrics.size(); ++m)
        these_days[m] = std::span<double>(metrics[m])
                            .subspan(static_cast<std::size_t>(day) * metric_counts[m],
                                     static_cast<std::size_t>(block) * metric_counts[m]);
      arena_.execute([&] {
        sim.step_days(static_cast<std::uint32_t>(day),
                      std::span<recovery::DayCounts>(per_day).subspan(static_cast<std::size_t>(day),
                                                                      static_cast<std::size_t>(block)),
                      run.output_trajectories ? &sink : nullptr, these_days);
      });
      if (run.output_trajectories) {
        ScopedTimer timer(output_seconds);
        file->write_trajectory_block(0, row, day, block, trajectory_block, static_cast<std::size_t>(days_per_block));
      }
      progress.advance(N * block, label);
    }
    arena_.execute([&] { sim.finish_replicate(); });
    const std::vector<double> outcomes =
        recovery::replicate_outcome_values(sim.observation_plan(), sim.outcome_counts(), sim.population());
    ScopedTimer timer(output_seconds);
    file->write_outcome_counts(0, row, sim.outcome_counts());
    if (run.output_events) file->write_events(0, r, sim.take_event_records());
    file->write_day_counts(0, row, per_day);
    file->write_agents(0, row, sim.population());
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      file->write_module_metrics(0, m, row, metrics[m]);
      file->write_module_agents(0, m, row, sim.modules()[m].module->agent_columns());
    }
    file->write_outcomes(0, row, outcomes);
  }
  ScopedTimer timer(output_seconds);
  file->commit(UnitStore::checksum_path(path));
}

std::vector<UnitSource> staged_sources(const UnitStore& store, const std::vector<WorkUnit>& plan,
                                       const std::vector<std::size_t>& units) {
  std::vector<UnitSource> sources;
  for (std::size_t u : units) sources.push_back({store.unit_path(plan[u]), plan[u], {}});
  return sources;
}

namespace {

std::string source_group(const Scenario& scenario, const UnitSource& source) {
  return source.group.empty() ? "arms/" + scenario.arms.at(source.unit.arm).name : source.group;
}

// A shard's part: the root's attributes, /tasks/complete, and each unit's group as it is.
void assemble_part(const Scenario& scenario, const std::string& scenario_yaml, const std::vector<UnitSource>& sources,
                   const std::string& output_path, const Shard& shard, RunResult& result) {
  ScopedTimer timer(result.output_seconds);
  const std::int64_t R = scenario.run.replicates;
  std::vector<std::uint8_t> complete(scenario.arms.size() * static_cast<std::size_t>(R), 0);
  ResultsFile file(output_path, header_of(scenario, scenario_yaml, R));
  h5::Group units = file.root().create_group("units");
  for (const UnitSource& source : sources) {
    throw_if_interrupted();
    const WorkUnit& unit = source.unit;
    const std::string name = part_unit_name(unit);
    const h5::File from = h5::File::open_read_only(source.path);
    h5::copy_object(from.root(), source_group(scenario, source), units, name);
    h5::Group copied = units.open_group(name);
    copied.set_attribute("arm", scenario.arms.at(unit.arm).name);
    copied.set_attribute("first_replicate", unit.first_replicate);
    copied.set_attribute("replicates", unit.replicates);
    for (std::int64_t r = unit.first_replicate; r < unit.first_replicate + unit.replicates; ++r)
      complete[unit.arm * static_cast<std::size_t>(R) + static_cast<std::size_t>(r)] = 1;
  }
  std::vector<std::string> names;
  for (const auto& arm : scenario.arms) names.push_back(arm.name);
  file.record_complete(names, complete);
  file.root().set_attribute("shard", shard.to_string());
  file.commit();
}

}  // namespace

std::string part_unit_name(const WorkUnit& unit) {
  return "unit-" + std::to_string(unit.arm) + "-" + std::to_string(unit.first_replicate);
}

void assemble_results(Scenario& scenario, const std::string& scenario_yaml, const std::vector<UnitSource>& sources,
                      const std::string& output_path, const Shard& shard, RunResult& result,
                      const std::function<void(h5::Group&)>& extra) {
  if (!shard.whole()) {
    assemble_part(scenario, scenario_yaml, sources, output_path, shard, result);
    return;
  }
  const std::int64_t R = scenario.run.replicates;
  const std::size_t A = scenario.arms.size();
  std::vector<std::uint8_t> complete(A * static_cast<std::size_t>(R), 0);
  std::optional<ResultsFile> file;
  {
    ScopedTimer timer(result.output_seconds);
    file.emplace(output_path, header_of(scenario, scenario_yaml, R));
    for (const auto& arm : scenario.arms) file->add_arm(arm_info(scenario, arm), module_outputs(arm));
    // One opening per source file, whatever the number of units it holds.
    std::map<std::string, std::vector<const UnitSource*>> by_file;
    for (const auto& source : sources) by_file[source.path].push_back(&source);
    for (const auto& [path, units] : by_file) {
      const h5::File from = h5::File::open_read_only(path);
      for (const UnitSource* source : units) {
        throw_if_interrupted();
        const WorkUnit& unit = source->unit;
        file->copy_arm_rows(from.root().open_group(source_group(scenario, *source)), unit.arm, 0, unit.first_replicate,
                            unit.replicates);
        for (std::int64_t r = unit.first_replicate; r < unit.first_replicate + unit.replicates; ++r)
          complete[unit.arm * static_cast<std::size_t>(R) + static_cast<std::size_t>(r)] = 1;
      }
    }
    // The event record, arm by arm, in the order of the replicates.
    if (scenario.run.output_events) {
      std::vector<const UnitSource*> ordered;
      for (const auto& source : sources) ordered.push_back(&source);
      std::sort(ordered.begin(), ordered.end(), [](const UnitSource* a, const UnitSource* b) {
        return std::pair(a->unit.arm, a->unit.first_replicate) < std::pair(b->unit.arm, b->unit.first_replicate);
      });
      for (const UnitSource* source : ordered) {
        throw_if_interrupted();
        const h5::File from = h5::File::open_read_only(source->path);
        file->copy_arm_events(from.root().open_group(source_group(scenario, *source)), source->unit.arm,
                              source->unit.first_replicate, source->unit.replicates);
      }
    }
    std::vector<std::string> names;
    for (const auto& arm : scenario.arms) names.push_back(arm.name);
    file->record_complete(names, complete);
  }
  if (!std::all_of(complete.begin(), complete.end(), [](std::uint8_t c) { return c == 1; }))
    throw std::logic_error("assembling a results file without every task");
  const std::vector<UncertainParameter> uncertain = scenario.uncertain_parameters();
  if (!uncertain.empty()) {
    ScopedTimer timer(result.output_seconds);
    std::vector<std::vector<double>> drawn;
    for (std::int64_t r = 0; r < R; ++r) drawn.push_back(scenario.draw_replicate(r));
    std::vector<std::string> paths, distributions, units;
    for (const auto& u : uncertain) {
      paths.push_back(u.path);
      distributions.push_back(u.distribution);
      units.push_back(u.unit);
    }
    file->write_uncertain_parameters(paths, distributions, units, drawn);
  }
  {
    // The summaries are part of a complete file: computed from the datasets just assembled.
    ScopedTimer timer(result.analysis_seconds);
    result.analysis = analyse_results(file->root(), scenario, scenario.analysis.reference_arm);
    write_analysis(file->root(), result.analysis);
    write_decision(file->root(), decide(result.analysis, scenario));
  }
  ScopedTimer timer(result.output_seconds);
  if (extra) extra(file->root());
  file->commit();
}

namespace {

// Memory a process is allowed to use: what the kernel reports as available, or else all of it.
std::string gigabytes(double bytes) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f GB", bytes / 1e9);
  return buffer;
}

// Refuses, before anything is allocated, a population whose simulation would not fit in memory.
// The estimate per agent: the core state, one replicate's output columns, the modules' state
// (measured with peer mentoring, the largest), the trajectory buffer when written.
void check_memory(const Scenario& scenario) {
  const bool modules = std::any_of(scenario.arms.begin(), scenario.arms.end(),
                                   [](const Arm& arm) { return !arm.interventions.empty(); });
  const double per_agent = static_cast<double>(recovery::Population::bytes_per_agent()) + 40.0 +
                           (modules ? 120.0 : 0.0) + (scenario.run.output_trajectories ? 64.0 : 0.0);
  const double needed = per_agent * static_cast<double>(scenario.model.population.size) + 50e6;
  const MemoryLimit limit = memory_limit();
  const double available = limit.bytes;
  if (needed <= available) return;
  SourceLocation where = scenario.table().where_set("population.size");
  if (!where.known()) where = {scenario.source(), 0, 0};
  char agents[32];
  std::snprintf(agents, sizeof agents, "%lld", static_cast<long long>(scenario.model.population.size));
  throw InputError(where, "population.size: " + std::string(agents) + " agents need about " + gigabytes(needed) +
                              " of memory to run (about " + std::to_string(static_cast<int>(per_agent)) +
                              " bytes per agent), more than the " + gigabytes(available) + " " + limit.source +
                              ": run fewer agents, or ask for more memory");
}

}  // namespace

RunPlan plan_run(Scenario& scenario, const Shard& shard) {
  check_memory(scenario);
  // Every replicate's draws of the uncertain parameters, checked before anything is written.
  if (!scenario.uncertain_parameters().empty())
    for (std::int64_t r = 0; r < scenario.run.replicates; ++r) scenario.draw_replicate(r);
  RunPlan plan;
  plan.scenario_yaml = scenario.resolved_yaml();
  plan.identity_yaml = scenario.identity_yaml();
  plan.units = plan_units(scenario);
  // More shards than tasks would only add empty parts (and a merge that must track them all).
  const std::int64_t tasks = scenario.run.replicates * static_cast<std::int64_t>(scenario.arms.size());
  if (shard.count > tasks)
    throw InputError({"--shard " + shard.to_string(), 0, 0}, "this run has " + std::to_string(tasks) +
                                                                 " tasks (arms x replicates), so at most " +
                                                                 std::to_string(tasks) + " shards");
  plan.mine = shard_units(plan.units.size(), shard);
  return plan;
}

RunResult start_result(const Scenario& scenario, const RunOptions& options, const RunPlan& plan, const UnitStore& store,
                       std::vector<std::size_t>& todo) {
  RunResult result;
  result.scenario_name = scenario.run.name;
  result.output_path = options.output_path;
  for (const auto& arm : scenario.arms) result.arm_names.push_back(arm.name);
  result.units = plan.mine.size();
  result.discarded_units = store.discarded();
  todo.clear();
  for (std::size_t u : plan.mine) {
    if (store.finished(plan.units[u])) ++result.resumed_units;
    else todo.push_back(u);
  }
  for (std::size_t u : todo)
    result.agent_days += plan.units[u].replicates * scenario.model.population.size * scenario.run.days;
  return result;
}

void finish_run(Scenario& scenario, const RunPlan& plan, UnitStore& store, const RunOptions& options,
                RunResult& result) {
  assemble_results(scenario, plan.scenario_yaml, staged_sources(store, plan.units, plan.mine), options.output_path,
                   options.shard, result);
  fault_point("output-renamed");
  store.remove();
}

RunResult run_scenario(Scenario& scenario, const RunOptions& options) {
  const RunPlan plan = plan_run(scenario, options.shard);
  const int threads = resolve_threads(options.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  UnitStore store(options.output_path, plan.identity_yaml, options.resume);
  std::vector<std::size_t> todo;
  RunResult result = start_result(scenario, options, plan, store, todo);

  Progress progress(result.agent_days, options.show_progress);
  {
    UnitRunner runner(scenario, arena);
    for (std::size_t u : todo)
      runner.run(plan.units[u], store.unit_path(plan.units[u]), progress, result.output_seconds);
  }
  progress.finish();
  finish_run(scenario, plan, store, options, result);
  result.seconds = progress.elapsed_seconds() - result.analysis_seconds;  // simulating and writing
  return result;
}

}  // namespace recoverysim
