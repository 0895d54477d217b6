// The kernels (sim/engine/kernels.hpp): every kernel this CPU runs gives the baseline kernel's results,
// bit for bit: the day kernel (day by day and fused, so Philox in the kernel's own instruction
// set too) and the modules' vectorised helpers. The whole model with the modules, through the
// command line, is compared by tests/hpc/test_kernels.py.
#include "models/recovery/intervention.hpp"
#include "models/recovery/kernel.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::recovery;

namespace {

constexpr std::uint32_t days = 150;

struct Run {
  Population pop;
  std::vector<DayCounts> counts;
};

Parameters kernel_parameters() {
  Parameters p = testing::open_cohort(37.5, 60);  // 2250 agents, not a multiple of the tile
  p.treatment.entry.base_hazard_per_day = 0.05;
  return p;
}

template <class KernelTag>
Run run_with(bool fused) {
  const Parameters p = kernel_parameters();
  const DayContext ctx(p);
  Run r;
  r.pop.resize(static_cast<std::size_t>(p.population.size));
  r.counts.resize(days);
  const RandomKey key{2024, 3};
  initialise(r.pop, p, key);
  if (fused) {
    step_population_days_for<KernelTag>(ctx, r.pop, key, 0, r.counts, nullptr, nullptr);
  } else {
    for (std::uint32_t day = 0; day < days; ++day)
      r.counts[day] = step_population_for<KernelTag>(ctx, r.pop, key, day, nullptr, {}, nullptr, nullptr);
  }
  return r;
}

[[maybe_unused]] bool runs(Kernel kernel) {  // unused in a one-kernel build
  const std::vector<Kernel> supported = supported_kernels();
  return std::find(supported.begin(), supported.end(), kernel) != supported.end();
}

// Calls f(tag) for every kernel of the build that this CPU runs.
template <class F>
void for_each_kernel(F&& f) {
  f(BaselineKernel{});
#if defined(RECOVERYSIM_MULTI_KERNEL)
  if (runs(Kernel::avx2)) f(Avx2Kernel{});
  if (runs(Kernel::avx512)) f(Avx512Kernel{});
#endif
}

void check_same(const Run& a, const Run& b) {
  for (std::uint32_t d = 0; d < days; ++d) {
    INFO("day ", d);
    REQUIRE(a.counts[d].state == b.counts[d].state);
    REQUIRE(a.counts[d].treatment == b.counts[d].treatment);
  }
  CHECK(a.pop.craving == b.pop.craving);
  CHECK(a.pop.self_efficacy == b.pop.self_efficacy);
  CHECK(a.pop.support == b.pop.support);
  CHECK(a.pop.skills == b.pop.skills);
  CHECK(a.pop.engagement == b.pop.engagement);
  CHECK(a.pop.state == b.pop.state);
  CHECK(a.pop.first_lapse_day == b.pop.first_lapse_day);
  CHECK(a.pop.readmissions == b.pop.readmissions);
  CHECK(a.pop.death_day == b.pop.death_day);
  CHECK(a.pop.abstinent_days == b.pop.abstinent_days);
}

}  // namespace

TEST_CASE("every kernel this CPU runs gives the baseline kernel's day, bit for bit") {
  MESSAGE("kernel in use: " << std::string(kernel_name(kernel_in_use()))
                            << "; kernels compared: " << supported_kernels().size());
  const Run baseline = run_with<BaselineKernel>(false);
  // A run that takes every branch of the day, or the comparison proves little.
  std::int64_t readmissions = 0;
  for (auto n : baseline.pop.readmissions) readmissions += n;
  CHECK(readmissions > 50);
  CHECK(baseline.counts.back().state[static_cast<std::size_t>(ClinicalState::deceased)] > 0);
  for_each_kernel([&]<class KernelTag>(KernelTag) {
    INFO("kernel ", kernel_name(KernelTag::id));
    check_same(baseline, run_with<KernelTag>(false));
    check_same(baseline, run_with<KernelTag>(true));
  });
}

TEST_CASE("every kernel's Philox draws and flagged agents are the portable ones") {
  const RandomKey key{77, 5};
  std::vector<std::int32_t> agents;
  for (std::int32_t i = 0; i < 200; i += 1 + i % 3) agents.push_back(i * 7919 % 100003);
  std::int32_t flags[agents_per_tile];
  for (std::size_t l = 0; l < agents_per_tile; ++l) flags[l] = (l * 37 + l / 5) % 3 == 0 ? 1 : 0;
  for_each_kernel([&]<class KernelTag>(KernelTag) {
    INFO("kernel ", kernel_name(KernelTag::id));
    for (std::size_t n = 0; n <= agents.size(); n += 1 + n / 4) {
      std::vector<std::uint32_t> out(n + 16);
      first_draws_for<KernelTag>(key, std::span<const std::int32_t>(agents.data(), n), 12, 1003, out);
      for (std::size_t k = 0; k < n; ++k)
        REQUIRE(out[k] == philox_block(key, static_cast<std::uint32_t>(agents[k]), 12, 1003, 0)[0]);
      first_draws_of_range_for<KernelTag>(key, 640, std::min<std::size_t>(n, agents_per_tile), 12, 1003, out.data());
      for (std::size_t l = 0; l < std::min<std::size_t>(n, agents_per_tile); ++l)
        REQUIRE(out[l] == philox_block(key, static_cast<std::uint32_t>(640 + l), 12, 1003, 0)[0]);
    }
    for (std::size_t n = 0; n <= agents_per_tile; ++n) {
      std::int32_t listed[agents_per_tile + 8];
      const std::size_t count = flagged_agents_for<KernelTag>(flags, n, 1000, listed);
      std::vector<std::int32_t> expected;
      for (std::size_t l = 0; l < n; ++l)
        if (flags[l] != 0) expected.push_back(static_cast<std::int32_t>(1000 + l));
      REQUIRE(std::vector<std::int32_t>(listed, listed + count) == expected);
    }
  });
}
