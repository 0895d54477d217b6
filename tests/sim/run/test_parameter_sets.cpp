// Runs with a calibration's posterior parameter sets (run --parameter-sets, parameter_sets.hpp):
// which set each replicate takes, that every arm of a replicate takes the same, the resolved
// scenario that carries them, and the refusals of a fit file or a section that cannot be used.
#include "run/parameter_sets.hpp"
#include "run/runner.hpp"
#include "run/scenario.hpp"
#include "support/runs.hpp"

#include "h5.hpp"
#include "random.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

using namespace recoverysim;

namespace {

// A directory of its own per test case: the cases run in parallel processes.
std::string directory(const std::string& name) {
  std::string dir = std::string(RECOVERYSIM_TEST_TMP) + "/parameter_sets-" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

const std::vector<std::string> fitted = {"model.lapse.craving_coefficient",
                                         "peer_mentor.matched_relapse_odds_multiplier"};
// Three distinct sets, each value exactly representable, so a match is exact.
const std::vector<std::vector<double>> three_sets = {{2.5, 0.75}, {3.25, 0.5}, {4.0, 0.625}};

struct FitFile {
  std::vector<std::string> names = fitted;
  std::vector<std::vector<double>> sets = three_sets;
  bool with_format = true;
  std::vector<hsize_t> posterior_shape;  // empty: [M, P]
};

// A fit.h5 as `recoverysim calibrate` writes it, the parts run --parameter-sets reads.
std::string write_fit(const std::string& path, const FitFile& fit = {}) {
  std::filesystem::remove(path);
  h5::File file = h5::File::create(path);
  h5::Group& root = file.root();
  if (fit.with_format) root.set_attribute("format", std::string("recoverysim calibration"));
  root.set_attribute("format_version", std::int64_t{1});
  root.set_attribute("name", std::string("tiny"));
  h5::Group parameters = root.create_group("parameters");
  const hsize_t P = fit.names.size();
  parameters.set_attribute("names", fit.names);
  const std::vector<double> low(P, 0.0), high(P, 10.0);
  parameters.create_dataset<double>("min", {P}).write_all<double>(low);
  parameters.create_dataset<double>("max", {P}).write_all<double>(high);
  std::vector<double> values;
  for (const auto& set : fit.sets) values.insert(values.end(), set.begin(), set.end());
  const std::vector<hsize_t> shape =
      fit.posterior_shape.empty() ? std::vector<hsize_t>{fit.sets.size(), P} : fit.posterior_shape;
  root.create_group("posterior").create_dataset<double>("parameters", shape).write_all<double>(values);
  file.close();
  return path;
}

// Two arms, the second with peer mentoring and a core of its own (its `set`).
const std::string two_arms =
    "name: sets\n"
    "replicates: 20\n"
    "seed: 17\n"
    "days: 30\n"
    "population: {size: 200}\n"
    "arms:\n"
    "  - name: usual_care\n"
    "  - name: mentor\n"
    "    set: {model.stress.probability_per_day: 0.1}\n"
    "    interventions:\n"
    "      - type: peer_mentor\n"
    "        mentors: 4\n";

double module_value(const Arm& arm, const std::string& key) {
  const ParamSpec* spec = arm.interventions.at(0).table->find(key);
  REQUIRE(spec != nullptr);
  return std::get<double>(spec->current());
}

// The set a replicate's values are, or -1 when they are no set's.
int set_of(const std::vector<double>& values) {
  for (std::size_t k = 0; k < three_sets.size(); ++k)
    if (values == three_sets[k]) return static_cast<int>(k);
  return -1;
}

// The message of the InputError `f` throws, or "(no error)".
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("parameter sets: each replicate runs with one posterior set, the same in every arm") {
  const std::string dir = directory("replicates");
  const std::string fit = write_fit(dir + "/fit.h5");
  Scenario s;
  s.load(write_file(dir + "/s.yaml", two_arms));
  s.use_parameter_sets(read_parameter_sets(fit));
  const auto uncertain = s.uncertain_parameters();
  REQUIRE(uncertain.size() == 2);
  CHECK(uncertain[0].path == fitted[0]);
  CHECK(uncertain[1].path == fitted[1]);
  CHECK(uncertain[0].distribution == "posterior of tiny (3 sets)");
  CHECK(uncertain[1].unit == "multiplier");

  std::set<int> used;
  for (std::int64_t r = 0; r < 20; ++r) {
    INFO("replicate " << r);
    const std::vector<double> values = s.draw_replicate(r);
    const int k = set_of(values);
    REQUIRE(k >= 0);  // both values from one and the same set
    used.insert(k);
    // The documented choice: floor(u * M) of the replicate's own Philox block.
    const auto u = philox_block({17, static_cast<std::uint32_t>(r)}, name_counter("parameter-sets"), 0,
                                static_cast<std::uint32_t>(Stream::parameter_sets), 0)[0];
    CHECK(k == static_cast<int>(std::floor(to_open_unit(u) * 3.0)));
    CHECK(static_cast<std::size_t>(k) == parameter_set_of_replicate(17, r, 3));
    // Every arm runs with the replicate's set: the scenario's core, the mentor arm's own core
    // (which keeps its own stress probability) and its module.
    CHECK(s.model_of(s.arms[0]).model.lapse_craving_coefficient == values[0]);
    CHECK(s.model_of(s.arms[1]).model.lapse_craving_coefficient == values[0]);
    CHECK(s.model_of(s.arms[1]).model.stress_probability_per_day == 0.1);
    CHECK(module_value(s.arms[1], "matched_relapse_odds_multiplier") == values[1]);
  }
  CHECK(used.size() > 1);

  // Deterministic: another scenario, the replicates in another order, the same sets.
  Scenario again;
  again.load(dir + "/s.yaml");
  again.use_parameter_sets(read_parameter_sets(fit));
  for (std::int64_t r = 19; r >= 0; --r) CHECK(again.draw_replicate(r) == s.draw_replicate(r));
}

TEST_CASE("parameter sets: the resolved scenario carries them and reads back to itself") {
  const std::string dir = directory("resolved");
  const std::string fit = write_fit(dir + "/fit.h5");
  Scenario s;
  s.load(write_file(dir + "/s.yaml", two_arms));
  s.use_parameter_sets(read_parameter_sets(fit));
  const std::string resolved = s.resolved_yaml();
  CHECK(resolved.find("parameter_sets:\n  source: \"" + fit + "\"\n  name: \"tiny\"\n") != std::string::npos);
  CHECK(resolved.find("  sets:\n    - [2.5, 0.75]\n    - [3.25, 0.5]\n    - [4.0, 0.625]\n") != std::string::npos);
  // The identity of a run is the sets, not where the fit file was.
  CHECK(s.identity_yaml().find("source:") == std::string::npos);
  CHECK(s.identity_yaml().find("name: \"tiny\"") != std::string::npos);

  // A draw does not change the resolved text: a calibrated key keeps the value the scenario gave.
  s.draw_replicate(3);
  CHECK(s.resolved_yaml() == resolved);

  Scenario back;
  back.load_text(resolved, "resolved");
  CHECK(back.resolved_yaml() == resolved);
  REQUIRE(back.parameter_sets() != nullptr);
  CHECK(back.parameter_sets()->sets == three_sets);
  CHECK(back.uncertain_parameters().size() == 2);
  for (std::int64_t r = 0; r < 20; ++r) CHECK(back.draw_replicate(r) == s.draw_replicate(r));

  // Values that need every digit come back bit-identical.
  FitFile awkward;
  awkward.sets = {{0.1 + 0.2, 1.0 / 3.0}, {std::nextafter(2.5, 3.0), 5e-324}};
  Scenario t;
  t.load(dir + "/s.yaml");
  t.use_parameter_sets(read_parameter_sets(write_fit(dir + "/awkward.h5", awkward)));
  Scenario t_back;
  t_back.load_text(t.resolved_yaml(), "resolved");
  CHECK(t_back.parameter_sets()->sets == awkward.sets);
  CHECK(t_back.resolved_yaml() == t.resolved_yaml());
}

TEST_CASE("parameter sets: a run stores each replicate's set under /uncertain_parameters") {
  const std::string dir = directory("run");
  const std::string fit = write_fit(dir + "/fit.h5");
  Scenario s;
  s.load(write_file(dir + "/s.yaml", two_arms), {"replicates=6"});
  s.use_parameter_sets(read_parameter_sets(fit));
  const std::string out = dir + "/results.h5";
  run_scenario(s, testing::quiet_run(out, 2));
  const auto file = h5::File::open_read_only(out);
  std::vector<std::vector<double>> columns;
  for (const auto& path : fitted) {
    const h5::Dataset d = file.root().open_dataset("uncertain_parameters/" + path);
    CHECK(d.string_list_attribute("distribution") == std::vector<std::string>{"posterior of tiny (3 sets)"});
    columns.push_back(d.read_all<double>());
    REQUIRE(columns.back().size() == 6);
  }
  for (std::size_t r = 0; r < 6; ++r) {
    INFO("replicate " << r);
    CHECK(set_of({columns[0][r], columns[1][r]}) == static_cast<int>(parameter_set_of_replicate(17, r, 3)));
  }
  // The stored scenario is self-contained: it loads with its sets, and resolves to itself.
  Scenario stored;
  const std::string yaml = file.root().string_attribute("scenario_yaml");
  stored.load_text(yaml, out + ":/scenario_yaml");
  CHECK(stored.resolved_yaml() == yaml);
  CHECK(stored.parameter_sets()->source == fit);

  // The sets are what the replicates ran with: a replicate's outcomes, in both arms, are those
  // of the same replicate (same seed, same key) of a run with its set's values as plain numbers.
  for (std::size_t k = 0; k < three_sets.size(); ++k) {
    Scenario fixed;
    fixed.load(dir + "/s.yaml", {"replicates=6", fitted[0] + "=" + format_value(three_sets[k][0]),
                                 "arms.mentor." + fitted[1] + "=" + format_value(three_sets[k][1])});
    const std::string fixed_out = dir + "/fixed_" + std::to_string(k) + ".h5";
    run_scenario(fixed, testing::quiet_run(fixed_out, 2));
    const auto fixed_file = h5::File::open_read_only(fixed_out);
    for (const std::string arm : {"usual_care", "mentor"}) {
      const h5::Group outcomes = file.root().open_group("arms/" + arm + "/outcomes");
      for (const auto& member : outcomes.members()) {
        if (member.second) continue;  // a group
        const std::string& name = member.first;
        const auto with_sets = outcomes.open_dataset(name).read_all<double>();
        const auto with_fixed = fixed_file.root().open_dataset("arms/" + arm + "/outcomes/" + name).read_all<double>();
        for (std::size_t r = 0; r < 6; ++r)
          if (parameter_set_of_replicate(17, static_cast<std::int64_t>(r), 3) == k) {
            INFO(arm << " " << name << " replicate " << r << " set " << k);
            CHECK(((std::isnan(with_sets[r]) && std::isnan(with_fixed[r])) || with_sets[r] == with_fixed[r]));
          }
      }
    }
  }
}

TEST_CASE("parameter sets: a fit file that cannot be used is refused, naming the file and the dataset") {
  const std::string dir = directory("refused_files");
  CHECK(error_of([&] { read_parameter_sets(dir + "/none.h5"); }) == dir + "/none.h5: no such file");
  {
    const std::string text = write_file(dir + "/text.h5", "not HDF5\n");
    CHECK(error_of([&] { read_parameter_sets(text); }) == text + ": not an HDF5 file (or truncated or unreadable)");
  }
  {
    FitFile fit;
    fit.with_format = false;
    const std::string path = write_fit(dir + "/unformatted.h5", fit);
    CHECK(error_of([&] { read_parameter_sets(path); }) ==
          path +
              ": not a calibration file (no `format: recoverysim calibration`; parameter sets come from the fit.h5 "
              "of `recoverysim calibrate`)");
  }
  {
    FitFile fit;
    fit.sets = {{1.0, 2.0, 3.0, 4.0, 5.0}};
    fit.posterior_shape = {5};
    const std::string path = write_fit(dir + "/shape.h5", fit);
    CHECK(error_of([&] { read_parameter_sets(path); }) ==
          path + ": /posterior/parameters: expected [M, 2] doubles, got [5]");
  }
  {
    FitFile fit;
    fit.sets = {};
    fit.posterior_shape = {0, 2};
    const std::string path = write_fit(dir + "/empty.h5", fit);
    CHECK(error_of([&] { read_parameter_sets(path); }) ==
          path + ": /posterior/parameters: expected [M, 2] doubles, got [0, 2]");
  }
  {
    FitFile fit;
    fit.sets = {{2.5, std::nan("")}};
    const std::string path = write_fit(dir + "/nan.h5", fit);
    CHECK(error_of([&] { read_parameter_sets(path); }) ==
          path + ": /posterior/parameters: value 2 is nan, expected a finite number");
  }
}

TEST_CASE("parameter sets: sets that a scenario cannot take are refused with the reason") {
  const std::string dir = directory("refused_sets");
  const std::string scenario = write_file(dir + "/s.yaml", two_arms);
  const auto refusal = [&](const FitFile& fit, const std::string& file_name, const std::string& yaml,
                           const std::vector<std::string>& overrides = {}) {
    const std::string path = write_fit(dir + "/" + file_name, fit);
    return error_of([&] {
      Scenario s;
      s.load(yaml.empty() ? scenario : write_file(dir + "/" + file_name + ".yaml", yaml), overrides);
      s.use_parameter_sets(read_parameter_sets(path));
    });
  };
  {
    FitFile fit;
    fit.names = {"model.lapse.no_such_key", fitted[1]};
    CHECK(refusal(fit, "not_a_key.h5", "") ==
          dir +
              "/not_a_key.h5: 'model.lapse.no_such_key' is neither a key of the model nor <module type>.<key> (see "
              "`recoverysim schema`)");
  }
  {
    FitFile fit;
    fit.names = {fitted[0], "peer_mentor.no_such_key"};
    CHECK(refusal(fit, "not_a_module_key.h5", "") ==
          dir +
              "/not_a_module_key.h5: 'peer_mentor.no_such_key': peer_mentor has no numeric key 'no_such_key' "
              "(see `recoverysim schema --module peer_mentor`)");
  }
  {
    // A module no arm has: not refused (a posterior fitted on many scenarios serves one without
    // the module), but named in a warning and left out of the uncertain parameters.
    FitFile fit;
    fit.names = {fitted[0], "group.attendance_intercept"};
    const std::string path = write_fit(dir + "/module_nowhere.h5", fit);
    Scenario s;
    s.load(scenario, {});
    s.use_parameter_sets(read_parameter_sets(path));
    const auto warnings = s.warnings();
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].where.to_string() == path);
    CHECK(warnings[0].message == "'group.attendance_intercept' is not used: no arm has a group intervention");
    const auto uncertain = s.uncertain_parameters();
    REQUIRE(uncertain.size() == 1);
    CHECK(uncertain[0].path == fitted[0]);
  }
  {
    const std::string yaml = two_arms + "model.lapse.craving_coefficient: {dist: normal, mean: 3, sd: 0.2}\n";
    CHECK(refusal({}, "distribution.h5", yaml) ==
          dir + "/distribution.h5: 'model.lapse.craving_coefficient' is given both as a distribution " +
              "(model.lapse.craving_coefficient at " + dir + "/distribution.h5.yaml:13:34) and by the parameter " +
              "sets of " + dir + "/distribution.h5; give it one way");
  }
  {
    std::string yaml = two_arms + "        matched_relapse_odds_multiplier: {dist: lognormal, mean: 0.8, sd: 0.1}\n";
    CHECK(refusal({}, "module_distribution.h5", yaml) ==
          dir + "/module_distribution.h5: 'peer_mentor.matched_relapse_odds_multiplier' is given both as a " +
              "distribution (arms.mentor.peer_mentor.matched_relapse_odds_multiplier at " + dir +
              "/module_distribution.h5.yaml:13:42) and by the parameter sets of " + dir +
              "/module_distribution.h5; give it one way");
  }
  {
    CHECK(refusal({}, "set.h5", "", {"model.lapse.craving_coefficient=2"}) ==
          "--set model.lapse.craving_coefficient=2: 'model.lapse.craving_coefficient' takes its values from the "
          "parameter sets of " +
              dir + "/set.h5: it cannot be set as well");
  }
  {
    FitFile fit;
    fit.sets = {{2.5, 0.75}, {60.0, 0.5}, {4.0, 0.625}};
    CHECK(refusal(fit, "range.h5", "") ==
          dir +
              "/range.h5: set 2 of 3: model.lapse.craving_coefficient = 60.0 is outside the key's range; a number "
              "in [-50, 50] is required");
  }
  {
    FitFile fit;
    fit.names = {fitted[0], "days"};
    CHECK(refusal(fit, "shape_key.h5", "") ==
          dir + "/shape_key.h5: 'days' sets the size of the run: it cannot change from replicate to replicate");
  }
  {
    const std::string yaml = two_arms + "  - name: other\n    set: {model.lapse.craving_coefficient: 1.5}\n";
    const std::string message = refusal({}, "arm_set.h5", yaml);
    CHECK(message.find("arms.other.model.lapse.craving_coefficient: the arm sets a key whose values come from the "
                       "parameter sets of " +
                       dir + "/arm_set.h5, the same in every arm; remove it from the arm") != std::string::npos);
  }
}

TEST_CASE("parameter sets: a scenario's own parameter_sets section is checked strictly") {
  const std::string dir = directory("section");
  const auto error = [&](const std::string& name, const std::string& section) {
    const std::string path = write_file(dir + "/" + name + ".yaml", two_arms + section);
    const std::string message = error_of([&] {
      Scenario s;
      s.load(path);
    });
    return message.rfind(path, 0) == 0 ? message.substr(path.size()) : message;
  };
  const std::string paths = "  paths: [model.lapse.craving_coefficient, peer_mentor.matched_relapse_odds_multiplier]\n";
  CHECK(error("good", "parameter_sets:\n  name: by_hand\n" + paths + "  sets: [[2.5, 0.75], [3, 0.5]]\n") ==
        "(no error)");
  CHECK(error("short", "parameter_sets:\n  name: h\n" + paths + "  sets: [[2.5, 0.75], [3]]\n") ==
        ":16:23: parameter_sets.sets[1]: expected a list of 2 numbers (one per path), got a list of 1");
  CHECK(error("nan", "parameter_sets:\n  name: h\n" + paths + "  sets: [[2.5, .nan]]\n") ==
        ":16:16: parameter_sets.sets[0][1]: expected a finite number, got '.nan'");
  CHECK(error("text", "parameter_sets:\n  name: h\n" + paths + "  sets: [[2.5, \"0.5\"]]\n") ==
        ":16:16: parameter_sets.sets[0][1]: expected a finite number, got '0.5'");
  CHECK(error("unknown", "parameter_sets:\n  name: h\n  weights: [1]\n" + paths + "  sets: [[2.5, 0.5]]\n") ==
        ":15:3: unknown key 'parameter_sets.weights'; valid keys here: source, name, paths, sets");
  CHECK(error("twice",
              "parameter_sets:\n  name: h\n  paths: [model.lapse.craving_coefficient, "
              "model.lapse.craving_coefficient]\n  sets: [[2.5, 0.5]]\n") ==
        ":15:44: parameter_sets.paths: 'model.lapse.craving_coefficient' appears twice");
  CHECK(error("no_sets", "parameter_sets:\n  name: h\n" + paths + "  sets: []\n") ==
        ":16:9: parameter_sets.sets: expected a list of sets, each a list of numbers, got an empty list");
  CHECK(error("choice", "parameter_sets:\n  name: h\n  paths: [treatment.setting]\n  sets: [[1]]\n") ==
        ":14:3: 'treatment.setting' is not a numeric key of the model; parameter sets give the model's and the "
        "modules' numbers (see `recoverysim schema`)");
  CHECK(error("range", "parameter_sets:\n  name: h\n" + paths + "  sets: [[2.5, -1]]\n") ==
        ":14:3: set 1 of 1: peer_mentor.matched_relapse_odds_multiplier = -1.0 is outside the key's range; a "
        "number in [0, 100] is required");
}
