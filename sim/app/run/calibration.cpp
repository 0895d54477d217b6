// `recoverysim calibrate` (calibration.hpp): reading a calibration file, evaluating parameter
// sets, the waves of history matching, the posterior, the staging directory and fit.h5.
#include "calibration.hpp"

#include "analysis/history_matching.hpp"
#include "build_info.hpp"
#include "errors.hpp"
#include "h5.hpp"
#include "interrupt.hpp"
#include "models/recovery/arm_simulation.hpp"
#include "models/recovery/outcome_estimates.hpp"
#include "models/registry.hpp"
#include "outcome_file.hpp"
#include "parallel.hpp"
#include "parameter_sets.hpp"
#include "portable_math.hpp"
#include "progress.hpp"
#include "safe_files.hpp"
#include "scenario.hpp"
#include "scenario_file.hpp"
#include "tasks.hpp"
#include "version.hpp"

#include <tbb/blocked_range.h>
#include <tbb/task_arena.h>
#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

namespace recoverysim {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t pilot_replicates = 20;
constexpr std::size_t evaluations_per_block = 8;  // a staged file holds this many evaluations
// Random streams of the calibration's own draws (designs, proposals, resampling), on the
// key (method.seed, wave): apart from the model's, which use (method.seed, replicate).
constexpr std::uint32_t stream_design = 1, stream_proposal = 2, stream_resample = 3;

// ---- Reading ------------------------------------------------------------------------------

std::string shown_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

void check_keys(const YAML::Node& map, const std::string& file, const std::string& shown,
                const std::vector<std::string>& allowed) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string hint = closest_match(key, allowed);
    throw InputError(location_of(file, it->first), shown_path(shown, key) + ": unknown key" +
                                                       (hint.empty() ? " (expected one of " + join_names(allowed) + ")"
                                                                     : " (did you mean '" + hint + "'?)"));
  }
}

YAML::Node mapping(const YAML::Node& parent, const std::string& key, const std::string& file, const std::string& shown,
                   bool required) {
  const YAML::Node node = parent[key];
  if (!node) {
    if (required) throw InputError(location_of(file, parent), shown_path(shown, key) + ": missing");
    return node;
  }
  if (!node.IsMap())
    throw InputError(location_of(file, node), shown_path(shown, key) + ": expected a mapping, got " + describe(node));
  return node;
}

// A key a mapping must have (yaml-cpp's missing nodes have no position: name the parent's).
YAML::Node required(const YAML::Node& parent, const std::string& key, const std::string& file,
                    const std::string& shown) {
  const YAML::Node node = parent[key];
  if (!node) throw InputError(location_of(file, parent), shown + ": missing");
  return node;
}

double number(const YAML::Node& node, const std::string& file, const std::string& shown) {
  if (!node) throw InputError({file, 0, 0}, shown + ": missing");
  if (!node.IsScalar()) throw InputError(location_of(file, node), shown + ": expected a number, got " + describe(node));
  double value = nan;
  try {
    value = node.as<double>();
  } catch (const YAML::Exception&) {
    throw InputError(location_of(file, node), shown + ": expected a number, got " + describe(node));
  }
  if (!std::isfinite(value)) throw InputError(location_of(file, node), shown + ": expected a finite number");
  return value;
}

std::int64_t integer(const YAML::Node& node, const std::string& file, const std::string& shown, std::int64_t low,
                     std::int64_t high) {
  const double value = number(node, file, shown);
  if (value != std::floor(value) || value < static_cast<double>(low) || value > static_cast<double>(high))
    throw InputError(location_of(file, node), shown + ": expected an integer in [" + std::to_string(low) + ", " +
                                                  std::to_string(high) + "], got " + describe(node));
  return static_cast<std::int64_t>(value);
}

std::string text_of(const YAML::Node& node, const std::string& file, const std::string& shown) {
  if (!node) throw InputError({file, 0, 0}, shown + ": missing");
  if (!node.IsScalar()) throw InputError(location_of(file, node), shown + ": expected text, got " + describe(node));
  return node.as<std::string>();
}

std::string format_number(double x) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", x);
  return buffer;
}

std::string short_number(double x) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.4g", x);
  return buffer;
}

// The spec of a parameter path: a core key, or <module type>.<key>.
const ParamSpec* parameter_spec(const std::string& path, std::string& module_type) {
  module_type.clear();
  if (const ParamSpec* spec = default_parameter_table().find(path)) return spec;
  const auto dot = path.find('.');
  if (dot == std::string::npos) return nullptr;
  const std::string type = path.substr(0, dot);
  const auto types = recovery::builtin_interventions().types();
  if (std::find(types.begin(), types.end(), type) == types.end()) return nullptr;
  static std::map<std::string, std::unique_ptr<ModuleSchema>> schemas;
  static std::mutex lock;
  const std::lock_guard guard(lock);
  auto& schema = schemas[type];
  if (!schema) schema = module_schema(type);
  module_type = type;
  return schema->table.find(path.substr(dot + 1));
}

CalibrationParameter read_parameter(const YAML::Node& item, const std::string& file, const std::string& shown) {
  if (!item.IsMap()) throw InputError(location_of(file, item), shown + ": expected a mapping, got " + describe(item));
  check_keys(item, file, shown, {"path", "min", "max", "scale", "prior"});
  CalibrationParameter p;
  p.where = location_of(file, item);
  p.path = text_of(required(item, "path", file, shown + ".path"), file, shown + ".path");
  std::string type;
  const ParamSpec* spec = parameter_spec(p.path, type);
  if (!spec)
    throw InputError(location_of(file, item["path"]),
                     shown + ".path: '" + p.path +
                         "' is not a key of the model or of a module (see `recoverysim schema`; a module's key is "
                         "written <type>.<key>, e.g. peer_mentor.disengage_base_hazard_per_day)");
  if (spec->kind != ParamKind::real)
    throw InputError(location_of(file, item["path"]),
                     shown + ".path: '" + p.path + "' is " + kind_name(spec->kind) + "; calibration fits real keys");
  p.min = number(required(item, "min", file, shown + ".min"), file, shown + ".min");
  p.max = number(required(item, "max", file, shown + ".max"), file, shown + ".max");
  if (!(p.min < p.max)) throw InputError(location_of(file, item["max"]), shown + ": min must be less than max");
  if (p.min < spec->min || p.max > spec->max)
    throw InputError(location_of(file, p.min < spec->min ? item["min"] : item["max"]),
                     shown + ": [" + format_number(p.min) + ", " + format_number(p.max) + "] leaves the range of '" +
                         p.path + "', " + expectation(*spec));
  if (const YAML::Node scale = item["scale"]) {
    const std::string name = text_of(scale, file, shown + ".scale");
    if (name == "linear") p.scale = ParameterScale::linear;
    else if (name == "log") p.scale = ParameterScale::log;
    else if (name == "logit") p.scale = ParameterScale::logit;
    else throw InputError(location_of(file, scale), shown + ".scale: expected linear, log or logit, got " + name);
  }
  if (p.scale == ParameterScale::log && p.min <= 0.0)
    throw InputError(location_of(file, item["min"]), shown + ": a log scale needs min > 0");
  if (p.scale == ParameterScale::logit && (p.min <= 0.0 || p.max >= 1.0))
    throw InputError(location_of(file, item[p.min <= 0.0 ? "min" : "max"]),
                     shown + ": a logit scale needs 0 < min and max < 1");
  if (const YAML::Node prior = item["prior"]) {
    p.prior = Distribution::parse(prior, file, shown + ".prior");
    const double mean = p.prior->mean();
    if (!(mean >= p.min && mean <= p.max))
      throw InputError(location_of(file, prior),
                       shown + ".prior: its mean " + format_number(mean) + " is outside [min, max]");
  }
  return p;
}

// The observed value and its sampling variance: {value, sd}, {value, range: [low, high]} (a
// 95% interval), {count, n} or {value, n} (a share of n people), {events, person_years, per} (a
// rate per `per` person-years), or {value} alone (no sampling variance: the discrepancy
// carries it).
void read_observed(const YAML::Node& node, const std::string& file, const std::string& shown, CalibrationTarget& t) {
  if (!node || !node.IsMap())
    throw InputError(location_of(file, node), shown + ": expected a mapping, got " + describe(node));
  check_keys(node, file, shown, {"value", "sd", "range", "count", "n", "events", "person_years", "per"});
  std::ostringstream cited;
  if (node["count"] || node["n"]) {
    // A share of n people: {count, n}, or {value, n} as a paper reports it.
    const double n = number(node["n"], file, shown + ".n");
    const double count = node["count"] ? number(node["count"], file, shown + ".count")
                                       : number(node["value"], file, shown + ".value") * n;
    if (!(n > 0.0 && count >= 0.0 && count <= n))
      throw InputError(location_of(file, node), shown + ": expected 0 <= count <= n and n > 0");
    t.observed = count / n;
    // 0 of n or n of n is not certainty: the variance of (count + 1/2) / (n + 1) then.
    const double shrunk = count == 0.0 || count == n ? (count + 0.5) / (n + 1.0) : t.observed;
    t.observation_variance = shrunk * (1.0 - shrunk) / n;
    cited << short_number(t.observed) << " (" << short_number(count) << " of " << short_number(n) << ")";
  } else if (node["events"] || node["person_years"]) {
    const double events = number(node["events"], file, shown + ".events");
    const double years = number(node["person_years"], file, shown + ".person_years");
    const double per = node["per"] ? number(node["per"], file, shown + ".per") : 1000.0;
    if (!(years > 0.0 && events >= 0.0 && per > 0.0))
      throw InputError(location_of(file, node), shown + ": expected events >= 0, person_years > 0 and per > 0");
    t.observed = per * events / years;
    t.observation_variance = per * per * std::max(events, 1.0) / (years * years);
    cited << short_number(t.observed) << " per " << short_number(per) << " person-years (" << short_number(events)
          << " in " << short_number(years) << ")";
  } else {
    t.observed = number(node["value"], file, shown + ".value");
    cited << short_number(t.observed);
    if (node["sd"]) {
      const double sd = number(node["sd"], file, shown + ".sd");
      if (sd < 0.0) throw InputError(location_of(file, node["sd"]), shown + ".sd: expected a number >= 0");
      t.observation_variance = sd * sd;
    } else if (const YAML::Node range = node["range"]) {
      if (!range.IsSequence() || range.size() != 2)
        throw InputError(location_of(file, range), shown + ".range: expected [low, high], got " + describe(range));
      const double low = number(range[0], file, shown + ".range[0]");
      const double high = number(range[1], file, shown + ".range[1]");
      if (!(low <= t.observed && t.observed <= high))
        throw InputError(location_of(file, range), shown + ".range: expected low <= value <= high");
      const double sd = (high - low) / (2.0 * 1.959963984540054);
      t.observation_variance = sd * sd;
      cited << " (" << short_number(low) << "-" << short_number(high) << ")";
    }
  }
  t.observed_text = cited.str();
}

TargetMeasure read_measure(const YAML::Node& node, const std::string& file, const std::string& shown) {
  if (!node || !node.IsMap())
    throw InputError(location_of(file, node), shown + ": expected a mapping, got " + describe(node));
  check_keys(node, file, shown, {"quantity", "ratio", "difference", "arms", "complement"});
  TargetMeasure m;
  const int kinds = (node["quantity"] ? 1 : 0) + (node["ratio"] ? 1 : 0) + (node["difference"] ? 1 : 0);
  if (kinds != 1) throw InputError(location_of(file, node), shown + ": expected one of quantity, ratio, difference");
  if (node["quantity"]) {
    m.quantities[0] = m.quantities[1] = text_of(node["quantity"], file, shown + ".quantity");
  } else {
    m.kind = node["ratio"] ? TargetMeasure::Kind::ratio : TargetMeasure::Kind::difference;
    const std::string key = node["ratio"] ? "ratio" : "difference";
    const YAML::Node pair = node[key];
    if (!pair.IsSequence() || pair.size() != 2)
      throw InputError(location_of(file, pair), shown + "." + key + ": expected two quantities, got " + describe(pair));
    for (std::size_t k = 0; k < 2; ++k)
      m.quantities[k] = text_of(pair[k], file, shown + "." + key + "[" + std::to_string(k) + "]");
  }
  if (const YAML::Node arms = node["arms"]) {
    if (!arms.IsSequence() || arms.size() != 2)
      throw InputError(location_of(file, arms), shown + ".arms: expected two arms, got " + describe(arms));
    for (std::size_t k = 0; k < 2; ++k) m.arms[k] = text_of(arms[k], file, shown + ".arms[" + std::to_string(k) + "]");
  }
  if (const YAML::Node complement = node["complement"]) {
    try {
      m.complement = complement.as<bool>();
    } catch (const YAML::Exception&) {
      throw InputError(location_of(file, complement), shown + ".complement: expected true or false");
    }
  }
  return m;
}

std::string read_text_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError({path, 0, 0}, "is a directory, expected " + what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path, 0, 0}, "cannot open " + what + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The overrides that set parameter p to `value` in a scenario: the core key, or the module key
// in every arm that has the module.
std::vector<std::string> parameter_overrides(const CalibrationParameter& p, const Scenario& scenario, double value) {
  std::string type;
  parameter_spec(p.path, type);
  if (type.empty()) return {p.path + "=" + format_number(value)};
  std::vector<std::string> out;
  for (const Arm& arm : scenario.arms)
    for (const ArmModule& m : arm.interventions)
      if (m.type == type) out.push_back("arms." + arm.name + "." + p.path + "=" + format_number(value));
  return out;
}

// The overrides of an evaluation: the target scenario's own, the calibration's seed and
// cohort size, then the parameter values.
std::vector<std::string> evaluation_overrides(const Calibration& c, const TargetScenario& ts,
                                              std::span<const double> values, std::int64_t replicates) {
  std::vector<std::string> overrides = ts.overrides;
  overrides.push_back("seed=" + std::to_string(c.method.seed));
  overrides.push_back("replicates=" + std::to_string(replicates));
  if (!ts.open_cohort && c.method.agents > 0) overrides.push_back("population.size=" + std::to_string(c.method.agents));
  for (std::size_t p = 0; p < c.parameters.size(); ++p)
    for (const auto& key : ts.parameter_keys[p]) overrides.push_back(key + "=" + format_number(values[p]));
  return overrides;
}

std::size_t arm_index(const Scenario& s, const std::string& name) {
  if (name.empty()) return 0;
  for (std::size_t a = 0; a < s.arms.size(); ++a)
    if (s.arms[a].name == name) return a;
  return s.arms.size();
}

// The quantities calibration can compute for an arm: its outcome definitions' (shipped,
// scenario's, modules').
std::vector<std::string> outcome_quantities(const Scenario& s, const Arm& arm) {
  std::vector<std::string> names;
  const recovery::ObservationPlan plan = s.observation_plan(arm);
  std::vector<recovery::ModuleSlot> slots;
  for (const auto& m : arm.interventions) slots.push_back({m.module.get(), m.stream_base});
  for (const auto& d : recovery::with_module_outcomes(plan, slots).definitions)
    for (auto& q : recovery::outcome_quantity_names(d)) names.push_back(std::move(q));
  return names;
}

}  // namespace

// ---- Parameters on the unit cube ---------------------------------------------------------

namespace {
// portable:: functions: the values a set runs with are the same bits on every machine.
double forward(ParameterScale scale, double x) {
  switch (scale) {
    case ParameterScale::linear: return x;
    case ParameterScale::log: return portable::log(x);
    case ParameterScale::logit: return portable::log(x / (1.0 - x));
  }
  return x;
}
double backward(ParameterScale scale, double y) {
  switch (scale) {
    case ParameterScale::linear: return y;
    case ParameterScale::log: return portable::exp(y);
    case ParameterScale::logit: return 1.0 / (1.0 + portable::exp(-y));
  }
  return y;
}
}  // namespace

double CalibrationParameter::to_unit(double value) const {
  const double low = forward(scale, min), high = forward(scale, max);
  return (forward(scale, value) - low) / (high - low);
}

double CalibrationParameter::from_unit(double u) const {
  const double low = forward(scale, min), high = forward(scale, max);
  // The ends exactly: rounding must not step outside the key's range.
  if (u <= 0.0) return min;
  if (u >= 1.0) return max;
  return std::clamp(backward(scale, low + u * (high - low)), min, max);
}

double CalibrationParameter::log_prior_unit(double u) const {
  if (!prior) return 0.0;  // uniform on the scale: uniform in u
  // density in u = prior density of x times |dx/du|.
  const double x = from_unit(u);
  const double span = forward(scale, max) - forward(scale, min);
  double dx_dy = 1.0;
  if (scale == ParameterScale::log) dx_dy = x;
  if (scale == ParameterScale::logit) dx_dy = x * (1.0 - x);
  return prior->log_density(x) + portable::log(dx_dy * span);
}

std::vector<std::size_t> Calibration::fitted_targets() const {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < targets.size(); ++k)
    if (!targets[k].held_out) out.push_back(k);
  return out;
}

Calibration read_calibration(const std::string& path) {
  Calibration c;
  c.file = path;
  c.text = read_text_file(path, "a calibration file");
  const YAML::Node root = parse_scenario_yaml(c.text, path);
  check_keys(root, path, "", {"name", "version", "targets", "not_expressible", "parameters", "method"});
  c.name = root["name"] ? text_of(root["name"], path, "name") : std::filesystem::path(path).stem().string();
  const std::filesystem::path base = std::filesystem::path(path).parent_path();

  // method
  if (const YAML::Node m = mapping(root, "method", path, "", false)) {
    check_keys(m, path, "method",
               {"waves", "posterior_waves", "points_per_wave", "replicates", "agents", "posterior_samples",
                "implausibility_rank", "cutoff", "uniform_share", "seed"});
    auto& method = c.method;
    if (m["waves"]) method.waves = integer(m["waves"], path, "method.waves", 1, 20);
    if (m["posterior_waves"])
      method.posterior_waves = integer(m["posterior_waves"], path, "method.posterior_waves", 0, 20);
    if (m["points_per_wave"])
      method.points_per_wave = integer(m["points_per_wave"], path, "method.points_per_wave", 2, 1'000'000);
    if (m["replicates"]) method.replicates = integer(m["replicates"], path, "method.replicates", 0, 10'000);
    if (m["agents"]) method.agents = integer(m["agents"], path, "method.agents", 0, 2'000'000'000);
    if (m["posterior_samples"])
      method.posterior_samples = integer(m["posterior_samples"], path, "method.posterior_samples", 1, 1'000'000);
    if (m["implausibility_rank"])
      method.implausibility_rank = integer(m["implausibility_rank"], path, "method.implausibility_rank", 1, 3);
    if (m["cutoff"]) method.cutoff = number(m["cutoff"], path, "method.cutoff");
    if (!(method.cutoff > 0.0)) throw InputError(location_of(path, m["cutoff"]), "method.cutoff: expected > 0");
    if (m["uniform_share"]) method.uniform_share = number(m["uniform_share"], path, "method.uniform_share");
    if (!(method.uniform_share > 0.0 && method.uniform_share <= 1.0))
      throw InputError(location_of(path, m["uniform_share"]), "method.uniform_share: expected a share in (0, 1]");
    if (m["seed"]) method.seed = integer(m["seed"], path, "method.seed", 0, 4'294'967'295);
  }

  // parameters
  const YAML::Node parameters = root["parameters"];
  if (!parameters || !parameters.IsSequence() || parameters.size() == 0)
    throw InputError(location_of(path, parameters ? parameters : root),
                     "parameters: expected a list of {path, min, max, scale, prior}");
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    c.parameters.push_back(read_parameter(parameters[k], path, "parameters[" + std::to_string(k) + "]"));
    for (std::size_t j = 0; j + 1 < c.parameters.size(); ++j)
      if (c.parameters[j].path == c.parameters.back().path)
        throw InputError(c.parameters.back().where,
                         "parameters[" + std::to_string(k) + "]: '" + c.parameters.back().path + "' is named twice");
  }

  // targets, each with its scenario (distinct scenarios are run once per evaluation)
  const YAML::Node targets = root["targets"];
  if (!targets || !targets.IsSequence() || targets.size() == 0)
    throw InputError(location_of(path, targets ? targets : root), "targets: expected a list of targets");
  std::map<std::string, std::size_t> scenario_index;
  std::vector<std::unique_ptr<Scenario>> loaded;  // one per distinct scenario, to check measures
  for (std::size_t k = 0; k < targets.size(); ++k) {
    const YAML::Node item = targets[k];
    std::string shown = "targets[" + std::to_string(k) + "]";
    if (!item.IsMap()) throw InputError(location_of(path, item), shown + ": expected a mapping, got " + describe(item));
    check_keys(item, path, shown,
               {"id", "quantity", "population", "origin", "scenario", "arm", "measure", "observed", "tolerance",
                "discrepancy", "weight", "held_out"});
    CalibrationTarget t;
    t.id = text_of(required(item, "id", path, shown + ".id"), path, shown + ".id");
    shown = "target " + t.id;
    for (const auto& other : c.targets)
      if (other.id == t.id) throw InputError(location_of(path, item["id"]), shown + ": id used twice");
    if (item["quantity"]) t.description = text_of(item["quantity"], path, shown + ".quantity");

    // The scenario: a file (relative to the calibration file), keys set, outcomes added.
    const YAML::Node spec = mapping(item, "scenario", path, shown, true);
    check_keys(spec, path, shown + ".scenario", {"file", "set", "outcomes"});
    TargetScenario ts;
    const std::string written =
        text_of(required(spec, "file", path, shown + ".scenario.file"), path, shown + ".scenario.file");
    ts.file = (base / written).lexically_normal().string();
    if (!std::filesystem::is_regular_file(ts.file))
      throw InputError(location_of(path, spec["file"]),
                       shown + ".scenario.file: no file " + ts.file + " (paths are relative to the calibration file)");
    if (const YAML::Node set = mapping(spec, "set", path, shown + ".scenario", false))
      for (auto it = set.begin(); it != set.end(); ++it) {
        if (!it->second.IsScalar())
          throw InputError(location_of(path, it->second),
                           shown + ".scenario.set." + it->first.as<std::string>() + ": expected a value");
        ts.overrides.push_back(it->first.as<std::string>() + "=" + it->second.as<std::string>());
      }
    ts.outcomes = YAML::Node(YAML::NodeType::Sequence);
    if (const YAML::Node outcomes = spec["outcomes"]) {
      read_outcomes(outcomes, path);  // checked here, where the calibration file names them
      ts.outcomes = YAML::Clone(outcomes);
    }
    // Targets on the same file with the same keys share one scenario, their outcomes joined.
    const std::string identity = ts.file + "\n" + YAML::Dump(spec["set"] ? spec["set"] : YAML::Node());
    auto [at, added] = scenario_index.emplace(identity, c.scenarios.size());
    if (added) {
      c.scenarios.push_back(std::move(ts));
      loaded.emplace_back();
    }
    TargetScenario& group = c.scenarios[at->second];
    bool grown = added;
    if (!added)
      for (const auto& outcome : spec["outcomes"] ? spec["outcomes"] : YAML::Node(YAML::NodeType::Sequence)) {
        const std::string name = outcome["name"].as<std::string>();
        bool known = false;
        for (const auto& other : group.outcomes)
          if (other["name"].as<std::string>() == name) {
            if (YAML::Dump(other) != YAML::Dump(outcome))
              throw InputError(location_of(path, outcome), shown + ".scenario.outcomes: '" + name +
                                                               "' is defined differently by another target "
                                                               "on " +
                                                               group.file +
                                                               " with the same keys: give it another name");
            known = true;
          }
        if (!known) {
          group.outcomes.push_back(YAML::Clone(outcome));
          grown = true;
        }
      }
    if (grown) {
      // The scenario with its outcomes, loaded as every evaluation will load it.
      YAML::Node doc = load_scenario_yaml(group.file);
      for (const auto& outcome : group.outcomes) doc["analysis"]["outcomes"].push_back(outcome);
      YAML::Emitter out;
      out << doc;
      group.text = out.c_str();
      auto scenario = std::make_unique<Scenario>();
      try {
        Scenario check;  // the file and the target's keys, with the file's own line numbers
        check.load(group.file, group.overrides);
        scenario->load_text(group.text, group.file, group.overrides);
      } catch (const InputError& e) {
        throw InputError(location_of(path, spec), shown + ".scenario: " + e.what());
      }
      if (!scenario->uncertain_parameters().empty())
        throw InputError(location_of(path, spec), shown + ".scenario: " + group.file +
                                                      " gives parameters as distributions; a calibration runs "
                                                      "fixed values (fit them as parameters instead)");
      loaded[at->second] = std::move(scenario);
    }
    t.scenario = at->second;
    const Scenario& scenario = *loaded[t.scenario];

    t.measure = read_measure(required(item, "measure", path, shown + ".measure"), path, shown + ".measure");
    const std::string default_arm = item["arm"] ? text_of(item["arm"], path, shown + ".arm") : "";
    for (auto& arm : t.measure.arms)
      if (arm.empty()) arm = default_arm;
    for (std::size_t q = 0; q < 2; ++q) {
      const std::size_t a = arm_index(scenario, t.measure.arms[q]);
      if (a == scenario.arms.size())
        throw InputError(location_of(path, item["measure"]),
                         shown + ".measure: no arm '" + t.measure.arms[q] + "' in " + c.scenarios[t.scenario].file);
      const auto names = outcome_quantities(scenario, scenario.arms[a]);
      if (std::find(names.begin(), names.end(), t.measure.quantities[q]) == names.end()) {
        const std::string hint = closest_match(t.measure.quantities[q], names);
        throw InputError(location_of(path, item["measure"]),
                         shown + ".measure: arm " + scenario.arms[a].name + " of " + c.scenarios[t.scenario].file +
                             " has no outcome quantity '" + t.measure.quantities[q] + "'" +
                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                             "; targets use the quantities of outcome definitions (analysis.outcomes, the shipped "
                             "outcomes, the modules' waits)");
      }
    }

    read_observed(required(item, "observed", path, shown + ".observed"), path, shown + ".observed", t);
    t.tolerance_low = t.tolerance_high = nan;
    if (const YAML::Node tolerance = item["tolerance"]) {
      if (!tolerance.IsSequence() || tolerance.size() != 2)
        throw InputError(location_of(path, tolerance),
                         shown + ".tolerance: expected [low, high], got " + describe(tolerance));
      t.tolerance_low = number(tolerance[0], path, shown + ".tolerance[0]");
      t.tolerance_high = number(tolerance[1], path, shown + ".tolerance[1]");
      if (!(t.tolerance_low <= t.tolerance_high))
        throw InputError(location_of(path, tolerance), shown + ".tolerance: expected low <= high");
      // The band a fit should reach stands for the model's discrepancy: a 95% band, +-2 sd.
      const double sd = (t.tolerance_high - t.tolerance_low) / 4.0;
      t.discrepancy_variance = sd * sd;
    }
    if (const YAML::Node d = item["discrepancy"]) {
      const YAML::Node sd = d.IsMap() ? d["sd"] : YAML::Node();
      if (d.IsMap()) check_keys(d, path, shown + ".discrepancy", {"sd"});
      const double value = number(sd, path, shown + ".discrepancy.sd");
      if (value < 0.0) throw InputError(location_of(path, sd), shown + ".discrepancy.sd: expected >= 0");
      t.discrepancy_variance = value * value;
    }
    if (item["weight"]) {
      t.weight = number(item["weight"], path, shown + ".weight");
      if (!(t.weight > 0.0)) throw InputError(location_of(path, item["weight"]), shown + ".weight: expected > 0");
    }
    if (const YAML::Node held = item["held_out"]) {
      try {
        t.held_out = held.as<bool>();
      } catch (const YAML::Exception&) {
        throw InputError(location_of(path, held), shown + ".held_out: expected true or false");
      }
    }
    if (t.observation_variance + t.discrepancy_variance <= 0.0)
      throw InputError(location_of(path, item),
                       shown +
                           ": give the observed value's uncertainty (observed: sd, range, count and n, or events "
                           "and person_years) or a tolerance or discrepancy: with neither, no model value but the "
                           "exact one fits");
    c.targets.push_back(std::move(t));
  }
  if (c.fitted_targets().empty())
    throw InputError(location_of(path, targets), "targets: every target is held out; nothing to fit");

  // What each scenario's evaluations set: the keys of each parameter, and whether the cohort
  // keeps its own size. Every module parameter must reach some target's scenario.
  for (std::size_t g = 0; g < c.scenarios.size(); ++g) {
    c.scenarios[g].open_cohort = loaded[g]->model.intake.open();
    for (const auto& p : c.parameters) {
      std::vector<std::string> keys;
      for (const auto& o : parameter_overrides(p, *loaded[g], p.min)) keys.push_back(o.substr(0, o.find('=')));
      c.scenarios[g].parameter_keys.push_back(std::move(keys));
    }
  }
  // A scenario must leave every calibrated key to the calibration: an arm that sets or sweeps
  // it, a distribution or a target's `set` for it would silently win over the fitted value.
  // The same rules as run --parameter-sets, checked with one set at the lower bounds.
  for (std::size_t g = 0; g < c.scenarios.size(); ++g) {
    ParameterSets probe;
    probe.source = path;
    probe.name = c.name;
    probe.where = {path, 0, 0};
    probe.sets.emplace_back();
    for (std::size_t k = 0; k < c.parameters.size(); ++k) {
      if (c.scenarios[g].parameter_keys[k].empty()) continue;  // a module this scenario lacks
      probe.paths.push_back(c.parameters[k].path);
      probe.sets.back().push_back(c.parameters[k].min);
    }
    try {
      Scenario copy;
      copy.load_text(c.scenarios[g].text, c.scenarios[g].file, c.scenarios[g].overrides);
      copy.use_parameter_sets(probe);
    } catch (const InputError& e) {
      throw InputError({path, 0, 0}, "parameters: in the target scenario " + c.scenarios[g].file + ": " + e.what());
    }
  }
  for (std::size_t k = 0; k < c.parameters.size(); ++k) {
    bool reaches = false;
    for (const auto& ts : c.scenarios) reaches = reaches || !ts.parameter_keys[k].empty();
    if (!reaches)
      throw InputError(c.parameters[k].where,
                       "parameters: '" + c.parameters[k].path + "': no target's scenario has an arm with this module");
  }
  return c;
}

// ---- Evaluation -----------------------------------------------------------------------------

void evaluate(const Calibration& c, std::span<const double> values, std::int64_t replicates, std::vector<double>& mean,
              std::vector<double>& variance, std::int64_t* agent_days, std::vector<double>* covariance) {
  const std::size_t K = c.targets.size();
  mean.assign(K, nan);
  variance.assign(K, nan);
  // Per target, its measure in each replicate (replicate r of every scenario shares key r).
  std::vector<std::vector<double>> per_replicate(K);
  for (std::size_t g = 0; g < c.scenarios.size(); ++g) {
    const TargetScenario& ts = c.scenarios[g];
    Scenario s;
    s.load_text(ts.text, ts.file, evaluation_overrides(c, ts, values, replicates));
    const auto T = static_cast<std::size_t>(s.run.days);

    // Per arm used by a target: quantity -> its value in each replicate.
    std::map<std::size_t, std::map<std::string, std::vector<double>>> by_arm;
    for (const auto& t : c.targets)
      if (t.scenario == g)
        for (const auto& arm : t.measure.arms) by_arm[arm_index(s, arm)];
    for (auto& [a, quantities] : by_arm) {
      const Arm& arm = s.arms[a];
      std::vector<recovery::ModuleSlot> slots;
      std::vector<std::vector<double>> metrics;
      for (const auto& m : arm.interventions) {
        slots.push_back({m.module.get(), m.stream_base});
        metrics.emplace_back(T * m.module->metric_names().size());
      }
      std::vector<std::span<double>> metric_spans(metrics.begin(), metrics.end());
      recovery::ArmSimulation sim(s.model_of(arm), slots, s.observation_plan(arm));
      std::vector<recovery::DayCounts> counts(T);
      for (std::int64_t r = 0; r < replicates; ++r) {
        throw_if_interrupted();
        sim.start_replicate({static_cast<std::uint32_t>(s.run.seed), static_cast<std::uint32_t>(r)}, s.run.days);
        sim.step_days(0, counts, nullptr, metric_spans);
        sim.finish_replicate();
        const auto& definitions = sim.observation_plan().definitions;
        for (std::size_t d = 0; d < definitions.size(); ++d) {
          const auto names = recovery::outcome_quantity_names(definitions[d]);
          const auto& oc = sim.outcome_counts()[d];
          const auto v = recovery::outcome_values(oc, recovery::all_strata(oc));
          for (std::size_t q = 0; q < names.size(); ++q) quantities[names[q]].push_back(v[q]);
        }
        if (agent_days) *agent_days += s.model.population.size * s.run.days;
      }
    }
    for (std::size_t k = 0; k < c.targets.size(); ++k) {
      const CalibrationTarget& t = c.targets[k];
      if (t.scenario != g) continue;
      const auto& x = by_arm.at(arm_index(s, t.measure.arms[0])).at(t.measure.quantities[0]);
      const auto& y = by_arm.at(arm_index(s, t.measure.arms[1])).at(t.measure.quantities[1]);
      std::vector<double> m(static_cast<std::size_t>(replicates));
      for (std::size_t r = 0; r < m.size(); ++r) {
        double a = x[r], b = y[r];
        if (t.measure.complement) a = 1.0 - a, b = 1.0 - b;
        m[r] = t.measure.kind == TargetMeasure::Kind::quantity ? a
               : t.measure.kind == TargetMeasure::Kind::ratio  ? a / b
                                                               : a - b;
      }
      double sum = 0.0;
      for (const double v : m) sum += v;
      const double n = static_cast<double>(m.size());
      const double average = sum / n;
      double squares = 0.0;
      for (const double v : m) squares += (v - average) * (v - average);
      mean[k] = average;
      variance[k] = m.size() > 1 ? squares / (n - 1.0) / n : 0.0;
      per_replicate[k] = std::move(m);
    }
  }
  if (!covariance) return;
  // The covariance of the targets' means: the replicates of all scenarios share their keys.
  covariance->assign(K * K, 0.0);
  const auto R = static_cast<double>(replicates);
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t l = 0; l < K; ++l) {
      double sum = 0.0;
      for (std::size_t r = 0; r < per_replicate[k].size(); ++r)
        sum += (per_replicate[k][r] - mean[k]) * (per_replicate[l][r] - mean[l]);
      (*covariance)[k * K + l] = replicates > 1 ? sum / (R - 1.0) / R : 0.0;
    }
}

// ---- The staging directory ----------------------------------------------------------------

namespace {

// Finished evaluations kept on disk: per wave, blocks of evaluations_per_block, each a text
// file of hexadecimal floats (exact) with its checksum beside it.
class EvaluationStore {
 public:
  // The directory of a calibration's other processes (MPI ranks but the first), once the
  // first has set it up: they share its lock.
  explicit EvaluationStore(const std::string& output)
      : directory_(output + ".partial.d"), lock_(StagingLock::share(directory_)) {}
  // The first process: creates the directory, or reuses it with `resume` when it belongs to
  // the same calibration.
  EvaluationStore(const std::string& output, const std::string& identity, bool resume) {
    directory_ = output + ".partial.d";
    std::error_code ec;
    const bool existed = std::filesystem::exists(directory_, ec);
    if (existed && !resume)
      throw InputError({output, 0, 0}, "an interrupted calibration left " + directory_ +
                                           ": add --resume to continue it, or delete the directory to start again");
    if (!existed) create_own_directory(directory_, directory_);
    lock_ = StagingLock::claim(directory_, output);
    const std::string identity_path = directory_ + "/calibration.txt";
    if (existed && std::filesystem::exists(identity_path, ec)) {
      const std::string before = read_text_file(identity_path, "the staged calibration");
      if (before != identity)
        throw InputError({output, 0, 0}, directory_ + " belongs to another calibration (" +
                                             first_difference(before, identity) +
                                             "): delete it, or write to another output");
    } else {
      write_file_durably(identity_path, identity);
    }
  }
  std::string block_path(std::int64_t wave, std::size_t block) const {
    return directory_ + "/wave-" + std::to_string(wave) + "-block-" + std::to_string(block) + ".txt";
  }
  // The block's evaluations (mean and variance per target), if finished and intact.
  bool load(std::int64_t wave, std::size_t block, std::size_t count, std::size_t targets,
            std::vector<std::vector<double>>& means, std::vector<std::vector<double>>& variances) const {
    const std::string path = block_path(wave, block);
    std::string why;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return false;
    if (!checksum_matches(path, path + ".sum", why)) {
      std::filesystem::remove(path, ec);
      return false;
    }
    std::istringstream in(read_text_file(path, "a staged block"));
    means.assign(count, std::vector<double>(targets));
    variances.assign(count, std::vector<double>(targets));
    std::string word;
    for (std::size_t i = 0; i < count; ++i)
      for (auto* row : {&means[i], &variances[i]})
        for (double& v : *row) {
          if (!(in >> word)) return false;
          v = std::strtod(word.c_str(), nullptr);
        }
    return true;
  }
  void save(std::int64_t wave, std::size_t block, const std::vector<std::vector<double>>& means,
            const std::vector<std::vector<double>>& variances) const {
    std::ostringstream out;
    char buffer[40];
    for (std::size_t i = 0; i < means.size(); ++i) {
      for (const auto* row : {&means[i], &variances[i]})
        for (const double v : *row) {
          std::snprintf(buffer, sizeof buffer, "%a ", v);
          out << buffer;
        }
      out << '\n';
    }
    const std::string path = block_path(wave, block);
    write_file_durably(path, out.str());
    write_checksum(path, path + ".sum");
  }
  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
  StagingLock lock_;
};

struct Wave {
  std::vector<double> unit;  // points, row-major n x p
  analysis::Proposal proposal;
};

}  // namespace

namespace {

// The Gaussian likelihood of the fitted targets, its covariance fixed for the calibration: the
// observations' and discrepancies' variances (independent targets) plus the model's covariance
// of the means (the targets of one replicate share its people and draws). A target of weight w
// has its share of the covariance divided by w, which for independent targets raises its
// likelihood to the power w.
class Likelihood {
 public:
  Likelihood(const Calibration& c, const std::vector<double>& model_covariance) : fitted_(c.fitted_targets()) {
    const std::size_t K = c.targets.size(), F = fitted_.size();
    Eigen::MatrixXd sigma(F, F);
    for (std::size_t a = 0; a < F; ++a)
      for (std::size_t b = 0; b < F; ++b) {
        const std::size_t k = fitted_[a], l = fitted_[b];
        double v = model_covariance[k * K + l];
        if (a == b) v += c.targets[k].observation_variance + c.targets[k].discrepancy_variance;
        sigma(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) =
            v / std::sqrt(c.targets[k].weight * c.targets[l].weight);
      }
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(sigma);
    inverse_ = ldlt.solve(Eigen::MatrixXd::Identity(static_cast<Eigen::Index>(F), static_cast<Eigen::Index>(F)));
    const Eigen::VectorXd d = ldlt.vectorD();
    log_determinant_ = 0.0;
    for (Eigen::Index i = 0; i < d.size(); ++i) log_determinant_ += portable::log(std::max(d(i), 1e-300));
    for (const std::size_t k : fitted_) observed_.push_back(c.targets[k].observed);
  }
  double log_density(const std::vector<double>& mean) const {
    const auto F = static_cast<Eigen::Index>(fitted_.size());
    Eigen::VectorXd r(F);
    for (Eigen::Index a = 0; a < F; ++a) {
      r(a) = observed_[static_cast<std::size_t>(a)] - mean[fitted_[static_cast<std::size_t>(a)]];
      if (!std::isfinite(r(a))) return -std::numeric_limits<double>::infinity();
    }
    constexpr double log_2pi = 1.8378770664093453;
    return -0.5 * (r.dot(inverse_ * r) + log_determinant_ + static_cast<double>(F) * log_2pi);
  }

 private:
  std::vector<std::size_t> fitted_;
  std::vector<double> observed_;
  Eigen::MatrixXd inverse_;
  double log_determinant_ = 0.0;
};

}  // namespace

double targets_log_likelihood(const Calibration& c, const std::vector<double>& model_covariance,
                              const std::vector<double>& mean) {
  return Likelihood(c, model_covariance).log_density(mean);
}

namespace {

// An evaluation whose values break a check across keys (the model's own, at this set) gives
// no figure: NaN for every target, which rules the set out. The check is the model's, not the
// user's mistake (read_calibration has loaded every scenario), so the calibration goes on.
void evaluate_or_rule_out(const Calibration& c, const std::vector<double>& values, std::int64_t replicates,
                          Evaluation& e, std::int64_t& agent_days) {
  try {
    evaluate(c, values, replicates, e.mean, e.variance, &agent_days);
  } catch (const InputError&) {
    e.mean.assign(c.targets.size(), nan);
    e.variance.assign(c.targets.size(), nan);
  }
}

// The fit of every target at an evaluation: implausibility (with the model's variance of the
// target's mean), the largest over the fitted targets, and the log likelihood.
void fit_evaluation(const Calibration& c, const std::vector<double>& model_variance, const Likelihood& likelihood,
                    Evaluation& e) {
  const std::size_t K = c.targets.size();
  e.implausibility.assign(K, nan);
  for (std::size_t k = 0; k < K; ++k) {
    const CalibrationTarget& t = c.targets[k];
    e.implausibility[k] = analysis::implausibility(
        {t.observed, t.observation_variance, t.discrepancy_variance, e.mean[k], model_variance[k]});
  }
  std::vector<double> implausibilities;
  for (const std::size_t k : c.fitted_targets()) implausibilities.push_back(e.implausibility[k]);
  e.max_implausibility =
      analysis::largest_implausibility(implausibilities, static_cast<std::size_t>(c.method.implausibility_rank));
  e.log_likelihood = likelihood.log_density(e.mean);
  e.not_ruled_out = e.max_implausibility <= c.method.cutoff;
}

// Importance weights of the evaluations so far: prior x likelihood over the mixture of the
// waves' proposals, each weighted by its share of the points (the balance heuristic).
std::vector<double> posterior_weights(const Calibration& c, const std::vector<Evaluation>& evaluations,
                                      const std::vector<analysis::Proposal>& proposals,
                                      const std::vector<std::size_t>& wave_sizes) {
  std::size_t n = 0;
  for (std::size_t w = 0; w < proposals.size(); ++w) n += wave_sizes[w];
  std::vector<double> log_weights(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Evaluation& e = evaluations[i];
    double q = 0.0;
    for (std::size_t w = 0; w < proposals.size(); ++w)
      q += static_cast<double>(wave_sizes[w]) / static_cast<double>(n) * analysis::density(proposals[w], e.unit);
    double log_prior = 0.0;
    for (std::size_t p = 0; p < c.parameters.size(); ++p) log_prior += c.parameters[p].log_prior_unit(e.unit[p]);
    log_weights[i] = log_prior + e.log_likelihood - portable::log(q);
  }
  return analysis::normalised_weights(log_weights);
}

}  // namespace

CalibrationResult calibrate(const Calibration& c, const CalibrateOptions& options) {
  return calibrate(c, options, CalibrationTeam{});
}

CalibrationResult calibrate(const Calibration& c, const CalibrateOptions& options, const CalibrationTeam& team) {
  const auto start = std::chrono::steady_clock::now();
  const std::size_t P = c.parameters.size(), K = c.targets.size();
  const auto n = static_cast<std::size_t>(c.method.points_per_wave);
  const bool leader = team.rank == 0;
  CalibrationResult result;

  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  // What a resumed calibration must agree on: the file, and every scenario as it runs.
  std::string identity = "recoverysim " + std::string(software_version) + "\n" + c.text;
  for (const auto& ts : c.scenarios) {
    identity += "\n--- " + ts.file + "\n" + ts.text;
    for (const auto& o : ts.overrides) identity += "\n--set " + o;
  }
  std::optional<EvaluationStore> store;
  if (leader) {
    try {
      store.emplace(options.output_path, identity, options.resume);
    } catch (...) {
      if (team.ready) team.ready(false);
      throw;
    }
    if (team.ready) team.ready(true);
  } else {
    if (!team.ready(false)) return result;  // the first process refused to start
    store.emplace(options.output_path);
  }

  // Agent-days of one evaluation at one replicate, for the progress bar.
  std::int64_t per_replicate = 0;
  for (std::size_t g = 0; g < c.scenarios.size(); ++g) {
    Scenario s;
    s.load_text(c.scenarios[g].text, c.scenarios[g].file, c.scenarios[g].overrides);
    std::set<std::size_t> arms;
    for (const auto& t : c.targets)
      if (t.scenario == g)
        for (const auto& a : t.measure.arms) arms.insert(arm_index(s, a));
    const std::int64_t agents =
        s.model.intake.open() || c.method.agents == 0 ? s.model.population.size : c.method.agents;
    per_replicate += static_cast<std::int64_t>(arms.size()) * agents * s.run.days;
  }

  // The pilot: the centre of the domain with pilot_replicates replicates gives the model's noise,
  // its covariance across targets and, unless given, the replicates: the fewest (2 to 50) that
  // make the model's noise at most a quarter of the rest of every fitted target's variance.
  std::vector<double> pilot_covariance;
  {
    std::vector<double> centre(P), mean, variance;
    for (std::size_t p = 0; p < P; ++p) centre[p] = c.parameters[p].from_unit(0.5);
    arena.execute(
        [&] { evaluate(c, centre, pilot_replicates, mean, variance, &result.agent_days, &pilot_covariance); });
  }
  std::int64_t R = c.method.replicates;
  if (R == 0) {
    R = 2;
    for (const std::size_t k : c.fitted_targets()) {
      const double replicate_variance = pilot_covariance[k * K + k] * static_cast<double>(pilot_replicates);
      const double rest = c.targets[k].observation_variance + c.targets[k].discrepancy_variance;
      if (std::isfinite(replicate_variance))
        R = std::max(R, static_cast<std::int64_t>(std::ceil(replicate_variance / (0.25 * rest))));
    }
    R = std::min<std::int64_t>(R, 50);
  }
  result.replicates = R;
  // At R replicates, a NaN (a quantity the pilot could not give) counting as no noise.
  result.model_covariance.resize(K * K);
  for (std::size_t i = 0; i < K * K; ++i) {
    const double v = pilot_covariance[i] * static_cast<double>(pilot_replicates) / static_cast<double>(R);
    result.model_covariance[i] = std::isfinite(v) ? v : 0.0;
  }
  result.model_variance.resize(K);
  for (std::size_t k = 0; k < K; ++k) result.model_variance[k] = result.model_covariance[k * K + k];
  const Likelihood likelihood(c, result.model_covariance);

  Progress progress((c.method.waves + c.method.posterior_waves) * static_cast<std::int64_t>(n) * R * per_replicate,
                    options.show_progress && leader);
  std::mutex progress_lock;
  double best_so_far = std::numeric_limits<double>::infinity();

  std::vector<analysis::Proposal> proposals;
  std::vector<std::size_t> wave_sizes;
  const std::int64_t waves = c.method.waves + c.method.posterior_waves;
  for (std::int64_t w = 1; w <= waves; ++w) {
    const RandomKey key{static_cast<std::uint32_t>(c.method.seed), static_cast<std::uint32_t>(w)};
    analysis::Proposal q = analysis::proposal_around({}, P, 1.0);  // the first wave: uniform
    std::vector<double> points;
    if (w == 1) {
      points = analysis::maximin_latin_hypercube(n, P, key, stream_design);
    } else {
      std::vector<std::size_t> kept;
      if (w > c.method.waves) {
        // A posterior wave: around a resample of the sets so far, weighted by prior x
        // likelihood (a step of population Monte Carlo).
        const auto weights = posterior_weights(c, result.evaluations, proposals, wave_sizes);
        kept = analysis::systematic_resample(weights, n, key, stream_resample);
      } else {
        // Around the sets of the last wave not ruled out (or its tenth least implausible).
        const std::size_t first = result.evaluations.size() - wave_sizes.back();
        for (std::size_t i = first; i < result.evaluations.size(); ++i)
          if (result.evaluations[i].not_ruled_out) kept.push_back(i);
        if (kept.size() < P + 1) {
          std::vector<std::size_t> order(wave_sizes.back());
          for (std::size_t i = 0; i < order.size(); ++i) order[i] = first + i;
          std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return result.evaluations[a].max_implausibility < result.evaluations[b].max_implausibility;
          });
          order.resize(std::min(order.size(), std::max<std::size_t>(P + 1, order.size() / 10)));
          kept = order;
        }
      }
      std::vector<double> centres;
      for (const std::size_t i : kept)
        centres.insert(centres.end(), result.evaluations[i].unit.begin(), result.evaluations[i].unit.end());
      q = analysis::proposal_around(centres, P, c.method.uniform_share);
      points = analysis::draw_from(q, n, key, stream_proposal);
    }
    proposals.push_back(q);
    wave_sizes.push_back(n);

    // Evaluate the wave, block by block, keeping each finished block.
    const std::size_t blocks = (n + evaluations_per_block - 1) / evaluations_per_block;
    std::vector<Evaluation> wave(n);
    for (std::size_t i = 0; i < n; ++i) {
      Evaluation& e = wave[i];
      e.wave = w;
      e.unit.assign(points.begin() + static_cast<std::ptrdiff_t>(i * P),
                    points.begin() + static_cast<std::ptrdiff_t>((i + 1) * P));
      for (std::size_t p = 0; p < P; ++p) e.values.push_back(c.parameters[p].from_unit(e.unit[p]));
    }
    std::vector<std::size_t> todo;
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t lo = b * evaluations_per_block, hi = std::min(n, lo + evaluations_per_block);
      std::vector<std::vector<double>> means, variances;
      if (!store->load(w, b, hi - lo, K, means, variances)) {
        todo.push_back(b);
        continue;
      }
      for (std::size_t i = lo; i < hi; ++i) {
        wave[i].mean = means[i - lo];
        wave[i].variance = variances[i - lo];
      }
      result.resumed += static_cast<std::int64_t>(hi - lo);
      progress.advance(static_cast<std::int64_t>(hi - lo) * R * per_replicate, "");
    }
    // Each process takes every team.size-th block left; the others' come through the directory.
    // Every process has listed what is left before any writes this wave's blocks, so the lists
    // (and so the shares) agree.
    if (team.size > 1) team.barrier();
    std::vector<std::size_t> mine;
    for (std::size_t j = 0; j < todo.size(); ++j)
      if (static_cast<int>(j % static_cast<std::size_t>(team.size)) == team.rank) mine.push_back(todo[j]);
    std::size_t done = n;
    for (const std::size_t b : todo) done -= std::min(n, (b + 1) * evaluations_per_block) - b * evaluations_per_block;
    arena.execute([&] {
      // The project's loop: it tells ThreadSanitizer the ordering oneTBB guarantees.
      recoverysim::parallel_for(tbb::blocked_range<std::size_t>(0, mine.size(), 1),
                                [&](const tbb::blocked_range<std::size_t>& part) {
                                  for (std::size_t j = part.begin(); j != part.end(); ++j) {
                                    const std::size_t b = mine[j];
                                    const std::size_t lo = b * evaluations_per_block,
                                                      hi = std::min(n, lo + evaluations_per_block);
                                    std::vector<std::vector<double>> means, variances;
                                    std::int64_t agent_days = 0;
                                    for (std::size_t i = lo; i < hi; ++i) {
                                      evaluate_or_rule_out(c, wave[i].values, R, wave[i], agent_days);
                                      fit_evaluation(c, result.model_variance, likelihood, wave[i]);
                                      means.push_back(wave[i].mean);
                                      variances.push_back(wave[i].variance);
                                    }
                                    store->save(w, b, means, variances);
                                    const std::lock_guard guard(progress_lock);
                                    result.agent_days += agent_days;
                                    done += (hi - lo) * static_cast<std::size_t>(team.size);
                                    for (std::size_t i = lo; i < hi; ++i)
                                      best_so_far = std::min(best_so_far, wave[i].max_implausibility);
                                    progress.advance(agent_days * team.size,
                                                     "wave " + std::to_string(w) + "/" + std::to_string(waves) + ": " +
                                                         std::to_string(std::min(done, n)) + "/" + std::to_string(n) +
                                                         " sets, best implausibility " + short_number(best_so_far));
                                  }
                                });
    });
    if (team.size > 1) {
      team.barrier();  // every block of the wave is on disk
      for (std::size_t j = 0; j < todo.size(); ++j) {
        if (static_cast<int>(j % static_cast<std::size_t>(team.size)) == team.rank) continue;
        const std::size_t b = todo[j];
        const std::size_t lo = b * evaluations_per_block, hi = std::min(n, lo + evaluations_per_block);
        std::vector<std::vector<double>> means, variances;
        if (!store->load(w, b, hi - lo, K, means, variances))
          throw std::runtime_error(store->block_path(w, b) + ": another process's block is missing or damaged");
        for (std::size_t i = lo; i < hi; ++i) {
          wave[i].mean = means[i - lo];
          wave[i].variance = variances[i - lo];
        }
      }
    }
    std::int64_t kept = 0;
    const std::lock_guard guard(progress_lock);  // the loop's bodies wrote under it
    for (auto& e : wave) {
      fit_evaluation(c, result.model_variance, likelihood, e);
      kept += e.not_ruled_out ? 1 : 0;
      best_so_far = std::min(best_so_far, e.max_implausibility);
    }
    result.not_ruled_out_per_wave.push_back(kept);
    for (auto& e : wave) result.evaluations.push_back(std::move(e));
  }
  progress.finish();

  // The posterior: every evaluation weighted, then resampled.
  result.weights = posterior_weights(c, result.evaluations, proposals, wave_sizes);
  result.effective_sample_size = analysis::effective_sample_size(result.weights);
  const RandomKey key{static_cast<std::uint32_t>(c.method.seed), static_cast<std::uint32_t>(waves + 1)};
  if (result.effective_sample_size > 0.0)
    result.posterior =
        analysis::systematic_resample(result.weights, static_cast<std::size_t>(c.method.posterior_samples), key,
                                      stream_resample);
  // The best fit: of the posterior's sets not ruled out, the highest likelihood.
  for (const std::size_t i : result.posterior) {
    const Evaluation& e = result.evaluations[i];
    if (!e.not_ruled_out) continue;
    if (result.best < 0 || e.log_likelihood > result.evaluations[static_cast<std::size_t>(result.best)].log_likelihood)
      result.best = static_cast<std::int64_t>(i);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // fit.h5 is written in the staging directory and renamed into place complete, by the first
  // process once every other is done with the directory.
  if (team.size > 1) team.barrier();
  if (!leader) return result;
  const std::string staged = store->directory() + "/fit.h5";
  std::error_code ec;
  std::filesystem::remove(staged, ec);
  write_fit(c, result, staged);
  durable_rename(staged, options.output_path);
  std::filesystem::remove_all(store->directory(), ec);
  return result;
}

// ---- fit.h5 -------------------------------------------------------------------------------

namespace {

// "relapse_by_day_90", "1 - x of arm a", "ratio a / b (arms a, b)": what the model reports.
std::string describe_measure(const TargetMeasure& m) {
  const auto term = [&](std::size_t k) {
    return (m.complement ? "1 - " : "") + m.quantities[k] + (m.arms[k].empty() ? "" : " of " + m.arms[k]);
  };
  switch (m.kind) {
    case TargetMeasure::Kind::quantity: return term(0);
    case TargetMeasure::Kind::ratio: return "(" + term(0) + ") / (" + term(1) + ")";
    case TargetMeasure::Kind::difference: return "(" + term(0) + ") - (" + term(1) + ")";
  }
  return {};
}

template <class T>
void write_array(h5::Group& g, const std::string& name, const std::vector<T>& data, std::vector<hsize_t> dims) {
  g.create_dataset<T>(name, dims).write_all(std::span<const T>(data));
}

}  // namespace

void write_fit(const Calibration& c, const CalibrationResult& r, const std::string& path) {
  const std::size_t P = c.parameters.size(), K = c.targets.size(), N = r.evaluations.size();
  h5::File file = h5::File::create(path);
  h5::Group& root = file.root();
  root.set_attribute("format", std::string("recoverysim calibration"));
  root.set_attribute("format_version", std::int64_t{1});
  root.set_attribute("software_version", std::string(software_version));
  root.set_attribute("build", build_fingerprint());
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char created[32];
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  root.set_attribute("created_utc", std::string(created));
  root.set_attribute("name", c.name);
  root.set_attribute("calibration", c.text);
  root.set_attribute("calibration_file", c.file);
  std::vector<std::string> scenario_files, scenario_texts, scenario_agents;
  for (const auto& ts : c.scenarios) {
    scenario_files.push_back(ts.file);
    Scenario shape;  // the cohort as it ran: method.agents for a closed cohort, else its own
    shape.load_text(ts.text, ts.file, ts.overrides);
    const bool own = shape.model.intake.open() || c.method.agents == 0;
    scenario_agents.push_back(std::to_string(own ? shape.model.population.size : c.method.agents));
    std::string text = ts.text;
    for (const auto& o : ts.overrides) text += "\n# --set " + o;
    scenario_texts.push_back(text);
  }
  root.set_attribute("scenario_files", scenario_files);
  root.set_attribute("scenario_texts", scenario_texts);
  root.set_attribute("scenario_agents", scenario_agents);
  root.set_attribute("replicates", r.replicates);
  root.set_attribute("waves", c.method.waves);
  root.set_attribute("posterior_waves", c.method.posterior_waves);
  root.set_attribute("points_per_wave", c.method.points_per_wave);
  root.set_attribute("agents", c.method.agents);
  root.set_attribute("cutoff", c.method.cutoff);
  root.set_attribute("implausibility_rank", c.method.implausibility_rank);
  root.set_attribute("seed", c.method.seed);

  h5::Group parameters = root.create_group("parameters");
  std::vector<std::string> names, scales, priors;
  std::vector<double> low, high;
  for (const auto& p : c.parameters) {
    names.push_back(p.path);
    scales.push_back(p.scale == ParameterScale::log ? "log" : p.scale == ParameterScale::logit ? "logit" : "linear");
    priors.push_back(p.prior ? p.prior->describe() : "uniform on its scale");
    low.push_back(p.min);
    high.push_back(p.max);
  }
  parameters.set_attribute("names", names);
  parameters.set_attribute("scales", scales);
  parameters.set_attribute("priors", priors);
  write_array(parameters, "min", low, {P});
  write_array(parameters, "max", high, {P});

  h5::Group targets = root.create_group("targets");
  std::vector<std::string> ids, descriptions, cited, measures;
  std::vector<double> observed, observation_sd, discrepancy_sd, tolerance_low, tolerance_high, weight;
  std::vector<std::uint8_t> held_out;
  for (const auto& t : c.targets) {
    ids.push_back(t.id);
    descriptions.push_back(t.description);
    cited.push_back(t.observed_text);
    measures.push_back(describe_measure(t.measure));
    observed.push_back(t.observed);
    observation_sd.push_back(std::sqrt(t.observation_variance));
    discrepancy_sd.push_back(std::sqrt(t.discrepancy_variance));
    tolerance_low.push_back(t.tolerance_low);
    tolerance_high.push_back(t.tolerance_high);
    weight.push_back(t.weight);
    held_out.push_back(t.held_out ? 1 : 0);
  }
  targets.set_attribute("ids", ids);
  targets.set_attribute("descriptions", descriptions);
  targets.set_attribute("observed_as_cited", cited);
  targets.set_attribute("measures", measures);
  write_array(targets, "observed", observed, {K});
  write_array(targets, "observation_sd", observation_sd, {K});
  write_array(targets, "discrepancy_sd", discrepancy_sd, {K});
  write_array(targets, "tolerance_low", tolerance_low, {K});
  write_array(targets, "tolerance_high", tolerance_high, {K});
  write_array(targets, "weight", weight, {K});
  write_array(targets, "held_out", held_out, {K});
  write_array(targets, "model_variance", r.model_variance, {K});
  write_array(targets, "model_covariance", r.model_covariance, {K, K});

  h5::Group evaluations = root.create_group("evaluations");
  std::vector<std::int32_t> wave(N);
  std::vector<double> values(N * P), unit(N * P), mean(N * K), variance(N * K), implausibility(N * K), largest(N),
      log_likelihood(N);
  std::vector<std::uint8_t> kept(N);
  const auto row = [](std::vector<double>& to, std::size_t i, std::size_t width, const std::vector<double>& from) {
    std::copy(from.begin(), from.end(), to.begin() + static_cast<std::ptrdiff_t>(i * width));
  };
  for (std::size_t i = 0; i < N; ++i) {
    const Evaluation& e = r.evaluations[i];
    wave[i] = static_cast<std::int32_t>(e.wave);
    row(values, i, P, e.values);
    row(unit, i, P, e.unit);
    row(mean, i, K, e.mean);
    row(variance, i, K, e.variance);
    row(implausibility, i, K, e.implausibility);
    largest[i] = e.max_implausibility;
    log_likelihood[i] = e.log_likelihood;
    kept[i] = e.not_ruled_out ? 1 : 0;
  }
  write_array(evaluations, "wave", wave, {N});
  write_array(evaluations, "parameters", values, {N, P});
  write_array(evaluations, "unit", unit, {N, P});
  write_array(evaluations, "target_mean", mean, {N, K});
  write_array(evaluations, "target_variance", variance, {N, K});
  write_array(evaluations, "implausibility", implausibility, {N, K});
  write_array(evaluations, "max_implausibility", largest, {N});
  write_array(evaluations, "log_likelihood", log_likelihood, {N});
  write_array(evaluations, "weight", r.weights, {N});
  write_array(evaluations, "not_ruled_out", kept, {N});

  h5::Group posterior = root.create_group("posterior");
  std::vector<std::int64_t> index(r.posterior.begin(), r.posterior.end());
  std::vector<double> sets(index.size() * P);
  for (std::size_t j = 0; j < index.size(); ++j) row(sets, j, P, r.evaluations[r.posterior[j]].values);
  write_array(posterior, "evaluation", index, {index.size()});
  write_array(posterior, "parameters", sets, {index.size(), P});
  posterior.set_attribute("effective_sample_size", r.effective_sample_size);
  posterior.set_attribute("best", r.best);
  std::int64_t least = 0;
  for (std::size_t i = 1; i < N; ++i)
    if (r.evaluations[i].max_implausibility < r.evaluations[static_cast<std::size_t>(least)].max_implausibility)
      least = static_cast<std::int64_t>(i);
  posterior.set_attribute("least_implausible", N > 0 ? least : std::int64_t{-1});
  file.close();
}

}  // namespace recoverysim
