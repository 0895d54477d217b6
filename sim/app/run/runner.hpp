// Running a scenario: its work units (tasks.hpp) into the staging directory, then the results
// file assembled from them. A single process runs every unit (or one shard's); the MPI driver
// (mpi_run.hpp) shares the units out between ranks with the same pieces.
#pragma once

#include "analysis.hpp"
#include "scenario.hpp"
#include "tasks.hpp"

#include <tbb/task_arena.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace recoverysim {

class Progress;
namespace recovery {
class ArmSimulation;
}

struct RunOptions {
  std::string output_path;    // final name of the results file
  int threads = 0;            // 0: all cores
  bool show_progress = true;  // progress bar on stderr (only drawn on a terminal)
  bool resume = false;        // continue from the staging directory of an interrupted run
  Shard shard;                // the whole run unless --shard I/N
};

struct RunResult {
  std::string scenario_name;
  std::string output_path;
  double seconds = 0.0;
  double output_seconds = 0.0;                     // of which spent writing (units and the results file)
  double analysis_seconds = 0.0;                   // after the run: summaries and comparisons, stored in the file
  std::int64_t agent_days = 0;                     // simulated by this run (not counting resumed units)
  std::size_t units = 0;                           // units of this run (or shard)
  std::size_t resumed_units = 0;                   // of which found finished
  std::vector<std::string> discarded_units;        // found damaged on resuming, run again (with why)
  std::map<std::string, std::size_t> part_builds;  // merge: the builds that wrote the parts, with their counts
  std::vector<std::string> arm_names;
  Analysis analysis;  // as stored in the file; empty for a shard's part
};

// Runs every unit of the scenario (or of options.shard) not yet finished, then assembles the
// results file. The scenario's uncertain parameters take each replicate's draws in turn.
RunResult run_scenario(Scenario& scenario, const RunOptions& options);

// What a run (or one rank of it) works through: every unit of the scenario and this run's
// share of them (its shard's).
struct RunPlan {
  std::string scenario_yaml;      // the resolved scenario, stored in every file of the run
  std::string identity_yaml;      // what a resumed run must agree on (no analysis-only keys)
  std::vector<WorkUnit> units;    // every unit of the scenario
  std::vector<std::size_t> mine;  // indices of this run's units
};
// Plans a run and checks every replicate's draws of the uncertain parameters first.
RunPlan plan_run(Scenario& scenario, const Shard& shard);

// The result of a run before it starts: its units, those found finished in `store` and the
// agent-days left; fills `todo` with the units to run.
RunResult start_result(const Scenario& scenario, const RunOptions& options, const RunPlan& plan, const UnitStore& store,
                       std::vector<std::size_t>& todo);

// Assembles the results file from the staging directory, then deletes the directory.
void finish_run(Scenario& scenario, const RunPlan& plan, UnitStore& store, const RunOptions& options,
                RunResult& result);

// Worker threads for `requested` (0: every core of the machine shared by `processes_per_node`).
int resolve_threads(int requested, int processes_per_node = 1);

// Runs work units of one scenario into unit files. One arm's simulation is kept at a time
// (built again when the arm changes: cheap next to a unit), so memory does not grow with arms.
class UnitRunner {
 public:
  UnitRunner(Scenario& scenario, tbb::task_arena& arena);
  ~UnitRunner();
  UnitRunner(const UnitRunner&) = delete;
  UnitRunner& operator=(const UnitRunner&) = delete;

  // Simulates the unit's replicates and writes them to `path` (under a temporary name until
  // complete). Adds to `output_seconds` the time spent writing.
  void run(const WorkUnit& unit, const std::string& path, Progress& progress, double& output_seconds);

 private:
  recovery::ArmSimulation& simulation(std::size_t arm);
  Scenario& scenario_;
  tbb::task_arena& arena_;
  bool uncertain_ = false;
  std::unique_ptr<recovery::ArmSimulation> simulation_;
  std::size_t simulated_arm_ = 0;
};

// Where a unit's rows are: a file, and the group there that holds them as an arm's group
// holds its replicates, from row 0 (`arms/<arm>` in a unit file, `units/unit-<arm>-<first
// replicate>` in a shard's part).
struct UnitSource {
  std::string path;
  WorkUnit unit;
  std::string group;  // empty: arms/<the unit's arm>
};

// Writes the results file `output_path` from units already on disk. For the whole run (every
// unit of the scenario) it is a complete results file (drawn parameters, summaries,
// comparisons); for a shard it is the shard's part, to be merged, even if that shard happens
// to hold every unit: its units' groups copied as they are under `units/`, so that a part is
// the size of its own work. `scenario_yaml` is stored as the file's scenario.
// `extra`, if given, writes more groups into a complete file before it is committed.
// Adds the time spent to result.output_seconds and result.analysis_seconds.
void assemble_results(Scenario& scenario, const std::string& scenario_yaml, const std::vector<UnitSource>& sources,
                      const std::string& output_path, const Shard& shard, RunResult& result,
                      const std::function<void(h5::Group&)>& extra = {});

// The name of a unit's group under /units in a shard's part: unit-<arm index>-<first replicate>.
std::string part_unit_name(const WorkUnit& unit);

// The sources of a run's units in its staging directory.
std::vector<UnitSource> staged_sources(const UnitStore& store, const std::vector<WorkUnit>& plan,
                                       const std::vector<std::size_t>& units);

}  // namespace recoverysim
