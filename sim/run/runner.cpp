// The run loop: replicates x arms x days. Every arm of a replicate starts from the same
// cohort (same key), so arms differ only by their interventions. Inside a day the population
// is stepped in parallel; everything between days (counts, metrics, trajectories, progress)
// happens on the driving thread.
#include "runner.hpp"

#include "analysis.hpp"
#include "progress.hpp"
#include "results_file.hpp"

#include "models/recovery/arm_simulation.hpp"
#include "models/recovery/outcomes.hpp"

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <memory>

namespace recoverysim {

namespace {

constexpr std::int64_t days_per_block = 64;

int resolve_threads(int requested) {
  return requested > 0 ? requested : tbb::this_task_arena::max_concurrency();
}

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

struct ArmRun {
  const Arm* arm = nullptr;
  std::size_t file_index = 0;
  std::unique_ptr<recovery::ArmSimulation> simulation;
  std::vector<std::size_t> metric_counts;
};

}  // namespace

RunResult run_scenario(Scenario& scenario, const RunOptions& options) {
  const auto& run = scenario.run;
  const auto& params = scenario.model;
  const std::int64_t N = params.population.size;
  const std::int64_t T = run.days;
  const std::int64_t R = run.replicates;
  const auto A = static_cast<std::int64_t>(scenario.arms.size());

  // Every replicate's draws of the uncertain parameters, checked before anything is written.
  const std::vector<UncertainParameter> uncertain = scenario.uncertain_parameters();
  std::vector<std::vector<double>> drawn;
  if (!uncertain.empty())
    for (std::int64_t r = 0; r < R; ++r) drawn.push_back(scenario.draw_replicate(r));

  const int threads = resolve_threads(options.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);

  ResultsHeader header{run.name, scenario.resolved_yaml(), run.seed, R, T, N, run.output_trajectories};
  ResultsFile file(options.output_path, header);
  Progress progress(R * A * T * N, options.show_progress);

  std::vector<ArmRun> arms;
  RunResult result;
  result.output_path = options.output_path;
  for (const auto& arm : scenario.arms) {
    ArmRun a;
    a.arm = &arm;
    std::vector<ResultsFile::ModuleOutput> outputs;
    std::vector<recovery::ModuleSlot> slots;
    for (const auto& m : arm.interventions) {
      outputs.push_back({m.type, m.module->metric_names()});
      a.metric_counts.push_back(outputs.back().metric_names.size());
      slots.push_back({m.module.get(), m.stream_base});
    }
    a.file_index = file.add_arm({arm.name, arm.sweep_base, arm.sweep_point}, outputs);
    arena.execute([&] {
      a.simulation = std::make_unique<recovery::ArmSimulation>(scenario.model_of(arm), std::move(slots));
    });
    arms.push_back(std::move(a));
    result.arms.push_back(ArmResult{arm.name, recovery::outcome_names(T), {}});
  }

  std::vector<recovery::DayCounts> per_day(static_cast<std::size_t>(T));
  std::vector<std::uint8_t> trajectory_block;
  if (run.output_trajectories) trajectory_block.resize(static_cast<std::size_t>(N * days_per_block));

  for (std::int64_t r = 0; r < R; ++r) {
    if (!uncertain.empty()) scenario.draw_replicate(r);
    const RandomKey key{static_cast<std::uint32_t>(run.seed), static_cast<std::uint32_t>(r)};
    for (std::size_t ai = 0; ai < arms.size(); ++ai) {
      auto& a = arms[ai];
      auto& sim = *a.simulation;
      const std::string label = a.arm->name + " replicate " + std::to_string(r + 1) + "/" + std::to_string(R);
      std::vector<std::vector<double>> metrics(a.metric_counts.size());
      for (std::size_t m = 0; m < metrics.size(); ++m) metrics[m].assign(static_cast<std::size_t>(T) * a.metric_counts[m], 0.0);
      std::vector<std::span<double>> these_days(metrics.size());

      arena.execute([&] { sim.start_replicate(key, T); });
      // Blocks of days: the trajectory buffer's length, and the granularity of progress.
      for (std::int64_t day = 0; day < T; day += days_per_block) {
        const std::int64_t block = std::min(days_per_block, T - day);
        const recovery::TrajectorySink sink{trajectory_block.data(), static_cast<std::size_t>(days_per_block), 0};
        for (std::size_t m = 0; m < metrics.size(); ++m)
          these_days[m] = std::span<double>(metrics[m]).subspan(static_cast<std::size_t>(day) * a.metric_counts[m],
                                                                static_cast<std::size_t>(block) * a.metric_counts[m]);
        arena.execute([&] {
          sim.step_days(static_cast<std::uint32_t>(day),
                        std::span<recovery::DayCounts>(per_day).subspan(static_cast<std::size_t>(day),
                                                                        static_cast<std::size_t>(block)),
                        run.output_trajectories ? &sink : nullptr, these_days);
        });
        if (run.output_trajectories) {
          ScopedTimer timer(result.output_seconds);
          file.write_trajectory_block(a.file_index, r, day, block, trajectory_block,
                                      static_cast<std::size_t>(days_per_block));
        }
        progress.advance(N * block, label);
      }
      sim.finish_replicate();
      auto& outcomes = result.arms[ai].outcomes;
      const recovery::Parameters& arm_params = scenario.model_of(*a.arm);
      outcomes.push_back(recovery::compute_outcomes(
          sim.population(), T,
          arm_params.treatment.settings[static_cast<std::size_t>(arm_params.treatment.setting)].length_days));
      ScopedTimer timer(result.output_seconds);
      file.write_day_counts(a.file_index, r, per_day);
      file.write_agents(a.file_index, r, sim.population());
      for (std::size_t m = 0; m < metrics.size(); ++m) {
        file.write_module_metrics(a.file_index, m, r, metrics[m]);
        file.write_module_agents(a.file_index, m, r, sim.modules()[m].module->agent_columns());
      }
      file.write_outcomes(a.file_index, r, outcomes.back());
    }
  }
  progress.finish();
  {
    ScopedTimer timer(result.output_seconds);
    if (!uncertain.empty()) {
      std::vector<std::string> paths, distributions;
      for (const auto& u : uncertain) {
        paths.push_back(u.path);
        distributions.push_back(u.distribution);
      }
      file.write_uncertain_parameters(paths, distributions, drawn);
    }
  }
  {
    // The summaries are part of a complete file: computed from what was just written.
    ScopedTimer timer(result.analysis_seconds);
    result.analysis = analyse_results(file.root(), scenario, scenario.analysis.reference_arm);
    write_analysis(file.root(), result.analysis);
  }
  {
    ScopedTimer timer(result.output_seconds);
    file.commit();
  }
  result.seconds = progress.elapsed_seconds() - result.analysis_seconds;  // simulating and writing
  result.agent_days = R * A * T * N;
  return result;
}

}  // namespace recoverysim
