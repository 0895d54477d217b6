// Printing an analysis for people (an aligned table, Markdown) and for programs (CSV, JSON):
// `recoverysim summarize` and `recoverysim compare`.
#pragma once

#include "run/analysis.hpp"
#include "run/decision.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace recoverysim::cli {

enum class Format { table, csv, markdown, json };
Format parse_format(const std::string& name);

// Per-arm outcomes with their intervals. Table and Markdown show `quantities` (empty: the
// headline ones) with one row per arm; CSV and JSON give every quantity, one row or entry each.
void print_summary(std::ostream& out, const Analysis& analysis, const std::string& scenario_name, Format format,
                   std::vector<std::string> quantities);

// The outcomes by admission period: for each quantity (empty: the headline relapse outcome,
// completion and, where modules wait, the mean wait) a table of arms by periods.
void print_by_period(std::ostream& out, const Analysis& analysis, const std::string& scenario_name, Format format,
                     std::vector<std::string> quantities);

// Paired differences, ratios and cost-effectiveness against the reference.
void print_comparison(std::ostream& out, const Analysis& analysis, const Decision& decision,
                      const std::string& scenario_name, Format format);

// A recommendation: the arm, the runner-up, each arm's standing against the requirements, the
// rule, and a warning when the answer is at an end of a swept grid.
void print_recommendation(std::ostream& out, const Analysis& analysis, const Decision& decision,
                          const Recommendation& recommendation, const std::string& scenario_name, Format format);

}  // namespace recoverysim::cli
