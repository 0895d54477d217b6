// Declaration of the run-level keys (the fixed basic keys users' scripts rely on), the
// recovery model's keys, the analysis keys, and the arms: a list of {name, interventions,
// set, sweep}, a sweep expanding into one arm per point. Parameters given as distributions
// are drawn here, once per replicate, and a calibration's posterior sets (parameter_sets) assigned.
#include "scenario.hpp"

#include "outcome_file.hpp"
#include "scenario_file.hpp"

#include "models/recovery/arm_simulation.hpp"
#include "models/registry.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
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
// sweep_point: written by resolved_yaml() for each point of a sweep, so that a resolved
// scenario loads back to the same arms, labels included.
const std::vector<std::string> arm_keys = {"name", "interventions", "set", "sweep", "sweep_point"};

// More arms than anyone could read the results of; a sweep that expands further is a mistake.
constexpr std::size_t max_arms = 10'000;
constexpr std::int64_t max_tasks = 10'000'000;  // replicates x arms

// No dots: they would be ambiguous in --set arms.<arm>.<path> and in HDF5 paths.
const std::regex& valid_arm_name() {
  static const std::regex re("[A-Za-z0-9_+-]{1,64}");
  return re;
}

// A sweep value as part of an arm name: 0.5 -> 0p5; other characters outside [A-Za-z0-9_+-] -> _.
std::string name_part(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '.') out += 'p';
    else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-') out += c;
    else out += '_';
  }
  return out;
}

// Core keys that shape the cohort (and so the output) or belong to the whole run: one value
// for every arm. Arms share their people, so population and intake may not differ.
// population.start is not: an arm may start the same people in treatment or in the community.
bool is_whole_scenario_key(const std::string& path) {
  return (path.rfind("population.", 0) == 0 && path != "population.start") || path.rfind("intake.", 0) == 0;
}

// The core model's own keys (population, intake, treatment, model): the ones an arm may set.
const ParamTable& recovery_table() {
  static recovery::Parameters values;
  static const ParamTable table = [] {
    ParamTable t;
    recovery::declare_parameters(t, values);
    return t;
  }();
  return table;
}

bool recovery_key(const std::string& path) { return recovery_table().find(path) != nullptr; }

// True when an arm's core table holds the scenario's value for `spec` (the same number, or the
// same distribution).
bool same_as_scenario(const ParamTable& arm_table, const ParamTable& scenario_table, const ParamSpec& spec) {
  const auto mine = arm_table.distributions().find(spec.path);
  const auto theirs = scenario_table.distributions().find(spec.path);
  const bool has_mine = mine != arm_table.distributions().end();
  if (has_mine != (theirs != scenario_table.distributions().end())) return false;
  if (has_mine) return mine->second.distribution.describe() == theirs->second.distribution.describe();
  return format_value(spec.current()) == format_value(scenario_table.find(spec.path)->current());
}

// Keys that size arrays: they cannot be drawn per replicate.
bool is_shape_key(const std::string& path) {
  return path == "days" || path == "replicates" || path == "seed" || path == "population.size" ||
         path.rfind("intake.", 0) == 0;
}

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
  table_.add_boolean("output.events", run.output_events, false,
                     "Also store every event of every agent (/arms/<arm>/events: replicate, agent, day, code, detail)");
  table_.add_text("analysis.reference_arm", analysis.reference_arm, "first",
                  "Arm the others are compared with (differences, cost-effectiveness); `first`: the first arm");
  table_.add_real("analysis.discount_rate", analysis.discount_rate, 0.03, 0.0, 1.0, "per year",
                  "Annual discount rate applied to costs (day t is discounted by (1 + rate)^(t / 365.25))");
  table_.add_integer("analysis.bootstrap_samples", analysis.bootstrap_samples, 2000, 100, 1'000'000, "resamples",
                     "Bootstrap resamples of replicates for the intervals of cost-effectiveness ratios");
  table_.add_choice("analysis.effect", analysis.effect, AnalysisSettings::Effect::relapses_averted,
                    {"relapses_averted", "relapse_free_person_years", "completed_episodes", "abstinent_person_years"},
                    "The effect a decision weighs against cost: relapses averted within the horizon (a relapse only "
                    "delayed past the horizon counts as averted), relapse-free person-years gained, completed first "
                    "episodes gained, or abstinent person-years gained; effects are not discounted");
  table_.add_real("analysis.willingness_to_pay", analysis.willingness_to_pay, 0.0, 0.0, 1e12,
                  "currency units per unit of effect",
                  "What one unit of analysis.effect is worth, for net monetary benefit and recommend "
                  "(0: not stated; recommend then needs --wtp)");
  table_.add_real("analysis.admission_period_days", analysis.admission_period_days, 91.3125, 1.0,
                  recovery::max_day_count, "days",
                  "Length of the admission periods of an open cohort (91.3125: quarters of a year); "
                  "every outcome is also reported for the agents admitted in each period");
}

void Scenario::load(const std::string& path, const std::vector<std::string>& overrides) {
  source_ = path;
  load_root(load_scenario_yaml(path), path, overrides);
}

void Scenario::load_text(const std::string& yaml, const std::string& label, const std::vector<std::string>& overrides) {
  source_ = label;
  load_root(parse_scenario_yaml(yaml, label), label, overrides);
}

void Scenario::load_root(const YAML::Node& root, const std::string& label, const std::vector<std::string>& overrides) {
  overrides_applied_.clear();
  parameter_sets_.reset();
  set_targets_.clear();
  // Every mistake of the file at once (up to InputErrors::shown), then the overrides'.
  ErrorList errors;
  errors.collect([&] { apply_mapping(table_, root, label, {"arms", "analysis.outcomes", "parameter_sets"}); });
  if (const YAML::Node sets = root["parameter_sets"])
    errors.collect([&] { parameter_sets_ = parse_parameter_sets(sets, label); });
  analysis.outcomes.clear();
  if (const YAML::Node section = root["analysis"]; section && section.IsMap())
    if (const YAML::Node outcomes = section["outcomes"])
      errors.collect([&] { analysis.outcomes = read_outcomes(outcomes, label); });
  arms.clear();
  if (const YAML::Node node = root["arms"]) {
    load_arms(node, label, errors);
  } else {
    arms.push_back(Arm{default_arm, default_arm, {}, {}, nullptr, {}});
  }
  errors.throw_if_any();
  for (const auto& o : overrides) errors.collect([&] { apply_override(o); });
  errors.throw_if_any();
  materialise_arm_cores();
  validate();
  if (const YAML::Node section = root["analysis"]; section && section.IsMap())
    if (const YAML::Node outcomes = section["outcomes"]) check_outcomes_against_arms(outcomes, label);
  bind_parameter_sets();
}

std::vector<std::string> Scenario::quantity_names(const Arm& arm) const {
  std::vector<std::string> names;
  const recovery::ObservationPlan plan = observation_plan(arm);
  for (const auto& d : plan.definitions)
    for (auto& q : recovery::outcome_quantity_names(d)) names.push_back(std::move(q));
  for (const auto& n : fixed_quantity_names()) names.push_back(n);
  for (const auto& m : arm.interventions)
    for (const auto& metric : m.module->metric_names()) names.push_back(m.type + "." + metric);
  return names;
}

// What only the arms can tell: an outcome on a module's events needs an arm with that module;
// a contrast needs its arms, and its quantities in them.
void Scenario::check_outcomes_against_arms(const YAML::Node& list, const std::string& file) const {
  std::vector<std::string> arm_names;
  for (const auto& arm : arms) arm_names.push_back(arm.name);
  for (std::size_t k = 0; k < analysis.outcomes.size() && k < list.size(); ++k) {
    const recovery::OutcomeDefinition& d = analysis.outcomes[k];
    const YAML::Node item = list[k];
    const std::string shown = "analysis.outcomes[" + std::to_string(k) + "]";
    // Days beyond the horizon could never be observed.
    for (const auto day : d.days)
      if (day > run.days)
        throw InputError(location_of(file, item["days"]),
                         shown + ".days: day " + std::to_string(day) +
                             " is beyond the horizon (days: " + std::to_string(run.days) + ")");
    if (d.restricted_mean_days > run.days)
      throw InputError(location_of(file, item["restricted_mean_days"]),
                       shown + ".restricted_mean_days: " + std::to_string(d.restricted_mean_days) +
                           " is beyond the horizon (days: " + std::to_string(run.days) + ")");
    std::vector<recovery::EventCode> codes = d.origin.codes;
    for (const auto& cause : d.causes) codes.insert(codes.end(), cause.begin(), cause.end());
    for (const auto code : codes) {
      if (code < 1000) continue;
      const bool somewhere = std::any_of(arms.begin(), arms.end(), [&](const Arm& arm) {
        return std::any_of(arm.interventions.begin(), arm.interventions.end(),
                           [&](const ArmModule& m) { return code >= m.stream_base && code < m.stream_base + 100; });
      });
      if (!somewhere) {
        std::string event;
        for (const auto& e : event_vocabulary())
          if (e.codes == std::vector<recovery::EventCode>{code}) event = e.name;
        throw InputError(location_of(file, item), shown + ": the event '" + event + "' belongs to the " +
                                                      event.substr(0, event.find('.')) + " module, which no arm has");
      }
    }
    if (d.statistic != recovery::OutcomeStatistic::ratio && d.statistic != recovery::OutcomeStatistic::difference)
      continue;
    std::vector<const Arm*> compared;
    for (std::size_t j = 0; j < d.arms.size(); ++j) {
      const auto it = std::find_if(arms.begin(), arms.end(), [&](const Arm& a) { return a.name == d.arms[j]; });
      if (it == arms.end()) {
        const std::string hint = closest_match(d.arms[j], arm_names);
        throw InputError(location_of(file, item["arms"]),
                         shown + ".arms: no arm named '" + d.arms[j] + "'" +
                             (hint.empty() ? "; arms: " + join_names(arm_names) : " (did you mean '" + hint + "'?)"));
      }
      compared.push_back(&*it);
    }
    if (compared.empty())
      for (const auto& arm : arms) compared.push_back(&arm);
    for (const auto& q : d.of) {
      const bool some = std::any_of(compared.begin(), compared.end(), [&](const Arm* arm) {
        const auto names = quantity_names(*arm);
        return std::find(names.begin(), names.end(), q) != names.end();
      });
      const bool all = std::all_of(compared.begin(), compared.end(), [&](const Arm* arm) {
        const auto names = quantity_names(*arm);
        return std::find(names.begin(), names.end(), q) != names.end();
      });
      if ((d.arms.empty() && !some) || (!d.arms.empty() && !all)) {
        std::vector<std::string> candidates = quantity_names(*compared.front());
        const std::string hint = closest_match(q, candidates);
        throw InputError(location_of(file, item["of"]),
                         shown + ".of: no quantity '" + q + "'" +
                             (d.arms.empty() ? " in any arm"
                                             : " in arm " + (all ? std::string() : d.arms[0] + " or " + d.arms[1])) +
                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
    }
  }
}

void Scenario::load_arms(const YAML::Node& node, const std::string& file, ErrorList& errors) {
  if (!node.IsSequence() || node.size() == 0) {
    errors.add(InputError(location_of(file, node),
                          "arms: expected a list of arms ({name: ..., interventions: [...]}), got " + describe(node)));
    return;
  }
  for (std::size_t a = 0; a < node.size(); ++a) errors.collect([&] { load_arm(node[a], a, file); });
}

// One item of `arms`: an arm, or the points of its sweep.
void Scenario::load_arm(const YAML::Node& item, std::size_t a, const std::string& file) {
  const std::string where = "arms[" + std::to_string(a) + "]";
  if (!item.IsMap())
    throw InputError(location_of(file, item),
                     where + ": expected a mapping with name and interventions, got " + describe(item));
  for (const auto& entry : item) {
    const std::string key = entry.first.Scalar();
    if (std::find(arm_keys.begin(), arm_keys.end(), key) == arm_keys.end()) {
      const std::string hint = closest_match(key, arm_keys);
      throw InputError(location_of(file, entry.first), "unknown key '" + where + "." + key + "'" +
                                                           (hint.empty() ? "; valid keys here: " + join_names(arm_keys)
                                                                         : " (did you mean '" + hint + "'?)"));
    }
  }
  const YAML::Node name = item["name"];
  if (!name || !name.IsScalar() || !std::regex_match(name.Scalar(), valid_arm_name()))
    throw InputError(location_of(file, name ? name : item),
                     where + ".name: expected a name of letters, digits and _ + - (at most 64), got " +
                         (name ? describe(name) : std::string("nothing")));
  const YAML::Node sweep = item["sweep"];
  if (!sweep) {
    if (arms.size() >= max_arms)
      throw InputError(location_of(file, item), where + ": the scenario already has " + std::to_string(arms.size()) +
                                                    " arms; at most " + std::to_string(max_arms) +
                                                    " arms are allowed in a scenario");
    Arm arm = make_arm(item, where, file);
    for (const auto& other : arms)
      if (other.name == arm.name)
        throw InputError(location_of(file, name), where + ".name: duplicate arm name '" + arm.name + "'");
    arms.push_back(std::move(arm));
    return;
  }

  // sweep: {grid: {path: [values], ...}} (every combination, the first path varying slowest)
  //     or {zip: {path: [values], ...}} (the i-th values together; lists of equal length).
  const std::string at = where + ".sweep";
  if (!sweep.IsMap() || sweep.size() != 1 || !(sweep["grid"] || sweep["zip"]))
    throw InputError(location_of(file, sweep),
                     at + ": expected {grid: {path: [values], ...}} or {zip: {path: [values], ...}}");
  const bool grid = static_cast<bool>(sweep["grid"]);
  const YAML::Node axes = grid ? sweep["grid"] : sweep["zip"];
  const std::string axes_at = at + (grid ? ".grid" : ".zip");
  if (!axes.IsMap() || axes.size() == 0)
    throw InputError(location_of(file, axes),
                     axes_at + ": expected a mapping of parameter paths to lists of values, got " + describe(axes));
  std::vector<std::pair<YAML::Node, YAML::Node>> axis;  // (path node, list of values)
  double points = grid ? 1.0 : 0.0;
  for (const auto& entry : axes) {
    const std::string path = entry.first.Scalar();
    for (const auto& [other, values] : axis)
      if (other.Scalar() == path)
        throw InputError(location_of(file, entry.first), axes_at + ": duplicate path '" + path + "'");
    if (!entry.second.IsSequence() || entry.second.size() == 0)
      throw InputError(location_of(file, entry.second),
                       axes_at + "." + path + ": expected a list of values, got " + describe(entry.second));
    for (const auto& v : entry.second)
      if (!v.IsScalar())
        throw InputError(location_of(file, v),
                         axes_at + "." + path + ": expected a list of values, got " + describe(v) + " in it");
    if (!grid && !axis.empty() && entry.second.size() != axis.front().second.size())
      throw InputError(location_of(file, entry.second),
                       axes_at + "." + path + ": " + std::to_string(entry.second.size()) + " values, but '" +
                           axis.front().first.Scalar() + "' has " + std::to_string(axis.front().second.size()) +
                           " (a zip takes the i-th value of every list together)");
    axis.emplace_back(entry.first, entry.second);
    points = grid ? points * static_cast<double>(entry.second.size()) : static_cast<double>(entry.second.size());
  }
  if (points + static_cast<double>(arms.size()) > static_cast<double>(max_arms))
    throw InputError(location_of(file, sweep),
                     at + " expands to " +
                         (points < 1e15 ? std::to_string(static_cast<long long>(points)) : format_value(points)) +
                         " arms; at most " + std::to_string(max_arms) + " arms are allowed in a scenario");
  const auto count = static_cast<std::size_t>(points);
  for (std::size_t p = 0; p < count; ++p) {
    Arm arm = make_arm(item, where, file);
    std::size_t rest = p;
    std::vector<std::size_t> index(axis.size());
    for (std::size_t k = axis.size(); k-- > 0;) {
      index[k] = grid ? rest % axis[k].second.size() : p;
      if (grid) rest /= axis[k].second.size();
    }
    std::string suffix;
    for (std::size_t k = 0; k < axis.size(); ++k) {
      const std::string path = axis[k].first.Scalar();
      const YAML::Node value = axis[k].second[index[k]];
      const SourceLocation value_at = location_of(file, value);
      const bool quoted = value.Tag() == "!";
      set_in_arm(arm, path, location_of(file, axis[k].first),
                 [value, value_at, quoted](ParamTable& t, const ParamSpec& spec) {
                   t.assign_text(spec, value.Scalar(), value_at, quoted);
                 });
      arm.sweep_point.emplace_back(path, value.Scalar());
      const std::string leaf = path.substr(path.rfind('.') + 1);
      suffix += "_" + (axis.size() == 1 ? std::string() : leaf) + name_part(value.Scalar());
    }
    arm.name += suffix;
    if (arm.name.size() > 64 || !std::regex_match(arm.name, valid_arm_name()))
      throw InputError(location_of(file, sweep), at + ": the point name '" + arm.name +
                                                     "' is not a valid arm name (at most 64 letters, digits, _ + -); "
                                                     "shorten the arm's name");
    for (const auto& other : arms)
      if (other.name == arm.name)
        throw InputError(location_of(file, sweep), at + ": the point '" + arm.name + "' has the name of another arm");
    arms.push_back(std::move(arm));
  }
}

Arm Scenario::make_arm(const YAML::Node& item, const std::string& where, const std::string& file) {
  Arm arm;
  arm.name = item["name"].Scalar();
  arm.sweep_base = arm.name;
  if (const YAML::Node list = item["interventions"]) {
    if (!list.IsSequence())
      throw InputError(location_of(file, list),
                       where + ".interventions: expected a list of {type: ..., <parameters>}, got " + describe(list));
    for (std::size_t m = 0; m < list.size(); ++m) {
      const YAML::Node spec = list[m];
      const std::string at = where + ".interventions[" + std::to_string(m) + "]";
      if (!spec.IsMap())
        throw InputError(location_of(file, spec),
                         at + ": expected a mapping with type and parameters, got " + describe(spec));
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
          throw InputError(location_of(file, type),
                           at + ".type: '" + type.Scalar() + "' appears twice in arm '" + arm.name + "'");
      ArmModule module = make_module(type.Scalar());
      apply_mapping(*module.table, spec, file, {"type"}, "arms." + arm.name + "." + module.type);
      arm.interventions.push_back(std::move(module));
    }
  }
  if (const YAML::Node point = item["sweep_point"]) {
    // {of: <arm name as written>, values: {<path>: <value as written>, ...}}: a label for the
    // analysis; the values themselves are in the arm's interventions and set.
    const std::string at = where + ".sweep_point";
    if (item["sweep"])
      throw InputError(location_of(file, point), at + ": given with sweep; it labels one point that a sweep produced");
    const YAML::Node of = point.IsMap() ? point["of"] : YAML::Node();
    const YAML::Node values = point.IsMap() ? point["values"] : YAML::Node();
    if (!point.IsMap() || point.size() != 2 || !of || !of.IsScalar() ||
        !std::regex_match(of.Scalar(), valid_arm_name()) || !values || !values.IsMap() || values.size() == 0)
      throw InputError(location_of(file, point),
                       at + ": expected {of: <arm name>, values: {<path>: <value>, ...}}, got " + describe(point));
    arm.sweep_base = of.Scalar();
    for (const auto& entry : values) {
      if (!entry.second.IsScalar())
        throw InputError(location_of(file, entry.second),
                         at + ".values." + entry.first.Scalar() + ": expected a value, got " + describe(entry.second));
      arm.sweep_point.emplace_back(entry.first.Scalar(), entry.second.Scalar());
    }
  }
  if (const YAML::Node set = item["set"]) {
    if (!set.IsMap())
      throw InputError(location_of(file, set),
                       where + ".set: expected a mapping of core keys to values, got " + describe(set));
    const std::string shown = "arms." + arm.name + ".set";
    arm.core_settings.push_back([set, file, shown](ParamTable& t) { apply_mapping(t, set, file, {}, shown); });
  }
  return arm;
}

void Scenario::set_in_arm(Arm& arm, const std::string& path, const SourceLocation& where,
                          const std::function<void(ParamTable&, const ParamSpec&)>& assign) {
  const auto dot = path.find('.');
  const std::string first = path.substr(0, dot);
  for (auto& m : arm.interventions) {
    if (m.type != first) continue;
    const std::string key = dot == std::string::npos ? std::string() : path.substr(dot + 1);
    const ParamSpec* spec = m.table->find(key);
    if (!spec) {
      std::vector<std::string> keys;
      for (const auto& sp : m.table->specs()) keys.push_back(sp.path);
      const std::string hint = closest_match(key, keys);
      throw InputError(where, "'" + path + "': " + m.type + " has no key '" + key + "'" +
                                  (hint.empty() ? "; see `recoverysim schema --module " + m.type + "`"
                                                : " (did you mean '" + m.type + "." + hint + "'?)"));
    }
    assign(*m.table, *spec);
    return;
  }
  if (builtin_interventions().contains(first))
    throw InputError(where, "'" + path + "': arm '" + arm.name + "' has no " + first + " intervention");
  // A core key, under the name the user wrote (a deprecated one, or a setting the scenario defines).
  const ParamSpec* core = table_.resolve(path, where);
  if (core && !recovery_key(core->path) && core->path.rfind("treatment.", 0) != 0) core = nullptr;
  if (!core) {
    std::vector<std::string> candidates;
    for (const auto& spec : recovery_table().specs()) candidates.push_back(spec.path);
    for (const auto& m : arm.interventions)
      for (const auto& spec : m.table->specs()) candidates.push_back(m.type + "." + spec.path);
    const std::string hint = closest_match(path, candidates);
    throw InputError(where, "'" + path +
                                "' is neither a key of the arm's interventions (<type>.<key>) nor a model key" +
                                (hint.empty() ? std::string("; see `recoverysim schema`")
                                              : " (did you mean '" + hint + "'?)"));
  }
  if (is_whole_scenario_key(core->path))
    throw InputError(where,
                     "'" + path +
                         "': population and intake keys apply to the whole scenario (every arm has the same people)");
  arm.core_settings.push_back([resolved = core->path, assign](ParamTable& t) { assign(t, *t.find(resolved)); });
}

std::vector<ParamTable::Warning> Scenario::warnings() const {
  std::vector<ParamTable::Warning> all = table_.warnings();
  for (const auto& arm : arms)
    if (arm.core)
      for (const auto& w : arm.core->table.warnings())
        if (std::none_of(all.begin(), all.end(), [&](const ParamTable::Warning& seen) {
              return seen.message == w.message && seen.where.to_string() == w.where.to_string();
            }))
          all.push_back(w);
  for (std::size_t p = 0; p < set_targets_.size(); ++p)
    if (set_targets_[p].empty()) {
      const std::string& path = parameter_sets_->paths[p];
      all.push_back({parameter_sets_->where,
                     "'" + path + "' is not used: no arm has a " + path.substr(0, path.find('.')) + " intervention"});
    }
  return all;
}

void Scenario::materialise_arm_cores() {
  for (auto& arm : arms) {
    if (arm.core_settings.empty()) {
      arm.core.reset();
      continue;
    }
    arm.core = std::make_unique<ArmCore>();
    recovery::declare_parameters(arm.core->table, arm.core->model);
    arm.core->table.copy_values_from(table_);
    for (const auto& apply : arm.core_settings) apply(arm.core->table);
  }
}

void Scenario::apply_override(const std::string& path_equals_value) {
  if (path_equals_value.rfind("arms.", 0) != 0) {
    const auto eq = path_equals_value.find('=');
    const ParamSpec* spec = eq == std::string::npos ? nullptr : table_.find(path_equals_value.substr(0, eq));
    const std::string before = spec ? format_value(spec->current()) : std::string();
    table_.assign_from_option(path_equals_value);
    if (spec)
      overrides_applied_.push_back("--set " + path_equals_value + ": " + spec->path + " " + before + " -> " +
                                   format_value(spec->current()));
    return;
  }
  // arms.<arm>.<path>=value, <path> as in a sweep: <type>.<key> or a core key.
  const SourceLocation where{"--set " + path_equals_value, 0, 0};
  const auto eq = path_equals_value.find('=');
  const std::string target = path_equals_value.substr(5, eq == std::string::npos ? std::string::npos : eq - 5);
  const auto dot = target.find('.');
  if (eq == std::string::npos || dot == std::string::npos)
    throw InputError(where, "expected arms.<arm>.<intervention type>.<key>=value or arms.<arm>.<model key>=value");
  const std::string arm_name = target.substr(0, dot);
  const std::string path = target.substr(dot + 1);
  const std::string value = path_equals_value.substr(eq + 1);
  bool found = false;
  for (auto& arm : arms) {
    if (arm.name != arm_name && arm.sweep_base != arm_name) continue;
    found = true;
    for (const auto& [swept, v] : arm.sweep_point)
      if (swept == path)
        throw InputError(where,
                         "'" + path + "' is swept in arm '" + arm.sweep_base + "'; change the sweep's values instead");
    set_in_arm(arm, path, where,
               [value](ParamTable& t, const ParamSpec& spec) { t.assign_from_option(spec.path + "=" + value); });
  }
  if (!found) {
    std::vector<std::string> names;
    for (const auto& a : arms) names.push_back(a.name);
    throw InputError(where, "no arm named '" + arm_name + "'; arms: " + join_names(names));
  }
  std::vector<std::string> changed;
  for (const auto& arm : arms)
    if (arm.name == arm_name || arm.sweep_base == arm_name) changed.push_back(arm.name);
  overrides_applied_.push_back("--set " + path_equals_value + ": " + path + " = " + value + " in " +
                               join_names(changed));
}

void Scenario::validate() {
  recovery::validate_parameters(table_, model);
  const double agent_days = static_cast<double>(run.replicates) * static_cast<double>(arms.size()) *
                            static_cast<double>(run.days) * static_cast<double>(model.population.size);
  if (agent_days > 1e18)
    throw InputError(table_.where_set("population.size"),
                     "replicates x arms x days x population.size = " + format_value(agent_days) +
                         " agent-days is more than this program can count (at most 1e18)");
  // Each replicate of each arm is a task with its own rows in the results file and its own
  // entry in the run's plan, which are allocated before the run starts.
  const double tasks = static_cast<double>(run.replicates) * static_cast<double>(arms.size());
  if (tasks > static_cast<double>(max_tasks)) {
    SourceLocation where = table_.where_set("replicates");
    if (!where.known()) where = {source_, 0, 0};
    throw InputError(where, "replicates x arms = " + format_value(tasks) + " tasks; at most " +
                                std::to_string(max_tasks) + " (each has its own rows in the results file)");
  }
  for (const auto& [path, uncertain] : table_.distributions())
    if (is_shape_key(path))
      throw InputError(uncertain.where,
                       path + ": cannot be drawn per replicate (it sets the size of the run); give a number");
  for (auto& arm : arms) {
    if (arm.core) {
      const auto check_same = [&](bool size) {
        for (const auto& spec : arm.core->table.specs())
          if (is_whole_scenario_key(spec.path) && (spec.path == "population.size") == size &&
              !same_as_scenario(arm.core->table, table_, spec))
            throw InputError(
                arm.core->table.where_set(spec.path),
                "arms." + arm.name + "." + spec.path +
                    ": population and intake keys apply to the whole scenario (every arm has the same people)");
      };
      // The size last: validating derives an open cohort's size from its intake.
      check_same(false);
      recovery::validate_parameters(arm.core->table, arm.core->model);
      check_same(true);
    }
    for (const auto& m : arm.interventions) m.module->validate(*m.table);
  }
  if (analysis.reference_arm == "first") analysis.reference_arm = arms.front().name;
  if (std::none_of(arms.begin(), arms.end(), [&](const Arm& a) { return a.name == analysis.reference_arm; })) {
    std::vector<std::string> names;
    for (const auto& a : arms) names.push_back(a.name);
    throw InputError(table_.where_set("analysis.reference_arm"), "analysis.reference_arm: no arm named '" +
                                                                     analysis.reference_arm +
                                                                     "'; arms: " + join_names(names));
  }
}

std::vector<UncertainParameter> Scenario::uncertain_parameters() const {
  std::vector<UncertainParameter> out;
  for (const auto& [path, u] : table_.distributions())
    out.push_back({path, u.distribution.describe(), table_.find(path)->unit});
  for (const auto& arm : arms) {
    if (arm.core)
      for (const auto& [path, u] : arm.core->table.distributions()) {
        const auto global = table_.distributions().find(path);
        const bool inherited =
            global != table_.distributions().end() && global->second.where.to_string() == u.where.to_string();
        if (!inherited)
          out.push_back({"arms." + arm.name + "." + path, u.distribution.describe(), arm.core->table.find(path)->unit});
      }
    for (const auto& m : arm.interventions)
      for (const auto& [path, u] : m.table->distributions())
        out.push_back(
            {"arms." + arm.name + "." + m.type + "." + path, u.distribution.describe(), m.table->find(path)->unit});
  }
  for (std::size_t p = 0; p < set_targets_.size(); ++p)
    if (!set_targets_[p].empty())
      out.push_back({parameter_sets_->paths[p], parameter_sets_->describe(), set_targets_[p].front().spec->unit});
  return out;
}

std::vector<double> Scenario::draw_replicate(std::int64_t replicate) {
  const RandomKey key{static_cast<std::uint32_t>(run.seed), static_cast<std::uint32_t>(replicate)};
  std::map<std::string, double> drawn;  // by qualified path, for the return value
  const auto draw_table = [&](ParamTable& table, const std::string& draw_prefix, const std::string& name_prefix) {
    for (const auto& [path, u] : table.distributions()) {
      const double value = draw_parameter(u.distribution, key, draw_prefix + path);
      const ParamSpec& spec = *table.find(path);
      if (!table.assign_drawn(spec, value))
        throw InputError(u.where, name_prefix + path + ": replicate " + std::to_string(replicate + 1) + " drew " +
                                      format_value(value) + " from " + u.distribution.describe() +
                                      ", outside the key's range; " + expectation(spec) +
                                      " is required (narrow the distribution)");
      // An integer key runs with the rounded draw (assign_drawn); report that value.
      drawn[name_prefix + path] = spec.kind == ParamKind::integer ? std::nearbyint(value) : value;
    }
  };
  draw_table(table_, "", "");
  for (auto& arm : arms) {
    if (arm.core) draw_table(arm.core->table, "", "arms." + arm.name + ".");
    for (auto& m : arm.interventions) draw_table(*m.table, m.type + ".", "arms." + arm.name + "." + m.type + ".");
  }
  const std::optional<std::size_t> set = assign_parameter_set(replicate, drawn);
  try {
    recovery::validate_parameters(table_, model);
    for (auto& arm : arms) {
      if (arm.core) recovery::validate_parameters(arm.core->table, arm.core->model);
      for (const auto& m : arm.interventions) m.module->validate(*m.table);
    }
  } catch (const InputError& e) {
    const std::string of_set =
        set ? " (set " + std::to_string(*set + 1) + " of " + parameter_sets_->origin() + ")" : std::string();
    throw InputError(e.where(),
                     "with the values drawn for replicate " + std::to_string(replicate + 1) + of_set + ": " +
                         std::string(e.what()).substr(e.where().known() ? e.where().to_string().size() + 2 : 0));
  }
  std::vector<double> values;
  for (const auto& u : uncertain_parameters()) values.push_back(drawn.at(u.path));
  return values;
}

// ---- parameter sets

void Scenario::use_parameter_sets(ParameterSets sets) {
  // The values the scenario gave back in place first: a draw may have changed them.
  for (const auto& targets : set_targets_)
    for (const auto& t : targets) t.spec->assign(t.written);
  parameter_sets_ = std::move(sets);
  try {
    bind_parameter_sets();
  } catch (const InputError&) {
    parameter_sets_.reset();
    set_targets_.clear();
    throw;
  }
}

void Scenario::bind_parameter_sets() {
  set_targets_.clear();
  if (!parameter_sets_) return;
  std::vector<std::vector<SetTarget>> targets;
  for (const auto& path : parameter_sets_->paths) {
    for (const auto& arm : arms)
      for (const auto& [swept, value] : arm.sweep_point)
        if (swept == path)
          throw InputError(parameter_sets_->where, "'" + path + "' is swept in arm '" + arm.sweep_base +
                                                       "' and given by the parameter sets of " +
                                                       parameter_sets_->origin() + "; give it one way");
    targets.push_back(table_.find(path) ? core_set_targets(path) : module_set_targets(path));
  }
  set_targets_ = std::move(targets);
  check_set_values();
}

// A core key: the scenario's value and every arm's own core, which must not differ from it.
std::vector<Scenario::SetTarget> Scenario::core_set_targets(const std::string& path) {
  const ParameterSets& sets = *parameter_sets_;
  const ParamSpec& spec = *table_.find(path);
  if (is_shape_key(path))
    throw InputError(sets.where,
                     "'" + path + "' sets the size of the run: it cannot change from replicate to replicate");
  const bool numeric = spec.kind == ParamKind::real || spec.kind == ParamKind::integer;
  if (!numeric || !(recovery_key(path) || path.rfind("treatment.", 0) == 0))
    throw InputError(sets.where, "'" + path +
                                     "' is not a numeric key of the model; parameter sets give the model's and the "
                                     "modules' numbers (see `recoverysim schema`)");
  std::vector<SetTarget> targets = {{&table_, &spec, spec.current()}};
  check_not_set_elsewhere(path, targets.back(), path);
  for (auto& arm : arms) {
    if (!arm.core) continue;
    ParamTable& table = arm.core->table;
    const ParamSpec* own = table.find(path);
    if (!own) throw std::logic_error("an arm's core table without the model key " + path);
    targets.push_back({&table, own, own->current()});
    check_not_set_elsewhere(path, targets.back(), "arms." + arm.name + "." + path);
    if (!same_as_scenario(table, table_, *own))
      throw InputError(table.where_set(path), "arms." + arm.name + "." + path +
                                                  ": the arm sets a key whose values come from the parameter sets "
                                                  "of " +
                                                  sets.origin() + ", the same in every arm; remove it from the arm");
  }
  return targets;
}

// <module type>.<key>: that key in every arm that has the module.
std::vector<Scenario::SetTarget> Scenario::module_set_targets(const std::string& path) {
  const ParameterSets& sets = *parameter_sets_;
  const auto dot = path.find('.');
  const std::string type = path.substr(0, dot);
  if (dot == std::string::npos || !builtin_interventions().contains(type))
    throw InputError(sets.where, "'" + path +
                                     "' is neither a key of the model nor <module type>.<key> (see `recoverysim "
                                     "schema`)");
  const std::string key = path.substr(dot + 1);
  const auto schema = module_schema(type);  // alive while its spec is read
  const ParamSpec* declared = schema->table.find(key);
  if (!declared || !(declared->kind == ParamKind::real || declared->kind == ParamKind::integer))
    throw InputError(sets.where, "'" + path + "': " + type + " has no numeric key '" + key +
                                     "' (see `recoverysim schema --module " + type + "`)");
  std::vector<SetTarget> targets;
  for (auto& arm : arms)
    for (auto& m : arm.interventions) {
      if (m.type != type) continue;
      const ParamSpec* spec = m.table->find(key);
      targets.push_back({m.table.get(), spec, spec->current()});
      check_not_set_elsewhere(path, targets.back(), "arms." + arm.name + "." + path);
    }
  // No arm has the module: the key changes nothing in this scenario (warnings() says so), as a
  // calibration leaves a target's scenario without the module alone.
  return targets;
}

// A calibrated key takes every replicate's value from the sets: a distribution or a --set for it
// would be silently overridden.
void Scenario::check_not_set_elsewhere(const std::string& path, const SetTarget& target,
                                       const std::string& shown) const {
  const ParameterSets& sets = *parameter_sets_;
  const auto& drawn = target.table->distributions();
  if (const auto d = drawn.find(target.spec->path); d != drawn.end())
    throw InputError(sets.where, "'" + path + "' is given both as a distribution (" + shown + " at " +
                                     d->second.where.to_string() + ") and by the parameter sets of " + sets.origin() +
                                     "; give it one way");
  const SourceLocation set_at = target.table->where_set(target.spec->path);
  if (set_at.file.rfind("--set ", 0) == 0)
    throw InputError(set_at, "'" + path + "' takes its values from the parameter sets of " + sets.origin() +
                                 ": it cannot be set as well");
}

// Every set within the range of its keys (an integer key: integers), so that no replicate fails
// part-way through a run.
void Scenario::check_set_values() const {
  const ParameterSets& sets = *parameter_sets_;
  for (std::size_t m = 0; m < sets.sets.size(); ++m)
    for (std::size_t p = 0; p < sets.paths.size(); ++p) {
      if (set_targets_[p].empty()) continue;  // a module no arm has: never assigned
      const double x = sets.sets[m][p];
      const ParamSpec& spec = *set_targets_[p].front().spec;  // one declaration, one range, in every arm
      if (!(x >= spec.min && x <= spec.max) || (spec.kind == ParamKind::integer && x != std::floor(x)))
        throw InputError(sets.where, "set " + std::to_string(m + 1) + " of " + std::to_string(sets.sets.size()) + ": " +
                                         sets.paths[p] + " = " + format_value(x) + " is outside the key's range; " +
                                         expectation(spec) + " is required");
    }
}

std::optional<std::size_t> Scenario::assign_parameter_set(std::int64_t replicate,
                                                          std::map<std::string, double>& values) {
  if (!parameter_sets_) return std::nullopt;
  const ParameterSets& sets = *parameter_sets_;
  const std::size_t m = parameter_set_of_replicate(run.seed, replicate, sets.sets.size());
  for (std::size_t p = 0; p < sets.paths.size(); ++p) {
    const double x = sets.sets[m][p];
    for (const auto& t : set_targets_[p])
      if (!t.table->assign_drawn(*t.spec, x)) throw std::logic_error("a parameter set outside its key's range");
    values[sets.paths[p]] = x;
  }
  return m;
}

// The resolved YAML gives a calibrated key the value the scenario gave it, not the last
// replicate's: the same text before and after a run.
ParamTable::EmitOptions Scenario::written_values(const ParamTable& table) const {
  ParamTable::EmitOptions options;
  for (const auto& targets : set_targets_)
    for (const auto& t : targets)
      if (t.table == &table)
        options.extra.emplace_back(t.spec->path,
                                   [value = format_value(t.written)](YAML::Emitter& out) { out << value; });
  return options;
}

const std::vector<std::string>& analysis_only_keys() {
  static const std::vector<std::string> keys = {"analysis.reference_arm", "analysis.discount_rate",
                                                "analysis.bootstrap_samples", "analysis.effect",
                                                "analysis.willingness_to_pay"};
  return keys;
}

std::string Scenario::resolved_yaml() const { return yaml(true); }
std::string Scenario::identity_yaml() const { return yaml(false); }

std::size_t Scenario::admission_periods() const {
  if (!model.intake.open()) return 1;
  return static_cast<std::size_t>(
      std::max(1.0, std::ceil(static_cast<double>(model.intake.for_days) / analysis.admission_period_days)));
}

recovery::ObservationPlan Scenario::observation_plan(const Arm& arm) const {
  const recovery::Parameters& p = model_of(arm);
  recovery::ObservationPlan plan;
  plan.days = run.days;
  plan.definitions = recovery::default_outcome_definitions(run.days, p.longest_first_episode_days(),
                                                           p.population.start == recovery::CohortStart::treatment);
  // A scenario's outcome on a module's events is counted in the arms that have the module.
  const auto has_codes = [&](const std::vector<recovery::EventCode>& codes) {
    for (const auto code : codes) {
      if (code < 1000) continue;
      const bool present = std::any_of(arm.interventions.begin(), arm.interventions.end(), [&](const ArmModule& m) {
        return code >= m.stream_base && code < m.stream_base + 100;
      });
      if (!present) return false;
    }
    return true;
  };
  for (const auto& d : analysis.outcomes) {
    bool applies = has_codes(d.origin.codes);
    for (const auto& cause : d.causes) applies = applies && has_codes(cause);
    if (applies) plan.definitions.push_back(d);
  }
  plan.periods = admission_periods();
  plan.period_days = plan.periods > 1 ? analysis.admission_period_days : 0.0;
  plan.record_events = run.output_events;
  plan.first_episode_at_arrival = p.population.start == recovery::CohortStart::treatment;
  std::vector<recovery::ModuleSlot> modules;
  for (const auto& m : arm.interventions) modules.push_back({m.module.get(), m.stream_base});
  return recovery::with_module_outcomes(std::move(plan), modules);
}

std::string Scenario::yaml(bool with_analysis_only_keys) const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  ParamTable::EmitOptions options = written_values(table_);
  if (!with_analysis_only_keys) options.skip = analysis_only_keys();
  if (!analysis.outcomes.empty())
    options.extra.emplace_back("analysis.outcomes", [this](YAML::Emitter& o) { emit_outcomes(o, analysis.outcomes); });
  table_.emit_entries(out, options);
  out << YAML::Key << "arms" << YAML::Value << YAML::BeginSeq;
  for (const auto& arm : arms) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << arm.name;
    if (!arm.sweep_point.empty()) {
      out << YAML::Key << "sweep_point" << YAML::Value << YAML::Flow << YAML::BeginMap;
      out << YAML::Key << "of" << YAML::Value << arm.sweep_base << YAML::Key << "values" << YAML::Value
          << YAML::BeginMap;
      for (const auto& [path, value] : arm.sweep_point) out << YAML::Key << path << YAML::Value << value;
      out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::Key << "interventions" << YAML::Value;
    if (arm.interventions.empty()) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const auto& m : arm.interventions) {
      out << YAML::BeginMap << YAML::Key << "type" << YAML::Value << m.type;
      m.table->emit_entries(out, written_values(*m.table));
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    if (arm.core) {
      // The arm's own core values: the keys where it differs from the scenario.
      out << YAML::Key << "set" << YAML::Value << YAML::BeginMap;
      for (const auto& spec : arm.core->table.specs()) {
        if (same_as_scenario(arm.core->table, table_, spec)) continue;
        out << YAML::Key << spec.path << YAML::Value;
        const auto mine = arm.core->table.distributions().find(spec.path);
        if (mine != arm.core->table.distributions().end()) mine->second.distribution.emit(out);
        else if (spec.kind == ParamKind::text) out << YAML::DoubleQuoted << std::get<std::string>(spec.current());
        else out << format_value(spec.current());
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  if (parameter_sets_) {
    out << YAML::Key << "parameter_sets" << YAML::Value;
    emit_parameter_sets(out, *parameter_sets_, with_analysis_only_keys);
  }
  out << YAML::EndMap;
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
  md +=
      "\n## `arms`\n\n"
      "A list of arms, each `{name: ..., interventions: [{type: ..., <parameters>}, ...], set: {...}, sweep: {...}}`.\n"
      "All arms of a replicate share the same synthetic people and the same core random draws. Without\n"
      "`arms`, the scenario has one arm, `usual_care`, with no intervention.\n\n"
      "- `set`: core keys this arm runs with instead of the scenario's, e.g. `{treatment.setting: residential}`\n"
      "  (population and intake keys apply to the whole scenario: every arm has the same people; but\n"
      "  `population.start` may differ, the same people starting in treatment or in the community).\n"
      "- `sweep`: `{grid: {<path>: [values], ...}}` expands the arm into one arm per combination of values\n"
      "  (the first path varying slowest); `{zip: {<path>: [values], ...}}` into one arm per position of\n"
      "  equal-length lists. A path is `<intervention type>.<key>` (`peer_mentor.mentors`) or a core key\n"
      "  (`model.lapse.craving_coefficient`). Each point is named `<arm>_<value>` (one path) or\n"
      "  `<arm>_<key><value>_<key><value>...` (several; a `.` in a value becomes `p`), and the results file\n"
      "  records its family and values (`sweep_base`, `sweep_paths`, `sweep_values`).\n"
      "- `sweep_point`: `{of: <arm>, values: {<path>: <value>, ...}}` labels an arm as a point of a sweep.\n"
      "  The resolved scenario (`validate`, and the copy in every results file) writes each point as an\n"
      "  arm of its own with this label, so that it runs again as the same arms, labels included. It\n"
      "  sets nothing: the values are in the arm's `interventions` and `set`.\n"
      "- `--set arms.<arm>.<path>=value` sets a path as in a sweep, for one arm or for every point of a\n"
      "  swept arm.\n\n"
      "## Uncertain parameters\n\n"
      "Any numeric key (of the model or of a module; not `days`, `replicates`, `seed`, `population.size` or\n"
      "`intake`) may be given as a distribution, drawn once per replicate and shared by every arm of that\n"
      "replicate: `{dist: beta, mean: 0.3, sd: 0.05}`. Families and their parameters: `beta` (alpha, beta |\n"
      "mean, sd), `gamma` (shape, scale | mean, sd), `lognormal` (meanlog, sdlog | mean, sd of the variable),\n"
      "`normal` (mean, sd), `uniform` (min, max). An integer key takes the draw rounded to the nearest integer.\n"
      "The distribution's mean must lie in the key's range; a draw outside it stops the run before it starts,\n"
      "naming the replicate. The drawn values are stored in `/uncertain_parameters/`. On the command line:\n"
      "`--set 'model.lapse.craving_coefficient={dist: normal, mean: 2.5, sd: 0.3}'`.\n\n"
      "## `parameter_sets`\n\n"
      "A calibration's posterior parameter sets, usually put there by `run --parameter-sets fit.h5` (the\n"
      "resolved scenario, and the copy in every results file, keep them): `{source: fit.h5, name: <calibration>,\n"
      "paths: [<path>, ...], sets: [[<value>, ...], ...]}`. Each replicate runs with one set, the same in every\n"
      "arm, chosen from the seed and the replicate alone (docs/cli.md). A path is a numeric model key (set in\n"
      "the scenario and in every arm's own core; not `days`, `replicates`, `seed`, `population.size` or\n"
      "`intake`) or `<intervention type>.<key>` (that key in every arm with the module, which some arm must\n"
      "have). A path may not also be given as a distribution, with `--set`, in an arm's `set` or in a sweep;\n"
      "each set has one finite number per path, in the key's range (an integer for an integer key). The\n"
      "values each replicate took are stored in `/uncertain_parameters/<path>`; elsewhere in the resolved\n"
      "scenario a calibrated key keeps the value the scenario gave it, which the replicates do not use.\n";
  md += outcomes_reference_markdown();
  for (const auto& type : builtin_interventions().types()) {
    md += "\n### Intervention `" + type + "`\n\n" + module_schema(type)->table.markdown_table();
  }
  return md;
}

std::string outcomes_reference_markdown() {
  std::string md =
      "\n## `analysis.outcomes`\n\n"
      "Outcomes to estimate besides the shipped ones, as a list of definitions. Each gives quantities in the\n"
      "summaries (`summarize`, `/arms/<arm>/summary/`), per replicate (`/arms/<arm>/outcomes/`) and by admission\n"
      "period; docs/output.md states the estimand of each statistic. Example:\n\n"
      "```yaml\n"
      "analysis:\n"
      "  outcomes:\n"
      "    - {name: relapse_after_discharge, event: relapse, origin: episode_end, days: [30, 180]}\n"
      "    - {name: opioid_relapse, event: relapse, subgroup: {substance: opioid}, days: [365]}\n"
      "    - {name: deaths_by_status, statistic: rate, event: died, split: after_leaving, after_leaving_days: 14}\n"
      "    - {name: abstinent_6m, statistic: state_share, state: abstinent, days: [180]}\n"
      "    - {name: mean_days_matched, event: peer_mentor.match_ended, origin: peer_mentor.matched, restricted_mean_days: 365}\n"
      "    - {name: opioid_vs_alcohol, statistic: ratio, of: [opioid_relapse_by_day_365, alcohol_relapse_by_day_365]}\n"
      "    - {name: mentoring_effect, statistic: difference, of: [relapse_by_day_365], arms: [mentors_80, usual_care]}\n"
      "```\n\n"
      "| key | for | meaning |\n|---|---|---|\n"
      "| `name` | all | letters, digits and `_`, starting with a letter; its quantities are named from it |\n"
      "| `statistic` | all | `cumulative_incidence` (default), `state_share`, `rate`, `ratio` or `difference` |\n"
      "| `event` | cumulative_incidence, rate | an event name (table below), or a list of them (any one) |\n"
      "| `competing` | cumulative_incidence | events that prevent the event; default `[died]` (unless the event is death; for `died_substance_related` the default is `[died_other_causes]` and the other way round); `[]`: none (a death then ends the follow-up as a censoring). `died` and a death of one cause are reported together: a definition names one or the other |\n"
      "| `origin` | all but contrasts | when each person's clock starts: `arrival` (default: entry into the cohort, the start of the first episode), `day0` (day 0 of the run; people enter the risk set when they arrive), or an event name |\n"
      "| `occurrence` | with an event origin | the n-th occurrence of the origin event after arrival (default 1) |\n"
      "| `days` | cumulative_incidence, state_share | days after the origin: `<name>_by_day_D` (the event within D days) or `<name>_on_day_D` (in the state at the end of day D, the origin's day being day 1) |\n"
      "| `restricted_mean_days` | cumulative_incidence | also `<name>_mean_days`: the mean time to the event or a competing one, up to this many days |\n"
      "| `quantiles` | cumulative_incidence | also `<name>_p<q>_days`: the days by which a share q has had the event (`not reached` when fewer ever do) |\n"
      "| `subgroup` | all but contrasts | a mapping of attributes to values, all of which must hold: `substance` (a name or a list), `mental_health` (0 or 1), `severity`, `baseline_support`, `baseline_engagement` ([low, high], low <= value < high, 1 included when high is 1), `admission_day` ([first, after]), `age_years` ([low, high]: age at admission, low <= age < high), `sex` (female or male, or a list) |\n"
      "| `state` | state_share | a state (table below) |\n"
      "| `split` | rate | `none`, `treatment_status` (in / out of treatment) or `after_leaving` (in treatment, the first `after_leaving_days` days after leaving it, later) |\n"
      "| `after_leaving_days` | rate | with `split: after_leaving` |\n"
      "| `window` | rate | `[from, to]`: only person-time and events from day `from` to before day `to` after the origin |\n"
      "| `of` | ratio, difference | two quantities of one arm `[A, B]` (A / B or A - B, replicate by replicate), or one quantity with `arms` |\n"
      "| `arms` | ratio, difference | two arms `[X, Y]`: the quantity of X against Y, paired by replicate (stored in `/contrasts/<name>`) |\n\n"
      "Events (a module's events exist in the arms that have the module):\n\n"
      "| event | meaning |\n|---|---|\n";
  for (const auto& e : event_vocabulary()) md += "| `" + e.name + "` | " + e.doc + " |\n";
  md += "\nStates:\n\n| state | meaning |\n|---|---|\n";
  for (const auto& s : recovery::named_state_sets()) md += "| `" + s.name + "` | " + s.doc + " |\n";
  md +=
      "\nThe shipped outcomes are definitions too: `relapse` and `lapse` (the first after arrival, death "
      "competing, by day 30, 90, 180 and 365 within the horizon), `first_episode_completion` (completion of the "
      "first episode by its planned length, dropout and death competing) and `abstinent` (on the same days). "
      "Their names are taken. Outcomes are part of what a run computes: changing them needs a new run, unlike "
      "`analysis.reference_arm`, `analysis.discount_rate`, `analysis.bootstrap_samples`, `analysis.effect` and "
      "`analysis.willingness_to_pay`, which `--resume` and `merge` ignore.\n";
  return md;
}

}  // namespace recoverysim
