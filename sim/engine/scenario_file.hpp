// Reading a scenario YAML file into a parameter table, strictly: unknown keys, duplicate keys,
// wrong types and out-of-range values are errors that name the file, line, column and key.
#pragma once

#include "params.hpp"

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace recoverysim {

// Reads `path` and assigns every key it sets. Throws InputError.
void apply_scenario_file(ParamTable& table, const std::string& path);
// The same for YAML text already in memory; `file_label` names it in messages.
void apply_scenario_text(ParamTable& table, const std::string& text, const std::string& file_label);

// The building blocks, for documents with parts that are not plain parameters (arms):
// parse a file or text into a YAML tree whose root is a mapping (throws InputError) ...
YAML::Node load_scenario_yaml(const std::string& path);
YAML::Node parse_scenario_yaml(const std::string& text, const std::string& file_label);
// ... and assign the keys of one mapping to a table, the keys in `handled_elsewhere` (dotted
// paths, `arms` or `analysis.outcomes`) excepted.
// `prefix` is the dotted path of the mapping in the table; `shown_prefix` is how its keys are
// named in messages (e.g. "arms[2].peer_mentor").
void apply_mapping(ParamTable& table, const YAML::Node& map, const std::string& file,
                   const std::vector<std::string>& handled_elsewhere = {}, const std::string& shown_prefix = "");

SourceLocation location_of(const std::string& file, const YAML::Node& node);
// "a mapping", "a list", "nothing", "'text'"
std::string describe(const YAML::Node& node);

}  // namespace recoverysim
