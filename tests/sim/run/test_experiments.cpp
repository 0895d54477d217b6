// Experiments: sweeps, uncertain parameters and the analysis stored in the results file.
#include "run/runner.hpp"
#include "run/scenario.hpp"
#include "support/runs.hpp"

#include "distribution.hpp"
#include "h5.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <variant>

using namespace recoverysim;

namespace {

const std::filesystem::path source_dir = RECOVERYSIM_SOURCE_DIR;
const std::filesystem::path tmp_dir = RECOVERYSIM_TEST_TMP;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string write_yaml(const std::string& name, const std::string& yaml) {
  const auto path = tmp_dir / name;
  std::ofstream(path) << yaml;
  return path.string();
}

// Loads `yaml` as a scenario file and returns the error, the file's name left out, or "(no error)".
std::string load_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  // Named by content: test cases run in parallel processes and must not share a file.
  const std::string path = write_yaml("experiments_" + std::to_string(std::hash<std::string>{}(yaml)) + ".yaml", yaml);
  Scenario s;
  try {
    s.load(path, overrides);
  } catch (const InputError& e) {
    const std::string message = e.what();
    return message.rfind(path, 0) == 0 ? message.substr(path.size()) : message;
  }
  return "(no error)";
}

// ":<line>:<column>" of the first occurrence of `token` in line `line` (1-based) of `yaml`.
std::string location(const std::string& yaml, int line, const std::string& token) {
  std::istringstream in(yaml);
  std::string text;
  for (int i = 0; i < line; ++i) std::getline(in, text);
  const auto column = text.find(token);
  REQUIRE(column != std::string::npos);
  return ":" + std::to_string(line) + ":" + std::to_string(column + 1);
}

double number(const ParamValue& v) {
  if (const auto* x = std::get_if<double>(&v)) return *x;
  return static_cast<double>(std::get<std::int64_t>(v));
}

double module_value(const Arm& arm, const std::string& key) {
  REQUIRE(arm.interventions.size() == 1);
  const ParamSpec* spec = arm.interventions[0].table->find(key);
  REQUIRE(spec != nullptr);
  return number(spec->current());
}

using Point = std::vector<std::pair<std::string, std::string>>;  // Arm::sweep_point

std::vector<std::string> arm_names(const Scenario& s) {
  std::vector<std::string> names;
  for (const auto& a : s.arms) names.push_back(a.name);
  return names;
}

const std::string grid_yaml =
    "name: sweep\n"
    "arms:\n"
    "  - name: usual_care\n"
    "  - name: pm\n"
    "    interventions:\n"
    "      - type: peer_mentor\n"
    "    sweep:\n"
    "      grid:\n"
    "        peer_mentor.contacts_per_week: [0.5, 2]\n"
    "        peer_mentor.mentors: [2, 4, 8]\n";

}  // namespace

TEST_CASE("experiments: a grid sweep expands into one arm per combination, the first path slowest") {
  Scenario s;
  s.load(write_yaml("grid.yaml", grid_yaml));
  const std::vector<std::string> contacts = {"0.5", "2"};
  const std::vector<std::string> mentors = {"2", "4", "8"};
  REQUIRE(s.arms.size() == 7);
  CHECK(s.arms[0].name == "usual_care");
  CHECK(s.arms[0].sweep_point.empty());
  for (std::size_t i = 0; i < contacts.size(); ++i)
    for (std::size_t j = 0; j < mentors.size(); ++j) {
      const Arm& arm = s.arms[1 + i * mentors.size() + j];
      const std::string c = contacts[i] == "0.5" ? "0p5" : contacts[i];
      CHECK(arm.name == "pm_contacts_per_week" + c + "_mentors" + mentors[j]);
      CHECK(arm.sweep_base == "pm");
      CHECK(arm.sweep_point ==
            Point{{"peer_mentor.contacts_per_week", contacts[i]}, {"peer_mentor.mentors", mentors[j]}});
      CHECK(module_value(arm, "contacts_per_week") == std::stod(contacts[i]));
      CHECK(module_value(arm, "mentors") == std::stod(mentors[j]));
      CHECK(module_value(arm, "caseload") == 12);  // not swept: the module's default
      CHECK(arm.core == nullptr);                  // a module sweep leaves the core parameters shared
    }
}

TEST_CASE("experiments: a zip sweep takes the i-th values together and lists of unequal length are refused") {
  const std::string zip =
      "name: zip\n"
      "arms:\n"
      "  - name: pm\n"
      "    interventions: [{type: peer_mentor}]\n"
      "    sweep:\n"
      "      zip:\n"
      "        peer_mentor.mentors: [2, 6]\n";
  Scenario s;
  s.load(write_yaml("zip.yaml", zip + "        peer_mentor.caseload: [10, 20]\n"));
  REQUIRE(arm_names(s) == std::vector<std::string>{"pm_mentors2_caseload10", "pm_mentors6_caseload20"});
  CHECK(module_value(s.arms[0], "mentors") == 2);
  CHECK(module_value(s.arms[0], "caseload") == 10);
  CHECK(module_value(s.arms[1], "mentors") == 6);
  CHECK(module_value(s.arms[1], "caseload") == 20);
  CHECK(s.arms[1].sweep_point == Point{{"peer_mentor.mentors", "6"}, {"peer_mentor.caseload", "20"}});

  // One path: the point is named by its value alone.
  Scenario one;
  one.load(write_yaml("zip_one.yaml", zip));
  CHECK(arm_names(one) == std::vector<std::string>{"pm_2", "pm_6"});

  const std::string unequal = zip + "        peer_mentor.caseload: [10, 20, 30]\n";
  CHECK(load_error(unequal) == location(unequal, 8, "[") +
                                   ": arms[0].sweep.zip.peer_mentor.caseload: 3 values, but 'peer_mentor.mentors' "
                                   "has 2 (a zip takes the i-th value of every list together)");
}

TEST_CASE("experiments: a sweep over an unknown path is refused with a hint") {
  const std::string head =
      "name: a\n"
      "arms:\n"
      "  - name: pm\n"
      "    interventions: [{type: peer_mentor}]\n"
      "    sweep:\n"
      "      grid:\n";
  const std::string module_typo = head + "        peer_mentor.mentor: [1, 2]\n";
  CHECK(load_error(module_typo) == location(module_typo, 7, "peer_mentor") +
                                       ": 'peer_mentor.mentor': peer_mentor has no key 'mentor' (did you mean "
                                       "'peer_mentor.mentors'?)");
  const std::string core_typo = head + "        model.lapse.craving_coeficient: [1, 2]\n";
  CHECK(load_error(core_typo) == location(core_typo, 7, "model") +
                                     ": 'model.lapse.craving_coeficient' is neither a key of the arm's interventions "
                                     "(<type>.<key>) nor a model key (did you mean "
                                     "'model.lapse.craving_coefficient'?)");
  const std::string missing_module = head + "        group.sessions_per_week: [1, 2]\n";
  CHECK(load_error(missing_module) ==
        location(missing_module, 7, "group") + ": 'group.sessions_per_week': arm 'pm' has no group intervention");
}

TEST_CASE("experiments: a sweep over a core key gives each point its own core parameters") {
  const std::string yaml =
      "name: core\n"
      "model: {stress: {probability_per_day: 0.07}}\n"
      "arms:\n"
      "  - name: usual_care\n"
      "  - name: c\n"
      "    sweep:\n"
      "      grid:\n"
      "        model.lapse.craving_coefficient: [2.0, 2.5]\n";
  Scenario s;
  s.load(write_yaml("core_sweep.yaml", yaml));
  REQUIRE(arm_names(s) == std::vector<std::string>{"usual_care", "c_2p0", "c_2p5"});
  CHECK(s.arms[0].core == nullptr);
  CHECK(&s.model_of(s.arms[0]) == &s.model);
  CHECK(s.model.model.lapse_craving_coefficient == 3.0);  // the documented default
  for (std::size_t a = 1; a < 3; ++a) {
    REQUIRE(s.arms[a].core != nullptr);
    CHECK(&s.model_of(s.arms[a]) != &s.model);
    // The other keys keep the scenario's values, not the defaults.
    CHECK(s.model_of(s.arms[a]).model.stress_probability_per_day == 0.07);
  }
  CHECK(s.model_of(s.arms[1]).model.lapse_craving_coefficient == 2.0);
  CHECK(s.model_of(s.arms[2]).model.lapse_craving_coefficient == 2.5);
  CHECK(s.arms[2].sweep_point == Point{{"model.lapse.craving_coefficient", "2.5"}});
}

TEST_CASE("experiments: the resolved scenario of a sweep reads back to the same scenario") {
  const std::string yaml = grid_yaml +
                           "  - name: c\n"
                           "    set: {model.stress.probability_per_day: 0.08}\n"
                           "    sweep:\n"
                           "      zip:\n"
                           "        model.lapse.craving_coefficient: [2.0, 2.5]\n";
  Scenario original;
  original.load(write_yaml("sweep_original.yaml", yaml));
  const std::string resolved = original.resolved_yaml();
  // Each point says which sweep it comes from, with the values as written.
  CHECK(resolved.find("  - name: pm_contacts_per_week0p5_mentors8\n    sweep_point: {of: pm, values: "
                      "{peer_mentor.contacts_per_week: 0.5, peer_mentor.mentors: 8}}\n") != std::string::npos);
  CHECK(resolved.find("  - name: c_2p5\n    sweep_point: {of: c, values: {model.lapse.craving_coefficient: 2.5}}\n") !=
        std::string::npos);
  CHECK(resolved.find("  - name: usual_care\n    interventions: []\n") != std::string::npos);
  Scenario again;
  again.load(write_yaml("sweep_resolved.yaml", resolved));
  // Read back: the same scenario, the points still labelled with their sweep.
  CHECK(again.resolved_yaml() == resolved);
  for (std::size_t a = 0; a < again.arms.size(); ++a) {
    CHECK(again.arms[a].sweep_base == original.arms[a].sweep_base);
    CHECK(again.arms[a].sweep_point == original.arms[a].sweep_point);
  }
  CHECK(arm_names(again) == arm_names(original));
  REQUIRE(again.arms.size() == 9);
  CHECK(module_value(again.arms[6], "mentors") == 8);
  CHECK(module_value(again.arms[6], "contacts_per_week") == 2.0);
  CHECK(again.model_of(again.arms[8]).model.lapse_craving_coefficient == 2.5);
  CHECK(again.model_of(again.arms[8]).model.stress_probability_per_day == 0.08);
  CHECK(&again.model_of(again.arms[0]) == &again.model);
}

TEST_CASE("experiments: --set reaches every point of a sweep, but not a swept path") {
  Scenario s;
  s.load(write_yaml("grid_set.yaml", grid_yaml), {"arms.pm.peer_mentor.caseload=10"});
  REQUIRE(s.arms.size() == 7);
  for (std::size_t a = 1; a < 7; ++a) CHECK(module_value(s.arms[a], "caseload") == 10);

  // A single point by its own name.
  Scenario one;
  one.load(write_yaml("grid_set_one.yaml", grid_yaml), {"arms.pm_contacts_per_week2_mentors4.peer_mentor.caseload=9"});
  for (std::size_t a = 1; a < 7; ++a)
    CHECK(module_value(one.arms[a], "caseload") == (one.arms[a].name == "pm_contacts_per_week2_mentors4" ? 9 : 12));

  CHECK(load_error(grid_yaml, {"arms.pm.peer_mentor.mentors=3"}) ==
        "--set arms.pm.peer_mentor.mentors=3: 'peer_mentor.mentors' is swept in arm 'pm'; change the sweep's values "
        "instead");
  CHECK(load_error(grid_yaml, {"arms.pm_contacts_per_week2_mentors4.peer_mentor.contacts_per_week=1"}) ==
        "--set arms.pm_contacts_per_week2_mentors4.peer_mentor.contacts_per_week=1: 'peer_mentor.contacts_per_week' is "
        "swept in arm 'pm'; change the sweep's values instead");
}

TEST_CASE("experiments: a scenario of more than 10000 arms is refused" * doctest::test_suite("long")) {
  const auto values = [](int from, int count) {
    std::string list = "[";
    for (int i = 0; i < count; ++i) list += (i ? ", " : "") + std::to_string(from + i);
    return list + "]";
  };
  const std::string head =
      "name: big\n"
      "arms:\n"
      "  - name: pm\n"
      "    interventions: [{type: peer_mentor}]\n"
      "    sweep:\n"
      "      grid:\n";
  const std::string too_many = head + "        peer_mentor.mentors: " + values(0, 101) +
                               "\n        peer_mentor.caseload: " + values(1, 100) + "\n";
  CHECK(load_error(too_many) == location(too_many, 6, "grid") +
                                    ": arms[0].sweep expands to 10100 arms; at most 10000 arms are allowed in a "
                                    "scenario");

  // Exactly 10,000 arms are allowed; one arm more, before or after the sweep, is not.
  const std::string sweep =
      "        peer_mentor.mentors: " + values(0, 100) + "\n        peer_mentor.caseload: " + values(1, 100) + "\n";
  Scenario s;
  s.load(write_yaml("big.yaml", head + sweep));
  CHECK(s.arms.size() == 10000);
  CHECK(s.arms.back().name == "pm_mentors99_caseload100");
  const std::string first_lines = "name: big\narms:\n";
  const std::string before = first_lines + "  - name: usual_care\n" + head.substr(first_lines.size()) + sweep;
  CHECK(load_error(before).find("arms[1].sweep expands to 10000 arms; at most 10000 arms are allowed") !=
        std::string::npos);
  const std::string after = head + sweep + "  - name: usual_care\n";
  CHECK(load_error(after) == location(after, 9, "name") +
                                 ": arms[1]: the scenario already has 10000 arms; at most 10000 arms are allowed in a "
                                 "scenario");
}

TEST_CASE("experiments: population and intake keys cannot differ between arms") {
  const std::string set_size = "name: a\narms:\n  - name: x\n    set: {population.size: 5}\n";
  CHECK(load_error(set_size) == location(set_size, 4, "5") +
                                    ": arms.x.population.size: population and intake keys apply to the whole scenario "
                                    "(every arm has the same people)");
  const std::string set_intake = "name: a\narms:\n  - name: x\n    set: {intake: {arrivals_per_day: 2}}\n";
  CHECK(load_error(set_intake).find("arms.x.intake.arrivals_per_day: population and intake keys apply to the whole") !=
        std::string::npos);
  const std::string sweep_size = "name: a\narms:\n  - name: x\n    sweep: {grid: {population.size: [5, 6]}}\n";
  CHECK(load_error(sweep_size) == location(sweep_size, 4, "population") +
                                      ": 'population.size': population and intake keys apply to the whole scenario "
                                      "(every arm has the same people)");
  CHECK(load_error("name: a\narms:\n  - name: x\n", {"arms.x.population.size=5"}) ==
        "--set arms.x.population.size=5: 'population.size': population and intake keys apply to the whole scenario "
        "(every arm has the same people)");
  // Other core keys may differ.
  CHECK(load_error("name: a\narms:\n  - name: x\n    set: {treatment.setting: residential}\n") == "(no error)");
}

// ---- uncertain parameters

TEST_CASE("experiments: distribution mistakes are refused where they were written") {
  const auto error = [](const std::string& key, const std::string& value) {
    const std::string yaml = "name: d\n" + key + ": " + value + "\n";
    return std::make_pair(load_error(yaml), yaml);
  };
  {
    const auto [message, yaml] = error("model.lapse.craving_coefficient", "{dist: normall, mean: 2, sd: 0.3}");
    CHECK(message == location(yaml, 2, "normall") +
                         ": model.lapse.craving_coefficient: unknown distribution 'normall' (did you mean 'normal'?); "
                         "expected one of beta, gamma, lognormal, normal, uniform");
  }
  {
    const auto [message, yaml] = error("model.stress.lapse_multiplier", "{dist: gamma, mean: 2}");
    CHECK(message == location(yaml, 2, "{") +
                         ": model.stress.lapse_multiplier: a gamma distribution needs shape and scale or mean and sd");
  }
  {
    const auto [message, yaml] = error("model.stress.lapse_multiplier", "{dist: lognormal, mean: 2, sdlog: 0.1}");
    CHECK(message == location(yaml, 2, "{") +
                         ": model.stress.lapse_multiplier: a lognormal distribution needs meanlog and sdlog or mean "
                         "and sd");
  }
  {
    const auto [message, yaml] = error("model.stress.lapse_multiplier", "{mean: 2, sd: 1}");
    CHECK(message == location(yaml, 2, "{") +
                         ": model.stress.lapse_multiplier: a distribution needs `dist:` (one of beta, gamma, "
                         "lognormal, normal, uniform)");
  }
  {
    const auto [message, yaml] = error("model.stress.lapse_multiplier", "{dist: normal, mean: 2, shape: 1}");
    CHECK(message == location(yaml, 2, "shape") +
                         ": model.stress.lapse_multiplier: unknown parameter 'shape' of a normal distribution; "
                         "expected mean and sd");
  }
  {
    // sd^2 must be below mean (1 - mean) = 0.21, i.e. sd below 0.4583.
    const auto [message, yaml] = error("model.stress.craving_jump", "{dist: beta, mean: 0.3, sd: 0.5}");
    CHECK(message.rfind(location(yaml, 2, "{") + ": model.stress.craving_jump: sd: too large for a beta distribution "
                                                 "with mean 0.3 (sd must be below sqrt(mean (1 - mean)) = 0.4582",
                        0) == 0);
    CHECK(error("model.stress.craving_jump", "{dist: beta, mean: 0.3, sd: 0.45}").first == "(no error)");
  }
  {
    const auto [message, yaml] = error("model.craving.decay_days", "{dist: uniform, min: 50, max: 50}");
    CHECK(message == location(yaml, 2, "{") + ": model.craving.decay_days: min must be less than max");
  }
  {
    const auto [message, yaml] = error("model.stress.probability_per_day", "{dist: normal, mean: 1.5, sd: 0.1}");
    CHECK(message == location(yaml, 2, "{") +
                         ": model.stress.probability_per_day: the distribution normal(mean=1.5, sd=0.1) has mean 1.5, "
                         "outside the key's range [0, 1]");
  }
  {
    const auto [message, yaml] = error("model.stress.probability_per_day", "{dist: uniform, min: 0.5, max: 1.5}");
    CHECK(message == location(yaml, 2, "{") +
                         ": model.stress.probability_per_day: the distribution uniform(min=0.5, max=1.5) can draw "
                         "values outside the key's range [0, 1]");
  }
  {
    const auto [message, yaml] = error("output.file", "{dist: normal, mean: 1, sd: 1}");
    CHECK(message == location(yaml, 2, "{") + ": output.file: expected a text, got a mapping");
  }
  CHECK(load_error("name: d\n", {"treatment.setting={dist: normal, mean: 1, sd: 1}"}) ==
        "--set treatment.setting={dist: normal, mean: 1, sd: 1}: treatment.setting: only a number can be given as a "
        "distribution; expected one of detox, residential, outpatient, intensive_outpatient, methadone, buprenorphine");
  for (const std::string key : {"replicates", "days", "seed", "population.size"}) {
    INFO(key);
    const auto [message, yaml] = error(key, "{dist: uniform, min: 2, max: 10}");
    CHECK(message == location(yaml, 2, "{") + ": " + key +
                         ": cannot be drawn per replicate (it sets the size of the run); give a number");
  }
  const std::string intake = "name: d\nintake.arrivals_per_day: 2\nintake.for_days: {dist: uniform, min: 2, max: 10}\n";
  CHECK(load_error(intake) == location(intake, 3, "{") +
                                  ": intake.for_days: cannot be drawn per replicate (it sets the size of the run); "
                                  "give a number");
}

namespace {

struct Moments {
  double mean = 0.0;
  double sd = 0.0;
};

Moments sample_moments(const std::vector<double>& x) {
  double sum = 0.0;
  for (double v : x) sum += v;
  const double mean = sum / static_cast<double>(x.size());
  double squares = 0.0;
  for (double v : x) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / static_cast<double>(x.size() - 1))};
}

std::size_t index_of(const std::vector<UncertainParameter>& list, const std::string& path) {
  for (std::size_t k = 0; k < list.size(); ++k)
    if (list[k].path == path) return k;
  FAIL("no uncertain parameter " << path);
  return 0;
}

}  // namespace

TEST_CASE("experiments: draws of every family have the requested mean and sd") {
  // Requested moments; for the native parameter sets they follow from the usual formulas:
  // beta(2, 18): mean 2/20, sd sqrt(2*18 / (20^2 * 21)); gamma(shape 4, scale 0.01): mean 0.04,
  // sd sqrt(4) * 0.01; lognormal(1, 0.2): mean exp(1 + 0.02), sd mean * sqrt(exp(0.04) - 1);
  // uniform(40, 80): mean 60, sd 40 / sqrt(12).
  struct Requested {
    std::string path;
    std::string written;
    std::string described;
    double mean;
    double sd;
  };
  const double lognormal_mean = std::exp(1.0 + 0.5 * 0.04);
  const std::vector<Requested> requested = {
      {"model.stress.craving_jump", "{dist: beta, mean: 0.3, sd: 0.05}", "beta(mean=0.3, sd=0.05)", 0.3, 0.05},
      {"model.craving.floor", "{dist: beta, alpha: 2, beta: 18}", "beta(alpha=2.0, beta=18.0)", 0.1,
       std::sqrt(36.0 / (400.0 * 21.0))},
      {"model.stress.lapse_multiplier", "{dist: gamma, mean: 3, sd: 0.6}", "gamma(mean=3.0, sd=0.6)", 3.0, 0.6},
      {"model.stress.probability_per_day", "{dist: gamma, shape: 4, scale: 0.01}", "gamma(shape=4.0, scale=0.01)", 0.04,
       0.02},
      {"model.death.substance_related.loss_of_tolerance_multiplier", "{dist: lognormal, mean: 8, sd: 2}",
       "lognormal(mean=8.0, sd=2.0)", 8.0, 2.0},
      {"model.dropout.use_multiplier", "{dist: lognormal, meanlog: 1, sdlog: 0.2}", "lognormal(meanlog=1.0, sdlog=0.2)",
       lognormal_mean, lognormal_mean * std::sqrt(std::exp(0.04) - 1.0)},
      {"model.lapse.craving_coefficient", "{dist: normal, mean: 2.5, sd: 0.3}", "normal(mean=2.5, sd=0.3)", 2.5, 0.3},
      {"model.craving.decay_days", "{dist: uniform, min: 40, max: 80}", "uniform(min=40.0, max=80.0)", 60.0,
       40.0 / std::sqrt(12.0)},
  };
  constexpr int R = 4000;
  std::string yaml = "name: moments\nreplicates: " + std::to_string(R) + "\nseed: 11\n";
  for (const auto& r : requested) yaml += r.path + ": " + r.written + "\n";
  Scenario s;
  s.load(write_yaml("moments.yaml", yaml));
  const auto uncertain = s.uncertain_parameters();
  REQUIRE(uncertain.size() == requested.size());

  // Before any draw a key holds its distribution's mean.
  CHECK(s.model.model.lapse_craving_coefficient == 2.5);
  CHECK(s.model.model.craving_decay_days == 60.0);

  std::vector<std::vector<double>> draws(requested.size());
  for (int r = 0; r < R; ++r) {
    const auto values = s.draw_replicate(r);
    REQUIRE(values.size() == requested.size());
    for (std::size_t k = 0; k < requested.size(); ++k)
      draws[k].push_back(values[index_of(uncertain, requested[k].path)]);
    // The draws are the values the scenario now runs with.
    CHECK(s.model.model.lapse_craving_coefficient == values[index_of(uncertain, "model.lapse.craving_coefficient")]);
    CHECK(s.model.model.craving_decay_days == values[index_of(uncertain, "model.craving.decay_days")]);
  }
  for (std::size_t k = 0; k < requested.size(); ++k) {
    const auto& q = requested[k];
    INFO(q.path << " " << q.written);
    CHECK(uncertain[index_of(uncertain, q.path)].distribution == q.described);
    const Moments m = sample_moments(draws[k]);
    const double standard_error = q.sd / std::sqrt(static_cast<double>(R));
    CHECK(std::fabs(m.mean - q.mean) < 4.0 * standard_error);  // within 4 standard errors
    CHECK(std::fabs(m.sd - q.sd) < 0.1 * q.sd);                // within 10%
  }
  // The draws are those of the documented key: (seed, replicate, path).
  const Distribution normal = Distribution::parse_text("{dist: normal, mean: 2.5, sd: 0.3}", {}, "x");
  const std::size_t k = 6;
  for (int r : {0, 1, 2999})
    CHECK(draws[k][static_cast<std::size_t>(r)] ==
          draw_parameter(normal, RandomKey{11, static_cast<std::uint32_t>(r)}, "model.lapse.craving_coefficient"));
}

TEST_CASE("experiments: every arm of a replicate draws the same value for the same key") {
  const std::string yaml =
      "name: shared\n"
      "replicates: 50\n"
      "seed: 5\n"
      "model.lapse.craving_coefficient: {dist: normal, mean: 2.5, sd: 0.3}\n"
      "arms:\n"
      "  - name: a\n"
      "    interventions:\n"
      "      - type: peer_mentor\n"
      "        matched_relapse_odds_multiplier: {dist: lognormal, mean: 0.8, sd: 0.1}\n"
      "  - name: b\n"
      "    set: {model.stress.probability_per_day: 0.1}\n"
      "    interventions:\n"
      "      - type: peer_mentor\n"
      "        mentors: 6\n"
      "        matched_relapse_odds_multiplier: {dist: lognormal, mean: 0.8, sd: 0.1}\n";
  Scenario s;
  s.load(write_yaml("shared.yaml", yaml));
  const auto uncertain = s.uncertain_parameters();
  std::vector<std::string> paths;
  for (const auto& u : uncertain) paths.push_back(u.path);
  // Arm b's own core inherits the scenario's distribution: listed once, under the scenario.
  REQUIRE(paths == std::vector<std::string>{"model.lapse.craving_coefficient",
                                            "arms.a.peer_mentor.matched_relapse_odds_multiplier",
                                            "arms.b.peer_mentor.matched_relapse_odds_multiplier"});
  REQUIRE(s.arms[1].core != nullptr);
  const Distribution lognormal = Distribution::parse_text("{dist: lognormal, mean: 0.8, sd: 0.1}", {}, "x");
  std::set<double> core_values, module_values;
  for (int r = 0; r < 50; ++r) {
    INFO("replicate " << r);
    const auto v = s.draw_replicate(r);
    REQUIRE(v.size() == 3);
    CHECK(v[1] == v[2]);
    CHECK(module_value(s.arms[0], "matched_relapse_odds_multiplier") == v[1]);
    CHECK(module_value(s.arms[1], "matched_relapse_odds_multiplier") == v[1]);
    CHECK(module_value(s.arms[1], "mentors") == 6);
    CHECK(v[1] == draw_parameter(lognormal, RandomKey{5, static_cast<std::uint32_t>(r)},
                                 "peer_mentor.matched_relapse_odds_multiplier"));
    // The core key: the same value in the arm with its own core as in the scenario's.
    CHECK(s.model.model.lapse_craving_coefficient == v[0]);
    CHECK(s.model_of(s.arms[1]).model.lapse_craving_coefficient == v[0]);
    CHECK(s.model_of(s.arms[1]).model.stress_probability_per_day == 0.1);
    CHECK(s.model_of(s.arms[0]).model.stress_probability_per_day == 0.05);
    core_values.insert(v[0]);
    module_values.insert(v[1]);
  }
  // Different replicates, different draws.
  CHECK(core_values.size() == 50);
  CHECK(module_values.size() == 50);

  // Another seed, other draws.
  Scenario other;
  other.load(write_yaml("shared_seed.yaml", yaml), {"seed=6"});
  CHECK(other.draw_replicate(0) != s.draw_replicate(0));
}

TEST_CASE("experiments: an integer key drawn from a distribution takes the rounded draw") {
  const std::string yaml =
      "name: integer\n"
      "replicates: 400\n"
      "seed: 9\n"
      "arms:\n"
      "  - name: pm\n"
      "    interventions:\n"
      "      - type: peer_mentor\n"
      "        mentors: {dist: uniform, min: 2, max: 8}\n";
  Scenario s;
  s.load(write_yaml("integer.yaml", yaml));
  REQUIRE(s.uncertain_parameters().size() == 1);
  CHECK(s.uncertain_parameters()[0].path == "arms.pm.peer_mentor.mentors");
  CHECK(module_value(s.arms[0], "mentors") == 5);  // the mean, before any draw
  const Distribution uniform = Distribution::parse_text("{dist: uniform, min: 2, max: 8}", {}, "x");
  std::set<double> seen;
  int fractional = 0;
  for (int r = 0; r < 400; ++r) {
    INFO("replicate " << r);
    const double raw = draw_parameter(uniform, RandomKey{9, static_cast<std::uint32_t>(r)}, "peer_mentor.mentors");
    fractional += raw != std::round(raw);
    const auto v = s.draw_replicate(r);
    REQUIRE(v.size() == 1);
    CHECK(module_value(s.arms[0], "mentors") == std::round(raw));
    // The value reported (and stored in the results file) is the value the replicate runs with.
    CHECK(v[0] == std::round(raw));
    seen.insert(module_value(s.arms[0], "mentors"));
  }
  CHECK(fractional > 390);
  CHECK(seen == std::set<double>{2, 3, 4, 5, 6, 7, 8});
}

// ---- the analysis stored by a run

namespace {

template <class T>
std::vector<T> read(const h5::File& f, const std::string& path) {
  return f.root().open_dataset(path).read_all<T>();
}

// A string attribute of a dataset (a scalar or a list), as a list.
std::vector<std::string> string_list_attribute(const h5::Dataset& d, const std::string& name) {
  const hid_t attr = H5Aopen(d.id(), name.c_str(), H5P_DEFAULT);
  REQUIRE(attr >= 0);
  const hid_t space = H5Aget_space(attr);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  std::vector<char*> raw(n, nullptr);
  const herr_t status = H5Aread(attr, type, raw.data());
  std::vector<std::string> out;
  for (char* s : raw) {
    out.emplace_back(s ? s : "");
    H5free_memory(s);
  }
  H5Tclose(type);
  H5Sclose(space);
  H5Aclose(attr);
  REQUIRE(status >= 0);
  return out;
}

// Rows [K,3] of (mean, low, high), by label.
struct Rows {
  std::vector<std::string> labels;
  std::vector<double> data;
  std::array<double, 3> operator[](const std::string& label) const {
    for (std::size_t k = 0; k < labels.size(); ++k)
      if (labels[k] == label) return {data[3 * k], data[3 * k + 1], data[3 * k + 2]};
    FAIL("no row " << label);
    return {};
  }
};

Rows read_rows(const h5::File& f, const std::string& path) {
  const auto d = f.root().open_dataset(path);
  Rows rows{string_list_attribute(d, "labels"), d.read_all<double>()};
  REQUIRE(d.dims() == std::vector<hsize_t>{rows.labels.size(), 3});
  return rows;
}

constexpr double t4 = 2.7764451;  // Student's t quantile 0.975 with 4 degrees of freedom

// Mean with its t interval over 5 values, computed here.
std::array<double, 3> t_interval(const std::vector<double>& x) {
  REQUIRE(x.size() == 5);
  const Moments m = sample_moments(x);
  const double half = t4 * m.sd / std::sqrt(5.0);
  return {m.mean, m.mean - half, m.mean + half};
}

// The same standard error carried to the scale that keeps the interval in the quantity's
// range: logit for a share, log for a nonnegative quantity (docs/output.md).
std::array<double, 3> share_interval(const std::vector<double>& x) {
  const Moments m = sample_moments(x);
  if (m.sd == 0.0) return {m.mean, m.mean, m.mean};
  const double half = t4 * m.sd / std::sqrt(5.0) / (m.mean * (1.0 - m.mean));
  const double logit = std::log(m.mean / (1.0 - m.mean));
  return {m.mean, 1.0 / (1.0 + std::exp(-(logit - half))), 1.0 / (1.0 + std::exp(-(logit + half)))};
}
std::array<double, 3> positive_interval(const std::vector<double>& x) {
  const Moments m = sample_moments(x);
  if (m.sd == 0.0 || m.mean == 0.0) return {m.mean, m.mean, m.mean};
  const double half = t4 * m.sd / std::sqrt(5.0) / m.mean;
  return {m.mean, m.mean * std::exp(-half), m.mean * std::exp(half)};
}

void check_interval(const std::array<double, 3>& stored, const std::array<double, 3>& expected) {
  CHECK(stored[0] == doctest::Approx(expected[0]).epsilon(1e-12));
  // The tabulated t quantile is used at 8 significant digits here.
  const double scale = std::max(std::fabs(expected[2] - expected[1]), 1e-300);
  CHECK(std::fabs(stored[1] - expected[1]) <= 1e-7 * scale + 1e-12 * std::fabs(expected[0]));
  CHECK(std::fabs(stored[2] - expected[2]) <= 1e-7 * scale + 1e-12 * std::fabs(expected[0]));
}

}  // namespace

TEST_CASE("experiments: the analysis in the results file agrees with the raw datasets") {
  const std::string yaml = read_text(source_dir / "scenarios" / "baseline.yaml") +
                           "arms:\n"
                           "  - name: usual_care\n"
                           "  - name: mentor\n"
                           "    interventions:\n"
                           "      - type: peer_mentor\n"
                           "        contacts_per_week: {dist: uniform, min: 0.5, max: 2}\n";
  Scenario s;
  s.load(write_yaml("analysis.yaml", yaml), {"population.size=2000", "days=120", "replicates=5", "seed=4242"});
  constexpr std::size_t R = 5, N = 2000, T = 120;
  const std::string out = (tmp_dir / "experiments_analysis.h5").string();
  std::filesystem::remove(out);
  std::filesystem::remove_all(out + ".partial.d");
  run_scenario(s, testing::quiet_run(out, 2));
  const auto f = h5::File::open_read_only(out);

  // Per-replicate quantities computed here from the raw datasets, by arm.
  std::map<std::string, std::map<std::string, std::vector<double>>> q;
  for (const std::string arm : {"usual_care", "mentor"}) {
    INFO(arm);
    const std::string base = "arms/" + arm + "/";
    const auto admission = read<std::int32_t>(f, base + "agents/admission_day");
    const auto first_relapse = read<std::int32_t>(f, base + "agents/first_relapse_day");
    const auto outcome = read<std::int32_t>(f, base + "agents/first_episode_outcome");
    const auto episode_days = read<std::int32_t>(f, base + "agents/first_episode_days");
    const auto death = read<std::int32_t>(f, base + "agents/death_day");
    REQUIRE(admission.size() == R * N);
    q[arm]["relapse_by_day_90"] = read<double>(f, base + "outcomes/relapse_by_day_90");
    REQUIRE(q[arm]["relapse_by_day_90"].size() == R);

    // Retention on day t (since admission; everyone is admitted on day 0 here, and followed to
    // the horizon): the share of agents whose first episode did not end by dropout or death
    // within days 0..t. An episode left on day d has first_episode_days = d + 1 (the days begun
    // in treatment, the last included), so the agent has left by day t when it ended by dropout
    // or death with first_episode_days <= t + 1. Completing the episode, or being in it at the
    // horizon, is not leaving. Only leaving and the end of the horizon end the follow-up, so the
    // Kaplan-Meier estimate stored is exactly this share.
    const std::vector<std::size_t> days = {0, 1, 29, 89, 118, 119};
    std::vector<std::vector<double>> retained(days.size());
    for (std::size_t r = 0; r < R; ++r) {
      double participants = 0, relapses = 0, completed = 0;
      std::vector<double> left(days.size(), 0.0);
      for (std::size_t i = r * N; i < (r + 1) * N; ++i) {
        if (admission[i] >= static_cast<std::int32_t>(T)) continue;
        participants += 1;
        relapses += first_relapse[i] >= 0;
        completed += outcome[i] == 0;
        const bool dropped_out = outcome[i] == 1, died = outcome[i] == 2;
        // An agent who died during the first episode left it on the day of death.
        if (died) CHECK(death[i] - admission[i] == episode_days[i] - 1);
        for (std::size_t k = 0; k < days.size(); ++k)
          left[k] += (dropped_out || died) && episode_days[i] <= static_cast<std::int32_t>(days[k]) + 1;
      }
      q[arm]["participants"].push_back(participants);
      q[arm]["relapses"].push_back(relapses);
      q[arm]["completed_episodes"].push_back(completed);
      for (std::size_t k = 0; k < days.size(); ++k) retained[k].push_back(1.0 - left[k] / participants);
    }
    for (std::size_t r = 0; r < R; ++r) CHECK(q[arm]["participants"][r] == static_cast<double>(N));  // closed cohort
    // The same curve as the Aalen-Johansen estimate of leaving early, completion competing.
    const auto retention = read<double>(f, base + "summary/curves/retention");
    REQUIRE(retention.size() == T * 3);
    for (std::size_t k = 0; k < days.size(); ++k) {
      INFO("day " << days[k]);
      const auto expected = share_interval(retained[k]);
      check_interval({retention[days[k] * 3], retention[days[k] * 3 + 1], retention[days[k] * 3 + 2]}, expected);
    }
    CHECK(retention[119 * 3] < retention[0]);  // some leave within the horizon

    // Costs: the module's daily cost discounted to day 0 at analysis.discount_rate (0.03 a year).
    std::vector<double> cost(R, 0.0), mentors_active(R, 0.0);
    if (arm == "mentor") {
      const auto daily = read<double>(f, base + "modules/peer_mentor/daily/cost");
      const auto active = read<double>(f, base + "modules/peer_mentor/daily/mentors_active");
      REQUIRE(daily.size() == R * T);
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t t = 0; t < T; ++t) {
          cost[r] += daily[r * T + t] / std::pow(1.03, static_cast<double>(t) / 365.25);
          mentors_active[r] += active[r * T + t] / static_cast<double>(T);
        }
      q[arm]["peer_mentor.mentors_active"] = mentors_active;
      for (double c : cost) CHECK(c > 0.0);
    }
    q[arm]["cost_total"] = cost;
    std::vector<double> per_participant(R);
    for (std::size_t r = 0; r < R; ++r) per_participant[r] = cost[r] / q[arm]["participants"][r];
    q[arm]["cost_per_participant"] = per_participant;

    const Rows quantities = read_rows(f, base + "summary/quantities");
    for (const auto& quantity : q[arm]) {
      const std::string& name = quantity.first;  // not a structured binding: INFO captures it
      INFO(name);
      check_interval(quantities[name], name == "relapse_by_day_90" ? share_interval(quantity.second)
                                                                   : positive_interval(quantity.second));
    }
  }

  // Paired and unpaired differences, mentor - usual_care, replicate by replicate.
  const Rows paired = read_rows(f, "comparison/usual_care/mentor/paired_differences");
  const Rows unpaired = read_rows(f, "comparison/usual_care/mentor/unpaired_differences");
  for (const std::string name : {"relapse_by_day_90", "relapses", "completed_episodes", "cost_total"}) {
    INFO(name);
    std::vector<double> d(R);
    for (std::size_t r = 0; r < R; ++r) d[r] = q["mentor"][name][r] - q["usual_care"][name][r];
    check_interval(paired[name], t_interval(d));
    CHECK(unpaired[name][0] == doctest::Approx(paired[name][0]).epsilon(1e-12));
  }
  {
    // Both arms have the same people and the same core draws, so pairing removes most of the
    // variation between replicates.
    const auto p = paired["relapse_by_day_90"], u = unpaired["relapse_by_day_90"];
    CHECK(u[2] - u[1] > p[2] - p[1]);
  }

  // Cost-effectiveness: the incremental cost is the mean paired difference of cost_total.
  const Rows ce = read_rows(f, "comparison/usual_care/mentor/cost_effectiveness");
  CHECK(ce.labels == cost_effectiveness_names());
  CHECK(ce["incremental_cost"][0] == doctest::Approx(paired["cost_total"][0]).epsilon(1e-12));
  check_interval(ce["incremental_cost"],
                 t_interval(q["mentor"]["cost_total"]));  // a difference: the reference costs nothing
  const auto incremental = read<double>(f, "comparison/usual_care/mentor/replicates/incremental_cost");
  const auto averted = read<double>(f, "comparison/usual_care/mentor/replicates/relapses_averted");
  REQUIRE(incremental.size() == R);
  for (std::size_t r = 0; r < R; ++r) {
    CHECK(incremental[r] == doctest::Approx(q["mentor"]["cost_total"][r]).epsilon(1e-12));
    CHECK(averted[r] == q["usual_care"]["relapses"][r] - q["mentor"]["relapses"][r]);
  }

  // The uncertain parameter: the file holds each replicate's draw.
  const std::string path = "uncertain_parameters/arms.mentor.peer_mentor.contacts_per_week";
  const auto stored = read<double>(f, path);
  REQUIRE(stored.size() == R);
  CHECK(string_list_attribute(f.root().open_dataset(path), "distribution") ==
        std::vector<std::string>{"uniform(min=0.5, max=2.0)"});
  std::set<double> distinct;
  for (std::size_t r = 0; r < R; ++r) {
    const auto drawn = s.draw_replicate(static_cast<std::int64_t>(r));
    REQUIRE(drawn.size() == 1);
    CHECK(stored[r] == drawn[0]);
    CHECK(module_value(s.arms[1], "contacts_per_week") == drawn[0]);
    distinct.insert(stored[r]);
  }
  CHECK(distinct.size() == R);
}
