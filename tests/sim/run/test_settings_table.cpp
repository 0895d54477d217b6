// The open settings table (model version 2): settings a scenario defines, version 1's names
// read with a warning, the entry mix and who a setting admits, and each agent's own setting in
// the day kernel.
#include "models/recovery/arm_simulation.hpp"
#include "run/scenario.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

using namespace recoverysim;
using recovery::Setting;

namespace {
const std::filesystem::path tmp_dir = RECOVERYSIM_TEST_TMP;

std::filesystem::path write_scenario(const std::string& yaml) {
  // Named by content: test cases run in parallel processes and must not share a file.
  auto path = tmp_dir / ("settings_" + std::to_string(std::hash<std::string>{}(yaml)) + ".yaml");
  std::ofstream(path) << yaml;
  return path;
}

std::string load_error(const std::string& yaml) {
  const auto path = write_scenario(yaml);
  Scenario s;
  try {
    s.load(path.string());
  } catch (const InputError& e) {
    const std::string message = e.what();
    return message.rfind(path.string(), 0) == 0 ? message.substr(path.string().size()) : message;
  }
  return "(no error)";
}

std::size_t code_of(const recovery::Parameters& p, const std::string& name) {
  const auto& names = p.treatment.setting_names;
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}
}  // namespace

TEST_CASE("settings table: a setting the scenario defines starts from based_on and reads back the same") {
  const std::string yaml =
      "name: residence\n"
      "treatment:\n"
      "  setting: recovery_residence\n"
      "  settings:\n"
      "    recovery_residence:\n"
      "      based_on: residential\n"
      "      length_days: 180\n"
      "arms:\n"
      "  - name: residence\n"
      "  - name: outpatient\n"
      "    set: {treatment.setting: outpatient, treatment.settings.recovery_residence.length_days: 120}\n";
  Scenario s;
  s.load(write_scenario(yaml).string());
  const auto& tr = s.model.treatment;
  REQUIRE(tr.setting_count() == recovery::builtin_setting_count + 1);
  const std::size_t k = code_of(s.model, "recovery_residence");
  CHECK(k == recovery::builtin_setting_count);
  CHECK(tr.setting == k);
  CHECK(tr.settings[k].length_days == 180);
  // Every key it does not set is residential's.
  const auto& residential = tr.settings[static_cast<std::size_t>(Setting::residential)];
  CHECK(tr.settings[k].lapse_multiplier_in_treatment == residential.lapse_multiplier_in_treatment);
  CHECK(tr.settings[k].dropout_base_hazard_per_day == residential.dropout_base_hazard_per_day);
  CHECK(tr.settings[k].exit_lapse_multiplier == residential.exit_lapse_multiplier);
  // An arm may set the new setting's keys and choose another setting.
  REQUIRE(s.arms.size() == 2);
  const auto& other = s.model_of(s.arms[1]).treatment;
  CHECK(other.setting == static_cast<std::size_t>(Setting::outpatient));
  CHECK(other.settings[k].length_days == 120);
  CHECK(s.model_of(s.arms[0]).treatment.settings[k].length_days == 180);

  const auto resolved = tmp_dir / "settings_resolved.yaml";
  std::ofstream(resolved) << s.resolved_yaml();
  Scenario again;
  again.load(resolved.string());
  CHECK(again.resolved_yaml() == s.resolved_yaml());
  CHECK(again.warnings().empty());
}

TEST_CASE("settings table: a name without based_on is refused, with the setting it may be a misspelling of") {
  CHECK(load_error("name: x\ntreatment:\n  settings:\n    detxo:\n      length_days: 5\n") ==
        ":5:20: treatment.settings.detxo: not a known setting (did you mean 'detox'?); a setting the scenario "
        "defines needs based_on: one of detox, residential, outpatient, intensive_outpatient, methadone, "
        "buprenorphine");
  CHECK(load_error("name: x\ntreatment:\n  settings:\n    house:\n      based_on: nowhere\n") ==
        ":5:17: treatment.settings.house: a setting the scenario defines needs based_on: one of detox, residential, "
        "outpatient, intensive_outpatient, methadone, buprenorphine, got 'nowhere'");
  std::string many = "name: x\ntreatment:\n  settings:\n";
  for (int i = 0; i < 11; ++i) many += "    s" + std::to_string(i) + ": {based_on: detox}\n";
  CHECK(load_error(many).find("treatment.settings holds at most 10 entries") != std::string::npos);
  CHECK(load_error("name: x\ntreatment:\n  settings:\n    opioid: {based_on: detox}\n") ==
        ":4:5: treatment.settings.opioid: a setting may not be named as a substance");
}

TEST_CASE("settings table: version 1's names still work, each with a warning naming its place") {
  Scenario s;
  const auto path = write_scenario(
      "name: v1\n"
      "population:\n"
      "  substance: {alcohol: 0.0, opioid: 1.0, stimulant: 0.0}\n"
      "treatment:\n"
      "  setting: moud\n"
      "  settings:\n"
      "    moud:\n"
      "      opioid_craving_target_multiplier: 0.5\n"
      "    outpatient:\n"
      "      skills_growth_rate_per_day: 0.02\n");
  s.load(path.string(), {"treatment.settings.moud.length_days=200", "model.death.loss_of_tolerance_window_days=10"});
  const auto& tr = s.model.treatment;
  const auto bup = static_cast<std::size_t>(Setting::buprenorphine);
  CHECK(tr.setting == bup);
  CHECK(tr.settings[bup].craving_target_multiplier == 0.5);
  CHECK(tr.settings[bup].length_days == 200);
  CHECK(tr.settings[static_cast<std::size_t>(Setting::outpatient)].skills_growth_per_day == 0.02);
  CHECK(s.model.model.loss_of_tolerance_window_days == 10);
  const auto warnings = s.warnings();
  REQUIRE(warnings.size() == 6);
  bool value = false, section = false, craving = false, skills = false, option = false;
  for (const auto& w : warnings) {
    if (w.message.find("'moud' is deprecated since model version 2: it means 'buprenorphine'") != std::string::npos) {
      value = true;
      CHECK(w.where.line == 5);
      CHECK(w.message.find("dropout base hazard is 0.003661 per day, v1's moud had 0.0025") != std::string::npos);
    }
    if (w.message.find("'treatment.settings.moud' is deprecated") != std::string::npos) {
      section = true;
      CHECK(w.where.line == 7);
    }
    craving |= w.message.find("'treatment.settings.buprenorphine.opioid_craving_target_multiplier' is deprecated") !=
               std::string::npos;
    skills |= w.message.find("it sets 'treatment.settings.outpatient.skills_growth_per_day'") != std::string::npos;
    option |= w.where.file.rfind("--set treatment.settings.moud.length_days", 0) == 0;
  }
  CHECK(value);
  CHECK(section);
  CHECK(craving);
  CHECK(skills);
  CHECK(option);
}

TEST_CASE("settings table: the entry mix sums to 1 and sends no one where their substance is not admitted") {
  CHECK(load_error("name: x\ntreatment:\n  entry_mix: {detox: 0.5, outpatient: 0.4}\n") ==
        ":3:39: treatment.entry_mix: expected shares of detox, residential, outpatient, intensive_outpatient, "
        "methadone, buprenorphine summing to 1 (or none set), got 0.9");
  CHECK(load_error("name: x\ntreatment:\n  setting: methadone\n") ==
        ":3:12: methadone does not admit alcohol users (treatment.settings.methadone.substances.alcohol is false), "
        "but some of them would enter it: population.substance.alcohol is 0.5; give their settings with "
        "treatment.entry_mix.alcohol.<setting>");
  // Opioid users to methadone, everyone else to outpatient: valid.
  CHECK(load_error("name: x\ntreatment:\n  setting: outpatient\n  entry_mix:\n    opioid: {methadone: 1.0}\n") ==
        "(no error)");
  CHECK(load_error("name: x\ntreatment:\n  entry_mix: {buprenorphine: 1.0}\n")
            .find("buprenorphine does not admit alcohol users") != std::string::npos);
}

TEST_CASE("settings table: each agent's setting is drawn from its substance's entry mix, within 4 standard errors") {
  Scenario s;
  s.load(write_scenario("name: mix\n"
                        "population: {size: 40000}\n"
                        "treatment:\n"
                        "  entry_mix:\n"
                        "    detox: 0.25\n"
                        "    outpatient: 0.75\n"
                        "    opioid: {methadone: 0.6, buprenorphine: 0.4}\n")
             .string());
  recovery::ArmSimulation sim(s.model, {});
  sim.start_replicate({7, 0}, 120);
  const auto& pop = sim.population();
  double n[recovery::substance_count] = {}, detox = 0, methadone = 0;
  for (std::size_t i = 0; i < pop.size(); ++i) {
    const auto substance = static_cast<std::size_t>(pop.substance[i]);
    const auto setting = static_cast<Setting>(pop.setting[i]);
    n[substance] += 1;
    if (pop.substance[i] == recovery::Substance::opioid) {
      CHECK((setting == Setting::methadone || setting == Setting::buprenorphine));
      methadone += setting == Setting::methadone;
    } else {
      CHECK((setting == Setting::detox || setting == Setting::outpatient));
      detox += setting == Setting::detox;
    }
  }
  // Within 4 standard errors of the shares.
  const double others = n[0] + n[2], opioid = n[1];
  CHECK(std::fabs(detox / others - 0.25) < 4 * std::sqrt(0.25 * 0.75 / others));
  CHECK(std::fabs(methadone / opioid - 0.6) < 4 * std::sqrt(0.6 * 0.4 / opioid));

  // The kernel reads each agent's own setting: a first episode completes after its setting's
  // length (7 days of detox, 90 of outpatient), whatever the scenario's treatment.setting.
  std::vector<recovery::DayCounts> counts(120);
  sim.step_days(0, counts, nullptr, {});
  std::size_t completed[2] = {};
  for (std::size_t i = 0; i < pop.size(); ++i) {
    if (pop.first_episode_outcome[i] != recovery::EpisodeOutcome::completed || pop.readmissions[i] != 0) continue;
    const auto setting = static_cast<Setting>(pop.setting[i]);
    if (setting == Setting::detox) {
      CHECK(pop.first_episode_days[i] == 7);
      ++completed[0];
    } else if (setting == Setting::outpatient) {
      CHECK(pop.first_episode_days[i] == 90);
      ++completed[1];
    }
  }
  CHECK(completed[0] > 1000);
  CHECK(completed[1] > 1000);
}

TEST_CASE("settings table: the kernel's one-setting fast path gives the same bits as reading each agent's setting") {
  // The same people all in outpatient: once as the only setting, once through a mix whose
  // other share is too small to be drawn, which makes the kernel read every agent's setting.
  Scenario one, mixed;
  one.load(write_scenario("name: one\npopulation: {size: 5000}\n").string());
  mixed.load(write_scenario(
                 "name: mixed\npopulation: {size: 5000}\ntreatment:\n  entry_mix: {detox: 1.0e-12, outpatient: 1.0}\n")
                 .string());
  CHECK(recovery::DayContext(one.model).only_setting == static_cast<std::int32_t>(Setting::outpatient));
  CHECK(recovery::DayContext(mixed.model).only_setting == -1);
  recovery::ArmSimulation a(one.model, {}), b(mixed.model, {});
  a.start_replicate({11, 2}, 300);
  b.start_replicate({11, 2}, 300);
  std::vector<recovery::DayCounts> counts_a(300), counts_b(300);
  a.step_days(0, counts_a, nullptr, {});
  b.step_days(0, counts_b, nullptr, {});
  const auto& pa = a.population();
  const auto& pb = b.population();
  CHECK(pb.setting == pa.setting);
  CHECK(pb.state == pa.state);
  CHECK(pb.treatment == pa.treatment);
  CHECK(pb.craving == pa.craving);
  CHECK(pb.first_episode_days == pa.first_episode_days);
  CHECK(pb.readmissions == pa.readmissions);
  CHECK(pb.death_day == pa.death_day);
  CHECK(pb.abstinent_days == pa.abstinent_days);
  CHECK(std::count(pa.readmissions.begin(), pa.readmissions.end(), 0) < 5000);  // episodes after the first happen
}
