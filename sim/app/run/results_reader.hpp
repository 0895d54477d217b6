// Every results file the program reads is checked here before anything is read from it: a
// results file (summarize, compare, recommend, export, scenario, a search's file), a shard's
// part (merge) and a finished unit of the staging directory (--resume, search). The checks:
// HDF5, the format name and a version this build knows (newer ones are refused), the stored
// scenario, whole or part as expected (a part is not a whole file, a whole file holds every
// task), and every dataset the file's own scenario implies: present, numeric, and of the shape
// its replicates, days and agents give (in a part, for each of its units). A mismatch is an InputError naming the file and the
// dataset: exit 2, never a wrong number.
#pragma once

#include "h5.hpp"
#include "scenario.hpp"
#include "tasks.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace recoverysim {

// The oldest format this build reads (the analysis computes from the count tables of 4 on).
inline constexpr std::int64_t oldest_readable_format = 4;

enum class ResultsKind {
  whole,  // a results file: every task present, no `shard` attribute
  part,   // a shard's part for merge
};

// A unit held by a shard's part, and its group there (units/unit-<arm>-<first replicate>).
struct PartUnit {
  std::string group;
  WorkUnit unit;
};

struct OpenedResults {
  std::string path;
  h5::File file;
  Scenario scenario;
  std::int64_t format_version = 0;
  std::optional<Shard> shard;   // a part's
  std::vector<PartUnit> units;  // a part's, checked like an arm's datasets
};

// Opens and checks a results file or a part. Throws InputError naming the file (and the dataset).
std::unique_ptr<OpenedResults> open_results(const std::string& path, ResultsKind kind);

// Checks the datasets of the arms of `scenario` under `root` (all arms, or only `arm`) against
// what the scenario implies, with `rows` replicate rows. Throws InputError naming `file` and
// the dataset.
void check_results_layout(const h5::Group& root, const Scenario& scenario, std::int64_t rows, const std::string& file,
                          const Arm* arm = nullptr);

// Every dataset under `group` with its stored type ("arms/a/agents/severity" -> "float32"): two
// files to be joined must agree on them.
std::map<std::string, std::string> dataset_types(const h5::Group& group);

}  // namespace recoverysim
