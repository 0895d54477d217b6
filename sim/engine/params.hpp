// The parameter table: every scenario parameter is declared exactly once, with its dotted
// path, default, range, unit and one line of documentation, bound to the field that holds it.
// That single declaration drives YAML parsing and validation (scenario_file.hpp), --set,
// the resolved-scenario printout, `recoverysim schema` and docs/scenario-reference.md.
#pragma once

#include "distribution.hpp"
#include "errors.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace YAML {
class Emitter;
}

namespace recoverysim {

enum class ParamKind { real, integer, boolean, choice, text };

using ParamValue = std::variant<double, std::int64_t, bool, std::string>;

struct ParamSpec {
  std::string path;  // dotted, e.g. "model.lapse.base_hazard_per_day.opioid"
  ParamKind kind = ParamKind::real;
  std::string unit;  // e.g. "per day", "days", "probability", "log-odds"
  std::string doc;
  double min = 0.0;  // inclusive range, for real and integer
  double max = 0.0;
  std::vector<std::string> choices;  // for choice
  ParamValue default_value;
  std::function<void(const ParamValue&)> assign;
  std::function<ParamValue()> current;
};

// Renders a value the way it is written in YAML (shortest round-trip form for reals).
std::string format_value(const ParamValue& value);
std::string kind_name(ParamKind kind);
// "a number in [0, 1]", "an integer in [1, 100000]", "one of detox, residential, ..."
std::string expectation(const ParamSpec& spec);

class ParamTable {
 public:
  void add_real(std::string path, double& target, double default_value, double min, double max, std::string unit,
                std::string doc);
  void add_integer(std::string path, std::int64_t& target, std::int64_t default_value, std::int64_t min,
                   std::int64_t max, std::string unit, std::string doc);
  void add_boolean(std::string path, bool& target, bool default_value, std::string doc);
  void add_text(std::string path, std::string& target, std::string default_value, std::string doc);

  // An enumeration stored in `target`; `names[i]` is the name of the value with index i.
  template <class Enum>
  void add_choice(std::string path, Enum& target, Enum default_value, std::vector<std::string> names, std::string doc) {
    ParamSpec spec;
    spec.path = std::move(path);
    spec.kind = ParamKind::choice;
    spec.doc = std::move(doc);
    spec.default_value = names.at(static_cast<std::size_t>(default_value));
    spec.choices = std::move(names);
    const auto choices = spec.choices;
    spec.assign = [&target, choices](const ParamValue& v) {
      const auto& name = std::get<std::string>(v);
      for (std::size_t i = 0; i < choices.size(); ++i)
        if (choices[i] == name) target = static_cast<Enum>(i);
    };
    spec.current = [&target, choices]() -> ParamValue { return choices.at(static_cast<std::size_t>(target)); };
    target = default_value;
    add(std::move(spec));
  }

  // A key of an earlier model version that a later one replaced: naming it (in a scenario or
  // with --set) is an error whose message names what replaces it. `path` may be a section:
  // then every key below it is retired. The schema's Markdown lists the retired keys.
  struct RetiredKey {
    std::string path;
    std::string replacement;  // the key(s) that replace it, as written in the message
    std::string note;         // what changed, in a few words
    std::string version;      // the model version that retired it, e.g. "2"
  };
  void retire(std::string path, std::string replacement, std::string note, std::string version);
  // The retired key that `path` names (the key itself, a key below a retired section, or a
  // section holding only retired keys), or nullptr.
  const RetiredKey* retired(std::string_view path) const;
  // Throws InputError at `where` if `path` is a retired key.
  void refuse_if_retired(std::string_view path, const SourceLocation& where) const;

  // A key of an earlier model version that still means something under another name: setting
  // it sets `replacement` and leaves a warning (warnings()). `path` may be a section: every key
  // below it stands for the same key below `replacement`. The schema's Markdown lists them.
  void deprecate(std::string path, std::string replacement, std::string note, std::string version);
  // The same for one value of a choice key: `path: old_value` sets `new_value`, with a warning.
  void deprecate_value(std::string path, std::string old_value, std::string new_value, std::string note,
                       std::string version);
  // A section whose entries the user names (`treatment.settings.<name>`, say): the first time a
  // scenario names `prefix.<name>`, `open(name)` declares its keys. Names are lower-case
  // identifiers; `limit` bounds how many a table may hold.
  void open_section(std::string prefix, std::size_t limit, std::function<void(const std::string& name)> open);
  // The key a path a user wrote stands for: itself if declared; its replacement if deprecated
  // (with a warning at `where`); below an open section, declared now if it was not. nullptr if
  // none of these. Throws InputError when an open section is full or the name is not valid.
  const ParamSpec* resolve(std::string_view path, const SourceLocation& where);
  // Same, for a section: the path the keys below it live at, or "" if it names no section.
  std::string resolve_section(std::string_view path, const SourceLocation& where);
  struct Warning {
    SourceLocation where;
    std::string message;
  };
  // The deprecated names and values a scenario used, in the order met (each once per place).
  const std::vector<Warning>& warnings() const { return warnings_; }

  // A key declared by hand (a choice whose names a scenario extends, say).
  void add_spec(ParamSpec spec) { add(std::move(spec)); }

  const std::vector<ParamSpec>& specs() const { return specs_; }
  const ParamSpec* find(std::string_view path) const;
  // Adds a name to a choice key's list (a setting a scenario defines, say).
  void add_choice_name(std::string_view path, std::string name);
  // True when some parameter lives below `prefix` (i.e. `prefix` names a section).
  bool is_section(std::string_view prefix) const;
  // Names directly below a section ("" for the top level), in declaration order.
  std::vector<std::string> children(std::string_view prefix) const;

  // Parses `text` as a value of the parameter, checks its type and range, and assigns it.
  // `quoted` says the YAML scalar was quoted (so it is a string, not a number).
  void assign_text(const ParamSpec& spec, std::string_view text, const SourceLocation& where, bool quoted = false);
  // --set path=value (or path={dist: ...})
  void assign_from_option(std::string_view path_equals_value);

  // A numeric parameter drawn once per replicate. The value stays at the distribution's mean
  // until a draw is assigned. Throws InputError when the key is not numeric or the
  // distribution cannot fit the key's range.
  void set_distribution(const ParamSpec& spec, Distribution dist, const SourceLocation& where);
  struct Uncertain {
    Distribution distribution;
    SourceLocation where;
  };
  const std::map<std::string, Uncertain, std::less<>>& distributions() const { return distributions_; }
  // Assigns one replicate's draw (rounded for an integer key). False when it falls outside
  // the key's range.
  bool assign_drawn(const ParamSpec& spec, double value);
  // Copies the value, origin and distribution of every key `other` also declares.
  void copy_values_from(const ParamTable& other);

  // Where a parameter was last set; a default has an unknown location.
  SourceLocation where_set(std::string_view path) const;

  // The resolved scenario: every parameter, defaults filled in, as nested YAML.
  std::string to_yaml() const;
  // The same keys and values, emitted inside a mapping the caller has begun; `skip` leaves keys
  // out, `extra` adds values the table does not hold (a list of mappings, say) at their paths.
  struct EmitOptions {
    std::vector<std::string> skip;
    std::vector<std::pair<std::string, std::function<void(YAML::Emitter&)>>> extra;
  };
  void emit_entries(YAML::Emitter& out, const EmitOptions& options) const;
  void emit_entries(YAML::Emitter& out) const { emit_entries(out, EmitOptions{}); }
  // Every parameter as a YAML list (name, type, default, range, unit, doc).
  std::string schema_yaml() const;
  // Markdown reference, one table per top-level section.
  std::string schema_markdown() const;
  // One Markdown table of every parameter (for a module's page).
  std::string markdown_table() const;

 private:
  void add(ParamSpec spec);
  struct DeprecatedKey {
    std::string path;
    std::string replacement;
    std::string note;
    std::string version;
    std::string old_value, new_value;  // for a deprecated value of a choice key
  };
  struct OpenSection {
    std::string prefix;
    std::size_t limit = 0;
    std::function<void(const std::string&)> open;
    std::vector<std::string> opened;  // the names declared so far, in order
  };
  void warn(const SourceLocation& where, std::string message);
  bool open_entry(std::string_view path, const SourceLocation& where);
  std::vector<ParamSpec> specs_;
  std::vector<RetiredKey> retired_;
  std::vector<DeprecatedKey> deprecated_;
  std::vector<OpenSection> open_sections_;
  std::vector<Warning> warnings_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::map<std::string, SourceLocation, std::less<>> set_at_;
  std::map<std::string, Uncertain, std::less<>> distributions_;
};

// Edit distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word`, or "" when none is close enough to be a plausible typo.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// "a, b, c", for messages that list the valid names.
std::string join_names(const std::vector<std::string>& names);

}  // namespace recoverysim
