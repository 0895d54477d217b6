// The parameter table: declaration, typed assignment from text, and the renderings
// (resolved YAML, schema YAML, Markdown reference) that all come from the same declarations.
#include "params.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

namespace recoverysim {

namespace {

std::string format_real(double x) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  std::string s(buffer, result.ptr);
  // Keep reals recognisable as reals in YAML: 2 -> 2.0
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string format_bound(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return std::to_string(static_cast<long long>(x));
  return format_real(x);
}

std::string trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

// Strict number parsing: the whole text must be a finite decimal number.
bool parse_real(std::string_view text, double& out) {
  if (text.empty()) return false;
  if (text.front() == '+') text.remove_prefix(1);
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size() && std::isfinite(out);
}

bool parse_integer(std::string_view text, std::int64_t& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  if (result.ec == std::errc() && result.ptr == text.data() + text.size()) return true;
  // Accept integral values written in exponent form, e.g. 1e6 agents.
  double x = 0.0;
  if (parse_real(text, x) && x == std::floor(x) && std::fabs(x) < 9.0e15) {
    out = static_cast<std::int64_t>(x);
    return true;
  }
  return false;
}

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

std::string format_value(const ParamValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) return format_real(v);
        else if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else return v;
      },
      value);
}

std::string kind_name(ParamKind kind) {
  switch (kind) {
    case ParamKind::real: return "real";
    case ParamKind::integer: return "integer";
    case ParamKind::boolean: return "boolean";
    case ParamKind::choice: return "choice";
    case ParamKind::text: return "text";
  }
  return "?";
}

std::string expectation(const ParamSpec& spec) {
  switch (spec.kind) {
    case ParamKind::real: return "a number in [" + format_bound(spec.min) + ", " + format_bound(spec.max) + "]";
    case ParamKind::integer: return "an integer in [" + format_bound(spec.min) + ", " + format_bound(spec.max) + "]";
    case ParamKind::boolean: return "true or false";
    case ParamKind::text: return "a text";
    case ParamKind::choice: {
      std::string s = "one of ";
      for (std::size_t i = 0; i < spec.choices.size(); ++i) s += (i ? ", " : "") + spec.choices[i];
      return s;
    }
  }
  return "?";
}

void ParamTable::add(ParamSpec spec) {
  if (index_.count(spec.path)) throw std::logic_error("parameter declared twice: " + spec.path);
  index_.emplace(spec.path, specs_.size());
  specs_.push_back(std::move(spec));
}

void ParamTable::add_real(std::string path, double& target, double default_value, double min, double max,
                          std::string unit, std::string doc) {
  ParamSpec spec;
  spec.path = std::move(path);
  spec.kind = ParamKind::real;
  spec.unit = std::move(unit);
  spec.doc = std::move(doc);
  spec.min = min;
  spec.max = max;
  spec.default_value = default_value;
  spec.assign = [&target](const ParamValue& v) { target = std::get<double>(v); };
  spec.current = [&target]() -> ParamValue { return target; };
  target = default_value;
  add(std::move(spec));
}

void ParamTable::add_integer(std::string path, std::int64_t& target, std::int64_t default_value, std::int64_t min,
                             std::int64_t max, std::string unit, std::string doc) {
  ParamSpec spec;
  spec.path = std::move(path);
  spec.kind = ParamKind::integer;
  spec.unit = std::move(unit);
  spec.doc = std::move(doc);
  spec.min = static_cast<double>(min);
  spec.max = static_cast<double>(max);
  spec.default_value = default_value;
  spec.assign = [&target](const ParamValue& v) { target = std::get<std::int64_t>(v); };
  spec.current = [&target]() -> ParamValue { return target; };
  target = default_value;
  add(std::move(spec));
}

void ParamTable::add_boolean(std::string path, bool& target, bool default_value, std::string doc) {
  ParamSpec spec;
  spec.path = std::move(path);
  spec.kind = ParamKind::boolean;
  spec.doc = std::move(doc);
  spec.default_value = default_value;
  spec.assign = [&target](const ParamValue& v) { target = std::get<bool>(v); };
  spec.current = [&target]() -> ParamValue { return target; };
  target = default_value;
  add(std::move(spec));
}

void ParamTable::add_text(std::string path, std::string& target, std::string default_value, std::string doc) {
  ParamSpec spec;
  spec.path = std::move(path);
  spec.kind = ParamKind::text;
  spec.doc = std::move(doc);
  spec.default_value = default_value;
  spec.assign = [&target](const ParamValue& v) { target = std::get<std::string>(v); };
  spec.current = [&target]() -> ParamValue { return target; };
  target = std::move(default_value);
  add(std::move(spec));
}

const ParamSpec* ParamTable::find(std::string_view path) const {
  const auto it = index_.find(path);
  return it == index_.end() ? nullptr : &specs_[it->second];
}

bool ParamTable::is_section(std::string_view prefix) const {
  if (prefix.empty()) return true;
  const std::string dotted = std::string(prefix) + ".";
  const auto it = index_.lower_bound(dotted);
  return it != index_.end() && it->first.compare(0, dotted.size(), dotted) == 0;
}

std::vector<std::string> ParamTable::children(std::string_view prefix) const {
  const std::string dotted = prefix.empty() ? std::string() : std::string(prefix) + ".";
  std::vector<std::string> names;
  for (const auto& spec : specs_) {
    if (spec.path.compare(0, dotted.size(), dotted) != 0) continue;
    const auto rest = std::string_view(spec.path).substr(dotted.size());
    const std::string child(rest.substr(0, rest.find('.')));
    if (std::find(names.begin(), names.end(), child) == names.end()) names.push_back(child);
  }
  return names;
}

void ParamTable::assign_text(const ParamSpec& spec, std::string_view raw, const SourceLocation& where, bool quoted) {
  const std::string text = trim(raw);
  const auto fail = [&](const std::string& got) {
    throw InputError(where, spec.path + ": expected " + expectation(spec) + ", got " + got);
  };
  const std::string shown = text.empty() ? std::string("nothing") : quote(text);
  ParamValue value;
  switch (spec.kind) {
    case ParamKind::real: {
      double x = 0.0;
      if (quoted) fail("the quoted text " + quote(text));
      if (!parse_real(text, x)) {
        if (text == ".nan" || text == "nan" || text == "NaN" || text == ".inf" || text == "inf" || text == "-.inf")
          fail(shown + " (not a finite number)");
        fail(shown);
      }
      if (x < spec.min || x > spec.max) fail(shown + " (out of range)");
      value = x;
      break;
    }
    case ParamKind::integer: {
      std::int64_t n = 0;
      if (quoted) fail("the quoted text " + quote(text));
      if (!parse_integer(text, n)) fail(shown);
      if (static_cast<double>(n) < spec.min || static_cast<double>(n) > spec.max) fail(shown + " (out of range)");
      value = n;
      break;
    }
    case ParamKind::boolean:
      if (quoted) fail("the quoted text " + quote(text));
      if (text == "true") value = true;
      else if (text == "false") value = false;
      else fail(shown);
      break;
    case ParamKind::choice: {
      for (const auto& d : deprecated_)
        if (d.path == spec.path && d.old_value == text) {
          warn(where, spec.path + ": '" + text + "' is deprecated since model version " + d.version + ": it means '" +
                          d.new_value + "' (" + d.note + ")");
          value = d.new_value;
        }
      if (!std::holds_alternative<std::string>(value) &&
          std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        const std::string hint = closest_match(text, spec.choices);
        fail(shown + (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)"));
      }
      if (!std::holds_alternative<std::string>(value)) value = text;
      break;
    }
    case ParamKind::text:
      if (text.empty()) fail("nothing");
      value = text;
      break;
  }
  spec.assign(value);
  set_at_[spec.path] = where;
  distributions_.erase(spec.path);
}

void ParamTable::set_distribution(const ParamSpec& spec, Distribution dist, const SourceLocation& where) {
  if (spec.kind != ParamKind::real && spec.kind != ParamKind::integer)
    throw InputError(where,
                     spec.path + ": only a number can be given as a distribution; expected " + expectation(spec));
  const double mean = dist.mean();
  const std::string range = "[" + format_bound(spec.min) + ", " + format_bound(spec.max) + "]";
  if (mean < spec.min || mean > spec.max)
    throw InputError(where, spec.path + ": the distribution " + dist.describe() + " has mean " + format_real(mean) +
                                ", outside the key's range " + range);
  if ((std::isfinite(dist.support_min()) && dist.support_min() < spec.min) ||
      (std::isfinite(dist.support_max()) && dist.support_max() > spec.max))
    throw InputError(where, spec.path + ": the distribution " + dist.describe() +
                                " can draw values outside the key's range " + range);
  if (spec.kind == ParamKind::real) spec.assign(mean);
  else spec.assign(static_cast<std::int64_t>(std::llround(mean)));
  set_at_[spec.path] = where;
  distributions_[spec.path] = Uncertain{std::move(dist), where};
}

bool ParamTable::assign_drawn(const ParamSpec& spec, double value) {
  if (spec.kind == ParamKind::integer) value = std::nearbyint(value);
  if (!(value >= spec.min && value <= spec.max)) return false;
  if (spec.kind == ParamKind::real) spec.assign(value);
  else spec.assign(static_cast<std::int64_t>(value));
  return true;
}

void ParamTable::copy_values_from(const ParamTable& other) {
  for (const auto& section : other.open_sections_)
    for (const auto& name : section.opened) open_entry(section.prefix + "." + name + ".", SourceLocation{});
  for (const auto& spec : specs_) {
    const ParamSpec* from = other.find(spec.path);
    if (!from) continue;
    spec.assign(from->current());
    set_at_.erase(spec.path);
    if (const auto w = other.set_at_.find(spec.path); w != other.set_at_.end()) set_at_[spec.path] = w->second;
    distributions_.erase(spec.path);
    if (const auto d = other.distributions_.find(spec.path); d != other.distributions_.end())
      distributions_[spec.path] = d->second;
  }
}

void ParamTable::deprecate(std::string path, std::string replacement, std::string note, std::string version) {
  deprecated_.push_back({std::move(path), std::move(replacement), std::move(note), std::move(version), {}, {}});
}

void ParamTable::deprecate_value(std::string path, std::string old_value, std::string new_value, std::string note,
                                 std::string version) {
  deprecated_.push_back(
      {std::move(path), {}, std::move(note), std::move(version), std::move(old_value), std::move(new_value)});
}

void ParamTable::open_section(std::string prefix, std::size_t limit, std::function<void(const std::string&)> open) {
  open_sections_.push_back({std::move(prefix), limit, std::move(open), {}});
}

void ParamTable::add_choice_name(std::string_view path, std::string name) {
  const auto it = index_.find(path);
  if (it == index_.end() || specs_[it->second].kind != ParamKind::choice)
    throw std::logic_error("not a choice key: " + std::string(path));
  specs_[it->second].choices.push_back(std::move(name));
}

void ParamTable::warn(const SourceLocation& where, std::string message) {
  for (const auto& w : warnings_)
    if (w.message == message && w.where.to_string() == where.to_string()) return;
  warnings_.push_back({where, std::move(message)});
}

// Declares `prefix.<name>` of an open section when `path` lies below one and names a new entry.
bool ParamTable::open_entry(std::string_view path, const SourceLocation& where) {
  for (auto& section : open_sections_) {
    const std::string dotted = section.prefix + ".";
    if (path.size() <= dotted.size() || path.substr(0, dotted.size()) != dotted) continue;
    const std::string name(path.substr(dotted.size(), path.find('.', dotted.size()) - dotted.size()));
    if (is_section(dotted + name) || find(dotted + name)) return false;
    const bool identifier = !name.empty() && name.size() <= 40 && name[0] >= 'a' && name[0] <= 'z' &&
                            std::all_of(name.begin(), name.end(), [](char c) {
                              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                            });
    if (!identifier)
      throw InputError(where, "'" + dotted + name + "': a new entry of " + section.prefix +
                                  " needs a name of lower-case letters, digits and _ (at most 40), starting with a "
                                  "letter");
    if (section.opened.size() >= section.limit)
      throw InputError(where, "'" + dotted + name + "': " + section.prefix + " holds at most " +
                                  std::to_string(section.limit) + " entries (" + join_names(children(section.prefix)) +
                                  ")");
    try {
      section.open(name);
    } catch (const InputError& e) {
      if (e.where().known()) throw;
      throw InputError(where, e.what());  // the opener's refusal, at the place the name was written
    }
    section.opened.push_back(name);
    return true;
  }
  return false;
}

namespace {

// The deprecated entry `path` falls under, and the path it stands for.
template <class Deprecated>
const Deprecated* deprecated_key(const std::vector<Deprecated>& list, std::string_view path, std::string& target) {
  for (const auto& d : list) {
    if (!d.old_value.empty()) continue;
    if (path == d.path) {
      target = d.replacement;
      return &d;
    }
    if (path.size() > d.path.size() && path.substr(0, d.path.size()) == d.path && path[d.path.size()] == '.') {
      target = d.replacement + std::string(path.substr(d.path.size()));
      return &d;
    }
  }
  return nullptr;
}

}  // namespace

const ParamSpec* ParamTable::resolve(std::string_view path, const SourceLocation& where) {
  if (const ParamSpec* spec = find(path)) return spec;
  std::string current(path), target, notes;
  const DeprecatedKey* first = nullptr;
  // A deprecated name may lead to another (v1's moud section holds v1's key names).
  for (int hop = 0; hop < 4; ++hop) {
    const DeprecatedKey* d = deprecated_key(deprecated_, current, target);
    if (!d) break;
    if (!first) first = d;
    notes += (notes.empty() ? "" : "; ") + d->note;
    current = target;
  }
  open_entry(current, where);
  const ParamSpec* spec = find(current);
  if (spec && first)
    warn(where, "'" + std::string(path) + "' is deprecated since model version " + first->version + ": it sets '" +
                    current + "' (" + notes + ")");
  return spec;
}

std::string ParamTable::resolve_section(std::string_view path, const SourceLocation& where) {
  if (is_section(path)) return std::string(path);
  std::string target;
  if (const DeprecatedKey* d = deprecated_key(deprecated_, path, target)) {
    open_entry(target + ".", where);
    if (!is_section(target)) return {};
    warn(where, "'" + std::string(path) + "' is deprecated since model version " + d->version + ": it stands for '" +
                    target + "' (" + d->note + ")");
    return target;
  }
  open_entry(std::string(path) + ".", where);
  return is_section(path) ? std::string(path) : std::string();
}

void ParamTable::retire(std::string path, std::string replacement, std::string note, std::string version) {
  retired_.push_back({std::move(path), std::move(replacement), std::move(note), std::move(version)});
}

const ParamTable::RetiredKey* ParamTable::retired(std::string_view path) const {
  const auto below = [](std::string_view inner, std::string_view outer) {
    return inner.size() > outer.size() && inner.substr(0, outer.size()) == outer && inner[outer.size()] == '.';
  };
  for (const auto& r : retired_)
    if (path == r.path || below(path, r.path) || (below(r.path, path) && !is_section(path))) return &r;
  return nullptr;
}

void ParamTable::refuse_if_retired(std::string_view path, const SourceLocation& where) const {
  if (const RetiredKey* r = retired(path))
    throw InputError(where, "'" + std::string(path) + "' was replaced in model version " + r->version + " by " +
                                r->replacement + " (" + r->note + "; docs/scenario-reference.md lists the changes)");
}

void ParamTable::assign_from_option(std::string_view path_equals_value) {
  const SourceLocation where{"--set " + std::string(path_equals_value), 0, 0};
  const auto eq = path_equals_value.find('=');
  if (eq == std::string_view::npos) throw InputError(where, "expected path.to.key=value");
  const std::string path = trim(path_equals_value.substr(0, eq));
  const ParamSpec* spec = resolve(path, where);
  if (!spec) {
    refuse_if_retired(path, where);
    std::vector<std::string> paths;
    for (const auto& s : specs_) paths.push_back(s.path);
    const std::string hint = closest_match(path, paths);
    throw InputError(where, "unknown key '" + path + "'" +
                                (hint.empty() ? std::string(" (see `recoverysim schema`)")
                                              : " (did you mean '" + hint + "'?)"));
  }
  const std::string value = trim(path_equals_value.substr(eq + 1));
  if (!value.empty() && value.front() == '{')
    set_distribution(*spec, Distribution::parse_text(value, where, path), where);
  else assign_text(*spec, value, where);
}

SourceLocation ParamTable::where_set(std::string_view path) const {
  const auto it = set_at_.find(path);
  return it == set_at_.end() ? SourceLocation{} : it->second;
}

namespace {

// Nested view of dotted paths, in declaration order, for emitting YAML.
struct TreeNode {
  std::string name;
  const ParamSpec* spec = nullptr;
  const Distribution* distribution = nullptr;                 // set when the key is drawn per replicate
  const std::function<void(YAML::Emitter&)>* emit = nullptr;  // a value the table does not hold
  std::vector<TreeNode> children;

  TreeNode& child(const std::string& n) {
    for (auto& c : children)
      if (c.name == n) return c;
    children.push_back(TreeNode{n, nullptr, nullptr, nullptr, {}});
    return children.back();
  }
};

void emit_children(YAML::Emitter& out, const TreeNode& node);

void emit_tree(YAML::Emitter& out, const TreeNode& node) {
  out << YAML::BeginMap;
  emit_children(out, node);
  out << YAML::EndMap;
}

void emit_children(YAML::Emitter& out, const TreeNode& node) {
  for (const auto& c : node.children) {
    out << YAML::Key << c.name << YAML::Value;
    if (c.emit) {
      (*c.emit)(out);
    } else if (c.distribution) {
      c.distribution->emit(out);
    } else if (c.spec) {
      const ParamValue v = c.spec->current();
      if (c.spec->kind == ParamKind::text) out << YAML::DoubleQuoted << std::get<std::string>(v);
      else out << format_value(v);
    } else {
      emit_tree(out, c);
    }
  }
}

}  // namespace

void ParamTable::emit_entries(YAML::Emitter& out, const EmitOptions& options) const {
  TreeNode root;
  const auto node_at = [&](std::string_view path) {
    TreeNode* node = &root;
    for (;;) {
      const auto dot = path.find('.');
      node = &node->child(std::string(path.substr(0, dot)));
      if (dot == std::string_view::npos) return node;
      path.remove_prefix(dot + 1);
    }
  };
  for (const auto& spec : specs_) {
    if (std::find(options.skip.begin(), options.skip.end(), spec.path) != options.skip.end()) continue;
    TreeNode* node = node_at(spec.path);
    node->spec = &spec;
    if (const auto d = distributions_.find(spec.path); d != distributions_.end())
      node->distribution = &d->second.distribution;
  }
  for (const auto& [path, emit] : options.extra) node_at(path)->emit = &emit;
  emit_children(out, root);
}

std::string ParamTable::to_yaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_entries(out);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

namespace {
std::string markdown_row(const ParamSpec& spec) {
  std::string range;
  if (spec.kind == ParamKind::real || spec.kind == ParamKind::integer)
    range = "[" + format_bound(spec.min) + ", " + format_bound(spec.max) + "]";
  else if (spec.kind == ParamKind::choice) range = expectation(spec).substr(7);
  else if (spec.kind == ParamKind::boolean) range = "true, false";
  return "| `" + spec.path + "` | " + kind_name(spec.kind) + " | `" + format_value(spec.default_value) + "` | " +
         range + " | " + spec.unit + " | " + spec.doc + " |\n";
}
constexpr const char* markdown_header =
    "| key | type | default | range | unit | description |\n|---|---|---|---|---|---|\n";
}  // namespace

std::string ParamTable::schema_yaml() const {
  YAML::Emitter out;
  out << YAML::BeginSeq;
  for (const auto& spec : specs_) {
    out << YAML::BeginMap;
    out << YAML::Key << "key" << YAML::Value << spec.path;
    out << YAML::Key << "type" << YAML::Value << kind_name(spec.kind);
    out << YAML::Key << "default" << YAML::Value;
    if (spec.kind == ParamKind::text) out << YAML::DoubleQuoted << std::get<std::string>(spec.default_value);
    else out << format_value(spec.default_value);
    if (spec.kind == ParamKind::real || spec.kind == ParamKind::integer) {
      out << YAML::Key << "min" << YAML::Value << format_bound(spec.min);
      out << YAML::Key << "max" << YAML::Value << format_bound(spec.max);
    }
    if (spec.kind == ParamKind::choice) {
      out << YAML::Key << "choices" << YAML::Value << YAML::Flow << spec.choices;
    }
    if (!spec.unit.empty()) out << YAML::Key << "unit" << YAML::Value << spec.unit;
    out << YAML::Key << "doc" << YAML::Value << spec.doc;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  return std::string(out.c_str()) + "\n";
}

std::string ParamTable::schema_markdown() const {
  std::ostringstream md;
  md << "# Scenario reference\n\n"
     << "Every key a scenario file may set, generated from the parameter table by\n"
     << "`recoverysim schema --format markdown` (a test fails when this file is out of date).\n"
     << "Keys are written nested in YAML or dotted with `--set`; a key that is not set takes its default.\n";
  std::string section;
  for (const auto& spec : specs_) {
    const std::string top = spec.path.substr(0, spec.path.find('.'));
    if (top != section) {
      section = top;
      md << "\n## `" << section << "`\n\n" << markdown_header;
    }
    md << markdown_row(spec);
  }
  if (!retired_.empty()) {
    md << "\n## Keys replaced by a later model version\n\n"
       << "A scenario that sets one of these keys is refused with a message naming its replacement.\n\n"
       << "| old key | model version | replaced by | what changed |\n|---|---|---|---|\n";
    for (const auto& r : retired_)
      md << "| `" << r.path << "` | " << r.version << " | " << r.replacement << " | " << r.note << " |\n";
  }
  if (!deprecated_.empty()) {
    md << "\n## Deprecated names\n\n"
       << "A scenario may still use these names of an earlier model version: each sets its replacement, and\n"
       << "the program prints a one-line warning naming the file, line and replacement.\n\n"
       << "| old name | model version | stands for | what changed |\n|---|---|---|---|\n";
    for (const auto& d : deprecated_)
      md << "| `" << d.path << (d.old_value.empty() ? "" : ": " + d.old_value) << "` | " << d.version << " | `"
         << (d.old_value.empty() ? d.replacement : d.path + ": " + d.new_value) << "` | " << d.note << " |\n";
  }
  return md.str();
}

std::string ParamTable::markdown_table() const {
  std::string md = markdown_header;
  for (const auto& spec : specs_) md += markdown_row(spec);
  // Keys of an earlier model version, refused with a message naming their replacement.
  for (const auto& r : retired_)
    md += "\nRefused: `" + r.path + "` (replaced in model version " + r.version + " by " + r.replacement + ": " +
          r.note + ").\n";
  return md;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
  return s;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  return best_distance <= allowed ? best : std::string();
}

}  // namespace recoverysim
