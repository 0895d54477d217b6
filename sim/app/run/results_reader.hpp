// Every results file the program reads is checked here before anything is read from it: a
// results file (summarize, compare, recommend, export, scenario, a search's file), a shard's
// part (merge) and a finished unit of the staging directory (--resume, search). The checks:
// HDF5, the format name and a version this build knows (newer ones are refused), the stored
// scenario, whole or part as expected (a part is not a whole file, a whole file holds every
// task), and every dataset the file's own scenario implies: present, numeric, and of the shape
// its replicates, days and agents give (in a part, for each of its units). A mismatch is an InputError naming the file
// and the dataset: exit 2, never a wrong number.
#pragma once

#include "analysis/statistics.hpp"
#include "h5.hpp"
#include "scenario.hpp"
#include "tasks.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace recoverysim {

// The oldest format this build reads. Files before 7 hold the results of model version 1: their
// scenario has keys version 2 retired and they lack its datasets (deaths by cause, age and
// sex), so they are refused with the advice to run the scenario again.
inline constexpr std::int64_t oldest_readable_format = 9;

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

// What the readers use besides the datasets the scenario implies, checked by open_results:
// /arms (a part's /units), /tasks and /uncertain_parameters hold only groups and datasets, each
// once (no soft, external or repeated hard links); every dataset of an arm or unit (but an
// arm's summary and event record) is numeric with one row per replicate, as merge copies them;
// the attributes the commands read are of their type (the `labels` of the count tables one
// per column); each arm's group is that arm's (its `sweep_base`, `sweep_paths` and
// `sweep_values` agree with the scenario); a part has the `seed`, `software_version` and
// `build` merge reads. Throws InputError naming `file` and the object.
void check_results_structure(const h5::Group& root, const Scenario& scenario, std::int64_t version, bool part,
                             const std::string& file);

// What a shard's part holds in its `units` (once check_part_units has checked their layout)
// that the readers of the merged file check as they read them (below): merge copies it
// unread, so it is checked here, where the part can be named. Each unit's sweep labels are its
// arm's (merge takes them from the units), its counts, metrics and outcomes as their readers
// check them, its events' replicates the unit's own and in order (merge finds them by
// bisection). Throws InputError naming `file`, the dataset and the element.
void check_part_values(const h5::Group& root, const Scenario& scenario, const std::vector<PartUnit>& units,
                       std::int64_t version, const std::string& file);

// What the counts of a dataset are, for check_counts_read.
enum class CountKind {
  plain,        // state_counts, treatment_counts, a rate's events and person-days
  by_day,       // an event table [R, P, day, (entered, censored, each cause)]: on no day do more
                // people leave follow-up (censored, or with an event) than are at risk then
  of_followed,  // [R, P, row, (people, then counts of them)]: each count at most the people
};
// The kind of the counts of /arms/<arm>/tables/<definition>/<name> (event_table or counts).
CountKind count_kind(const recovery::OutcomeDefinition& definition, const std::string& name);

// Values just read from `dataset` of a results file, checked against what they can be: counts
// (the count tables, state_counts, treatment_counts) are from 0 to `most` (the run's
// agent-days bound every count: people, events or person-days), and consistent as `kind`
// says; a module's daily metric and a per-replicate outcome lie within `bounds` (an outcome
// may be NaN: a cohort with no one to measure). The datasets that can be large are checked
// where they are read, not when the file is opened. `first_row`: the row the values start at,
// when they are not the whole dataset. Throws InputError naming the file, the dataset and the
// element: a wrong value is never turned into a plausible number.
void check_counts_read(const h5::Dataset& dataset, std::span<const std::int64_t> counts, std::int64_t most,
                       CountKind kind = CountKind::plain, hsize_t first_row = 0);
void check_values_read(const h5::Dataset& dataset, std::span<const double> values, analysis::Bounds bounds,
                       bool nan_allowed, hsize_t first_row = 0);

// Values just read from rows [first_row, ...) of an event record's `replicate`, `agent` or `day`:
// indices into the run's replicates, agents or days, from `begin` to `end` - 1. Throws
// InputError naming the file, the dataset and the row.
void check_indices_read(const h5::Dataset& dataset, std::span<const std::int64_t> values, std::int64_t begin,
                        std::int64_t end, hsize_t first_row = 0);

// Every dataset under `group` with its stored type ("arms/a/agents/severity" -> "float32"): two
// files to be joined must agree on them.
std::map<std::string, std::string> dataset_types(const h5::Group& group);

}  // namespace recoverysim
