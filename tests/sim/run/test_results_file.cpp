// The results file: its layout contract, its atomic creation, and determinism across thread
// counts (datasets byte-identical for 1, 2 and 8 threads).
#include "run/runner.hpp"
#include "support/runs.hpp"

#include "h5.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <numeric>

using namespace recoverysim;

namespace {

const std::filesystem::path source_dir = RECOVERYSIM_SOURCE_DIR;
const std::filesystem::path tmp_dir = RECOVERYSIM_TEST_TMP;

void small_scenario(Scenario& s, bool trajectories) {
  s.load((source_dir / "scenarios" / "baseline.yaml").string(),
         {"population.size=3000", "days=100", "replicates=3", "seed=77",
          std::string("output.trajectories=") + (trajectories ? "true" : "false")});
}

std::string run_to(const std::string& name, int threads, bool trajectories = true) {
  Scenario s;
  small_scenario(s, trajectories);
  std::string path = (tmp_dir / name).string();
  std::filesystem::remove(path);
  std::filesystem::remove_all(path + ".partial.d");
  run_scenario(s, testing::quiet_run(path, threads));
  return path;
}

// Raw bytes of a dataset in its stored type.
std::vector<std::uint8_t> dataset_bytes(const h5::File& f, const std::string& path) {
  const auto ds = f.root().open_dataset(path);
  const hid_t type = H5Dget_type(ds.id());
  const std::size_t size = H5Tget_size(type);
  std::size_t n = 1;
  for (auto d : ds.dims()) n *= d;
  std::vector<std::uint8_t> bytes(n * size);
  H5Dread(ds.id(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
  H5Tclose(type);
  return bytes;
}

const std::vector<std::string> compared_datasets = {"arms/usual_care/state_counts",
                                                    "arms/usual_care/treatment_counts",
                                                    "arms/usual_care/agents/admission_day",
                                                    "arms/usual_care/agents/substance",
                                                    "arms/usual_care/agents/severity",
                                                    "arms/usual_care/agents/first_lapse_day",
                                                    "arms/usual_care/agents/first_relapse_day",
                                                    "arms/usual_care/agents/first_episode_outcome",
                                                    "arms/usual_care/agents/death_day",
                                                    "arms/usual_care/agents/abstinent_days",
                                                    "arms/usual_care/agents/readmissions",
                                                    "arms/usual_care/agents/setting",
                                                    "arms/usual_care/outcomes/relapse_by_day_90",
                                                    "arms/usual_care/trajectories/state"};

}  // namespace

TEST_CASE("results are byte-identical for 1, 2 and 8 threads") {
  const auto one = h5::File::open_read_only(run_to("threads1.h5", 1));
  const auto two = h5::File::open_read_only(run_to("threads2.h5", 2));
  const auto eight = h5::File::open_read_only(run_to("threads8.h5", 8));
  for (const auto& path : compared_datasets) {
    INFO(path);
    const auto reference = dataset_bytes(one, path);
    CHECK(!reference.empty());
    CHECK(dataset_bytes(two, path) == reference);
    CHECK(dataset_bytes(eight, path) == reference);
  }
}

TEST_CASE("a different seed gives different results") {
  Scenario s;
  small_scenario(s, false);
  s.apply_override("seed=78");
  const std::string path = (tmp_dir / "seed78.h5").string();
  run_scenario(s, testing::quiet_run(path, 2));
  const auto a = h5::File::open_read_only(run_to("seed77.h5", 2, false));
  const auto b = h5::File::open_read_only(path);
  CHECK(dataset_bytes(a, "arms/usual_care/state_counts") != dataset_bytes(b, "arms/usual_care/state_counts"));
}

TEST_CASE("the results file follows the documented layout") {
  const std::string path = run_to("layout.h5", 2);
  CHECK_FALSE(std::filesystem::exists(path + ".partial"));
  const auto f = h5::File::open_read_only(path);
  const auto& root = f.root();
  CHECK(root.string_attribute("format") == "recoverysim");
  CHECK(root.integer_attribute("format_version") == 9);
  // The settings table is the labels of each agent's setting (everyone in outpatient here).
  const auto setting = root.open_dataset("arms/usual_care/agents/setting");
  CHECK(setting.string_list_attribute("labels") == std::vector<std::string>{"detox", "residential", "outpatient",
                                                                            "intensive_outpatient", "methadone",
                                                                            "buprenorphine"});
  CHECK(setting.read_all<std::int8_t>() == std::vector<std::int8_t>(3 * 3000, 2));
  CHECK(root.open_dataset("tasks/complete").read_all<std::uint8_t>() == std::vector<std::uint8_t>(3, 1));
  CHECK_FALSE(root.has_attribute("shard"));
  CHECK(root.integer_attribute("seed") == 77);
  CHECK(root.string_attribute("scenario_yaml").find("size: 3000") != std::string::npos);
  CHECK(root.string_attribute("created_utc").size() == 20);
  CHECK_FALSE(root.string_attribute("software_version").empty());

  const auto states = root.open_dataset("arms/usual_care/state_counts");
  CHECK(states.dims() == std::vector<hsize_t>{3, 100, 6});
  const auto counts = states.read_all<std::int32_t>();
  const auto treatment = root.open_dataset("arms/usual_care/treatment_counts").read_all<std::int32_t>();
  for (std::size_t rd = 0; rd < 300; ++rd) {
    const auto* day = &counts[rd * 6];
    CHECK(std::accumulate(day, day + 6, 0) == 3000);  // every agent, living or deceased
    const auto* tr = &treatment[rd * recovery::treatment_status_count];
    CHECK(std::accumulate(tr, tr + recovery::treatment_status_count, 0) == 3000 - day[5]);  // living agents only
    CHECK(tr[0] == 0);  // closed cohort: nobody still to arrive
  }
  // Day 0 starts everyone in treatment and in withdrawal.
  CHECK(treatment[1] + counts[5] >= 2900);

  // Per-agent death days agree with the deceased counts.
  const auto death_day = root.open_dataset("arms/usual_care/agents/death_day").read_all<std::int32_t>();
  for (std::size_t r = 0; r < 3; ++r) {
    int dead = 0;
    for (std::size_t i = 0; i < 3000; ++i) dead += death_day[r * 3000 + i] >= 0;
    CHECK(dead == counts[(r * 100 + 99) * 6 + 5]);
  }
  // Trajectories agree with the counts.
  const auto traj = root.open_dataset("arms/usual_care/trajectories/state");
  CHECK(traj.dims() == std::vector<hsize_t>{3, 3000, 100});
  const auto states_by_agent = traj.read_all<std::uint8_t>();
  for (std::size_t t : {0u, 63u, 64u, 99u}) {
    std::array<int, 6> tally{};
    for (std::size_t i = 0; i < 3000; ++i) ++tally[states_by_agent[(1 * 3000 + i) * 100 + t]];
    for (std::size_t x = 0; x < 6; ++x) CHECK(tally[x] == counts[(1 * 100 + t) * 6 + x]);
  }
  CHECK(root.open_dataset("arms/usual_care/outcomes/relapse_by_day_90").dims() == std::vector<hsize_t>{3});
  CHECK_FALSE(root.exists("arms/usual_care/outcomes/relapse_by_day_180"));  // beyond the 100-day horizon
}

TEST_CASE("a run that fails leaves neither a final nor a partial file, only its finished units") {
  const auto dir = tmp_dir / "not_writable_dir";
  std::filesystem::create_directories(dir);
  std::filesystem::remove_all(dir.string() + ".partial.d");
  // The final name is an existing directory, so the rename at the end must fail.
  Scenario s;
  small_scenario(s, false);
  CHECK_THROWS(run_scenario(s, testing::quiet_run(dir.string(), 1)));
  CHECK(std::filesystem::is_directory(dir));
  CHECK_FALSE(std::filesystem::exists(dir.string() + ".partial"));
  // The finished units stay for --resume.
  CHECK(std::filesystem::exists(dir.string() + ".partial.d/unit-0-0.h5"));
  std::filesystem::remove_all(dir.string() + ".partial.d");
}

TEST_CASE("an open cohort: agents wait until their admission day, outcomes count from admission") {
  const auto path = tmp_dir / "open_cohort.yaml";
  std::ofstream(path) << "name: open\ndays: 60\nseed: 3\nintake: {arrivals_per_day: 10, for_days: 40}\n"
                         "output: {trajectories: true}\n";
  Scenario s;
  s.load(path.string());
  const std::string out = (tmp_dir / "open_cohort.h5").string();
  run_scenario(s, testing::quiet_run(out, 2));
  const auto f = h5::File::open_read_only(out);
  const auto counts = f.root().open_dataset("arms/usual_care/state_counts").read_all<std::int32_t>();
  const auto treatment = f.root().open_dataset("arms/usual_care/treatment_counts").read_all<std::int32_t>();
  const auto admission = f.root().open_dataset("arms/usual_care/agents/admission_day").read_all<std::int32_t>();
  for (std::size_t t = 0; t < 60; ++t) {
    const int admitted = std::min<int>(400, 10 * static_cast<int>(t + 1));
    CHECK(treatment[t * recovery::treatment_status_count + 0] == 400 - admitted);  // not arrived
    CHECK(std::accumulate(&counts[t * 6], &counts[t * 6] + 6, 0) == admitted);
  }
  CHECK(admission[0] == 0);
  CHECK(admission[399] == 39);
  const auto traj = f.root().open_dataset("arms/usual_care/trajectories/state").read_all<std::uint8_t>();
  CHECK(traj[399 * 60 + 38] == 255);  // not yet admitted
  CHECK(traj[399 * 60 + 39] != 255);
  // The complete-follow-up share by day 30 counts only agents followed for 30 days (admitted
  // by day 30), with its n.
  const auto first_relapse = f.root().open_dataset("arms/usual_care/agents/first_relapse_day").read_all<std::int32_t>();
  const auto death = f.root().open_dataset("arms/usual_care/agents/death_day").read_all<std::int32_t>();
  // One replicate: its outcome is the summary's mean (the companions are only in the summary).
  const auto quantities = f.root().open_dataset("arms/usual_care/summary/quantities");
  const auto labels = quantities.string_list_attribute("labels");
  const auto rows = quantities.read_all<double>();
  const auto outcome = [&](const std::string& name) {
    const auto at = std::find(labels.begin(), labels.end(), name);
    REQUIRE(at != labels.end());
    const double mean = rows[static_cast<std::size_t>(at - labels.begin()) * 3];
    if (f.root().exists("arms/usual_care/outcomes/" + name))
      CHECK(f.root().open_dataset("arms/usual_care/outcomes/" + name).read_all<double>()[0] == mean);
    return mean;
  };
  int followed = 0, relapsed = 0;
  for (std::size_t i = 0; i < 400; ++i) {
    if (admission[i] + 30 > 60) continue;
    ++followed;
    relapsed += first_relapse[i] >= 0 && first_relapse[i] - admission[i] < 30;
  }
  CHECK(followed == 310);
  CHECK(outcome("relapse_by_day_30_complete_n") == followed);
  CHECK(outcome("relapse_by_day_30_complete") == doctest::Approx(static_cast<double>(relapsed) / followed));
  // relapse_by_day_30 itself is the Aalen-Johansen estimate over everyone admitted: each agent
  // is at risk from its admission until its first relapse, its death (competing) or the horizon
  // (censoring). Computed here directly from the per-agent records.
  double event_free = 1.0, f_relapse = 0.0;
  for (int t = 0; t < 30; ++t) {
    int at_risk = 0, relapses = 0, deaths = 0;
    for (std::size_t i = 0; i < 400; ++i) {
      const int end = first_relapse[i] >= 0 ? first_relapse[i] : death[i] >= 0 ? death[i] : 59;
      const int since = end - admission[i];
      if (since < t) continue;
      ++at_risk;
      if (since == t && first_relapse[i] >= 0) ++relapses;
      if (since == t && first_relapse[i] < 0 && death[i] >= 0) ++deaths;
    }
    if (at_risk == 0) continue;
    f_relapse += event_free * relapses / at_risk;
    event_free *= 1.0 - static_cast<double>(relapses + deaths) / at_risk;
  }
  CHECK(outcome("relapse_by_day_30") == doctest::Approx(f_relapse).epsilon(1e-12));
  CHECK(outcome("relapse_by_day_30") != outcome("relapse_by_day_30_complete"));  // they differ in an open cohort
}
