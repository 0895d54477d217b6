// The commands of `recoverysim` that live outside main.cpp, and what they share with it.
#pragma once

#include "h5.hpp"
#include "run/calibration.hpp"
#include "run/decision.hpp"
#include "run/results_reader.hpp"
#include "run/scenario.hpp"
#include "run/search.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace recoverysim::mpi {
class Session;
}

namespace recoverysim::cli {

// An existing file is replaced only with --force (and only once the new one is complete).
void refuse_to_overwrite(const std::string& path, bool force);

// A results file opened for reading and checked (run/results_reader.hpp), with its scenario.
std::unique_ptr<OpenedResults> open_results(const std::string& path);

// Prints each --set the user typed (`typed`) with what it changed (stderr).
// The deprecated names a scenario used (one line each on stderr, even with -q).
void print_scenario_warnings(const Scenario& scenario);
void echo_overrides(const Scenario& scenario, const std::vector<std::string>& typed);
// Says which calibration's posterior sets the replicates run with, if any (stderr).
void echo_parameter_sets(const Scenario& scenario);
// A warning (stderr) when more threads are asked for than the process has cores.
void warn_if_more_threads_than_cores(int threads);

// --wtp, --budget-per-year, --max-wait-days, --wait-quantile, --confidence.
void add_constraint_options(CLI::App& app, Constraints& constraints);

struct SearchCommand {
  std::string scenario;
  std::string range;  // LOW:HIGH
  std::string output;
  std::vector<std::string> overrides;
  bool quiet = false;
  bool force = false;
  SearchOptions options;
};
void add_search_options(CLI::App& app, SearchCommand& cmd);
int search_command(SearchCommand& cmd);

struct ExportCommand {
  std::string file;
  std::string format = "csv";
  std::string what = "outcomes";
  std::vector<std::string> arms;
  std::string output;
  bool force = false;
};
void add_export_options(CLI::App& app, ExportCommand& cmd);
int export_command(const ExportCommand& cmd);

struct ScenarioCommand {
  std::string file;
  std::string output;
  bool force = false;
};
void add_scenario_options(CLI::App& app, ScenarioCommand& cmd);
int scenario_command(const ScenarioCommand& cmd);

struct CalibrateCommand {
  std::string file;
  std::string report;  // --report FIT.h5
  std::string output;
  bool quiet = false;
  bool force = false;
  CalibrateOptions options;
  const mpi::Session* mpi = nullptr;  // under an MPI launcher
};
void add_calibrate_options(CLI::App& app, CalibrateCommand& cmd);
int calibrate_command(CalibrateCommand& cmd);
// The fit table of a calibration (stdout of `calibrate`).
void print_fit(std::ostream& out, const Calibration& calibration, const CalibrationResult& result);

}  // namespace recoverysim::cli
