// The search of a level (see search.hpp): bisection for the smallest level within the wait
// limit, golden-section search for the highest net benefit, replicates doubled for every level
// when a decision is too close to call, and the levels evaluated written as one results file.
#include "search.hpp"

#include "errors.hpp"
#include "interrupt.hpp"
#include "parameter_sets.hpp"
#include "progress.hpp"
#include "scenario_file.hpp"

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>

namespace recoverysim {

namespace {

std::string level_text(std::int64_t level) { return std::to_string(level); }

// The scenario's YAML with arm `base` swept over `path` at `levels`.
std::string swept_yaml(const YAML::Node& original, const std::string& base, const std::string& path,
                       const std::vector<std::int64_t>& levels, std::int64_t replicates) {
  YAML::Node root = YAML::Clone(original);
  for (YAML::Node arm : root["arms"]) {
    if (arm["name"].Scalar() != base) continue;
    YAML::Node grid;
    for (const auto level : levels) grid[path].push_back(level);
    YAML::Node sweep;
    sweep["grid"] = grid;
    arm["sweep"] = sweep;
  }
  if (replicates > 0) root["replicates"] = replicates;
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

// The arm that carries the searched module: named by --arm, or the only one with the module.
std::string searched_arm(const Scenario& scenario, const std::string& type, const std::string& wanted) {
  std::set<std::string> bases;
  for (const auto& arm : scenario.arms)
    for (const auto& m : arm.interventions)
      if (m.type == type && (wanted.empty() || arm.sweep_base == wanted || arm.name == wanted))
        bases.insert(arm.sweep_base);
  if (bases.empty())
    throw InputError({"--over", 0, 0}, wanted.empty() ? "no arm of the scenario has a " + type + " intervention"
                                                      : "arm '" + wanted + "' has no " + type + " intervention");
  if (bases.size() > 1) {
    std::vector<std::string> names(bases.begin(), bases.end());
    throw InputError({"--over", 0, 0}, "several arms have a " + type + " intervention (" + join_names(names) +
                                           "): choose one with --arm");
  }
  return *bases.begin();
}

// One arm's rows, gathered from the unit files that hold them.
struct ArmRows {
  std::size_t arm = 0;            // in the scenario of every level
  std::vector<UnitSource> units;  // replicates [0, covered) in order
  std::int64_t covered = 0;
  std::int64_t analysed = -1;  // `covered` when `analysis` was computed
  ArmAnalysis analysis;
};

ArmAnalysis concatenate(std::vector<ArmAnalysis> parts) {
  ArmAnalysis out = std::move(parts.front());
  for (std::size_t p = 1; p < parts.size(); ++p)
    for (std::size_t q = 0; q < out.values.size(); ++q)
      out.values[q].insert(out.values[q].end(), parts[p].values[q].begin(), parts[p].values[q].end());
  out.quantities.clear();
  for (std::size_t q = 0; q < out.values.size(); ++q)
    out.quantities.push_back(analysis::mean_interval(out.values[q], out.bounds[q]));
  return out;
}

}  // namespace

SearchResult search(const std::string& scenario_path, const std::vector<std::string>& overrides,
                    const SearchOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const Constraints& c = options.constraints;
  const bool need_wait = std::isfinite(c.max_wait_days), need_budget = std::isfinite(c.budget_per_year);
  const bool objective = !std::isnan(c.wtp);
  if (!need_wait && !need_budget && !objective)
    throw InputError({"search", 0, 0}, "nothing to search for: give --max-wait-days, --budget-per-year or --wtp");

  // The scenario as written, then with the searched arm swept over the whole range.
  // A calibration's posterior sets, read once, for every scenario the search loads.
  std::optional<ParameterSets> sets;
  if (!options.parameter_sets.empty()) sets = read_parameter_sets(options.parameter_sets);
  const auto with_sets = [&sets](Scenario& s) {
    if (sets) s.use_parameter_sets(*sets);
  };
  Scenario base;
  base.load(scenario_path, overrides);
  with_sets(base);
  const auto dot = options.path.find('.');
  if (dot == std::string::npos)
    throw InputError({"--over " + options.path, 0, 0}, "expected <intervention type>.<key>, e.g. peer_mentor.mentors");
  const std::string type = options.path.substr(0, dot), key = options.path.substr(dot + 1);
  const std::string arm_base = searched_arm(base, type, options.arm);
  for (const auto& arm : base.arms)
    if (arm.sweep_base == arm_base)
      for (const auto& [p, v] : arm.sweep_point)
        if (p != options.path)
          throw InputError({"--over " + options.path, 0, 0},
                           "arm '" + arm_base + "' is also swept over " + p +
                               ": search varies one key of an arm that is not swept otherwise");
  const auto schema = module_schema(type);
  const ParamSpec* spec = schema->table.find(key);
  if (!spec || spec->kind != ParamKind::integer)
    throw InputError({"--over " + options.path, 0, 0}, type + "." + key + " is not an integer key of " + type +
                                                           " (search varies a count, e.g. peer_mentor.mentors)");
  if (static_cast<double>(options.low) < spec->min || static_cast<double>(options.high) > spec->max ||
      options.low >= options.high)
    throw InputError({"--range", 0, 0}, "expected LOW:HIGH with " + format_value(spec->min) +
                                            " <= LOW < HIGH <= " + format_value(spec->max) + " for " + options.path);
  if (base.analysis.reference_arm == arm_base || base.arms.size() < 2)
    throw InputError({"search", 0, 0}, "the scenario needs a reference arm besides '" + arm_base +
                                           "' (usual care, say) to compare the levels with");

  const YAML::Node original = load_scenario_yaml(scenario_path);
  std::vector<std::int64_t> range;
  for (std::int64_t level = options.low; level <= options.high; ++level) range.push_back(level);
  Scenario all;
  all.load_text(swept_yaml(original, arm_base, options.path, range, 0), scenario_path, overrides);
  with_sets(all);
  std::map<std::int64_t, std::size_t> arm_of_level;
  std::vector<std::size_t> reference_arms;
  for (std::size_t a = 0; a < all.arms.size(); ++a) {
    const Arm& arm = all.arms[a];
    if (arm.sweep_base == arm_base && !arm.sweep_point.empty())
      arm_of_level[std::stoll(arm.sweep_point.front().second)] = a;
    else reference_arms.push_back(a);
  }

  SearchResult result;
  std::int64_t R = all.run.replicates;
  const std::int64_t max_replicates = options.max_replicates > 0 ? options.max_replicates : 4 * R;
  const int threads = resolve_threads(options.run.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  UnitStore store(options.run.output_path, all.identity_yaml(), options.run.resume);
  UnitRunner runner(all, arena);
  double output_seconds = 0;
  std::map<std::size_t, ArmRows> rows;
  const std::int64_t agent_days_per_replicate = all.model.population.size * all.run.days;

  // Every arm in `arms` run to R replicates (new units for the missing ones).
  const auto ensure = [&](std::size_t arm) {
    ArmRows& r = rows[arm];
    r.arm = arm;
    if (r.covered >= R) return;
    const WorkUnit unit{arm, r.covered, R - r.covered};
    const std::string path = store.unit_path(unit);
    if (!store.finished(unit)) {
      throw_if_interrupted();
      // A bar per batch of replicates on a terminal, a line a minute in a log.
      Progress progress(unit.replicates * agent_days_per_replicate, options.run.show_progress);
      runner.run(unit, path, progress, output_seconds);
      progress.finish();
      result.agent_days += unit.replicates * agent_days_per_replicate;
    }
    r.units.push_back({path, unit, {}});
    r.covered = R;
  };
  const auto analysed = [&](std::size_t arm) -> const ArmAnalysis& {
    ArmRows& r = rows.at(arm);
    if (r.analysed != r.covered) {
      std::vector<ArmAnalysis> parts;
      for (const UnitSource& u : r.units) {
        const h5::File file = h5::File::open_read_only(u.path);
        parts.push_back(analyse_arm(file.root().open_group("arms/" + all.arms[arm].name), all, all.arms[arm],
                                    u.unit.replicates, {c.wait_quantile}));
      }
      r.analysis = concatenate(std::move(parts));
      r.analysed = r.covered;
    }
    return r.analysis;
  };
  // The levels evaluated so far, and their verdicts at the current replicates.
  std::set<std::int64_t> evaluated;
  std::map<std::int64_t, ArmVerdict> verdicts;
  const auto judge_all = [&] {
    Analysis view;
    view.reference = all.analysis.reference_arm;
    view.replicates = R;
    for (const std::size_t a : reference_arms) {
      ensure(a);
      view.arms.push_back(analysed(a));
    }
    for (const auto level : evaluated) {
      ensure(arm_of_level.at(level));
      view.arms.push_back(analysed(arm_of_level.at(level)));
    }
    Constraints judged = c;
    if (!objective) judged.wtp = 0;  // net benefit unused
    const Decision decision = decide(view, all, judged.wtp);
    const Recommendation rec = recommend(view, decision, judged);
    verdicts.clear();
    for (const auto& v : rec.arms)
      for (const auto& [level, arm] : arm_of_level)
        if (all.arms[arm].name == v.arm) verdicts[level] = v;
  };
  // A share of replicates within 2 binomial standard errors of the confidence is too close to call.
  const auto close_call = [&](double share) {
    return std::fabs(share - c.confidence) <=
           2.0 * std::sqrt(c.confidence * (1.0 - c.confidence) / static_cast<double>(R));
  };
  const auto report = [&](std::int64_t level) {
    const ArmVerdict& v = verdicts.at(level);
    SearchEvaluation e{level, R, v.wait_share, v.budget_share, v.net_benefit, v.feasible};
    result.evaluations.push_back(e);
    if (options.run.show_progress) {
      std::fprintf(stderr, "search: %s = %lld with %lld replicates:", options.path.c_str(),
                   static_cast<long long>(level), static_cast<long long>(R));
      if (need_wait) std::fprintf(stderr, " within the wait limit in %.0f%%", 100.0 * v.wait_share);
      if (need_budget) std::fprintf(stderr, ", within the budget in %.0f%%", 100.0 * v.budget_share);
      if (objective) std::fprintf(stderr, ", net benefit %.0f", v.net_benefit.estimate);
      std::fprintf(stderr, "\n");
    }
  };
  // Evaluates a level; when a share is too close to call, doubles the replicates of every level.
  const auto evaluate = [&](std::int64_t level) -> const ArmVerdict& {
    if (evaluated.count(level) && verdicts.count(level)) return verdicts.at(level);  // judged at the current replicates
    evaluated.insert(level);
    judge_all();
    while (R < max_replicates && ((need_wait && close_call(verdicts.at(level).wait_share)) ||
                                  (need_budget && close_call(verdicts.at(level).budget_share)))) {
      R = std::min(2 * R, max_replicates);
      result.notes.push_back("at " + options.path + " = " + level_text(level) +
                             " the decision was too close to call: every level was run again with " +
                             std::to_string(R) + " replicates");
      judge_all();
    }
    report(level);
    return verdicts.at(level);
  };
  const auto wait_ok = [&](const ArmVerdict& v) { return v.wait_share >= c.confidence; };
  const auto budget_ok = [&](const ArmVerdict& v) { return v.budget_share >= c.confidence; };

  // 1. The smallest level within the wait limit, by bisection (more staff, shorter waits).
  std::int64_t low = options.low, high = options.high;
  bool possible = true;
  if (need_wait) {
    if (!wait_ok(evaluate(high))) {
      possible = false;
      result.notes.push_back("even " + options.path + " = " + level_text(high) +
                             " does not meet the wait limit: extend the range above " + level_text(high));
    } else if (wait_ok(evaluate(low))) {
      high = low;
      result.notes.push_back("the smallest level of the range, " + level_text(low) +
                             ", already meets the wait limit: extend the range below " + level_text(low));
    } else {
      // Invariant: low fails, high meets it. Re-checked at the end with the final replicates.
      for (int round = 0; round < 4; ++round) {
        while (high - low > 1) {
          const std::int64_t mid = low + (high - low) / 2;
          (wait_ok(evaluate(mid)) ? high : low) = mid;
        }
        judge_all();
        if (wait_ok(verdicts.at(high)) && !wait_ok(verdicts.at(low))) break;
        // More replicates changed a verdict: widen again where the boundary moved.
        if (!wait_ok(verdicts.at(high))) high = options.high;
        if (wait_ok(verdicts.at(low))) low = options.low;
      }
    }
  }
  std::int64_t answer = possible ? high : -1;
  // 2. The budget: the cheapest level that meets the wait limit must be within it.
  if (possible && need_budget && !budget_ok(evaluate(answer))) {
    result.notes.push_back(
        std::string(need_wait ? "the smallest level within the wait limit, " : "the smallest level, ") +
        level_text(answer) + ", is over the budget");
    answer = -1;
  }
  // 3. The highest net benefit among the levels that meet every requirement, by golden-section
  //    search on the integers above the smallest one (net benefit is taken to have one peak).
  if (answer >= 0 && objective) {
    std::int64_t a = answer, b = options.high;
    if (need_budget) {  // the largest level within the budget (more staff, more cost)
      std::int64_t ok = answer, over = options.high + 1;
      if (budget_ok(evaluate(options.high))) ok = options.high, over = options.high + 1;
      while (over - ok > 1) {
        const std::int64_t mid = ok + (over - ok) / 2;
        (budget_ok(evaluate(mid)) ? ok : over) = mid;
      }
      b = ok;
    }
    const auto value = [&](std::int64_t level) { return evaluate(level).net_benefit.estimate; };
    constexpr double phi = 0.6180339887498949;
    while (b - a > 3) {
      const auto x = static_cast<std::int64_t>(std::llround(static_cast<double>(b) - phi * static_cast<double>(b - a)));
      const auto y = static_cast<std::int64_t>(std::llround(static_cast<double>(a) + phi * static_cast<double>(b - a)));
      if (value(x) < value(y)) a = x + 1;
      else b = y - 1;
    }
    std::int64_t best = a;
    for (std::int64_t level = a; level <= b; ++level)
      if (value(level) > value(best)) best = level;
    answer = best;
    result.notes.push_back("the net benefit was maximised by golden-section search over the integers from " +
                           level_text(need_wait ? high : options.low) + " to " +
                           level_text(need_budget ? b : options.high) +
                           ", which assumes a single peak between them; every level evaluated is in the results file");
    judge_all();
    result.programme_worth_it = verdicts.at(answer).net_benefit.estimate > 0;
    if (!result.programme_worth_it)
      result.notes.push_back("at this willingness to pay the reference arm, " + all.analysis.reference_arm +
                             ", has a higher net benefit than every level");
  }
  result.answer = answer;
  result.replicates = R;
  if (objective && answer >= 0) {
    // Net benefit is often flat near its peak: say which levels are about as good.
    const analysis::Interval best = verdicts.at(answer).net_benefit;
    std::int64_t lo = answer, hi = answer;
    for (const auto& [level, v] : verdicts)
      if (v.feasible && arm_of_level.count(level) && v.net_benefit.estimate >= best.low) {
        lo = std::min(lo, level);
        hi = std::max(hi, level);
      }
    if (hi > lo)
      result.notes.push_back("the net benefit is flat near its peak: every level evaluated from " + level_text(lo) +
                             " to " + level_text(hi) +
                             " has a mean net benefit within the 95% interval of the best's, so any of "
                             "them is about as good on these replicates");
  }
  if (need_wait && answer >= 0 && answer == high && answer > options.low && verdicts.count(answer - 1)) {
    const double se = std::sqrt(c.confidence * (1 - c.confidence) / static_cast<double>(R));
    result.notes.push_back(
        "judged on " + std::to_string(R) + " replicates: at " + level_text(answer) + " the wait limit holds in " +
        std::to_string(static_cast<int>(std::lround(100 * verdicts.at(answer).wait_share))) + "% of replicates, at " +
        level_text(answer - 1) + " in " +
        std::to_string(static_cast<int>(std::lround(100 * verdicts.at(answer - 1).wait_share))) +
        "%; a level whose true share is within about " + std::to_string(static_cast<int>(std::lround(200 * se))) +
        " points of " + std::to_string(static_cast<int>(std::lround(100 * c.confidence))) +
        "% can be judged either way, so the answer may be one level off");
  }

  // The results file: the reference arms and every level evaluated, all with R replicates.
  std::vector<std::int64_t> levels(evaluated.begin(), evaluated.end());
  for (const auto level : levels) ensure(arm_of_level.at(level));
  for (const std::size_t a : reference_arms) ensure(a);
  Scenario view;
  view.load_text(swept_yaml(original, arm_base, options.path, levels, R), scenario_path, overrides);
  if (view.run.replicates != R) {  // an override of the replicates comes after: set them again
    std::vector<std::string> with_replicates = overrides;
    with_replicates.push_back("replicates=" + std::to_string(R));
    view.load_text(swept_yaml(original, arm_base, options.path, levels, R), scenario_path, with_replicates);
  }
  with_sets(view);
  std::vector<UnitSource> sources;
  for (std::size_t a = 0; a < view.arms.size(); ++a) {
    std::size_t source_arm = 0;
    for (std::size_t b = 0; b < all.arms.size(); ++b)
      if (all.arms[b].name == view.arms[a].name) source_arm = b;
    for (UnitSource u : rows.at(source_arm).units) {
      u.unit.arm = a;
      sources.push_back(u);
    }
  }
  result.run.scenario_name = view.run.name;
  result.run.output_path = options.run.output_path;
  for (const auto& arm : view.arms) result.run.arm_names.push_back(arm.name);
  result.run.agent_days = result.agent_days;
  const auto write_search = [&](h5::Group& root) {
    h5::Group g = root.create_group("search");
    g.set_attribute("path", options.path);
    g.set_attribute("arm", arm_base);
    g.set_attribute("range", level_text(options.low) + ":" + level_text(options.high));
    g.set_attribute("answer", answer);
    g.set_attribute("replicates", R);
    g.set_attribute("agent_days", result.agent_days);
    g.set_attribute("notes", result.notes);
    if (objective) g.set_attribute("willingness_to_pay", c.wtp);
    if (need_budget) g.set_attribute("budget_per_year", c.budget_per_year);
    if (need_wait) {
      g.set_attribute("max_wait_days", c.max_wait_days);
      g.set_attribute("wait_quantile", c.wait_quantile);
    }
    g.set_attribute("confidence", c.confidence);
    std::vector<double> table;
    for (const auto& e : result.evaluations)
      table.insert(table.end(), {static_cast<double>(e.level), static_cast<double>(e.replicates), e.wait_share,
                                 e.budget_share, e.net_benefit.estimate, e.feasible ? 1.0 : 0.0});
    auto d = g.create_dataset<double>("evaluations", {result.evaluations.size(), 6});
    d.write_all<double>(table);
    d.set_attribute("columns", std::vector<std::string>{"level", "replicates", "wait_share", "budget_share",
                                                        "net_monetary_benefit", "meets_all"});
    d.set_attribute("description",
                    "[evaluation, column]: each evaluation in the order the search made it: the level, "
                    "its replicates, the shares of replicates within the wait limit and the budget, its "
                    "mean net monetary benefit and whether it met every requirement (1) or not (0)");
    d.set_attribute("units",
                    std::vector<std::string>{"level", "replicates", "share", "share", "currency units", "flag"});
  };
  assemble_results(view, view.resolved_yaml(), sources, options.run.output_path, Shard{}, result.run, write_search);
  store.remove();
  result.run.output_seconds += output_seconds;
  result.run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace recoverysim
