// Strict YAML reading for scenarios. yaml-cpp's marks give the line and column of each node;
// duplicate keys are detected here because yaml-cpp keeps both silently.
#include "scenario_file.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
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

}  // namespace

SourceLocation location_of(const std::string& file, const YAML::Node& node) { return location(file, node.Mark()); }

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "an undefined value";
  }
}

namespace {

std::string dotted(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

void apply_mapping_at(ParamTable& table, const YAML::Node& map, const std::string& prefix, const std::string& file,
                      const std::vector<std::string>& handled_elsewhere, const std::string& shown_prefix,
                      ErrorList& errors) {
  std::set<std::string> seen;
  for (const auto& entry : map)
    errors.collect([&] {
      const YAML::Node& key_node = entry.first;
      const YAML::Node& value = entry.second;
      const SourceLocation key_at = location(file, key_node.Mark());
      if (!key_node.IsScalar()) throw InputError(key_at, "expected a key name, got " + describe(key_node));
      const std::string key = key_node.Scalar();
      const std::string path = dotted(prefix, key);
      const std::string shown = dotted(shown_prefix, path);
      if (!seen.insert(key).second)
        throw InputError(key_at, "duplicate key '" + shown + "' (each key may appear only once)");
      if (std::find(handled_elsewhere.begin(), handled_elsewhere.end(), path) != handled_elsewhere.end()) return;

      const ParamSpec* spec = value.IsMap() && !table.find(path) ? nullptr : table.resolve(path, key_at);
      const std::string section = spec ? std::string() : table.resolve_section(path, key_at);
      if (spec) {
        const bool numeric = spec->kind == ParamKind::real || spec->kind == ParamKind::integer;
        if (value.IsMap() && numeric) {
          // A distribution: the key is drawn once per replicate.
          try {
            table.set_distribution(*spec, Distribution::parse(value, file, shown), location(file, value.Mark()));
          } catch (const InputError& e) {
            const std::string message = std::string(e.what()).substr(e.where().to_string().size() + 2);
            if (shown_prefix.empty() || message.rfind(shown, 0) == 0) throw;
            throw InputError(e.where(), shown_prefix + "." + message);
          }
          return;
        }
        if (!value.IsScalar())
          throw InputError(location(file, value.IsNull() ? key_node.Mark() : value.Mark()),
                           shown + ": expected " + expectation(*spec) +
                               (numeric ? " or a distribution {dist: ...}" : "") + ", got " + describe(value));
        // yaml-cpp tags quoted scalars "!" and plain ones "?".
        try {
          table.assign_text(*spec, value.Scalar(), location(file, value.Mark()), value.Tag() == "!");
        } catch (const InputError& e) {
          if (shown_prefix.empty()) throw;
          // Name the key as the user wrote it, with its arm and module.
          const std::string message = std::string(e.what()).substr(e.where().to_string().size() + 2);
          throw InputError(e.where(), shown_prefix + "." + message);
        }
      } else if (!section.empty()) {
        if (!value.IsMap())
          throw InputError(location(file, value.IsNull() ? key_node.Mark() : value.Mark()),
                           shown + ": expected a mapping of " + join_names(table.children(section)) + ", got " +
                               describe(value));
        apply_mapping_at(table, value, section, file, handled_elsewhere, shown_prefix, errors);
      } else {
        table.refuse_if_retired(path, key_at);
        std::vector<std::string> valid = table.children(prefix);
        for (const auto& other : handled_elsewhere)  // `arms` at the top, `outcomes` under `analysis`
          if (const auto dot = other.rfind('.');
              (dot == std::string::npos ? std::string() : other.substr(0, dot)) == prefix &&
              std::find(valid.begin(), valid.end(), other.substr(dot + 1)) == valid.end())
            valid.push_back(other.substr(dot + 1));
        const std::string hint = closest_match(key, valid);
        std::string message = "unknown key '" + shown + "'";
        if (!hint.empty()) message += " (did you mean '" + dotted(shown_prefix, dotted(prefix, hint)) + "'?)";
        else message += "; valid keys here: " + join_names(valid);
        throw InputError(key_at, message);
      }
    });
}

// Declares the entries of open sections the mapping names (a setting the scenario defines,
// say) before any key is assigned, so that a key may name an entry defined further down.
// Mistakes are left to the assignment pass, which reports them in place.
void open_named_entries(ParamTable& table, const YAML::Node& map, const std::string& prefix, const std::string& file) {
  for (const auto& entry : map) {
    if (!entry.first.IsScalar() || !entry.second.IsMap()) continue;
    const std::string path = dotted(prefix, entry.first.Scalar());
    try {
      const std::string section = table.resolve_section(path, location(file, entry.first.Mark()));
      if (!section.empty()) open_named_entries(table, entry.second, section, file);
    } catch (const InputError&) {
    }
  }
}

}  // namespace

void apply_mapping(ParamTable& table, const YAML::Node& map, const std::string& file,
                   const std::vector<std::string>& handled_elsewhere, const std::string& shown_prefix) {
  ErrorList errors;
  if (map.IsMap()) open_named_entries(table, map, "", file);
  apply_mapping_at(table, map, "", file, handled_elsewhere, shown_prefix, errors);
  errors.throw_if_any();
}

namespace {

// A scenario is UTF-8 text: the place of the first byte that is not (NUL, a control character
// other than tab and line ends, or malformed UTF-8), or an unknown location.
SourceLocation first_binary_byte(const std::string& text, const std::string& file_label, unsigned char& byte) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool bad =
        length == 0 || i + length > text.size() || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
    for (std::size_t k = 1; !bad && k < length; ++k) bad = (static_cast<unsigned char>(text[i + k]) >> 6) != 0x2;
    if (bad) {
      byte = c;
      return {file_label, line, column};
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += length;
  }
  return {};
}

// The first tab among the leading whitespace of a line, up to line `last` (-1: any line).
SourceLocation first_indenting_tab(const std::string& text, const std::string& file_label, int last) {
  int line = 1, column = 1;
  bool leading = true;
  for (const char c : text) {
    if (last >= 0 && line > last) break;
    if (c == '\n') {
      ++line;
      column = 1;
      leading = true;
      continue;
    }
    if (leading && c == '\t') return {file_label, line, column};
    if (c != ' ') leading = false;
    ++column;
  }
  return {};
}

}  // namespace

YAML::Node parse_scenario_yaml(const std::string& text, const std::string& file_label) {
  unsigned char byte = 0;
  if (const SourceLocation at = first_binary_byte(text, file_label, byte); at.known()) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", byte);
    throw InputError(at, std::string("byte ") + hex + " is not text: a scenario is a YAML file in UTF-8");
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw InputError(location(file_label, e.mark),
                     "nested more than " + std::to_string(e.depth()) + " levels deep; a scenario needs a few");
  } catch (const YAML::Exception& e) {
    // yaml-cpp names a tab in the indentation after the fact ("illegal map value"): name it.
    if (const SourceLocation tab = first_indenting_tab(text, file_label, e.mark.is_null() ? -1 : e.mark.line + 1);
        tab.known())
      throw InputError(tab, "a tab in the indentation: YAML indents with spaces only (replace the tab with spaces)");
    throw InputError(location(file_label, e.mark), "YAML syntax error: " + e.msg);
  }
  if (root.IsNull() || !root.IsDefined())
    throw InputError({file_label, 1, 1}, "the scenario is empty; expected a mapping with at least `name`");
  if (!root.IsMap())
    throw InputError(location(file_label, root.Mark()), "expected a mapping at the top level, got " + describe(root));
  return root;
}

void apply_scenario_text(ParamTable& table, const std::string& text, const std::string& file_label) {
  apply_mapping(table, parse_scenario_yaml(text, file_label), file_label);
}

void apply_scenario_file(ParamTable& table, const std::string& path) {
  apply_mapping(table, load_scenario_yaml(path), path);
}

YAML::Node load_scenario_yaml(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError({path, 0, 0}, "is a directory, expected a scenario YAML file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path, 0, 0}, std::string("cannot open scenario file: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario_yaml(text.str(), path);
}

}  // namespace recoverysim
