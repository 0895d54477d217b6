// A scenario: what to run (name, horizon, replicates, seed, output), the recovery model's
// parameters, and the arms with their intervention modules. One parameter table reads,
// checks and prints the core keys; each module instance has its own table.
#pragma once

#include "models/recovery/intervention.hpp"
#include "models/recovery/parameters.hpp"

#include "params.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace recoverysim {

struct RunSettings {
  std::string name;
  std::int64_t days = 365;
  std::int64_t replicates = 1;
  std::int64_t seed = 1;
  std::string output_file;
  bool output_trajectories = false;
};

// One intervention module of an arm, configured.
struct ArmModule {
  std::string type;
  std::uint32_t stream_base = 0;
  std::unique_ptr<recovery::Intervention> module;
  std::unique_ptr<ParamTable> table;  // bound to *module
};

struct Arm {
  std::string name;
  std::vector<ArmModule> interventions;
};

class Scenario {
 public:
  Scenario();
  // The tables refer to this object's fields, so a scenario stays where it was built.
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;

  // Reads a scenario file, then applies `--set path=value` overrides in order, then checks
  // the whole. Throws InputError.
  void load(const std::string& path, const std::vector<std::string>& overrides = {});
  // path=value for a core key, or arms.<arm>.<module type>.<key>=value for a module's key.
  void apply_override(const std::string& path_equals_value);
  void validate();

  // The resolved scenario as YAML (every key, defaults filled in, arms and modules included).
  std::string resolved_yaml() const;
  const ParamTable& table() const { return table_; }
  const std::string& source() const { return source_; }

  RunSettings run;
  recovery::Parameters model;
  std::vector<Arm> arms;  // at least one: `usual_care` when the file names none

 private:
  void load_arms(const YAML::Node& node, const std::string& file);
  ParamTable table_;
  std::string source_;
};

// The table of a default scenario, for `schema` and the generated reference.
const ParamTable& default_parameter_table();
// The parameter table of a module type, with its defaults (for `schema` and its doc page).
struct ModuleSchema {
  std::unique_ptr<recovery::Intervention> module;
  ParamTable table;
};
std::unique_ptr<ModuleSchema> module_schema(const std::string& type);
// The full Markdown reference: core keys, then each module's keys.
std::string scenario_reference_markdown();

}  // namespace recoverysim
