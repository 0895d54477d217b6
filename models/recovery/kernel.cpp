// Column <-> agent copies and the serial and parallel drivers of the day kernel.
#include "kernel.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <type_traits>

namespace recoverysim::recovery {

namespace {

// One tile of the population's columns, widened to 32-bit lanes. The vectorised loop works on
// these only: the compiler sees fixed addresses that cannot alias one another (through the
// std::vector columns it would have to assume that any byte store may move any column), and
// one lane width throughout, so that its masks never need converting.
template <std::size_t lanes>
struct TileColumns {
  std::int32_t substance[lanes], mental_health[lanes];
  float baseline_support[lanes], baseline_engagement[lanes], craving_peak[lanes];
  float craving[lanes], self_efficacy[lanes], support[lanes], skills[lanes], engagement[lanes];
  std::int32_t state[lanes], treatment[lanes];
  std::int32_t abstinent_run[lanes], abstinent_before_use[lanes], days_since_use[lanes], withdrawal_days_left[lanes],
      episode_days[lanes];
  std::int32_t first_lapse_day[lanes], first_relapse_day[lanes], first_episode_outcome[lanes];
  std::int32_t first_episode_days[lanes], readmissions[lanes], death_day[lanes], abstinent_days[lanes];
};

// Calls f(population column, tile column) for every column the day reads (read_only) or
// writes (read_write): the one list of them.
template <class Tile, class ReadOnly, class ReadWrite>
void for_each_day_column(Population& pop, Tile& t, ReadOnly&& read_only, ReadWrite&& read_write) {
  read_only(pop.substance, t.substance), read_only(pop.mental_health, t.mental_health);
  read_only(pop.baseline_support, t.baseline_support), read_only(pop.baseline_engagement, t.baseline_engagement);
  read_only(pop.craving_peak, t.craving_peak);
  read_write(pop.craving, t.craving), read_write(pop.self_efficacy, t.self_efficacy);
  read_write(pop.support, t.support), read_write(pop.skills, t.skills), read_write(pop.engagement, t.engagement);
  read_write(pop.state, t.state), read_write(pop.treatment, t.treatment);
  read_write(pop.abstinent_run, t.abstinent_run), read_write(pop.abstinent_before_use, t.abstinent_before_use);
  read_write(pop.days_since_use, t.days_since_use), read_write(pop.withdrawal_days_left, t.withdrawal_days_left);
  read_write(pop.episode_days, t.episode_days);
  read_write(pop.first_lapse_day, t.first_lapse_day), read_write(pop.first_relapse_day, t.first_relapse_day);
  read_write(pop.first_episode_outcome, t.first_episode_outcome);
  read_write(pop.first_episode_days, t.first_episode_days), read_write(pop.readmissions, t.readmissions);
  read_write(pop.death_day, t.death_day), read_write(pop.abstinent_days, t.abstinent_days);
}

template <std::size_t lanes>
[[gnu::always_inline]] inline AgentState load_agent(const TileColumns<lanes>& t, std::size_t l) {
  AgentState a;
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
  a.abstinent_run = t.abstinent_run[l];
  a.abstinent_before_use = t.abstinent_before_use[l];
  a.days_since_use = t.days_since_use[l];
  a.withdrawal_days_left = t.withdrawal_days_left[l];
  a.episode_days = t.episode_days[l];
  a.first_lapse_day = t.first_lapse_day[l];
  a.first_relapse_day = t.first_relapse_day[l];
  a.first_episode_outcome = Wide<EpisodeOutcome>::from_code(t.first_episode_outcome[l]);
  a.first_episode_days = t.first_episode_days[l];
  a.readmissions = t.readmissions[l];
  a.death_day = t.death_day[l];
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
  t.episode_days[l] = a.episode_days;
  t.first_lapse_day[l] = a.first_lapse_day;
  t.first_relapse_day[l] = a.first_relapse_day;
  t.first_episode_outcome[l] = a.first_episode_outcome.code;
  t.first_episode_days[l] = a.first_episode_days;
  t.readmissions[l] = a.readmissions;
  t.death_day[l] = a.death_day;
  t.abstinent_days[l] = a.abstinent_days;
}

// A tile of the modules' effect columns, for the same reason as TileColumns.
template <std::size_t lanes>
struct TileEffects {
  float support_connections[lanes], craving_increment[lanes], self_efficacy_increment[lanes];
  float skills_increment[lanes], engagement_increment[lanes], lapse_multiplier[lanes];
  float stress_lapse_multiplier[lanes], relapse_odds_multiplier[lanes], dropout_multiplier[lanes];

  void copy_from(const EffectColumns& fx, std::size_t begin, std::size_t n) {
    const auto in = [&](const std::vector<float>& from, float* to) { std::copy_n(from.data() + begin, n, to); };
    in(fx.support_connections, support_connections), in(fx.craving_increment, craving_increment);
    in(fx.self_efficacy_increment, self_efficacy_increment), in(fx.skills_increment, skills_increment);
    in(fx.engagement_increment, engagement_increment), in(fx.lapse_multiplier, lapse_multiplier);
    in(fx.stress_lapse_multiplier, stress_lapse_multiplier), in(fx.relapse_odds_multiplier, relapse_odds_multiplier);
    in(fx.dropout_multiplier, dropout_multiplier);
  }
  AgentEffects of(std::size_t l) const {
    AgentEffects e;
    e.support_connections = support_connections[l];
    e.craving_increment = craving_increment[l];
    e.self_efficacy_increment = self_efficacy_increment[l];
    e.skills_increment = skills_increment[l];
    e.engagement_increment = engagement_increment[l];
    e.lapse_multiplier = lapse_multiplier[l];
    e.stress_lapse_multiplier = stress_lapse_multiplier[l];
    e.relapse_odds_multiplier = relapse_odds_multiplier[l];
    e.dropout_multiplier = dropout_multiplier[l];
    return e;
  }
};

// Agents per tile: the unit of the vectorised loop (one Philox call per tile) and of the
// split across threads, so that every agent is computed by the same code whatever the split.
constexpr std::size_t tile = 64;

// One lane of the tile loop. Its locals live here rather than in the loop body: there,
// `#pragma omp simd` would give each lane its own copy in an array of structs, which the
// compiler cannot vectorise; here, inlined, they become vector registers.
template <bool with_effects, class Effects>
[[gnu::always_inline]] inline std::int32_t step_lane(const DayContext& ctx, TileColumns<tile>& t, const Effects& effects,
                                                     const std::uint32_t (&u)[4][tile], std::int32_t today,
                                                     std::size_t l) {
  AgentState a = load_agent(t, l);
  const AgentEffects fx = with_effects ? effects.of(l) : AgentEffects{};
  const DayDraws draws{u[slot_stress][l], u[slot_death][l], u[slot_state_exit][l], u[slot_treatment_exit][l]};
  const std::int32_t events = advance_one_day(ctx, a, today, draws, fx);
  store_agent(t, l, a);
  return events;
}

// Advances the admitted agents [begin, begin + n), n <= tile, by one day: copies the tile's
// columns in, runs the day on every lane (the compiler vectorises this loop: it has no
// branches and no calls that are not inlined), and copies the changed columns back.
template <bool with_effects>
void step_tile(const DayContext& ctx, Population& pop, RandomKey key, std::int32_t today, std::size_t begin,
               std::size_t n, const EffectColumns* effects, std::uint8_t (&events)[tile]) {
  const DayContext c = ctx;  // a local copy: its fields can be read under a condition without a trap
  TileColumns<tile> t;
  const auto copy_in = [&](const auto& column, auto* lanes) {
    using Lane = std::remove_pointer_t<decltype(lanes)>;
    for (std::size_t l = 0; l < n; ++l) lanes[l] = static_cast<Lane>(column[begin + l]);
  };
  const auto copy_out = [&](auto& column, const auto* lanes) {
    using Stored = typename std::remove_reference_t<decltype(column)>::value_type;
    for (std::size_t l = 0; l < n; ++l) column[begin + l] = static_cast<Stored>(lanes[l]);
  };
  for_each_day_column(pop, t, copy_in, copy_in);
  TileEffects<with_effects ? tile : 1> fx_tile;
  if constexpr (with_effects) fx_tile.copy_from(*effects, begin, n);

  std::uint32_t u[4][tile];
  philox_lanes<tile>(key, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(today),
                     static_cast<std::uint32_t>(Stream::core_day), 0, u);
  std::int32_t lane_events[tile];
#pragma omp simd
  for (std::size_t l = 0; l < n; ++l) lane_events[l] = step_lane<with_effects>(c, t, fx_tile, u, today, l);
  for (std::size_t l = 0; l < n; ++l) events[l] = static_cast<std::uint8_t>(lane_events[l]);
  const auto ignore = [](const auto&, const auto*) {};
  for_each_day_column(pop, t, ignore, copy_out);

  // Readmissions are rare: their new withdrawal lengths are drawn here, one agent at a time.
  for (std::size_t l = 0; l < n; ++l) {
    if (!(events[l] & event_readmitted)) continue;
    const std::size_t i = begin + l;
    pop.withdrawal_days_left[i] =
        draw_withdrawal_length(ctx.p, pop.substance[i], key, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(today));
  }
}

void count_tile(const Population& pop, std::size_t begin, std::size_t n, DayCounts& counts) {
  const ClinicalState* state = pop.state.data() + begin;
  const TreatmentStatus* treatment = pop.treatment.data() + begin;
  for (std::size_t x = 0; x < clinical_state_count; ++x) {
    std::int64_t c = 0;
    for (std::size_t l = 0; l < n; ++l) c += state[l] == static_cast<ClinicalState>(x);
    counts.state[x] += c;
  }
  for (std::size_t x = 0; x < treatment_status_count; ++x) {
    std::int64_t c = 0;
    for (std::size_t l = 0; l < n; ++l)
      c += treatment[l] == static_cast<TreatmentStatus>(x) && state[l] != ClinicalState::deceased;
    counts.treatment[x] += c;
  }
}

}  // namespace

void step_range(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t day, std::size_t begin,
                std::size_t end, DayCounts& counts, const TrajectorySink* trajectory, ModuleChannels channels) {
  const auto today = static_cast<std::int32_t>(day);
  const std::size_t admitted = std::clamp(pop.admitted_by(today), begin, end);
  const std::size_t arrived_before = std::clamp(today > 0 ? pop.admitted_by(today - 1) : 0, begin, end);
  for (std::size_t i = arrived_before; i < admitted; ++i) pop.treatment[i] = TreatmentStatus::in_treatment;

  std::uint8_t events[tile];
  for (std::size_t first = begin; first < admitted; first += tile) {
    const std::size_t n = std::min(tile, admitted - first);
    if (channels.effects)
      step_tile<true>(ctx, pop, key, today, first, n, channels.effects, events);
    else
      step_tile<false>(ctx, pop, key, today, first, n, nullptr, events);
    if (channels.events) {
      for (std::size_t l = 0; l < n; ++l)
        channels.events[first + l] = static_cast<std::uint8_t>(
            events[l] | (first + l >= arrived_before ? event_admitted : 0));
    }
    count_tile(pop, first, n, counts);
    if (trajectory)
      for (std::size_t l = 0; l < n; ++l)
        trajectory->data[(first + l) * trajectory->stride + trajectory->offset] =
            static_cast<std::uint8_t>(pop.state[first + l]);
  }

  // Agents not yet admitted: counted as waiting, otherwise untouched.
  counts.treatment[static_cast<std::size_t>(TreatmentStatus::waiting)] += static_cast<std::int64_t>(end - admitted);
  for (std::size_t i = admitted; i < end; ++i) {
    if (trajectory) trajectory->data[i * trajectory->stride + trajectory->offset] = not_admitted;
    if (channels.events) channels.events[i] = 0;
  }
}

DayCounts step_population(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t day,
                          const TrajectorySink* trajectory, ModuleChannels channels) {
  // Ranges are split on tile boundaries: a tile is always computed whole, by one thread.
  const std::size_t tiles = (pop.size() + tile - 1) / tile;
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, tiles, 32), DayCounts{},
      [&](const tbb::blocked_range<std::size_t>& range, DayCounts counts) {
        step_range(ctx, pop, key, day, range.begin() * tile, std::min(range.end() * tile, pop.size()), counts,
                   trajectory, channels);
        return counts;
      },
      [](DayCounts a, const DayCounts& b) { return a += b; });
}

}  // namespace recoverysim::recovery
