// Observing a replicate for its outcome definitions: counting tables, not records of people.
//
// Each definition becomes counts by admission period (the strata) for one replicate:
//  - cumulative_incidence: a counting-process table (entries, events by cause, censorings by
//    day since the origin) and, for each day D asked, the people followed for D days and their
//    events within them (the complete-follow-up share);
//  - state_share: for each day D, the people observed on that day and those in the state;
//  - rate: for each category of person-time, the events and the person-days.
// Where a definition can be read off the population's per-agent records at the horizon (the
// first lapse, relapse, death or first-episode end after arrival), it costs nothing during the
// run. Otherwise the day kernel hands each tile of agents, at the end of each day, to
// observe(), and the modules' events of the day to observe_module_events(); the few per-agent
// fields this needs (an origin's day, a done bit per definition) exist only for those
// definitions. Counts are integers summed over threads, so they are the same on any number of
// threads. With record_events, every event is also kept, for /arms/<arm>/events.
#pragma once

#include "events.hpp"
#include "outcome_definitions.hpp"
#include "population.hpp"

#include "analysis/survival.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace recoverysim::recovery {

// One tile of agents [first, first + n) at the end of one day, as the day kernel holds it in
// lanes (lane l is agent first + l). Lanes [arrived_before, admitted) arrived today; lanes from
// `admitted` on have not arrived yet.
struct TileDay {
  std::int32_t day = 0;
  std::size_t first = 0;
  std::size_t n = 0;
  std::size_t arrived_before = 0;
  std::size_t admitted = 0;
  const std::int32_t* state_before = nullptr;  // at the start of the day, when needs_start_of_day()
  const std::int32_t* treatment_before = nullptr;
  const std::int32_t* state = nullptr;  // at the end of the day
  const std::int32_t* treatment = nullptr;
  const std::int32_t* readmissions = nullptr;
  const std::int32_t* events = nullptr;       // DayEvent bits and the kernel's bits beyond them (states.hpp)
  const std::int32_t* status_days = nullptr;  // days in the treatment status (for the deceased: at death)
  const std::int32_t* setting = nullptr;      // of the current or last episode
};

// An event an intervention module reports in after_day (its code is global: stream base + k).
struct ModuleEvent {
  std::int32_t agent = 0;
  EventCode code = 0;
  std::int16_t detail = 0;
};

// One row of the event record. `order` sorts an agent's events of a day as they happened: the
// core events in the order lane_events gives them, then the modules' events in the order they
// were reported.
struct RecordedEvent {
  std::int32_t agent = 0;
  std::int32_t day = 0;
  std::uint32_t order = 0;
  EventCode code = 0;
  std::int16_t detail = 0;
  auto operator<=>(const RecordedEvent&) const = default;
};

// One definition's counts for one replicate (see the file comment), by stratum.
struct OutcomeCounts {
  const OutcomeDefinition* definition = nullptr;
  std::vector<analysis::EventTable> event;      // cumulative_incidence: [stratum]
  std::vector<std::vector<std::int64_t>> rows;  // [stratum][row * width + column]
  std::size_t width = 0;                        // columns of a row
  std::size_t row_count = 0;                    // rows per stratum
};

// What a replicate observes: the definitions (the shipped ones, the scenario's and the
// modules'), the horizon, the strata, and whether every event is recorded.
struct ObservationPlan {
  std::vector<OutcomeDefinition> definitions;
  std::int64_t days = 0;
  double period_days = 0.0;  // length of an admission period; 0: a single stratum
  std::size_t periods = 1;
  bool record_events = false;
  // The first episode starts on arrival (a cohort that starts in treatment): its end can then be
  // read off the per-agent records. Not so for a community start, whose first entry comes later.
  bool first_episode_at_arrival = true;
};

class Observation {
 public:
  explicit Observation(ObservationPlan plan);
  Observation(const Observation&) = delete;
  Observation& operator=(const Observation&) = delete;

  const ObservationPlan& plan() const { return plan_; }
  // A new cohort: resets every count and per-agent field.
  void start_replicate(const Population& pop);

  // The per-thread part of the counts (fetched once per range of tiles by the kernel).
  struct Local {
    std::vector<OutcomeCounts> counts;
    std::vector<RecordedEvent> records;
  };
  Local& local() { return locals_.local(); }
  // True when the kernel must call observe() (false: nothing to observe during the day).
  bool observes_tiles() const { return !range_definitions_.empty() || lane_work_; }
  // True when observe() has anything to do with agents [first, first + n) on `day` (inline:
  // the kernel asks for every tile of every day).
  bool wants(std::int32_t day, std::size_t first, std::size_t n) const {
    if (lane_work_) return true;
    if (range_hull_.empty()) return false;
    const auto& [begin, end] = range_hull_[static_cast<std::size_t>(day)];
    return static_cast<std::int64_t>(first)<end&& static_cast<std::int64_t>(first + n)> begin;
  }
  // True when observe() reads the start-of-day state (the kernel then keeps a copy).
  bool needs_start_of_day() const { return needs_transitions_ || has_rates_ || plan_.record_events; }

  // A tile at the end of a day; called from the kernel's threads, one tile at a time each.
  void observe(const TileDay& tile, Local& local);
  // The modules' events of a day, after their after_day (serial).
  void observe_module_events(std::int32_t day, std::span<const ModuleEvent> events);
  // The replicate's counts, in the order of plan().definitions (contrasts have none): the
  // threads' counts summed, the definitions read off the records added, the people still at
  // risk censored at the horizon. `module_records` gives the records of a definition a module
  // keeps (OutcomeDefinition::recorded_by_module).
  using ModuleRecords = std::function<std::vector<TimeToEventRecord>(const OutcomeDefinition&)>;
  std::vector<OutcomeCounts> finish(const Population& pop, const ModuleRecords& module_records = {});
  // True when a definition or the record reads the modules' events (otherwise they need not
  // be reported at all).
  bool reads_module_events() const { return reads_module_events_; }
  // The replicate's event record, sorted by (agent, day, code); empty unless record_events.
  std::vector<RecordedEvent> take_records();

  // The admission period of an admission day.
  std::size_t stratum_of_day(std::int32_t admission_day) const;

 private:
  enum class Mode : std::uint8_t {
    contrast,        // nothing to count
    derived,         // cumulative_incidence read off the per-agent records at the horizon
    tracked,         // cumulative_incidence followed day by day
    state_by_range,  // state_share from arrival or day 0: agents whose day D is today form a range
    state_tracked,   // state_share from an event origin
    rate,
    module_records,  // cumulative_incidence from a module's records at the horizon
  };
  struct Definition {
    const OutcomeDefinition* d = nullptr;
    Mode mode = Mode::contrast;
    int origin_slot = -1;         // the per-agent origin day (event origins)
    int done_slot = -1;           // the per-agent done bits (tracked)
    bool died_is_cause = false;   // `died` or a death of a given cause is among the causes
    bool cause_specific = false;  // died_other_causes or died_substance_related is among the causes
  };
  // A distinct event origin, shared by the definitions that use it.
  struct OriginSlot {
    Origin origin;
    std::vector<std::int16_t> day;    // -1: not reached
    std::vector<std::uint8_t> count;  // occurrences so far (occurrence > 1)
  };

  bool in_subgroup(const OutcomeDefinition& d, std::size_t agent) const;
  std::size_t stratum_of(std::size_t agent) const;
  std::int32_t origin_day(const Definition& def, std::size_t agent) const;
  void count_ranges(const TileDay& tile, Local& local) const;
  void on_event(std::size_t agent, std::int32_t day, EventCode code, bool in_treatment_at_start, bool end_of_day,
                Local& local);
  bool in_rate(const Definition& def, std::size_t agent, std::int32_t day) const;
  void count_tracked_states(const TileDay& tile, Local& local) const;
  std::size_t rate_category(const OutcomeDefinition& d, std::size_t agent, std::int32_t day, bool in_treatment) const;
  void add_derived(OutcomeCounts& counts, const Definition& def, const Population& pop) const;
  void close_tracked(OutcomeCounts& counts, const Definition& def, const Population& pop) const;
  void add_records(OutcomeCounts& counts, const std::vector<TimeToEventRecord>& records, const Population& pop) const;
  std::vector<OutcomeCounts> empty_counts() const;

  ObservationPlan plan_;
  std::vector<Definition> definitions_;
  std::vector<std::size_t> range_definitions_;  // indices of state_by_range definitions
  bool lane_work_ = false;                      // anything per lane: tracked, rates, the record
  bool has_rates_ = false;
  bool reads_module_events_ = false;
  bool has_tracked_states_ = false;
  // Which of a lane's day events interest a definition (DayEvent bits), whether arrivals do,
  // and whether the changes of state that are not DayEvents do (withdrawal completed, a lapse
  // resolved, stable recovery): lanes with none of these are skipped.
  std::uint32_t interesting_events_ = 0;
  bool interesting_arrivals_ = false;
  bool needs_transitions_ = false;
  // The definitions and origin slots that an event code concerns (tracked, rate), by code.
  std::vector<std::vector<std::uint16_t>> definitions_by_code_;
  std::vector<std::vector<std::uint16_t>> origins_by_code_;
  bool tracks_exits_ = false;  // a rate split by the days since leaving treatment
  std::vector<OriginSlot> origins_;
  std::vector<std::vector<std::uint64_t>> done_;  // [slot][tile]: bit l = agent 64 tile + l
  std::vector<std::int16_t> last_exit_day_;       // the day the agent last left treatment, or -1
  // state_by_range: for definition r, day t and its j-th day D, the agents [begin, end) whose
  // day D after the origin is day t.
  std::vector<std::vector<std::pair<std::int32_t, std::int32_t>>> ranges_;
  std::vector<std::pair<std::int32_t, std::int32_t>> range_hull_;  // per day: the agents of every range
  const Population* pop_ = nullptr;
  tbb::enumerable_thread_specific<Local> locals_;
};

}  // namespace recoverysim::recovery
