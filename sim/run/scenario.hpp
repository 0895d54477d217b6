// A scenario: what to run (name, horizon, replicates, seed, output) and the recovery model's
// parameters, with the one parameter table that reads, checks and prints them all.
#pragma once

#include "models/recovery/parameters.hpp"

#include "params.hpp"

#include <cstdint>
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

class Scenario {
 public:
  Scenario();
  // The table refers to this object's fields, so a scenario stays where it was built.
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;

  // Reads a scenario file, then applies `--set path=value` overrides in order, then checks
  // the whole. Throws InputError.
  void load(const std::string& path, const std::vector<std::string>& overrides = {});
  void apply_override(const std::string& path_equals_value);
  void validate() const;

  // The resolved scenario as YAML (every key, defaults filled in).
  std::string resolved_yaml() const { return table_.to_yaml(); }
  const ParamTable& table() const { return table_; }
  const std::string& source() const { return source_; }

  RunSettings run;
  recovery::Parameters model;

 private:
  ParamTable table_;
  std::string source_;
};

// The table of a default scenario, for `schema` and the generated reference.
const ParamTable& default_parameter_table();

}  // namespace recoverysim
