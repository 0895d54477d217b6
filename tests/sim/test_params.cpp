// The parameter table: typed assignment, ranges, suggestions, and its renderings.
#include "params.hpp"
#include "support/errors.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace recoverysim;

namespace {
enum class Colour { red, green, blue };

struct Fixture {
  double rate = 0;
  std::int64_t count = 0;
  bool flag = false;
  std::string label;
  Colour colour = Colour::red;
  ParamTable table;
  Fixture() {
    table.add_real("section.rate_per_day", rate, 0.25, 0.0, 1.0, "per day", "A rate");
    table.add_integer("section.count", count, 3, 1, 10, "agents", "A count");
    table.add_boolean("flag", flag, true, "A flag");
    table.add_text("label", label, "x", "A label");
    table.add_choice("colour", colour, Colour::green, {"red", "green", "blue"}, "A colour");
  }
};

using testing::input_error_of;
}  // namespace

TEST_CASE("declaring a parameter assigns its default") {
  Fixture f;
  CHECK(f.rate == 0.25);
  CHECK(f.count == 3);
  CHECK(f.flag);
  CHECK(f.label == "x");
  CHECK(f.colour == Colour::green);
  CHECK(f.table.find("section.count") != nullptr);
  CHECK(f.table.find("section") == nullptr);
  CHECK(f.table.is_section("section"));
  CHECK_FALSE(f.table.is_section("sect"));
  CHECK(f.table.children("") == std::vector<std::string>{"section", "flag", "label", "colour"});
}

TEST_CASE("values are parsed strictly by kind and range") {
  Fixture f;
  const SourceLocation at{"s.yaml", 4, 7};
  f.table.assign_text(*f.table.find("section.rate_per_day"), "0.5", at);
  CHECK(f.rate == 0.5);
  f.table.assign_text(*f.table.find("section.count"), "1e1", at);
  CHECK(f.count == 10);
  f.table.assign_text(*f.table.find("colour"), "blue", at);
  CHECK(f.colour == Colour::blue);
  CHECK(f.table.where_set("colour").to_string() == "s.yaml:4:7");

  const auto& rate = *f.table.find("section.rate_per_day");
  CHECK(input_error_of([&] { f.table.assign_text(rate, "1.5", at); }) ==
        "s.yaml:4:7: section.rate_per_day: expected a number in [0, 1], got '1.5' (out of range)");
  CHECK(input_error_of([&] { f.table.assign_text(rate, "fast", at); }).find("expected a number") != std::string::npos);
  CHECK(input_error_of([&] { f.table.assign_text(rate, ".nan", at); }).find("not a finite number") !=
        std::string::npos);
  CHECK(input_error_of([&] { f.table.assign_text(rate, "0.5", at, true); }).find("quoted") != std::string::npos);
  CHECK(input_error_of([&] {
          f.table.assign_text(*f.table.find("section.count"), "2.5", at);
        }).find("expected an integer in [1, 10]") != std::string::npos);
  CHECK(input_error_of([&] { f.table.assign_text(*f.table.find("flag"), "yes", at); }).find("true or false") !=
        std::string::npos);
  CHECK(input_error_of([&] { f.table.assign_text(*f.table.find("colour"), "bleu", at); }).find("did you mean 'blue'") !=
        std::string::npos);
}

TEST_CASE("--set takes dotted paths and suggests the closest key") {
  Fixture f;
  f.table.assign_from_option("section.count=7");
  CHECK(f.count == 7);
  CHECK(f.table.where_set("section.count").to_string() == "--set section.count=7");
  CHECK(input_error_of([&] { f.table.assign_from_option("section.cuont=2"); }).find("did you mean 'section.count'") !=
        std::string::npos);
  CHECK(input_error_of([&] { f.table.assign_from_option("section.count"); }).find("path.to.key=value") !=
        std::string::npos);
}

TEST_CASE("the resolved YAML and the schema list every parameter") {
  Fixture f;
  const std::string yaml = f.table.to_yaml();
  CHECK(yaml.find("section:\n  rate_per_day: 0.25\n  count: 3") != std::string::npos);
  CHECK(yaml.find("label: \"x\"") != std::string::npos);
  const std::string schema = f.table.schema_yaml();
  CHECK(schema.find("key: section.rate_per_day") != std::string::npos);
  CHECK(schema.find("unit: per day") != std::string::npos);
  const std::string md = f.table.schema_markdown();
  CHECK(md.find("| `section.count` | integer | `3` | [1, 10] | agents | A count |") != std::string::npos);
}

TEST_CASE("closest_match suggests near misses only") {
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(closest_match("replicats", {"replicates", "seed", "days"}) == "replicates");
  CHECK(closest_match("zzzzzz", {"replicates", "seed", "days"}).empty());
}
