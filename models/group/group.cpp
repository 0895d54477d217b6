// The group module: its parameter table, the daily effects on members (before_day) and the
// serial phase that records contagion and moves the queue and the groups (after_day).
#include "group.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>

namespace recoverysim::recovery {

namespace {

constexpr double days_per_year = 365.0;
constexpr std::int32_t days_per_week = 7;
constexpr std::size_t grain = 4096;  // agents per task in the per-agent kernels

}  // namespace

bool is_session_day(std::uint32_t day, std::int64_t sessions_per_week) {
  const auto d = static_cast<std::int64_t>(day);
  return (d + 1) * sessions_per_week / days_per_week > d * sessions_per_week / days_per_week;
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

std::vector<std::string> Group::metric_names() const {
  return {"groups_running", "members", "attendance", "queue_length", "staff_fte", "cost"};
}

std::int64_t Group::capacity() const { return p_.facilitators * p_.groups_per_facilitator * p_.group_size; }

void Group::start_replicate(const ReplicateContext& ctx, std::size_t agents) {
  stream_base_ = ctx.stream_base;
  groups_ = static_cast<std::size_t>(p_.facilitators * p_.groups_per_facilitator);

  group_of_.assign(agents, no_group);
  queued_.assign(agents, 0);
  cycle_done_.assign(agents, 0);
  treatment_end_day_.assign(agents, -1);
  pending_craving_.assign(agents, 0.0f);
  pending_self_efficacy_.assign(agents, 0.0f);
  sessions_attended_.assign(agents, 0);
  member_days_.assign(agents, 0);

  member_count_.assign(groups_, 0);
  cycle_start_day_.assign(groups_, 0);
  lapses_today_.assign(groups_, 0);
  milestones_today_.assign(groups_, 0);

  queue_.clear();
  groups_running_today_ = members_today_ = attendance_today_ = sessions_held_today_ = 0;
}

// ---- before_day: today's effects --------------------------------------------------------------

void Group::before_day(DayView& view) {
  const auto& pop = view.pop;
  auto& fx = view.effects;
  const bool session = is_session_day(view.day, p_.sessions_per_week);

  groups_running_today_ = members_today_ = 0;
  for (const std::int32_t n : member_count_) {
    groups_running_today_ += n > 0;
    members_today_ += n;
  }
  sessions_held_today_ = session ? groups_running_today_ : 0;

  // Each agent's effects depend only on its own columns: a parallel range kernel. The
  // attendance count is an integer sum, so the split does not change it.
  attendance_today_ = tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, group_of_.size(), grain), std::int64_t{0},
      [&](const tbb::blocked_range<std::size_t>& r, std::int64_t attended) {
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
          // Contagion recorded yesterday reaches yesterday's members, whether or not they stayed.
          fx.craving_increment[i] += pending_craving_[i];
          fx.self_efficacy_increment[i] += pending_self_efficacy_[i];
          pending_craving_[i] = 0.0f;
          pending_self_efficacy_[i] = 0.0f;

          if (group_of_[i] == no_group) continue;
          ++member_days_[i];
          fx.support_connections[i] += static_cast<float>(p_.member_support_connections);
          if (!session) continue;
          const double p =
              logistic(p_.attendance_intercept +
                       p_.attendance_engagement_coefficient * (pop.engagement[i] - p_.attendance_engagement_centre));
          const auto u =
              philox_block(view.key, static_cast<std::uint32_t>(i), view.day, stream_base_ + stream_attendance, 0)[0];
          if (!bernoulli(u, p)) continue;
          ++sessions_attended_[i];
          ++attended;
          // The skills gain uses k as it stands before today's core update.
          fx.skills_increment[i] += static_cast<float>(p_.skills_gain_per_session * (1.0 - pop.skills[i]));
          fx.self_efficacy_increment[i] += static_cast<float>(p_.self_efficacy_increment_per_session);
        }
        return attended;
      },
      [](std::int64_t a, std::int64_t b) { return a + b; });
}

// ---- after_day: contagion, leaving, queueing, joining -------------------------------------------

bool Group::eligible(const Population& pop, std::size_t i, std::int32_t day) const {
  if (pop.admission_day(i) > day || pop.state[i] == ClinicalState::deceased) return false;
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

void Group::record_contagion(const DayView& view) {
  const auto& pop = view.pop;
  const auto n = group_of_.size();
  std::fill(lapses_today_.begin(), lapses_today_.end(), 0);
  std::fill(milestones_today_.begin(), milestones_today_.end(), 0);
  // Serial: it gathers the members of each group.
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t g = group_of_[i];
    if (g == no_group) continue;
    const std::uint8_t ev = view.events[i];
    if (ev & event_lapsed) ++lapses_today_[static_cast<std::size_t>(g)];
    if (!(ev & event_died) && is_milestone(pop.abstinent_run[i])) ++milestones_today_[static_cast<std::size_t>(g)];
  }
  // Each member hears of the others' events, not its own.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) {
      const std::int32_t g = group_of_[i];
      if (g == no_group) continue;
      const std::uint8_t ev = view.events[i];
      if (ev & event_died) continue;  // leaves the group tonight
      const bool own_lapse = (ev & event_lapsed) != 0;
      const bool own_milestone = is_milestone(pop.abstinent_run[i]);
      const auto gi = static_cast<std::size_t>(g);
      pending_craving_[i] =
          static_cast<float>(p_.craving_increment_per_member_lapse * (lapses_today_[gi] - (own_lapse ? 1 : 0)));
      pending_self_efficacy_[i] = static_cast<float>(p_.self_efficacy_increment_per_member_milestone *
                                                     (milestones_today_[gi] - (own_milestone ? 1 : 0)));
    }
  });
}

void Group::release_members(const DayView& view) {
  const auto& pop = view.pop;
  const auto day = static_cast<std::int32_t>(view.day);
  const auto cycle_days = static_cast<std::int32_t>(p_.closed_cycle_weeks * days_per_week);
  const bool closed = p_.admission == GroupAdmission::closed;
  for (std::size_t i = 0; i < group_of_.size(); ++i) {
    const std::uint8_t ev = view.events[i];
    if (ev & (event_completed | event_dropped_out)) treatment_end_day_[i] = day;
    if (ev & event_readmitted) cycle_done_[i] = 0;  // a new episode may take a new cycle

    const std::int32_t g = group_of_[i];
    if (g == no_group) continue;
    const auto gi = static_cast<std::size_t>(g);
    // A closed cycle filled on day s has its members on days s+1 .. s+cycle_days.
    const bool cycle_over = closed && day - cycle_start_day_[gi] >= cycle_days;
    if (cycle_over || !eligible(pop, i, day)) {
      if (cycle_over) cycle_done_[i] = 1;
      group_of_[i] = no_group;
      --member_count_[gi];
    }
  }
}

void Group::update_queue(const DayView& view) {
  const auto& pop = view.pop;
  const auto day = static_cast<std::int32_t>(view.day);
  // Those who lost eligibility (or died) leave the queue; the others keep their place.
  std::erase_if(queue_, [&](std::int32_t a) {
    const auto i = static_cast<std::size_t>(a);
    if (eligible(pop, i, day)) return false;
    queued_[i] = 0;
    return true;
  });
  // Newly eligible people join the back, in agent order: fifo by eligibility day, then index.
  for (std::size_t i = 0; i < group_of_.size(); ++i) {
    if (group_of_[i] != no_group || queued_[i] || cycle_done_[i] || !eligible(pop, i, day)) continue;
    queued_[i] = 1;
    queue_.push_back(static_cast<std::int32_t>(i));
  }
}

void Group::fill_groups(std::int32_t day) {
  const auto size = static_cast<std::int32_t>(p_.group_size);
  const bool closed = p_.admission == GroupAdmission::closed;
  std::size_t taken = 0;
  for (std::size_t g = 0; g < groups_ && taken < queue_.size(); ++g) {
    if (closed && member_count_[g] > 0) continue;  // a closed group admits no one mid-cycle
    if (closed) cycle_start_day_[g] = day;
    while (member_count_[g] < size && taken < queue_.size()) {
      const auto i = static_cast<std::size_t>(queue_[taken++]);
      queued_[i] = 0;
      group_of_[i] = static_cast<std::int32_t>(g);
      ++member_count_[g];
    }
  }
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
}

void Group::after_day(DayView& view, std::span<double> metrics) {
  record_contagion(view);
  release_members(view);
  update_queue(view);
  fill_groups(static_cast<std::int32_t>(view.day));

  const auto staff_fte = static_cast<double>(p_.facilitators);
  metrics[0] = static_cast<double>(groups_running_today_);
  metrics[1] = static_cast<double>(members_today_);
  metrics[2] = static_cast<double>(attendance_today_);
  metrics[3] = static_cast<double>(queue_.size());
  metrics[4] = staff_fte;
  metrics[5] =
      staff_fte * p_.salary_per_year / days_per_year + p_.cost_per_session * static_cast<double>(sessions_held_today_);
}

std::vector<AgentColumn> Group::agent_columns() const {
  return {{"sessions_attended", sessions_attended_}, {"member_days", member_days_}};
}

}  // namespace recoverysim::recovery
