// A program with one deliberate defect, to show that a sanitizer build reports it: without
// this, a suite that "runs clean" could just as well be a sanitizer that sees nothing (an
// option lost, a suppression too wide).
//
//   probe race      two bodies of one recoverysim::parallel_for write the same variable
//   probe overflow  a read one past the end of a heap array
#include "parallel.hpp"

#include <tbb/blocked_range.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

int race() {
  int shared = 0;
  std::atomic<int> started{0};
  tbb::task_arena two(2);
  two.execute([&] {
    recoverysim::parallel_for(
        tbb::blocked_range<int>(0, 2, 1),
        [&](const tbb::blocked_range<int>& part) {
          // Wait (a little) for the other body, so that the two run on different threads.
          started.fetch_add(1);
          const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
          while (started.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
          shared += part.begin() + 1;  // the race
        },
        tbb::simple_partitioner{});
  });
  std::printf("shared = %d\n", shared);
  return 0;
}

int overflow(int argc) {
  std::vector<int> values(static_cast<std::size_t>(argc) + 3, 1);
  const int* data = values.data();
  std::printf("past the end: %d\n", data[values.size()]);  // the overflow
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  if (what == "race") return race();
  if (what == "overflow") return overflow(argc);
  std::fprintf(stderr, "usage: %s race|overflow\n", argv[0]);
  return 2;
}
