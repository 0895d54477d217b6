// The group intervention: therapy or peer support groups run by facilitators. Eligible agents
// wait in a first-come queue for a seat in a group of bounded size; members get support while
// they belong, skills and self-efficacy from the sessions they attend, and feel their group's
// lapses and abstinence milestones the next day (contagion). With group_size 1 the same module
// models one-to-one therapy. See docs/models/group.md.
#pragma once

#include "models/recovery/intervention.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <utility>
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

class Group final : public Intervention {
 public:
  // Random streams, as offsets from the module's stream_base (one per kind of decision).
  static constexpr std::uint32_t stream_attendance = 0;  // slot 0 of draw 0: attends today's session
  static constexpr std::int32_t no_group = -1;
  // The module's events (event_names() order).
  enum Event : EventCode { event_queued = 0, event_joined = 1, event_left_group = 2, event_left = 3 };

  void declare(ParamTable& table) override;
  std::vector<Metric> metrics() const override;
  void start_replicate(const ReplicateContext& ctx, std::size_t agents) override;
  void before_day(DayView& view) override;
  std::int64_t add_effects(const TileView& tile, TileEffects& fx) override;
  void after_day(DayView& view, std::span<double> metrics) override;
  std::vector<AgentColumn> agent_columns() const override;
  std::vector<EventName> event_names() const override;
  std::vector<OutcomeDefinition> outcome_definitions(EventCode first_code, std::int64_t days) const override;
  std::vector<TimeToEventRecord> outcome_records(const OutcomeDefinition& definition,
                                                 const Population& pop) const override;

  // Read-only views of the current assignment (for tests and diagnostics).
  const GroupParameters& parameters() const { return p_; }
  std::span<const std::int32_t> group_of() const { return group_of_; }          // per agent, or no_group
  std::span<const std::int32_t> member_count() const { return member_count_; }  // per group
  std::vector<std::int32_t> queue() const;                                      // front first
  std::int64_t capacity() const;

 private:
  // add_effects for one kernel (group_tiles.cpp, instantiated for each kernel of the build).
  template <class KernelTag>
  std::int64_t add_effects_for(const TileView& tile, TileEffects& fx);
  // A place in the queue. An agent who leaves the queue keeps its entry until the next
  // compaction; the entry is live while the agent is queued under the same ticket.
  struct QueueEntry {
    std::int32_t agent;
    std::uint32_t ticket;
  };

  bool eligible(const Population& pop, std::size_t i, std::int32_t day) const;
  bool is_milestone(std::int32_t abstinent_run) const;
  bool is_live(QueueEntry entry) const;
  void record_contagion(const DayView& view);
  void release_members(const DayView& view);
  void leave_group(std::size_t agent, std::int32_t day);
  void remove_member(std::size_t agent, std::int32_t day);
  void update_queue(const DayView& view);
  void enqueue(std::size_t agent, std::int32_t day);
  void emit(std::size_t agent, Event event, std::int16_t detail = 0) const {
    if (emitted_) emitted_->push_back({static_cast<std::int32_t>(agent), event, detail});
  }
  void fill_groups(std::int32_t day);
  void compact_queue();

  GroupParameters p_;
  std::uint32_t stream_base_ = 0;
  std::size_t groups_ = 0;
  std::size_t group_size_ = 0;

  // Per agent.
  std::vector<std::int32_t> group_of_;
  std::vector<std::uint8_t> queued_;
  std::vector<std::uint32_t> ticket_;            // of the agent's latest queue entry
  std::vector<std::uint8_t> cycle_done_;         // finished a closed cycle in the current episode
  std::vector<std::int32_t> treatment_end_day_;  // day the latest episode ended, -1 if none
  std::vector<float> pending_craving_;           // contagion due tomorrow
  std::vector<float> pending_self_efficacy_;
  std::vector<std::int32_t> sessions_attended_;
  // Days as a member: kept up to date when a membership ends, completed for the current one in
  // agent_columns().
  std::vector<std::int32_t> member_days_;
  std::vector<std::int32_t> member_since_;       // the day the current membership began
  std::vector<std::int32_t> first_queued_day_;   // the first day in the queue: the start of the first wait
  std::vector<std::int32_t> first_joined_day_;   // the first day with a seat, or -1
  std::vector<std::int32_t> left_unserved_day_;  // the day the first wait ended without a seat, or -1

  // Per group.
  std::vector<std::int32_t> member_count_;
  std::vector<std::int32_t> members_;          // group_size_ slots per group, the first member_count_ used
  std::vector<std::int32_t> cycle_start_day_;  // closed: the day the current cycle was filled

  std::vector<QueueEntry> queue_;
  std::size_t queue_head_ = 0;
  std::int64_t queued_count_ = 0;

  // Agents with non-zero contagion due tomorrow, and its parts by chunk of groups.
  std::vector<std::int32_t> pending_;
  std::vector<std::vector<std::int32_t>> pending_parts_;
  // Today's agents with an event that bears on eligibility (with_events_), and those plus the
  // agents whose aftercare ends today or has ended (candidates_).
  std::vector<std::int32_t> with_events_;
  std::vector<std::int32_t> candidates_;
  // Aftercare that ends on a known day, in the order it ends: (day, agent).
  DueList aftercare_end_;
  std::vector<ModuleEvent>* emitted_ = nullptr;  // today's events, during after_day
  std::size_t admitted_ = 0;                     // agents admitted by today
  bool started_ = false;                         // the replicate's first after_day has run
  std::int32_t last_before_day_ = -1;

  // Today's figures, fixed in before_day (membership during the day).
  std::int64_t groups_running_today_ = 0;
  std::int64_t members_today_ = 0;
  std::int64_t attendance_today_ = 0;
  std::int64_t sessions_held_today_ = 0;
  bool session_today_ = false;
};

}  // namespace recoverysim::recovery
