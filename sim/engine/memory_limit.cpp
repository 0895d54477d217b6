// The memory this process may use (see memory_limit.hpp).
#include "memory_limit.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace recoverysim {

namespace {

namespace fs = std::filesystem;

// A limit file's value in bytes; 0 when absent, unreadable or unlimited ("max", or the huge
// value cgroup v1 shows for no limit).
double read_limit(const fs::path& file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text == "max") return 0.0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value <= 0.0 || value >= 9e18) return 0.0;
  return value;
}

void consider(MemoryLimit& limit, double bytes, const std::string& source) {
  if (bytes > 0.0 && (limit.bytes <= 0.0 || bytes < limit.bytes)) limit = {bytes, source};
}

// The limits of the control groups of this process and of their parents: cgroup v2's
// memory.max (the unified hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified) and cgroup
// v1's memory.limit_in_bytes.
void cgroup_limits(MemoryLimit& limit) {
  std::ifstream self("/proc/self/cgroup");
  std::string line;
  while (std::getline(self, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const fs::path path = fs::path(line.substr(second + 1)).relative_path();
    std::vector<std::pair<fs::path, std::string>> roots;
    if (controllers.empty()) {
      roots = {{"/sys/fs/cgroup", "memory.max"}, {"/sys/fs/cgroup/unified", "memory.max"}};
    } else {
      std::istringstream names(controllers);
      for (std::string name; std::getline(names, name, ',');)
        if (name == "memory") roots = {{"/sys/fs/cgroup/memory", "memory.limit_in_bytes"}};
    }
    for (const auto& [root, file] : roots) {
      std::error_code ec;
      if (!fs::exists(root / file, ec) && !fs::exists(root / path / file, ec)) continue;
      for (fs::path at = path;; at = at.parent_path()) {
        const fs::path limit_file = root / at / file;
        consider(limit, read_limit(limit_file), "memory limit of its control group (" + limit_file.string() + ")");
        if (at.empty() || at == at.parent_path()) break;
      }
    }
  }
}

double megabytes_from_environment(const char* name) {
  const char* text = std::getenv(name);
  if (!text || !*text) return 0.0;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  return end != text && value > 0.0 ? value * 1024.0 * 1024.0 : 0.0;
}

}  // namespace

MemoryLimit memory_limit() {
  MemoryLimit limit;
  {
    std::ifstream meminfo("/proc/meminfo");
    std::string key, unit;
    double kilobytes = 0;
    while (meminfo >> key >> kilobytes >> unit)
      if (key == "MemAvailable:") consider(limit, kilobytes * 1024.0, "memory available on this machine");
    if (limit.bytes <= 0.0)
      consider(limit, static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE)),
               "memory of this machine");
  }
  cgroup_limits(limit);
  // Slurm's --mem and --mem-per-cpu, for clusters that do not enforce them with control groups.
  consider(limit, megabytes_from_environment("SLURM_MEM_PER_NODE"), "memory of this Slurm job (SLURM_MEM_PER_NODE)");
  if (const double per_cpu = megabytes_from_environment("SLURM_MEM_PER_CPU"); per_cpu > 0.0) {
    const char* cpus = std::getenv("SLURM_CPUS_PER_TASK");
    const double n = cpus && std::atof(cpus) > 0 ? std::atof(cpus) : 1.0;
    consider(limit, per_cpu * n, "memory of this Slurm task (SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK)");
  }
  return limit;
}

}  // namespace recoverysim
