// The checks of results files before they are read (see results_reader.hpp).
#include "results_reader.hpp"

#include "errors.hpp"
#include "results_file.hpp"

#include "models/recovery/outcomes.hpp"
#include "models/recovery/states.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>

namespace recoverysim {

namespace {

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (std::size_t k = 0; k < dims.size(); ++k) s += (k ? ", " : "") + std::to_string(dims[k]);
  return s + "]";
}

bool numeric(const std::string& type) {
  return type.rfind("int", 0) == 0 || type.rfind("uint", 0) == 0 || type.rfind("float", 0) == 0;
}

// One arm's datasets, checked one by one; each message names the file and the dataset.
class ArmCheck {
 public:
  // The arm's group at `at` (arms/<arm>, or a unit's group in a part).
  ArmCheck(const h5::Group& root, const std::string& at, const std::string& file) : file_(file), prefix_(at + "/") {
    if (!root.exists(at)) throw InputError({file, 0, 0}, "/" + at + ": missing (the file's scenario has this arm)");
    try {
      group_ = root.open_group(at);
    } catch (const h5::Error&) {
      throw InputError({file, 0, 0}, "/" + at + ": not a group");
    }
  }

  // A dataset that must exist, be numeric and have exactly `dims`.
  void shape(const std::string& name, const std::vector<hsize_t>& dims) {
    const h5::Dataset d = open(name);
    if (d.dims() != dims) fail(name, "shape " + shape_text(d.dims()) + ", expected " + shape_text(dims));
  }
  // The same, where only the rank and the leading dimensions are known.
  void leading(const std::string& name, std::size_t rank, const std::vector<hsize_t>& first) {
    const h5::Dataset d = open(name);
    const auto dims = d.dims();
    bool ok = dims.size() == rank;
    for (std::size_t k = 0; ok && k < first.size(); ++k) ok = dims[k] == first[k];
    if (!ok)
      fail(name, "shape " + shape_text(dims) + ", expected " + std::to_string(rank) + " dimensions starting " +
                     shape_text(first));
  }
  // Every dataset present in a subgroup, numeric and of `dims`.
  void each_in(const std::string& subgroup, const std::vector<hsize_t>& dims) {
    if (!group_.exists(subgroup)) return;
    for (const auto& [name, is_group] : group_.open_group(subgroup).members())
      if (!is_group) shape(subgroup + "/" + name, dims);
  }
  bool exists(const std::string& name) const { return group_.exists(name); }
  const h5::Group& group() const { return group_; }
  [[noreturn]] void fail(const std::string& name, const std::string& what) const {
    throw InputError({file_, 0, 0}, "/" + prefix_ + name + ": " + what + " (a damaged or altered file?)");
  }

 private:
  h5::Dataset open(const std::string& name) {
    if (!group_.exists(name)) fail(name, "missing");
    h5::Dataset d;
    try {
      d = group_.open_dataset(name);
    } catch (const h5::Error&) {
      fail(name, "not a dataset");
    }
    const std::string type = d.type_name();
    if (!numeric(type)) fail(name, "stored as " + type + ", expected numbers");
    return d;
  }
  std::string file_, prefix_;
  h5::Group group_;
};

void check_arm(const h5::Group& root, const std::string& arm_at, const Scenario& scenario, const Arm& arm,
               std::int64_t rows, const std::string& file) {
  ArmCheck c(root, arm_at, file);
  const auto R = static_cast<hsize_t>(rows), T = static_cast<hsize_t>(scenario.run.days),
             N = static_cast<hsize_t>(scenario.model.population.size);
  c.shape("state_counts", {R, T, recovery::clinical_state_count});
  c.shape("treatment_counts", {R, T, recovery::treatment_status_count});
  c.shape("treatment_cost", {R, T});
  for (const auto& name : core_agent_column_names()) c.shape("agents/" + name, {R, N});
  c.each_in("agents", {R, N});
  const recovery::ObservationPlan plan = scenario.observation_plan(arm);
  for (const auto& name : recovery::replicate_outcome_names(plan)) c.shape("outcomes/" + name, {R});
  const auto P = static_cast<hsize_t>(std::max<std::size_t>(plan.periods, 1));
  for (const auto& d : plan.definitions) {
    const std::string at = "tables/" + d.name;
    using recovery::OutcomeStatistic;
    if (d.statistic == OutcomeStatistic::ratio || d.statistic == OutcomeStatistic::difference) continue;
    if (d.statistic == OutcomeStatistic::cumulative_incidence)
      c.shape(at + "/event_table", {R, P, T, 2 + d.causes.size()});
    // The counts' rows are the days (or a rate's categories), their columns the kinds counted.
    hsize_t count_rows = d.days.size(), columns = 2;
    if (d.statistic == OutcomeStatistic::cumulative_incidence) columns = 1 + d.cause_names.size();
    if (d.statistic == OutcomeStatistic::rate) {
      const auto suffixes = recovery::rate_category_suffixes(d);
      count_rows = suffixes.size() > 1 ? suffixes.size() - 1 : 1;
    }
    if (count_rows > 0) c.shape(at + "/counts", {R, P, count_rows, columns});
  }
  for (const auto& m : arm.interventions)
    for (const auto& metric : m.module->metric_names()) c.shape("modules/" + m.type + "/daily/" + metric, {R, T});
  if (scenario.run.output_trajectories) c.shape("trajectories/state", {R, N, T});
  if (scenario.run.output_events) {
    std::vector<hsize_t> length;
    for (const char* name : {"replicate", "agent", "day", "code", "detail"}) {
      c.leading(std::string("events/") + name, 1, {});
      const auto dims = c.group().open_dataset(std::string("events/") + name).dims();
      if (!length.empty() && dims != length)
        c.fail(std::string("events/") + name, "a different length from events/replicate");
      length = dims;
    }
    c.leading("events/codes", 1, {});
  }
}

std::int64_t integer_attribute_or(const h5::Group& g, const std::string& name, std::int64_t fallback) {
  try {
    return g.integer_attribute(name);
  } catch (const h5::Error&) {
    return fallback;
  }
}

// A part's units: /units/unit-<arm>-<first replicate>, each an arm's group for its replicates,
// together holding exactly the tasks /tasks/complete lists.
std::vector<PartUnit> check_part_units(const h5::Group& root, const Scenario& scenario,
                                       const std::vector<std::uint8_t>& held, const std::string& path) {
  if (!root.exists("units")) throw InputError({path, 0, 0}, "/units: missing (the part's work units)");
  const h5::Group units = root.open_group("units");
  const std::int64_t R = scenario.run.replicates;
  std::vector<std::uint8_t> covered(held.size(), 0);
  std::vector<PartUnit> out;
  try {
    for (const auto& [name, is_group] : units.members()) {
      const std::string at = "units/" + name;
      const auto bad = [&](const std::string& what) {
        return InputError({path, 0, 0}, "/" + at + ": " + what + " (a damaged or altered file?)");
      };
      if (!is_group) throw bad("not a group");
      const h5::Group g = units.open_group(name);
      if (!g.has_attribute("arm") || !g.has_attribute("first_replicate") || !g.has_attribute("replicates"))
        throw bad("expected attributes arm, first_replicate and replicates");
      const std::string arm_name = g.string_attribute("arm");
      const auto arm =
          std::find_if(scenario.arms.begin(), scenario.arms.end(), [&](const Arm& a) { return a.name == arm_name; });
      if (arm == scenario.arms.end()) throw bad("arm '" + arm_name + "' is not an arm of the part's scenario");
      PartUnit unit{at,
                    {static_cast<std::size_t>(arm - scenario.arms.begin()), g.integer_attribute("first_replicate"),
                     g.integer_attribute("replicates")}};
      const WorkUnit& u = unit.unit;
      if (u.first_replicate < 0 || u.replicates < 1 || u.replicates > R - u.first_replicate)
        throw bad("replicates " + std::to_string(u.first_replicate) + " + " + std::to_string(u.replicates) +
                  " outside the scenario's " + std::to_string(R));
      if (name != "unit-" + std::to_string(u.arm) + "-" + std::to_string(u.first_replicate))
        throw bad("its name does not match its attributes");
      for (std::int64_t r = u.first_replicate; r < u.first_replicate + u.replicates; ++r) {
        auto& c = covered[u.arm * static_cast<std::size_t>(R) + static_cast<std::size_t>(r)];
        if (c) throw bad("replicate " + std::to_string(r + 1) + " of arm '" + arm_name + "' is also in another unit");
        c = 1;
      }
      check_arm(root, at, scenario, *arm, u.replicates, path);
      out.push_back(std::move(unit));
    }
  } catch (const h5::Error& e) {
    throw InputError({path, 0, 0}, std::string("unreadable: ") + e.what());
  }
  if (covered != held)
    throw InputError({path, 0, 0}, "/units: its units do not hold exactly the tasks /tasks/complete lists");
  return out;
}

}  // namespace

void check_results_layout(const h5::Group& root, const Scenario& scenario, std::int64_t rows, const std::string& file,
                          const Arm* arm) {
  try {
    if (arm) {
      check_arm(root, "arms/" + arm->name, scenario, *arm, rows, file);
      return;
    }
    for (const auto& a : scenario.arms) check_arm(root, "arms/" + a.name, scenario, a, rows, file);
  } catch (const h5::Error& e) {
    throw InputError({file, 0, 0}, std::string("unreadable: ") + e.what());
  }
}

std::unique_ptr<OpenedResults> open_results(const std::string& path, ResultsKind kind) {
  auto opened = std::make_unique<OpenedResults>();
  opened->path = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError({path, 0, 0}, "no such file");
  if (std::filesystem::is_directory(path, ec))
    throw InputError({path, 0, 0}, "is a directory, expected a results file");
  try {
    opened->file = h5::File::open_read_only(path);
  } catch (const h5::Error&) {
    throw InputError({path, 0, 0}, "not an HDF5 file (or truncated or unreadable)");
  }
  const h5::Group& root = opened->file.root();
  try {
    if (!root.has_attribute("format") || root.string_attribute("format") != "recoverysim" ||
        !root.has_attribute("scenario_yaml"))
      throw InputError({path, 0, 0}, "not a recoverysim results file (no `format: recoverysim` and `scenario_yaml`)");
    const std::int64_t version = integer_attribute_or(root, "format_version", -1);
    if (version > format_version)
      throw InputError({path, 0, 0}, "written by a newer recoverysim (format_version " + std::to_string(version) +
                                         "); this one reads versions " + std::to_string(oldest_readable_format) +
                                         " to " + std::to_string(format_version) + ": use the newer recoverysim");
    if (version < oldest_readable_format)
      throw InputError({path, 0, 0}, "format_version " +
                                         (version < 0 ? std::string("missing") : std::to_string(version)) +
                                         ": this recoverysim reads versions " + std::to_string(oldest_readable_format) +
                                         " to " + std::to_string(format_version) + "; run the scenario again");
    opened->format_version = version;
    opened->scenario.load_text(root.string_attribute("scenario_yaml"), path + ":/scenario_yaml");
  } catch (const h5::Error& e) {
    throw InputError({path, 0, 0}, std::string("unreadable attributes: ") + e.what());
  }
  const Scenario& scenario = opened->scenario;
  if (root.has_attribute("shard")) {
    try {
      opened->shard = parse_shard(root.string_attribute("shard"));
    } catch (const std::exception&) {  // not text (h5::Error) or not I/N (InputError)
      throw InputError({path, 0, 0}, "its `shard` attribute is not I/N");
    }
    if (kind == ResultsKind::whole)
      throw InputError({path, 0, 0}, "the part " + opened->shard->to_string() +
                                         " of a sharded run, not a results file: "
                                         "merge every part first (recoverysim merge PARTS... -o FILE)");
  } else if (kind == ResultsKind::part) {
    throw InputError({path, 0, 0}, "a whole results file, not the part of a sharded run (`run --shard I/N`)");
  }

  check_results_structure(root, scenario, opened->format_version, kind == ResultsKind::part, path);

  // Which tasks the file holds: a results file holds them all.
  const auto A = static_cast<hsize_t>(scenario.arms.size()), R = static_cast<hsize_t>(scenario.run.replicates);
  if (!root.exists("tasks/complete"))
    throw InputError({path, 0, 0}, "/tasks/complete: missing (which tasks the file holds)");
  const h5::Dataset tasks = root.open_dataset("tasks/complete");
  if (tasks.dims() != std::vector<hsize_t>{A, R})
    throw InputError({path, 0, 0}, "/tasks/complete: shape " + shape_text(tasks.dims()) + ", expected " +
                                       shape_text({A, R}) + " (arms x replicates of its scenario)");
  if (kind == ResultsKind::whole) {
    const auto held = tasks.read_all<std::uint8_t>();
    const auto missing = std::count(held.begin(), held.end(), std::uint8_t{0});
    if (missing > 0)
      throw InputError({path, 0, 0}, "incomplete: " + std::to_string(missing) + " of " + std::to_string(held.size()) +
                                         " tasks (arm x replicate) missing in /tasks/complete");
    for (const auto& u : scenario.uncertain_parameters()) {
      const std::string at = "uncertain_parameters/" + u.path;
      if (!root.exists(at) || root.open_dataset(at).dims() != std::vector<hsize_t>{R})
        throw InputError({path, 0, 0}, "/" + at + ": missing or not of shape [" + std::to_string(R) + "]");
    }
  }
  if (kind == ResultsKind::whole) {
    check_results_layout(root, scenario, scenario.run.replicates, path);
    return opened;
  }
  if (opened->format_version < 6)
    throw InputError({path, 0, 0}, "a part in format_version " + std::to_string(opened->format_version) +
                                       " (parts hold their own units from version 6): run its shard again with this "
                                       "recoverysim");
  opened->units = check_part_units(root, scenario, tasks.read_all<std::uint8_t>(), path);
  check_part_values(root, scenario, opened->units, opened->format_version, path);
  return opened;
}

std::map<std::string, std::string> dataset_types(const h5::Group& group) {
  std::map<std::string, std::string> out;
  const auto visit = [&](auto& self, const h5::Group& g, const std::string& prefix) -> void {
    for (const auto& [name, is_group] : g.members()) {
      if (is_group) self(self, g.open_group(name), prefix + name + "/");
      else out[prefix + name] = g.open_dataset(name).type_name();
    }
  };
  visit(visit, group, "");
  return out;
}

}  // namespace recoverysim

// The checks of what the readers use besides the datasets' shapes, and of the values they read.
namespace recoverysim {

namespace {

// A failure of check_results_structure, at `object` ("/arms/a/agents/x", or an attribute).
[[noreturn]] void refuse(const std::string& file, const std::string& object, const std::string& what) {
  throw InputError({file, 0, 0}, object + ": " + what + " (a damaged or altered file?)");
}

std::string object_path(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

// Every object under a group, walked through its links without following any but hard links,
// each object once: a soft or external link, or an object reached twice (a hard link to it
// elsewhere, or a cycle), is refused, and so is a group where the readers expect datasets.
// Calls `dataset(path, dataset)` for each dataset.
class TreeWalk {
 public:
  TreeWalk(const std::string& file, std::function<void(const std::string&, const h5::Dataset&)> dataset)
      : file_(file), dataset_(std::move(dataset)) {}

  void group(const h5::Group& g, const std::string& path) {
    struct Link {
      std::string name;
      H5L_type_t type;
      haddr_t address;
    };
    std::vector<Link> links;
    const auto collect = [](hid_t, const char* name, const H5L_info_t* info, void* data) -> herr_t {
      static_cast<std::vector<Link>*>(data)->push_back(
          {name, info->type, info->type == H5L_TYPE_HARD ? info->u.address : 0});
      return 0;
    };
    hsize_t index = 0;
    if (H5Literate(g.id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect, &links) < 0) refuse(file_, path, "unreadable");
    for (const Link& link : links) {
      const std::string at = object_path(path, link.name);
      if (link.type != H5L_TYPE_HARD)
        refuse(file_, at,
               std::string(link.type == H5L_TYPE_SOFT ? "a soft link" : "a link to another file") +
                   ", expected a dataset or a group");
      if (!seen_.insert(link.address).second)
        refuse(file_, at, "an object that appears twice in the file (a hard link)");
      H5O_info_t info;
      if (H5Oget_info_by_name2(g.id(), link.name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        refuse(file_, at, "unreadable");
      if (info.type == H5O_TYPE_GROUP && holds_datasets(path)) refuse(file_, at, "a group, expected a dataset");
      if (info.type == H5O_TYPE_GROUP) group(g.open_group(link.name), at);
      else if (info.type == H5O_TYPE_DATASET) dataset_(at, g.open_dataset(link.name));
      else refuse(file_, at, "neither a dataset nor a group");
    }
  }

 private:
  // The groups whose every member the readers open as a dataset.
  static bool holds_datasets(const std::string& path) {
    for (const char* end : {"/agents", "/outcomes", "/daily", "/events", "/trajectories"})
      if (path.ends_with(end) && (path.starts_with("/arms/") || path.starts_with("/units/"))) return true;
    return path == "/tasks" || path == "/uncertain_parameters";
  }

  std::string file_;
  std::function<void(const std::string&, const h5::Dataset&)> dataset_;
  std::set<haddr_t> seen_;
};

std::vector<std::string> string_list(const h5::Dataset& d, const std::string& name, const std::string& file) {
  try {
    return d.string_list_attribute(name);
  } catch (const h5::Error&) {
    refuse(file, d.path(), "its attribute `" + name + "` is not a list of strings");
  }
}

// The sweep labels of an arm's group: `sweep_base` (every group has it) and, on a sweep's
// points, `sweep_paths` and `sweep_values`. Where the scenario labels the arm (format 5 always
// does; a point of a sweep in some files of format 4 is a plain arm there), they must be its.
void check_arm_labels(const h5::Group& g, const Arm& arm, std::int64_t version, const std::string& at,
                      const std::string& file) {
  std::string base;
  std::vector<std::string> paths, values;
  try {
    base = g.string_attribute("sweep_base");
    if (g.has_attribute("sweep_paths") || g.has_attribute("sweep_values")) {
      paths = g.string_list_attribute("sweep_paths");
      values = g.string_list_attribute("sweep_values");
    }
  } catch (const h5::Error&) {
    refuse(file, at, "its attributes sweep_base, sweep_paths and sweep_values are not text, or missing");
  }
  if (paths.size() != values.size()) refuse(file, at, "attributes sweep_paths and sweep_values of different lengths");
  if (arm.sweep_point.empty() && version < 5) return;
  std::vector<std::string> expected_paths, expected_values;
  for (const auto& [path, value] : arm.sweep_point) {
    expected_paths.push_back(path);
    expected_values.push_back(value);
  }
  if (base != arm.sweep_base || paths != expected_paths || values != expected_values) {
    std::string point;
    for (std::size_t k = 0; k < paths.size(); ++k) point += (k ? ", " : " at ") + paths[k] + "=" + values[k];
    refuse(file, at, "labelled as the arm '" + base + "'" + point + ", not as this arm of the file's scenario");
  }
}

// `index`: of the element among those read, which start at row `first_row`.
[[noreturn]] void refuse_value(const h5::Dataset& dataset, hsize_t first_row, std::size_t index,
                               const std::string& value, const std::string& expected) {
  const auto dims = dataset.dims();
  hsize_t row_size = 1;
  for (std::size_t k = 1; k < dims.size(); ++k) row_size *= dims[k];
  auto flat = static_cast<hsize_t>(index) + first_row * row_size;
  std::vector<hsize_t> at(dims.size());
  for (std::size_t k = dims.size(); k-- > 0;) {
    at[k] = dims[k] ? flat % dims[k] : 0;
    flat = dims[k] ? flat / dims[k] : 0;
  }
  throw InputError({h5::file_name(dataset.id()), 0, 0}, dataset.path() + ": " + value + " at " + shape_text(at) +
                                                            ", expected " + expected + " (a damaged or altered file?)");
}

std::string number_text(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

// The values of a part's dataset that a merged file's readers check as they read them
// (check_counts_read with `kind`, or check_values_read with `bounds`), a block of rows (a few
// million values) at a time.
void check_part_dataset(const h5::Dataset& d, const Scenario& scenario, std::optional<CountKind> kind,
                        analysis::Bounds bounds = analysis::Bounds::nonnegative, bool nan_allowed = false) {
  const std::int64_t most = scenario.model.population.size * scenario.run.days;
  const auto dims = d.dims();
  hsize_t row_size = 1;
  for (std::size_t k = 1; k < dims.size(); ++k) row_size *= dims[k];
  const hsize_t block = std::max<hsize_t>(1, (hsize_t{1} << 22) / std::max<hsize_t>(row_size, 1));
  for (hsize_t r = 0; r < dims.at(0); r += block) {
    const hsize_t count = std::min(block, dims[0] - r);
    if (kind) check_counts_read(d, d.read_rows<std::int64_t>(r, count), most, *kind, r);
    else check_values_read(d, d.read_rows<double>(r, count), bounds, nan_allowed, r);
  }
}

// A column of a part's event record (`replicate`, `agent` or `day`), as check_indices_read
// checks it, each from `begin` to `end` - 1, and the replicates in order.
void check_part_events(const h5::Dataset& d, std::int64_t begin, std::int64_t end, bool replicates) {
  const hsize_t n = d.dims().at(0), block = hsize_t{1} << 22;
  std::int64_t previous = begin;
  for (hsize_t first = 0; first < n; first += block) {
    const auto values = d.read_range<std::int64_t>(first, std::min(block, n - first));
    check_indices_read(d, values, begin, end, first);
    if (!replicates) continue;
    for (std::size_t k = 0; k < values.size(); previous = values[k++])
      if (values[k] < previous)
        refuse_value(d, first, k, std::to_string(values[k]) + " after " + std::to_string(previous),
                     "the rows in the order of their replicates");
  }
}

}  // namespace

CountKind count_kind(const recovery::OutcomeDefinition& definition, const std::string& name) {
  using recovery::OutcomeStatistic;
  if (name == "event_table") return CountKind::by_day;
  return definition.statistic == OutcomeStatistic::cumulative_incidence ||
                 definition.statistic == OutcomeStatistic::state_share
             ? CountKind::of_followed
             : CountKind::plain;
}

void check_counts_read(const h5::Dataset& dataset, std::span<const std::int64_t> counts, std::int64_t most,
                       CountKind kind, hsize_t first_row) {
  for (std::size_t k = 0; k < counts.size(); ++k)
    if (counts[k] < 0 || counts[k] > most)
      refuse_value(dataset, first_row, k, std::to_string(counts[k]), "a count from 0 to " + std::to_string(most));
  if (kind == CountKind::plain) return;
  // [R, P, rows, columns] (checked by check_results_layout): tables of rows x columns.
  const auto dims = dataset.dims();
  if (dims.size() != 4 || dims[2] * dims[3] == 0) return;
  const auto rows = static_cast<std::size_t>(dims[2]), width = static_cast<std::size_t>(dims[3]);
  for (std::size_t first = 0; first + rows * width <= counts.size(); first += rows * width) {
    std::int64_t at_risk = 0;
    for (std::size_t row = 0; row < rows; ++row) {
      const std::int64_t* c = counts.data() + first + row * width;
      std::int64_t others = 0;
      for (std::size_t k = 1; k < width; ++k) others += c[k];
      if (kind == CountKind::of_followed && others > c[0])
        refuse_value(dataset, first_row, first + row * width, std::to_string(others) + " counted of them",
                     "at most the " + std::to_string(c[0]) + " people of the first column");
      if (kind == CountKind::by_day) {
        at_risk += c[0];  // entered that day; the other columns leave follow-up
        if (others > at_risk)
          refuse_value(dataset, first_row, first + row * width, std::to_string(others) + " leaving follow-up on a day",
                       "at most the " + std::to_string(at_risk) + " at risk then");
        at_risk -= others;
      }
    }
  }
}

void check_indices_read(const h5::Dataset& dataset, std::span<const std::int64_t> values, std::int64_t begin,
                        std::int64_t end, hsize_t first_row) {
  for (std::size_t k = 0; k < values.size(); ++k)
    if (values[k] < begin || values[k] >= end)
      refuse_value(dataset, first_row, k, std::to_string(values[k]),
                   std::to_string(begin) + " to " + std::to_string(end - 1));
}

void check_values_read(const h5::Dataset& dataset, std::span<const double> values, analysis::Bounds bounds,
                       bool nan_allowed, hsize_t first_row) {
  using analysis::Bounds;
  const double low = bounds == Bounds::none ? -HUGE_VAL : 0.0;
  const double high = bounds == Bounds::unit ? 1.0 : bounds == Bounds::percent ? 100.0 : HUGE_VAL;
  for (std::size_t k = 0; k < values.size(); ++k) {
    const double x = values[k];
    if (std::isnan(x) ? nan_allowed : std::isfinite(x) && x >= low && x <= high) continue;
    refuse_value(dataset, first_row, k, number_text(x),
                 std::string(bounds == Bounds::unit      ? "a share from 0 to 1"
                             : bounds == Bounds::percent ? "a percentage from 0 to 100"
                             : bounds == Bounds::none    ? "a finite number"
                                                         : "a finite number, 0 or more") +
                     (nan_allowed ? " or NaN" : ""));
  }
}

void check_results_structure(const h5::Group& root, const Scenario& scenario, std::int64_t version, bool part,
                             const std::string& file) {
  try {
    // Root attributes merge reads from parts, and the datasets open_results reads at the root.
    if (part) {
      try {
        (void)root.integer_attribute("seed");
        (void)root.string_attribute("software_version");
        if (root.has_attribute("build")) (void)root.string_attribute("build");
      } catch (const h5::Error&) {
        refuse(file, "/",
               "its attributes seed (an integer), software_version and build (text) are missing or of "
               "another type");
      }
    }
    const std::string data = part ? "units" : "arms";  // the groups of arms (a part's: of its units)
    for (const std::string& group : {std::string("tasks"), std::string("uncertain_parameters"), data}) {
      if (!root.exists(group)) continue;
      H5L_info_t link;
      H5O_info_t info;
      if (H5Lget_info(root.id(), group.c_str(), &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD ||
          H5Oget_info_by_name2(root.id(), group.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
          info.type != H5O_TYPE_GROUP)
        refuse(file, "/" + group, "not a group (or a link to one elsewhere)");
    }
    for (const std::string& group : {std::string("tasks"), std::string("uncertain_parameters")}) {
      if (!root.exists(group)) continue;
      TreeWalk(file, [&](const std::string& at, const h5::Dataset& d) {
        const std::string type = d.type_name();
        if (!numeric(type) || (group == "tasks" && type.rfind("float", 0) == 0))
          refuse(file, at, "stored as " + type + (group == "tasks" ? ", expected integers" : ", expected numbers"));
      }).group(root.open_group(group), "/" + group);
    }
    if (!root.exists(data)) return;  // check_results_layout (check_part_units) says what is missing
    // The rows of each group: an arm's of the scenario has a row per replicate, a part's unit
    // one per replicate it holds (its `replicates`; check_part_units checks the attribute).
    std::map<std::string, hsize_t> rows;
    if (part) {
      for (const auto& [name, is_group] : root.open_group("units").members())
        if (is_group && root.open_group("units/" + name).has_attribute("replicates")) try {
            rows[name] = static_cast<hsize_t>(
                std::max<std::int64_t>(root.open_group("units/" + name).integer_attribute("replicates"), 0));
          } catch (const h5::Error&) {
          }
    } else {
      for (const auto& arm : scenario.arms) rows[arm.name] = static_cast<hsize_t>(scenario.run.replicates);
    }
    const auto days = static_cast<hsize_t>(scenario.run.days);
    const std::size_t from = data.size() + 2;  // "/arms/" or "/units/"
    TreeWalk(file, [&](const std::string& at, const h5::Dataset& d) {
      // "/arms/<arm>/<rest>": the group's rows, but for an arm's summary and event record.
      const std::size_t slash = at.find('/', from);
      if (slash == std::string::npos || !rows.count(at.substr(from, slash - from))) return;
      const hsize_t R = rows.at(at.substr(from, slash - from));
      const std::string rest = at.substr(slash + 1);
      if (rest.rfind("summary/", 0) == 0) return;
      const std::string type = d.type_name();
      if (!numeric(type)) refuse(file, at, "stored as " + type + ", expected numbers");
      // Counts, codes and indices are whole numbers: a real would be converted silently.
      const bool whole_numbers = rest.rfind("tables/", 0) == 0 || rest.rfind("events/", 0) == 0 ||
                                 rest.rfind("trajectories/", 0) == 0 || rest == "state_counts" ||
                                 rest == "treatment_counts";
      if (whole_numbers && type.rfind("float", 0) == 0) refuse(file, at, "stored as " + type + ", expected integers");
      if (rest.rfind("events/", 0) == 0) {
        if (rest == "events/codes") string_list(d, "names", file);
        return;
      }
      const auto dims = d.dims();
      if (dims.empty() || dims[0] != R)
        refuse(file, at, "shape " + shape_text(dims) + ", expected one row per replicate (" + std::to_string(R) + ")");
      // export --what daily takes every module's daily metrics, those of modules the arm does
      // not have included.
      if (rest.rfind("modules/", 0) == 0 && rest.find("/daily/") != std::string::npos && dims != std::vector{R, days})
        refuse(file, at, "shape " + shape_text(dims) + ", expected " + shape_text({R, days}) + " (replicates x days)");
      if (d.has_attribute("labels")) {
        const auto labels = string_list(d, "labels", file);
        if ((rest == "state_counts" || rest == "treatment_counts") && labels.size() != dims.back())
          refuse(file, at, std::to_string(labels.size()) + " labels for " + std::to_string(dims.back()) + " columns");
      }
    }).group(root.open_group(data), "/" + data);
    if (part) return;  // a unit's labels: check_part_values
    for (const auto& arm : scenario.arms) {
      const std::string at = "arms/" + arm.name;
      if (root.exists(at)) check_arm_labels(root.open_group(at), arm, version, "/" + at, file);
    }
  } catch (const h5::Error& e) {
    throw InputError({file, 0, 0}, std::string("unreadable: ") + e.what());
  }
}

void check_part_values(const h5::Group& root, const Scenario& scenario, const std::vector<PartUnit>& units,
                       std::int64_t version, const std::string& file) {
  try {
    for (const PartUnit& unit : units) {
      const h5::Group g = root.open_group(unit.group);
      const Arm& arm = scenario.arms.at(unit.unit.arm);
      check_arm_labels(g, arm, version, "/" + unit.group, file);
      for (const auto& d : scenario.observation_plan(arm).definitions)
        for (const char* name : {"event_table", "counts"})
          if (g.exists("tables/" + d.name + "/" + name))
            check_part_dataset(g.open_dataset("tables/" + d.name + "/" + name), scenario, count_kind(d, name));
      for (const char* name : {"state_counts", "treatment_counts"})
        check_part_dataset(g.open_dataset(name), scenario, CountKind::plain);
      check_part_dataset(g.open_dataset("treatment_cost"), scenario, std::nullopt);
      if (g.exists("modules"))  // every module's metrics: merge copies them all
        for (const auto& [type, is_group] : g.open_group("modules").members())
          if (is_group && g.exists("modules/" + type + "/daily"))
            for (const auto& [metric, metric_is_group] : g.open_group("modules/" + type + "/daily").members())
              check_part_dataset(g.open_dataset("modules/" + type + "/daily/" + metric), scenario, std::nullopt);
      for (const auto& q : recovery::horizon_outcomes())
        check_part_dataset(g.open_dataset("outcomes/" + q.name), scenario, std::nullopt, q.bounds, true);
      if (scenario.run.output_events) {
        // A unit's events carry the run's replicate numbers, those of the unit.
        const WorkUnit& u = unit.unit;
        check_part_events(g.open_dataset("events/replicate"), u.first_replicate, u.first_replicate + u.replicates,
                          true);
        check_part_events(g.open_dataset("events/agent"), 0, scenario.model.population.size, false);
        check_part_events(g.open_dataset("events/day"), 0, scenario.run.days, false);
      }
    }
  } catch (const h5::Error& e) {
    throw InputError({file, 0, 0}, std::string("unreadable: ") + e.what());
  }
}

}  // namespace recoverysim
