// The analysis of a results file: per-arm outcomes with 95% intervals, survival and retention
// curves, staff costs, and comparisons with a reference arm paired by replicate (differences,
// ratios, cost-effectiveness, dominance). It reads only the file's raw datasets and its
// resolved scenario, so `run` (which stores it in the file) and `summarize`/`compare` (which
// print it) give the same numbers.
#pragma once

#include "analysis/statistics.hpp"
#include "h5.hpp"
#include "scenario.hpp"

#include <string>
#include <vector>

namespace recoverysim {

struct ArmAnalysis {
  std::string name;
  std::string sweep_base;
  std::vector<std::pair<std::string, std::string>> sweep_point;
  std::vector<std::string> quantity_names;       // shared by every arm of a file up to the module metrics
  std::vector<std::vector<double>> values;       // [quantity][replicate]
  std::vector<analysis::Interval> quantities;    // [quantity]: mean over replicates, 95% interval
  analysis::SurvivalCurve retention;             // share not yet dropped out or dead, by day since admission
  analysis::SurvivalCurve relapse_free;          // Kaplan-Meier, death censors
  analysis::SurvivalCurve lapse_free;

  // The index of a quantity, or -1.
  int find(const std::string& quantity) const;
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

struct Analysis {
  std::string reference;
  std::int64_t replicates = 0;
  std::vector<ArmAnalysis> arms;  // scenario order
  std::vector<ArmComparison> comparisons;  // every arm but the reference, scenario order
  analysis::Dominance reference_dominance = analysis::Dominance::efficient;

  const ArmAnalysis* arm(const std::string& name) const;
};

// incremental_cost, relapses_averted, additional_completions, cost_per_relapse_averted,
// cost_per_additional_completion.
const std::vector<std::string>& cost_effectiveness_names();

// Analyses the raw datasets under `root` written for `scenario` (its arms, horizon, seed and
// analysis settings), comparing with `reference` (an arm's name). Throws InputError when the
// reference is not an arm, h5::Error when a dataset is missing.
Analysis analyse_results(const h5::Group& root, const Scenario& scenario, const std::string& reference);

// Stores an analysis: /arms/<arm>/summary/... and /comparison/<reference>/... (docs/output.md).
void write_analysis(h5::Group& root, const Analysis& analysis);

}  // namespace recoverysim
