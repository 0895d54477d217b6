// A program of another project, built against an installed recoverysim (find_package, target
// recoverysim::modules): one replicate of a closed cohort of 2000 people with peer mentors, run
// day by day through the model's public interface. tests/install/test_install.py compares what
// it prints with the same program built inside the recoverysim tree.
#include "models/recovery/arm_simulation.hpp"
#include "models/recovery/parameters.hpp"
#include "models/registry.hpp"

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::recovery;

int main() {
  Parameters params;
  ParamTable core;
  declare_parameters(core, params);
  core.assign_from_option("population.size=2000");
  validate_parameters(core, params);

  const InterventionRegistry& registry = builtin_interventions();
  auto mentors = registry.create("peer_mentor");
  ParamTable options;
  mentors->declare(options);
  options.assign_from_option("mentors=6");
  mentors->validate(options);

  const std::vector<std::string> names = mentors->metric_names();
  std::vector<double> metrics(names.size());
  const std::vector<std::span<double>> spans{metrics};
  ArmSimulation arm(params, {{mentors.get(), registry.stream_base("peer_mentor")}});

  constexpr std::uint32_t days = 120;
  arm.start_replicate({2024, 0}, days);
  DayCounts counts;
  double cost = 0.0;
  for (std::uint32_t day = 0; day < days; ++day) {
    counts = arm.step(day, nullptr, spans);
    for (std::size_t m = 0; m < names.size(); ++m)
      if (names[m] == "cost") cost += metrics[m];
  }
  arm.finish_replicate();

  std::printf("agents %lld days %u\n", static_cast<long long>(params.population.size), days);
  for (std::size_t s = 0; s < clinical_state_count; ++s)
    std::printf("state %.*s %lld\n", static_cast<int>(clinical_state_names[s].size()), clinical_state_names[s].data(),
                static_cast<long long>(counts.state[s]));
  std::printf("peer_mentor cost %.2f\n", cost);
  return 0;
}
