// The group intervention: therapy or peer support groups run by facilitators. Eligible agents
// wait in a first-come queue for a seat in a group of bounded size; members get support while
// they belong, skills and self-efficacy from the sessions they attend, and feel their group's
// lapses and abstinence milestones the next day (contagion). With group_size 1 the same module
// models one-to-one therapy. See docs/models/group.md.
#pragma once

#include "models/recovery/simple_module.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace recoverysim::recovery {

// rolling: vacancies are filled from the queue every day. closed: a group is filled when it is
// empty and keeps its members for a cycle of closed_cycle_weeks; then they all leave together.
enum class GroupAdmission : std::uint8_t { rolling, closed };
// Who may hold a seat: people in treatment, or also those within aftercare_days of the end
// of their latest treatment episode.
enum class GroupEligibility : std::uint8_t { in_treatment, aftercare };

// Every number of the mechanism; defaults, ranges and documentation are in declare().
struct GroupParameters {
  std::int64_t facilitators{};
  std::int64_t groups_per_facilitator{};
  std::int64_t group_size{};
  std::int64_t sessions_per_week{};
  GroupAdmission admission = GroupAdmission::rolling;
  std::int64_t closed_cycle_weeks{};
  GroupEligibility eligibility = GroupEligibility::in_treatment;
  std::int64_t aftercare_days{};

  double attendance_intercept{};               // log-odds at engagement == centre
  double attendance_engagement_coefficient{};  // log-odds per unit of (w - centre)
  double attendance_engagement_centre{};

  double skills_gain_per_session{};  // share of (1 - k)
  double self_efficacy_increment_per_session{};
  double member_support_connections{};  // added to g_target while a member
  double craving_increment_per_member_lapse{};
  double self_efficacy_increment_per_member_milestone{};
  std::int64_t first_milestone_days{};
  std::int64_t second_milestone_days{};

  double salary_per_year{};   // per facilitator FTE
  double cost_per_session{};  // per group session held
};

// True when `day` holds a session, with `sessions_per_week` sessions spread evenly over each
// week: floor((day + 1) s / 7) > floor(day s / 7).
bool is_session_day(std::uint32_t day, std::int64_t sessions_per_week);

class Group final : public SimpleModule<Group> {
 public:
  // Random streams, as offsets from the module's stream_base (one per kind of decision).
  static constexpr std::uint32_t stream_attendance = 0;  // slot 0 of draw 0: attends today's session
  static constexpr std::uint32_t effect_stream = stream_attendance;
  static constexpr std::int32_t no_group = -1;
  // The module's events (event_names() order).
  enum Event : EventCode { event_queued = 0, event_joined = 1, event_left_group = 2, event_left = 3 };

  void declare(ParamTable& table) override;
  std::vector<Metric> metrics() const override;
  void start(const ReplicateContext& ctx, std::size_t agents);
  void before_day(DayView& view) override;
  void after_day(DayView& view, std::span<double> metrics) override;
  std::vector<AgentColumn> agent_columns() const override;
  std::vector<EventName> event_names() const override;
  std::vector<OutcomeDefinition> outcome_definitions(EventCode first_code, std::int64_t days) const override;
  std::vector<TimeToEventRecord> outcome_records(const OutcomeDefinition& definition,
                                                 const Population& pop) const override;

  // One agent's day: contagion recorded yesterday (zero for everyone but yesterday's members),
  // support for members, and on a session day the session for those who attend (counted).
  std::int64_t effect(const AgentToday& a, AgentEffect& e) {
    const std::size_t i = a.agent;
    e.craving_increment += pending_craving_[i];
    e.self_efficacy_increment += pending_self_efficacy_[i];
    const bool member = group_of_[i] != no_group;
    e.support_connections += member ? static_cast<float>(p_.member_support_connections) : 0.0f;
    if (!member || !session_today_) return 0;
    const double p = logistic(p_.attendance_intercept + p_.attendance_engagement_coefficient *
                                                            (a.pop.engagement[i] - p_.attendance_engagement_centre));
    if (!bernoulli(a.draw, p)) return 0;
    ++sessions_attended_[i];
    // The skills gain uses k as it stands before today's core update.
    e.skills_increment += static_cast<float>(p_.skills_gain_per_session * (1.0 - a.pop.skills[i]));
    e.self_efficacy_increment += static_cast<float>(p_.self_efficacy_increment_per_session);
    return 1;
  }
  // Attendance is drawn on session days only, when someone holds a seat.
  bool draws_today() const { return session_today_ && members_today_ > 0; }

  // Read-only views of the current assignment (for tests and diagnostics).
  const GroupParameters& parameters() const { return p_; }
  std::span<const std::int32_t> group_of() const { return group_of_; }          // per agent, or no_group
  std::span<const std::int32_t> member_count() const { return member_count_; }  // per group
  std::vector<std::int32_t> queue() const { return queue_.in_order(); }         // front first
  std::int64_t capacity() const;

 private:
  bool eligible(const Population& pop, std::size_t i, std::int32_t day) const;
  bool is_milestone(std::int32_t abstinent_run) const;
  void record_contagion(const DayView& view);
  void release_members(const DayView& view);
  void leave_group(std::size_t agent, const DayView& view);
  void remove_member(std::size_t agent, const DayView& view);
  void update_queue(const DayView& view);
  void fill_groups(const DayView& view);

  GroupParameters p_;
  std::size_t groups_ = 0, group_size_ = 0;

  // Per agent.
  PerAgent<std::int32_t> group_of_{columns(), no_group};
  PerAgent<std::uint8_t> cycle_done_{columns(), 0};          // finished a closed cycle in the current episode
  PerAgent<std::int32_t> treatment_end_day_{columns(), -1};  // day the latest episode ended, -1 if none
  PerAgent<float> pending_craving_{columns(), 0.0f};         // contagion due tomorrow
  PerAgent<float> pending_self_efficacy_{columns(), 0.0f};
  PerAgent<std::int32_t> sessions_attended_{columns(), 0};
  // Days as a member: kept up to date when a membership ends, completed for the current one in
  // agent_columns().
  PerAgent<std::int32_t> member_days_{columns(), 0};
  PerAgent<std::int32_t> member_since_{columns(), 0};  // the day the current membership began

  // Per group.
  std::vector<std::int32_t> member_count_;
  std::vector<std::int32_t> members_;          // group_size_ slots per group, the first member_count_ used
  std::vector<std::int32_t> cycle_start_day_;  // closed: the day the current cycle was filled

  // First come, first served: those who become eligible on the same day in agent order.
  CapacityQueue queue_;

  // Agents with non-zero contagion due tomorrow.
  std::vector<std::int32_t> pending_;
  // Today's agents with an event that bears on eligibility (with_events_), and those plus the
  // agents whose aftercare ends today or has ended (candidates_).
  std::vector<std::int32_t> with_events_;
  std::vector<std::int32_t> candidates_;
  // Aftercare that ends on a known day, in the order it ends: (day, agent).
  DueList aftercare_end_;
  std::int32_t last_before_day_ = -1;

  // Today's figures, fixed in before_day (membership during the day).
  std::int64_t groups_running_today_ = 0;
  std::int64_t members_today_ = 0;
  bool session_today_ = false;
};

}  // namespace recoverysim::recovery
