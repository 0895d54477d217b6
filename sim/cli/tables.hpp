// Printing an analysis for people (an aligned table, Markdown) and for programs (CSV, JSON):
// `recoverysim summarize` and `recoverysim compare`.
#pragma once

#include "run/analysis.hpp"

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
void print_comparison(std::ostream& out, const Analysis& analysis, const std::string& scenario_name, Format format);

}  // namespace recoverysim::cli
