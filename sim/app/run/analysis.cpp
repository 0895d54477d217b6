// Per-arm summaries, contrasts and paired comparisons, computed from a results file's count
// tables, per-replicate outcomes and module metrics.
#include "analysis.hpp"

#include "analysis/survival.hpp"
#include "calendar.hpp"
#include "models/recovery/outcome_estimates.hpp"
#include "models/recovery/outcomes.hpp"
#include "results_reader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace recoverysim {

using analysis::Bounds;
using analysis::Interval;
using analysis::SurvivalCurve;
using recovery::OutcomeCounts;
using recovery::OutcomeDefinition;
using recovery::OutcomeStatistic;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Counts (at most `most`), and values within `bounds`, as read (checked: results_reader.hpp).
std::vector<std::int64_t> read_count_table(const h5::Group& group, const std::string& path, std::int64_t most,
                                           CountKind kind) {
  const h5::Dataset dataset = group.open_dataset(path);
  auto counts = dataset.read_all<std::int64_t>();
  check_counts_read(dataset, counts, most, kind);
  return counts;
}
std::vector<double> read_values(const h5::Group& group, const std::string& path, Bounds bounds, bool nan_allowed) {
  const h5::Dataset dataset = group.open_dataset(path);
  auto values = dataset.read_all<double>();
  check_values_read(dataset, values, bounds, nan_allowed);
  return values;
}

bool is_contrast(const OutcomeDefinition& d) {
  return d.statistic == OutcomeStatistic::ratio || d.statistic == OutcomeStatistic::difference;
}

// One definition's counts for every replicate, from /arms/<arm>/tables/<definition>.
std::vector<OutcomeCounts> read_counts(const h5::Group& arm, const OutcomeDefinition& d, std::int64_t replicates,
                                       std::size_t periods, std::int64_t days, std::int64_t agents) {
  const auto R = static_cast<std::size_t>(replicates), P = periods, T = static_cast<std::size_t>(days);
  const std::string at = "tables/" + d.name;
  std::vector<OutcomeCounts> out(R);
  std::vector<std::int64_t> event_table, counts;
  const std::size_t K = d.causes.size();
  const std::int64_t most = agents * days;  // agent-days
  if (d.statistic == OutcomeStatistic::cumulative_incidence)
    event_table = read_count_table(arm, at + "/event_table", most, count_kind(d, "event_table"));
  std::size_t rows = 0, width = 0;
  if (arm.exists(at + "/counts")) {
    const auto dims = arm.open_dataset(at + "/counts").dims();
    rows = dims.at(2);
    width = dims.at(3);
    counts = read_count_table(arm, at + "/counts", most, count_kind(d, "counts"));
  }
  for (std::size_t r = 0; r < R; ++r) {
    OutcomeCounts& c = out[r];
    c.definition = &d;
    c.width = width;
    c.row_count = rows;
    if (!event_table.empty()) {
      const std::size_t C = 2 + K;
      c.event.assign(P, analysis::EventTable(T, K));
      for (std::size_t s = 0; s < P; ++s)
        for (std::size_t t = 0; t < T; ++t) {
          const std::int64_t* row = event_table.data() + ((r * P + s) * T + t) * C;
          c.event[s].entered[t] = row[0];
          c.event[s].censored[t] = row[1];
          for (std::size_t k = 0; k < K; ++k) c.event[s].event(t, k) = row[2 + k];
        }
    }
    c.rows.assign(P, std::vector<std::int64_t>(rows * width, 0));
    for (std::size_t s = 0; s < P && rows * width > 0; ++s) {
      const std::int64_t* from = counts.data() + (r * P + s) * rows * width;
      std::copy(from, from + rows * width, c.rows[s].begin());
    }
  }
  return out;
}

// The curve of one replicate, or the mean of several replicates' curves.
SurvivalCurve summarise_curves(const std::vector<analysis::EventTable>& tables, std::size_t cause, bool complement) {
  std::vector<SurvivalCurve> curves;
  for (const auto& table : tables) {
    SurvivalCurve c;
    if (table.total_entered() == 0) {  // nobody to follow (an empty subgroup): no curve, as no quantity
      c.survival.assign(table.days, nan);
      c.low = c.high = c.survival;
      c.at_risk.assign(table.days, 0);
    } else if (tables.size() == 1) {
      c = analysis::incidence_curve(table, cause);
    } else {
      const auto aj = analysis::aalen_johansen(table);
      c.survival = aj.incidence[cause];
      c.at_risk = aj.at_risk;
      c.low.assign(c.survival.size(), nan);
      c.high.assign(c.survival.size(), nan);
    }
    curves.push_back(std::move(c));
  }
  SurvivalCurve out = analysis::mean_curve(curves);
  if (complement)
    for (std::size_t t = 0; t < out.survival.size(); ++t) {
      const double low = out.low[t];
      out.survival[t] = 1.0 - out.survival[t];
      out.low[t] = 1.0 - out.high[t];
      out.high[t] = 1.0 - low;
    }
  return out;
}

// A time-to-event table with its causes grouped: cause j of the result adds the given causes.
analysis::EventTable regroup(const analysis::EventTable& table, const std::vector<std::vector<std::size_t>>& groups) {
  analysis::EventTable out(table.days, groups.size());
  out.entered = table.entered;
  out.censored = table.censored;
  for (std::size_t t = 0; t < table.days; ++t)
    for (std::size_t j = 0; j < groups.size(); ++j)
      for (const std::size_t k : groups[j]) out.event(t, j) += table.event(t, k);
  return out;
}

std::string period_label(const Scenario& scenario, std::size_t p, std::size_t periods) {
  if (periods <= 1) return "all admissions";
  const double length = scenario.analysis.admission_period_days;
  const auto first = static_cast<std::int64_t>(std::ceil(static_cast<double>(p) * length));
  auto last = static_cast<std::int64_t>(std::ceil(static_cast<double>(p + 1) * length)) - 1;
  last = std::min<std::int64_t>(last, scenario.model.intake.for_days - 1);
  return "admitted on days " + std::to_string(first) + "-" + std::to_string(last);
}

}  // namespace

ArmAnalysis analyse_arm(const h5::Group& group, const Scenario& scenario, const Arm& arm, std::int64_t R,
                        const std::vector<double>& wait_quantiles) {
  const std::int64_t T = scenario.run.days;
  const double rate = scenario.analysis.discount_rate;
  recovery::ObservationPlan plan = scenario.observation_plan(arm);
  for (auto& d : plan.definitions)
    if (d.recorded_by_module != 0)
      for (const double q : wait_quantiles)
        if (std::find(d.quantiles.begin(), d.quantiles.end(), q) == d.quantiles.end()) d.quantiles.push_back(q);
  const std::size_t P = std::max<std::size_t>(plan.periods, 1);
  ArmAnalysis out;
  out.name = arm.name;
  // The sweep a point belongs to, as the file records it (the resolved scenario lists points
  // as plain arms).
  out.sweep_base = group.has_attribute("sweep_base") ? group.string_attribute("sweep_base") : arm.name;
  if (group.has_attribute("sweep_paths") && group.has_attribute("sweep_values")) {
    const auto paths = group.string_list_attribute("sweep_paths");
    const auto values = group.string_list_attribute("sweep_values");
    for (std::size_t k = 0; k < std::min(paths.size(), values.size()); ++k)
      out.sweep_point.emplace_back(paths[k], values[k]);
  }
  const auto add = [&](const std::string& name, Bounds bounds, std::vector<double> per_replicate,
                       const std::string& unit, bool metric = false) {
    out.quantity_names.push_back(name);
    out.units.push_back(unit);
    out.bounds.push_back(bounds);
    out.module_metric.push_back(metric ? 1 : 0);
    out.values.push_back(std::move(per_replicate));
  };
  for (std::size_t p = 0; p < P; ++p) out.period_labels.push_back(period_label(scenario, p, P));
  std::vector<std::vector<std::vector<double>>> period_values(P);  // [period][quantity][replicate]
  std::vector<Bounds> period_bounds;

  // The outcome definitions, from their counts.
  std::vector<double> participants(static_cast<std::size_t>(R), 0.0), relapses(static_cast<std::size_t>(R), 0.0),
      completed(static_cast<std::size_t>(R), 0.0), relapse_free_years(static_cast<std::size_t>(R), 0.0);
  for (const OutcomeDefinition& d : plan.definitions) {
    if (is_contrast(d)) continue;
    const std::vector<OutcomeCounts> counts = read_counts(group, d, R, P, T, scenario.model.population.size);
    const auto quantities = recovery::outcome_quantities(d);
    std::vector<std::vector<double>> values(quantities.size(), std::vector<double>(static_cast<std::size_t>(R), nan));
    std::vector<std::vector<std::vector<double>>> by_period(
        P, std::vector<std::vector<double>>(quantities.size(), std::vector<double>(static_cast<std::size_t>(R), nan)));
    std::vector<analysis::EventTable> tables;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      const auto strata = recovery::all_strata(counts[r]);
      const auto v = recovery::outcome_values(counts[r], strata);
      for (std::size_t q = 0; q < v.size(); ++q) values[q][r] = v[q];
      for (std::size_t p = 0; p < P && P > 1; ++p) {
        const std::size_t one[] = {p};
        const auto vp = recovery::outcome_values(counts[r], one);
        for (std::size_t q = 0; q < vp.size(); ++q) by_period[p][q][r] = vp[q];
      }
      if (d.statistic == OutcomeStatistic::cumulative_incidence)
        tables.push_back(recovery::combined_event_table(counts[r], strata));
    }
    for (std::size_t q = 0; q < quantities.size(); ++q) {
      add(quantities[q].name, quantities[q].bounds, values[q], quantities[q].unit);
      if (P > 1) {
        out.period_quantity_names.push_back(quantities[q].name);
        period_bounds.push_back(quantities[q].bounds);
        for (std::size_t p = 0; p < P; ++p) period_values[p].push_back(std::move(by_period[p][q]));
      }
    }
    if (d.statistic != OutcomeStatistic::cumulative_incidence) continue;
    // The curves, and the counts the comparisons use.
    if (d.name == "first_episode_completion") {
      std::vector<analysis::EventTable> left;  // dropout or death before completing: leaving early
      for (const auto& t : tables) left.push_back(regroup(t, {{1, 2}, {0}}));
      out.curves.push_back({"retention", "share not yet dropped out or dead during the first episode (Aalen-Johansen)",
                            summarise_curves(left, 0, true)});
      for (std::size_t r = 0; r < tables.size(); ++r)
        for (std::size_t t = 0; t < tables[r].days; ++t) completed[r] += static_cast<double>(tables[r].event(t, 0));
      continue;
    }
    if (d.name == "relapse")
      for (std::size_t r = 0; r < tables.size(); ++r) {
        participants[r] = static_cast<double>(tables[r].total_entered());
        // Each day someone is at risk of a first relapse they are alive and have not relapsed.
        const auto aj = analysis::aalen_johansen(tables[r]);
        for (std::size_t t = 0; t < tables[r].days; ++t) {
          relapses[r] += static_cast<double>(tables[r].event(t, 0));
          relapse_free_years[r] += static_cast<double>(aj.at_risk[t]) / days_per_year;
        }
      }
    out.curves.push_back({d.name,
                          "cumulative incidence of the first " + d.cause_names[0] + " after " + d.origin.text +
                              " (Aalen-Johansen, " + (d.cause_names.size() > 1 ? "competing: " : "nothing competing") +
                              [&] {
                                std::string c;
                                for (std::size_t k = 1; k < d.cause_names.size(); ++k)
                                  c += (k > 1 ? ", " : "") + d.cause_names[k];
                                return c;
                              }() +
                              ")",
                          summarise_curves(tables, 0, false)});
  }
  for (const auto& q : recovery::horizon_outcomes())
    add(q.name, q.bounds, read_values(group, "outcomes/" + q.name, q.bounds, true), q.unit);
  add("participants", Bounds::nonnegative, participants, "people");
  add("relapses", Bounds::nonnegative, relapses, "people");
  add("completed_episodes", Bounds::nonnegative, completed, "people");
  add("relapse_free_person_years", Bounds::nonnegative, relapse_free_years, "person-years");

  // Staff and costs from the modules' daily metrics: costs discounted to day 0 and summed over
  // the horizon; every other metric averaged over the days.
  std::vector<double> cost(R, 0.0), staff(R, 0.0), cost_per_year(R, 0.0);
  struct MetricMean {
    std::string name, unit;
    std::vector<double> values;
  };
  std::vector<MetricMean> metrics;
  // The treatment settings' costs (places taken and provided), as a module's.
  {
    const auto daily = read_values(group, "treatment_cost", Bounds::nonnegative, false);
    std::vector<double> mean_per_day(R);
    for (std::int64_t r = 0; r < R; ++r) {
      const std::span<const double> days(daily.data() + r * T, static_cast<std::size_t>(T));
      double sum = 0.0;
      for (double x : days) sum += x;
      cost[r] += analysis::discounted_sum(days, rate);
      cost_per_year[r] += sum / (static_cast<double>(T) / days_per_year);
      mean_per_day[r] = sum / static_cast<double>(T);
    }
    metrics.push_back({"treatment.cost", "currency units per day", std::move(mean_per_day)});
  }
  for (const auto& m : arm.interventions) {
    for (const auto& [metric, unit, description] : m.module->metrics()) {
      // Every metric counts or measures something: never below zero, never NaN.
      const auto daily = read_values(group, "modules/" + m.type + "/daily/" + metric, Bounds::nonnegative, false);
      std::vector<double> mean_per_day(R);
      for (std::int64_t r = 0; r < R; ++r) {
        const std::span<const double> days(daily.data() + r * T, static_cast<std::size_t>(T));
        double sum = 0.0;
        for (double x : days) sum += x;
        mean_per_day[r] = sum / static_cast<double>(T);
        if (metric == "cost") {
          cost[r] += analysis::discounted_sum(days, rate);
          cost_per_year[r] += sum / (static_cast<double>(T) / days_per_year);  // undiscounted
        }
        if (metric == "staff_fte") staff[r] += mean_per_day[r];
      }
      metrics.push_back({m.type + "." + metric, metric == "cost" ? unit + " per day" : unit, std::move(mean_per_day)});
    }
  }
  std::vector<double> cost_per_participant(R);
  for (std::int64_t r = 0; r < R; ++r) cost_per_participant[r] = participants[r] > 0 ? cost[r] / participants[r] : nan;
  add("cost_total", Bounds::nonnegative, cost, "currency units");
  add("cost_per_participant", Bounds::nonnegative, cost_per_participant, "currency units per participant");
  add("cost_per_year", Bounds::nonnegative, cost_per_year, "currency units per year");
  add("staff_fte", Bounds::nonnegative, staff, "FTE");
  for (auto& m : metrics)
    add(m.name,
        m.name.ends_with(".utilisation") || m.name.ends_with(".mean_burnout") ? Bounds::unit : Bounds::nonnegative,
        std::move(m.values), m.unit, true);

  for (std::size_t q = 0; q < out.values.size(); ++q)
    out.quantities.push_back(analysis::mean_interval(out.values[q], out.bounds[q]));

  // Contrasts within the arm: two of its quantities, paired by replicate. A ratio is the ratio
  // of the two means (its interval by the delta method on the log scale), a difference the mean
  // paired difference; the per-replicate values are each replicate's own ratio or difference.
  for (const OutcomeDefinition& d : plan.definitions) {
    if (!is_contrast(d) || !d.arms.empty()) continue;
    const int a = out.find(d.of[0]), b = out.find(d.of[1]);
    if (a < 0 || b < 0) continue;
    const auto& x = out.values[static_cast<std::size_t>(a)];
    const auto& y = out.values[static_cast<std::size_t>(b)];
    std::vector<double> v(static_cast<std::size_t>(R));
    for (std::size_t r = 0; r < v.size(); ++r)
      v[r] = d.statistic == OutcomeStatistic::difference ? x[r] - y[r] : (y[r] != 0.0 ? x[r] / y[r] : nan);
    const Interval interval = d.statistic == OutcomeStatistic::difference ? analysis::paired_difference(x, y)
                                                                          : analysis::ratio_of_means(x, y);
    add(d.name, d.statistic == OutcomeStatistic::difference ? Bounds::none : Bounds::nonnegative, std::move(v),
        d.statistic == OutcomeStatistic::difference ? "difference" : "ratio");
    out.quantities.push_back(interval);
  }
  for (std::size_t p = 0; p < P && P > 1; ++p) {
    std::vector<Interval> row;
    for (std::size_t q = 0; q < period_values[p].size(); ++q)
      row.push_back(analysis::mean_interval(period_values[p][q], period_bounds[q]));
    out.by_period.push_back(std::move(row));
  }
  return out;
}

namespace {

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

const NamedCurve* ArmAnalysis::curve(const std::string& curve_name) const {
  for (const auto& c : curves)
    if (c.name == curve_name) return &c;
  return nullptr;
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

Analysis analyse_results(const h5::Group& root, const Scenario& scenario, const std::string& reference,
                         const std::vector<double>& wait_quantiles) {
  Analysis result;
  result.reference = reference;
  result.replicates = scenario.run.replicates;
  for (const auto& arm : scenario.arms)
    result.arms.push_back(
        analyse_arm(root.open_group("arms/" + arm.name), scenario, arm, scenario.run.replicates, wait_quantiles));
  const ArmAnalysis* ref = result.arm(reference);
  if (!ref) {
    std::vector<std::string> names;
    for (const auto& a : result.arms) names.push_back(a.name);
    throw InputError({}, "no arm named '" + reference + "' to compare with; arms: " + join_names(names));
  }

  // Contrasts of one quantity between two arms, replicate by replicate.
  for (const OutcomeDefinition& d : scenario.analysis.outcomes) {
    if (!is_contrast(d) || d.arms.empty()) continue;
    const ArmAnalysis *a = result.arm(d.arms[0]), *b = result.arm(d.arms[1]);
    if (!a || !b || a->find(d.of[0]) < 0 || b->find(d.of[0]) < 0) continue;
    ArmContrast c;
    c.name = d.name;
    c.kind = d.statistic == OutcomeStatistic::ratio ? "ratio" : "difference";
    c.quantity = d.of[0];
    c.arm = d.arms[0];
    c.other = d.arms[1];
    const auto& x = a->values[static_cast<std::size_t>(a->find(d.of[0]))];
    const auto& y = b->values[static_cast<std::size_t>(b->find(d.of[0]))];
    for (std::size_t r = 0; r < x.size(); ++r)
      c.values.push_back(c.kind == "ratio" ? (y[r] != 0.0 ? x[r] / y[r] : nan) : x[r] - y[r]);
    c.interval = c.kind == "ratio" ? analysis::ratio_of_means(x, y) : analysis::paired_difference(x, y);
    result.contrasts.push_back(std::move(c));
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
      // Another missing quantity (an outcome only this arm counts) has no difference.
      const std::vector<double> zeros(arm.values[k].size(), arm.module_metric[k] ? 0.0 : nan);
      const auto& base = j >= 0 ? ref->values[static_cast<std::size_t>(j)] : zeros;
      c.paired_differences.push_back(analysis::paired_difference(arm.values[k], base));
      c.unpaired_differences.push_back(analysis::unpaired_difference(arm.values[k], base));
      c.ratios.push_back(analysis::ratio_of_means(arm.values[k], base));
    }
    c.incremental_cost = difference(cost, ref_cost);
    c.relapses_averted = averted;
    const auto additional =
        difference(arm.values[static_cast<std::size_t>(arm.find("completed_episodes"))], ref_completed);
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

std::vector<double> flatten(const std::vector<Interval>& rows) {
  std::vector<double> data;
  for (const auto& i : rows) data.insert(data.end(), {i.estimate, i.low, i.high});
  return data;
}

// Rows of (mean, ci_low, ci_high), one per label; `units` one per label.
void write_intervals(h5::Group& group, const std::string& name, const std::vector<Interval>& rows,
                     const std::vector<std::string>& labels, const std::vector<std::string>& units,
                     const std::string& description) {
  auto d = group.create_dataset<double>(name, {rows.size(), 3});
  d.write_all<double>(flatten(rows));
  d.set_attribute("labels", labels);
  d.set_attribute("columns", std::vector<std::string>{"mean", "ci_low", "ci_high"});
  d.set_attribute("units", units);
  d.set_attribute("description", description);
}

std::vector<std::string> units_of(const ArmAnalysis& arm, const std::vector<std::string>& names) {
  std::vector<std::string> units;
  for (const auto& n : names) {
    const int k = arm.find(n);
    units.push_back(k < 0 ? std::string() : arm.units[static_cast<std::size_t>(k)]);
  }
  return units;
}

void write_curve(h5::Group& group, const std::string& name, const SurvivalCurve& curve,
                 const std::string& description) {
  std::vector<double> data;
  for (std::size_t t = 0; t < curve.survival.size(); ++t)
    data.insert(data.end(), {curve.survival[t], curve.low[t], curve.high[t]});
  auto d = group.create_dataset<double>(name, {curve.survival.size(), 3});
  d.write_all<double>(data);
  d.set_attribute("columns", std::vector<std::string>{"estimate", "ci_low", "ci_high"});
  d.set_attribute("units", "share");
  d.set_attribute("description", "[day since the origin, column]: " + description + ", with its 95% interval");
}

}  // namespace

void write_analysis(h5::Group& root, const Analysis& analysis) {
  for (const auto& arm : analysis.arms) {
    h5::Group summary = root.create_group("arms/" + arm.name + "/summary");
    summary.set_attribute("replicates", analysis.replicates);
    write_intervals(summary, "quantities", arm.quantities, arm.quantity_names, arm.units,
                    "each quantity's mean over replicates with its 95% interval (units: one per label)");
    for (const auto& c : arm.curves) write_curve(summary, "curves/" + c.name, c.curve, c.description);
    if (!arm.by_period.empty()) {
      std::vector<double> data;
      for (const auto& row : arm.by_period) {
        const auto flat = flatten(row);
        data.insert(data.end(), flat.begin(), flat.end());
      }
      auto d = summary.create_dataset<double>("by_admission_period/quantities",
                                              {arm.by_period.size(), arm.period_quantity_names.size(), 3});
      d.write_all<double>(data);
      d.set_attribute("periods", arm.period_labels);
      d.set_attribute("labels", arm.period_quantity_names);
      d.set_attribute("columns", std::vector<std::string>{"mean", "ci_low", "ci_high"});
      d.set_attribute("units", units_of(arm, arm.period_quantity_names));
      d.set_attribute("description",
                      "[admission period, quantity, column]: the outcomes of the people admitted in each "
                      "period, mean over replicates with 95% interval (units: one per label)");
    }
  }
  root.set_attribute("reference_arm", analysis.reference);
  h5::Group comparison = root.create_group("comparison/" + analysis.reference);
  comparison.set_attribute("reference", analysis.reference);
  comparison.set_attribute("reference_dominance", analysis::dominance_name(analysis.reference_dominance));
  for (const auto& c : analysis.comparisons) {
    const ArmAnalysis& arm = *analysis.arm(c.arm);
    h5::Group group = comparison.create_group(c.arm);
    write_intervals(group, "paired_differences", c.paired_differences, arm.quantity_names, arm.units,
                    "arm minus reference, paired by replicate: mean and 95% interval (units: one per label)");
    write_intervals(group, "unpaired_differences", c.unpaired_differences, arm.quantity_names, arm.units,
                    "arm minus reference as if the arms were independent: mean and 95% interval");
    write_intervals(group, "ratios", c.ratios, arm.quantity_names,
                    std::vector<std::string>(arm.quantity_names.size(), "ratio"),
                    "arm / reference: ratio of the means with its 95% interval (delta method, paired)");
    write_intervals(group, "cost_effectiveness", c.cost_effectiveness, cost_effectiveness_names(),
                    {"currency units", "people", "people", "currency units per relapse averted",
                     "currency units per additional completion"},
                    "against the reference: incremental discounted cost, relapses averted, additional completed "
                    "episodes and the ratios, each with its 95% interval (the ratios' by bootstrap)");
    auto cost = group.create_dataset<double>("replicates/incremental_cost", {c.incremental_cost.size()});
    cost.write_all<double>(c.incremental_cost);
    cost.set_attribute("units", "currency units");
    cost.set_attribute("description", "[replicate]: the arm's discounted cost minus the reference's");
    auto averted = group.create_dataset<double>("replicates/relapses_averted", {c.relapses_averted.size()});
    averted.write_all<double>(c.relapses_averted);
    averted.set_attribute("units", "people");
    averted.set_attribute("description", "[replicate]: the reference's relapses minus the arm's, within the horizon");
    group.set_attribute("dominance", analysis::dominance_name(c.dominance));
  }
  for (const auto& c : analysis.contrasts) {
    h5::Group group = root.create_group("contrasts/" + c.name);
    group.set_attribute("kind", c.kind);
    group.set_attribute("quantity", c.quantity);
    group.set_attribute("arms", std::vector<std::string>{c.arm, c.other});
    write_intervals(group, "estimate", {c.interval}, {c.name}, {c.kind}, "the contrast with its 95% interval");
    auto values = group.create_dataset<double>("replicates", {c.values.size()});
    values.write_all<double>(c.values);
    values.set_attribute("units", c.kind);
    values.set_attribute("description", "[replicate]: the contrast in each replicate");
  }
}

}  // namespace recoverysim
