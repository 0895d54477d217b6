// The peer_mentor intervention: one-to-one mentoring by peer recovery mentors (people with
// lived experience) under a hard caseload limit. Eligible agents wait in a queue until a
// mentor has room; mentors burn out when over their comfortable caseload, leave, and are
// replaced after a hiring delay; a pipeline recruits new mentors from agents in long
// abstinence. Mechanism and parameters: docs/models/peer_mentor.md.
#pragma once

#include "models/recovery/kit.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace recoverysim::recovery {

enum class MentorMatchOn : std::uint8_t { admission, discharge };
enum class MentorQueuePriority : std::uint8_t { fifo, severity };

// Where an agent stands with respect to the programme.
enum class MenteeStatus : std::uint8_t { ineligible, queued, matched };

// A mentor position: working, in training (recruits), vacant (waiting for a hire), or
// closed (a recruited position whose mentor left; the pipeline may open it again).
enum class MentorStatus : std::uint8_t { active, training, vacant, closed };

// Every number of the mechanism; defaults, ranges and documentation are in declare().
struct PeerMentorParameters {
  std::int64_t mentors{};
  std::int64_t caseload{};
  std::int64_t comfortable_caseload{};
  double contacts_per_week{};
  MentorMatchOn match_on = MentorMatchOn::admission;
  MentorQueuePriority priority = MentorQueuePriority::fifo;
  std::int64_t duration_days{};

  double training_hours{};
  double training_scale_hours{};
  double supervision_hours_per_week{};
  double burnout_rise_per_excess_mentee_per_day{};
  double burnout_recovery_per_supervision_hour{};
  double departure_hazard_per_day{};
  double departure_burnout_coefficient{};
  std::int64_t hiring_delay_days{};

  std::int64_t recruit_after_abstinent_days{};
  double recruit_probability_per_day{};
  std::int64_t recruits_max{};
  std::int64_t recruit_training_days{};

  double contact_engagement_increment{};
  double contact_self_efficacy_increment{};
  double contact_craving_increment{};
  double matched_support_connections{};
  double matched_stress_lapse_multiplier{};
  double matched_dropout_multiplier{};
  double matched_relapse_odds_multiplier{};

  double salary_per_year{};
  double training_cost_per_hour{};
  double supervision_cost_per_hour{};
  double work_hours_per_week{};
};

class PeerMentor final : public Intervention {
 public:
  // Random streams, offsets from the module's stream_base (one per kind of decision).
  enum StreamOffset : std::uint32_t {
    stream_contact = 0,    // id = agent: a contact today while matched
    stream_departure = 1,  // id = mentor position: the mentor leaves today
    stream_recruit = 2,    // id = agent: a candidate is recruited as a mentor today
  };
  // The module's events (event_names() order).
  enum Event : EventCode { event_queued = 0, event_matched = 1, event_match_ended = 2, event_left = 3 };

  void declare(ParamTable& table) override;
  void validate(const ParamTable& table) const override;
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

  PeerMentorParameters& parameters() { return p_; }

  // Read-only views of the state, for tests and diagnostics.
  MenteeStatus status_of(std::size_t agent) const { return status_[agent]; }
  std::int32_t mentor_of(std::size_t agent) const { return mentor_[agent]; }
  // The queued agents, in priority order (built on demand).
  std::vector<std::int32_t> queue() const;
  // Agents whose mentor left today (they went back to the front of the queue).
  const std::vector<std::int32_t>& returned_today() const { return returned_today_; }
  std::size_t positions() const { return mentor_status_.size(); }
  MentorStatus mentor_status(std::size_t position) const { return mentor_status_[position]; }
  std::int32_t mentor_load(std::size_t position) const { return load_[position]; }
  double mentor_burnout(std::size_t position) const { return burnout_[position]; }
  // Checks every internal invariant (capacity, links both ways, queue contents, no deceased
  // agent linked); returns "" or a description of the first violation.
  std::string check_state(const Population& pop) const;

 private:
  // add_effects for one kernel (peer_mentor_tiles.cpp, instantiated for each kernel of the build).
  template <class KernelTag>
  std::int64_t add_effects_for(const TileView& tile, TileEffects& fx);
  // A sorted list of queue keys (see queue_key()), consumed from `head`. Entries of agents that
  // left the queue stay until the next compaction; an entry is live while it equals its agent's
  // queue_key_.
  struct KeyQueue {
    std::vector<std::uint64_t> keys;
    std::size_t head = 0;
    void insert(std::span<const std::uint64_t> sorted);
  };

  std::uint64_t queue_key(const Population& pop, std::size_t agent, bool at_front) const;
  bool is_live(std::uint64_t key) const;
  void enter_queue(const Population& pop, std::int32_t agent, std::int32_t day);
  void become_queued(std::size_t agent, std::int32_t day);
  void stop_waiting(std::size_t agent, std::int32_t day);
  void leave(std::int32_t agent, std::int32_t day);
  void unlink(std::int32_t agent, std::int32_t day);
  void depart(const Population& pop, std::size_t position, std::int32_t day);
  void update_eligibility(const DayView& view);
  void recruit(const DayView& view);
  void match_queue(std::int32_t day);
  void compact_queue();
  void write_metrics(std::int32_t day, std::span<double> metrics) const;
  void emit(std::int32_t agent, Event event, std::int16_t detail = 0) const {
    if (emitted_) emitted_->push_back({agent, event, detail});
  }

  PeerMentorParameters p_;
  std::uint32_t stream_base_ = 0;
  std::size_t caseload_ = 0;  // p_.caseload fixed for the replicate (mentee slots per position)

  // Per agent, reset at every replicate.
  AgentColumns columns_;
  PerAgent<MenteeStatus> status_{columns_, MenteeStatus::ineligible};
  PerAgent<std::int32_t> mentor_{columns_, -1};          // position, or -1
  PerAgent<std::int32_t> eligible_until_{columns_, -1};  // last day of eligibility; open while in treatment
  PerAgent<std::int32_t> eligible_since_{columns_, -1};  // day the current eligibility began (fifo key)
  PerAgent<std::int32_t> status_since_{columns_, -1};    // day the agent last entered the queue, or was matched
  PerAgent<std::uint64_t> queue_key_{columns_, 0};       // the key of the agent's queue entry
  // Counters kept up to date when a status ends (matched_days_, wait_days_) and completed for
  // the current status in agent_columns().
  PerAgent<std::int32_t> matched_days_{columns_, 0};
  PerAgent<std::int32_t> wait_days_{columns_, -1};
  PerAgent<std::int32_t> first_match_day_{columns_, -1};
  PerAgent<std::int32_t> first_queued_day_{columns_, -1};   // the first day in the queue: the start of the first wait
  PerAgent<std::int32_t> left_unserved_day_{columns_, -1};  // the day the first wait ended without a match, or -1
  PerAgent<std::int32_t> recruited_day_{columns_, -1};

  // Per mentor position.
  std::vector<MentorStatus> mentor_status_;
  std::vector<double> burnout_;
  // Today's effects of a contact (from the mentor's effectiveness), set in before_day.
  struct ContactIncrements {
    float engagement, self_efficacy, craving;
  };
  std::vector<ContactIncrements> contact_;
  std::vector<std::int32_t> start_day_;      // vacant: the hire starts; training: the recruit starts
  std::vector<std::int32_t> recruit_agent_;  // the recruited agent, or -1 for hired positions
  std::vector<std::int32_t> load_;
  std::vector<std::int32_t> mentees_;  // caseload_ slots per position, the first load_ used

  // The queue: mentees returned by a departing mentor first, then the others; each part in
  // priority order.
  KeyQueue front_queue_;
  KeyQueue queue_;
  std::int64_t queued_ = 0;            // agents with status queued
  std::int64_t queued_since_sum_ = 0;  // their status_since_, summed
  std::vector<std::int32_t> entering_;
  std::vector<std::int32_t> returned_today_;
  std::vector<std::uint64_t> new_keys_;
  std::vector<std::uint32_t> departure_draws_;  // today's, per position

  // Eligibility windows that close on a known day, in the order they close: (day, agent).
  DueList closing_;
  std::vector<std::int32_t> candidates_;

  std::vector<ModuleEvent>* emitted_ = nullptr;  // today's events, during after_day
  std::int32_t last_before_day_ = -1;
  std::int32_t last_after_day_ = -1;
  // The longest abstinent run in the cohort on longest_run_day_ (the pipeline's last look).
  std::int32_t longest_run_ = 0;
  std::int32_t longest_run_day_ = 0;

  // Today's counters.
  std::int64_t departures_today_ = 0;
  std::int64_t recruits_today_ = 0;
  std::int64_t trainings_today_ = 0;
};

}  // namespace recoverysim::recovery
