// Programme building blocks: what every intervention module needs besides its own mechanism,
// written once. A module built on them declares its per-agent columns where it keeps them
// (they reset themselves), takes people in by eligibility, serves them through a capacity
// queue that records each person's wait, staffs its places, and prices its days; it writes
// what happens to one agent in a scalar effect hook (SimpleModule, simple_module.hpp).
//
//   AgentColumns / PerAgent  per-agent columns, each with its starting value, reset together
//   Eligibility              who may take part (substance, co-occurring condition, treatment
//                            status, state) and from which event (admission, discharge, ...)
//                            for how long
//   CapacityQueue            places in priority then arrival order, with per-person waits
//   Intake                   the day's passage from eligibility through the queue into places
//   StaffPositions           positions that leave at a daily hazard and are refilled after a
//                            hiring delay
//   ProgrammeCosts           salaries (one days_per_year), contacts, participants, fixed costs
//   standard metrics         the metrics the analysis reads, each named and described once
#pragma once

#include "intervention.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <queue>
#include <span>
#include <string>
#include <vector>

namespace recoverysim::recovery {

// ---- Per-agent columns ---------------------------------------------------------------------

// The per-agent columns of a module, each reset to its starting value for a new replicate by
// one call (SimpleModule calls it in start_replicate), so no column is ever left with the last
// replicate's values. Columns are declared as members (PerAgent) and register themselves.
class AgentColumns {
 public:
  AgentColumns() = default;
  AgentColumns(const AgentColumns&) = delete;
  AgentColumns& operator=(const AgentColumns&) = delete;

  template <class T>
  void add(std::vector<T>& column, T initial) {
    resets_.push_back([&column, initial](std::size_t agents) { column.assign(agents, initial); });
  }
  void reset(std::size_t agents) const {
    for (const auto& reset : resets_) reset(agents);
  }

 private:
  std::vector<std::function<void(std::size_t)>> resets_;
};

// A per-agent column (agent i is index i) that resets itself with its module's AgentColumns.
template <class T>
class PerAgent : public std::vector<T> {
 public:
  PerAgent(AgentColumns& columns, T initial) { columns.add(static_cast<std::vector<T>&>(*this), initial); }
  PerAgent(const PerAgent&) = delete;
  PerAgent& operator=(const PerAgent&) = delete;
};

// ---- Eligibility ---------------------------------------------------------------------------

// The event that makes a person eligible: each time it happens a new window opens.
enum class EligibleFrom : std::uint8_t { admission, discharge, completion, dropout, relapse, arrival };
enum class SubstanceCondition : std::uint8_t { any, alcohol, opioid, stimulant };
enum class MentalHealthCondition : std::uint8_t { any, with, without };
enum class TreatmentCondition : std::uint8_t { any, in_treatment, out_of_treatment };
enum class StateCondition : std::uint8_t { any, abstinent, using_substance };

// Who may take part and from when: a window opens on each `from` event of a person who meets
// the conditions (substance, co-occurring condition, treatment status, clinical state), and
// closes `window_days` later (0: not by time), at death, or on a day the conditions fail.
struct Eligibility {
  EligibleFrom from = EligibleFrom::admission;
  std::int64_t window_days = 0;
  SubstanceCondition substance = SubstanceCondition::any;
  MentalHealthCondition mental_health = MentalHealthCondition::any;
  TreatmentCondition treatment = TreatmentCondition::any;
  StateCondition state = StateCondition::any;

  // Declares the keys `from`, `for_days`, `substance`, `mental_health`, `treatment` and
  // `state`, each after `prefix` ("eligible." gives eligible.from, ...), with these defaults.
  void declare(ParamTable& table, const std::string& prefix, Eligibility defaults);
  // The DayEvent bits that open a window.
  std::uint8_t opening_events() const;
  // Whether agent i meets the conditions today (alive, substance, condition, treatment, state).
  bool holds(const Population& pop, std::size_t i) const;
  // The last day of a window opened on `day` (max_day_count when it does not close by time).
  std::int32_t last_day(std::int32_t day) const {
    return window_days > 0 ? static_cast<std::int32_t>(std::min<std::int64_t>(day + window_days - 1, max_day_count))
                           : max_day_count;
  }
  // Today's agents whose window opens (the opening events, meeting the conditions), in
  // increasing order, into `out`.
  void opened_today(const DayView& view, std::vector<std::int32_t>& out) const;
};

// ---- The capacity queue --------------------------------------------------------------------

// People waiting for a place, served by priority (lower first), then by the day they joined,
// then by agent index: the same order on any number of threads. It records for each person the
// first day they joined, the first day they were served, and the day their first wait ended
// unserved (if it did), from which the module reports the per-person wait (wait_definition,
// wait_records: a first wait that ended unserved ended then, whatever came later).
class CapacityQueue {
 public:
  void reset(std::size_t agents);
  // Agent joins today (if not already waiting). Priority: 0 to 65535, lower served first.
  void join(std::int32_t agent, std::int32_t day, std::uint16_t priority = 0);
  // Agent stops waiting unserved today (its window closed, it died, ...), if waiting.
  void leave(std::int32_t agent, std::int32_t day);
  // The next agent to serve today (no longer waiting), or -1 if none waits.
  std::int32_t serve(std::int32_t day);
  bool waiting(std::int32_t agent) const { return entry_[static_cast<std::size_t>(agent)] != none; }
  // The day a waiting agent joined (-1 if not waiting).
  std::int32_t joined_day(std::int32_t agent) const {
    const Key key = entry_[static_cast<std::size_t>(agent)];
    return key == none ? -1 : static_cast<std::int32_t>((key >> 32) & 0xffffu);
  }
  std::int64_t size() const { return waiting_; }
  // Mean days waited so far by those waiting at the end of `day` (0 if none).
  double mean_days_so_far(std::int32_t day) const;
  // The records of each agent's first wait, for Intervention::outcome_records.
  std::vector<TimeToEventRecord> wait_records(const Population& pop) const;
  // Per agent: the first day in the queue, first served, and the day the first wait ended
  // unserved (-1: never), as output columns.
  const std::vector<std::int32_t>& first_queued_day() const { return first_queued_day_; }
  const std::vector<std::int32_t>& first_served_day() const { return first_served_day_; }
  const std::vector<std::int32_t>& left_unserved_day() const { return left_unserved_day_; }
  // Those waiting, in the order they would be served (a copy: for tests and diagnostics).
  std::vector<std::int32_t> in_order() const;

 private:
  // (priority << 48) | (day << 32) | agent: ordered as the queue serves.
  using Key = std::uint64_t;
  static constexpr Key none = ~Key{0};
  std::priority_queue<Key, std::vector<Key>, std::greater<>> heap_;
  // While waiting, the key of the agent's entry (others in the heap are stale); else none.
  std::vector<Key> entry_;
  std::vector<std::int32_t> first_queued_day_, first_served_day_, left_unserved_day_;
  std::int64_t waiting_ = 0;
  std::int64_t joined_day_sum_ = 0;  // over those waiting
};

// ---- Intake: the queue into places ---------------------------------------------------------

// The people holding a programme's places and the capacity queue of those waiting for one,
// moved on once a day in after_day: the module ends the day's enrolments (end_if), then admit()
// takes the people whose window opened into the queue and serves the queue into the free
// places, emitting the module's events as it goes.
class Intake {
 public:
  // The module's events: joins the queue, takes a place, leaves the queue without one.
  struct Events {
    EventCode queued, enrolled, left;
  };
  explicit Intake(Events events) : events_(events) {}

  void reset(std::size_t agents) {
    queue_.reset(agents);
    enrolled_.assign(agents, 0);
    participants_.clear();
    waiting_.clear();
  }
  // Ends the enrolments for which ends(agent) holds, asked of each participant in turn.
  template <class Ends>
  void end_if(Ends ends) {
    std::erase_if(participants_, [&](std::int32_t agent) {
      if (!ends(agent)) return false;
      enrolled_[static_cast<std::size_t>(agent)] = 0;
      return true;
    });
  }
  // The day's intake, once the day's enrolments have ended. Those waiting for whom
  // still_waits(agent) fails leave the queue unserved (event left), in agent order; each agent of
  // `opened` (increasing) who neither holds a place nor waits joins it with priority(agent)
  // (event queued); then the queue is served until `places` are held, enrol(agent) called for
  // each before its event enrolled.
  template <class StillWaits, class Priority, class Enrol>
  void admit(DayView& view, std::span<const std::int32_t> opened, std::int64_t places, StillWaits still_waits,
             Priority priority, Enrol enrol);
  bool enrolled(std::size_t agent) const { return enrolled_[agent] != 0; }
  // Those holding a place, the order in which end_if asks of them: each day's new participants,
  // in the order served, merged into the others (agent order when served in agent order).
  const std::vector<std::int32_t>& participants() const { return participants_; }
  const CapacityQueue& queue() const { return queue_; }

 private:
  Events events_;
  CapacityQueue queue_;
  std::vector<std::uint8_t> enrolled_;  // per agent: holds a place
  std::vector<std::int32_t> participants_;
  std::vector<std::int32_t> waiting_;  // who joined and may still be waiting, in increasing order
};

template <class StillWaits, class Priority, class Enrol>
void Intake::admit(DayView& view, std::span<const std::int32_t> opened, std::int64_t places, StillWaits still_waits,
                   Priority priority, Enrol enrol) {
  const auto day = static_cast<std::int32_t>(view.day);
  std::erase_if(waiting_, [&](std::int32_t agent) {
    if (!queue_.waiting(agent)) return true;  // served
    if (still_waits(agent)) return false;
    queue_.leave(agent, day);
    view.emit(static_cast<std::size_t>(agent), events_.left);
    return true;
  });
  for (const std::int32_t agent : opened) {
    if (enrolled_[static_cast<std::size_t>(agent)] || queue_.waiting(agent)) continue;
    queue_.join(agent, day, priority(agent));
    waiting_.push_back(agent);
    view.emit(static_cast<std::size_t>(agent), events_.queued);
  }
  std::sort(waiting_.begin(), waiting_.end());
  const std::size_t before = participants_.size();
  for (std::int32_t agent;
       static_cast<std::int64_t>(participants_.size()) < places && (agent = queue_.serve(day)) >= 0;) {
    enrolled_[static_cast<std::size_t>(agent)] = 1;
    enrol(agent);
    participants_.push_back(agent);
    view.emit(static_cast<std::size_t>(agent), events_.enrolled);
  }
  std::inplace_merge(participants_.begin(), participants_.begin() + static_cast<std::ptrdiff_t>(before),
                     participants_.end());
}

// ---- Staff ---------------------------------------------------------------------------------

// Staff positions, all filled on day 0. Each working member leaves on a day with probability
// `leave_probability_per_day` (a draw on `stream`, id = position) and the position is filled
// again `hiring_delay_days` later.
class StaffPositions {
 public:
  void reset(std::int64_t positions);
  // Today's departures and hires; call once a day, in after_day.
  void update(RandomKey key, std::uint32_t day, std::uint32_t stream, double leave_probability_per_day,
              std::int64_t hiring_delay_days);
  std::int64_t working() const { return working_; }
  std::int64_t positions() const { return static_cast<std::int64_t>(filled_from_.size()); }

 private:
  std::vector<std::int32_t> filled_from_;  // the day the position is (again) filled
  std::int64_t working_ = 0;
};

// ---- Costs ---------------------------------------------------------------------------------

// A day's cost, undiscounted (the analysis discounts with analysis.discount_rate): salaries per
// year and fixed costs per year at days_per_year days to a year, plus each contact and each
// participant's day.
struct ProgrammeCosts {
  double salary_per_year = 0.0;
  double cost_per_contact = 0.0;
  double cost_per_participant_day = 0.0;
  double fixed_cost_per_year = 0.0;

  // Declares the four keys, each after `prefix`, with these defaults.
  void declare(ParamTable& table, const std::string& prefix, ProgrammeCosts defaults);
  double day(double staff_fte, std::int64_t contacts, std::int64_t participants) const {
    return (staff_fte * salary_per_year + fixed_cost_per_year) / days_per_year +
           cost_per_contact * static_cast<double>(contacts) +
           cost_per_participant_day * static_cast<double>(participants);
  }
};

// ---- Metrics -------------------------------------------------------------------------------

// The metrics the analysis reads by name (docs/extending.md), each with its one unit and
// description: a module that reports one of them uses these.
namespace standard_metric {
Metric queue_length();            // people waiting at the end of the day
Metric queue_mean_days_so_far();  // mean days waited so far by those waiting (not a person's wait)
Metric utilisation();             // places filled / places available
Metric staff_fte();               // staff working, full-time equivalents
Metric cost();                    // the day's cost, undiscounted
}  // namespace standard_metric

}  // namespace recoverysim::recovery
