// How much memory this process may use: the least of the memory the machine has available, the
// limit of the control group it runs in (cgroup v1 or v2, as Slurm, Docker and systemd set
// them) and the memory a Slurm job was given, each named for messages.
#pragma once

#include <string>

namespace recoverysim {

struct MemoryLimit {
  double bytes = 0.0;
  std::string source;  // "available on this machine (MemAvailable)", "cgroup limit (/sys/...)", ...
};

MemoryLimit memory_limit();

}  // namespace recoverysim
