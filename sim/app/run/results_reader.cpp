// The checks of results files before they are read (see results_reader.hpp).
#include "results_reader.hpp"

#include "errors.hpp"
#include "results_file.hpp"

#include "models/recovery/outcomes.hpp"
#include "models/recovery/states.hpp"

#include <algorithm>
#include <filesystem>

namespace recoverysim {

namespace {

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (std::size_t k = 0; k < dims.size(); ++k) s += (k ? ", " : "") + std::to_string(dims[k]);
  return s + "]";
}

bool numeric(const std::string& type) { return type.rfind("int", 0) == 0 || type.rfind("uint", 0) == 0 || type.rfind("float", 0) == 0; }

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
    if (!ok) fail(name, "shape " + shape_text(dims) + ", expected " + std::to_string(rank) + " dimensions starting " + shape_text(first));
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
  for (const auto& name : core_agent_column_names()) c.shape("agents/" + name, {R, N});
  c.each_in("agents", {R, N});
  const recovery::ObservationPlan plan = scenario.observation_plan(arm);
  for (const auto& name : recovery::replicate_outcome_names(plan)) c.shape("outcomes/" + name, {R});
  const auto P = static_cast<hsize_t>(std::max<std::size_t>(plan.periods, 1));
  for (const auto& d : plan.definitions) {
    const std::string at = "tables/" + d.name;
    using recovery::OutcomeStatistic;
    if (d.statistic == OutcomeStatistic::ratio || d.statistic == OutcomeStatistic::difference) continue;
    if (d.statistic == OutcomeStatistic::cumulative_incidence) c.shape(at + "/event_table", {R, P, T, 2 + d.causes.size()});
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
      if (!length.empty() && dims != length) c.fail(std::string("events/") + name, "a different length from events/replicate");
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
      const auto arm = std::find_if(scenario.arms.begin(), scenario.arms.end(),
                                    [&](const Arm& a) { return a.name == arm_name; });
      if (arm == scenario.arms.end()) throw bad("arm '" + arm_name + "' is not an arm of the part's scenario");
      PartUnit unit{at, {static_cast<std::size_t>(arm - scenario.arms.begin()), g.integer_attribute("first_replicate"),
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
  if (std::filesystem::is_directory(path, ec)) throw InputError({path, 0, 0}, "is a directory, expected a results file");
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
                                         "); this one reads versions " + std::to_string(oldest_readable_format) + " to " +
                                         std::to_string(format_version) + ": use the newer recoverysim");
    if (version < oldest_readable_format)
      throw InputError({path, 0, 0}, "format_version " + (version < 0 ? std::string("missing") : std::to_string(version)) +
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
    } catch (const InputError&) {
      throw InputError({path, 0, 0}, "its `shard` attribute is not I/N");
    }
    if (kind == ResultsKind::whole)
      throw InputError({path, 0, 0}, "the part " + opened->shard->to_string() + " of a sharded run, not a results file: "
                                     "merge every part first (recoverysim merge PARTS... -o FILE)");
  } else if (kind == ResultsKind::part) {
    throw InputError({path, 0, 0}, "a whole results file, not the part of a sharded run (`run --shard I/N`)");
  }

  // Which tasks the file holds: a results file holds them all.
  const auto A = static_cast<hsize_t>(scenario.arms.size()), R = static_cast<hsize_t>(scenario.run.replicates);
  if (!root.exists("tasks/complete"))
    throw InputError({path, 0, 0}, "/tasks/complete: missing (which tasks the file holds)");
  const h5::Dataset tasks = root.open_dataset("tasks/complete");
  if (tasks.dims() != std::vector<hsize_t>{A, R})
    throw InputError({path, 0, 0}, "/tasks/complete: shape " + shape_text(tasks.dims()) + ", expected " + shape_text({A, R}) +
                                       " (arms x replicates of its scenario)");
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
