// The group module: its parameter table, the day's figures (before_day; the effects on members
// are the hook in group.hpp) and the serial phase that records contagion and moves the queue
// and the groups (after_day).
#include "group.hpp"

#include <algorithm>

namespace recoverysim::recovery {

constexpr std::int32_t whole_days_per_week = 7;  // sessions fall on whole days

bool is_session_day(std::uint32_t day, std::int64_t sessions_per_week) {
  const auto d = static_cast<std::int64_t>(day);
  return (d + 1) * sessions_per_week / whole_days_per_week > d * sessions_per_week / whole_days_per_week;
}

void Group::declare(ParamTable& t) {
  t.add_integer("facilitators", p_.facilitators, 2, 0, 100000, "facilitators",
                "Facilitators employed, each one full-time equivalent");
  t.add_integer("groups_per_facilitator", p_.groups_per_facilitator, 2, 1, 100, "groups",
                "Groups each facilitator runs at the same time");
  t.add_integer("group_size", p_.group_size, 10, 1, 50, "members",
                "Most members a group holds (1 = one-to-one therapy)");
  t.add_integer("sessions_per_week", p_.sessions_per_week, 2, 1, 7, "sessions per week",
                "Sessions of every group, spread evenly over the week");
  t.add_choice("admission", p_.admission, GroupAdmission::rolling, {"rolling", "closed"},
               "rolling fills vacancies daily; closed fills an empty group and keeps it for a cycle");
  t.add_integer("closed_cycle_weeks", p_.closed_cycle_weeks, 8, 1, 520, "weeks",
                "Closed admission: length of a group's cycle, after which all members leave");
  t.add_choice("eligibility", p_.eligibility, GroupEligibility::in_treatment, {"in_treatment", "aftercare"},
               "Who may hold a seat: people in treatment, or also those in aftercare");
  t.add_integer("aftercare_days", p_.aftercare_days, 90, 0, 3650, "days",
                "Aftercare eligibility: days a person stays eligible after a treatment episode ends");

  t.add_real("attendance_intercept", p_.attendance_intercept, -1.0, -50.0, 50.0, "log-odds",
             "Log-odds that a member attends a session, at engagement equal to the centre");
  t.add_real("attendance_engagement_coefficient", p_.attendance_engagement_coefficient, 4.0, -50.0, 50.0,
             "log-odds per unit", "Attendance log-odds per unit of (w - attendance_engagement_centre)");
  t.add_real("attendance_engagement_centre", p_.attendance_engagement_centre, 0.5, 0.0, 1.0, "engagement",
             "Engagement at which the attendance log-odds equal the intercept");

  t.add_real("skills_gain_per_session", p_.skills_gain_per_session, 0.03, 0.0, 1.0, "share of (1 - k)",
             "Per attended session, coping skills k rise by this share of (1 - k)");
  t.add_real("self_efficacy_increment_per_session", p_.self_efficacy_increment_per_session, 0.01, 0.0, 1.0,
             "self-efficacy", "Per attended session, added to self-efficacy e");
  t.add_real("member_support_connections", p_.member_support_connections, 0.15, 0.0, 1.0, "support",
             "Added to the support target g_target every day a person is a member");
  t.add_real("craving_increment_per_member_lapse", p_.craving_increment_per_member_lapse, 0.03, 0.0, 1.0, "craving",
             "Added the next day to the craving c of every other member of a member who lapsed");
  t.add_real("self_efficacy_increment_per_member_milestone", p_.self_efficacy_increment_per_member_milestone, 0.01, 0.0,
             1.0, "self-efficacy",
             "Added the next day to the self-efficacy e of every other member of a member reaching a milestone");
  t.add_integer("first_milestone_days", p_.first_milestone_days, 30, 1, 100000, "days",
                "Consecutive abstinent days that make a milestone shared with the group");
  t.add_integer("second_milestone_days", p_.second_milestone_days, 90, 1, 100000, "days",
                "A second milestone of consecutive abstinent days shared with the group");

  t.add_real("salary_per_year", p_.salary_per_year, 55000.0, 0.0, 1.0e7, "currency per FTE-year",
             "Facilitator salary and overheads per full-time equivalent");
  t.add_real("cost_per_session", p_.cost_per_session, 25.0, 0.0, 1.0e6, "currency per session",
             "Room and materials for each group session held");
}

std::vector<Metric> Group::metrics() const {
  return {{"groups_running", "groups", "groups with at least one member today"},
          {"members", "people", "people holding a seat today"},
          {"attendance", "sessions", "sessions attended today (0 on days without sessions)"},
          {"queue_length", "people", "people waiting for a seat at the end of the day, after the evening's seating"},
          {"staff_fte", "FTE", "facilitators (each one full-time equivalent, employed every day)"},
          {"cost", "currency units", "the day's staff cost: facilitators' salaries and sessions held, undiscounted"}};
}

std::vector<Intervention::EventName> Group::event_names() const {
  return {{"queued", "becomes eligible and joins the queue for a seat"},
          {"joined", "takes a seat in a group (detail: the group)"},
          {"left_group", "leaves the group: end of a closed cycle, end of eligibility, or death"},
          {"left", "leaves the queue without a seat: end of eligibility, or death"}};
}

std::vector<OutcomeDefinition> Group::outcome_definitions(EventCode first_code, std::int64_t days) const {
  return {wait_definition("group", first_code, first_code + event_queued, first_code + event_joined,
                          first_code + event_left, days)};
}

std::vector<TimeToEventRecord> Group::outcome_records(const OutcomeDefinition&, const Population& pop) const {
  return queue_.wait_records(pop);
}

std::int64_t Group::capacity() const { return p_.facilitators * p_.groups_per_facilitator * p_.group_size; }

void Group::start(const ReplicateContext&, std::size_t agents) {
  groups_ = static_cast<std::size_t>(p_.facilitators * p_.groups_per_facilitator);
  group_size_ = static_cast<std::size_t>(p_.group_size);
  member_count_.assign(groups_, 0);
  members_.assign(groups_ * group_size_, -1);
  cycle_start_day_.assign(groups_, 0);
  queue_.reset(agents);
  pending_.clear();
  aftercare_end_.clear();
  last_before_day_ = -1;
  groups_running_today_ = members_today_ = 0;
}

// ---- before_day: today's figures ---------------------------------------------------------------

void Group::before_day(DayView& view) {
  session_today_ = is_session_day(view.day, p_.sessions_per_week);
  groups_running_today_ = members_today_ = 0;
  for (const std::int32_t n : member_count_) {
    groups_running_today_ += n > 0;
    members_today_ += n;
  }
  last_before_day_ = static_cast<std::int32_t>(view.day);
}

// ---- after_day: contagion, leaving, queueing, joining -------------------------------------------

bool Group::eligible(const Population& pop, std::size_t i, std::int32_t day) const {
  if (pop.state[i] == ClinicalState::deceased) return false;
  const TreatmentStatus y = pop.treatment[i];
  if (y == TreatmentStatus::in_treatment) return true;
  if (p_.eligibility != GroupEligibility::aftercare) return false;
  // Aftercare seats last for the aftercare_days days that follow the end of the episode.
  return (y == TreatmentStatus::completed || y == TreatmentStatus::dropped_out) && treatment_end_day_[i] >= 0 &&
         day - treatment_end_day_[i] < p_.aftercare_days;
}

bool Group::is_milestone(std::int32_t abstinent_run) const {
  return abstinent_run == p_.first_milestone_days || abstinent_run == p_.second_milestone_days;
}

// Each group counts its members' lapses and milestones; each member hears of the others'
// events, not its own. Groups in order, so pending_ lists the members with non-zero contagion
// in group order.
void Group::record_contagion(const DayView& view) {
  pending_.clear();
  for (std::size_t g = 0; g < groups_; ++g) {
    const std::span<const std::int32_t> members(members_.data() + g * group_size_,
                                                static_cast<std::size_t>(member_count_[g]));
    std::int32_t lapses = 0, milestones = 0;
    for (const std::int32_t agent : members) {
      const auto i = static_cast<std::size_t>(agent);
      lapses += (view.events[i] & event_lapsed) != 0;
      milestones += !(view.events[i] & event_died) && is_milestone(view.pop.abstinent_run[i]);
    }
    if (lapses == 0 && milestones == 0) continue;  // no contagion in this group
    for (const std::int32_t agent : members) {
      const auto i = static_cast<std::size_t>(agent);
      const std::uint8_t ev = view.events[i];
      if (ev & event_died) continue;  // leaves the group tonight
      const bool own_lapse = (ev & event_lapsed) != 0;
      const bool own_milestone = is_milestone(view.pop.abstinent_run[i]);
      const auto craving = static_cast<float>(p_.craving_increment_per_member_lapse * (lapses - (own_lapse ? 1 : 0)));
      const auto self_efficacy =
          static_cast<float>(p_.self_efficacy_increment_per_member_milestone * (milestones - (own_milestone ? 1 : 0)));
      if (craving == 0.0f && self_efficacy == 0.0f) continue;
      pending_craving_[i] = craving;
      pending_self_efficacy_[i] = self_efficacy;
      pending_.push_back(agent);
    }
  }
}

// The agent leaves its group tonight; it was a member on the days since it joined.
void Group::leave_group(std::size_t agent, const DayView& view) {
  member_days_[agent] += static_cast<std::int32_t>(view.day) - member_since_[agent];
  group_of_[agent] = no_group;
  view.emit(agent, event_left_group);
}

void Group::remove_member(std::size_t agent, const DayView& view) {
  const auto g = static_cast<std::size_t>(group_of_[agent]);
  std::int32_t* slots = members_.data() + g * group_size_;
  const auto n = static_cast<std::size_t>(member_count_[g]--);
  // The last member takes the leaver's slot; slots past the count are never read.
  *std::find(slots, slots + n, static_cast<std::int32_t>(agent)) = slots[n - 1];
  leave_group(agent, view);
}

// Members leave at the end of a closed cycle, or when they are no longer eligible. Eligibility
// changes only with an event (admission, discharge, readmission, death) or at the end of
// aftercare, so only those agents are checked: today's candidates_.
void Group::release_members(const DayView& view) {
  const auto& pop = view.pop;
  const auto day = static_cast<std::int32_t>(view.day);
  const bool aftercare = p_.eligibility == GroupEligibility::aftercare;
  for (const std::int32_t agent : with_events_) {
    const auto i = static_cast<std::size_t>(agent);
    const std::uint8_t ev = view.events[i];
    if (ev & (event_completed | event_dropped_out)) {
      treatment_end_day_[i] = day;
      if (aftercare) aftercare_end_.add(day + static_cast<std::int32_t>(p_.aftercare_days), agent);
    }
    if (ev & event_readmitted) cycle_done_[i] = 0;  // a new episode may take a new cycle
  }

  candidates_.assign(with_events_.begin(), with_events_.end());
  aftercare_end_.merge_due_into(day, candidates_);

  // A closed cycle filled on day s has its members on days s+1 .. s+cycle_days.
  if (p_.admission == GroupAdmission::closed) {
    const auto cycle_days = static_cast<std::int32_t>(p_.closed_cycle_weeks * whole_days_per_week);
    for (std::size_t g = 0; g < groups_; ++g) {
      if (member_count_[g] == 0 || day - cycle_start_day_[g] < cycle_days) continue;
      for (std::int32_t k = 0; k < member_count_[g]; ++k) {
        const auto i = static_cast<std::size_t>(members_[g * group_size_ + static_cast<std::size_t>(k)]);
        cycle_done_[i] = 1;
        leave_group(i, view);
      }
      member_count_[g] = 0;
    }
  }
  for (const std::int32_t agent : candidates_) {
    const auto i = static_cast<std::size_t>(agent);
    if (group_of_[i] != no_group && !eligible(pop, i, day)) remove_member(i, view);
  }
}

void Group::update_queue(const DayView& view) {
  const auto& pop = view.pop;
  const auto day = static_cast<std::int32_t>(view.day);
  // Those who lost eligibility (or died) leave the queue; the others keep their place. Their
  // entries stay behind, no longer live.
  for (const std::int32_t agent : candidates_) {
    const auto i = static_cast<std::size_t>(agent);
    if (!queue_.waiting(agent) || eligible(pop, i, day)) continue;
    queue_.leave(agent, day);
    view.emit(i, event_left);
  }
  // Newly eligible people join the back, in agent order: fifo by eligibility day, then index.
  // Only an event makes someone newly eligible (admission, on day 0 in a closed cohort).
  for (const std::int32_t agent : with_events_) {
    const auto i = static_cast<std::size_t>(agent);
    if (group_of_[i] != no_group || queue_.waiting(agent) || cycle_done_[i] || !eligible(pop, i, day)) continue;
    view.emit(i, event_queued);
    queue_.join(agent, day);
  }
}

void Group::fill_groups(const DayView& view) {
  const auto day = static_cast<std::int32_t>(view.day);
  const auto size = static_cast<std::int32_t>(p_.group_size);
  const bool closed = p_.admission == GroupAdmission::closed;
  for (std::size_t g = 0; g < groups_ && queue_.size() > 0; ++g) {
    if (closed && member_count_[g] > 0) continue;  // a closed group admits no one mid-cycle
    if (closed) cycle_start_day_[g] = day;
    while (member_count_[g] < size && queue_.size() > 0) {
      const std::int32_t agent = queue_.serve(day);
      const auto i = static_cast<std::size_t>(agent);
      group_of_[i] = static_cast<std::int32_t>(g);
      member_since_[i] = day;
      members_[g * group_size_ + static_cast<std::size_t>(member_count_[g])] = agent;
      ++member_count_[g];
      view.emit(i, event_joined, static_cast<std::int16_t>(std::min<std::size_t>(g, 32767)));
    }
  }
}

void Group::after_day(DayView& view, std::span<double> metrics) {
  // Only these events bear on eligibility and cycles (a lapse, relapse or resumption does not).
  agents_with_events(view, event_died | event_admitted | event_readmitted | event_completed | event_dropped_out,
                     with_events_);
  // Yesterday's contagion has reached its members; today's replaces it.
  for (const std::int32_t agent : pending_) {
    pending_craving_[static_cast<std::size_t>(agent)] = 0.0f;
    pending_self_efficacy_[static_cast<std::size_t>(agent)] = 0.0f;
  }
  record_contagion(view);
  release_members(view);
  update_queue(view);
  fill_groups(view);

  const auto staff_fte = static_cast<double>(p_.facilitators);
  metrics[0] = static_cast<double>(groups_running_today_);
  metrics[1] = static_cast<double>(members_today_);
  metrics[2] = static_cast<double>(view.effects_total);
  metrics[3] = static_cast<double>(queue_.size());
  metrics[4] = staff_fte;
  const std::int64_t sessions_held = session_today_ ? groups_running_today_ : 0;
  metrics[5] =
      staff_fte * p_.salary_per_year / days_per_year + p_.cost_per_session * static_cast<double>(sessions_held);
}

std::vector<AgentColumn> Group::agent_columns() const {
  // Member days of the current membership, to the last day simulated.
  std::vector<std::int32_t> member_days = member_days_;
  for (std::size_t i = 0; i < group_of_.size(); ++i)
    if (group_of_[i] != no_group) member_days[i] += last_before_day_ - member_since_[i];
  return {{"sessions_attended", sessions_attended_, "sessions", "sessions the person attended"},
          {"member_days", std::move(member_days), "days", "days the person held a seat"},
          {"first_queued_day", queue_.first_queued_day(), "day",
           "first day in the queue (start of the first wait); -1 if never"},
          {"first_joined_day", queue_.first_served_day(), "day", "first day with a seat; -1 if never"},
          {"left_unserved_day", queue_.left_unserved_day(), "day",
           "day the first wait ended without a seat (eligibility ended, or death); -1 if seated or still waiting"}};
}

}  // namespace recoverysim::recovery
