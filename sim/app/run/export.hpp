// Tidy tables from a results file, for R, pandas, spreadsheets and databases: one row per
// observation, with every arm's swept values and every replicate's drawn parameters as columns.
//
//   outcomes  one row per (arm, replicate, quantity): every quantity the summaries use
//   daily     one row per (arm, replicate, day, quantity): state and treatment counts and each
//             module's daily metrics
//   agents    one row per (arm, replicate, agent): each person's record
//   events    one row per event (arm, replicate, agent, day, event, detail), when recorded
//
// docs/output.md lists the columns.
#pragma once

#include "h5.hpp"
#include "scenario.hpp"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace recoverysim {

enum class ExportTable { outcomes, daily, agents, events };
enum class ExportFormat { csv, json };

ExportTable parse_export_table(const std::string& name);

struct ExportOptions {
  ExportTable table = ExportTable::outcomes;
  ExportFormat format = ExportFormat::csv;
  std::vector<std::string> arms;  // empty: every arm
};

// Writes the table to `out` and returns its rows. Throws InputError for an arm that is not in
// the file or events that were not recorded (output.events).
std::int64_t export_table(const h5::Group& root, const Scenario& scenario, const ExportOptions& options,
                          std::ostream& out);

}  // namespace recoverysim
