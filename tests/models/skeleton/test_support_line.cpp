// The skeleton module of docs/extending.md: it passes the shared module contract, and the guide
// shows it as it is in this folder.
#include "skeleton/support_line.hpp"

#include "support/module_contract.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace recoverysim;

TEST_CASE("skeleton module: the support line of docs/extending.md passes the module contract") {
  testing::check_module_contract("support_line",
                                 {[] { return std::make_unique<recovery::SupportLine>(); }, /*stream_base=*/9000},
                                 {"lapse_multiplier=0.8"}, {"lapse_multiplier=1"});
}

TEST_CASE("skeleton module: docs/extending.md shows tests/models/skeleton/support_line.hpp as it is") {
  const auto read = [](const std::string& path) {
    std::ifstream in(std::string(RECOVERYSIM_SOURCE_DIR) + "/" + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  const std::string guide = read("docs/extending.md"), code = read("tests/models/skeleton/support_line.hpp");
  REQUIRE(!code.empty());
  CHECK(guide.find("```cpp\n" + code + "```") != std::string::npos);
}
