// Column <-> agent copies and the serial and parallel drivers of the day kernel, compiled once
// per kernel (kernels.hpp): kernel.cpp calls the one in use.
#include "kernel.hpp"
#include "parallel.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernel_region.hpp"  // last: what follows is compiled for this file's kernel

namespace recoverysim::recovery {

// Named per kernel rather than anonymous: this file is also compiled as an included one.
namespace RECOVERYSIM_KERNEL_NAMESPACE {

using Isa = RECOVERYSIM_THIS_KERNEL::isa;

// One tile of the population's columns, widened to 32-bit lanes. The vectorised loop works on
// these only: the compiler sees fixed addresses that cannot alias one another (through the
// std::vector columns it would have to assume that any byte store may move any column), and
// one lane width throughout, so that its masks never need converting.
template <std::size_t lanes>
struct TileColumns {
  std::int32_t substance[lanes], mental_health[lanes];
  float baseline_support[lanes], baseline_engagement[lanes], craving_peak[lanes];
  float age_years[lanes];  // at admission
  std::int32_t male[lanes];
  std::int32_t admission_day[lanes];  // not a column: from the population's intake
  float craving[lanes], self_efficacy[lanes], support[lanes], skills[lanes], engagement[lanes];
  std::int32_t state[lanes], treatment[lanes], setting[lanes];
  std::int32_t abstinent_run[lanes], abstinent_before_use[lanes], days_since_use[lanes], withdrawal_days_left[lanes],
      status_days[lanes];
  std::int32_t first_lapse_day[lanes], first_relapse_day[lanes], first_episode_outcome[lanes];
  std::int32_t first_episode_days[lanes], readmissions[lanes], death_day[lanes], death_cause[lanes];
  std::int32_t abstinent_days[lanes];
};

// Calls f(population column, tile column) for every column the day reads (read_only) or
// writes (read_write): the one list of them.
template <class Tile, class ReadOnly, class ReadWrite>
void for_each_day_column(Population& pop, Tile& t, ReadOnly&& read_only, ReadWrite&& read_write) {
  read_only(pop.substance, t.substance), read_only(pop.mental_health, t.mental_health);
  read_only(pop.baseline_support, t.baseline_support), read_only(pop.baseline_engagement, t.baseline_engagement);
  read_only(pop.craving_peak, t.craving_peak);
  read_only(pop.age_years, t.age_years), read_only(pop.male, t.male);
  read_write(pop.craving, t.craving), read_write(pop.self_efficacy, t.self_efficacy);
  read_write(pop.support, t.support), read_write(pop.skills, t.skills), read_write(pop.engagement, t.engagement);
  read_write(pop.state, t.state), read_write(pop.treatment, t.treatment), read_write(pop.setting, t.setting);
  read_write(pop.abstinent_run, t.abstinent_run), read_write(pop.abstinent_before_use, t.abstinent_before_use);
  read_write(pop.days_since_use, t.days_since_use), read_write(pop.withdrawal_days_left, t.withdrawal_days_left);
  read_write(pop.status_days, t.status_days);
  read_write(pop.first_lapse_day, t.first_lapse_day), read_write(pop.first_relapse_day, t.first_relapse_day);
  read_write(pop.first_episode_outcome, t.first_episode_outcome);
  read_write(pop.first_episode_days, t.first_episode_days), read_write(pop.readmissions, t.readmissions);
  read_write(pop.death_day, t.death_day), read_write(pop.death_cause, t.death_cause);
  read_write(pop.abstinent_days, t.abstinent_days);
}

// Lane l's agent on day `today`, its age advanced by the days since its admission.
template <std::size_t lanes>
[[gnu::always_inline]] inline AgentState load_agent(const TileColumns<lanes>& t, std::size_t l, std::int32_t today,
                                                    float years_per_day) {
  AgentState a;
  a.age_years = t.age_years[l] + static_cast<float>(today - t.admission_day[l]) * years_per_day;
  a.male = t.male[l];
  a.substance = Wide<Substance>::from_code(t.substance[l]);
  a.mental_health = t.mental_health[l];
  a.baseline_support = t.baseline_support[l];
  a.baseline_engagement = t.baseline_engagement[l];
  a.craving_peak = t.craving_peak[l];
  a.craving = t.craving[l];
  a.self_efficacy = t.self_efficacy[l];
  a.support = t.support[l];
  a.skills = t.skills[l];
  a.engagement = t.engagement[l];
  a.state = Wide<ClinicalState>::from_code(t.state[l]);
  a.treatment = Wide<TreatmentStatus>::from_code(t.treatment[l]);
  a.setting = t.setting[l];
  a.abstinent_run = t.abstinent_run[l];
  a.abstinent_before_use = t.abstinent_before_use[l];
  a.days_since_use = t.days_since_use[l];
  a.withdrawal_days_left = t.withdrawal_days_left[l];
  a.status_days = t.status_days[l];
  a.first_lapse_day = t.first_lapse_day[l];
  a.first_relapse_day = t.first_relapse_day[l];
  a.first_episode_outcome = Wide<EpisodeOutcome>::from_code(t.first_episode_outcome[l]);
  a.first_episode_days = t.first_episode_days[l];
  a.readmissions = t.readmissions[l];
  a.death_day = t.death_day[l];
  a.death_cause = Wide<DeathCause>::from_code(t.death_cause[l]);
  a.abstinent_days = t.abstinent_days[l];
  return a;
}

template <std::size_t lanes>
[[gnu::always_inline]] inline void store_agent(TileColumns<lanes>& t, std::size_t l, const AgentState& a) {
  // Fixed attributes never change during a day; only the dynamic fields are written back.
  t.craving[l] = a.craving;
  t.self_efficacy[l] = a.self_efficacy;
  t.support[l] = a.support;
  t.skills[l] = a.skills;
  t.engagement[l] = a.engagement;
  t.state[l] = a.state.code;
  t.treatment[l] = a.treatment.code;
  t.abstinent_run[l] = a.abstinent_run;
  t.abstinent_before_use[l] = a.abstinent_before_use;
  t.days_since_use[l] = a.days_since_use;
  t.withdrawal_days_left[l] = a.withdrawal_days_left;
  t.status_days[l] = a.status_days;
  t.first_lapse_day[l] = a.first_lapse_day;
  t.first_relapse_day[l] = a.first_relapse_day;
  t.first_episode_outcome[l] = a.first_episode_outcome.code;
  t.first_episode_days[l] = a.first_episode_days;
  t.readmissions[l] = a.readmissions;
  t.death_day[l] = a.death_day;
  t.death_cause[l] = a.death_cause.code;
  t.abstinent_days[l] = a.abstinent_days;
}

// Lane l of the modules' effects.
[[gnu::always_inline]] inline AgentEffects effects_of(const TileEffects& fx, std::size_t l) {
  AgentEffects e;
  e.support_connections = fx.support_connections[l];
  e.craving_increment = fx.craving_increment[l];
  e.self_efficacy_increment = fx.self_efficacy_increment[l];
  e.skills_increment = fx.skills_increment[l];
  e.engagement_increment = fx.engagement_increment[l];
  e.lapse_multiplier = fx.lapse_multiplier[l];
  e.stress_lapse_multiplier = fx.stress_lapse_multiplier[l];
  e.relapse_odds_multiplier = fx.relapse_odds_multiplier[l];
  e.dropout_multiplier = fx.dropout_multiplier[l];
  e.entry_multiplier = fx.entry_multiplier[l];
  return e;
}

struct NoEffects {};

// Agents per tile: the unit of the vectorised loop (one Philox call per tile) and of the
// split across threads, so that every agent is computed by the same code whatever the split.
constexpr std::size_t tile = agents_per_tile;

// One lane of the tile loop. Its locals live here rather than in the loop body: there,
// `#pragma omp simd` would give each lane its own copy in an array of structs, which the
// compiler cannot vectorise; here, inlined, they become vector registers.
// With one_setting, every agent's setting is ctx.only_setting: a value the same in every lane,
// so its constants are read once rather than gathered.
template <bool with_effects, bool one_setting, class Effects>
[[gnu::always_inline]] inline std::int32_t step_lane(const DayContext& ctx, TileColumns<tile>& t,
                                                     const Effects& effects, const std::uint32_t (&u)[4][tile],
                                                     std::int32_t today, std::size_t l) {
  AgentState a = load_agent(t, l, today, ctx.years_per_day);
  if constexpr (one_setting) a.setting = ctx.only_setting;
  AgentEffects fx;
  if constexpr (with_effects) fx = effects_of(effects, l);
  const DayDraws draws{u[slot_stress][l], u[slot_death][l], u[slot_state_exit][l], u[slot_treatment_exit][l]};
  const std::int32_t events = advance_one_day(ctx, a, today, draws, fx);
  store_agent(t, l, a);
  return events;
}

// A tile of agents [first, first + n), n <= tile, held in lanes while it is advanced.
struct Tile {
  std::size_t first = 0;
  std::size_t n = 0;
  TileColumns<tile> columns;

  void load(Population& pop) {
    const auto copy_in = [&](const auto& column, auto* lanes) {
      using Lane = std::remove_pointer_t<decltype(lanes)>;
      for (std::size_t l = 0; l < n; ++l) lanes[l] = static_cast<Lane>(column[first + l]);
    };
    for_each_day_column(pop, columns, copy_in, copy_in);
    for (std::size_t l = 0; l < n; ++l) columns.admission_day[l] = pop.admission_day(first + l);
  }
  void store(Population& pop) {
    const auto ignore = [](const auto&, const auto*) {};
    const auto copy_out = [&](auto& column, const auto* lanes) {
      using Stored = typename std::remove_reference_t<decltype(column)>::value_type;
      for (std::size_t l = 0; l < n; ++l) column[first + l] = static_cast<Stored>(lanes[l]);
    };
    for_each_day_column(pop, columns, ignore, copy_out);
  }
};

// What one day of a tile reports besides the agents' new state.
struct TileOutputs {
  DayCounts* counts = nullptr;
  const TrajectorySink* trajectory = nullptr;  // the day's slot is trajectory->offset + day_slot
  std::size_t day_slot = 0;
  std::uint8_t* events = nullptr;      // the modules' event column, indexed by agent
  Observation* observation = nullptr;  // sees the tile at the end of the day, if it asks to
  Observation::Local* observation_local = nullptr;
  // Per tile (bit l: agent first + l), the agents who asked today for a place in a setting with
  // slots (pathway.hpp); only needed when the settings have slots.
  std::uint64_t* place_requests = nullptr;
};

// Advances a loaded tile by one day.
template <bool with_effects, bool one_setting>
void advance_tile(const DayContext& shared_ctx, const Population& pop, Tile& tile_, RandomKey key, std::int32_t today,
                  const std::conditional_t<with_effects, TileEffects, NoEffects>& effects, const TileOutputs& out) {
  const DayContext ctx = shared_ctx;  // a local copy: its fields can be read under a condition without a trap
  TileColumns<tile>& t = tile_.columns;
  const std::size_t first = tile_.first, n = tile_.n;
  const auto lanes_before = [&](std::size_t agents) { return std::clamp(agents, first, first + n) - first; };
  const std::size_t admitted = lanes_before(pop.admitted_by(today));  // lanes [0, admitted) are in the cohort
  const std::size_t arrived_before = today > 0 ? lanes_before(pop.admitted_by(today - 1)) : 0;
  const bool community = ctx.p.population.start == CohortStart::community;
  for (std::size_t l = arrived_before; l < admitted; ++l)
    t.treatment[l] = static_cast<std::int32_t>(community ? TreatmentStatus::untreated : TreatmentStatus::in_treatment);
  // The observation compares each agent's end of the day with its start.
  std::int32_t state_before[tile], treatment_before[tile];
  const bool observe = out.observation != nullptr && out.observation->wants(today, first, n);
  const bool start_of_day = observe && out.observation->needs_start_of_day();
  if (start_of_day) {
    std::copy_n(t.state, admitted, state_before);
    std::copy_n(t.treatment, admitted, treatment_before);
  }

  std::uint32_t u[4][tile];
  philox_lanes<tile>(Isa{}, key, static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(today),
                     static_cast<std::uint32_t>(Stream::core_day), 0, u);
  std::int32_t events[tile];
#pragma omp simd
  for (std::size_t l = 0; l < admitted; ++l)
    events[l] = step_lane<with_effects, one_setting>(ctx, t, effects, u, today, l);
  // Arriving in treatment is the first episode's start.
  if (!community)
    for (std::size_t l = arrived_before; l < admitted; ++l) events[l] |= event_admitted;

  // Entries and completions are rare: an entry's setting, a completion's step-down and the
  // episodes they start (or a place asked for in a full setting) are decided here, one agent at
  // a time.
  const TreatmentParameters& tr = ctx.p.treatment;
  // Lane l starts an episode in setting s tomorrow: the first one, or another (returns which).
  // One entered from lapse or relapse starts in withdrawal (advance_one_day): its length is drawn
  // now.
  const auto start_episode = [&](std::size_t l, std::uint32_t agent, std::uint32_t day, std::size_t s) {
    const bool first_episode = t.treatment[l] == static_cast<std::int32_t>(TreatmentStatus::untreated);
    if ((t.state[l] == static_cast<std::int32_t>(ClinicalState::lapse)) ||
        (t.state[l] == static_cast<std::int32_t>(ClinicalState::relapse)))
      t.withdrawal_days_left[l] =
          draw_withdrawal_length(ctx.p, static_cast<Substance>(t.substance[l]), key, agent, day);
    t.setting[l] = static_cast<std::int32_t>(s);
    t.treatment[l] = static_cast<std::int32_t>(TreatmentStatus::in_treatment);
    t.status_days[l] = 0;
    t.readmissions[l] += first_episode ? 0 : 1;
    return first_episode ? event_admitted : event_readmitted;
  };
  for (std::size_t l = 0; l < admitted; ++l) {
    if (!(events[l] & (event_entry | event_completed))) continue;
    const auto agent = static_cast<std::uint32_t>(first + l);
    const auto substance = static_cast<Substance>(t.substance[l]);
    const auto day = static_cast<std::uint32_t>(today);
    if (events[l] & event_entry) {
      const std::uint8_t s = draw_setting(tr, substance, key, agent, day);
      if (tr.settings[s].slots > 0) {
        // A place is asked for: the day's waiting-list step serves it (pathway.hpp).
        out.place_requests[first / tile] |= std::uint64_t{1} << l;
        continue;
      }
      events[l] |= start_episode(l, agent, day, s);
    } else if (steps_down(tr, substance, static_cast<std::size_t>(t.setting[l]), key, agent, day)) {
      // Continuing care: the next episode, in the step-down setting, starts tomorrow (places
      // permitting: a step-down setting with slots takes its place like any entry).
      const auto s = static_cast<std::size_t>(tr.settings[static_cast<std::size_t>(t.setting[l])].step_down);
      if (tr.settings[s].slots > 0) {
        out.place_requests[first / tile] |= std::uint64_t{1} << l;
        continue;
      }
      events[l] |= start_episode(l, agent, day, s) | event_stepped_down;  // never the first
    }
  }
  if (observe) {
    const TileDay view{today,
                       first,
                       n,
                       arrived_before,
                       admitted,
                       start_of_day ? state_before : nullptr,
                       start_of_day ? treatment_before : nullptr,
                       t.state,
                       t.treatment,
                       t.readmissions,
                       events,
                       t.status_days,
                       t.setting};
    out.observation->observe(view, *out.observation_local);
  }

  DayCounts& counts = *out.counts;
  for (std::size_t x = 0; x < clinical_state_count; ++x) {
    std::int32_t c = 0;
    for (std::size_t l = 0; l < admitted; ++l) c += t.state[l] == static_cast<std::int32_t>(x);
    counts.state[x] += c;
  }
  constexpr auto deceased = static_cast<std::int32_t>(ClinicalState::deceased);
  for (std::size_t x = 0; x < treatment_status_count; ++x) {
    std::int32_t c = 0;
    for (std::size_t l = 0; l < admitted; ++l)
      c += (t.treatment[l] == static_cast<std::int32_t>(x)) & (t.state[l] != deceased);
    counts.treatment[x] += c;
  }
  // Agents not yet arrived: counted as such, otherwise untouched.
  counts.treatment[static_cast<std::size_t>(TreatmentStatus::not_arrived)] += static_cast<std::int64_t>(n - admitted);

  if (out.events) {
    for (std::size_t l = 0; l < n; ++l)
      out.events[first + l] = l >= admitted ? std::uint8_t{0} : static_cast<std::uint8_t>(events[l]);
  }
  if (out.trajectory) {
    const TrajectorySink& sink = *out.trajectory;
    for (std::size_t l = 0; l < n; ++l)
      sink.data[(first + l) * sink.stride + sink.offset + out.day_slot] =
          l < admitted ? static_cast<std::uint8_t>(t.state[l]) : not_admitted;
  }
}

template <bool with_effects>
void advance_tile(const DayContext& ctx, const Population& pop, Tile& tile_, RandomKey key, std::int32_t today,
                  const std::conditional_t<with_effects, TileEffects, NoEffects>& effects, const TileOutputs& out) {
  if (ctx.only_setting >= 0) advance_tile<with_effects, true>(ctx, pop, tile_, key, today, effects, out);
  else advance_tile<with_effects, false>(ctx, pop, tile_, key, today, effects, out);
}

// Runs `body(tile, local)` for every tile of the population on oneTBB's threads, with `local`
// = range_local() fetched once per range of tiles (a thread's own accumulators, say). Ranges
// are split on tile boundaries: a tile is always computed whole, by one thread, whatever the
// thread count.
template <class RangeLocal, class Body>
void for_each_tile(std::size_t agents, RangeLocal&& range_local, Body&& body) {
  const std::size_t tiles = (agents + tile - 1) / tile;
  recoverysim::parallel_for(tbb::blocked_range<std::size_t>(0, tiles, 16), [&](const auto& range) {
    Tile t;
    const auto local = range_local();
    for (std::size_t k = range.begin(); k != range.end(); ++k) {
      t.first = k * tile;
      t.n = std::min(tile, agents - t.first);
      body(t, local);
    }
  });
}

// Per-thread day counts, summed at the end (integers: the order of the sum does not matter).
class CountsPerThread {
 public:
  explicit CountsPerThread(std::size_t days) : local_([days] { return std::vector<DayCounts>(days); }) {}
  std::vector<DayCounts>& local() { return local_.local(); }
  void sum_into(std::span<DayCounts> total) {
    for (auto& c : total) c = DayCounts{};
    for (const auto& part : local_)
      for (std::size_t d = 0; d < total.size(); ++d) total[d] += part[d];
  }

 private:
  tbb::enumerable_thread_specific<std::vector<DayCounts>> local_;
};

// The observation a tile is handed to, when it observes tiles.
Observation* observing(Observation* observation) {
  return observation != nullptr && observation->observes_tiles() ? observation : nullptr;
}

}  // namespace RECOVERYSIM_KERNEL_NAMESPACE

using namespace RECOVERYSIM_KERNEL_NAMESPACE;

template <class KernelTag>
DayCounts step_population_for(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t day,
                              const TrajectorySink* trajectory, ModuleChannels channels, Observation* observation,
                              std::uint64_t* place_requests) {
  if (ctx.p.treatment.capacity_limited() && place_requests == nullptr)
    throw std::logic_error("step_population: settings with slots need the day's place requests (pathway.hpp)");
  observation = observing(observation);
  const auto today = static_cast<std::int32_t>(day);
  CountsPerThread counts(1);
  const std::size_t modules = channels.modules.size();
  tbb::enumerable_thread_specific<std::vector<std::int64_t>> module_totals(
      [modules] { return std::vector<std::int64_t>(modules, 0); });
  struct Locals {
    DayCounts* counts;
    std::vector<std::int64_t>* totals;  // per module
    Observation::Local* observed;
  };
  const auto locals = [&] {
    return Locals{counts.local().data(), &module_totals.local(), observation ? &observation->local() : nullptr};
  };
  for_each_tile(pop.size(), locals, [&](Tile& t, const Locals& local) {
    const TileOutputs out{local.counts, trajectory, 0, channels.events, observation, local.observed, place_requests};
    t.load(pop);
    if (modules == 0) {
      advance_tile<false>(ctx, pop, t, key, today, NoEffects{}, out);
    } else {
      TileEffects effects;
      effects.set_neutral();
      const TileView view{day, key, pop, t.first, t.n};
      std::int64_t* totals = local.totals->data();
      for (std::size_t m = 0; m < modules; ++m) totals[m] += channels.modules[m]->add_effects(view, effects);
      advance_tile<true>(ctx, pop, t, key, today, effects, out);
      t.store(pop);
      const std::span<const std::uint8_t> events(channels.events + t.first, t.n);
      for (std::size_t m = 0; m < modules; ++m) channels.modules[m]->after_tile(view, events);
      return;
    }
    t.store(pop);
  });
  std::fill(channels.effects_totals.begin(), channels.effects_totals.end(), std::int64_t{0});
  for (const auto& part : module_totals)
    for (std::size_t m = 0; m < modules; ++m) channels.effects_totals[m] += part[m];
  DayCounts total;
  counts.sum_into(std::span<DayCounts>(&total, 1));
  return total;
}

template <class KernelTag>
void step_population_days_for(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t first_day,
                              std::span<DayCounts> counts_per_day, const TrajectorySink* trajectory,
                              Observation* observation) {
  if (ctx.p.treatment.capacity_limited())
    throw std::logic_error("step_population_days: settings with slots are served day by day (pathway.hpp)");
  observation = observing(observation);
  CountsPerThread counts(counts_per_day.size());
  struct Locals {
    std::vector<DayCounts>* days;
    Observation::Local* observed;
  };
  const auto locals = [&] { return Locals{&counts.local(), observation ? &observation->local() : nullptr}; };
  for_each_tile(pop.size(), locals, [&](Tile& t, const Locals& range) {
    std::vector<DayCounts>& local = *range.days;
    t.load(pop);
    for (std::size_t d = 0; d < counts_per_day.size(); ++d) {
      const TileOutputs out{&local[d], trajectory, d, nullptr, observation, range.observed};
      advance_tile<false>(ctx, pop, t, key, static_cast<std::int32_t>(first_day + d), NoEffects{}, out);
    }
    t.store(pop);
  });
  counts.sum_into(counts_per_day);
}

template DayCounts step_population_for<RECOVERYSIM_THIS_KERNEL>(const DayContext&, Population&, RandomKey,
                                                                std::uint32_t, const TrajectorySink*, ModuleChannels,
                                                                Observation*, std::uint64_t*);
template void step_population_days_for<RECOVERYSIM_THIS_KERNEL>(const DayContext&, Population&, RandomKey,
                                                                std::uint32_t, std::span<DayCounts>,
                                                                const TrajectorySink*, Observation*);

}  // namespace recoverysim::recovery
