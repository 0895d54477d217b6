// The contingency management module (written on the programme kit): the shared contract, and
// that its vouchers escalate, are capped, and add up to its cost.
#include "models/contingency_management/contingency_management.hpp"

#include "support/module_contract.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace recoverysim::testing {

TEST_CASE("contingency_management: places, vouchers and cost") {
  std::vector<std::string> options = {"places=20", "first_voucher=2", "voucher_step=1", "max_voucher=5"};
  const auto r = contract_run(registered_module("contingency_management"), &options, 2);
  const auto names = recovery::ContingencyManagement().metric_names();
  const auto at = [&](const std::string& n) {
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), n) - names.begin());
  };
  double tests = 0.0;
  for (const auto& day : r.metrics) {
    CHECK(day[at("participants")] <= 20.0);
    // A voucher is worth 2 to 5: the day's vouchers lie between those bounds times the tests.
    CHECK(day[at("vouchers")] <= 5.0 * day[at("tests")]);
    CHECK(day[at("cost")] == doctest::Approx(34000.0 / 365.25 + 5.0 * day[at("tests")] + day[at("vouchers")]));
    tests += day[at("tests")];
  }
  CHECK(tests > 0.0);
  const auto& earned = std::get<std::vector<float>>(r.columns[0].values);
  const auto& negatives = std::get<std::vector<std::int32_t>>(r.columns[1].values);
  std::size_t escalated = 0;
  for (std::size_t i = 0; i < earned.size(); ++i) {
    CHECK(earned[i] <= doctest::Approx(5.0 * negatives[i]));
    CHECK(earned[i] >= doctest::Approx(2.0 * negatives[i]));
    escalated += earned[i] > 2.0f * static_cast<float>(negatives[i]) + 0.5f;
  }
  CHECK(escalated > 0);  // streaks earned more than the first voucher
}

RECOVERYSIM_MODULE_CONTRACT("contingency_management", ({"places=30"}),
                            ({"streak_lapse_multiplier=1", "enrolled_dropout_multiplier=1"}));

}  // namespace recoverysim::testing
