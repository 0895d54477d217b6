// `recoverysim export` (tidy tables) and `recoverysim scenario` (the stored scenario as YAML).
#include "commands.hpp"

#include "errors.hpp"
#include "interrupt.hpp"
#include "run/export.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

namespace recoverysim::cli {

namespace {

// Writes through `write` to stdout, or to `path` under a temporary name renamed once complete:
// an interrupted or failed export never leaves a file that looks whole.
void write_output(const std::string& path, bool force, const std::function<void(std::ostream&)>& write) {
  if (path.empty() || path == "-") {
    write(std::cout);
    std::cout.flush();
    if (!std::cout) throw std::runtime_error("writing to standard output failed");
    return;
  }
  refuse_to_overwrite(path, force);
  const std::string partial = path + ".partial";
  try {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError({path, 0, 0}, "cannot be written (check the directory exists and is writable)");
    write(out);
    out.close();
    if (!out) throw std::runtime_error(path + ": writing failed (a full disk?)");
    std::filesystem::rename(partial, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    throw;
  }
}

}  // namespace

void add_export_options(CLI::App& app, ExportCommand& cmd) {
  app.add_option("file", cmd.file, "Results file (HDF5)")->required();
  app.add_option("--format", cmd.format, "csv or json (an array of records)")->check(CLI::IsMember({"csv", "json"}));
  app.add_option("--what", cmd.what,
                 "outcomes: a row per arm, replicate and quantity; daily: per arm, replicate, day and quantity; "
                 "agents: per arm, replicate and person; events: per event (output.events)")
      ->check(CLI::IsMember({"outcomes", "daily", "agents", "events"}));
  app.add_option("--arm", cmd.arms, "Only this arm (repeatable)")->allow_extra_args(false);
  app.add_option("-o,--output", cmd.output, "File to write (default: standard output)");
  app.add_flag("--force", cmd.force, "Replace an existing output file");
}

int export_command(const ExportCommand& cmd) {
  const auto opened = open_results(cmd.file);
  ExportOptions options;
  options.table = parse_export_table(cmd.what);
  options.format = cmd.format == "json" ? ExportFormat::json : ExportFormat::csv;
  options.arms = cmd.arms;
  stop_on_signals();
  std::int64_t rows = 0;
  write_output(cmd.output, cmd.force,
               [&](std::ostream& out) { rows = export_table(opened->file.root(), opened->scenario, options, out); });
  if (!cmd.output.empty() && cmd.output != "-")
    std::fprintf(stderr, "%lld rows of %s -> %s\n", static_cast<long long>(rows), cmd.what.c_str(), cmd.output.c_str());
  return 0;
}

void add_scenario_options(CLI::App& app, ScenarioCommand& cmd) {
  app.add_option("file", cmd.file, "Results file (HDF5)")->required();
  app.add_option("-o,--output", cmd.output, "YAML file to write (default: standard output)");
  app.add_flag("--force", cmd.force, "Replace an existing output file");
}

int scenario_command(const ScenarioCommand& cmd) {
  const auto opened = open_results(cmd.file);
  const std::string yaml = opened->file.root().string_attribute("scenario_yaml");
  write_output(cmd.output, cmd.force, [&](std::ostream& out) {
    out << "# The resolved scenario of " << std::filesystem::path(cmd.file).filename().string()
        << ": `recoverysim run` on this file runs the same simulation.\n"
        << yaml;
  });
  return 0;
}

}  // namespace recoverysim::cli
