// Progress: a bar on a terminal, a plain line a minute in a log (batch jobs).
#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace recoverysim {

Progress::Progress(std::int64_t total_agent_days, bool enabled)
    : total_(total_agent_days > 0 ? total_agent_days : 1),
      enabled_(enabled),
      terminal_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(std::int64_t agent_days, const std::string& label) {
  done_ += agent_days;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(60'000);
  if (now - last_draw_ < interval && (done_ < total_ || !terminal_)) return;
  last_draw_ = now;
  draw(label);
}

void Progress::draw(const std::string& label) {
  constexpr int width = 30;
  const double share = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double left = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0.0;
  if (!terminal_) {
    std::fprintf(stderr, "progress: %.0f%% (%s), %s agent-days/s, %s left\n", share * 100.0, label.c_str(),
                 format_rate(rate).c_str(), format_duration(left).c_str());
    std::fflush(stderr);
    return;
  }
  const int filled = static_cast<int>(share * width);
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < width) bar += '>' + std::string(static_cast<std::size_t>(width - filled - 1), ' ');
  std::fprintf(stderr, "\r\033[K%s [%s] %3.0f%%  %s agent-days/s  %s left", label.c_str(), bar.c_str(), share * 100.0,
               format_rate(rate).c_str(), format_duration(left).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char buffer[32];
  if (s >= 3600) std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buffer, sizeof buffer, "%lld:%02lld", s / 60, s % 60);
  return buffer;
}

std::string format_rate(double per_second) {
  char buffer[32];
  if (per_second >= 1e9) std::snprintf(buffer, sizeof buffer, "%.2f G", per_second / 1e9);
  else if (per_second >= 1e6) std::snprintf(buffer, sizeof buffer, "%.1f M", per_second / 1e6);
  else if (per_second >= 1e3) std::snprintf(buffer, sizeof buffer, "%.1f k", per_second / 1e3);
  else std::snprintf(buffer, sizeof buffer, "%.0f", per_second);
  return buffer;
}

}  // namespace recoverysim
