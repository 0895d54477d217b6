// The peer_mentor intervention: one-to-one mentoring by peer recovery mentors (people with
// lived experience) under a hard caseload limit. Eligible agents wait in a queue until a
// mentor has room; mentors burn out when over their comfortable caseload, leave, and are
// replaced after a hiring delay; a pipeline recruits new mentors from agents in long
// abstinence. Mechanism and parameters: docs/models/peer_mentor.md. Written on the programme
// kit (kit.hpp) and the scalar effect hook (simple_module.hpp).
#pragma once

#include "models/recovery/simple_module.hpp"

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace recoverysim::recovery {

enum class MentorMatchOn : std::uint8_t { admission, discharge, outreach };
enum class MentorQueuePriority : std::uint8_t { fifo, severity };

// Where an agent stands with respect to the programme.
enum class MenteeStatus : std::uint8_t { ineligible, queued, matched };

// Every number of the mechanism; defaults, ranges and documentation are in declare().
struct PeerMentorParameters {
  std::int64_t mentors{}, caseload{}, comfortable_caseload{}, duration_days{};
  double contacts_per_week{};
  // Mentees who drift away: base x exp(coefficient (w - 0.5)) per day while matched.
  double disengage_base_hazard_per_day{}, disengage_engagement_coefficient{};
  std::int64_t reengage_after_days{};
  MentorMatchOn match_on = MentorMatchOn::admission;
  MentorQueuePriority priority = MentorQueuePriority::fifo;
  // Fidelity: a planned contact takes place with probability base x (1 - loss x burnout).
  double fidelity_base{}, burnout_fidelity_loss{};
  // Mentors: training, supervision, burnout, turnover.
  double training_hours{}, training_scale_hours{}, supervision_hours_per_week{};
  bool supervisor_lived_experience = false;
  double lived_experience_supervision_gain{};
  double burnout_rise_per_excess_mentee_per_day{}, burnout_recovery_per_supervision_hour{};
  double departure_hazard_per_day{}, departure_burnout_coefficient{};
  std::int64_t hiring_delay_days{};
  // Pipeline.
  std::int64_t recruit_after_abstinent_days{}, recruits_max{}, recruit_training_days{};
  double recruit_probability_per_day{};
  // Certification: a recruit takes trainee_caseload mentees until certified.
  std::int64_t trainee_caseload{};
  double certification_supervised_hours{};
  // Effects on mentees.
  double contact_engagement_increment{}, contact_self_efficacy_increment{}, contact_craving_increment{};
  double matched_support_connections{}, matched_stress_lapse_multiplier{}, matched_dropout_multiplier{};
  double matched_relapse_odds_multiplier{}, matched_entry_multiplier{};
  // Costs.
  double salary_per_year{}, training_cost_per_hour{}, supervision_cost_per_hour{}, work_hours_per_week{};
};

// A place in a KeyedQueue, served in this order: first those not at the back (mentees whose
// mentor left, for the peer mentor), then by priority, lower first, then by agent.
// Priorities compare as doubles (-0 equals +0) and must not be NaN.
struct QueueKey {
  bool back = true;
  double priority = 0.0;
  std::int32_t agent = -1;
  auto operator<=>(const QueueKey&) const = default;
};

// People waiting, served in the order of the key the module gives each, with the waits the
// kit's CapacityQueue records and the days each person waited before first served.
// CapacityQueue's order (a 16-bit priority, then the day joined) cannot say "returned mentees
// first, then by eligibility day or by severity".
class KeyedQueue {
 public:
  void reset(std::size_t agents) {
    keys_.clear();
    key_.assign(agents, QueueKey{});
    for (auto* column : {&joined_, &first_queued_, &first_served_, &left_unserved_, &waited_})
      column->assign(agents, -1);
    joined_sum_ = 0;
  }
  // key.agent, not waiting, joins today.
  void join(std::int32_t day, const QueueKey& key) {
    const auto i = static_cast<std::size_t>(key.agent);
    key_[i] = key;
    keys_.insert(key);
    joined_[i] = day;
    joined_sum_ += day;
    if (first_queued_[i] < 0) first_queued_[i] = day;
    if (waited_[i] < 0) waited_[i] = 0;
  }
  // The agent leaves unserved today, if waiting.
  void leave(std::size_t agent, std::int32_t day) {
    if (!waiting(agent)) return;
    stop_waiting(agent, day);
    if (first_served_[agent] < 0 && left_unserved_[agent] < 0) left_unserved_[agent] = day;
  }
  // The first in key order is served today (someone must be waiting).
  std::int32_t serve(std::int32_t day) {
    const std::int32_t agent = keys_.begin()->agent;
    const auto i = static_cast<std::size_t>(agent);
    stop_waiting(i, day);
    if (first_served_[i] < 0) first_served_[i] = day;
    return agent;
  }
  bool waiting(std::size_t agent) const { return key_[agent].agent >= 0; }
  std::int64_t size() const { return static_cast<std::int64_t>(keys_.size()); }
  // Mean days waited so far by those waiting at the end of `day`, the day joined counting as
  // one (an integer sum); 0 if none.
  double mean_days_so_far(std::int32_t day) const {
    return keys_.empty() ? 0.0 : static_cast<double>(size() * (day + 1) - joined_sum_) / static_cast<double>(size());
  }
  std::vector<std::int32_t> in_order() const {
    std::vector<std::int32_t> agents;
    for (const QueueKey& key : keys_) agents.push_back(key.agent);
    return agents;
  }
  // Per agent, the days waited before first served (end-of-day counts, the current wait to
  // the end of `last_day` included); -1 if never waiting.
  std::vector<std::int32_t> days_before_served(std::int32_t last_day) const {
    std::vector<std::int32_t> days = waited_;
    for (std::size_t i = 0; i < days.size(); ++i)
      if (waiting(i) && first_served_[i] < 0) days[i] += last_day + 1 - joined_[i];
    return days;
  }
  const std::vector<std::int32_t>& first_queued_day() const { return first_queued_; }
  const std::vector<std::int32_t>& first_served_day() const { return first_served_; }
  const std::vector<std::int32_t>& left_unserved_day() const { return left_unserved_; }

 private:
  // The agent stops waiting today; until it is first served, the days it waited count.
  void stop_waiting(std::size_t i, std::int32_t day) {
    keys_.erase(key_[i]);
    key_[i] = QueueKey{};
    joined_sum_ -= joined_[i];
    if (first_served_[i] < 0) waited_[i] += day - joined_[i];
  }

  std::set<QueueKey> keys_;
  std::vector<QueueKey> key_;  // while waiting; else agent -1
  std::vector<std::int32_t> joined_, first_queued_, first_served_, left_unserved_, waited_;
  std::int64_t joined_sum_ = 0;
};

class PeerMentor final : public SimpleModule<PeerMentor> {
 public:
  // Random streams, offsets from the module's stream_base (one per kind of decision): a
  // contact today while matched (id = agent), the mentor leaves today (id = mentor position),
  // a candidate is recruited as a mentor today (id = agent).
  // A matched mentee stops meeting their mentor today (id = agent).
  enum StreamOffset : std::uint32_t { stream_contact, stream_departure, stream_recruit, stream_disengage };
  static constexpr std::uint32_t effect_stream = stream_contact;
  // The module's events (event_names() order).
  enum Event : EventCode { event_queued = 0, event_matched = 1, event_match_ended = 2, event_left = 3 };

  void declare(ParamTable& table) override;
  std::vector<Metric> metrics() const override;
  void start(const ReplicateContext&, std::size_t agents) {
    hired_ = static_cast<std::size_t>(p_.mentors);
    caseload_ = static_cast<std::int32_t>(p_.caseload);
    entry_multiplier_ = p_.match_on == MentorMatchOn::outreach ? static_cast<float>(p_.matched_entry_multiplier) : 1.0f;
    positions_.assign(hired_, Position{});
    queue_.reset(agents);
    closing_.clear();
    reengaging_.clear();
  }
  void before_day(DayView& view) override;
  void after_day(DayView& view, std::span<double> metrics) override;
  std::vector<AgentColumn> agent_columns() const override;
  std::vector<EventName> event_names() const override {
    return {{"queued", "becomes eligible and joins the queue for a mentor"},
            {"matched", "is matched with a mentor (detail: the mentor's position)"},
            {"match_ended",
             "the match ends (detail: 1 the mentor left, the mentee back in the queue; 2 eligibility ended; 3 the "
             "mentee disengaged)"},
            {"left", "leaves the programme: eligibility ended, or died (detail: 1 while waiting, 2 while matched)"}};
  }
  std::vector<OutcomeDefinition> outcome_definitions(EventCode first_code, std::int64_t days) const override {
    return {wait_definition("peer_mentor", first_code, first_code + event_queued, first_code + event_matched,
                            first_code + event_left, days)};
  }
  std::vector<TimeToEventRecord> outcome_records(const OutcomeDefinition&, const Population& pop) const override {
    return wait_records(queue_.first_queued_day(), queue_.first_served_day(), queue_.left_unserved_day(), pop);
  }

  // A matched agent's day: the while-matched effects, and on a contact day (a planned contact
  // that takes place, at its mentor's fidelity) the mentor's contact increments (from its
  // effectiveness; both fixed in before_day). Counts the day as matched; returns 1 on a
  // contact day (the day's contacts metric).
  // Others get 0 added and 1 multiplied, which leave the channels as they are (an increment
  // channel starts at +0 and sums never make -0); their mentor index -1 reads entry 0.
  std::int64_t effect(const AgentToday& a, AgentEffect& e) {
    const std::int32_t mentor = mentor_[a.agent];
    const bool matched = mentor >= 0;
    matched_days_[a.agent] += matched ? 1 : 0;
    e.support_connections += matched ? static_cast<float>(p_.matched_support_connections) : 0.0f;
    e.stress_lapse_multiplier *= matched ? static_cast<float>(p_.matched_stress_lapse_multiplier) : 1.0f;
    e.dropout_multiplier *= matched ? static_cast<float>(p_.matched_dropout_multiplier) : 1.0f;
    e.relapse_odds_multiplier *= matched ? static_cast<float>(p_.matched_relapse_odds_multiplier) : 1.0f;
    e.entry_multiplier *= matched ? entry_multiplier_ : 1.0f;
    const auto at = static_cast<std::size_t>(mentor + 1);
    const bool contact = matched & bernoulli(a.draw, p_.contacts_per_week / days_per_week * fidelity_[at]);
    const double q = effectiveness_[at];
    e.engagement_increment += contact ? static_cast<float>(p_.contact_engagement_increment * q) : 0.0f;
    e.self_efficacy_increment += contact ? static_cast<float>(p_.contact_self_efficacy_increment * q) : 0.0f;
    e.craving_increment += contact ? static_cast<float>(p_.contact_craving_increment * q) : 0.0f;
    return contact ? 1 : 0;
  }

  // Read-only views of the state, for tests and diagnostics.
  MenteeStatus status_of(std::size_t agent) const {
    const MenteeStatus unmatched = queue_.waiting(agent) ? MenteeStatus::queued : MenteeStatus::ineligible;
    return mentor_[agent] >= 0 ? MenteeStatus::matched : unmatched;
  }
  std::vector<std::int32_t> queue() const { return queue_.in_order(); }  // returned mentees first
  // Agents whose mentor left today (they went back to the front of the queue).
  const std::vector<std::int32_t>& returned_today() const { return returned_today_; }
  std::size_t positions() const { return positions_.size(); }
  std::int32_t mentor_load(std::size_t position) const { return positions_[position].load; }
  // Checks the internal invariants (each mentor's load against its mentees and the caseload,
  // nobody deceased in the programme or mentoring, nobody waiting while a mentor has room);
  // returns "" or a description of the first violation.
  std::string check_state(const Population& pop) const;

 private:
  // A mentor position. Hired positions (the first `hired_`) are working from start_day on; a
  // departure leaves them vacant until the hire starts. Recruited positions work from the end
  // of training; when their mentor leaves they close (recruit -1) until the pipeline opens
  // them again. Burnout is 0 while a position does not work.
  struct Position {
    double burnout = 0.0;
    double supervised_hours = 0.0;  // a recruit's hours worked under supervision
    std::int32_t start_day = 0;     // the hire starts, or the recruit's training ends
    std::int32_t recruit = -1;      // the recruited agent, or -1
    std::int32_t load = 0;          // mentees
  };
  bool recruited(std::size_t m) const { return m >= hired_; }
  bool in_use(std::size_t m) const { return !recruited(m) || positions_[m].recruit >= 0; }
  bool active(std::size_t m, std::int32_t day) const { return in_use(m) && day >= positions_[m].start_day; }
  // Most mentees position m may take: a recruit not yet certified takes trainee_caseload.
  std::int32_t caseload_of(std::size_t m) const {
    const bool trainee = recruited(m) && positions_[m].supervised_hours < p_.certification_supervised_hours;
    return trainee ? std::min(caseload_, static_cast<std::int32_t>(p_.trainee_caseload)) : caseload_;
  }

  // Parts of after_day (`day` is view.day).
  void depart(const DayView& view, std::int32_t day, const std::vector<std::size_t>& leaving);
  void update_eligibility(const DayView& view, std::int32_t day);
  void disengage(const DayView& view, std::int32_t day);
  void recruit(const DayView& view, std::int32_t day);
  void match_queue(const DayView& view, std::int32_t day);

  static constexpr std::int32_t open_ended = INT32_MAX;  // the end of eligibility while in treatment

  PeerMentorParameters p_;
  std::size_t hired_ = 0;          // p_.mentors, fixed for the replicate
  std::int32_t caseload_ = 0;      // p_.caseload, fixed for the replicate
  float entry_multiplier_ = 1.0f;  // p_.matched_entry_multiplier under match_on: outreach, else 1

  // Per agent.
  PerAgent<std::int32_t> mentor_{columns(), -1};          // position, or -1
  PerAgent<std::int32_t> eligible_until_{columns(), -1};  // last day of eligibility; open while in treatment
  PerAgent<double> priority_{columns(), 0.0};             // in the queue, from the day eligibility began
  PerAgent<std::int32_t> matched_days_{columns(), 0};     // days that started with a mentor
  PerAgent<std::int32_t> recruited_day_{columns(), -1};
  KeyedQueue queue_;

  std::vector<Position> positions_;
  // Each mentor's effectiveness and fidelity today (before_day), at position + 1: entry 0,
  // read for the agents without a mentor, is 0.
  std::vector<double> effectiveness_, fidelity_;

  // Eligibility windows that close on a known day, in the order they close: (day, agent).
  DueList closing_;
  DueList reengaging_;  // disengaged mentees who may rejoin the queue (reengage_after_days)
  std::vector<std::int32_t> candidates_, returned_today_;
  std::int32_t last_day_ = -1;  // of after_day
  std::int64_t departures_today_ = 0, recruits_today_ = 0, trainings_today_ = 0;
};

}  // namespace recoverysim::recovery
