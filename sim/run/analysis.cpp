// Per-arm summaries and paired comparisons, computed from a results file's raw datasets.
#include "analysis.hpp"

#include "models/recovery/outcomes.hpp"
#include "models/recovery/states.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace recoverysim {

using analysis::Interval;
using analysis::SurvivalCurve;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

template <class T>
std::vector<T> read(const h5::Group& group, const std::string& path) {
  return group.open_dataset(path).read_all<T>();
}

// The agents' times to an event since admission, for one replicate: Kaplan-Meier input.
struct TimeToEvent {
  std::vector<std::int32_t> time;
  std::vector<std::uint8_t> event;
  void add(std::int32_t t, bool happened) {
    time.push_back(t);
    event.push_back(happened ? 1 : 0);
  }
};

ArmAnalysis analyse_arm(const h5::Group& root, const Scenario& scenario, const Arm& arm) {
  const std::int64_t R = scenario.run.replicates;
  const std::int64_t T = scenario.run.days;
  const double rate = scenario.analysis.discount_rate;
  const h5::Group group = root.open_group("arms/" + arm.name);
  ArmAnalysis out;
  out.name = arm.name;
  // The sweep a point belongs to, as the file records it (the resolved scenario lists points
  // as plain arms).
  out.sweep_base = group.has_attribute("sweep_base") ? group.string_attribute("sweep_base") : arm.name;
  if (group.has_attribute("sweep_paths") && group.has_attribute("sweep_values")) {
    const auto paths = group.string_list_attribute("sweep_paths");
    const auto values = group.string_list_attribute("sweep_values");
    for (std::size_t k = 0; k < std::min(paths.size(), values.size()); ++k) out.sweep_point.emplace_back(paths[k], values[k]);
  }

  const auto add = [&](const std::string& name, std::vector<double> per_replicate) {
    out.quantity_names.push_back(name);
    out.values.push_back(std::move(per_replicate));
  };
  for (const auto& name : recovery::outcome_names(T)) add(name, read<double>(group, "outcomes/" + name));

  // Counts over the horizon, and the curves, from the per-agent records.
  const auto admission = read<std::int16_t>(group, "agents/admission_day");
  const auto first_lapse = read<std::int16_t>(group, "agents/first_lapse_day");
  const auto first_relapse = read<std::int16_t>(group, "agents/first_relapse_day");
  const auto death = read<std::int16_t>(group, "agents/death_day");
  const auto outcome = read<std::int8_t>(group, "agents/first_episode_outcome");
  const auto episode_days = read<std::int16_t>(group, "agents/first_episode_days");
  const std::size_t N = R > 0 ? admission.size() / static_cast<std::size_t>(R) : 0;
  std::vector<double> participants(R), relapses(R), completed(R);
  std::vector<SurvivalCurve> retention, relapse_free, lapse_free;
  for (std::int64_t r = 0; r < R; ++r) {
    TimeToEvent stay, relapse, lapse;
    for (std::size_t i = static_cast<std::size_t>(r) * N, end = i + N; i < end; ++i) {
      const std::int32_t adm = admission[i];
      if (adm >= T) continue;  // not admitted within the horizon
      const std::int32_t followed = static_cast<std::int32_t>(T - 1) - adm;  // last day observed, since admission
      const auto since = [&](std::int32_t day) { return std::clamp(day - adm, 0, followed); };
      // Death ends observation without the event (censoring); a relapse before death counts.
      const std::int32_t censored_at = death[i] >= 0 ? since(death[i]) : followed;
      relapse.add(first_relapse[i] >= 0 ? since(first_relapse[i]) : censored_at, first_relapse[i] >= 0);
      lapse.add(first_lapse[i] >= 0 ? since(first_lapse[i]) : censored_at, first_lapse[i] >= 0);
      // Retention: leaving the first episode early (dropout or death) is the event; completing
      // it, or still being in it at the horizon, is not.
      const auto how = static_cast<recovery::EpisodeOutcome>(outcome[i]);
      const bool left = how == recovery::EpisodeOutcome::dropped_out || how == recovery::EpisodeOutcome::died;
      stay.add(left ? std::clamp<std::int32_t>(episode_days[i] - 1, 0, followed) : followed, left);
      participants[r] += 1.0;
      relapses[r] += first_relapse[i] >= 0 ? 1.0 : 0.0;
      completed[r] += how == recovery::EpisodeOutcome::completed ? 1.0 : 0.0;
    }
    retention.push_back(analysis::kaplan_meier(stay.time, stay.event, T));
    relapse_free.push_back(analysis::kaplan_meier(relapse.time, relapse.event, T));
    lapse_free.push_back(analysis::kaplan_meier(lapse.time, lapse.event, T));
  }
  out.retention = analysis::mean_curve(retention);
  out.relapse_free = analysis::mean_curve(relapse_free);
  out.lapse_free = analysis::mean_curve(lapse_free);
  add("participants", participants);
  add("relapses", relapses);
  add("completed_episodes", completed);

  // Staff and costs from the modules' daily metrics: costs discounted to day 0 and summed over
  // the horizon; every other metric averaged over the days.
  std::vector<double> cost(R, 0.0), staff(R, 0.0);
  std::vector<std::pair<std::string, std::vector<double>>> metrics;
  for (const auto& m : arm.interventions) {
    for (const auto& metric : m.module->metric_names()) {
      const auto daily = read<double>(group, "modules/" + m.type + "/daily/" + metric);
      std::vector<double> mean_per_day(R);
      for (std::int64_t r = 0; r < R; ++r) {
        const std::span<const double> days(daily.data() + r * T, static_cast<std::size_t>(T));
        double sum = 0.0;
        for (double x : days) sum += x;
        mean_per_day[r] = sum / static_cast<double>(T);
        if (metric == "cost") cost[r] += analysis::discounted_sum(days, rate);
        if (metric == "staff_fte") staff[r] += mean_per_day[r];
      }
      metrics.emplace_back(m.type + "." + metric, std::move(mean_per_day));
    }
  }
  std::vector<double> cost_per_participant(R);
  for (std::int64_t r = 0; r < R; ++r) cost_per_participant[r] = participants[r] > 0 ? cost[r] / participants[r] : nan;
  add("cost_total", cost);
  add("cost_per_participant", cost_per_participant);
  add("staff_fte", staff);
  for (auto& [name, values] : metrics) add(name, std::move(values));

  for (const auto& v : out.values) out.quantities.push_back(analysis::mean_interval(v));
  return out;
}

std::vector<double> difference(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (std::size_t r = 0; r < a.size(); ++r) d[r] = a[r] - b[r];
  return d;
}

}  // namespace

int ArmAnalysis::find(const std::string& quantity) const {
  const auto it = std::find(quantity_names.begin(), quantity_names.end(), quantity);
  return it == quantity_names.end() ? -1 : static_cast<int>(it - quantity_names.begin());
}

const ArmAnalysis* Analysis::arm(const std::string& name) const {
  for (const auto& a : arms)
    if (a.name == name) return &a;
  return nullptr;
}

const std::vector<std::string>& cost_effectiveness_names() {
  static const std::vector<std::string> names = {"incremental_cost", "relapses_averted", "additional_completions",
                                                 "cost_per_relapse_averted", "cost_per_additional_completion"};
  return names;
}

Analysis analyse_results(const h5::Group& root, const Scenario& scenario, const std::string& reference) {
  Analysis result;
  result.reference = reference;
  result.replicates = scenario.run.replicates;
  for (const auto& arm : scenario.arms) result.arms.push_back(analyse_arm(root, scenario, arm));
  const ArmAnalysis* ref = result.arm(reference);
  if (!ref) {
    std::vector<std::string> names;
    for (const auto& a : result.arms) names.push_back(a.name);
    throw InputError({}, "no arm named '" + reference + "' to compare with; arms: " + join_names(names));
  }

  const auto& ref_cost = ref->values[static_cast<std::size_t>(ref->find("cost_total"))];
  const auto& ref_relapses = ref->values[static_cast<std::size_t>(ref->find("relapses"))];
  const auto& ref_completed = ref->values[static_cast<std::size_t>(ref->find("completed_episodes"))];
  std::vector<double> mean_cost, mean_effect;  // for dominance, every arm (effect: relapses averted)
  for (const auto& arm : result.arms) {
    const auto& cost = arm.values[static_cast<std::size_t>(arm.find("cost_total"))];
    const auto averted = difference(ref_relapses, arm.values[static_cast<std::size_t>(arm.find("relapses"))]);
    mean_cost.push_back(analysis::mean_interval(cost).estimate);
    mean_effect.push_back(analysis::mean_interval(averted).estimate);
    if (arm.name == reference) continue;

    ArmComparison c;
    c.arm = arm.name;
    for (std::size_t k = 0; k < arm.quantity_names.size(); ++k) {
      const int j = ref->find(arm.quantity_names[k]);
      // A module's metric the reference does not have compares with zero (no such staff).
      const std::vector<double> zeros(arm.values[k].size(), 0.0);
      const auto& base = j >= 0 ? ref->values[static_cast<std::size_t>(j)] : zeros;
      c.paired_differences.push_back(analysis::paired_difference(arm.values[k], base));
      c.unpaired_differences.push_back(analysis::unpaired_difference(arm.values[k], base));
      c.ratios.push_back(analysis::ratio_of_means(arm.values[k], base));
    }
    c.incremental_cost = difference(cost, ref_cost);
    c.relapses_averted = averted;
    const auto additional = difference(arm.values[static_cast<std::size_t>(arm.find("completed_episodes"))], ref_completed);
    const auto samples = static_cast<int>(scenario.analysis.bootstrap_samples);
    const RandomKey key{static_cast<std::uint32_t>(scenario.run.seed), name_counter(arm.name)};
    c.cost_effectiveness = {analysis::mean_interval(c.incremental_cost), analysis::mean_interval(averted),
                            analysis::mean_interval(additional),
                            analysis::icer_bootstrap(c.incremental_cost, averted, samples, key),
                            analysis::icer_bootstrap(c.incremental_cost, additional, samples,
                                                     RandomKey{key.seed, key.replicate ^ 0x9e3779b9u})};
    result.comparisons.push_back(std::move(c));
  }
  const auto dominance = analysis::dominance(mean_cost, mean_effect);
  for (std::size_t a = 0, c = 0; a < result.arms.size(); ++a) {
    if (result.arms[a].name == reference) result.reference_dominance = dominance[a];
    else result.comparisons[c++].dominance = dominance[a];
  }
  return result;
}

namespace {

void write_intervals(h5::Group& group, const std::string& name, const std::vector<Interval>& rows,
                     const std::vector<std::string>& labels) {
  std::vector<double> data;
  for (const auto& i : rows) data.insert(data.end(), {i.estimate, i.low, i.high});
  auto d = group.create_dataset<double>(name, {rows.size(), 3});
  d.write_all<double>(data);
  d.set_attribute("labels", labels);
  d.set_attribute("columns", std::vector<std::string>{"mean", "ci_low", "ci_high"});
}

void write_curve(h5::Group& group, const std::string& name, const SurvivalCurve& curve) {
  std::vector<double> data;
  for (std::size_t t = 0; t < curve.survival.size(); ++t) data.insert(data.end(), {curve.survival[t], curve.low[t], curve.high[t]});
  auto d = group.create_dataset<double>(name, {curve.survival.size(), 3});
  d.write_all<double>(data);
  d.set_attribute("columns", std::vector<std::string>{"estimate", "ci_low", "ci_high"});
}

}  // namespace

void write_analysis(h5::Group& root, const Analysis& analysis) {
  for (const auto& arm : analysis.arms) {
    h5::Group summary = root.create_group("arms/" + arm.name + "/summary");
    summary.set_attribute("replicates", analysis.replicates);
    write_intervals(summary, "quantities", arm.quantities, arm.quantity_names);
    write_curve(summary, "curves/retention", arm.retention);
    write_curve(summary, "curves/relapse_free", arm.relapse_free);
    write_curve(summary, "curves/lapse_free", arm.lapse_free);
  }
  root.set_attribute("reference_arm", analysis.reference);
  h5::Group comparison = root.create_group("comparison/" + analysis.reference);
  comparison.set_attribute("reference", analysis.reference);
  comparison.set_attribute("reference_dominance", analysis::dominance_name(analysis.reference_dominance));
  for (const auto& c : analysis.comparisons) {
    const ArmAnalysis& arm = *analysis.arm(c.arm);
    h5::Group group = comparison.create_group(c.arm);
    write_intervals(group, "paired_differences", c.paired_differences, arm.quantity_names);
    write_intervals(group, "unpaired_differences", c.unpaired_differences, arm.quantity_names);
    write_intervals(group, "ratios", c.ratios, arm.quantity_names);
    write_intervals(group, "cost_effectiveness", c.cost_effectiveness, cost_effectiveness_names());
    group.create_dataset<double>("replicates/incremental_cost", {c.incremental_cost.size()})
        .write_all<double>(c.incremental_cost);
    group.create_dataset<double>("replicates/relapses_averted", {c.relapses_averted.size()})
        .write_all<double>(c.relapses_averted);
    group.set_attribute("dominance", analysis::dominance_name(c.dominance));
  }
}

}  // namespace recoverysim
