// What the commands share: opening a results file, refusing to overwrite, the constraints.
#include "commands.hpp"

#include "errors.hpp"
#include "safe_files.hpp"

#include <tbb/info.h>

#include <cstdio>
#include <filesystem>

namespace recoverysim::cli {

void refuse_to_overwrite(const std::string& path, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // Where the file is written before it is renamed into place.
  check_way_for_file(path + ".partial", path);
  const auto status = fs::symlink_status(path, ec);
  if (!fs::exists(status)) {
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty() && fs::exists(parent, ec) && !fs::is_directory(parent, ec))
      throw InputError({path, 0, 0}, parent.string() + " is not a directory: choose another -o");
    return;
  }
  // Checked now, not when the file is renamed into place after the whole run.
  if (fs::is_directory(status))
    throw InputError({path, 0, 0}, "is a directory: -o names the results file (e.g. " +
                                       (fs::path(path) / "results.h5").string() + ")");
  if (!force) throw InputError({path, 0, 0}, "exists: choose another -o, or add --force to replace it");
}

std::unique_ptr<OpenedResults> open_results(const std::string& path) {
  return recoverysim::open_results(path, ResultsKind::whole);
}

void print_scenario_warnings(const Scenario& scenario) {
  for (const auto& w : scenario.warnings())
    std::fprintf(stderr, "recoverysim: warning: %s: %s\n", w.where.to_string().c_str(), w.message.c_str());
}

void echo_overrides(const Scenario& scenario, const std::vector<std::string>& typed) {
  for (const auto& note : scenario.overrides_applied())
    for (const auto& t : typed)
      if (note.rfind("--set " + t + ": ", 0) == 0) {
        std::fprintf(stderr, "recoverysim: %s\n", note.c_str());
        break;
      }
}

void echo_parameter_sets(const Scenario& scenario) {
  const ParameterSets* sets = scenario.parameter_sets();
  if (!sets) return;
  std::fprintf(stderr,
               "recoverysim: each replicate runs with one of the %zu posterior parameter sets of %s (%s), the same "
               "in every arm: %s\n",
               sets->sets.size(), sets->name.c_str(), sets->origin().c_str(), join_names(sets->paths).c_str());
}

void warn_if_more_threads_than_cores(int threads) {
  const int cores = tbb::info::default_concurrency();
  if (threads > cores)
    std::fprintf(stderr,
                 "recoverysim: warning: --threads %d is more than the %d core(s) this process may use: the "
                 "extra threads take turns on the same cores and slow the run down\n",
                 threads, cores);
}

void add_constraint_options(CLI::App& app, Constraints& constraints) {
  app.add_option("--wtp", constraints.wtp,
                 "Willingness to pay per unit of analysis.effect (default: the scenario's analysis.willingness_to_pay)")
      ->check(CLI::Range(0.0, 1e12));
  app.add_option("--budget-per-year", constraints.budget_per_year,
                 "Most the programme may spend on staff a year (the mean over the horizon, undiscounted)")
      ->check(CLI::Range(0.0, 1e15));
  auto* max_wait = app.add_option("--max-wait-days", constraints.max_wait_days,
                                  "Longest acceptable wait for a place, at --wait-quantile of people")
                       ->check(CLI::Range(0.0, 1e6));
  app.add_option("--wait-quantile", constraints.wait_quantile,
                 "The share of people the wait limit covers (default 0.9)")
      ->check(CLI::Range(0.01, 1.0))
      ->needs(max_wait);
  app.add_option("--confidence", constraints.confidence,
                 "A requirement holds when it holds in at least this share of replicates (default 0.8)")
      ->check(CLI::Range(0.5, 1.0));
}

}  // namespace recoverysim::cli
