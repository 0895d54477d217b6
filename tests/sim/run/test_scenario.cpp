// Scenario assembly: the shipped scenarios load, the generated reference is current, and
// checks across keys name where the keys were set.
#include "run/scenario.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
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

TEST_CASE("docs/scenario-reference.md is the generated reference (regenerate: recoverysim schema --format markdown)") {
  CHECK(read(source_dir / "docs" / "scenario-reference.md") == default_parameter_table().schema_markdown());
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
