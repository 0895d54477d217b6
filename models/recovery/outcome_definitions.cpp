// The shipped outcome definitions and the names of every definition's quantities.
#include "outcome_definitions.hpp"

#include <cmath>

namespace recoverysim::recovery {

namespace {

constexpr std::uint32_t bit(auto code) { return 1u << static_cast<std::uint32_t>(code); }
constexpr std::uint32_t every_treatment_status = (1u << treatment_status_count) - 1;

OutcomeDefinition first_event(std::string name, EventCode event, std::vector<std::int32_t> days) {
  OutcomeDefinition d;
  d.name = std::move(name);
  d.causes = {{event}, {event_code_died}};
  d.cause_names = {d.name, "died"};
  d.event_text = {d.name};
  d.days = std::move(days);
  d.where = "the shipped outcomes";
  return d;
}

}  // namespace

std::vector<OutcomeDefinition> default_outcome_definitions(std::int64_t days, std::int64_t episode_length_days,
                                                           bool first_episode_at_arrival) {
  std::vector<std::int32_t> milestones;
  for (const std::int32_t d : outcome_milestone_days)
    if (d <= days) milestones.push_back(d);
  std::vector<OutcomeDefinition> out;
  out.push_back(first_event("relapse", event_code_relapse, milestones));
  out.push_back(first_event("lapse", event_code_lapse, milestones));

  OutcomeDefinition completion;
  completion.name = "first_episode_completion";
  completion.causes = {{event_code_completed}, {event_code_dropped_out}, {event_code_died}};
  completion.cause_names = {"completed", "dropped_out", "died"};
  completion.event_text = {"completed"};
  completion.single_quantity = true;
  // NaN when the horizon is shorter than an episode: nobody can have completed one.
  completion.days = {static_cast<std::int32_t>(episode_length_days)};
  completion.where = "the shipped outcomes";
  // From the day of the first entry, whose episode's first day is the next day.
  if (!first_episode_at_arrival) {
    completion.origin = {Origin::Kind::event, {event_code_admitted}, 1, "admitted"};
    completion.days = {static_cast<std::int32_t>(episode_length_days + 1)};
  }
  out.push_back(std::move(completion));

  OutcomeDefinition abstinent;
  abstinent.name = "abstinent";
  abstinent.statistic = OutcomeStatistic::state_share;
  abstinent.state = {bit(ClinicalState::early_recovery) | bit(ClinicalState::stable_recovery), every_treatment_status};
  abstinent.state_name = "abstinent";
  abstinent.days = milestones;
  abstinent.where = "the shipped outcomes";
  out.push_back(std::move(abstinent));
  return out;
}

std::string quantile_name(double q) {
  const double percent = q * 100.0;
  if (percent == std::floor(percent)) return std::to_string(static_cast<int>(percent));
  std::string s = std::to_string(percent);
  s.erase(s.find_last_not_of('0') + 1);
  for (char& c : s)
    if (c == '.') c = 'p';
  return s;
}

std::vector<OutcomeQuantity> outcome_quantities(const OutcomeDefinition& d) {
  using analysis::Bounds;
  std::vector<OutcomeQuantity> q;
  const auto add = [&](std::string name, Bounds bounds, std::string unit, std::string description,
                       bool headline = true) {
    q.push_back({std::move(name), bounds, headline, std::move(unit), std::move(description)});
  };
  const std::string event = d.cause_names.empty() ? d.name : d.cause_names[0];
  const std::string origin = d.origin.text.empty() ? "admission" : d.origin.text;
  std::string competing;
  for (std::size_t k = 1; k < d.cause_names.size(); ++k) competing += (k > 1 ? ", " : "") + d.cause_names[k];
  const std::string among = d.subgroup.empty() ? "" : " (a subgroup: see the scenario's analysis.outcomes)";
  switch (d.statistic) {
    case OutcomeStatistic::cumulative_incidence: {
      const bool complete = d.origin.kind != Origin::Kind::day0;
      const std::string against = competing.empty() ? "" : ", " + competing + " competing";
      for (const std::int32_t day : d.days) {
        const std::string base = d.single_quantity ? d.name : d.name + "_by_day_" + std::to_string(day);
        const std::string within = " within " + std::to_string(day) + " days of " + origin;
        add(base, Bounds::unit, "share",
            "share with a first " + event + within + against + " (Aalen-Johansen cumulative incidence)" + among);
        add(base + "_km", Bounds::unit, "share",
            "share with a first " + event + within + ", other events censored (Kaplan-Meier net risk)" + among, false);
        if (complete) {
          add(base + "_complete", Bounds::unit, "share",
              "share with a first " + event + within + ", among those followed that long" + among, false);
          add(base + "_complete_n", Bounds::nonnegative, "people",
              "people followed " + std::to_string(day) + " days after " + origin + among, false);
        }
      }
      if (d.restricted_mean_days > 0)
        add(d.name + "_mean_days", Bounds::nonnegative, "days",
            "mean days from " + origin + " to the first " + event + ", counting at most " +
                std::to_string(d.restricted_mean_days) + " days (restricted mean)" + among);
      for (const double quantile : d.quantiles)
        add(d.name + "_p" + quantile_name(quantile) + "_days", Bounds::nonnegative, "days",
            "days from " + origin + " by which " + quantile_name(quantile) + "% had a first " + event +
                " (NaN: fewer ever did)" + among);
      if (!d.never_name.empty())
        add(d.never_name, Bounds::unit, "share",
            "share who never had a " + event + " after " + origin + against + among);
      break;
    }
    case OutcomeStatistic::state_share:
      for (const std::int32_t day : d.days) {
        const std::string on = " on day " + std::to_string(day) + " after " + origin;
        add(d.name + "_on_day_" + std::to_string(day), Bounds::unit, "share",
            "share " + d.state_name + on + ", among those followed that long" + among);
        add(d.name + "_on_day_" + std::to_string(day) + "_n", Bounds::nonnegative, "people",
            "people followed to day " + std::to_string(day) + " after " + origin + among, false);
      }
      break;
    case OutcomeStatistic::rate:
      for (const auto& c : rate_category_suffixes(d)) {
        const std::string part = c.empty() ? "" : " (" + c.substr(1) + ")";
        add(d.name + "_per_1000py" + c, Bounds::nonnegative, "per 1000 person-years",
            event + " per 1000 person-years after " + origin + part + among);
        add(d.name + "_events" + c, Bounds::nonnegative, "events", event + " events after " + origin + part + among,
            false);
        add(d.name + "_person_years" + c, Bounds::nonnegative, "person-years",
            "person-years followed after " + origin + part + among, false);
      }
      break;
    case OutcomeStatistic::ratio:
      if (d.arms.empty())
        add(d.name, Bounds::nonnegative, "ratio", "ratio " + (d.of.size() == 2 ? d.of[0] + " / " + d.of[1] : d.name));
      break;
    case OutcomeStatistic::difference:
      if (d.arms.empty())
        add(d.name, Bounds::none, "difference",
            "difference " + (d.of.size() == 2 ? d.of[0] + " - " + d.of[1] : d.name));
      break;
  }
  return q;
}

std::vector<std::string> rate_category_suffixes(const OutcomeDefinition& d) {
  if (d.split == RateSplit::treatment_status) return {"", "_in_treatment", "_out_of_treatment"};
  if (d.split == RateSplit::after_leaving)
    return {"", "_in_treatment", "_first_" + std::to_string(d.after_leaving_days) + "_days_out", "_later_out"};
  return {""};
}

std::vector<std::string> outcome_quantity_names(const OutcomeDefinition& d) {
  std::vector<std::string> names;
  for (auto& q : outcome_quantities(d)) names.push_back(std::move(q.name));
  return names;
}

const std::vector<NamedStateSet>& named_state_sets() {
  constexpr std::uint32_t living = (1u << clinical_state_count) - 1 - bit(ClinicalState::deceased);
  constexpr std::uint32_t in_treatment = bit(TreatmentStatus::in_treatment);
  static const std::vector<NamedStateSet> sets = {
      {"abstinent",
       {bit(ClinicalState::early_recovery) | bit(ClinicalState::stable_recovery), every_treatment_status},
       "alive and in early or stable recovery"},
      {"using",
       {bit(ClinicalState::lapse) | bit(ClinicalState::relapse), every_treatment_status},
       "alive and in lapse or relapse"},
      {"withdrawal", {bit(ClinicalState::withdrawal), every_treatment_status}, "alive and in withdrawal"},
      {"early_recovery", {bit(ClinicalState::early_recovery), every_treatment_status}, "alive and in early recovery"},
      {"stable_recovery",
       {bit(ClinicalState::stable_recovery), every_treatment_status},
       "alive and in stable recovery"},
      {"lapse", {bit(ClinicalState::lapse), every_treatment_status}, "alive and in lapse"},
      {"relapse", {bit(ClinicalState::relapse), every_treatment_status}, "alive and in relapse"},
      {"alive", {living, every_treatment_status}, "alive"},
      {"deceased", {bit(ClinicalState::deceased), every_treatment_status}, "dead"},
      {"in_treatment", {living, in_treatment}, "alive and in treatment"},
      {"out_of_treatment", {living, every_treatment_status & ~in_treatment}, "alive and out of treatment"},
      {"abstinent_in_treatment",
       {bit(ClinicalState::early_recovery) | bit(ClinicalState::stable_recovery), in_treatment},
       "alive, abstinent and in treatment"},
  };
  return sets;
}

}  // namespace recoverysim::recovery
