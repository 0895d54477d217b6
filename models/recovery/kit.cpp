// Programme building blocks (kit.hpp).
#include "kit.hpp"

#include <algorithm>

namespace recoverysim::recovery {

// ---- Eligibility ---------------------------------------------------------------------------

void Eligibility::declare(ParamTable& t, const std::string& prefix, Eligibility d) {
  t.add_choice(prefix + "from", from, d.from, {"admission", "discharge", "completion", "dropout", "relapse", "arrival"},
               "The event that makes a person eligible (admission: the first episode's start or a readmission; "
               "discharge: completion or dropout; arrival: entering the cohort, in treatment or, with "
               "population.start: community, out of it); each one opens a new window");
  t.add_integer(prefix + "for_days", window_days, d.window_days, 0, max_day_count, "days",
                "Days a window stays open after it opens (0: until death or the conditions end it)");
  t.add_choice(prefix + "substance", substance, d.substance, {"any", "alcohol", "opioid", "stimulant"},
               "Only people whose primary substance is this");
  t.add_choice(prefix + "mental_health", mental_health, d.mental_health, {"any", "with", "without"},
               "Only people with (or without) a co-occurring mental health condition");
  t.add_choice(prefix + "treatment", treatment, d.treatment, {"any", "in_treatment", "out_of_treatment"},
               "Only while in treatment, or only while out of it");
  t.add_choice(prefix + "state", state, d.state, {"any", "abstinent", "using"},
               "Only while abstinent (early or stable recovery), or only while using (lapse or relapse)");
}

std::uint8_t Eligibility::opening_events() const {
  switch (from) {
    case EligibleFrom::admission: return event_admitted | event_readmitted;
    case EligibleFrom::discharge: return event_completed | event_dropped_out;
    case EligibleFrom::completion: return event_completed;
    case EligibleFrom::dropout: return event_dropped_out;
    case EligibleFrom::relapse: return event_relapsed;
    case EligibleFrom::arrival: return 0;  // not an event bit: the day's arrivals (opened_today)
  }
  return 0;
}

bool Eligibility::holds(const Population& pop, std::size_t i) const {
  if (pop.state[i] == ClinicalState::deceased) return false;
  if (substance != SubstanceCondition::any && static_cast<int>(pop.substance[i]) != static_cast<int>(substance) - 1)
    return false;
  if (mental_health != MentalHealthCondition::any &&
      (pop.mental_health[i] != 0) != (mental_health == MentalHealthCondition::with))
    return false;
  const bool treated = pop.treatment[i] == TreatmentStatus::in_treatment;
  if (treatment != TreatmentCondition::any && treated != (treatment == TreatmentCondition::in_treatment)) return false;
  return state == StateCondition::any ||
         (state == StateCondition::abstinent ? is_abstinent(pop.state[i]) : is_using(pop.state[i]));
}

void Eligibility::opened_today(const DayView& view, std::vector<std::int32_t>& out) const {
  if (from == EligibleFrom::arrival) {
    out.clear();
    const std::size_t first = view.day > 0 ? view.pop.admitted_by(static_cast<std::int32_t>(view.day) - 1) : 0;
    for (std::size_t i = first; i < view.pop.admitted_by(static_cast<std::int32_t>(view.day)); ++i)
      out.push_back(static_cast<std::int32_t>(i));
  } else {
    agents_with_events(view, opening_events(), out);
  }
  std::erase_if(out, [&](std::int32_t i) { return !holds(view.pop, static_cast<std::size_t>(i)); });
}

// ---- The capacity queue --------------------------------------------------------------------

void CapacityQueue::reset(std::size_t agents) {
  heap_ = {};
  entry_.assign(agents, none);
  first_queued_day_.assign(agents, -1);
  first_served_day_.assign(agents, -1);
  left_unserved_day_.assign(agents, -1);
  waiting_ = joined_day_sum_ = 0;
}

void CapacityQueue::join(std::int32_t agent, std::int32_t day, std::uint16_t priority) {
  const auto i = static_cast<std::size_t>(agent);
  if (entry_[i] != none) return;
  entry_[i] = (Key{priority} << 48) | (Key(static_cast<std::uint32_t>(day)) << 32) | static_cast<std::uint32_t>(agent);
  heap_.push(entry_[i]);
  if (first_queued_day_[i] < 0) first_queued_day_[i] = day;
  ++waiting_;
  joined_day_sum_ += day;
}

void CapacityQueue::leave(std::int32_t agent, std::int32_t day) {
  const auto i = static_cast<std::size_t>(agent);
  if (entry_[i] == none) return;
  // The heap entry stays until it reaches the top: it no longer matches entry_.
  joined_day_sum_ -= joined_day(agent);
  entry_[i] = none;
  --waiting_;
  if (first_served_day_[i] < 0 && left_unserved_day_[i] < 0) left_unserved_day_[i] = day;
}

std::int32_t CapacityQueue::serve(std::int32_t day) {
  while (!heap_.empty()) {
    const Key key = heap_.top();
    heap_.pop();
    const auto agent = static_cast<std::int32_t>(key & 0xffffffffu);
    const auto i = static_cast<std::size_t>(agent);
    if (entry_[i] != key) continue;  // left since, or a later wait's entry
    joined_day_sum_ -= joined_day(agent);
    entry_[i] = none;
    --waiting_;
    if (first_served_day_[i] < 0) first_served_day_[i] = day;
    return agent;
  }
  return -1;
}

double CapacityQueue::mean_days_so_far(std::int32_t day) const {
  if (waiting_ == 0) return 0.0;
  // Days waited so far, the day joined counting as one.
  return static_cast<double>(waiting_ * (day + 1) - joined_day_sum_) / static_cast<double>(waiting_);
}

std::vector<std::int32_t> CapacityQueue::in_order() const {
  auto heap = heap_;
  std::vector<std::int32_t> agents;
  for (; !heap.empty(); heap.pop()) {
    const auto agent = static_cast<std::int32_t>(heap.top() & 0xffffffffu);
    // An agent who left and joined again the same day has two equal entries, one after the other.
    if (entry_[static_cast<std::size_t>(agent)] == heap.top() && (agents.empty() || agents.back() != agent))
      agents.push_back(agent);
  }
  return agents;
}

std::vector<TimeToEventRecord> CapacityQueue::wait_records(const Population& pop) const {
  return recovery::wait_records(first_queued_day_, first_served_day_, left_unserved_day_, pop);
}

// ---- Staff ---------------------------------------------------------------------------------

void StaffPositions::reset(std::int64_t positions) {
  filled_from_.assign(static_cast<std::size_t>(positions), 0);
  working_ = positions;
}

void StaffPositions::update(RandomKey key, std::uint32_t day, std::uint32_t stream, double leave_probability_per_day,
                            std::int64_t hiring_delay_days) {
  const auto today = static_cast<std::int32_t>(day);
  working_ = 0;
  for (std::size_t k = 0; k < filled_from_.size(); ++k) {
    std::int32_t& from = filled_from_[k];
    if (from > today) continue;  // vacant
    if (from < today && leave_probability_per_day > 0.0 &&
        bernoulli(philox_block(key, static_cast<std::uint32_t>(k), day, stream, 0)[0], leave_probability_per_day)) {
      from = static_cast<std::int32_t>(std::min<std::int64_t>(today + hiring_delay_days, max_day_count));
      continue;
    }
    ++working_;
  }
}

// ---- Costs and metrics ---------------------------------------------------------------------

void ProgrammeCosts::declare(ParamTable& t, const std::string& prefix, ProgrammeCosts d) {
  t.add_real(prefix + "salary_per_year", salary_per_year, d.salary_per_year, 0.0, 1.0e9, "currency per FTE-year",
             "Salary of one full-time member of staff (365.25 days to a year)");
  t.add_real(prefix + "cost_per_contact", cost_per_contact, d.cost_per_contact, 0.0, 1.0e6, "currency per contact",
             "Cost of each contact delivered (a session, a test, a voucher's handling)");
  t.add_real(prefix + "cost_per_participant_day", cost_per_participant_day, d.cost_per_participant_day, 0.0, 1.0e6,
             "currency per participant per day", "Cost of each participant's day in the programme (a bed, a place)");
  t.add_real(prefix + "fixed_cost_per_year", fixed_cost_per_year, d.fixed_cost_per_year, 0.0, 1.0e12,
             "currency per year", "Fixed cost of running the programme (premises, management), whatever its use");
}

namespace standard_metric {
Metric queue_length() { return {"queue_length", "people", "people waiting for a place at the end of the day"}; }
Metric queue_mean_days_so_far() {
  return {"queue_mean_days_so_far", "days",
          "mean days waited so far by those waiting at the end of the day (0 if none)"};
}
Metric utilisation() { return {"utilisation", "share", "places filled / places available at the end of the day"}; }
Metric staff_fte() { return {"staff_fte", "FTE", "staff working today, full-time equivalents"}; }
Metric cost() { return {"cost", "currency units", "the day's cost, undiscounted"}; }
}  // namespace standard_metric

}  // namespace recoverysim::recovery
