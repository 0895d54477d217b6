// `recoverysim calibrate`: the options, the calibration (run/calibration.hpp) and its fit table.
#include "commands.hpp"

#include "errors.hpp"
#include "interrupt.hpp"
#include "progress.hpp"
#include "run/calibration.hpp"
#if RECOVERYSIM_HAVE_MPI
#include "run/mpi_run.hpp"
#endif

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace recoverysim::cli {

void add_calibrate_options(CLI::App& app, CalibrateCommand& cmd) {
  auto* file = app.add_option("calibration", cmd.file, "Calibration file (YAML): targets, parameters, method");
  auto* report = app.add_option("--report", cmd.report,
                                "Write the HTML report of a finished fit (fit.h5) to -o, instead of calibrating");
  file->excludes(report);
  app.add_option("-o,--output", cmd.output, "The fit (HDF5), or with --report the page (HTML)")->required();
  app.add_option("--threads", cmd.options.threads, "Worker threads (default: all cores)")->check(CLI::Range(1, 1024));
  app.add_flag("-q,--quiet", cmd.quiet, "No progress bar; print only the fit table");
  app.add_flag("--force", cmd.force, "Replace an existing output file (once the new one is complete)");
  app.add_flag("--resume", cmd.options.resume, "Continue an interrupted calibration of the same file and output");
}

namespace {

std::string cell(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", x);
  return text;
}

}  // namespace

// The fit table: each target's observed value, the best set's and the posterior's figures, and
// its implausibility at the best set.
void print_fit(std::ostream& out, const Calibration& c, const CalibrationResult& r) {
  std::int64_t kept = 0;
  for (const auto& e : r.evaluations) kept += e.not_ruled_out ? 1 : 0;
  out << c.name << ": " << r.evaluations.size() << " parameter sets in " << c.method.waves
      << " wave(s) of history matching and " << c.method.posterior_waves << " around the posterior, " << r.replicates
      << " replicate(s) each; not ruled out per wave:";
  for (const auto n : r.not_ruled_out_per_wave) out << " " << n;
  out << "; posterior effective sample size " << cell(r.effective_sample_size) << "\n\n";
  if (kept == 0) {
    out << "No parameter set is left that is not ruled out: every set misses some target by more than the cutoff "
           "(implausibility "
        << cell(c.method.cutoff) << "). The least implausible set is shown; see its largest implausibilities.\n\n";
  } else if (r.posterior.empty()) {
    out << "No posterior: every set's likelihood is zero (a target the model cannot give). The least implausible "
           "set is shown.\n\n";
  } else if (r.best < 0) {
    out << kept << " sets are not ruled out, but none is among the posterior's samples: the likelihood (every "
        << "fitted target, with its weight) favours sets that miss some target by more than the cutoff. The least "
           "implausible set is shown.\n\n";
  }
  const Evaluation* best = r.best >= 0 ? &r.evaluations[static_cast<std::size_t>(r.best)] : nullptr;
  if (!best) {
    std::size_t least = 0;
    for (std::size_t i = 1; i < r.evaluations.size(); ++i)
      if (r.evaluations[i].max_implausibility < r.evaluations[least].max_implausibility) least = i;
    best = &r.evaluations[least];
  }
  const std::string shown = r.best >= 0 ? "best set" : "least implausible set";
  std::size_t width = 9;  // "parameter"
  for (const auto& p : c.parameters) width = std::max(width, p.path.size());
  const auto padded = [](std::string text, std::size_t to) {
    return text.append(to > text.size() ? to - text.size() : 0, ' ');
  };
  out << padded("parameter", width + 2) << padded(shown, 22) << "posterior 5% to 95%\n";
  for (std::size_t p = 0; p < c.parameters.size(); ++p) {
    std::vector<double> x;
    for (const auto i : r.posterior) x.push_back(r.evaluations[i].values[p]);
    std::sort(x.begin(), x.end());
    const auto at = [&](double q) {
      return x.empty() ? std::nan("") : x[static_cast<std::size_t>(q * static_cast<double>(x.size() - 1))];
    };
    out << padded(c.parameters[p].path, width + 2) << padded(cell(best->values[p]), 22) << cell(at(0.05)) << " to "
        << cell(at(0.95)) << "\n";
  }
  out << "\ntarget              observed             tolerance        " << padded(shown, 11) << "implausibility\n";
  for (std::size_t k = 0; k < c.targets.size(); ++k) {
    const CalibrationTarget& t = c.targets[k];
    const bool band = std::isfinite(t.tolerance_low);
    const bool inside = band && best->mean[k] >= t.tolerance_low && best->mean[k] <= t.tolerance_high;
    char line[240];
    std::snprintf(line, sizeof line, "%-18s  %-20s %-16s %-10s %-6s%s%s\n", t.id.c_str(), t.observed_text.c_str(),
                  band ? (cell(t.tolerance_low) + " to " + cell(t.tolerance_high)).c_str() : "-",
                  cell(best->mean[k]).c_str(), cell(best->implausibility[k]).c_str(),
                  band ? (inside ? "  inside" : "  outside") : "", t.held_out ? "  (held out)" : "");
    out << line;
  }
}

namespace {

// The report is written by scripts/fit_report.py (matplotlib draws its figures): installed
// beside the other scripts, or in the source tree of a build.
int write_report(const CalibrateCommand& cmd) {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::vector<std::filesystem::path> candidates;
  if (!ec)
    candidates.push_back(exe.parent_path().parent_path() / "share" / "recoverysim" / "scripts" / "fit_report.py");
  candidates.emplace_back(std::filesystem::path(RECOVERYSIM_SOURCE_DIR) / "scripts" / "fit_report.py");
  for (const auto& script : candidates) {
    if (!std::filesystem::is_regular_file(script, ec)) continue;
    refuse_to_overwrite(cmd.output, cmd.force);
    const std::vector<std::string> args = {"/usr/bin/python3", script.string(), cmd.report, "-o", cmd.output};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::fflush(nullptr);
    execv(argv[0], argv.data());
    throw std::runtime_error(std::string("cannot start /usr/bin/python3: ") + std::strerror(errno));
  }
  throw std::runtime_error("scripts/fit_report.py is not installed beside recoverysim (looked in " +
                           candidates.front().string() + ")");
}

}  // namespace

int calibrate_command(CalibrateCommand& cmd) {
  if (!cmd.report.empty()) return write_report(cmd);
  if (cmd.file.empty()) throw InputError({"calibrate", 0, 0}, "name a calibration file, or --report FIT.h5");
  const Calibration calibration = read_calibration(cmd.file);
  warn_if_more_threads_than_cores(cmd.options.threads);
  refuse_to_overwrite(cmd.output, cmd.force || cmd.options.resume);
  cmd.options.output_path = cmd.output;
  cmd.options.show_progress = !cmd.quiet;
  stop_on_signals();
#if RECOVERYSIM_HAVE_MPI
  if (cmd.mpi) {
    const CalibrationResult result = mpi::calibrate(calibration, cmd.options, *cmd.mpi);
    if (cmd.mpi->rank() != 0) return 0;
    print_fit(std::cout, calibration, result);
    return 0;
  }
#endif
  const CalibrationResult result = calibrate(calibration, cmd.options);
  print_fit(std::cout, calibration, result);
  std::cout.flush();
  if (!cmd.quiet)
    std::cerr << calibration.name << ": " << result.evaluations.size() << " evaluations (" << result.resumed
              << " resumed) in " << format_duration(result.seconds) << ", "
              << format_rate(static_cast<double>(result.agent_days) / std::max(result.seconds, 1e-9))
              << " agent-days/s -> " << cmd.output << "\n";
  return 0;
}

}  // namespace recoverysim::cli
