// Declaration of the run-level keys (the fixed basic keys users' scripts rely on), the
// recovery model's keys, and the arms: a list of {name, interventions: [{type, ...}]}.
#include "scenario.hpp"

#include "scenario_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>

namespace recoverysim {

using recovery::builtin_interventions;

namespace {

constexpr const char* default_arm = "usual_care";


ArmModule make_module(const std::string& type) {
  ArmModule m;
  m.type = type;
  m.stream_base = builtin_interventions().stream_base(type);
  m.module = builtin_interventions().create(type);
  m.table = std::make_unique<ParamTable>();
  m.module->declare(*m.table);
  return m;
}

// Names of keys allowed in an arm's mapping.
const std::vector<std::string> arm_keys = {"name", "interventions"};

}  // namespace

Scenario::Scenario() {
  table_.add_text("name", run.name, "unnamed", "Name of the scenario, stored in the output");
  table_.add_integer("days", run.days, 365, 1, recovery::max_day_count, "days",
                     "Simulated horizon: days 0 .. days-1 (at most 32767: day counters are 16-bit)");
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
  const YAML::Node root = load_scenario_yaml(path);
  apply_mapping(table_, root, path, {"arms"});
  arms.clear();
  if (const YAML::Node node = root["arms"]) {
    load_arms(node, path);
  } else {
    arms.push_back(Arm{default_arm, {}});
  }
  for (const auto& o : overrides) apply_override(o);
  validate();
}

void Scenario::load_arms(const YAML::Node& node, const std::string& file) {
  if (!node.IsSequence() || node.size() == 0)
    throw InputError(location_of(file, node), "arms: expected a list of arms ({name: ..., interventions: [...]}), got " +
                                                  describe(node));
  // No dots: they would be ambiguous in --set arms.<arm>.<type>.<key> and in HDF5 paths.
  static const std::regex valid_name("[A-Za-z0-9_+-]{1,64}");
  for (std::size_t a = 0; a < node.size(); ++a) {
    const YAML::Node item = node[a];
    const std::string where = "arms[" + std::to_string(a) + "]";
    if (!item.IsMap())
      throw InputError(location_of(file, item), where + ": expected a mapping with name and interventions, got " +
                                                    describe(item));
    for (const auto& entry : item) {
      const std::string key = entry.first.Scalar();
      if (std::find(arm_keys.begin(), arm_keys.end(), key) == arm_keys.end()) {
        const std::string hint = closest_match(key, arm_keys);
        throw InputError(location_of(file, entry.first),
                         "unknown key '" + where + "." + key + "'" +
                             (hint.empty() ? "; valid keys here: name, interventions" : " (did you mean '" + hint + "'?)"));
      }
    }
    const YAML::Node name = item["name"];
    if (!name || !name.IsScalar() || !std::regex_match(name.Scalar(), valid_name))
      throw InputError(location_of(file, name ? name : item),
                       where + ".name: expected a name of letters, digits and _ + - (at most 64), got " +
                           (name ? describe(name) : std::string("nothing")));
    for (const auto& other : arms)
      if (other.name == name.Scalar())
        throw InputError(location_of(file, name), where + ".name: duplicate arm name '" + name.Scalar() + "'");
    Arm arm{name.Scalar(), {}};

    if (const YAML::Node list = item["interventions"]) {
      if (!list.IsSequence())
        throw InputError(location_of(file, list), where + ".interventions: expected a list of {type: ..., <parameters>}, got " +
                                                      describe(list));
      for (std::size_t m = 0; m < list.size(); ++m) {
        const YAML::Node spec = list[m];
        const std::string at = where + ".interventions[" + std::to_string(m) + "]";
        if (!spec.IsMap())
          throw InputError(location_of(file, spec), at + ": expected a mapping with type and parameters, got " +
                                                        describe(spec));
        const YAML::Node type = spec["type"];
        if (!type || !type.IsScalar())
          throw InputError(location_of(file, type ? type : spec),
                           at + ".type: expected one of " + join_names(builtin_interventions().types()));
        if (!builtin_interventions().contains(type.Scalar())) {
          const std::string hint = closest_match(type.Scalar(), builtin_interventions().types());
          throw InputError(location_of(file, type), at + ".type: unknown intervention '" + type.Scalar() + "'" +
                                                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                                                        "; valid types: " + join_names(builtin_interventions().types()));
        }
        for (const auto& existing : arm.interventions)
          if (existing.type == type.Scalar())
            throw InputError(location_of(file, type), at + ".type: '" + type.Scalar() +
                                                          "' appears twice in arm '" + arm.name + "'");
        ArmModule module = make_module(type.Scalar());
        apply_mapping(*module.table, spec, file, {"type"}, "arms." + arm.name + "." + module.type);
        arm.interventions.push_back(std::move(module));
      }
    }
    arms.push_back(std::move(arm));
  }
}

void Scenario::apply_override(const std::string& path_equals_value) {
  if (path_equals_value.rfind("arms.", 0) != 0) {
    table_.assign_from_option(path_equals_value);
    return;
  }
  // arms.<arm>.<type>.<key>=value
  const SourceLocation where{"--set " + path_equals_value, 0, 0};
  const std::string rest = path_equals_value.substr(5);
  const auto dot = rest.find('.');
  const std::string arm_name = rest.substr(0, dot);
  auto arm = std::find_if(arms.begin(), arms.end(), [&](const Arm& a) { return a.name == arm_name; });
  if (arm == arms.end()) {
    std::vector<std::string> names;
    for (const auto& a : arms) names.push_back(a.name);
    throw InputError(where, "no arm named '" + arm_name + "'; arms: " + join_names(names));
  }
  const std::string after_arm = dot == std::string::npos ? std::string() : rest.substr(dot + 1);
  const auto dot2 = after_arm.find('.');
  const std::string type = after_arm.substr(0, dot2);
  auto module = std::find_if(arm->interventions.begin(), arm->interventions.end(),
                             [&](const ArmModule& m) { return m.type == type; });
  if (module == arm->interventions.end() || dot2 == std::string::npos)
    throw InputError(where, "expected arms." + arm_name + ".<intervention type>.<key>=value, with a type the arm has");
  try {
    module->table->assign_from_option(after_arm.substr(dot2 + 1));
  } catch (const InputError& e) {
    throw InputError(where, std::string(e.what()).substr(e.where().to_string().size() + 2));
  }
}

void Scenario::validate() {
  recovery::validate_parameters(table_, model);
  const double agent_days = static_cast<double>(run.replicates) * static_cast<double>(arms.size()) *
                            static_cast<double>(run.days) * static_cast<double>(model.population.size);
  if (agent_days > 1e18)
    throw InputError(table_.where_set("population.size"),
                     "replicates x arms x days x population.size = " + format_value(agent_days) +
                         " agent-days is more than this program can count (at most 1e18)");
  for (const auto& arm : arms)
    for (const auto& m : arm.interventions) m.module->validate(*m.table);
}

std::string Scenario::resolved_yaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  table_.emit_entries(out);
  out << YAML::Key << "arms" << YAML::Value << YAML::BeginSeq;
  for (const auto& arm : arms) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << arm.name;
    out << YAML::Key << "interventions" << YAML::Value;
    if (arm.interventions.empty()) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const auto& m : arm.interventions) {
      out << YAML::BeginMap << YAML::Key << "type" << YAML::Value << m.type;
      m.table->emit_entries(out);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

const ParamTable& default_parameter_table() {
  static const Scenario defaults;
  return defaults.table();
}

std::unique_ptr<ModuleSchema> module_schema(const std::string& type) {
  auto schema = std::make_unique<ModuleSchema>();
  schema->module = builtin_interventions().create(type);
  schema->module->declare(schema->table);
  return schema;
}

std::string scenario_reference_markdown() {
  std::string md = default_parameter_table().schema_markdown();
  md += "\n## `arms`\n\n"
        "A list of arms, each `{name: ..., interventions: [{type: ..., <parameters>}, ...]}`. All arms of a\n"
        "replicate share the same synthetic people and the same core random draws. Without `arms`, the\n"
        "scenario has one arm, `usual_care`, with no intervention. `--set arms.<arm>.<type>.<key>=value`\n"
        "overrides a module's key.\n";
  for (const auto& type : builtin_interventions().types()) {
    md += "\n### Intervention `" + type + "`\n\n" + module_schema(type)->table.markdown_table();
  }
  return md;
}

}  // namespace recoverysim
