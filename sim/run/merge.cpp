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

// What merge needs of a part, read and checked at opening; the file itself is closed again,
// so thousands of parts never hold thousands of open files.
struct Part {
  std::string path;
  std::string scenario_yaml;
  std::int64_t seed = 0;
  std::string version;
  Shard shard;
  std::vector<std::uint8_t> held;             // /tasks/complete
  std::map<std::string, std::string> types;  // every dataset's stored type
};

Part open_part(const std::string& path) {
  const auto opened = open_results(path, ResultsKind::part);
  const auto& root = opened->file.root();
  Part part;
  part.path = path;
  part.scenario_yaml = root.string_attribute("scenario_yaml");
  part.seed = root.integer_attribute("seed");
  part.version = root.string_attribute("software_version");
  part.shard = *opened->shard;
  part.held = root.open_dataset("tasks/complete").read_all<std::uint8_t>();
  part.types = dataset_types(root.open_group("arms"));
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
  const h5::File first_file = h5::File::open_read_only(first.path);
  for (auto& arm : scenario.arms) {
    const auto group = first_file.root().open_group("arms/" + arm.name);
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
    if (part.held != expected)
      throw InputError({part.path, 0, 0}, "does not hold exactly the tasks of shard " + part.shard.to_string() +
                                              " (its /tasks/complete differs): rerun that shard");
  }
  // Every part's datasets stored alike, and present wherever the part holds tasks of their arm
  // (a module's per-agent columns appear in a part only with its first task of that arm): a
  // missing dataset would merge as zeros, one of another type as garbage.
  std::map<std::string, std::pair<std::string, const Part*>> seen;  // dataset -> (type, first part with it)
  for (const Part& part : parts)
    for (const auto& [name, type] : part.types) {
      const auto [it, added] = seen.emplace(name, std::pair(type, &part));
      if (!added && it->second.first != type)
        throw InputError({part.path, 0, 0}, "/arms/" + name + ": stored as " + type + ", but as " + it->second.first +
                                                " in " + it->second.second->path);
    }
  for (const Part& part : parts)
    for (std::size_t a = 0; a < scenario.arms.size(); ++a) {
      const bool holds = std::any_of(part.held.begin() + static_cast<std::ptrdiff_t>(a * R),
                                     part.held.begin() + static_cast<std::ptrdiff_t>((a + 1) * R),
                                     [](std::uint8_t x) { return x == 1; });
      if (!holds) continue;
      const std::string prefix = scenario.arms[a].name + "/";
      for (const auto& [name, first_seen] : seen)
        if (name.rfind(prefix, 0) == 0 && name.rfind(prefix + "summary/", 0) != 0 && !part.types.count(name))
          throw InputError({part.path, 0, 0}, "/arms/" + name + ": missing, but present in " + first_seen.second->path);
    }

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
