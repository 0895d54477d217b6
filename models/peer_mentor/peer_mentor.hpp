// The peer_mentor intervention: one-to-one mentoring by peer recovery mentors (people with
// lived experience) under a hard caseload limit. Eligible agents wait in a queue until a
// mentor has room; mentors burn out when over their comfortable caseload, leave, and are
// replaced after a hiring delay; a pipeline recruits new mentors from agents in long
// abstinence. Mechanism and parameters: docs/models/peer_mentor.md.
#pragma once

#include "models/recovery/intervention.hpp"

#include <cstdint>
#include <string>
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

  void declare(ParamTable& table) override;
  void validate(const ParamTable& table) const override;
  std::vector<std::string> metric_names() const override;
  void start_replicate(const ReplicateContext& ctx, std::size_t agents) override;
  void before_day(DayView& view) override;
  void after_day(DayView& view, std::span<double> metrics) override;
  std::vector<AgentColumn> agent_columns() const override;

  PeerMentorParameters& parameters() { return p_; }

  // Read-only views of the state, for tests and diagnostics.
  MenteeStatus status_of(std::size_t agent) const { return status_[agent]; }
  std::int32_t mentor_of(std::size_t agent) const { return mentor_[agent]; }
  const std::vector<std::int32_t>& queue() const { return queue_; }
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
  void enter_queue(std::int32_t agent, std::int32_t day);
  void leave(std::int32_t agent);
  void unlink(std::int32_t agent);
  void depart(std::size_t position, std::int32_t day);
  void recruit(const DayView& view);
  void match_queue(const Population& pop);
  bool queued_before(const Population& pop, std::int32_t a, std::int32_t b) const;
  void write_metrics(std::int32_t day, std::span<double> metrics) const;

  PeerMentorParameters p_;
  std::uint32_t stream_base_ = 0;
  std::size_t caseload_ = 0;  // p_.caseload fixed for the replicate (mentee slots per position)

  // Per agent.
  std::vector<MenteeStatus> status_;
  std::vector<std::int32_t> mentor_;          // position, or -1
  std::vector<std::int32_t> eligible_until_;  // last day of eligibility; open while in treatment
  std::vector<std::int32_t> eligible_since_;  // day the current eligibility began (fifo key)
  std::vector<std::int32_t> queued_since_;    // day the agent last entered the queue
  std::vector<std::uint8_t> at_front_;        // returned by a departing mentor, still queued
  std::vector<std::int32_t> matched_days_;
  std::vector<std::int32_t> wait_days_;
  std::vector<std::int32_t> first_match_day_;
  std::vector<std::int32_t> recruited_day_;

  // Per mentor position.
  std::vector<MentorStatus> mentor_status_;
  std::vector<double> burnout_;
  std::vector<double> effectiveness_;   // today's, set in before_day
  std::vector<std::int32_t> start_day_;  // vacant: the hire starts; training: the recruit starts
  std::vector<std::int32_t> recruit_agent_;  // the recruited agent, or -1 for hired positions
  std::vector<std::int32_t> load_;
  std::vector<std::int32_t> mentees_;  // caseload_ slots per position, the first load_ used

  std::vector<std::int32_t> queue_;  // in priority order
  std::vector<std::int32_t> entering_;
  std::vector<std::int32_t> returned_today_;

  // Today's counters.
  std::int64_t departures_today_ = 0;
  std::int64_t recruits_today_ = 0;
  std::int64_t trainings_today_ = 0;
};

}  // namespace recoverysim::recovery
