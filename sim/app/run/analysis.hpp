// The analysis of a results file: per-arm outcomes with 95% intervals (whole cohort and by
// admission period), incidence and retention curves, staff costs, contrasts, and comparisons
// with a reference arm paired by replicate (differences, ratios, cost-effectiveness,
// dominance). It reads the file's count tables, per-replicate outcomes and module metrics (not
// its per-agent records) and its resolved scenario, so `run` (which stores it in the file) and
// `summarize`/`compare` (which print it) give the same numbers.
#pragma once

#include "analysis/statistics.hpp"
#include "h5.hpp"
#include "scenario.hpp"

#include <string>
#include <vector>

namespace recoverysim {

// A curve stored under summary/curves/<name>.
struct NamedCurve {
  std::string name;
  std::string description;
  analysis::SurvivalCurve curve;
};

struct ArmAnalysis {
  std::string name;
  std::string sweep_base;
  std::vector<std::pair<std::string, std::string>> sweep_point;
  std::vector<std::string> quantity_names;     // shared by every arm of a file up to the module metrics
  std::vector<std::string> units;              // [quantity]: "share", "days", "currency units", ...
  std::vector<analysis::Bounds> bounds;        // [quantity]: the range its interval keeps to
  std::vector<std::uint8_t> module_metric;     // [quantity]: 1 for a module's daily metric (absent = 0 staff)
  std::vector<std::vector<double>> values;     // [quantity][replicate]
  std::vector<analysis::Interval> quantities;  // [quantity]: mean over replicates, 95% interval
  std::vector<NamedCurve> curves;              // incidence and retention curves, by day since the origin
  // Outcomes by admission period (the outcome definitions' quantities).
  std::vector<std::string> period_labels;  // "days 0-91", ...
  std::vector<std::string> period_quantity_names;
  std::vector<std::vector<analysis::Interval>> by_period;  // [period][quantity]

  // The index of a quantity, or -1.
  int find(const std::string& quantity) const;
  const NamedCurve* curve(const std::string& name) const;
};

// One arm against the reference, replicate by replicate (same people, same draws).
struct ArmComparison {
  std::string arm;
  std::vector<analysis::Interval> paired_differences;    // [quantity of the arm]: arm - reference
  std::vector<analysis::Interval> unpaired_differences;  // the same, as if the arms were independent
  std::vector<analysis::Interval> ratios;                // arm / reference
  std::vector<analysis::Interval> cost_effectiveness;    // cost_effectiveness_names() order
  std::vector<double> incremental_cost;                  // per replicate
  std::vector<double> relapses_averted;                  // per replicate
  analysis::Dominance dominance = analysis::Dominance::efficient;
};

// A contrast of one quantity between two arms (analysis.outcomes with `arms`).
struct ArmContrast {
  std::string name;
  std::string kind;  // ratio or difference
  std::string quantity;
  std::string arm, other;
  std::vector<double> values;   // per replicate
  analysis::Interval interval;  // ratio of the means (paired delta method) or paired difference
};

struct Analysis {
  std::string reference;
  std::int64_t replicates = 0;
  std::vector<ArmAnalysis> arms;           // scenario order
  std::vector<ArmComparison> comparisons;  // every arm but the reference, scenario order
  std::vector<ArmContrast> contrasts;
  analysis::Dominance reference_dominance = analysis::Dominance::efficient;

  const ArmAnalysis* arm(const std::string& name) const;
};

// incremental_cost, relapses_averted, additional_completions, cost_per_relapse_averted,
// cost_per_additional_completion.
const std::vector<std::string>& cost_effectiveness_names();

// Analyses the raw datasets under `root` written for `scenario` (its arms, horizon, seed and
// analysis settings), comparing with `reference` (an arm's name). Throws InputError when the
// reference is not an arm, h5::Error when a dataset is missing.
// `wait_quantiles`: quantiles of the modules' per-person waits to give besides the median and
// the 90th percentile (<module>.wait_p<q>_days), for a wait limit at another quantile.
Analysis analyse_results(const h5::Group& root, const Scenario& scenario, const std::string& reference,
                         const std::vector<double>& wait_quantiles = {});

// One arm's analysis from its group (`/arms/<arm>` of a results file or of a work unit's file)
// holding `replicates` rows. The per-period summaries and curves are those of these rows.
ArmAnalysis analyse_arm(const h5::Group& arm_group, const Scenario& scenario, const Arm& arm, std::int64_t replicates,
                        const std::vector<double>& wait_quantiles = {});

// Stores an analysis: /arms/<arm>/summary/..., /comparison/<reference>/... and /contrasts/...
// (docs/output.md).
void write_analysis(h5::Group& root, const Analysis& analysis);

}  // namespace recoverysim
