// Running a scenario: every replicate of every arm, day by day, into one results file.
#pragma once

#include "analysis.hpp"
#include "scenario.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace recoverysim {

struct RunOptions {
  std::string output_path;    // final name of the results file
  int threads = 0;            // 0: all cores
  bool show_progress = true;  // progress bar on stderr (only drawn on a terminal)
};

struct ArmResult {
  std::string name;
  std::vector<std::string> outcome_names;
  std::vector<std::vector<double>> outcomes;  // [replicate][outcome]
};

struct RunResult {
  std::string output_path;
  double seconds = 0.0;
  double output_seconds = 0.0;  // of which spent writing the results file
  double analysis_seconds = 0.0;  // after the run: summaries and comparisons, stored in the file
  std::int64_t agent_days = 0;
  std::vector<ArmResult> arms;
  Analysis analysis;  // as stored in the file
};

// Runs every replicate of every arm, then analyses and stores the results. The scenario's
// uncertain parameters take each replicate's draws in turn.
RunResult run_scenario(Scenario& scenario, const RunOptions& options);

}  // namespace recoverysim
