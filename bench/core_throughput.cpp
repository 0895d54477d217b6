// Throughput of the core model: agent-days per second for one cohort stepped for a number of
// days, at each requested thread count, without output. Prints a Markdown table.
//
//   build/release/recoverysim_bench --agents 1000000 --days 365 --threads 1,2
#include "models/recovery/kernel.hpp"

#include <CLI/CLI.hpp>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>

using namespace recoverysim;
using namespace recoverysim::recovery;

int main(int argc, char** argv) {
  CLI::App app{"recoverysim core-model throughput benchmark"};
  std::int64_t agents = 1'000'000;
  std::int64_t days = 365;
  std::vector<int> threads = {1, 2};
  int repeats = 1;
  app.add_option("--agents", agents, "Cohort size")->check(CLI::Range(std::int64_t{1}, std::int64_t{2'000'000'000}));
  app.add_option("--days", days, "Days to simulate")->check(CLI::Range(std::int64_t{1}, std::int64_t{36500}));
  app.add_option("--threads", threads, "Thread counts to measure")->delimiter(',');
  app.add_option("--repeats", repeats, "Runs per thread count (the best is reported)")->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);

  Parameters p;
  ParamTable table;
  declare_parameters(table, p);
  p.population.size = agents;
  const DayContext ctx(p);
  Population pop;
  pop.resize(static_cast<std::size_t>(agents));

  std::printf("| agents | days | threads | seconds | agent-days/s | speed-up |\n|---|---|---|---|---|---|\n");
  double single = 0.0;
  for (int n : threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(n));
    tbb::task_arena arena(n);
    double best = 1e300;
    std::int64_t living = 0;
    for (int rep = 0; rep < repeats; ++rep) {
      const RandomKey key{1, static_cast<std::uint32_t>(rep)};
      arena.execute([&] { initialise(pop, p, key); });
      const auto start = std::chrono::steady_clock::now();
      DayCounts counts;
      arena.execute([&] {
        for (std::int64_t t = 0; t < days; ++t) counts = step_population(ctx, pop, key, static_cast<std::uint32_t>(t));
      });
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      living = agents - counts.state[static_cast<std::size_t>(ClinicalState::deceased)];
    }
    const double rate = static_cast<double>(agents * days) / best;
    if (single == 0.0) single = rate;
    std::printf("| %lld | %lld | %d | %.2f | %.3g | %.2f |\n", static_cast<long long>(agents),
                static_cast<long long>(days), n, best, rate, rate / single);
    std::fflush(stdout);
    if (living <= 0) return 1;  // keeps the work observable
  }
  return 0;
}
