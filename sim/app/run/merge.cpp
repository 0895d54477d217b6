// Merging shard parts: the checks, then the same assembly as a single run.
#include "merge.hpp"

#include "errors.hpp"
#include "h5.hpp"
#include "results_reader.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>

namespace recoverysim {

namespace {

std::string identity_of(const std::string& scenario_yaml, const std::string& where) {
  Scenario scenario;
  scenario.load_text(scenario_yaml, where);
  return scenario.identity_yaml();
}

// The checks across parts, made as each part is read so that only the first part's scenario
// and one list of dataset types per arm are kept, however many parts there are; each part's
// file is closed again before the next is opened.
class PartChecks {
 public:
  // Opens and checks `path` (open_results), then against the parts read before it. Returns its units.
  std::vector<UnitSource> add(const std::string& path) {
    const auto opened = open_results(path, ResultsKind::part);
    const auto& root = opened->file.root();
    const std::string yaml = root.string_attribute("scenario_yaml");
    const std::int64_t seed = root.integer_attribute("seed");
    const std::string version = root.string_attribute("software_version");
    const Shard shard = *opened->shard;
    // Parts may come from different builds (nodes of different CPUs): noted, not refused, since
    // every build gives the same results (docs/hpc.md).
    ++builds_[root.has_attribute("build") ? root.string_attribute("build") : std::string("(not recorded)")];
    if (first_path_.empty()) {
      first_path_ = path;
      first_yaml_ = yaml;
      seed_ = seed;
      version_ = version;
      shards_ = shard.count;
      first_shard_ = shard.to_string();
      for (const auto& arm : opened->scenario.arms) arm_names_.push_back(arm.name);
      replicates_ = static_cast<std::size_t>(opened->scenario.run.replicates);
      held_.assign(arm_names_.size() * replicates_, 0);
    }
    if (seed != seed_)
      throw InputError({path, 0, 0}, "seed " + std::to_string(seed) + ", but " + first_path_ + " has seed " +
                                         std::to_string(seed_) + ": parts of different runs");
    if (yaml != first_yaml_) {
      // Parts may differ in analysis-only keys (the reference arm, say): not in what they ran.
      const std::string a = identity_of(first_yaml_, first_path_ + ":/scenario_yaml"),
                        b = identity_of(yaml, path + ":/scenario_yaml");
      if (a != b)
        throw InputError({path, 0, 0}, "a different scenario than " + first_path_ + " (resolved scenarios differ at " +
                                           first_difference(a, b) + ")");
    }
    if (version != version_)
      throw InputError({path, 0, 0}, "written by recoverysim " + version + ", " + first_path_ + " by " + version_ +
                                         ": rerun the parts with one version");
    if (shard.count != shards_)
      throw InputError({path, 0, 0}, "shard " + shard.to_string() + ", but " + first_path_ + " is shard " +
                                         first_shard_ + ": parts of different splits");
    if (const auto [it, added] = by_index_.emplace(shard.index, path); !added)
      throw InputError({path, 0, 0}, "shard " + shard.to_string() + " given twice: also " + it->second);

    const std::size_t R = replicates_;
    std::vector<UnitSource> sources;
    for (const PartUnit& unit : opened->units) {
      const WorkUnit& u = unit.unit;
      for (std::int64_t r = u.first_replicate; r < u.first_replicate + u.replicates; ++r) {
        auto& held = held_[u.arm * R + static_cast<std::size_t>(r)];
        if (held)
          throw InputError({path, 0, 0}, "replicate " + std::to_string(r + 1) + " of arm '" + arm_names_.at(u.arm) +
                                             "' is also in another part: parts of "
                                             "different splits?");
        held = 1;
      }
      check_types(path, unit.group, arm_names_.at(u.arm), dataset_types(root.open_group(unit.group)));
      sources.push_back({path, u, unit.group});
    }
    return sources;
  }

  // After every part: each shard once, and every task of the run held by one of them.
  void finish(std::size_t parts) const {
    std::string missing;
    for (std::int64_t i = 1; i <= shards_; ++i)
      if (!by_index_.count(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
    if (!missing.empty())
      throw InputError({"merge", 0, 0}, "shard(s) " + missing + " of " + std::to_string(shards_) +
                                            " missing: give every part of the run (" + std::to_string(parts) +
                                            " given)");
    const auto absent = std::count(held_.begin(), held_.end(), std::uint8_t{0});
    if (absent > 0)
      throw InputError({"merge", 0, 0}, std::to_string(absent) +
                                            " task(s) (arm x replicate) are in no part: parts of "
                                            "different splits?");
  }

  const std::map<std::string, std::size_t>& builds() const { return builds_; }
  const std::string& first_path() const { return first_path_; }
  const std::string& scenario_yaml() const { return first_yaml_; }

 private:
  // Every unit of an arm stores the same datasets with the same types: a missing dataset would
  // merge as zeros, one of another type as garbage.
  void check_types(const std::string& path, const std::string& group, const std::string& arm,
                   const std::map<std::string, std::string>& types) {
    const auto [it, added] = types_.emplace(arm, std::pair(types, path + ":/" + group));
    if (added) return;
    const auto& [seen, where] = it->second;
    for (const auto& [name, type] : types) {
      const auto other = seen.find(name);
      if (other == seen.end())
        throw InputError({path, 0, 0},
                         "/" + group + "/" + name + ": not in " + where + " (a damaged or altered file?)");
      if (other->second != type)
        throw InputError({path, 0, 0}, "/" + group + "/" + name + ": stored as " + type + ", but as " + other->second +
                                           " in " + where);
    }
    for (const auto& [name, type] : seen)
      if (!types.count(name))
        throw InputError({path, 0, 0}, "/" + group + "/" + name + ": missing, but present in " + where);
  }

  std::string first_path_, first_yaml_, version_, first_shard_;
  std::int64_t seed_ = 0, shards_ = 0;
  std::vector<std::string> arm_names_;  // the first part's; the others' scenarios match it
  std::size_t replicates_ = 0;
  std::map<std::int64_t, std::string> by_index_;
  std::map<std::string, std::size_t> builds_;
  std::vector<std::uint8_t> held_;
  std::map<std::string, std::pair<std::map<std::string, std::string>, std::string>> types_;
};

}  // namespace

RunResult merge_parts(const std::vector<std::string>& paths, const std::string& output_path) {
  const auto start = std::chrono::steady_clock::now();
  if (paths.empty()) throw InputError({"merge", 0, 0}, "no parts given");
  PartChecks checks;
  std::vector<UnitSource> sources;
  for (const auto& path : paths) {
    auto mine = checks.add(path);
    sources.insert(sources.end(), std::make_move_iterator(mine.begin()), std::make_move_iterator(mine.end()));
  }
  checks.finish(paths.size());

  const std::string scenario_yaml = checks.scenario_yaml();
  Scenario scenario;
  scenario.load_text(scenario_yaml, checks.first_path() + ":/scenario_yaml");
  // The resolved scenario lists a sweep's points as plain arms; the parts keep the sweep, on
  // each unit's group: read from the first unit of each arm.
  std::vector<bool> read(scenario.arms.size(), false);
  for (const UnitSource& source : sources) {
    if (read[source.unit.arm]) continue;
    read[source.unit.arm] = true;
    const h5::File file = h5::File::open_read_only(source.path);
    const auto group = file.root().open_group(source.group);
    auto& arm = scenario.arms.at(source.unit.arm);
    arm.sweep_base = group.string_attribute("sweep_base");
    if (group.has_attribute("sweep_paths")) {
      const auto sweep_paths = group.string_list_attribute("sweep_paths");
      const auto sweep_values = group.string_list_attribute("sweep_values");
      arm.sweep_point.clear();
      for (std::size_t k = 0; k < sweep_paths.size() && k < sweep_values.size(); ++k)
        arm.sweep_point.emplace_back(sweep_paths[k], sweep_values[k]);
    }
  }

  RunResult result;
  result.scenario_name = scenario.run.name;
  result.output_path = output_path;
  for (const auto& arm : scenario.arms) result.arm_names.push_back(arm.name);
  result.units = sources.size();
  result.part_builds = checks.builds();
  assemble_results(scenario, scenario_yaml, sources, output_path, Shard{}, result);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace recoverysim
