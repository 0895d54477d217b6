// A scenario: what to run (name, horizon, replicates, seed, output), the recovery model's
// parameters, and the arms with their intervention modules. One parameter table reads,
// checks and prints the core keys; each module instance has its own table.
#pragma once

#include "models/recovery/intervention.hpp"
#include "models/recovery/observation.hpp"
#include "models/recovery/outcome_definitions.hpp"
#include "models/recovery/parameters.hpp"

#include "parameter_sets.hpp"
#include "params.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace recoverysim {

struct RunSettings {
  std::string name;
  std::int64_t days = 365;
  std::int64_t replicates = 1;
  std::int64_t seed = 1;
  std::string output_file;
  bool output_trajectories = false;
  bool output_events = false;  // the event record, /arms/<arm>/events
};

// One intervention module of an arm, configured.
struct ArmModule {
  std::string type;
  std::uint32_t stream_base = 0;
  std::unique_ptr<recovery::Intervention> module;
  std::unique_ptr<ParamTable> table;  // bound to *module
};

// An arm's own core parameters, for an arm that sets any (`set:`, a sweep over a core key, or
// --set arms.<arm>.<key>); the other keys keep the scenario's values.
struct ArmCore {
  recovery::Parameters model;
  ParamTable table;  // bound to model
};

struct Arm {
  std::string name;
  std::string sweep_base;  // the name written in the scenario (a sweep's points add a suffix)
  std::vector<std::pair<std::string, std::string>> sweep_point;  // (path, value as written)
  std::vector<ArmModule> interventions;
  std::unique_ptr<ArmCore> core;  // null: the scenario's core parameters

  // Core settings of this arm, kept until the scenario's own keys and --set are all read,
  // then applied on top of them.
  std::vector<std::function<void(ParamTable&)>> core_settings;
};

// What the analysis after a run needs (summaries, comparisons, costs) and the outcomes it
// counts besides the shipped ones.
struct AnalysisSettings {
  std::string reference_arm;    // the arm others are compared with (default: the first)
  double discount_rate = 0.03;  // per year, for costs
  std::int64_t bootstrap_samples = 2000;
  double admission_period_days = 91.3125;  // outcomes by admission period (open cohorts)
  // What a decision weighs (decision.hpp): the effect measure, and what a unit of it is worth
  // (0: not stated; recommend then asks for --wtp).
  enum class Effect { relapses_averted, relapse_free_person_years, completed_episodes, abstinent_person_years };
  Effect effect = Effect::relapses_averted;
  double willingness_to_pay = 0.0;
  std::vector<recovery::OutcomeDefinition> outcomes;  // analysis.outcomes
};

// Keys that change only the analysis of finished results, not what a run computes: a run
// resumed or a part merged with other values of these is still the same run.
const std::vector<std::string>& analysis_only_keys();

// A parameter drawn once per replicate: its name in the results file and its distribution.
struct UncertainParameter {
  // `model.x`, or `arms.<arm>.<type>.<key>` for a module's key given as a distribution; a
  // calibrated path as the parameter sets name it (`model.x`, `<type>.<key>`)
  std::string path;
  std::string distribution;  // as described by Distribution::describe() or ParameterSets::describe()
  std::string unit;          // the key's
};

class Scenario {
 public:
  Scenario();
  // The tables refer to this object's fields, so a scenario stays where it was built.
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;

  // Reads a scenario file, then applies `--set path=value` overrides in order, then checks
  // the whole. Throws InputError.
  void load(const std::string& path, const std::vector<std::string>& overrides = {});
  // The same from the resolved scenario stored in a results file.
  void load_text(const std::string& yaml, const std::string& label, const std::vector<std::string>& overrides = {});
  // path=value for a core key; arms.<arm>.<path>=value for one arm (or every point of a
  // sweep), where <path> is <module type>.<key> or a core key, as in a sweep.
  void apply_override(const std::string& path_equals_value);
  // Each --set as typed, with what it changed ("--set days=50: days 730 -> 50").
  const std::vector<std::string>& overrides_applied() const { return overrides_applied_; }
  void validate();

  // The core parameters an arm runs with.
  const recovery::Parameters& model_of(const Arm& arm) const { return arm.core ? arm.core->model : model; }

  // The parameters given as distributions, then the calibrated paths of the parameter sets, in
  // a fixed order.
  std::vector<UncertainParameter> uncertain_parameters() const;
  // Draws replicate `r`'s values of the uncertain parameters into the scenario (every arm and
  // module), assigns its parameter set, and returns the values in uncertain_parameters() order.
  // Throws InputError when a draw falls outside its key's range or breaks a check across keys.
  std::vector<double> draw_replicate(std::int64_t replicate);

  // Runs every replicate with one of a calibration's posterior sets (parameter_sets.hpp), in
  // place of the scenario's own `parameter_sets` if it has them. Throws InputError when a path
  // is not a numeric model key or a key of a module some arm has, is also given as a
  // distribution, set by --set or swept, or when a set's value is outside its key's range.
  void use_parameter_sets(ParameterSets sets);
  // The parameter sets the replicates run with; null without.
  const ParameterSets* parameter_sets() const { return parameter_sets_ ? &*parameter_sets_ : nullptr; }

  // The resolved scenario as YAML (every key, defaults filled in, arms and modules included).
  std::string resolved_yaml() const;
  // The same without the analysis-only keys: what runs, resumes and merges must agree on.
  std::string identity_yaml() const;
  // The admission periods of the outcomes by period: 1 in a closed cohort.
  std::size_t admission_periods() const;
  // What a replicate of `arm` observes: the shipped outcomes (for the arm's setting), the
  // scenario's outcomes whose events the arm has, and the event record if asked for.
  recovery::ObservationPlan observation_plan(const Arm& arm) const;
  // Every quantity the analysis gives for `arm` (outcomes, fixed quantities, module metrics).
  std::vector<std::string> quantity_names(const Arm& arm) const;
  const ParamTable& table() const { return table_; }
  // The deprecated names the scenario and its --set options used (ParamTable::warnings), once each.
  std::vector<ParamTable::Warning> warnings() const;
  const std::string& source() const { return source_; }

  RunSettings run;
  AnalysisSettings analysis;
  recovery::Parameters model;
  std::vector<Arm> arms;  // at least one: `usual_care` when the file names none

 private:
  void load_root(const YAML::Node& root, const std::string& label, const std::vector<std::string>& overrides);
  std::string yaml(bool with_analysis_only_keys) const;
  void check_outcomes_against_arms(const YAML::Node& list, const std::string& file) const;
  void load_arms(const YAML::Node& node, const std::string& file, ErrorList& errors);
  void load_arm(const YAML::Node& item, std::size_t index, const std::string& file);
  Arm make_arm(const YAML::Node& item, const std::string& where, const std::string& file);
  void set_in_arm(Arm& arm, const std::string& path, const SourceLocation& where,
                  const std::function<void(ParamTable&, const ParamSpec&)>& assign);
  void materialise_arm_cores();
  // Each calibrated path's keys: the scenario's and arm cores' for a core key, the module's in
  // every arm with it; `written` is the value the scenario gave, kept for its resolved YAML.
  struct SetTarget {
    ParamTable* table;
    const ParamSpec* spec;
    ParamValue written;
  };
  void bind_parameter_sets();
  std::vector<SetTarget> core_set_targets(const std::string& path);
  std::vector<SetTarget> module_set_targets(const std::string& path);
  void check_not_set_elsewhere(const std::string& path, const SetTarget& target, const std::string& shown) const;
  void check_set_values() const;
  std::optional<std::size_t> assign_parameter_set(std::int64_t replicate, std::map<std::string, double>& values);
  ParamTable::EmitOptions written_values(const ParamTable& table) const;
  std::optional<ParameterSets> parameter_sets_;
  std::vector<std::vector<SetTarget>> set_targets_;  // by path of parameter_sets_
  std::vector<std::string> overrides_applied_;
  ParamTable table_;
  std::string source_;
};

// The table of a default scenario, for `schema` and the generated reference.
const ParamTable& default_parameter_table();
// The parameter table of a module type, with its defaults (for `schema` and its doc page).
struct ModuleSchema {
  std::unique_ptr<recovery::Intervention> module;
  ParamTable table;
};
std::unique_ptr<ModuleSchema> module_schema(const std::string& type);
// The full Markdown reference: core keys, analysis.outcomes, then each module's keys.
std::string scenario_reference_markdown();
// The reference of analysis.outcomes: its keys, the events and the states.
std::string outcomes_reference_markdown();

}  // namespace recoverysim
