// Declaration of the run-level keys (the fixed basic keys users' scripts rely on), plus the
// recovery model's keys, into one table.
#include "scenario.hpp"

#include "scenario_file.hpp"

namespace recoverysim {

Scenario::Scenario() {
  table_.add_text("name", run.name, "unnamed", "Name of the scenario, stored in the output");
  table_.add_integer("days", run.days, 365, 1, 36500, "days", "Simulated horizon: days 0 .. days-1");
  table_.add_integer("replicates", run.replicates, 1, 1, 1'000'000, "replicates",
                     "Independent replicates (each a new synthetic cohort and new draws)");
  table_.add_integer("seed", run.seed, 1, 0, 4294967295LL, "1",
                     "Random seed; with the replicate it is the Philox key, so a seed reproduces a run exactly");
  recovery::declare_parameters(table_, model);
  table_.add_text("output.file", run.output_file, "results.h5", "HDF5 results file (overridden by run -o)");
  table_.add_boolean("output.trajectories", run.output_trajectories, false,
                     "Also store every agent's daily clinical state (replicates x agents x days bytes)");
}

void Scenario::load(const std::string& path, const std::vector<std::string>& overrides) {
  source_ = path;
  apply_scenario_file(table_, path);
  for (const auto& o : overrides) apply_override(o);
  validate();
}

void Scenario::apply_override(const std::string& path_equals_value) { table_.assign_from_option(path_equals_value); }

void Scenario::validate() const {
  recovery::validate_parameters(table_, model);
}

const ParamTable& default_parameter_table() {
  static const Scenario defaults;
  return defaults.table();
}

}  // namespace recoverysim
