// The results file: the HDF5 layout documented in docs/output.md, written under a temporary
// name (FILE.partial) and renamed to its final name only when every dataset is complete.
#pragma once

#include "h5.hpp"
#include "models/recovery/intervention.hpp"
#include "models/recovery/kernel.hpp"
#include "models/recovery/observation.hpp"
#include "models/recovery/population.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace recoverysim {

// 2: summaries, comparisons, sweeps, drawn parameters; 3: /tasks/complete, shard parts;
// 4: outcome definitions and their count tables, competing-risk estimands, outcomes by
// admission period, per-person waits, the event record; 5: units and descriptions of every
// dataset; 6: a shard's part holds only its own units, under /units; 7: model version 2's age,
// sex and causes of death (docs/output.md, change log)
inline constexpr std::int64_t format_version = 9;

// The core's per-agent columns (/arms/<arm>/agents/<name>), in the order they are written.
std::vector<std::string> core_agent_column_names();

struct ResultsHeader {
  std::string scenario_name;
  std::string scenario_yaml;  // the resolved scenario
  std::int64_t seed = 0;
  std::int64_t replicates = 0;
  std::int64_t days = 0;
  std::int64_t agents = 0;
  bool trajectories = false;
};

class ResultsFile {
 public:
  // Creates FILE.partial (and the parent directory if needed).
  ResultsFile(std::string final_path, ResultsHeader header);
  // Removes the partial file unless commit() succeeded.
  ~ResultsFile();
  ResultsFile(const ResultsFile&) = delete;
  ResultsFile& operator=(const ResultsFile&) = delete;

  // Creates the datasets of one arm and returns its index for the write_* calls.
  struct ModuleOutput {
    std::string type;
    std::vector<recovery::Metric> metrics;
  };
  // A swept arm records its family (`sweep_base`) and point (`sweep_paths`, `sweep_values`);
  // `observed` says which outcomes it counts (tables, per-replicate outcomes, events).
  struct ArmInfo {
    std::string name;
    std::string sweep_base;
    std::vector<std::pair<std::string, std::string>> sweep_point;
    recovery::ObservationPlan observed;
    std::vector<std::string> setting_names;  // the arm's settings table: the labels of `setting`
  };
  std::size_t add_arm(const ArmInfo& arm, const std::vector<ModuleOutput>& modules);
  void write_day_counts(std::size_t arm, std::int64_t replicate, const std::vector<recovery::DayCounts>& per_day);
  void write_agents(std::size_t arm, std::int64_t replicate, const recovery::Population& pop);
  // Values in the order of recovery::replicate_outcome_names(the arm's plan). These and the
  // counts below are kept in memory and written at commit(), whole.
  void write_outcomes(std::size_t arm, std::int64_t replicate, const std::vector<double>& values);
  // One replicate's outcome counts (the order of the plan's definitions), as
  // /arms/<arm>/tables/<definition>/{event_table, counts}.
  void write_outcome_counts(std::size_t arm, std::int64_t replicate,
                            const std::vector<recovery::OutcomeCounts>& counts);
  // One replicate's event record, appended to /arms/<arm>/events, its rows marked with the
  // run's replicate number (not the row of a unit file); replicates in order.
  void write_events(std::size_t arm, std::int64_t replicate_number, const std::vector<recovery::RecordedEvent>& events);
  // A module's daily metrics for one replicate: values[day * metrics + j].
  void write_module_metrics(std::size_t arm, std::size_t module, std::int64_t replicate,
                            const std::vector<double>& values);
  void write_module_agents(std::size_t arm, std::size_t module, std::int64_t replicate,
                           const std::vector<recovery::AgentColumn>& columns);
  // Trajectory block: states of every agent for days [first_day, first_day + block_days),
  // laid out agent-major with the given stride.
  void write_trajectory_block(std::size_t arm, std::int64_t replicate, std::int64_t first_day, std::int64_t block_days,
                              const std::vector<std::uint8_t>& block, std::size_t stride);

  // Parameters drawn per replicate: /uncertain_parameters/<path>, values[replicate][parameter],
  // each with the unit of its key.
  void write_uncertain_parameters(const std::vector<std::string>& paths, const std::vector<std::string>& distributions,
                                  const std::vector<std::string>& units,
                                  const std::vector<std::vector<double>>& values);

  // Copies rows [source_row, source_row + rows) of every dataset under `source_arm` (an arm's
  // group in another results file, with the same layout) into rows from `row` of arm `arm`.
  // The event record is not copied here (copy_arm_events).
  void copy_arm_rows(const h5::Group& source_arm, std::size_t arm, std::int64_t source_row, std::int64_t row,
                     std::int64_t rows);
  // Appends the events of replicates [first_replicate, first_replicate + replicates) from
  // `source_arm`; call it for an arm's units in the order of their replicates.
  void copy_arm_events(const h5::Group& source_arm, std::size_t arm, std::int64_t first_replicate,
                       std::int64_t replicates);

  // Which tasks this file holds: /tasks/complete[arm][replicate] is 1 for each, with the arm
  // names as its `arms` attribute.
  void record_complete(const std::vector<std::string>& arm_names, const std::vector<std::uint8_t>& complete);

  // The file as written so far (for the analysis that completes it).
  h5::Group& root() { return file_.root(); }

  // Closes the file, makes it durable and renames it to its final name. With `checksum_path`,
  // first stores the file's checksum there (see UnitStore), also durably.
  void commit(const std::string& checksum_path = {});
  const std::string& final_path() const { return final_path_; }
  const std::string& partial_path() const { return partial_path_; }

 private:
  struct ArmDatasets;
  void add_tables(ArmDatasets& arm, const recovery::ObservationPlan& plan);
  void add_events(ArmDatasets& arm, const recovery::ObservationPlan& plan);
  void flush_rows();
  std::string final_path_;
  std::string partial_path_;
  ResultsHeader header_;
  h5::File file_;
  std::vector<std::unique_ptr<ArmDatasets>> arms_;
  bool committed_ = false;
};

}  // namespace recoverysim
