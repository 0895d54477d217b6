// Net monetary benefit, frontier, quadrants, acceptability and the recommendation (see
// decision.hpp and docs/output.md).
#include "decision.hpp"

#include "analysis/statistics.hpp"
#include "models/recovery/outcome_definitions.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace recoverysim {

using analysis::Interval;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

const std::vector<double>& values_of(const ArmAnalysis& arm, const std::string& quantity) {
  const int k = arm.find(quantity);
  if (k < 0) throw std::logic_error("decision: no quantity " + quantity + " in arm " + arm.name);
  return arm.values[static_cast<std::size_t>(k)];
}

std::string number(double x) {
  std::ostringstream s;
  s.precision(x != 0 && std::fabs(x) < 1 ? 3 : 0);
  s << std::fixed << x;
  return s.str();
}

std::string percent(double share) {
  std::ostringstream s;
  s << std::fixed;
  s.precision(0);
  s << share * 100.0 << "%";
  return s.str();
}

}  // namespace

const EffectMeasure& effect_measure(AnalysisSettings::Effect effect) {
  static const std::vector<EffectMeasure> measures = {
      {"relapses_averted", "relapses", true, "relapse averted", "relapses averted"},
      {"relapse_free_person_years", "relapse_free_person_years", false, "relapse-free person-year gained",
       "relapse-free person-years gained"},
      {"completed_episodes", "completed_episodes", false, "completed episode gained", "completed episodes gained"},
      {"abstinent_person_years", "abstinent_person_years", false, "abstinent person-year gained",
       "abstinent person-years gained"},
  };
  return measures.at(static_cast<std::size_t>(effect));
}

Decision decide(const Analysis& analysis, const Scenario& scenario, double wtp) {
  Decision d;
  d.effect = effect_measure(scenario.analysis.effect);
  d.wtp = !std::isnan(wtp)                           ? wtp
          : scenario.analysis.willingness_to_pay > 0 ? scenario.analysis.willingness_to_pay
                                                     : nan;
  d.reference = analysis.reference;
  d.drawn_parameters = !scenario.uncertain_parameters().empty();
  const ArmAnalysis& ref = *analysis.arm(analysis.reference);
  const auto& ref_cost = values_of(ref, "cost_total");
  const auto& ref_effect = values_of(ref, d.effect.quantity);
  std::vector<double> mean_cost, mean_effect;
  for (const auto& arm : analysis.arms) {
    d.arms.push_back(arm.name);
    const auto& cost = values_of(arm, "cost_total");
    const auto& level = values_of(arm, d.effect.quantity);
    std::vector<double> dc(cost.size()), de(cost.size());
    for (std::size_t r = 0; r < cost.size(); ++r) {
      dc[r] = cost[r] - ref_cost[r];
      de[r] = d.effect.fewer_is_better ? ref_effect[r] - level[r] : level[r] - ref_effect[r];
    }
    d.mean_cost.push_back(analysis::mean_interval(dc));
    d.mean_effect.push_back(analysis::mean_interval(de));
    mean_cost.push_back(d.mean_cost.back().estimate);
    mean_effect.push_back(d.mean_effect.back().estimate);
    d.quadrant.push_back(analysis::quadrant(mean_cost.back(), mean_effect.back()));
    d.net_benefit.push_back(std::isnan(d.wtp) ? Interval{nan, nan, nan}
                                              : analysis::mean_interval(analysis::net_monetary_benefit(de, dc, d.wtp)));
    d.cost.push_back(std::move(dc));
    d.effect_values.push_back(std::move(de));
    d.cost_per_year.push_back(values_of(arm, "cost_per_year"));
  }
  d.frontier = analysis::efficient_frontier(mean_cost, mean_effect);
  // Each step of the frontier with a bootstrap interval over replicates of the paired
  // differences between its two arms (the same resampling as the ratios against the reference).
  const auto samples = static_cast<int>(scenario.analysis.bootstrap_samples);
  for (std::size_t k = 0; k < d.frontier.options.size(); ++k) {
    if (k == 0) {
      d.sequential_icer.push_back({nan, nan, nan});
      continue;
    }
    const std::size_t p = d.frontier.options[k - 1], q = d.frontier.options[k];
    std::vector<double> dc(d.cost[q].size()), de(dc.size());
    for (std::size_t r = 0; r < dc.size(); ++r) {
      dc[r] = d.cost[q][r] - d.cost[p][r];
      de[r] = d.effect_values[q][r] - d.effect_values[p][r];
    }
    const RandomKey key{static_cast<std::uint32_t>(scenario.run.seed), name_counter(d.arms[q]) ^ 0x5bd1e995u};
    d.sequential_icer.push_back(analysis::icer_bootstrap(dc, de, samples, key));
  }
  // Acceptability up to twice the largest step of the frontier (or of the stated willingness to
  // pay), in 41 points.
  double top = std::isnan(d.wtp) ? 0.0 : 2.0 * d.wtp;
  for (const double icer : d.frontier.sequential_icer)
    if (std::isfinite(icer)) top = std::max(top, 2.0 * icer);
  if (!(top > 0)) top = 1.0;
  d.acceptability = analysis::acceptability(d.cost, d.effect_values, analysis::wtp_grid(top, 41));
  return d;
}

void write_decision(h5::Group& root, const Decision& d) {
  h5::Group g = root.create_group("decision");
  g.set_attribute("effect", d.effect.name);
  g.set_attribute("reference", d.reference);
  g.set_attribute("units", "currency units per " + d.effect.unit);
  g.set_attribute("uncertainty", d.drawn_parameters ? std::string("replicates and the parameters drawn per replicate")
                                                    : std::string("simulation noise only (no parameter is drawn)"));
  const auto write_rows = [&](const std::string& name, const std::vector<Interval>& rows,
                              const std::vector<std::string>& labels, const std::string& unit,
                              const std::string& description) {
    std::vector<double> data;
    for (const auto& i : rows) data.insert(data.end(), {i.estimate, i.low, i.high});
    auto dataset = g.create_dataset<double>(name, {rows.size(), 3});
    dataset.write_all<double>(data);
    dataset.set_attribute("labels", labels);
    dataset.set_attribute("columns", std::vector<std::string>{"mean", "ci_low", "ci_high"});
    dataset.set_attribute("units", unit);
    dataset.set_attribute("description", description);
  };
  write_rows("incremental_cost", d.mean_cost, d.arms, "currency units", "discounted cost against the reference");
  write_rows("effect", d.mean_effect, d.arms, d.effect.units, d.effect.units + " against the reference");
  if (!std::isnan(d.wtp)) {
    write_rows("net_monetary_benefit", d.net_benefit, d.arms, "currency units",
               "willingness to pay x effect - incremental cost, against the reference");
    g.set_attribute("willingness_to_pay", d.wtp);
  }
  std::vector<std::string> quadrants;
  for (const auto q : d.quadrant) quadrants.push_back(analysis::quadrant_name(q));
  g.set_attribute("quadrant", quadrants);
  std::vector<std::string> frontier;
  for (const std::size_t i : d.frontier.options) frontier.push_back(d.arms[i]);
  write_rows("frontier", d.sequential_icer, frontier, "currency units per " + d.effect.unit,
             "the efficient arms by cost, each with its ICER against the previous one (the first: NaN)");
  auto wtp = g.create_dataset<double>("acceptability/wtp", {d.acceptability.wtp.size()});
  wtp.write_all<double>(d.acceptability.wtp);
  std::vector<double> p, se;
  for (std::size_t k = 0; k < d.acceptability.wtp.size(); ++k) {
    p.insert(p.end(), d.acceptability.probability[k].begin(), d.acceptability.probability[k].end());
    se.insert(se.end(), d.acceptability.standard_error[k].begin(), d.acceptability.standard_error[k].end());
  }
  auto probability = g.create_dataset<double>("acceptability/probability", {d.acceptability.wtp.size(), d.arms.size()});
  probability.write_all<double>(p);
  probability.set_attribute("labels", d.arms);
  auto error = g.create_dataset<double>("acceptability/standard_error", {d.acceptability.wtp.size(), d.arms.size()});
  error.write_all<double>(se);
  error.set_attribute("labels", d.arms);
  wtp.set_attribute("units", "currency units per " + d.effect.unit);
  wtp.set_attribute("description", "the willingness to pay of each row of probability and standard_error");
  probability.set_attribute("units", "probability");
  probability.set_attribute("description",
                            "[wtp, arm]: share of replicates in which the arm has the highest net "
                            "monetary benefit (ties shared)");
  error.set_attribute("units", "probability");
  error.set_attribute("description", "[wtp, arm]: Monte Carlo standard error of probability, sqrt(p (1 - p) / R)");

  // What the decision is computed from, replicate by replicate: a reader can recompute net
  // benefit, acceptability or a recommendation at any willingness to pay (scripts/report.py does).
  const std::size_t R = d.arms.empty() ? 0 : d.cost.front().size();
  const auto write_matrix = [&](const std::string& name, const std::vector<std::vector<double>>& rows,
                                const std::string& units, const std::string& description) {
    std::vector<double> data;
    for (const auto& row : rows) data.insert(data.end(), row.begin(), row.end());
    auto dataset = g.create_dataset<double>("replicates/" + name, {rows.size(), R});
    dataset.write_all<double>(data);
    dataset.set_attribute("labels", d.arms);
    dataset.set_attribute("units", units);
    dataset.set_attribute("description", description);
  };
  write_matrix("incremental_cost", d.cost, "currency units", "[arm, replicate]: discounted cost against the reference");
  write_matrix("effect", d.effect_values, d.effect.units,
               "[arm, replicate]: " + d.effect.units + " against the reference");
  write_matrix("cost_per_year", d.cost_per_year, "currency units per year",
               "[arm, replicate]: mean annual staff cost over the horizon, undiscounted (what a budget limits)");
  g.open_group("replicates").set_attribute("t_975", analysis::t_quantile_975(static_cast<std::int64_t>(R) - 1));
}

Recommendation recommend(const Analysis& analysis, const Decision& decision, const Constraints& c) {
  Recommendation out;
  out.constraints = c;
  const double wtp = c.wtp;
  const std::size_t A = analysis.arms.size();
  const std::string quantile_suffix = "_p" + recovery::quantile_name(c.wait_quantile) + "_days";
  std::vector<std::vector<double>> nmb(A);
  for (std::size_t a = 0; a < A; ++a) {
    const ArmAnalysis& arm = analysis.arms[a];
    ArmVerdict v;
    v.arm = arm.name;
    const auto& per_year = values_of(arm, "cost_per_year");
    const std::size_t R = per_year.size();
    // The budget: the mean annual staff cost over the horizon, undiscounted.
    if (std::isfinite(c.budget_per_year)) {
      double within = 0;
      for (const double x : per_year) within += x <= c.budget_per_year ? 1.0 : 0.0;
      v.budget_share = R ? within / static_cast<double>(R) : 0.0;
    }
    // The wait: each capacity-limited module's per-person wait quantile, in every replicate.
    std::vector<const std::vector<double>*> waits;
    for (std::size_t k = 0; k < arm.quantity_names.size(); ++k) {
      const auto& name = arm.quantity_names[k];
      if (name.size() > quantile_suffix.size() && name.ends_with(".wait" + quantile_suffix))
        waits.push_back(&arm.values[k]);
    }
    if (!waits.empty()) {
      double within = 0, sum = 0;
      for (std::size_t r = 0; r < R; ++r) {
        double worst = 0;
        for (const auto* w : waits)
          worst = std::max(worst, std::isnan((*w)[r]) ? std::numeric_limits<double>::infinity() : (*w)[r]);
        within += worst <= c.max_wait_days ? 1.0 : 0.0;
        sum += worst;
      }
      v.mean_wait = R ? sum / static_cast<double>(R) : nan;
      if (std::isfinite(c.max_wait_days)) v.wait_share = R ? within / static_cast<double>(R) : 0.0;
    }  // else no programme with a queue: nobody waits (mean_wait stays NaN, shown as such)
    v.feasible = v.budget_share >= c.confidence && v.wait_share >= c.confidence;
    nmb[a] = analysis::net_monetary_benefit(decision.effect_values[a], decision.cost[a], wtp);
    v.net_benefit = analysis::mean_interval(nmb[a]);
    out.arms.push_back(v);
  }
  // Among the feasible arms: the highest mean net benefit, and how often each has the highest.
  std::vector<std::size_t> feasible;
  for (std::size_t a = 0; a < A; ++a)
    if (out.arms[a].feasible) feasible.push_back(a);
  std::sort(feasible.begin(), feasible.end(), [&](std::size_t x, std::size_t y) {
    return out.arms[x].net_benefit.estimate > out.arms[y].net_benefit.estimate;
  });
  if (!feasible.empty()) out.recommended = static_cast<int>(feasible[0]);
  if (feasible.size() > 1) out.runner_up = static_cast<int>(feasible[1]);
  const std::size_t R = A ? nmb[0].size() : 0;
  for (std::size_t r = 0; r < R; ++r) {
    double best = -std::numeric_limits<double>::infinity();
    std::size_t ties = 0;
    for (const std::size_t a : feasible) {
      if (nmb[a][r] > best) {
        best = nmb[a][r];
        ties = 1;
      } else if (nmb[a][r] == best) {
        ++ties;
      }
    }
    for (const std::size_t a : feasible)
      if (nmb[a][r] == best) out.arms[a].probability_best += 1.0 / static_cast<double>(ties);  // wins, ties shared
  }
  for (auto& v : out.arms) {
    v.probability_best = R ? v.probability_best / static_cast<double>(R) : nan;
    v.probability_best_se = R ? std::sqrt(v.probability_best * (1 - v.probability_best) / static_cast<double>(R)) : nan;
  }

  // At an end of a swept grid the answer may lie beyond it.
  if (out.recommended >= 0) {
    const ArmAnalysis& rec = analysis.arms[static_cast<std::size_t>(out.recommended)];
    if (!rec.sweep_point.empty()) {
      const auto numeric = [](const std::string& s, double& x) {
        try {
          std::size_t used = 0;
          x = std::stod(s, &used);
          return used == s.size();
        } catch (const std::exception&) {
          return false;
        }
      };
      double value = 0;
      if (numeric(rec.sweep_point[0].second, value)) {
        double low = value, high = value;
        for (const auto& arm : analysis.arms) {
          double x = 0;
          const bool same_family =
              arm.sweep_base == rec.sweep_base && arm.sweep_point.size() == rec.sweep_point.size() &&
              std::equal(arm.sweep_point.begin() + 1, arm.sweep_point.end(), rec.sweep_point.begin() + 1);
          if (same_family && numeric(arm.sweep_point[0].second, x)) {
            low = std::min(low, x);
            high = std::max(high, x);
          }
        }
        const std::string& path = rec.sweep_point[0].first;
        if (high > low && value == high)
          out.edge_warning = "the recommendation is the largest value tried (" + path + " = " +
                             rec.sweep_point[0].second + "): extend the grid above " + rec.sweep_point[0].second;
        else if (high > low && value == low)
          out.edge_warning = "the recommendation is the smallest value tried (" + path + " = " +
                             rec.sweep_point[0].second + "): extend the grid below " + rec.sweep_point[0].second;
      }
    }
  }

  out.rule.push_back("Each arm's net monetary benefit is the willingness to pay (" + number(wtp) + " per " +
                     decision.effect.unit + ") times its " + decision.effect.units + " against " + decision.reference +
                     ", minus its discounted incremental cost, per replicate; effects are not discounted.");
  if (std::isfinite(c.budget_per_year))
    out.rule.push_back("Budget: the mean annual staff cost over the horizon, undiscounted, is at most " +
                       number(c.budget_per_year) + " in at least " + percent(c.confidence) + " of replicates.");
  if (std::isfinite(c.max_wait_days))
    out.rule.push_back("Wait: in each programme with a queue, the " + recovery::quantile_name(c.wait_quantile) +
                       "th percentile of each person's wait (from joining the queue to being served) is at most " +
                       number(c.max_wait_days) + " days in at least " + percent(c.confidence) +
                       " of replicates; an arm without such a programme has no wait.");
  out.rule.push_back(
      "Recommended: of the arms that meet every requirement, the one with the highest mean net "
      "benefit; 'best in' is the share of replicates in which it has the highest net benefit among "
      "them (Monte Carlo standard error sqrt(p (1 - p) / R)); " +
      std::string(decision.drawn_parameters ? "the replicates include the parameters drawn per replicate."
                                            : "no parameter is drawn, so this reflects simulation noise only."));
  return out;
}

}  // namespace recoverysim
