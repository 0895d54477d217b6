// Running a scenario from a test: no progress bar, a given thread count.
#pragma once

#include "run/runner.hpp"

#include <string>

namespace recoverysim::testing {

inline RunOptions quiet_run(const std::string& output_path, int threads) {
  RunOptions options;
  options.output_path = output_path;
  options.threads = threads;
  options.show_progress = false;
  return options;
}

}  // namespace recoverysim::testing
