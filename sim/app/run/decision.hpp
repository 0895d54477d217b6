// Decisions from a results file's analysis: each arm's effect (analysis.effect) against the
// reference and its net monetary benefit at a willingness to pay, the efficient frontier with
// sequential ICERs, the quadrant of each comparison, the acceptability curve, and the arm to
// recommend under a budget and a wait limit. docs/output.md states every rule.
#pragma once

#include "analysis.hpp"

#include "analysis/decision.hpp"

#include <limits>
#include <string>
#include <vector>

namespace recoverysim {

// An effect measure: the per-arm quantity it comes from, and whether fewer is better (then the
// effect of an arm is the reference's value minus the arm's).
struct EffectMeasure {
  std::string name;      // relapses_averted, ...
  std::string quantity;  // relapses, ...
  bool fewer_is_better = false;
  std::string unit;   // "relapse averted", for "per relapse averted"
  std::string units;  // "relapses averted"
};
const EffectMeasure& effect_measure(AnalysisSettings::Effect effect);

struct Decision {
  EffectMeasure effect;
  double wtp = std::numeric_limits<double>::quiet_NaN();  // NaN: not stated
  std::string reference;
  std::vector<std::string> arms;                           // every arm, the reference included, scenario order
  std::vector<std::vector<double>> cost;                   // [arm][replicate]: cost_total against the reference
  std::vector<std::vector<double>> effect_values;          // [arm][replicate]: effect against the reference
  std::vector<std::vector<double>> cost_per_year;          // [arm][replicate]: mean annual staff cost, undiscounted
  std::vector<analysis::Interval> mean_cost, mean_effect;  // [arm]
  std::vector<analysis::Interval> net_benefit;             // [arm]: wtp x effect - cost against the reference
  std::vector<analysis::Quadrant> quadrant;                // [arm]: against the reference
  analysis::Frontier frontier;                             // indices into arms
  std::vector<analysis::Interval> sequential_icer;         // [frontier step]: with a bootstrap interval
  analysis::Acceptability acceptability;                   // over every arm
  bool drawn_parameters = false;                           // the scenario draws parameters per replicate
};

// The decision quantities of an analysis; `wtp` NaN takes analysis.willingness_to_pay (NaN when
// that is 0, not stated).
Decision decide(const Analysis& analysis, const Scenario& scenario,
                double wtp = std::numeric_limits<double>::quiet_NaN());

// Stores a decision under /decision (docs/output.md).
void write_decision(h5::Group& root, const Decision& decision);

// What a planner can require of an arm. A requirement holds when it holds in at least
// `confidence` of the replicates.
struct Constraints {
  double wtp = std::numeric_limits<double>::quiet_NaN();
  double budget_per_year = std::numeric_limits<double>::infinity();  // mean annual staff cost, undiscounted
  double max_wait_days = std::numeric_limits<double>::infinity();    // the wait_quantile of each person's wait
  double wait_quantile = 0.9;
  double confidence = 0.8;
};

struct ArmVerdict {
  std::string arm;
  double budget_share = 1.0;  // replicates within the budget
  double wait_share = 1.0;    // replicates within the wait limit
  double mean_wait =
      std::numeric_limits<double>::quiet_NaN();  // mean over replicates of the wait quantile (NaN: no queue)
  bool feasible = true;
  analysis::Interval net_benefit;
  double probability_best = 0.0;  // among the feasible arms, share of replicates with the highest net benefit
  double probability_best_se = 0.0;
};

struct Recommendation {
  Constraints constraints;
  std::vector<ArmVerdict> arms;  // scenario order
  int recommended = -1;          // index into arms, -1: none feasible
  int runner_up = -1;
  std::string edge_warning;       // the recommendation is at an end of a swept grid
  std::vector<std::string> rule;  // the rule, in sentences
};

// The wait quantile the constraint reads must be one the analysis computed (wait_p<q>_days):
// analyse_results(..., {constraints.wait_quantile}).
Recommendation recommend(const Analysis& analysis, const Decision& decision, const Constraints& constraints);

}  // namespace recoverysim
