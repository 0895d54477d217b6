// Merging shard parts: the checks, then the same assembly as a single run.
#include "merge.hpp"

#include "errors.hpp"
#include "h5.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>

namespace recoverysim {

namespace {

struct Part {
  std::string path;
  h5::File file;
  std::string scenario_yaml;
  std::int64_t seed = 0;
  std::string version;
  Shard shard;
};

Part open_part(const std::string& path) {
  Part part;
  part.path = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError({path, 0, 0}, "no such file");
  try {
    part.file = h5::File::open_read_only(path);
  } catch (const h5::Error&) {
    throw InputError({path, 0, 0}, "not an HDF5 file, or truncated or unreadable");
  }
  const auto& root = part.file.root();
  if (!root.has_attribute("format") || root.string_attribute("format") != "recoverysim" ||
      !root.has_attribute("scenario_yaml"))
    throw InputError({path, 0, 0}, "not a recoverysim results file");
  if (!root.has_attribute("shard"))
    throw InputError({path, 0, 0}, "a whole results file, not the part of a sharded run (`run --shard I/N`)");
  part.scenario_yaml = root.string_attribute("scenario_yaml");
  part.seed = root.integer_attribute("seed");
  part.version = root.string_attribute("software_version");
  try {
    part.shard = parse_shard(root.string_attribute("shard"));
  } catch (const InputError&) {
    throw InputError({path, 0, 0}, "its `shard` attribute is not I/N");
  }
  return part;
}

std::string identity_of(const Part& part) {
  Scenario scenario;
  scenario.load_text(part.scenario_yaml, part.path + ":/scenario_yaml");
  return scenario.identity_yaml();
}

}  // namespace

RunResult merge_parts(const std::vector<std::string>& paths, const std::string& output_path) {
  const auto start = std::chrono::steady_clock::now();
  if (paths.empty()) throw InputError({"merge", 0, 0}, "no parts given");
  std::vector<Part> parts;
  for (const auto& path : paths) parts.push_back(open_part(path));

  // One run: same seed, scenario and version, the same number of shards, each shard once.
  const Part& first = parts.front();
  std::map<std::int64_t, const Part*> by_index;
  for (const Part& part : parts) {
    if (part.seed != first.seed)
      throw InputError({part.path, 0, 0}, "seed " + std::to_string(part.seed) + ", but " + first.path + " has seed " +
                                              std::to_string(first.seed) + ": parts of different runs");
    if (part.scenario_yaml != first.scenario_yaml) {
      // Parts may differ in analysis-only keys (the reference arm, say): not in what they ran.
      const std::string a = identity_of(first), b = identity_of(part);
      if (a != b)
        throw InputError({part.path, 0, 0}, "a different scenario than " + first.path + " (resolved scenarios differ at " +
                                                first_difference(a, b) + ")");
    }
    if (part.version != first.version)
      throw InputError({part.path, 0, 0}, "written by recoverysim " + part.version + ", " + first.path + " by " +
                                              first.version + ": rerun the parts with one version");
    if (part.shard.count != first.shard.count)
      throw InputError({part.path, 0, 0}, "shard " + part.shard.to_string() + ", but " + first.path + " is shard " +
                                              first.shard.to_string() + ": parts of different splits");
    const auto [it, added] = by_index.emplace(part.shard.index, &part);
    if (!added)
      throw InputError({part.path, 0, 0}, "shard " + part.shard.to_string() + " given twice: also " + it->second->path);
  }
  std::string missing;
  for (std::int64_t i = 1; i <= first.shard.count; ++i)
    if (!by_index.count(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
  if (!missing.empty())
    throw InputError({"merge", 0, 0}, "shard(s) " + missing + " of " + std::to_string(first.shard.count) +
                                          " missing: give every part of the run (" + std::to_string(parts.size()) +
                                          " given)");

  const std::string scenario_yaml = first.scenario_yaml;
  Scenario scenario;
  scenario.load_text(scenario_yaml, first.path + ":/scenario_yaml");
  // The resolved scenario lists a sweep's points as plain arms; the parts keep the sweep.
  for (auto& arm : scenario.arms) {
    const auto group = first.file.root().open_group("arms/" + arm.name);
    arm.sweep_base = group.string_attribute("sweep_base");
    if (group.has_attribute("sweep_paths")) {
      const auto sweep_paths = group.string_list_attribute("sweep_paths");
      const auto sweep_values = group.string_list_attribute("sweep_values");
      arm.sweep_point.clear();
      for (std::size_t k = 0; k < sweep_paths.size() && k < sweep_values.size(); ++k)
        arm.sweep_point.emplace_back(sweep_paths[k], sweep_values[k]);
    }
  }

  // Each part must hold exactly its shard's tasks.
  const std::vector<WorkUnit> plan = plan_units(scenario);
  const auto R = static_cast<std::size_t>(scenario.run.replicates);
  std::vector<UnitSource> sources;
  for (const Part& part : parts) {
    std::vector<std::uint8_t> expected(scenario.arms.size() * R, 0);
    for (std::size_t u : shard_units(plan.size(), part.shard)) {
      const WorkUnit& unit = plan[u];
      for (std::int64_t r = unit.first_replicate; r < unit.first_replicate + unit.replicates; ++r)
        expected[unit.arm * R + static_cast<std::size_t>(r)] = 1;
      sources.push_back({part.path, unit, unit.first_replicate});
    }
    std::vector<std::uint8_t> held;
    try {
      held = part.file.root().open_dataset("tasks/complete").read_all<std::uint8_t>();
    } catch (const h5::Error&) {
      throw InputError({part.path, 0, 0}, "no /tasks/complete: not a part written by `run --shard`");
    }
    if (held != expected)
      throw InputError({part.path, 0, 0}, "does not hold exactly the tasks of shard " + part.shard.to_string() +
                                              " (its /tasks/complete differs): rerun that shard");
  }
  parts.clear();  // closed before the output is written, in case it is one of them

  RunResult result;
  result.scenario_name = scenario.run.name;
  result.output_path = output_path;
  for (const auto& arm : scenario.arms) result.arm_names.push_back(arm.name);
  result.units = plan.size();
  assemble_results(scenario, scenario_yaml, sources, output_path, Shard{}, result);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace recoverysim
