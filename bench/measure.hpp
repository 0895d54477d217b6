// The measuring loop shared by the benchmark drivers: for each thread count, the best of
// `repeats` timed runs, printed as one row of a Markdown table of agent-days per second.
#pragma once

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace recoverysim::bench {

inline void print_table_header() {
  std::printf(
      "| model | agents | days | threads | seconds | agent-days/s | speed-up |\n|---|---|---|---|---|---|---|\n");
}

// `prepare(repeat)` is untimed set-up inside the arena; `run(repeat)` is timed and returns a
// count that must be positive (it keeps the work observable). Returns 0, or 1 if a run
// returned a non-positive count.
template <class Prepare, class Run>
int measure_throughput(const char* model, std::int64_t agents, std::int64_t days, const std::vector<int>& threads,
                       int repeats, Prepare prepare, Run run) {
  double single = 0.0;
  for (int n : threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(n));
    tbb::task_arena arena(n);
    double best = 1e300;
    for (int rep = 0; rep < repeats; ++rep) {
      arena.execute([&] { prepare(rep); });
      std::int64_t observed = 0;
      const auto start = std::chrono::steady_clock::now();
      arena.execute([&] { observed = run(rep); });
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (observed <= 0) return 1;
    }
    const double rate = static_cast<double>(agents * days) / best;
    if (single == 0.0) single = rate;
    std::printf("| %s | %lld | %lld | %d | %.2f | %.3g | %.2f |\n", model, static_cast<long long>(agents),
                static_cast<long long>(days), n, best, rate, rate / single);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace recoverysim::bench
