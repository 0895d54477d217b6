// Work units, shards and the staging directory: every task in exactly one unit and every unit
// in exactly one shard; a staging directory is reused only to resume the same scenario.
#include "run/runner.hpp"
#include "run/tasks.hpp"
#include "safe_files.hpp"

#include "support/errors.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>

using namespace recoverysim;

namespace {

const std::filesystem::path source_dir = RECOVERYSIM_SOURCE_DIR;
const std::filesystem::path tmp_dir = RECOVERYSIM_TEST_TMP;

}  // namespace

TEST_CASE("units: --shard takes I/N with 1 <= I <= N") {
  CHECK(parse_shard("3/8").index == 3);
  CHECK(parse_shard("3/8").count == 8);
  CHECK_FALSE(parse_shard("1/1").whole());  // a part, even of one shard
  CHECK(Shard{}.whole());
  for (const char* bad : {"0/4", "5/4", "4", "a/b", "1/0", "-1/4", "1/4x", "/4", "1/"})
    CHECK(testing::input_error_of([&] { parse_shard(bad); }).find("expected I/N with 1 <= I <= N") !=
          std::string::npos);
}

TEST_CASE("units: a unit is 2e7 to 2e8 agent-days, smaller to give 256 units when that fits") {
  // 10^6 agents x 365 days is above the largest unit: one replicate each.
  CHECK(replicates_per_unit(1'000'000, 365, 20, 1) == 1);
  // 10^4 agents x 365 days: at least 6 replicates (2e7 agent-days)...
  CHECK(replicates_per_unit(10'000, 365, 1000, 1) == 6);
  // ...and more when fewer would give over 256 units: 100,000 tasks -> ceil(100000/256) = 391,
  // capped at 2e8 agent-days = 54 replicates.
  CHECK(replicates_per_unit(10'000, 365, 100'000, 1) == 54);
  // Never more than the replicates there are.
  CHECK(replicates_per_unit(100, 30, 5, 3) == 5);
}

TEST_CASE("units: every task is in exactly one unit and every unit in exactly one shard") {
  Scenario s;
  s.load((source_dir / "scenarios" / "peer_mentor_staffing.yaml").string(), {"replicates=50", "days=120"});
  const auto units = plan_units(s);
  std::set<std::pair<std::size_t, std::int64_t>> tasks;
  for (const auto& u : units) {
    CHECK(u.replicates >= 1);
    for (std::int64_t r = u.first_replicate; r < u.first_replicate + u.replicates; ++r)
      CHECK(tasks.emplace(u.arm, r).second);
  }
  CHECK(tasks.size() == s.arms.size() * 50);
  for (std::int64_t count : {1, 2, 3, 7, 64, 1000}) {
    std::vector<int> owner(units.size(), 0);
    std::size_t least = units.size(), most = 0;
    for (std::int64_t i = 1; i <= count; ++i) {
      const auto mine = shard_units(units.size(), {i, count});
      least = std::min(least, mine.size());
      most = std::max(most, mine.size());
      for (auto u : mine) ++owner.at(u);
    }
    INFO("shards: ", count);
    CHECK(std::all_of(owner.begin(), owner.end(), [](int n) { return n == 1; }));
    CHECK(most - least <= 1);  // balanced by count
  }
}

TEST_CASE("units: a staging directory is reused only with --resume and for the same scenario") {
  const std::string output = (tmp_dir / "staging_check.h5").string();
  std::filesystem::remove_all(UnitStore::directory_of(output));
  {
    UnitStore store(output, "seed: 1\n", false);
    CHECK(std::filesystem::is_directory(store.directory()));
    std::ofstream(store.unit_path({0, 0, 2})) << "x";
    write_checksum(store.unit_path({0, 0, 2}), UnitStore::checksum_path(store.unit_path({0, 0, 2})));
    // Finished but damaged afterwards, and finished without its checksum.
    std::ofstream(store.unit_path({0, 4, 2})) << "y";
    write_checksum(store.unit_path({0, 4, 2}), UnitStore::checksum_path(store.unit_path({0, 4, 2})));
    std::ofstream(store.unit_path({0, 4, 2})) << "z";
    std::ofstream(store.unit_path({0, 6, 2})) << "w";
    std::ofstream(store.unit_path({0, 2, 2}) + ".partial") << "half";
    CHECK(store.finished({0, 0, 2}));
    CHECK_FALSE(store.finished({0, 2, 2}));
  }
  CHECK(testing::input_error_of([&] { UnitStore(output, "seed: 1\n", false); }).find("add --resume") !=
        std::string::npos);
  CHECK(testing::input_error_of([&] {
          UnitStore(output, "seed: 2\n", true);
        }).find("cannot resume: " + UnitStore::directory_of(output) + " belongs to a different scenario") !=
        std::string::npos);
  UnitStore resumed(output, "seed: 1\n", true);
  CHECK(resumed.finished({0, 0, 2}));
  // Damaged units are deleted, to be run again, each with the reason.
  CHECK_FALSE(resumed.finished({0, 4, 2}));
  CHECK_FALSE(resumed.finished({0, 6, 2}));
  REQUIRE(resumed.discarded().size() == 2);
  CHECK(resumed.discarded()[0].find("unit-0-4.h5: its contents differ from those written") == 0);
  CHECK(resumed.discarded()[1].find("unit-0-6.h5: its checksum (unit-0-6.sum) is missing") == 0);
  // A unit left half-written by the interrupted run is discarded.
  CHECK_FALSE(std::filesystem::exists(resumed.unit_path({0, 2, 2}) + ".partial"));
  resumed.remove();
  CHECK_FALSE(std::filesystem::exists(resumed.directory()));
}

TEST_CASE("units: a run stopped before its run.yaml was in place starts afresh on --resume") {
  const std::string output = (tmp_dir / "no_manifest.h5").string();
  const std::string dir = UnitStore::directory_of(output);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/run.yaml.partial") << "seed: 1\n";  // killed before the rename
  CHECK(testing::input_error_of([&] { UnitStore(output, "seed: 1\n", false); }).find("add --resume") !=
        std::string::npos);
  {
    UnitStore store(output, "seed: 1\n", true);
    CHECK(std::filesystem::exists(dir + "/run.yaml"));
    CHECK_FALSE(std::filesystem::exists(dir + "/run.yaml.partial"));
  }
  // With units but no run.yaml, the directory is not this run's to take over.
  std::filesystem::remove(dir + "/run.yaml");
  std::ofstream(UnitStore::unit_path(dir, {0, 0, 1})) << "x";
  CHECK(testing::input_error_of([&] { UnitStore(output, "seed: 1\n", true); }).find("its run.yaml is missing") !=
        std::string::npos);
  std::filesystem::remove_all(dir);
}
