// Strict scenario YAML reading: every kind of mistake is named with its line and column.
#include "scenario_file.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace recoverysim;

namespace {
struct Fixture {
  double rate = 0;
  std::int64_t count = 0;
  std::string name;
  ParamTable table;
  Fixture() {
    table.add_text("name", name, "n", "Name");
    table.add_real("section.rate_per_day", rate, 0.25, 0.0, 1.0, "per day", "A rate");
    table.add_integer("section.count", count, 3, 1, 10, "agents", "A count");
  }
  std::string error(const std::string& yaml) {
    try {
      apply_scenario_text(table, yaml, "s.yaml");
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no error)";
  }
};
}  // namespace

TEST_CASE("a valid scenario sets the keys it names and leaves the rest at their defaults") {
  Fixture f;
  apply_scenario_text(f.table, "name: trial\nsection:\n  count: 5\n", "s.yaml");
  CHECK(f.name == "trial");
  CHECK(f.count == 5);
  CHECK(f.rate == 0.25);
  CHECK(f.table.where_set("section.count").to_string() == "s.yaml:3:10");
}

TEST_CASE("scenario mistakes are reported with file, line, column and key") {
  Fixture f;
  CHECK(f.error("name: a\nsection:\n  cout: 5\n") ==
        "s.yaml:3:3: unknown key 'section.cout' (did you mean 'section.count'?)");
  CHECK(f.error("nmae: a\n") == "s.yaml:1:1: unknown key 'nmae' (did you mean 'name'?)");
  CHECK(f.error("zebra: 1\n") == "s.yaml:1:1: unknown key 'zebra'; valid keys here: name, section");
  CHECK(f.error("section:\n  count: 5\n  count: 6\n") ==
        "s.yaml:3:3: duplicate key 'section.count' (each key may appear only once)");
  CHECK(f.error("section:\n  count: many\n") ==
        "s.yaml:2:10: section.count: expected an integer in [1, 10], got 'many'");
  CHECK(f.error("section:\n  rate_per_day: 2\n") ==
        "s.yaml:2:17: section.rate_per_day: expected a number in [0, 1], got '2' (out of range)");
  CHECK(f.error("section:\n  rate_per_day: [1, 2]\n") ==
        "s.yaml:2:17: section.rate_per_day: expected a number in [0, 1] or a distribution {dist: ...}, got a list");
  CHECK(f.error("section:\n  rate_per_day:\n") ==
        "s.yaml:2:3: section.rate_per_day: expected a number in [0, 1] or a distribution {dist: ...}, got nothing");
  CHECK(f.error("section: 3\n") == "s.yaml:1:10: section: expected a mapping of rate_per_day, count, got '3'");
  CHECK(f.error("").find("s.yaml:1:1: the scenario is empty") == 0);
  CHECK(f.error("- a\n- b\n").find("s.yaml:1:1: expected a mapping") == 0);
  CHECK(f.error("name: [unclosed\n").find("YAML syntax error") != std::string::npos);
}

TEST_CASE("a missing scenario file is an input error naming the file") {
  Fixture f;
  try {
    apply_scenario_file(f.table, "/nonexistent/scenario.yaml");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/scenario.yaml: cannot open scenario file: No such file or directory");
  }
}
