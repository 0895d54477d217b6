// Scenario assembly: the shipped scenarios load, the generated reference is current, and
// checks across keys name where the keys were set.
#include "models/registry.hpp"
#include "run/scenario.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

using namespace recoverysim;

namespace {
std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
const std::filesystem::path source_dir = RECOVERYSIM_SOURCE_DIR;
const std::filesystem::path tmp_dir = RECOVERYSIM_TEST_TMP;
}  // namespace

TEST_CASE("every shipped scenario is valid") {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(source_dir / "scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    Scenario s;
    CHECK_NOTHROW(s.load(entry.path().string()));
    ++count;
  }
  CHECK(count >= 6);  // baseline and one per treatment setting
}

TEST_CASE("docs/scenario-reference.md is the generated reference (regenerate: scripts/update_reference.py)") {
  CHECK(read(source_dir / "docs" / "scenario-reference.md") == scenario_reference_markdown());
}

TEST_CASE("each module's page carries its generated parameter table (regenerate: scripts/update_reference.py)") {
  for (const auto& type : recovery::builtin_interventions().types()) {
    INFO(type);
    const std::string page = read(source_dir / "docs" / "models" / (type + ".md"));
    const std::string table = module_schema(type)->table.markdown_table();
    const auto begin = page.find("<!-- parameters:begin -->\n");
    const auto end = page.find("<!-- parameters:end -->");
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    CHECK(page.substr(begin + 26, end - begin - 26) == table);
  }
}

TEST_CASE("the resolved scenario reads back to the same scenario") {
  Scenario original;
  original.load((source_dir / "scenarios" / "baseline.yaml").string(), {"model.lapse.craving_coefficient=2.5"});
  const auto path = tmp_dir / "resolved.yaml";
  std::ofstream(path) << original.resolved_yaml();
  Scenario again;
  again.load(path.string());
  CHECK(again.resolved_yaml() == original.resolved_yaml());
  CHECK(again.model.model.lapse_craving_coefficient == 2.5);
}

TEST_CASE("a substance mix that does not sum to 1 is refused where it was written") {
  const auto path = tmp_dir / "bad_mix.yaml";
  std::ofstream(path) << "name: x\npopulation:\n  substance: {alcohol: 0.5, opioid: 0.3, stimulant: 0.3}\n";
  Scenario s;
  try {
    s.load(path.string());
    FAIL("no error");
  } catch (const InputError& e) {
    const std::string message = e.what();
    CHECK(message.find(path.string() + ":3:") == 0);
    CHECK(message.find("summing to 1, got 1.1") != std::string::npos);
  }
}

namespace {
std::string load_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  // Named by content: test cases run in parallel processes and must not share a file.
  const auto path = tmp_dir / ("arms_" + std::to_string(std::hash<std::string>{}(yaml)) + ".yaml");
  std::ofstream(path) << yaml;
  Scenario s;
  try {
    s.load(path.string(), overrides);
  } catch (const InputError& e) {
    const std::string message = e.what();
    return message.rfind(path.string(), 0) == 0 ? message.substr(path.string().size()) : message;
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("arms: a list of named arms, each with its interventions") {
  const auto path = tmp_dir / "arms_ok.yaml";
  std::ofstream(path) << "name: a\narms:\n  - name: usual_care\n  - name: both\n    interventions:\n"
                         "      - type: group\n      - type: twelve_step\n";
  Scenario s;
  s.load(path.string());
  REQUIRE(s.arms.size() == 2);
  CHECK(s.arms[0].name == "usual_care");
  CHECK(s.arms[0].interventions.empty());
  REQUIRE(s.arms[1].interventions.size() == 2);
  CHECK(s.arms[1].interventions[0].type == "group");
  CHECK(s.arms[1].interventions[1].stream_base != s.arms[1].interventions[0].stream_base);
  const std::string yaml = s.resolved_yaml();
  CHECK(yaml.find("arms:\n  - name: usual_care\n    interventions: []") != std::string::npos);
  CHECK(yaml.find("  - name: both\n    interventions:\n      - type: group\n") != std::string::npos);

  // The resolved scenario, modules' parameters included, reads back to itself.
  const auto again_path = tmp_dir / "arms_resolved.yaml";
  std::ofstream(again_path) << yaml;
  Scenario again;
  again.load(again_path.string());
  CHECK(again.resolved_yaml() == yaml);
}

TEST_CASE("without arms a scenario has the single arm usual_care") {
  Scenario s;
  s.load((source_dir / "scenarios" / "baseline.yaml").string());
  REQUIRE(s.arms.size() == 1);
  CHECK(s.arms[0].name == "usual_care");
}

TEST_CASE("arm mistakes are refused with their line and a clear message") {
  CHECK(load_error("name: a\narms: 3\n") ==
        ":2:7: arms: expected a list of arms ({name: ..., interventions: [...]}), got '3'");
  CHECK(load_error("name: a\narms:\n  - name: x\n  - name: x\n") == ":4:11: arms[1].name: duplicate arm name 'x'");
  CHECK(load_error("name: a\narms:\n  - nam: x\n") == ":3:5: unknown key 'arms[0].nam' (did you mean 'name'?)");
  CHECK(load_error("name: a\narms:\n  - name: has space\n") ==
        ":3:11: arms[0].name: expected a name of letters, digits and _ + - (at most 64), got 'has space'");
  CHECK(load_error("name: a\narms:\n  - name: ..\n").find("expected a name of letters") != std::string::npos);
  // The valid types are the registry's, whatever modules it holds.
  std::string types;
  for (const auto& type : recovery::builtin_interventions().types()) types += (types.empty() ? "" : ", ") + type;
  CHECK(load_error("name: a\narms:\n  - name: x\n    interventions:\n      - type: peer_mentr\n") ==
        ":5:15: arms[0].interventions[0].type: unknown intervention 'peer_mentr' (did you mean 'peer_mentor'?); "
        "valid types: " +
            types);
  CHECK(load_error("name: a\narms:\n  - name: x\n    interventions:\n      - type: group\n      - type: group\n") ==
        ":6:15: arms[0].interventions[1].type: 'group' appears twice in arm 'x'");
  CHECK(load_error("name: a\narms:\n  - name: x\n    interventions:\n      - type: group\n        no_such_key: 1\n")
            .find(":6:9: unknown key 'arms.x.group.no_such_key'") == 0);
  CHECK(load_error("name: a\narmz: []\n") == ":2:1: unknown key 'armz' (did you mean 'arms'?)");
}

TEST_CASE("--set reaches a module's keys through arms.<arm>.<type>.<key>") {
  const std::string yaml = "name: a\narms:\n  - name: x\n    interventions:\n      - type: group\n";
  CHECK(load_error(yaml, {"arms.y.group.whatever=1"}) == "--set arms.y.group.whatever=1: no arm named 'y'; arms: x");
  CHECK(load_error(yaml, {"arms.x.peer_mentor.mentors=1"}) ==
        "--set arms.x.peer_mentor.mentors=1: 'peer_mentor.mentors': arm 'x' has no peer_mentor intervention");
  CHECK(load_error(yaml, {"arms.x.group.no_such_key=1"}).find("'group.no_such_key': group has no key 'no_such_key'") !=
        std::string::npos);
}

TEST_CASE("an open cohort's size follows from its intake") {
  const auto path = tmp_dir / "open.yaml";
  std::ofstream(path) << "name: open\nintake: {arrivals_per_day: 2.5, for_days: 40}\n";
  Scenario s;
  s.load(path.string());
  CHECK(s.model.population.size == 100);
  CHECK(load_error("name: a\npopulation: {size: 10}\nintake: {arrivals_per_day: 1, for_days: 5}\n") ==
        ":2:20: population.size: not allowed with intake; the cohort size is intake.arrivals_per_day x "
        "intake.for_days = 5");
  // The resolved scenario of an open cohort, which states the derived size, reads back.
  const auto resolved = tmp_dir / "open_resolved.yaml";
  std::ofstream(resolved) << s.resolved_yaml();
  Scenario again;
  CHECK_NOTHROW(again.load(resolved.string()));
  CHECK(again.model.population.size == 100);
  CHECK(load_error("name: a\nintake: {arrivals_per_day: 1}\n").find("needs for_days >= 1") != std::string::npos);
}

TEST_CASE("analysis.outcomes: the resolved scenario reads back to the same definitions") {
  const auto path = tmp_dir / "outcomes_round_trip.yaml";
  std::ofstream(path)
      << "name: outcomes\n"
         "analysis:\n"
         "  outcomes:\n"
         "    - {name: after, event: [relapse, lapse], origin: episode_end, occurrence: 2, days: [30, 90],"
         " restricted_mean_days: 200, quantiles: [0.5, 0.75], subgroup: {substance: [opioid, stimulant],"
         " severity: [0.5, 1], mental_health: 1, admission_day: [0, 100]}}\n"
         "    - {name: death_rate, statistic: rate, event: died, split: after_leaving, after_leaving_days: 14,"
         " window: [1, 85]}\n"
         "    - {name: share, statistic: state_share, state: abstinent_in_treatment, days: [180], origin: day0}\n"
         "    - {name: net, event: relapse, competing: [], days: [30]}\n"
         "    - {name: ratio, statistic: ratio, of: [after_by_day_30, relapse_by_day_30]}\n"
         "    - {name: overdose, event: died_substance_related, days: [90],"
         " subgroup: {age_years: [18, 40], sex: male}}\n";
  Scenario a;
  a.load(path.string());
  const std::string resolved = a.resolved_yaml();
  Scenario b;
  b.load_text(resolved, "resolved");
  CHECK(b.resolved_yaml() == resolved);
  REQUIRE(b.analysis.outcomes.size() == 6);
  for (std::size_t k = 0; k < 6; ++k) {
    const auto& x = a.analysis.outcomes[k];
    const auto& y = b.analysis.outcomes[k];
    INFO(x.name);
    CHECK(x.name == y.name);
    CHECK(x.causes == y.causes);
    CHECK(x.origin == y.origin);
    CHECK(x.days == y.days);
    CHECK(x.quantiles == y.quantiles);
    CHECK(x.subgroup.size() == y.subgroup.size());
    CHECK(recovery::outcome_quantity_names(x) == recovery::outcome_quantity_names(y));
  }
  CHECK(a.analysis.outcomes[0].causes.size() == 2);  // the event (relapse or lapse), death competing
  CHECK(a.analysis.outcomes[3].causes.size() == 1);  // competing: [] -- nothing competes
  CHECK(a.analysis.outcomes[1].window_from == 1);
  CHECK(a.analysis.outcomes[1].window_to == 85);
  CHECK(resolved.find("competing: [died]") != std::string::npos);  // the default, written out
  // A death of one cause: the other cause competes by default; age and sex subgroups read back.
  const auto& overdose = a.analysis.outcomes[5];
  CHECK(overdose.causes == std::vector<std::vector<recovery::EventCode>>{{recovery::event_code_died_substance_related},
                                                                         {recovery::event_code_died_other_causes}});
  REQUIRE(overdose.subgroup.size() == 2);
  CHECK(overdose.subgroup[0].low == 18.0);
  CHECK(overdose.subgroup[0].high == 40.0);
  CHECK(overdose.subgroup[1].codes == std::vector<std::int32_t>{1});
  CHECK(resolved.find("competing: [died_other_causes]") != std::string::npos);
}

TEST_CASE("analysis-only keys do not change what a run is, its outcomes do") {
  const auto identity = [](const std::vector<std::string>& overrides) {
    Scenario s;
    s.load((source_dir / "scenarios" / "peer_mentor_staffing.yaml").string(), overrides);
    return std::pair{s.identity_yaml(), s.resolved_yaml()};
  };
  const auto base = identity({});
  for (const std::string o :
       {"analysis.reference_arm=mentors_40", "analysis.discount_rate=0.05", "analysis.bootstrap_samples=500"}) {
    INFO(o);
    const auto other = identity({o});
    CHECK(other.first == base.first);
    CHECK(other.second != base.second);  // the stored scenario still says what was asked
  }
  for (const std::string o : {"analysis.admission_period_days=30", "output.events=true", "days=700"}) {
    INFO(o);
    CHECK(identity({o}).first != base.first);
  }
}
