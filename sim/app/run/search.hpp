// Searching a staffing level (or any integer key of a module) without a grid: the smallest
// level whose wait meets the limit, within the budget, or the level with the highest net
// monetary benefit among those. The search runs the model itself, level by level, with common
// random numbers (every level runs the same replicates), and writes every level it evaluated to
// one results file, like a sweep over those levels. docs/cli.md states the algorithm and how its
// stopping rule can err.
#pragma once

#include "decision.hpp"
#include "runner.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace recoverysim {

struct SearchOptions {
  std::string path;  // <module type>.<integer key>, e.g. peer_mentor.mentors
  std::string arm;   // the arm whose module is varied ("": the only arm with that module)
  std::int64_t low = 0;
  std::int64_t high = 0;
  Constraints constraints;          // wtp NaN: no net-benefit objective
  std::int64_t max_replicates = 0;  // 0: 4 times the scenario's replicates
  std::string parameter_sets;       // a calibration's fit.h5 (run --parameter-sets); "": none
  RunOptions run;                   // output, threads, progress, resume
};

// One level as the search saw it (at the replicates it had when last evaluated).
struct SearchEvaluation {
  std::int64_t level = 0;
  std::int64_t replicates = 0;
  double wait_share = 1.0;    // replicates within the wait limit
  double budget_share = 1.0;  // replicates within the budget
  analysis::Interval net_benefit;
  bool feasible = true;
};

struct SearchResult {
  std::vector<SearchEvaluation> evaluations;  // in the order they were made (a level may appear again)
  std::int64_t answer = -1;                   // -1: no level in the range meets the requirements
  bool programme_worth_it = true;             // with a willingness to pay: the answer beats the reference
  std::int64_t replicates = 0;                // at the end, for every level
  std::int64_t agent_days = 0;                // simulated by the search
  std::vector<std::string> notes;             // how the answer was reached and how it could be wrong
  RunResult run;                              // the results file
};

// Loads the scenario (with `overrides`), searches, writes the results file. Throws InputError
// for a path that is not an integer key of a module of the scenario, a range outside the key's,
// or no requirement to search for.
SearchResult search(const std::string& scenario_path, const std::vector<std::string>& overrides,
                    const SearchOptions& options);

}  // namespace recoverysim
