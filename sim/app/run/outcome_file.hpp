// The `analysis.outcomes` list of a scenario: outcome definitions read strictly (every mistake
// named by file, line, column and key), written back in resolved form, and the vocabulary of
// event names they use (the core events, their groups, and every module's events).
#pragma once

#include "models/recovery/outcome_definitions.hpp"

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace recoverysim {

// An event name a definition may use, with the codes it stands for.
struct EventName {
  std::string name;
  std::vector<recovery::EventCode> codes;
  std::string doc;
  std::string module;  // the module whose event it is, or ""
};
// Every event name: the core events, their groups, then each registered module's events.
const std::vector<EventName>& event_vocabulary();

// Reads the list under analysis.outcomes. Throws InputError.
std::vector<recovery::OutcomeDefinition> read_outcomes(const YAML::Node& list, const std::string& file);

// Writes definitions as a YAML list that read_outcomes() reads back to the same definitions,
// every key resolved.
void emit_outcomes(YAML::Emitter& out, const std::vector<recovery::OutcomeDefinition>& definitions);

// The names of the per-arm quantities every results file has besides the outcome definitions'
// (participants, cost_total, ...): a definition's quantities may not take them.
const std::vector<std::string>& fixed_quantity_names();

}  // namespace recoverysim
