// `recoverysim calibrate`: fitting the model's parameters to published figures or a programme's
// own, by history matching in waves followed by sampling-importance-resampling.
//
// A calibration file names targets (a scenario, an outcome of it and the observed value with
// its uncertainty and the model's discrepancy), the parameters to fit (paths with bounds, a
// scale and a prior) and the method. Each evaluation runs every target's scenario at one
// parameter set with the same replicates' random numbers (common random numbers), so the
// comparison of two sets is not blurred by simulation noise. Evaluations are independent: they
// run side by side on threads and MPI ranks, and each finished block of them is kept in a
// staging directory, so a killed calibration resumes where it stopped and gives the same file.
// The arithmetic lives in sim/engine/analysis/history_matching.hpp; docs/calibration.md states
// the method.
#pragma once

#include "distribution.hpp"
#include "params.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace recoverysim {

enum class ParameterScale { linear, log, logit };

// A parameter to fit: a numeric key of the model (`model.lapse.base_hazard_per_day`) or of a
// module (`peer_mentor.disengage_base_hazard_per_day`: in every arm that has the module).
struct CalibrationParameter {
  std::string path;
  double min = 0.0;
  double max = 0.0;
  ParameterScale scale = ParameterScale::linear;
  // On the key's own scale, truncated to [min, max]; none: uniform on `scale` between them.
  std::optional<Distribution> prior;
  SourceLocation where;

  // The unit cube's coordinate of a value, and back: the bounds on `scale` mapped to [0, 1].
  double to_unit(double value) const;
  double from_unit(double u) const;
  // The log density of the prior at unit coordinate u (up to a constant).
  double log_prior_unit(double u) const;
};

// What the model reports for a target, per replicate: one quantity of an arm, or the ratio or
// difference of two (of two arms, or of one), its complement (1 - x) where the target counts
// the other side.
struct TargetMeasure {
  enum class Kind { quantity, ratio, difference };
  Kind kind = Kind::quantity;
  std::string quantities[2];
  std::string arms[2];  // "" for the scenario's first arm
  bool complement = false;
};

// A distinct scenario the targets are measured in: a file, keys set on it, and the outcome
// definitions the targets need added to its analysis.outcomes.
struct TargetScenario {
  std::string file;
  std::vector<std::string> overrides;  // path=value
  YAML::Node outcomes;                 // a list (possibly empty)
  std::string text;                    // the file with the outcomes added, as loaded
  bool open_cohort = false;            // keeps its own size (method.agents is for closed cohorts)
  // Per parameter, the keys an evaluation sets (the core key, or the module key in each arm).
  std::vector<std::vector<std::string>> parameter_keys;
};

struct CalibrationTarget {
  std::string id;
  std::string description;
  std::size_t scenario = 0;  // into Calibration::scenarios
  TargetMeasure measure;
  double observed = 0.0;
  double observation_variance = 0.0;                 // sampling uncertainty of the observed value
  double discrepancy_variance = 0.0;                 // the model's stated discrepancy
  double tolerance_low = 0.0, tolerance_high = 0.0;  // NaN if none is given
  double weight = 1.0;
  bool held_out = false;
  std::string observed_text;  // as a person would cite it: "0.50 (0.40-0.60)"
};

struct CalibrationMethod {
  std::int64_t waves = 3;            // of history matching
  std::int64_t posterior_waves = 2;  // then around the posterior so far (population Monte Carlo)
  std::int64_t points_per_wave = 500;
  std::int64_t replicates = 0;  // 0: chosen from the noise by a pilot (docs/calibration.md)
  std::int64_t agents = 20000;  // closed cohorts' population.size in every evaluation (0: the scenario's)
  std::int64_t posterior_samples = 1000;
  std::int64_t implausibility_rank = 1;  // 1: the largest target implausibility, 2: the second largest
  double cutoff = 3.0;
  double uniform_share = 0.1;  // of each later wave's proposal: a defensive uniform share
  std::int64_t seed = 1;
};

struct Calibration {
  std::string file;
  std::string name;
  std::string text;  // the calibration file as read, stored in fit.h5
  std::vector<TargetScenario> scenarios;
  std::vector<CalibrationTarget> targets;
  std::vector<CalibrationParameter> parameters;
  CalibrationMethod method;

  std::vector<std::size_t> fitted_targets() const;  // not held out
};

// Reads and checks a calibration file: every scenario loads with its overrides and outcomes,
// every parameter is a numeric key with bounds inside its range, every measure names
// quantities the scenario's arms report. Throws InputError naming the file, line and key.
Calibration read_calibration(const std::string& path);

// One evaluation: a parameter set and what the model gave for every target.
struct Evaluation {
  std::int64_t wave = 0;               // from 1
  std::vector<double> unit;            // coordinates in the unit cube
  std::vector<double> values;          // the parameters' values
  std::vector<double> mean;            // per target: mean over replicates of the measure
  std::vector<double> variance;        // per target: variance of that mean, at this set
  std::vector<double> implausibility;  // per target (held-out targets too)
  double max_implausibility = 0.0;     // over the fitted targets (method.implausibility_rank)
  double log_likelihood = 0.0;         // over the fitted targets, with their weights and the model's covariance
  bool not_ruled_out = false;
};

// Runs every target's scenario at `values` (in Calibration::parameters order) with `replicates`
// replicates, replicate r on random key (method.seed, r) whatever the values: per target, the
// mean of the measure and the variance of that mean; with `covariance`, the K x K covariance of
// the means (row-major).
void evaluate(const Calibration& calibration, std::span<const double> values, std::int64_t replicates,
              std::vector<double>& mean, std::vector<double>& variance, std::int64_t* agent_days = nullptr,
              std::vector<double>* covariance = nullptr);

// The log likelihood of the fitted targets at model means `mean` (one per target): Gaussian,
// with covariance the observations' and discrepancies' variances plus `model_covariance` (K x K,
// row-major), each target's share divided by its weight.
double targets_log_likelihood(const Calibration& calibration, const std::vector<double>& model_covariance,
                              const std::vector<double>& mean);

struct CalibrateOptions {
  std::string output_path;
  int threads = 0;
  bool show_progress = true;
  bool resume = false;
};

struct CalibrationResult {
  std::vector<Evaluation> evaluations;
  std::int64_t replicates = 0;
  // The covariance of the model's target means over `replicates` replicates (K x K, row-major),
  // from the pilot at the centre of the domain, and its diagonal.
  std::vector<double> model_covariance;
  std::vector<double> model_variance;
  std::vector<std::size_t> posterior;  // indices into evaluations, posterior_samples of them
  std::vector<double> weights;         // per evaluation, normalised importance weights
  double effective_sample_size = 0.0;
  std::int64_t best = -1;  // the posterior sample with the highest likelihood
  std::vector<std::int64_t> not_ruled_out_per_wave;
  std::int64_t agent_days = 0;
  double seconds = 0.0;
  std::int64_t resumed = 0;  // evaluations found finished in the staging directory
};

// Runs the calibration and writes `options.output_path` (fit.h5, docs/output.md).
CalibrationResult calibrate(const Calibration& calibration, const CalibrateOptions& options);

// The processes of a calibration shared out between MPI ranks (mpi_run.hpp): each evaluates
// every size-th block of a wave and reads the others' from the staging directory, so every
// process holds every evaluation; the first writes fit.h5.
struct CalibrationTeam {
  int rank = 0;
  int size = 1;
  std::function<void()> barrier;
  // From the first process: whether it set the staging directory up (its argument); every
  // process gets the first's answer.
  std::function<bool(bool)> ready;
};
CalibrationResult calibrate(const Calibration& calibration, const CalibrateOptions& options,
                            const CalibrationTeam& team);

// Writes a calibration's fit.h5 at `path` (a new file).
void write_fit(const Calibration& calibration, const CalibrationResult& result, const std::string& path);

}  // namespace recoverysim
