// Strict YAML reading for scenarios. yaml-cpp's marks give the line and column of each node;
// duplicate keys are detected here because yaml-cpp keeps both silently.
#include "scenario_file.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace recoverysim {

namespace {

SourceLocation location(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "an undefined value";
  }
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
  return s;
}

void apply_mapping(ParamTable& table, const YAML::Node& map, const std::string& prefix, const std::string& file) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    const YAML::Node& key_node = entry.first;
    const YAML::Node& value = entry.second;
    const SourceLocation key_at = location(file, key_node.Mark());
    if (!key_node.IsScalar())
      throw InputError(key_at, "expected a key name, got " + describe(key_node));
    const std::string key = key_node.Scalar();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (!seen.insert(key).second)
      throw InputError(key_at, "duplicate key '" + path + "' (each key may appear only once)");

    if (const ParamSpec* spec = table.find(path)) {
      if (!value.IsScalar())
        throw InputError(location(file, value.IsNull() ? key_node.Mark() : value.Mark()),
                         path + ": expected " + expectation(*spec) + ", got " + describe(value));
      // yaml-cpp tags quoted scalars "!" and plain ones "?".
      table.assign_text(*spec, value.Scalar(), location(file, value.Mark()), value.Tag() == "!");
    } else if (table.is_section(path)) {
      if (!value.IsMap())
        throw InputError(location(file, value.IsNull() ? key_node.Mark() : value.Mark()),
                         path + ": expected a mapping of " + join(table.children(path)) + ", got " + describe(value));
      apply_mapping(table, value, path, file);
    } else {
      const std::vector<std::string> valid = table.children(prefix);
      const std::string hint = closest_match(key, valid);
      std::string message = "unknown key '" + path + "'";
      if (!hint.empty()) message += " (did you mean '" + (prefix.empty() ? hint : prefix + "." + hint) + "'?)";
      else message += "; valid keys here: " + join(valid);
      throw InputError(key_at, message);
    }
  }
}

}  // namespace

void apply_scenario_text(ParamTable& table, const std::string& text, const std::string& file_label) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(location(file_label, e.mark), "YAML syntax error: " + e.msg);
  }
  if (root.IsNull() || !root.IsDefined())
    throw InputError({file_label, 1, 1}, "the scenario is empty; expected a mapping with at least `name`");
  if (!root.IsMap())
    throw InputError(location(file_label, root.Mark()),
                     "expected a mapping of " + join(table.children("")) + " at the top level, got " + describe(root));
  apply_mapping(table, root, "", file_label);
}

void apply_scenario_file(ParamTable& table, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError({path, 0, 0}, "is a directory, expected a scenario YAML file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path, 0, 0}, std::string("cannot open scenario file: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  apply_scenario_text(table, text.str(), path);
}

}  // namespace recoverysim
