// The checks every intervention module must pass, whatever it does: one line in the module's
// test file gives them to it,
//
//   RECOVERYSIM_MODULE_CONTRACT("group", {"facilitators=6"}, {"skills_gain_per_session=0", ...});
//
// with options that make the module busy and, added to them, the options that make its effects
// neutral. The checks, on an open cohort run through the real day loop:
//
//   - the same day counts, metrics and per-agent columns on 1 and 2 threads;
//   - with neutral effects, the core's day counts and craving exactly those of the arm without
//     the module, although the module was busy; with its effects, different (so the check can
//     fail);
//   - the documented metrics: `staff_fte` and `cost` reported, finite and never negative, the
//     cost positive on some day when staff work; metrics counted in people, whole numbers
//     between 0 and the population; `utilisation` within [0, 1]; each metric and per-agent
//     column with a unit and a description, each column one value per agent;
//   - its event names documented.
//
// tests/models/test_module_contract.cpp checks that every module of the registry has the line.
#pragma once

#include "models/recovery/arm_simulation.hpp"
#include "models/recovery/intervention.hpp"

#include "models/registry.hpp"
#include "support/defaults.hpp"

#include <doctest/doctest.h>

#include <tbb/task_arena.h>

#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace recoverysim::testing {

// The module types that have the contract tests (filled before main by the macro).
inline std::set<std::string>& modules_with_contract_tests() {
  static std::set<std::string> types;
  return types;
}

struct ContractRun {
  std::vector<recovery::DayCounts> counts;
  std::vector<std::vector<double>> metrics;
  std::vector<recovery::AgentColumn> columns;
  std::vector<float> craving;
};

inline bool same_day_counts(const std::vector<recovery::DayCounts>& a, const std::vector<recovery::DayCounts>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t d = 0; d < a.size(); ++d)
    if (a[d].state != b[d].state || a[d].treatment != b[d].treatment) return false;
  return true;
}

// Makes a fresh module and names its first random stream.
struct ModuleMaker {
  std::function<std::unique_ptr<recovery::Intervention>()> make;
  std::uint32_t stream_base = 0;
};

inline ModuleMaker registered_module(const std::string& type) {
  const auto& registry = recovery::builtin_interventions();
  return {[type] { return recovery::builtin_interventions().create(type); }, registry.stream_base(type)};
}

// One replicate of an open cohort, with the module configured by `options` (none: the arm
// without it), on `threads` threads.
inline ContractRun contract_run(const ModuleMaker& maker, const std::vector<std::string>* options, int threads) {
  recovery::Parameters p = open_cohort(20.0, 200);
  constexpr std::uint32_t days = 300;
  ContractRun out;
  tbb::task_arena(threads).execute([&] {
    std::unique_ptr<recovery::Intervention> module;
    ParamTable table;
    std::vector<recovery::ModuleSlot> slots;
    if (options) {
      module = maker.make();
      module->declare(table);
      for (const auto& o : *options) table.assign_from_option(o);
      module->validate(table);
      slots.push_back({module.get(), maker.stream_base});
    }
    recovery::ArmSimulation arm(p, slots);
    std::vector<double> m(module ? module->metric_names().size() : 0);
    std::vector<std::span<double>> spans;
    if (module) spans.emplace_back(m);
    arm.start_replicate({97, 5}, days);
    for (std::uint32_t d = 0; d < days; ++d) {
      out.counts.push_back(arm.step(d, nullptr, spans));
      out.metrics.push_back(m);
    }
    arm.finish_replicate();
    if (module) out.columns = module->agent_columns();
    out.craving = arm.population().craving;
  });
  return out;
}

// The checks for any module, registered or not.
inline void check_module_contract(const std::string& name, const ModuleMaker& maker,
                                  const std::vector<std::string>& busy,
                                  const std::vector<std::string>& neutral_effects) {
  INFO("module ", name);
  const auto module = maker.make();
  const std::vector<recovery::Metric> metrics = module->metrics();
  const std::size_t population = static_cast<std::size_t>(open_cohort(20.0, 200).population.size);

  // Plain blocks, not doctest SUBCASEs: a subcase runs the test case's body again, and with it
  // the runs above it (ten runs instead of four).
  const ContractRun one = contract_run(maker, &busy, 1), two = contract_run(maker, &busy, 2);
  {
    INFO("the same results on 1 and 2 threads");
    CHECK(same_day_counts(one.counts, two.counts));
    CHECK(one.metrics == two.metrics);
    CHECK(one.craving == two.craving);
    REQUIRE(one.columns.size() == two.columns.size());
    for (std::size_t k = 0; k < one.columns.size(); ++k) CHECK(one.columns[k].values == two.columns[k].values);
  }
  {
    INFO("neutral effects leave the core as it is without the module; its effects change it");
    std::vector<std::string> options = busy;
    options.insert(options.end(), neutral_effects.begin(), neutral_effects.end());
    const ContractRun without = contract_run(maker, nullptr, 2), neutral = contract_run(maker, &options, 2);
    CHECK(same_day_counts(without.counts, neutral.counts));
    CHECK(without.craving == neutral.craving);
    double activity = 0.0;  // the module was busy all the same: people in it on some day
    for (const auto& day : neutral.metrics)
      for (std::size_t k = 0; k < metrics.size(); ++k)
        if (metrics[k].unit == "people") activity += day[k];
    CHECK(activity > 0.0);
    CHECK_FALSE(same_day_counts(without.counts, one.counts));
  }
  {
    INFO("the documented metrics hold their meaning");
    std::size_t staff = metrics.size(), cost = metrics.size();
    for (std::size_t k = 0; k < metrics.size(); ++k) {
      CHECK_MESSAGE(!metrics[k].unit.empty(), metrics[k].name);
      CHECK_MESSAGE(!metrics[k].description.empty(), metrics[k].name);
      if (metrics[k].name == "staff_fte") staff = k;
      if (metrics[k].name == "cost") cost = k;
    }
    REQUIRE(staff < metrics.size());
    REQUIRE(cost < metrics.size());
    bool paid = false;
    for (std::size_t d = 0; d < one.metrics.size(); ++d) {
      const auto& day = one.metrics[d];
      REQUIRE(day.size() == metrics.size());
      for (std::size_t k = 0; k < metrics.size(); ++k) {
        INFO("day ", d, ", metric ", metrics[k].name, " = ", day[k]);
        CHECK(std::isfinite(day[k]));
        if (metrics[k].unit == "people") {
          CHECK(day[k] >= 0.0);
          CHECK(day[k] <= static_cast<double>(population));
          CHECK(day[k] == std::round(day[k]));
        }
        if (metrics[k].name == "utilisation") CHECK((day[k] >= 0.0 && day[k] <= 1.0));
      }
      CHECK(day[staff] >= 0.0);
      CHECK(day[cost] >= 0.0);
      paid = paid || (day[staff] > 0.0 && day[cost] > 0.0);
    }
    const bool staffed =
        std::any_of(one.metrics.begin(), one.metrics.end(), [&](const auto& day) { return day[staff] > 0.0; });
    if (staffed) CHECK(paid);
  }
  {
    INFO("per-agent columns and events are documented, one value per agent");
    for (const auto& column : one.columns) {
      INFO("column ", column.name);
      CHECK(!column.unit.empty());
      CHECK(!column.description.empty());
      std::visit([&](const auto& values) { CHECK(values.size() == population); }, column.values);
    }
    for (const auto& event : module->event_names()) CHECK_MESSAGE(!event.doc.empty(), event.name);
  }
}

// The checks for the registered module `type`.
inline void check_module_contract(const std::string& type, const std::vector<std::string>& busy,
                                  const std::vector<std::string>& neutral_effects) {
  REQUIRE_MESSAGE(recovery::builtin_interventions().contains(type), type);
  check_module_contract(type, registered_module(type), busy, neutral_effects);
}

}  // namespace recoverysim::testing

#define RECOVERYSIM_CONTRACT_CAT2(a, b) a##b
#define RECOVERYSIM_CONTRACT_CAT(a, b) RECOVERYSIM_CONTRACT_CAT2(a, b)
// The contract tests for module TYPE: BUSY options keep it busy; NEUTRAL options, added to them,
// make its effects neutral.
#define RECOVERYSIM_MODULE_CONTRACT(TYPE, BUSY, NEUTRAL)                                 \
  static const bool RECOVERYSIM_CONTRACT_CAT(recoverysim_contract_, __LINE__) =          \
      ::recoverysim::testing::modules_with_contract_tests().insert(TYPE).second;         \
  TEST_CASE(TYPE ": the module contract (threads, neutral effects, metrics, columns)") { \
    ::recoverysim::testing::check_module_contract(TYPE, std::vector<std::string> BUSY,   \
                                                  std::vector<std::string> NEUTRAL);     \
  }
