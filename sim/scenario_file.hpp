// Reading a scenario YAML file into a parameter table, strictly: unknown keys, duplicate keys,
// wrong types and out-of-range values are errors that name the file, line, column and key.
#pragma once

#include "params.hpp"

#include <string>

namespace recoverysim {

// Reads `path` and assigns every key it sets. Throws InputError.
void apply_scenario_file(ParamTable& table, const std::string& path);
// The same for YAML text already in memory; `file_label` names it in messages.
void apply_scenario_text(ParamTable& table, const std::string& text, const std::string& file_label);

}  // namespace recoverysim
