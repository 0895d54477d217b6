// The intervention module contract. A module declares its parameters, its daily metrics and
// its per-agent output columns, and fills four hooks:
//
//   start_replicate  a new cohort: reset state (called once per arm and replicate)
//   before_day       write today's effects for the agents it reaches (the declared channels)
//   after_day        read today's events, move queues and links, record the day's metrics
//   agent_columns    the per-agent columns written to the output at the horizon
//
// Each hook is one virtual call per day; inside, a module loops over its own members or over
// the population (in parallel where agents are independent, serially where they interact, so
// results never depend on the thread count). A module changes agents only through the
// EffectColumns channels, and draws random numbers only from its own streams
// (stream_base + k), so arms share the core draws (common random numbers).
#pragma once

#include "population.hpp"

#include "params.hpp"
#include "random.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace recoverysim::recovery {

// Per-agent channels, neutral when the modules' before_day starts: set so at the start of a
// replicate, and left so by the day kernel, which reads each agent's values and resets them.
// Connections and increments add up across modules; multipliers multiply.
struct EffectColumns {
  std::vector<float> support_connections;      // added to g_target
  std::vector<float> craving_increment;        // added to c after the core update
  std::vector<float> self_efficacy_increment;  // added to e
  std::vector<float> skills_increment;         // added to k
  std::vector<float> engagement_increment;     // added to w
  std::vector<float> lapse_multiplier;         // on the lapse hazard
  std::vector<float> stress_lapse_multiplier;  // on the lapse hazard, stress days only
  std::vector<float> relapse_odds_multiplier;  // on the odds that a lapse becomes a relapse
  std::vector<float> dropout_multiplier;       // on the dropout hazard

  void resize(std::size_t n);
  void reset();  // neutral values, in parallel
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
  EffectColumns& effects;
  std::span<const std::uint8_t> events;  // today's events (valid in after_day)
  // The agents with an event today, in increasing order, when the caller has listed them
  // (valid in after_day); null otherwise. Read it through agents_with_events().
  const std::vector<std::int32_t>* event_agents = nullptr;
};

// A per-agent output column: /arms/<arm>/agents/<module>.<name>, shape [replicates, agents].
struct AgentColumn {
  std::string name;
  std::variant<std::vector<std::int32_t>, std::vector<float>> values;
};

class Intervention {
 public:
  virtual ~Intervention() = default;

  // Parameters, bound to the module's own fields; paths are relative to the module
  // (`mentors`, not `peer_mentor.mentors`).
  virtual void declare(ParamTable& table) = 0;
  // Checks across keys; throws InputError naming where a key was set.
  virtual void validate(const ParamTable&) const {}

  // Names of the daily metrics, in the order after_day writes them. Every module reports
  // `staff_fte` (full-time equivalents working that day) and `cost` (currency units that day).
  virtual std::vector<std::string> metric_names() const = 0;

  virtual void start_replicate(const ReplicateContext& ctx, std::size_t agents) = 0;
  virtual void before_day(DayView& view) = 0;
  virtual void after_day(DayView& view, std::span<double> metrics) = 0;
  virtual std::vector<AgentColumn> agent_columns() const = 0;
};

// ---- Helpers for the modules' loops over agents ------------------------------------------

// The agents i in [begin, end) for which keep(i) holds, in increasing order, into `out`. They
// are found in parallel over fixed chunks joined in chunk order, so the list is the same on any
// number of threads; keep(i) must depend on agent i alone.
template <class Keep>
void collect_agents(std::size_t begin, std::size_t end, std::vector<std::int32_t>& out, Keep&& keep) {
  constexpr std::size_t chunk = std::size_t{1} << 14;
  std::vector<std::vector<std::int32_t>> parts((std::max(begin, end) - begin + chunk - 1) / chunk);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, parts.size()), [&](const tbb::blocked_range<std::size_t>& r) {
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

// Runs block(agents) in parallel for the agents of `list` for which keep(i) holds, in pieces
// of at most selection_tile agents, and returns the sum of what the blocks return: an integer,
// the same on any number of threads. The pieces are gathered without branches (in list
// order), so that a test that varies at random from agent to agent costs no mispredictions.
inline constexpr std::size_t selection_tile = 1024;
template <class Keep, class Block>
std::int64_t for_each_listed(std::span<const std::int32_t> list, Keep&& keep, Block&& block) {
  const std::size_t pieces = (list.size() + selection_tile - 1) / selection_tile;
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, pieces, 4), std::int64_t{0},
      [&](const tbb::blocked_range<std::size_t>& r, std::int64_t total) {
        std::int32_t agents[selection_tile];
        for (std::size_t t = r.begin(); t != r.end(); ++t) {
          std::size_t count = 0;
          const std::size_t end = std::min(list.size(), (t + 1) * selection_tile);
          for (std::size_t k = t * selection_tile; k < end; ++k) {
            agents[count] = list[k];
            count += keep(static_cast<std::size_t>(list[k])) ? 1 : 0;
          }
          if (count > 0) total += block(std::span<const std::int32_t>(agents, count));
        }
        return total;
      },
      [](std::int64_t a, std::int64_t b) { return a + b; });
}

// Runs block(agents) in parallel over consecutive pieces of `list`, at most selection_tile
// agents long, and returns the sum of what the blocks return: an integer, the same on any
// number of threads.
template <class Block>
std::int64_t for_each_piece(std::span<const std::int32_t> list, Block&& block) {
  const std::size_t pieces = (list.size() + selection_tile - 1) / selection_tile;
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, pieces, 4), std::int64_t{0},
      [&](const tbb::blocked_range<std::size_t>& r, std::int64_t total) {
        for (std::size_t t = r.begin(); t != r.end(); ++t) {
          const std::size_t first = t * selection_tile;
          total += block(list.subspan(first, std::min(selection_tile, list.size() - first)));
        }
        return total;
      },
      [](std::int64_t a, std::int64_t b) { return a + b; });
}

// Keeps `list` in increasing order and without the agents for which gone(i) holds: the
// entries after the first `sorted` are sorted and merged in.
template <class Gone>
void compact_list(std::vector<std::int32_t>& list, std::size_t sorted, Gone&& gone) {
  const auto middle = list.begin() + static_cast<std::ptrdiff_t>(sorted);
  std::sort(middle, list.end());
  std::inplace_merge(list.begin(), middle, list.end());
  std::erase_if(list, [&](std::int32_t agent) { return gone(static_cast<std::size_t>(agent)); });
}

// out[k] = philox_block(key, agents[k], day, stream, 0)[0] for every k: the first uniform of
// each agent's block, computed for several agents at once with the machine's vector
// instructions where it has them (the same numbers: Philox is integer arithmetic). `out` has
// room for at least agents.size() numbers.
void first_draws(RandomKey key, std::span<const std::int32_t> agents, std::uint32_t day, std::uint32_t stream,
                 std::span<std::uint32_t> out);

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

// The built-in modules, registered in one place.
const InterventionRegistry& builtin_interventions();

}  // namespace recoverysim::recovery
