// `recoverysim search`: the options, the search (run/search.hpp) and what it prints.
#include "commands.hpp"

#include "errors.hpp"
#include "interrupt.hpp"
#include "run/search.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

namespace recoverysim::cli {

namespace {
// 14, 0.9, 40000: as a person would type it.
std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", x);
  return text;
}
}  // namespace

void add_search_options(CLI::App& app, SearchCommand& cmd) {
  app.add_option("scenario", cmd.scenario, "Scenario YAML file (with a reference arm and the arm to vary)")->required();
  app.add_option("--over", cmd.options.path,
                 "The integer key to vary: <intervention type>.<key>, e.g. peer_mentor.mentors")
      ->required();
  app.add_option("--range", cmd.range, "The levels to search, LOW:HIGH (inclusive), e.g. 0:300")->required();
  app.add_option("--arm", cmd.options.arm,
                 "The arm whose key is varied (default: the only arm with that intervention)");
  add_constraint_options(app, cmd.options.constraints);
  app.add_option("--max-replicates", cmd.options.max_replicates,
                 "Most replicates per level when a decision is close (default: 4 times the scenario's)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000}));
  app.add_option("-o,--output", cmd.output,
                 "Results file of every level evaluated (default: the scenario's output.file)");
  app.add_option("--threads", cmd.options.run.threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--set", cmd.overrides, "Override a key of the scenario (repeatable)")->allow_extra_args(false);
  app.add_option("--parameter-sets", cmd.options.parameter_sets,
                 "A calibration's fit.h5: each replicate runs with one of its posterior parameter sets (as for run)");
  app.add_flag("-q,--quiet", cmd.quiet, "Print only the answer");
  app.add_flag("--force", cmd.force, "Replace an existing output file (once the new one is complete)");
  app.add_flag("--resume", cmd.options.run.resume, "Continue an interrupted search of the same scenario and output");
}

int search_command(SearchCommand& cmd) {
  const auto colon = cmd.range.find(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    std::size_t used = 0;
    cmd.options.low = std::stoll(cmd.range.substr(0, colon), &used);
    if (used != colon) throw std::invalid_argument("trailing");
    cmd.options.high = std::stoll(cmd.range.substr(colon + 1), &used);
    if (used != cmd.range.size() - colon - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw InputError({"--range " + cmd.range, 0, 0}, "expected LOW:HIGH, two integers, e.g. 0:300");
  }
  SearchOptions& options = cmd.options;
  std::string effect_unit;
  {
    Scenario scenario;
    scenario.load(cmd.scenario, cmd.overrides);
    if (!options.parameter_sets.empty()) scenario.use_parameter_sets(read_parameter_sets(options.parameter_sets));
    print_scenario_warnings(scenario);
    if (!cmd.quiet) echo_overrides(scenario, cmd.overrides);
    if (!cmd.quiet) echo_parameter_sets(scenario);
    if (cmd.output.empty()) cmd.output = scenario.run.output_file;
    effect_unit = effect_measure(scenario.analysis.effect).unit;
  }
  warn_if_more_threads_than_cores(cmd.options.run.threads);
  options.run.output_path = cmd.output;
  options.run.show_progress = !cmd.quiet;
  refuse_to_overwrite(cmd.output, cmd.force || options.run.resume);
  stop_on_signals();
  const SearchResult result = search(cmd.scenario, cmd.overrides, options);

  const Constraints& c = options.constraints;
  std::string what;
  if (std::isfinite(c.max_wait_days))
    what = "the smallest " + options.path + " whose " +
           std::to_string(static_cast<int>(std::lround(100 * c.wait_quantile))) + "th-percentile wait is at most " +
           number(c.max_wait_days) + " days";
  if (std::isfinite(c.budget_per_year))
    what += std::string(what.empty() ? "the smallest " + options.path : "") + " within a budget of " +
            number(c.budget_per_year) + " a year";
  if (!std::isnan(c.wtp))
    what = "the " + options.path + " with the highest net benefit at " + number(c.wtp) + " per " + effect_unit +
           (what.empty() ? "" : ", among the levels that meet the requirements");
  std::set<std::int64_t> levels;
  for (const auto& e : result.evaluations) levels.insert(e.level);
  std::printf("search %s over %lld:%lld: %zu levels evaluated, %lld replicates each, %.3g agent-days in %.1f s\n",
              options.path.c_str(), static_cast<long long>(options.low), static_cast<long long>(options.high),
              levels.size(), static_cast<long long>(result.replicates), static_cast<double>(result.agent_days),
              result.run.seconds);
  if (result.answer >= 0)
    std::printf("answer: %s = %lld (%s, in at least %.0f%% of replicates)\n", options.path.c_str(),
                static_cast<long long>(result.answer), what.c_str(), 100 * c.confidence);
  else
    std::printf("answer: no level in %lld:%lld meets the requirements (%s)\n", static_cast<long long>(options.low),
                static_cast<long long>(options.high), what.c_str());
  for (const auto& note : result.notes) std::printf("  - %s\n", note.c_str());
  std::printf("every level evaluated is in %s: recoverysim recommend %s", cmd.output.c_str(), cmd.output.c_str());
  if (!std::isnan(c.wtp)) std::printf(" --wtp %s", number(c.wtp).c_str());
  if (std::isfinite(c.max_wait_days))
    std::printf(" --max-wait-days %s --wait-quantile %s", number(c.max_wait_days).c_str(),
                number(c.wait_quantile).c_str());
  if (std::isfinite(c.budget_per_year)) std::printf(" --budget-per-year %s", number(c.budget_per_year).c_str());
  std::printf("\n");
  return 0;
}

}  // namespace recoverysim::cli
