// The run loop: arms x replicates x days. Inside a day the population is stepped in parallel;
// everything between days (counts, trajectories, progress) happens on the driving thread.
#include "runner.hpp"

#include "progress.hpp"
#include "results_file.hpp"

#include "models/recovery/kernel.hpp"
#include "models/recovery/outcomes.hpp"

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <memory>

namespace recoverysim {

namespace {

constexpr std::int64_t trajectory_block_days = 64;

int resolve_threads(int requested) {
  return requested > 0 ? requested : tbb::this_task_arena::max_concurrency();
}

}  // namespace

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  const auto& run = scenario.run;
  const auto& params = scenario.model;
  const std::int64_t N = params.population.size;
  const std::int64_t T = run.days;
  const std::int64_t R = run.replicates;

  const int threads = resolve_threads(options.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);

  ResultsHeader header{run.name, scenario.resolved_yaml(), run.seed, R, T, N, run.output_trajectories};
  ResultsFile file(options.output_path, header);
  Progress progress(R * T * N, options.show_progress);

  RunResult result;
  result.output_path = options.output_path;
  const recovery::DayContext ctx(params);
  recovery::Population pop;
  pop.resize(static_cast<std::size_t>(N));
  std::vector<recovery::DayCounts> per_day(static_cast<std::size_t>(T));
  std::vector<std::uint8_t> trajectory_block;
  if (run.output_trajectories) trajectory_block.resize(static_cast<std::size_t>(N * trajectory_block_days));

  for (const std::string arm : {usual_care_arm}) {
    file.begin_arm(arm);
    ArmResult arm_result{arm, recovery::outcome_names(T), {}};
    for (std::int64_t r = 0; r < R; ++r) {
      const RandomKey key{static_cast<std::uint32_t>(run.seed), static_cast<std::uint32_t>(r)};
      const std::string label = arm + " replicate " + std::to_string(r + 1) + "/" + std::to_string(R);
      arena.execute([&] { recovery::initialise(pop, params, key); });
      for (std::int64_t day = 0; day < T; ++day) {
        const std::int64_t slot = day % trajectory_block_days;
        const recovery::TrajectorySink sink{trajectory_block.data(), static_cast<std::size_t>(trajectory_block_days),
                                            static_cast<std::size_t>(slot)};
        arena.execute([&] {
          per_day[static_cast<std::size_t>(day)] = recovery::step_population(
              ctx, pop, key, static_cast<std::uint32_t>(day), run.output_trajectories ? &sink : nullptr);
        });
        if (run.output_trajectories && (slot == trajectory_block_days - 1 || day == T - 1))
          file.write_trajectory_block(r, day - slot, slot + 1, trajectory_block,
                                      static_cast<std::size_t>(trajectory_block_days));
        progress.advance(N, label);
      }
      recovery::finalise_records(pop);
      file.write_day_counts(r, per_day);
      file.write_agents(r, pop);
      arm_result.outcomes.push_back(recovery::compute_outcomes(pop, T));
      file.write_outcomes(r, arm_result.outcomes.back());
    }
    result.arms.push_back(std::move(arm_result));
  }
  progress.finish();
  file.commit();
  result.seconds = progress.elapsed_seconds();
  result.agent_days = R * T * N;
  return result;
}

}  // namespace recoverysim
