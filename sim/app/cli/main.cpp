// The `recoverysim` command line: run, merge, validate, schema, summarize, compare, recommend, search,
// export, scenario.
// Exit codes: 0 success, 1 failure while running (I/O, HDF5), 2 bad input (scenario, options).
#include "build_info.hpp"
#include "errors.hpp"
#include "h5.hpp"
#include "interrupt.hpp"
#include "kernels.hpp"
#include "progress.hpp"
#include "run/merge.hpp"
#if RECOVERYSIM_HAVE_MPI
#include "run/mpi_run.hpp"

#include <mpi.h>
#endif
#include "commands.hpp"
#include "models/registry.hpp"
#include "run/decision.hpp"
#include "run/parameter_sets.hpp"
#include "run/runner.hpp"
#include "run/scenario.hpp"
#include "tables.hpp"
#include "version.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

namespace {

using namespace recoverysim;
using cli::open_results;
using cli::refuse_to_overwrite;

constexpr int exit_input_error = 2;
constexpr int exit_run_error = 1;

struct RunCommand {
  std::string scenario;
  std::string output;
  int threads = 0;
  std::int64_t replicates = 0;
  std::int64_t seed = -1;
  std::vector<std::string> overrides;
  std::string parameter_sets;  // a calibration's fit.h5: each replicate runs with one of its posterior sets
  bool quiet = false;
  bool resume = false;
  bool force = false;
  std::string shard;
};

// The output of the run under way, for the message when it is interrupted.
std::string run_output;

// Exit codes of a run stopped by a signal, as a shell reports them.
int exit_code_of(const Interrupted& e) { return 128 + e.signal(); }

void print_run_summary(const RunResult& result) {
  std::fflush(stdout);
  std::cout << "\n";
  cli::print_summary(std::cout, result.analysis, result.scenario_name, cli::Format::table, {});
  if (result.analysis.arms.size() > 1)
    std::cout << "\nPaired comparisons and cost-effectiveness: recoverysim compare " << result.output_path << "\n";
}

// The MPI session of `run` under an MPI launcher; null otherwise.
#if RECOVERYSIM_HAVE_MPI
std::unique_ptr<mpi::Session> mpi_session;
#endif
// Ranks other than 0 leave messages about the scenario (the same on every rank) to rank 0.
bool print_input_errors = true;

int report_run(const Scenario& scenario, const RunOptions& options, const RunResult& result);

int run_command(const RunCommand& cmd) {
  Scenario scenario;
  std::vector<std::string> overrides = cmd.overrides;
  if (cmd.replicates > 0) overrides.push_back("replicates=" + std::to_string(cmd.replicates));
  if (cmd.seed >= 0) overrides.push_back("seed=" + std::to_string(cmd.seed));
  scenario.load(cmd.scenario, overrides);
  if (!cmd.parameter_sets.empty()) scenario.use_parameter_sets(read_parameter_sets(cmd.parameter_sets));
  if (print_input_errors) cli::print_scenario_warnings(scenario);
  if (!cmd.quiet && print_input_errors) cli::echo_overrides(scenario, cmd.overrides);
  if (!cmd.quiet && print_input_errors) cli::echo_parameter_sets(scenario);
  if (print_input_errors) cli::warn_if_more_threads_than_cores(cmd.threads);

  RunOptions options;
  options.output_path = cmd.output.empty() ? scenario.run.output_file : cmd.output;
  options.threads = cmd.threads;
  options.show_progress = !cmd.quiet;
  options.resume = cmd.resume;
  if (!cmd.shard.empty()) options.shard = parse_shard(cmd.shard);
  std::error_code ec;
  if (cmd.resume && !cmd.force && std::filesystem::exists(options.output_path, ec)) {
    // A job restarted after it had finished: nothing is left to do if the file is this run's.
    const std::string identity = scenario.identity_yaml();
    const bool part = !options.shard.whole();
    bool same = false;
    try {
      const auto file = h5::File::open_read_only(options.output_path);
      const auto& root = file.root();
      Scenario stored;
      if (root.has_attribute("scenario_yaml"))
        stored.load_text(root.string_attribute("scenario_yaml"), options.output_path + ":/scenario_yaml");
      same = root.has_attribute("scenario_yaml") && stored.identity_yaml() == identity &&
             (part ? root.has_attribute("shard") && root.string_attribute("shard") == options.shard.to_string()
                   : !root.has_attribute("shard"));
    } catch (const h5::Error&) {
    } catch (const InputError&) {  // a file of another version or scenario: not this run's
    }
    if (same) {
      // Stopped after the file was in place but before its staging directory was removed.
      const std::string staging = UnitStore::directory_of(options.output_path);
      if (std::filesystem::exists(staging, ec)) {
        try {
          StagingLock lock = StagingLock::claim(staging, options.output_path);
          std::filesystem::remove_all(staging, ec);
        } catch (const InputError&) {  // a process of the run is still ending: leave it be
        }
      }
      std::printf("%s is already complete for this scenario: nothing to resume\n", options.output_path.c_str());
      return 0;
    }
  }
  refuse_to_overwrite(options.output_path, cmd.force);
  run_output = options.output_path;
  stop_on_signals();
#if RECOVERYSIM_HAVE_MPI
  if (mpi_session) {
    const RunResult result = mpi::run_scenario(scenario, options, *mpi_session);
    if (mpi_session->rank() != 0) return 0;
    return report_run(scenario, options, result);
  }
#endif
  return report_run(scenario, options, run_scenario(scenario, options));
}

int report_run(const Scenario& scenario, const RunOptions& options, const RunResult& result) {
  const auto& run = scenario.run;
  const double rate = result.seconds > 0 ? static_cast<double>(result.agent_days) / result.seconds : 0.0;
  std::printf(
      "%s: %zu arm(s) x %lld replicates x %lld agents x %lld days in %.2f s (%s agent-days/s)\n"
      "  writing output %.2f s, then summaries %.2f s -> %s\n",
      run.name.c_str(), result.arm_names.size(), static_cast<long long>(run.replicates),
      static_cast<long long>(scenario.model.population.size), static_cast<long long>(run.days), result.seconds,
      format_rate(rate).c_str(), result.output_seconds, result.analysis_seconds, result.output_path.c_str());
  if (result.resumed_units > 0 || !result.discarded_units.empty())
    std::printf("resumed: %zu of %zu work units were already finished\n", result.resumed_units, result.units);
  for (const auto& why : result.discarded_units)
    std::printf("resumed: a finished unit was damaged and was run again: %s\n", why.c_str());
  if (!options.shard.whole()) {
    std::printf("shard %s: %zu work unit(s); merge every part when all are done: recoverysim merge PARTS... -o FILE\n",
                options.shard.to_string().c_str(), result.units);
    return 0;
  }
  print_run_summary(result);
  return 0;
}

}  // namespace

// --version: the version, the kernel in use and those this CPU runs, and the build.
std::string version_text() {
  std::string supported;
  for (const Kernel k : supported_kernels()) supported += (supported.empty() ? "" : ", ") + std::string(kernel_name(k));
  return std::string("recoverysim ") + software_version + "\nkernel: " + kernel_name(kernel_in_use()) +
         " (this CPU runs: " + supported + ")\nbuild: " + build_fingerprint();
}

int run_cli(int argc, char** argv) {
  // The kernel is chosen first, once: a kernel asked for that this CPU lacks is refused here.
  try {
    kernel_in_use();
  } catch (const KernelError& e) {
    std::fprintf(stderr, "recoverysim: error: %s\n", e.what());
    return exit_input_error;
  }
  CLI::App app{"recoverysim: agent-based simulation of recovery from substance use disorders"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);

  RunCommand run;
  auto* run_cmd = app.add_subcommand("run", "Run a scenario and write its results file (HDF5)");
  run_cmd->add_option("scenario", run.scenario, "Scenario YAML file")->required();
  run_cmd->add_option("-o,--output", run.output, "Results file (default: the scenario's output.file)");
  run_cmd->add_option("--threads", run.threads, "Worker threads (default: all cores)")->check(CLI::Range(1, 1024));
  run_cmd->add_option("--replicates", run.replicates, "Override the scenario's replicates")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
  run_cmd->add_option("--seed", run.seed, "Override the scenario's seed")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{4294967295LL}));
  run_cmd->add_option("--set", run.overrides, "Override a key: --set population.size=50000 (repeatable)")
      ->allow_extra_args(false);
  run_cmd->add_option("--parameter-sets", run.parameter_sets,
                      "A calibration's fit.h5: each replicate runs with one of its posterior parameter sets, the "
                      "same in every arm");
  run_cmd->add_flag("-q,--quiet", run.quiet, "No progress bar");
  run_cmd->add_flag("--force", run.force, "Replace an existing output file (once the new one is complete)");
  run_cmd->add_flag("--resume", run.resume,
                    "Continue an interrupted run of the same scenario and output, skipping its finished work");
  run_cmd->add_option("--shard", run.shard,
                      "Run only the I-th of N balanced shards of the tasks (I/N, e.g. 3/8), for job arrays; "
                      "the output is a part for `recoverysim merge`");

  std::vector<std::string> merge_parts_given;
  std::string merge_output;
  bool merge_force = false;
  auto* merge_cmd =
      app.add_subcommand("merge", "Merge the parts of a sharded run (run --shard I/N) into one results file");
  merge_cmd->add_option("parts", merge_parts_given, "Every part of the run (HDF5)")->required();
  merge_cmd->add_option("-o,--output", merge_output, "Results file to write")->required();
  merge_cmd->add_flag("--force", merge_force, "Replace an existing output file");

  std::string validate_file;
  std::vector<std::string> validate_overrides;
  std::string validate_parameter_sets;
  auto* validate_cmd =
      app.add_subcommand("validate", "Check a scenario and print it resolved (every key, defaults filled in)");
  validate_cmd->add_option("scenario", validate_file, "Scenario YAML file")->required();
  validate_cmd->add_option("--set", validate_overrides, "Override a key (repeatable)")->allow_extra_args(false);
  validate_cmd->add_option("--parameter-sets", validate_parameter_sets,
                           "A calibration's fit.h5, as for run (the resolved scenario then holds its sets)");

  std::string summarize_file, summarize_format = "table";
  std::vector<std::string> summarize_quantities;
  auto* summarize_cmd =
      app.add_subcommand("summarize", "Print each arm's outcomes with 95% intervals, from a results file");
  summarize_cmd->add_option("file", summarize_file, "Results file (HDF5) written by run")->required();
  summarize_cmd->add_option("--format", summarize_format, "table, csv, markdown or json")
      ->check(CLI::IsMember({"table", "csv", "markdown", "json"}));
  summarize_cmd->add_option("--quantity", summarize_quantities,
                            "Only this quantity (repeatable; e.g. relapse_by_day_180, cost_per_participant)");
  bool summarize_by_period = false;
  summarize_cmd->add_flag("--by-period", summarize_by_period,
                          "Outcomes by admission period (open cohorts): one table of arms by periods per quantity");

  std::string compare_file, compare_reference, compare_format = "table";
  auto* compare_cmd = app.add_subcommand(
      "compare",
      "Print paired differences, ratios and cost-effectiveness against a reference arm, from a results file");
  compare_cmd->add_option("file", compare_file, "Results file (HDF5) written by run")->required();
  compare_cmd->add_option("--reference", compare_reference,
                          "Reference arm (default: the scenario's analysis.reference_arm)");
  compare_cmd->add_option("--format", compare_format, "table, csv, markdown or json")
      ->check(CLI::IsMember({"table", "csv", "markdown", "json"}));

  std::string recommend_file, recommend_format = "table";
  Constraints constraints;
  auto* recommend_cmd = app.add_subcommand(
      "recommend", "The arm to choose at a willingness to pay, within a budget and a wait limit, from a results file");
  recommend_cmd->add_option("file", recommend_file, "Results file (HDF5) written by run or search")->required();
  cli::add_constraint_options(*recommend_cmd, constraints);
  recommend_cmd->add_option("--format", recommend_format, "table, markdown or json")
      ->check(CLI::IsMember({"table", "markdown", "json"}));

  cli::CalibrateCommand calibrate;
  auto* calibrate_cmd =
      app.add_subcommand("calibrate",
                         "Fit parameters to targets by history matching, then sample the posterior (fit.h5)");
  cli::add_calibrate_options(*calibrate_cmd, calibrate);

  cli::SearchCommand search;
  auto* search_cmd =
      app.add_subcommand("search",
                         "Find the level of a staffing key that meets a wait limit, a budget or the best net benefit, "
                         "running the model itself");
  cli::add_search_options(*search_cmd, search);

  cli::ExportCommand export_options;
  auto* export_cmd =
      app.add_subcommand("export",
                         "Write a results file's outcomes, daily series, people or events as a tidy CSV or JSON table");
  cli::add_export_options(*export_cmd, export_options);

  cli::ScenarioCommand scenario_options;
  auto* scenario_cmd = app.add_subcommand("scenario", "Write the scenario stored in a results file back out as YAML");
  cli::add_scenario_options(*scenario_cmd, scenario_options);

  std::string schema_format = "yaml";
  std::string schema_module;
  auto* schema_cmd = app.add_subcommand("schema", "Print every scenario key with default, range, unit and doc");
  schema_cmd->add_option("--format", schema_format, "yaml or markdown")->check(CLI::IsMember({"yaml", "markdown"}));
  schema_cmd->add_option("--module", schema_module, "Only this intervention module's keys")
      ->check(CLI::IsMember(recovery::builtin_interventions().types()));

  // A misspelt command: CLI11 would only say that a command is required.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands({})) commands.push_back(sub->get_name());
    if (std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
      const std::string hint = closest_match(argv[1], commands);
      std::fprintf(stderr, "recoverysim: error: unknown command '%s'%s; commands: %s\n", argv[1],
                   hint.empty() ? "" : (" (did you mean '" + hint + "'?)").c_str(), join_names(commands).c_str());
      return exit_input_error;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11's own messages in the form of every other error: one line, then where to look.
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::string command = "recoverysim";
    for (const CLI::App* sub : app.get_subcommands()) command += " " + sub->get_name();
    std::fprintf(stderr, "recoverysim: error: %s (%s --help lists the options)\n", message.c_str(), command.c_str());
    return exit_input_error;
  }

  try {
    if (*run_cmd) {
#if RECOVERYSIM_HAVE_MPI
      if (mpi::launched_by_mpi()) {
        mpi_session = std::make_unique<mpi::Session>(argc, argv);
        print_input_errors = mpi_session->rank() == 0;
      }
#endif
      return run_command(run);
    }
    if (*merge_cmd) {
      refuse_to_overwrite(merge_output, merge_force);
      stop_on_signals();
      const RunResult result = merge_parts(merge_parts_given, merge_output);
      std::printf("merged %zu part(s) into %s in %.2f s (copying %.2f s; summaries %.2f s)\n", merge_parts_given.size(),
                  result.output_path.c_str(), result.seconds, result.output_seconds, result.analysis_seconds);
      if (result.part_builds.size() > 1) {
        std::printf("note: the parts were written by %zu different builds (the same results by design, docs/hpc.md):\n",
                    result.part_builds.size());
        for (const auto& [build, parts] : result.part_builds) std::printf("  %zu part(s): %s\n", parts, build.c_str());
      }
      print_run_summary(result);
      return 0;
    }
    if (*validate_cmd) {
      Scenario scenario;
      scenario.load(validate_file, validate_overrides);
      if (!validate_parameter_sets.empty()) scenario.use_parameter_sets(read_parameter_sets(validate_parameter_sets));
      cli::print_scenario_warnings(scenario);
      cli::echo_overrides(scenario, validate_overrides);
      cli::echo_parameter_sets(scenario);
      std::cout << "# " << validate_file << ": valid\n" << scenario.resolved_yaml();
      return 0;
    }
    if (*summarize_cmd) {
      const auto opened = open_results(summarize_file);
      const Scenario& scenario = opened->scenario;
      const Analysis analysis = analyse_results(opened->file.root(), scenario, scenario.analysis.reference_arm);
      for (const auto& q : summarize_quantities)
        if (std::none_of(analysis.arms.begin(), analysis.arms.end(),
                         [&](const ArmAnalysis& a) { return a.find(q) >= 0; })) {
          const std::string hint = closest_match(q, analysis.arms.front().quantity_names);
          throw InputError({"--quantity " + q, 0, 0},
                           "no quantity '" + q + "'" +
                               (hint.empty() ? "; quantities: " + join_names(analysis.arms.front().quantity_names)
                                             : " (did you mean '" + hint + "'?)"));
        }
      if (summarize_by_period) {
        if (analysis.arms.front().by_period.empty())
          throw InputError({summarize_file, 0, 0},
                           "no outcomes by admission period: a closed cohort (or an intake "
                           "within one period of analysis.admission_period_days)");
        for (const auto& q : summarize_quantities)
          if (std::none_of(analysis.arms.begin(), analysis.arms.end(), [&](const ArmAnalysis& a) {
                return std::find(a.period_quantity_names.begin(), a.period_quantity_names.end(), q) !=
                       a.period_quantity_names.end();
              }))
            throw InputError({"--quantity " + q, 0, 0}, "'" + q +
                                                            "' is not an outcome reported by admission period; "
                                                            "those are the outcome definitions' quantities");
        cli::print_by_period(std::cout, analysis, scenario.run.name, cli::parse_format(summarize_format),
                             summarize_quantities);
        return 0;
      }
      cli::print_summary(std::cout, analysis, scenario.run.name, cli::parse_format(summarize_format),
                         summarize_quantities);
      return 0;
    }
    if (*compare_cmd) {
      const auto opened = open_results(compare_file);
      const Scenario& scenario = opened->scenario;
      const std::string reference = compare_reference.empty() ? scenario.analysis.reference_arm : compare_reference;
      const Analysis analysis = analyse_results(opened->file.root(), scenario, reference);
      if (analysis.comparisons.empty()) throw InputError({compare_file, 0, 0}, "only one arm: nothing to compare");
      cli::print_comparison(std::cout, analysis, decide(analysis, scenario), scenario.run.name,
                            cli::parse_format(compare_format));
      return 0;
    }
    if (*recommend_cmd) {
      const auto opened = open_results(recommend_file);
      const Scenario& scenario = opened->scenario;
      if (std::isnan(constraints.wtp)) {
        if (!(scenario.analysis.willingness_to_pay > 0))
          throw InputError({"recommend", 0, 0}, "state a willingness to pay: --wtp X (currency units per " +
                                                    effect_measure(scenario.analysis.effect).unit +
                                                    "), or analysis.willingness_to_pay in the scenario");
        constraints.wtp = scenario.analysis.willingness_to_pay;
      }
      const Analysis analysis =
          analyse_results(opened->file.root(), scenario, scenario.analysis.reference_arm, {constraints.wait_quantile});
      const Decision decision = decide(analysis, scenario, constraints.wtp);
      cli::print_recommendation(std::cout, analysis, decision, recommend(analysis, decision, constraints),
                                scenario.run.name, cli::parse_format(recommend_format));
      return 0;
    }
    if (*calibrate_cmd) {
#if RECOVERYSIM_HAVE_MPI
      if (mpi::launched_by_mpi()) {
        mpi_session = std::make_unique<mpi::Session>(argc, argv);
        print_input_errors = mpi_session->rank() == 0;
        calibrate.mpi = mpi_session.get();
        if (mpi_session->rank() != 0) calibrate.quiet = true;
      }
#endif
      return cli::calibrate_command(calibrate);
    }
    if (*search_cmd) return cli::search_command(search);
    if (*export_cmd) return cli::export_command(export_options);
    if (*scenario_cmd) return cli::scenario_command(scenario_options);
    if (*schema_cmd) {
      if (!schema_module.empty()) {
        const auto schema = module_schema(schema_module);
        std::cout << (schema_format == "markdown" ? schema->table.markdown_table() : schema->table.schema_yaml());
      } else if (schema_format == "markdown") {
        std::cout << scenario_reference_markdown();
      } else {
        std::cout << default_parameter_table().schema_yaml();
        for (const auto& type : recovery::builtin_interventions().types())
          std::cout << "# intervention " << type << "\n" << module_schema(type)->table.schema_yaml();
      }
      return 0;
    }
  } catch (const Interrupted& e) {
    if (*calibrate_cmd) {
      std::fprintf(stderr,
                   "recoverysim: %s: finished evaluations are kept in %s.partial.d; run the same command with "
                   "--resume to continue\n",
                   e.what(), calibrate.output.c_str());
      return exit_code_of(e);
    }
    if (*search_cmd) run_output = search.output;
    if ((*run_cmd || *search_cmd) && !run_output.empty())
      std::fprintf(stderr,
                   "recoverysim: %s: finished work is kept in %s; run the same command with --resume to "
                   "continue\n",
                   e.what(), UnitStore::directory_of(run_output).c_str());
    else std::fprintf(stderr, "recoverysim: %s: nothing was written\n", e.what());
    return exit_code_of(e);
  } catch (const InputError& e) {
    if (print_input_errors) std::fprintf(stderr, "recoverysim: error: %s\n", e.what());
    return exit_input_error;
  } catch (const std::exception& e) {  // h5::Error (a full disk, ...) and the unexpected
    std::fprintf(stderr, "recoverysim: error: %s\n", e.what());
    if (*search_cmd) run_output = search.output;
    const std::string staging = run_output.empty() ? std::string() : UnitStore::directory_of(run_output);
    std::error_code ignored;
    if ((*run_cmd || *search_cmd) && !staging.empty() && std::filesystem::is_directory(staging, ignored))
      std::fprintf(stderr,
                   "recoverysim: finished work is kept in %s; once the cause is fixed, run the same command "
                   "with --resume to continue\n",
                   staging.c_str());
    return exit_run_error;
  }
  return 0;
}

int main(int argc, char** argv) {
  const int code = run_cli(argc, argv);
#if RECOVERYSIM_HAVE_MPI
  // A rank that failed while running would leave the others waiting for it: stop them all.
  if (mpi_session && code == exit_run_error && mpi_session->size() > 1) MPI_Abort(MPI_COMM_WORLD, code);
  mpi_session.reset();
#endif
  return code;
}
