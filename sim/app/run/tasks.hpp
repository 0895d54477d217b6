// A run as a list of work units, and the directory where finished units wait until the
// results file is assembled.
//
// A task is one replicate of one arm; its results depend only on the seed, the arm and the
// replicate, never on where or in what order it runs. Tasks are grouped into units (one arm,
// a few consecutive replicates) so that each unit is worth writing to disk on its own. A
// unit's results go to the staging directory `<output>.partial.d/` as a small HDF5 file,
// renamed into place only when complete: a run killed at any moment keeps every finished unit
// and `--resume` runs only the others. The results file is assembled from the units at the
// end, so a single process, MPI ranks and array shards all write the same datasets.
#pragma once

#include "scenario.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace recoverysim {

struct WorkUnit {
  std::size_t arm = 0;
  std::int64_t first_replicate = 0;
  std::int64_t replicates = 0;
};

// The shard of a job array: `index` of `count`, counted from 1 (`--shard 3/8`). A run given
// any --shard, 1/1 included, writes a part for `merge`; otherwise it is the whole run.
struct Shard {
  std::int64_t index = 1;
  std::int64_t count = 1;
  bool part = false;
  bool whole() const { return !part; }
  std::string to_string() const { return std::to_string(index) + "/" + std::to_string(count); }
};
// Parses "I/N" with 1 <= I <= N. Throws InputError.
Shard parse_shard(const std::string& text);

// Replicates per unit for a scenario: units of at least ~2e7 agent-days (so writing one is
// cheap next to computing it) and at most ~2e8 (so a killed run loses little), and otherwise
// small enough to give ~256 units to share between processes. Depends only on the scenario.
std::int64_t replicates_per_unit(std::int64_t agents, std::int64_t days, std::int64_t replicates, std::int64_t arms);

// Every unit of a scenario, replicate blocks in order and the arms within each block.
std::vector<WorkUnit> plan_units(const Scenario& scenario);
// The units of one shard: every count-th unit, starting at index - 1.
std::vector<std::size_t> shard_units(std::size_t units, const Shard& shard);

// Where two resolved scenarios first differ ("line 12: 'seed: 1' against 'seed: 2'"), for
// messages about runs that do not belong together.
std::string first_difference(const std::string& before, const std::string& now);

// A lock on a staging directory (its file `lock`), held by every process of a run while it
// runs. A second run on the same output, or one started while processes of a killed run are
// still ending (MPI ranks outlive their launcher by a moment), is refused instead of clashing
// over unit files. Where the file system has no flock(2), nothing is locked.
class StagingLock {
 public:
  StagingLock() = default;
  // For the process that sets the run up: throws InputError if any process holds the lock,
  // then holds it shared, as the run's other processes do.
  static StagingLock claim(const std::string& directory, const std::string& output_path);
  // For the run's other processes (MPI ranks other than 0), once the first has claimed it.
  static StagingLock share(const std::string& directory);
  StagingLock(StagingLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  StagingLock& operator=(StagingLock&& other) noexcept;
  ~StagingLock();

 private:
  explicit StagingLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The staging directory of a results file. It holds `run.yaml` (the resolved scenario it
// belongs to), `lock` (see StagingLock) and, per finished unit, `unit-<arm>-<first
// replicate>.h5` with its checksum in `unit-<arm>-<first replicate>.sum`. Every file is written
// under a temporary name, synced to disk and renamed, the checksum before the unit.
class UnitStore {
 public:
  // Opens `<output>.partial.d/` and claims its lock. An existing directory is reused only with
  // `resume`, when no other process holds its lock, and only when it belongs to the same
  // resolved scenario; otherwise throws InputError saying what to do. On resuming, every
  // finished unit is checked against its checksum; a damaged one is deleted, to be run again,
  // and listed in discarded().
  UnitStore(const std::string& output_path, const std::string& resolved_yaml, bool resume);
  // Units found damaged on resuming, each with the reason ("unit-0-8.h5: its contents differ ...").
  const std::vector<std::string>& discarded() const { return discarded_; }

  const std::string& directory() const { return directory_; }
  std::string unit_path(const WorkUnit& unit) const { return unit_path(directory_, unit); }
  // The staging directory of an output, and a unit's file there.
  static std::string directory_of(const std::string& output_path) { return output_path + ".partial.d"; }
  static std::string unit_path(const std::string& directory, const WorkUnit& unit);
  // Where the checksum of the unit file at `unit_path` is kept.
  static std::string checksum_path(const std::string& unit_path);
  bool finished(const WorkUnit& unit) const;
  // Deletes the directory, once the results file is in place.
  void remove();

 private:
  void discard_damaged_units();
  std::string directory_;
  StagingLock lock_;
  std::vector<std::string> discarded_;
};

}  // namespace recoverysim
