// The intervention module contract. A module declares its parameters, its daily metrics and
// its per-agent output columns, and fills these hooks:
//
//   start_replicate  a new cohort: reset state (called once per arm and replicate)
//   before_day       serial preparation of the day (optional)
//   add_effects      today's effects on one tile of agents, called by the day kernel for every
//                    tile, in parallel, just before it advances that tile
//   after_tile       optional: the tile's agents just after the kernel advanced them, with their
//                    events, in parallel (per-agent updates that need no other agent)
//   after_day        read today's events, move queues and links, record the day's metrics and
//                    report the module's own events (view.emit); it may run at the same time as
//                    the other modules' after_day, so it changes only its own module's state
//   agent_columns    the per-agent columns written to the output at the horizon
//
// A module may also name its events (event_names: enrolment, a match, leaving) and declare
// outcomes on them (outcome_definitions: the per-person wait of a capacity-limited module).
//
// add_effects and after_tile are one virtual call per tile of 64 agents; the hooks loop over
// the agents themselves (in parallel where agents are independent, serially where they interact, so
// results never depend on the thread count). Effects reach the core day only through the
// TileEffects channels, computed while the tile is in cache, so no per-agent effect columns
// are stored. A module draws random numbers only from its own streams (stream_base + k), so
// arms share the core draws (common random numbers).
#pragma once

#include "observation.hpp"
#include "outcome_definitions.hpp"
#include "parallel.hpp"
#include "population.hpp"

#include "calendar.hpp"
#include "kernels.hpp"
#include "params.hpp"
#include "random.hpp"

#include <tbb/blocked_range.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace recoverysim::recovery {

// Agents per tile of the day kernel: the unit of its vector loop and of add_effects.
inline constexpr std::size_t agents_per_tile = 64;

// The effect channels of one tile (lane l is agent first + l), neutral when the kernel hands
// them to the first module. Connections and increments add up across modules; multipliers
// multiply.
struct TileEffects {
  float support_connections[agents_per_tile];      // added to g_target
  float craving_increment[agents_per_tile];        // added to c after the core update
  float self_efficacy_increment[agents_per_tile];  // added to e
  float skills_increment[agents_per_tile];         // added to k
  float engagement_increment[agents_per_tile];     // added to w
  float lapse_multiplier[agents_per_tile];         // on the lapse hazard
  float stress_lapse_multiplier[agents_per_tile];  // on the lapse hazard, stress days only
  float relapse_odds_multiplier[agents_per_tile];  // on the odds that a lapse becomes a relapse
  float dropout_multiplier[agents_per_tile];       // on the dropout hazard
  float entry_multiplier[agents_per_tile];         // on the treatment entry hazard (out of treatment)

  // Inline, so that the day kernel fills the channels with its own instruction set.
  void set_neutral() {
    for (float* c :
         {support_connections, craving_increment, self_efficacy_increment, skills_increment, engagement_increment})
      std::fill_n(c, agents_per_tile, 0.0f);
    for (float* c :
         {lapse_multiplier, stress_lapse_multiplier, relapse_odds_multiplier, dropout_multiplier, entry_multiplier})
      std::fill_n(c, agents_per_tile, 1.0f);
  }
};

// One tile of agents, [first, first + n), as the day kernel is about to advance it: the
// population's columns still hold these agents' state at the start of the day (other tiles'
// may already hold the end of it, so a module reads only the tile's own agents).
struct TileView {
  std::uint32_t day = 0;
  RandomKey key;
  const Population& pop;
  std::size_t first = 0;
  std::size_t n = 0;
};

struct ReplicateContext {
  const Parameters& core;
  RandomKey key;
  std::int64_t days = 0;
  std::uint32_t stream_base = 0;  // this module's first stream id
};

struct DayView {
  std::uint32_t day = 0;
  RandomKey key;
  const Population& pop;
  std::span<const std::uint8_t> events;  // today's events (valid in after_day)
  // In after_day: the sum over today's tiles of what this module's add_effects returned.
  std::int64_t effects_total = 0;
  // The agents with an event today, in increasing order, when the caller has listed them
  // (valid in after_day); null otherwise. Read it through agents_with_events().
  const std::vector<std::int32_t>* event_agents = nullptr;
  // Where after_day reports the module's own events (codes: indices of event_names()).
  std::vector<ModuleEvent>* emitted = nullptr;

  void emit(std::size_t agent, EventCode module_event, std::int16_t detail = 0) const {
    if (emitted) emitted->push_back({static_cast<std::int32_t>(agent), module_event, detail});
  }
};

// A daily metric: /arms/<arm>/modules/<module>/daily/<name>, shape [replicates, days]; the
// unit and description become the dataset's attributes.
struct Metric {
  std::string name;
  std::string unit;         // "people", "FTE", "currency units", "share", ...
  std::string description;  // what the day's value is, in words
};

// A per-agent output column: /arms/<arm>/agents/<module>.<name>, shape [replicates, agents].
struct AgentColumn {
  std::string name;
  std::variant<std::vector<std::int32_t>, std::vector<float>> values;
  std::string unit;         // "days", "day", "sessions", ...
  std::string description;  // what the value is, and what -1 means where it can be -1
};

class Intervention {
 public:
  virtual ~Intervention() = default;

  // Parameters, bound to the module's own fields; paths are relative to the module
  // (`mentors`, not `peer_mentor.mentors`).
  virtual void declare(ParamTable& table) = 0;
  // Checks across keys; throws InputError naming where a key was set.
  virtual void validate(const ParamTable&) const {}

  // The daily metrics, in the order after_day writes them. Every module reports `staff_fte`
  // (full-time equivalents working that day) and `cost` (currency units that day).
  virtual std::vector<Metric> metrics() const = 0;
  std::vector<std::string> metric_names() const;

  virtual void start_replicate(const ReplicateContext& ctx, std::size_t agents) = 0;
  virtual void before_day(DayView&) {}
  // Adds today's effects on the agents of `tile` to `fx`. Called from several threads at once
  // for different tiles: it may change only the state of the tile's own agents. Returns a
  // count (attendance, say) that after_day receives summed over the tiles (an integer, so the
  // same on any number of threads).
  virtual std::int64_t add_effects(const TileView& tile, TileEffects& fx) = 0;
  // Called by the day kernel right after it has advanced `tile`: the population's columns now
  // hold the tile's agents at the end of the day, and events[l] is agent first + l's events
  // today. The same rules as add_effects: called from several threads at once for different
  // tiles, it may change only the state of the tile's own agents. Optional: per-agent updates
  // that need today's events but no other agent are done here while the tile is in cache, and
  // after_day keeps what is serial or crosses agents.
  virtual void after_tile(const TileView& /*tile*/, std::span<const std::uint8_t> /*events*/) {}
  // Reads the population and today's events and changes only this module's state: the arm
  // runs the modules' after_days at the same time.
  virtual void after_day(DayView& view, std::span<double> metrics) = 0;
  virtual std::vector<AgentColumn> agent_columns() const = 0;

  // The module's own events, by code (the index in this list), each with one line of doc;
  // in the event table they are `<type>.<name>`, code stream_base + index.
  struct EventName {
    std::string name;
    std::string doc;
  };
  virtual std::vector<EventName> event_names() const { return {}; }
  // Outcomes the module reports on its events, whose codes start at `first_code` (its stream
  // base), for a run of `days` days; names start with the module's type.
  virtual std::vector<OutcomeDefinition> outcome_definitions(EventCode /*first_code*/, std::int64_t /*days*/) const {
    return {};
  }
  // For a definition the module records itself (OutcomeDefinition::recorded_by_module): each
  // agent's time to event at the horizon, indexed by agent (`pop` for the deaths).
  virtual std::vector<TimeToEventRecord> outcome_records(const OutcomeDefinition& /*definition*/,
                                                         const Population& /*pop*/) const {
    return {};
  }
};

// The per-person wait of a capacity-limited module, as a time to event: from the first day
// someone joins the queue (`queued`) to the day they are first served (`served`), with death
// and leaving without being served (`left`) competing and the horizon censoring. Reported as
// <type>.wait_mean_days (restricted to the horizon), wait_p50_days, wait_p90_days and
// wait_never_served. The module records the times itself (stream_base names it).
OutcomeDefinition wait_definition(const std::string& type, std::uint32_t stream_base, EventCode queued,
                                  EventCode served, EventCode left, std::int64_t days);
// The records of a wait from each agent's first day in the queue, first day served, and the day
// its first wait ended unserved (-1 where none): a death that day is a death, else a leaving.
std::vector<TimeToEventRecord> wait_records(std::span<const std::int32_t> first_queued_day,
                                            std::span<const std::int32_t> first_served_day,
                                            std::span<const std::int32_t> left_unserved_day, const Population& pop);

// ---- Helpers for the modules' loops over agents ------------------------------------------

// The agents i in [begin, end) for which keep(i) holds, in increasing order, into `out`. They
// are found in parallel over fixed chunks joined in chunk order, so the list is the same on any
// number of threads; keep(i) must depend on agent i alone.
template <class Keep>
void collect_agents(std::size_t begin, std::size_t end, std::vector<std::int32_t>& out, Keep&& keep) {
  constexpr std::size_t chunk = std::size_t{1} << 14;
  std::vector<std::vector<std::int32_t>> parts((std::max(begin, end) - begin + chunk - 1) / chunk);
  recoverysim::parallel_for(tbb::blocked_range<std::size_t>(0, parts.size()), [&](const auto& r) {
    for (std::size_t c = r.begin(); c != r.end(); ++c) {
      const std::size_t last = std::min(end, begin + (c + 1) * chunk);
      for (std::size_t i = begin + c * chunk; i < last; ++i)
        if (keep(i)) parts[c].push_back(static_cast<std::int32_t>(i));
    }
  });
  out.clear();
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
}

template <class Keep>
void collect_agents(std::size_t n, std::vector<std::int32_t>& out, Keep&& keep) {
  collect_agents(0, n, out, std::forward<Keep>(keep));
}

// The agents first + l, l < n <= agents_per_tile, with flags[l] != 0, in increasing order, into
// `out` (room for agents_per_tile); returns how many. With AVX-512, eight lanes at a time
// (vpcompressd).
std::size_t flagged_agents(const std::int32_t* flags, std::size_t n, std::size_t first, std::int32_t* out);

// out[k] = philox_block(key, agents[k], day, stream, 0)[0] for every k: the first uniform of
// each agent's block, computed for several agents at once with the machine's vector
// instructions where it has them (the same numbers: Philox is integer arithmetic). `out` has
// room for at least agents.size() numbers.
void first_draws(RandomKey key, std::span<const std::int32_t> agents, std::uint32_t day, std::uint32_t stream,
                 std::span<std::uint32_t> out);

// out[l] = philox_block(key, first + l, day, stream, 0)[0] for l < n: the same numbers as
// first_draws for the agents first .. first + n - 1, for a whole tile when most of it draws.
void first_draws_of_range(RandomKey key, std::size_t first, std::size_t n, std::uint32_t day, std::uint32_t stream,
                          std::uint32_t* out);

// The three above for one kernel (kernels.hpp), instantiated in intervention_lanes.cpp for each
// kernel of the build. The functions above call the kernel in use; a module's tile pass, itself
// compiled per kernel, calls its own kernel's.
template <class KernelTag>
std::size_t flagged_agents_for(const std::int32_t* flags, std::size_t n, std::size_t first, std::int32_t* out);
template <class KernelTag>
void first_draws_for(RandomKey key, std::span<const std::int32_t> agents, std::uint32_t day, std::uint32_t stream,
                     std::span<std::uint32_t> out);
template <class KernelTag>
void first_draws_of_range_for(RandomKey key, std::size_t first, std::size_t n, std::uint32_t day, std::uint32_t stream,
                              std::uint32_t* out);
// The first two numbers of each block of agents first .. first + n - 1 (n <= agents_per_tile).
template <class KernelTag>
void first_two_draws_of_tile_for(RandomKey key, std::size_t first, std::size_t n, std::uint32_t day,
                                 std::uint32_t stream, std::uint32_t* first_out, std::uint32_t* second_out);

// The agents i of `tile` for which keep(i) holds, in increasing order, into `out` (room for
// agents_per_tile); returns how many. keep(i) is evaluated for every agent of the tile, without
// branches (write it with & rather than &&), so that a test that varies at random from agent
// to agent costs no mispredictions. Always inlined, so that keep is compiled with the caller's
// kernel.
template <class KernelTag, class Keep>
[[gnu::always_inline]] inline std::size_t tile_agents(const TileView& tile, std::int32_t* out, Keep&& keep) {
  std::int32_t flags[agents_per_tile];
  for (std::size_t l = 0; l < tile.n; ++l) flags[l] = keep(tile.first + l) ? 1 : 0;
  return flagged_agents_for<KernelTag>(flags, tile.n, tile.first, out);
}

// Agents due on a known day (an aftercare or eligibility window closing), added in order of
// that day: each day hands out the agents whose day has come.
class DueList {
 public:
  void clear() {
    entries_.clear();
    head_ = 0;
  }
  void add(std::int32_t due_day, std::int32_t agent) { entries_.emplace_back(due_day, agent); }
  // Merges the agents due by `day` into `agents` (sorted and distinct before and after).
  void merge_due_into(std::int32_t day, std::vector<std::int32_t>& agents);

 private:
  std::vector<std::pair<std::int32_t, std::int32_t>> entries_;  // (due day, agent), due days non-decreasing
  std::size_t head_ = 0;                                        // entries before it were handed out
};

// The agents with a non-zero event, in increasing order (found in parallel, the same list on
// any number of threads).
void list_event_agents(std::span<const std::uint8_t> events, std::vector<std::int32_t>& out);

// Today's agents with one of the events in `mask`, in increasing order, listed into `out`
// (from the caller's list of agents with an event when there is one).
void agents_with_events(const DayView& view, std::uint8_t mask, std::vector<std::int32_t>& out);

// Explicit registration of the built-in modules (models/registry.cpp): type name -> factory,
// with the module's own block of random stream ids.
class InterventionRegistry {
 public:
  using Factory = std::unique_ptr<Intervention> (*)();
  template <class Module>
  void add(std::string type, std::uint32_t stream_base) {
    entries_.push_back({std::move(type), stream_base, [] { return std::unique_ptr<Intervention>(new Module()); }});
  }
  std::unique_ptr<Intervention> create(const std::string& type) const;
  std::uint32_t stream_base(const std::string& type) const;
  std::vector<std::string> types() const;
  bool contains(const std::string& type) const;

 private:
  struct Entry {
    std::string type;
    std::uint32_t stream_base;
    Factory factory;
  };
  std::vector<Entry> entries_;
};

}  // namespace recoverysim::recovery
