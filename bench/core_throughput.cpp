// Throughput of the model: agent-days per second for one cohort stepped for a number of days,
// at each requested thread count, without output. With --modules, the arm also runs the three
// intervention modules with staff scaled to the cohort so that they do real work.
// Prints a Markdown table.
//
//   build/release/recoverysim_bench --agents 1000000 --days 365 --threads 1,2 [--modules]
#include "measure.hpp"

#include "models/recovery/arm_simulation.hpp"
#include "models/registry.hpp"

#include <CLI/CLI.hpp>

#include <memory>

using namespace recoverysim;
using namespace recoverysim::recovery;

namespace {

struct Module {
  std::string type;
  std::unique_ptr<Intervention> module;
  ParamTable table;
};

// The modules of `types`, with capacity for about a fifth of the cohort each.
std::vector<std::unique_ptr<Module>> make_modules(const std::vector<std::string>& types, std::int64_t agents) {
  std::vector<std::unique_ptr<Module>> modules;
  const std::int64_t reach = std::max<std::int64_t>(agents / 5, 1);
  for (const auto& type : types) {
    auto m = std::make_unique<Module>();
    m->type = type;
    m->module = builtin_interventions().create(type);
    m->module->declare(m->table);
    if (type == "peer_mentor") {
      m->table.assign_from_option("caseload=20");
      m->table.assign_from_option("mentors=" + std::to_string(std::max<std::int64_t>(reach / 20, 1)));
    } else if (type == "group") {
      m->table.assign_from_option("groups_per_facilitator=4");
      m->table.assign_from_option("facilitators=" + std::to_string(std::max<std::int64_t>(reach / 40, 1)));
    }
    modules.push_back(std::move(m));
  }
  return modules;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recoverysim throughput benchmark"};
  std::int64_t agents = 1'000'000;
  std::int64_t days = 365;
  std::vector<int> threads = {1, 2};
  int repeats = 1;
  bool with_modules = false, with_all_modules = false;
  bool day_by_day = false;
  app.add_option("--agents", agents, "Cohort size")->check(CLI::Range(std::int64_t{1}, std::int64_t{2'000'000'000}));
  app.add_option("--days", days, "Days to simulate")->check(CLI::Range(std::int64_t{1}, std::int64_t{32767}));
  app.add_option("--threads", threads, "Thread counts to measure")->delimiter(',');
  app.add_option("--repeats", repeats, "Runs per thread count (the best is reported)")->check(CLI::Range(1, 100));
  auto* modules_flag = app.add_flag("--modules", with_modules, "Run peer_mentor, group and twelve_step in the arm");
  auto* all_flag = app.add_flag("--all-modules", with_all_modules, "Run every registered module type in the arm")
                       ->excludes(modules_flag);
  app.add_flag("--day-by-day", day_by_day,
               "Step the core one day at a time over the whole cohort, as an arm with modules must")
      ->excludes(modules_flag)
      ->excludes(all_flag);
  CLI11_PARSE(app, argc, argv);

  Parameters p;
  ParamTable table;
  declare_parameters(table, p);
  p.population.size = agents;
  // --modules measures the same three modules from release to release, whatever else is registered.
  const std::vector<std::string> types = with_all_modules ? builtin_interventions().types()
                                         : with_modules
                                             ? std::vector<std::string>{"peer_mentor", "group", "twelve_step"}
                                             : std::vector<std::string>{};
  auto modules = make_modules(types, agents);
  std::vector<ModuleSlot> slots;
  std::vector<std::vector<double>> metrics;
  for (const auto& m : modules) {
    slots.push_back({m->module.get(), builtin_interventions().stream_base(m->type)});
    metrics.emplace_back(m->module->metric_names().size() * static_cast<std::size_t>(days));
  }
  std::vector<std::span<double>> metric_spans(metrics.begin(), metrics.end());
  ArmSimulation arm(p, slots, days);  // counting the shipped outcomes (and the modules'), as a run does

  const std::string label = types.empty() ? "core" : "core + " + std::to_string(types.size()) + " modules";
  bench::print_table_header();
  return bench::measure_throughput(
      label.c_str(), agents, days, threads, repeats,
      [&](int rep) {
        arm.start_replicate({1, static_cast<std::uint32_t>(rep)}, days);
      },
      [&](int) {
        std::vector<DayCounts> counts(static_cast<std::size_t>(days));
        if (day_by_day) {
          for (std::size_t d = 0; d < counts.size(); ++d)
            arm.step_days(static_cast<std::uint32_t>(d), std::span(counts).subspan(d, 1), nullptr, metric_spans);
        } else {
          arm.step_days(0, counts, nullptr, metric_spans);
        }
        return agents - counts.back().state[static_cast<std::size_t>(ClinicalState::deceased)];
      });
}
