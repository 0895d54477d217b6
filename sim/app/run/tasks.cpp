// Work units and their staging directory (see tasks.hpp).
#include "tasks.hpp"

#include "safe_files.hpp"

#include "errors.hpp"
#include "version.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace recoverysim {

namespace fs = std::filesystem;

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  Shard shard;
  shard.part = true;
  auto number = [&](std::string_view digits, std::int64_t& out) {
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size() && !digits.empty();
  };
  const std::string_view all(text);
  if (slash == std::string::npos || !number(all.substr(0, slash), shard.index) ||
      !number(all.substr(slash + 1), shard.count) || shard.count < 1 || shard.index < 1 || shard.index > shard.count)
    throw InputError({"--shard " + text, 0, 0}, "expected I/N with 1 <= I <= N (the I-th of N shards, e.g. 3/8)");
  return shard;
}

std::int64_t replicates_per_unit(std::int64_t agents, std::int64_t days, std::int64_t replicates, std::int64_t arms) {
  constexpr double least_agent_days = 2e7, most_agent_days = 2e8;
  constexpr std::int64_t units_to_share = 256;
  const double per_replicate = std::max(1.0, static_cast<double>(agents) * static_cast<double>(days));
  const auto least = static_cast<std::int64_t>(std::ceil(least_agent_days / per_replicate));
  const auto most = std::max<std::int64_t>(1, static_cast<std::int64_t>(most_agent_days / per_replicate));
  const std::int64_t for_sharing = (replicates * arms + units_to_share - 1) / units_to_share;
  return std::clamp<std::int64_t>(std::clamp(for_sharing, std::min(least, most), most), 1, replicates);
}

std::vector<WorkUnit> plan_units(const Scenario& scenario) {
  const std::int64_t R = scenario.run.replicates;
  const auto A = static_cast<std::int64_t>(scenario.arms.size());
  std::int64_t k = replicates_per_unit(scenario.model.population.size, scenario.run.days, R, A);
  // Test-only (docs/testing.md): many small units from a small scenario, for tests of big merges
  // and resumption. Units never change the results, only how the work is split.
  if (const char* forced = std::getenv("RECOVERYSIM_UNIT_REPLICATES"); forced && *forced)
    k = std::clamp<std::int64_t>(std::atoll(forced), 1, std::max<std::int64_t>(R, 1));
  std::vector<WorkUnit> units;
  for (std::int64_t r = 0; r < R; r += k)
    for (std::size_t a = 0; a < scenario.arms.size(); ++a) units.push_back({a, r, std::min(k, R - r)});
  return units;
}

std::vector<std::size_t> shard_units(std::size_t units, const Shard& shard) {
  std::vector<std::size_t> mine;
  for (auto u = static_cast<std::size_t>(shard.index - 1); u < units; u += static_cast<std::size_t>(shard.count))
    mine.push_back(u);
  return mine;
}

namespace {

// What a staging directory belongs to: the software and the resolved scenario (seed included).
std::string manifest_text(const std::string& resolved_yaml) {
  return "# recoverysim " + std::string(software_version) + "\n" + resolved_yaml;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string first_difference(const std::string& before, const std::string& now) {
  std::istringstream sa(before), sb(now);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(sa, la)), more_b = static_cast<bool>(std::getline(sb, lb));
    if (!more_a && !more_b) return "identical";
    if (!more_a || !more_b || la != lb)
      return "line " + std::to_string(line) + ": '" + (more_a ? la : "(end)") + "' against '" +
             (more_b ? lb : "(end)") + "'";
  }
}

namespace {

int open_lock_file(const std::string& directory) {
  const std::string path = (fs::path(directory) / "lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  return fd;
}

// flock(2) that retries when a signal interrupts it; false when another process holds the lock.
bool try_lock(int fd, int operation, const std::string& directory) {
  for (;;) {
    if (::flock(fd, operation | LOCK_NB) == 0) return true;
    if (errno == EWOULDBLOCK) return false;
    // No locking on this file system (some network file systems): run unprotected.
    if (errno == ENOLCK || errno == ENOSYS || errno == EOPNOTSUPP) return true;
    if (errno != EINTR) throw std::runtime_error("cannot lock " + directory + "/lock: " + std::strerror(errno));
  }
}

}  // namespace

StagingLock StagingLock::claim(const std::string& directory, const std::string& output_path) {
  StagingLock lock(open_lock_file(directory));
  // Exclusive for a moment, to learn that no other process holds it, then shared like the
  // other processes of this run. Between the two another claim may slip in; then both fail.
  if (!try_lock(lock.fd_, LOCK_EX, directory) || !try_lock(lock.fd_, LOCK_SH, directory))
    throw InputError({output_path, 0, 0},
                     "another run is writing to " + directory +
                         " (or the processes of one that was stopped are still ending): let it finish, or stop it "
                         "and try again");
  return lock;
}

StagingLock StagingLock::share(const std::string& directory) {
  StagingLock lock(open_lock_file(directory));
  if (!try_lock(lock.fd_, LOCK_SH, directory))
    throw std::runtime_error("cannot share the lock on " + directory + ": another run holds it");
  return lock;
}

StagingLock& StagingLock::operator=(StagingLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

StagingLock::~StagingLock() {
  if (fd_ >= 0) ::close(fd_);
}

UnitStore::UnitStore(const std::string& output_path, const std::string& resolved_yaml, bool resume)
    : directory_(directory_of(output_path)) {
  const std::string manifest = manifest_text(resolved_yaml);
  const fs::path dir(directory_), manifest_path = dir / "run.yaml";
  const bool created = create_own_directory(directory_, output_path);
  lock_ = StagingLock::claim(directory_, output_path);
  if (!created) {
    if (!resume)
      throw InputError({output_path, 0, 0},
                       "an earlier run of this output was interrupted and kept its finished work in " + directory_ +
                           ": add --resume to continue it, or delete that directory to start again");
    // Files that were being written when the run stopped are incomplete: discard them. (The
    // lock says no process is writing them still.)
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().extension() == ".partial") fs::remove(entry.path());
    std::error_code ec;
    const bool has_units = std::any_of(fs::directory_iterator(dir, ec), fs::directory_iterator(), [](const auto& e) {
      return e.path().filename().string().rfind("unit-", 0) == 0;
    });
    // A run stopped before its run.yaml was in place has finished nothing: start it afresh.
    if (fs::exists(manifest_path) || has_units) {
      const std::string before = read_text(manifest_path);
      if (before != manifest)
        throw InputError({output_path, 0, 0}, "cannot resume: " + directory_ +
                                                  " belongs to a different scenario, seed, --set or version (" +
                                                  (before.empty() ? std::string("its run.yaml is missing")
                                                                  : first_difference(before, manifest)) +
                                                  "); delete it to start again");
      discard_damaged_units();
      return;
    }
  }
  fault_point("manifest-written");
  write_file_durably(manifest_path.string(), manifest);
}

void UnitStore::discard_damaged_units() {
  std::vector<fs::path> units;
  for (const auto& entry : fs::directory_iterator(directory_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("unit-", 0) == 0 && entry.path().extension() == ".h5") units.push_back(entry.path());
  }
  std::sort(units.begin(), units.end());
  for (const auto& unit : units) {
    std::string why;
    const std::string sum = checksum_path(unit.string());
    if (checksum_matches(unit.string(), sum, why)) continue;
    discarded_.push_back(unit.filename().string() + ": " + why);
    fs::remove(unit);
    fs::remove(sum);
  }
}

std::string UnitStore::unit_path(const std::string& directory, const WorkUnit& unit) {
  return (fs::path(directory) /
          ("unit-" + std::to_string(unit.arm) + "-" + std::to_string(unit.first_replicate) + ".h5"))
      .string();
}

std::string UnitStore::checksum_path(const std::string& unit_path) {
  return fs::path(unit_path).replace_extension(".sum").string();
}

bool UnitStore::finished(const WorkUnit& unit) const {
  std::error_code ec;
  return fs::exists(unit_path(unit), ec);
}

void UnitStore::remove() { fs::remove_all(directory_); }

}  // namespace recoverysim
