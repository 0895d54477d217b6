// The programme module (a service in YAML alone): the shared contract, and that its places,
// eligibility, enrolment length and costs do what its keys say.
#include "models/programme/programme.hpp"

#include "support/module_contract.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

namespace recoverysim::testing {
namespace {

using recovery::Programme;

// The index of a metric or a column by name.
std::size_t metric(const std::string& name) {
  const auto m = Programme().metric_names();
  return static_cast<std::size_t>(std::find(m.begin(), m.end(), name) - m.begin());
}
const std::vector<std::int32_t>& column(const ContractRun& r, const std::string& name) {
  for (const auto& c : r.columns)
    if (c.name == name) return std::get<std::vector<std::int32_t>>(c.values);
  FAIL("no column ", name);
  throw;
}

ContractRun run(std::vector<std::string> options) { return contract_run(registered_module("programme"), &options, 2); }

}  // namespace

TEST_CASE("programme: places are never exceeded, and a queue forms when they are few") {
  const auto r = run({"capacity.places=15", "delivery.duration_days=60"});
  double most = 0.0, longest_queue = 0.0;
  for (const auto& day : r.metrics) {
    most = std::max(most, day[metric("participants")]);
    longest_queue = std::max(longest_queue, day[metric("queue_length")]);
    CHECK(day[metric("utilisation")] == doctest::Approx(day[metric("participants")] / 15.0));
  }
  CHECK(most == 15.0);
  CHECK(longest_queue > 0.0);
}

TEST_CASE("programme: staff and caseload set the places, and without a limit nobody waits") {
  const auto staffed = run({"capacity.staff=2", "capacity.caseload=5"});
  for (const auto& day : staffed.metrics) CHECK(day[metric("participants")] <= 10.0);
  const auto open = run({});
  for (const auto& day : open.metrics) {
    CHECK(day[metric("queue_length")] == 0.0);
    CHECK(day[metric("utilisation")] == 0.0);
  }
  CHECK(std::any_of(open.metrics.begin(), open.metrics.end(),
                    [](const auto& d) { return d[metric("participants")] > 0; }));
}

TEST_CASE("programme: staff who leave shrink the places but end no enrolment") {
  const auto r = run({"capacity.staff=4", "capacity.caseload=5", "capacity.staff_leave_probability_per_day=0.02",
                      "capacity.hiring_delay_days=30", "delivery.duration_days=90"});
  double fewest_staff = 4.0;
  for (std::size_t d = 1; d < r.metrics.size(); ++d) {
    const auto& day = r.metrics[d];
    fewest_staff = std::min(fewest_staff, day[metric("staff_fte")]);
    CHECK(day[metric("participants")] <= 20.0);
    CHECK(day[metric("utilisation")] <= 1.0);
    // No one is taken while the enrolled fill the places that staff can hold.
    if (day[metric("participants")] > r.metrics[d - 1][metric("participants")])
      CHECK(day[metric("participants")] <= 5.0 * day[metric("staff_fte")]);
  }
  CHECK(fewest_staff < 4.0);  // somebody left
}

TEST_CASE("programme: only eligible people are enrolled, for at most the enrolment's length") {
  const recovery::Parameters p = open_cohort(20.0, 200);
  recovery::Population pop;
  pop.resize(static_cast<std::size_t>(p.population.size));
  recovery::initialise(pop, p, {97, 5});  // the contract run's people
  const auto r = run({"eligible.substance=opioid", "delivery.duration_days=30"});
  const auto& first = column(r, "first_enrolled_day");
  const auto& days = column(r, "enrolled_days");
  const auto& enrolments = column(r, "enrolments");
  std::size_t enrolled = 0;
  for (std::size_t i = 0; i < first.size(); ++i) {
    if (first[i] < 0) continue;
    ++enrolled;
    CHECK(pop.substance[i] == recovery::Substance::opioid);
    CHECK(days[i] <= 30 * enrolments[i]);
  }
  CHECK(enrolled > 0);
}

TEST_CASE("programme: the day's cost is salaries and fixed costs per 365.25 days, contacts and participants") {
  const auto r =
      run({"capacity.staff=3", "costs.salary_per_year=36525", "costs.fixed_cost_per_year=3652.5",
           "costs.cost_per_contact=2", "costs.cost_per_participant_day=0.5", "delivery.contacts_per_week=3.5"});
  double contacts = 0.0;
  for (const auto& day : r.metrics) {
    CHECK(day[metric("staff_fte")] == 3.0);
    CHECK(day[metric("cost")] ==
          doctest::Approx(3.0 * 100.0 + 10.0 + 2.0 * day[metric("contacts")] + 0.5 * day[metric("participants")]));
    contacts += day[metric("contacts")];
  }
  CHECK(contacts > 0.0);
}

RECOVERYSIM_MODULE_CONTRACT("programme",
                            ({"capacity.places=30", "capacity.staff=2", "while_enrolled.lapse_multiplier=0.6",
                              "per_contact.self_efficacy=0.02", "delivery.disengage_probability_per_day=0.01"}),
                            ({"while_enrolled.lapse_multiplier=1", "per_contact.self_efficacy=0"}));

}  // namespace recoverysim::testing
