// The "speed of light" for an agent-day on this machine: one Philox block and one table
// transition per agent per day, over a byte-per-agent state column, split across threads with
// oneTBB exactly as the model's kernel is. Any model kernel costs at least this much; the
// ratio between the two says how much of the model's time is the model itself.
//
//   build/release/recoverysim_floor --agents 1000000 --days 365 --threads 1,2
#include "floor_tiles.hpp"
#include "measure.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <CLI/CLI.hpp>

#include <array>
#include <cstdio>
#include <vector>

using namespace recoverysim;

int main(int argc, char** argv) {
  CLI::App app{"recoverysim floor kernel: one Philox draw and one table transition per agent-day"};
  std::int64_t agents = 1'000'000;
  std::int64_t days = 365;
  std::vector<int> threads = {1, 2};
  int repeats = 1;
  app.add_option("--agents", agents, "Agents")->check(CLI::Range(std::int64_t{1}, std::int64_t{2'000'000'000}));
  app.add_option("--days", days, "Days")->check(CLI::Range(std::int64_t{1}, std::int64_t{32767}));
  app.add_option("--threads", threads, "Thread counts to measure")->delimiter(',');
  app.add_option("--repeats", repeats, "Runs per thread count (the best is reported)")->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);

  // A six-state chain with constant daily transition probabilities, as 32-bit thresholds:
  // the next state is the first j with u < threshold[state][j].
  constexpr int states = bench::floor_states;
  const double p[states][states] = {{0.80, 0.15, 0.00, 0.04, 0.00, 0.01},   {0.00, 0.97, 0.01, 0.02, 0.00, 0.00},
                                    {0.00, 0.00, 0.995, 0.005, 0.0, 0.0},   {0.00, 0.60, 0.00, 0.00, 0.40, 0.00},
                                    {0.00, 0.01, 0.00, 0.00, 0.989, 0.001}, {0, 0, 0, 0, 0, 1.0}};
  bench::FloorThresholds threshold{};
  for (int i = 0; i < states; ++i) {
    double cumulative = 0.0;
    for (int j = 0; j < states; ++j) {
      cumulative += p[i][j];
      threshold[i][j] = cumulative >= 1.0 ? 0xffffffffu : static_cast<std::uint32_t>(cumulative * two_pow_32);
    }
  }

  std::vector<std::uint8_t> state(static_cast<std::size_t>(agents));
  const std::size_t tiles = (state.size() + bench::floor_tile - 1) / bench::floor_tile;
  bench::print_table_header();
  return bench::measure_throughput(
      "floor", agents, days, threads, repeats, [&](int) { std::fill(state.begin(), state.end(), std::uint8_t{0}); },
      [&](int rep) {
        const RandomKey key{1, static_cast<std::uint32_t>(rep)};
        std::int64_t deceased = 0;
        for (std::int64_t t = 0; t < days; ++t) {
          deceased = tbb::parallel_reduce(
              tbb::blocked_range<std::size_t>(0, tiles, 16), std::int64_t{0},
              [&](const tbb::blocked_range<std::size_t>& r, std::int64_t count) {
                // The kernel in use, as the model's kernel: one choice per range of tiles.
                return count + with_kernel([&]<class KernelTag>(KernelTag) {
                         return bench::floor_tiles<KernelTag>(key, static_cast<std::uint32_t>(t), threshold,
                                                              state.data(), state.size(), r.begin(), r.end());
                       });
              },
              [](std::int64_t a, std::int64_t b) { return a + b; });
        }
        return deceased + 1;  // observed result (+1: a run with no deaths still counts)
      });
}
