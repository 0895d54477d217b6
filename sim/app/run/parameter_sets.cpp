// Reading a calibration's posterior sets (fit.h5), the scenario's `parameter_sets` section, and
// which set a replicate takes. What the sets may set in a scenario is checked by Scenario, which
// knows its keys and arms.
#include "parameter_sets.hpp"

#include "h5.hpp"
#include "params.hpp"
#include "random.hpp"
#include "scenario_file.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>

namespace recoverysim {

namespace {

// The calibration files this build reads (calibration.cpp writes them).
constexpr const char* fit_format = "recoverysim calibration";
constexpr std::int64_t fit_format_version = 1;

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (std::size_t k = 0; k < dims.size(); ++k) s += (k ? ", " : "") + std::to_string(dims[k]);
  return s + "]";
}

// The root's `format` and `format_version`: a calibration file of a version this build reads.
void check_fit_format(const h5::Group& root, const std::string& path) {
  if (!root.has_attribute("format") || root.string_attribute("format") != fit_format)
    throw InputError({path, 0, 0}, std::string("not a calibration file (no `format: ") + fit_format +
                                       "`; parameter sets come from the fit.h5 of `recoverysim calibrate`)");
  const std::int64_t version = root.has_attribute("format_version") ? root.integer_attribute("format_version") : -1;
  if (version > fit_format_version)
    throw InputError({path, 0, 0}, "written by a newer recoverysim (calibration format_version " +
                                       std::to_string(version) + "; this one reads version " +
                                       std::to_string(fit_format_version) + "): use the newer recoverysim");
  if (version < fit_format_version)
    throw InputError({path, 0, 0}, "calibration format_version " +
                                       (version < 0 ? std::string("missing") : std::to_string(version)) +
                                       "; this recoverysim reads version " + std::to_string(fit_format_version));
}

// A dataset of doubles of exactly `dims` (0: any size >= 1 there), every value finite.
std::vector<double> read_doubles(const h5::Group& root, const std::string& name, std::vector<hsize_t> dims,
                                 const std::string& expected, const std::string& path) {
  if (!root.exists(name)) throw InputError({path, 0, 0}, "/" + name + ": missing (expected " + expected + ")");
  const h5::Dataset d = root.open_dataset(name);
  const std::vector<hsize_t> actual = d.dims();
  bool fits = actual.size() == dims.size() && d.type_name() == "float64";
  for (std::size_t k = 0; fits && k < dims.size(); ++k) fits = dims[k] == 0 ? actual[k] >= 1 : actual[k] == dims[k];
  if (!fits)
    throw InputError({path, 0, 0}, "/" + name + ": expected " + expected + ", got " + shape_text(actual) +
                                       (d.type_name() == "float64" ? std::string() : " " + d.type_name()));
  std::vector<double> values = d.read_all<double>();
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw InputError({path, 0, 0}, "/" + name + ": value " + std::to_string(i + 1) + " is " +
                                         format_value(values[i]) + ", expected a finite number");
  return values;
}

std::vector<std::string> read_names(const h5::Group& root, const std::string& path) {
  if (!root.exists("parameters") || !root.open_group("parameters").has_attribute("names"))
    throw InputError({path, 0, 0}, "/parameters: missing attribute `names` (the calibrated parameters' paths)");
  std::vector<std::string> names = root.open_group("parameters").string_list_attribute("names");
  if (names.empty()) throw InputError({path, 0, 0}, "/parameters: attribute `names` is empty");
  std::set<std::string> seen;
  for (const auto& n : names)
    if (n.empty() || !seen.insert(n).second)
      throw InputError({path, 0, 0}, "/parameters: attribute `names`: " +
                                         (n.empty() ? std::string("an empty name") : "'" + n + "' twice"));
  return names;
}

ParameterSets read_fit(const h5::Group& root, const std::string& path) {
  check_fit_format(root, path);
  ParameterSets out;
  out.source = path;
  out.where = {path, 0, 0};
  out.name = root.has_attribute("name") ? root.string_attribute("name") : std::string();
  if (out.name.empty()) throw InputError({path, 0, 0}, "missing attribute `name` (the calibration's name)");
  out.paths = read_names(root, path);
  const hsize_t P = out.paths.size();
  const std::string vector = "[" + std::to_string(P) + "] doubles (one per name)";
  read_doubles(root, "parameters/min", {P}, vector, path);
  read_doubles(root, "parameters/max", {P}, vector, path);
  const std::vector<double> values =
      read_doubles(root, "posterior/parameters", {0, P}, "[M, " + std::to_string(P) + "] doubles", path);
  for (std::size_t m = 0; m < values.size() / P; ++m)
    out.sets.emplace_back(values.begin() + static_cast<std::ptrdiff_t>(m * P),
                          values.begin() + static_cast<std::ptrdiff_t>((m + 1) * P));
  return out;
}

// ---- the scenario's section

// describe(), which calls every list "a list".
std::string described(const YAML::Node& node) {
  return node && node.IsSequence() && node.size() == 0 ? "an empty list" : describe(node);
}

double number_at(const YAML::Node& node, const std::string& file, const std::string& shown) {
  double x = 0;
  const std::string& text = node.IsScalar() ? node.Scalar() : std::string();
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (!node.IsScalar() || node.Tag() == "!" || text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(x))
    throw InputError(location_of(file, node), shown + ": expected a finite number, got " + describe(node));
  return x;
}

std::string text_at(const YAML::Node& node, const std::string& file, const std::string& shown) {
  if (!node || !node.IsScalar() || node.Scalar().empty())
    throw InputError(location_of(file, node), shown + ": expected a text, got " + describe(node));
  return node.Scalar();
}

std::vector<std::string> read_paths(const YAML::Node& list, const std::string& file) {
  if (!list || !list.IsSequence() || list.size() == 0)
    throw InputError(location_of(file, list),
                     "parameter_sets.paths: expected a list of parameter paths, got " + described(list));
  std::vector<std::string> paths;
  for (std::size_t p = 0; p < list.size(); ++p) {
    const std::string path = text_at(list[p], file, "parameter_sets.paths[" + std::to_string(p) + "]");
    if (std::find(paths.begin(), paths.end(), path) != paths.end())
      throw InputError(location_of(file, list[p]), "parameter_sets.paths: '" + path + "' appears twice");
    paths.push_back(path);
  }
  return paths;
}

std::vector<double> read_set(const YAML::Node& row, std::size_t m, std::size_t width, const std::string& file) {
  const std::string shown = "parameter_sets.sets[" + std::to_string(m) + "]";
  if (!row.IsSequence() || row.size() != width)
    throw InputError(location_of(file, row), shown + ": expected a list of " + std::to_string(width) +
                                                 " numbers (one per path), got " + describe(row) +
                                                 (row.IsSequence() ? " of " + std::to_string(row.size()) : ""));
  std::vector<double> set;
  for (std::size_t p = 0; p < width; ++p) set.push_back(number_at(row[p], file, shown + "[" + std::to_string(p) + "]"));
  return set;
}

}  // namespace

std::string ParameterSets::describe() const {
  return "posterior of " + name + " (" + std::to_string(sets.size()) + " sets)";
}

std::string ParameterSets::origin() const {
  return source.empty() ? "the parameter_sets of " + where.to_string() : source;
}

ParameterSets read_parameter_sets(const std::string& fit_path) {
  std::error_code ec;
  if (!std::filesystem::exists(fit_path, ec)) throw InputError({fit_path, 0, 0}, "no such file");
  if (std::filesystem::is_directory(fit_path, ec))
    throw InputError({fit_path, 0, 0}, "is a directory, expected a calibration file (fit.h5)");
  h5::File file;
  try {
    file = h5::File::open_read_only(fit_path);
  } catch (const h5::Error&) {
    throw InputError({fit_path, 0, 0}, "not an HDF5 file (or truncated or unreadable)");
  }
  try {
    return read_fit(file.root(), fit_path);
  } catch (const h5::Error& e) {  // a member of the wrong kind, an attribute of the wrong type
    throw InputError({fit_path, 0, 0}, std::string("unreadable as a calibration file: ") + e.what());
  }
}

ParameterSets parse_parameter_sets(const YAML::Node& node, const std::string& file) {
  const std::vector<std::string> keys = {"source", "name", "paths", "sets"};
  if (!node.IsMap())
    throw InputError(location_of(file, node),
                     "parameter_sets: expected {source: ..., name: ..., paths: [...], sets: [[...], ...]}, got " +
                         describe(node));
  for (const auto& entry : node)
    if (std::find(keys.begin(), keys.end(), entry.first.Scalar()) == keys.end())
      throw InputError(location_of(file, entry.first), "unknown key 'parameter_sets." + entry.first.Scalar() +
                                                           "'; valid keys here: " + join_names(keys));
  ParameterSets out;
  out.where = location_of(file, node);
  if (node["source"]) out.source = text_at(node["source"], file, "parameter_sets.source");
  out.name = text_at(node["name"], file, "parameter_sets.name");
  out.paths = read_paths(node["paths"], file);
  const YAML::Node sets = node["sets"];
  if (!sets || !sets.IsSequence() || sets.size() == 0)
    throw InputError(location_of(file, sets ? sets : node),
                     "parameter_sets.sets: expected a list of sets, each a list of numbers, got " + described(sets));
  for (std::size_t m = 0; m < sets.size(); ++m) out.sets.push_back(read_set(sets[m], m, out.paths.size(), file));
  return out;
}

void emit_parameter_sets(YAML::Emitter& out, const ParameterSets& sets, bool with_source) {
  out << YAML::BeginMap;
  if (with_source && !sets.source.empty())
    out << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << sets.source;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << sets.name;
  out << YAML::Key << "paths" << YAML::Value << YAML::Flow << sets.paths;
  out << YAML::Key << "sets" << YAML::Value << YAML::BeginSeq;
  for (const auto& set : sets.sets) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const double x : set) out << format_value(x);
    out << YAML::EndSeq;
  }
  out << YAML::EndSeq << YAML::EndMap;
}

std::size_t parameter_set_of_replicate(std::int64_t seed, std::int64_t replicate, std::size_t count) {
  const RandomKey key{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(replicate)};
  const std::uint32_t u =
      philox_block(key, name_counter("parameter-sets"), 0, static_cast<std::uint32_t>(Stream::parameter_sets), 0)[0];
  const auto index = static_cast<std::size_t>(std::floor(to_open_unit(u) * static_cast<double>(count)));
  return std::min(index, count - 1);  // u < 1, but u * count may round up to count for a huge count
}

}  // namespace recoverysim
