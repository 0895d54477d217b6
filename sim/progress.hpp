// A progress bar on stderr for long runs: share done, rate in agent-days per second, and
// time left. Drawn only when stderr is a terminal, at most ten times a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace recoverysim {

class Progress {
 public:
  // `enabled` false (e.g. --quiet) silences it; it is also silent when stderr is not a terminal.
  Progress(std::int64_t total_agent_days, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t agent_days, const std::string& label);
  void finish();
  double elapsed_seconds() const;

 private:
  void draw(const std::string& label);
  std::int64_t total_;
  std::int64_t done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1:05:03", "4:07", "0:09"
std::string format_duration(double seconds);
// 12345678 -> "12.3 M"
std::string format_rate(double per_second);

}  // namespace recoverysim
