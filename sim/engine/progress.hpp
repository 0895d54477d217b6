// Progress of long runs on stderr: share done, rate in agent-days per second, and time left.
// On a terminal a bar redrawn at most ten times a second; otherwise (a batch job's log) one
// line a minute.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace recoverysim {

class Progress {
 public:
  // `enabled` false (e.g. --quiet) silences it.
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
  bool terminal_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1:05:03", "4:07", "0:09"
std::string format_duration(double seconds);
// 12345678 -> "12.3 M"
std::string format_rate(double per_second);

}  // namespace recoverysim
