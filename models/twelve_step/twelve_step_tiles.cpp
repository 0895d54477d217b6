// The twelve_step module's tile passes (meetings and their effects before the day, affiliation
// and steps after it), compiled once per kernel (kernels.hpp): twelve_step.cpp calls the
// instantiation of the kernel in use.
#include "twelve_step.hpp"

#include "lane_math.hpp"

#include <algorithm>
#include <cmath>

#include "kernel_region.hpp"  // last: what follows is compiled for this file's kernel

namespace recoverysim::recovery {

// Today's meetings, whether each advances a step, and the effects of yesterday's affiliation
// and links, for the tile's living participants; returns how many attend. Each agent on its
// own, every lane computed without branches (in 32-bit lanes, for the vectoriser); a lane that
// is not a living participant keeps its effects. Only the living participants' attended_ is
// ever read.
template <class KernelTag>
std::int64_t TwelveStep::add_effects_for(const TileView& tile, TileEffects& fx) {
  const std::size_t first = tile.first, n = tile.n;
  const std::uint8_t* participant = participant_.data() + first;
  const ClinicalState* state = tile.pop.state.data() + first;
  const Links* links = links_.data() + first;
  const float* affiliation = affiliation_.data() + first;
  const std::int32_t* steps = steps_.data() + first;
  Attended* attended = attended_.data() + first;
  constexpr auto deceased = static_cast<std::int32_t>(ClinicalState::deceased);
  std::int32_t living[agents_per_tile], link[agents_per_tile];
  std::int32_t any = 0;
#pragma omp simd reduction(| : any)
  for (std::size_t l = 0; l < n; ++l) {
    living[l] = (participant[l] != 0 ? 1 : 0) & (static_cast<std::int32_t>(state[l]) != deceased ? 1 : 0);
    link[l] = static_cast<std::int32_t>(links[l]);
    any |= living[l];
  }
  if (any == 0) return 0;

  // One block per lane (most of a tile takes part): attendance from its first number, the step
  // from its second. Only the living participants' are used.
  std::uint32_t u[4][agents_per_tile];
  philox_lanes(typename KernelTag::isa{}, tile.key, static_cast<std::uint32_t>(first), tile.day,
               stream_base_ + stream_meeting, 0, u);

  // Single precision, as the core day: 16 lanes to a vector rather than 8.
  const auto meeting_share = static_cast<float>(p_.meetings_per_week / days_per_week);
  const auto support_per_affiliation = static_cast<float>(p_.support_connections_per_affiliation);
  const auto self_efficacy = static_cast<float>(p_.self_efficacy_per_meeting);
  // The lapse multiplier by links, as the product 1 x sponsored x helper is formed agent by agent.
  const float lapse_by_links[4] = {1.0f, static_cast<float>(1.0 * p_.sponsored_lapse_multiplier),
                                   static_cast<float>(1.0 * p_.helper_lapse_multiplier),
                                   static_cast<float>(1.0 * p_.sponsored_lapse_multiplier *
                                                      p_.helper_lapse_multiplier)};
  // The step probability by links: a sponsor multiplies it.
  const auto step = static_cast<float>(p_.step_probability_per_meeting);
  const auto sponsored_step = static_cast<float>(p_.step_probability_per_meeting * p_.sponsor_step_multiplier);
  std::int32_t went[agents_per_tile];
  std::int64_t attenders = 0;
#pragma omp simd reduction(+ : attenders)
  for (std::size_t l = 0; l < n; ++l) {
    const float f = affiliation[l];
    const bool in = living[l] != 0;
    const bool attends = in & bernoulli_lane(u[0][l], f * meeting_share);
    // Selects rather than indexing a table by links: no gather, which some tunings (GCC's generic,
    // that of the kernels) do not use, and without which the loop would not vectorise.
    const std::int32_t k = link[l];
    const float step_probability = (k & static_cast<std::int32_t>(Links::sponsored)) != 0 ? sponsored_step : step;
    const float lapse = k == 0   ? lapse_by_links[0]
                        : k == 1 ? lapse_by_links[1]
                        : k == 2 ? lapse_by_links[2]
                                 : lapse_by_links[3];
    const bool steps_up = attends & (steps[l] < all_steps) & bernoulli_lane(u[1][l], step_probability);
    went[l] = (attends ? 1 : 0) + (steps_up ? 1 : 0);
    attenders += attends ? 1 : 0;
    fx.support_connections[l] =
        in ? fx.support_connections[l] + support_per_affiliation * f : fx.support_connections[l];
    fx.lapse_multiplier[l] = in ? fx.lapse_multiplier[l] * lapse : fx.lapse_multiplier[l];
    fx.self_efficacy_increment[l] =
        in ? fx.self_efficacy_increment[l] + (attends ? self_efficacy : 0.0f) : fx.self_efficacy_increment[l];
  }
  for (std::size_t l = 0; l < n; ++l) attended[l] = static_cast<Attended>(went[l]);
  return attenders;
}

// The tile's living participants at the end of the day (yesterday's, less today's deaths),
// each on its own: affiliation from today's meeting and relapse, meetings, steps (decided in
// add_effects). Then today's deaths among participants and the offers taken up, from the
// tile's events. New participants count in today's figures; their first update is tomorrow.
template <class KernelTag>
void TwelveStep::after_tile_for(const TileView& tile, std::span<const std::uint8_t> events) {
  const std::size_t first = tile.first, n = tile.n;
  const std::uint8_t* participant = participant_.data() + first;
  const ClinicalState* state = tile.pop.state.data() + first;
  const Attended* attended = attended_.data() + first;
  const std::uint8_t* event = events.data();
  float* affiliation = affiliation_.data() + first;
  std::int32_t* meetings = meetings_.data() + first;
  std::int32_t* steps = steps_.data() + first;
  const auto decay = static_cast<float>(p_.affiliation_decay_rate_per_day);
  const auto growth = static_cast<float>(p_.affiliation_growth_per_meeting);
  const auto relapse_factor = static_cast<float>(p_.affiliation_factor_on_relapse);
  const std::int32_t* sponsor = sponsor_.data() + first;
  // The smallest float at or above sponsor_seek_affiliation: f >= it exactly when f >= the double.
  float seek = static_cast<float>(p_.sponsor_seek_affiliation);
  if (static_cast<double>(seek) < p_.sponsor_seek_affiliation) seek = std::nextafter(seek, 2.0f);

  // Every lane is computed, without branches, in 32-bit lanes (the vectoriser's masks need one
  // width); a lane that is not a living participant keeps its values.
  std::int32_t living[agents_per_tile], went[agents_per_tile], relapsed[agents_per_tile];
  std::int32_t stepped[agents_per_tile];  // attended today and advanced a step
  std::int32_t dying[agents_per_tile];    // participants who died today
  std::int32_t offered[agents_per_tile];  // alive, not participants, offered today
  float kept[agents_per_tile];            // the living participants' new affiliation, else 0
  std::int32_t seeking[agents_per_tile];  // may look for a sponsor (see may_seek_)
  const std::int32_t offers = p_.offer_at == TwelveStepOffer::admission ? event_admitted | event_readmitted
                                                                        : event_completed | event_dropped_out;
  constexpr auto deceased = static_cast<std::int32_t>(ClinicalState::deceased);
  constexpr auto no = static_cast<std::int32_t>(Attended::no);
  constexpr auto and_step = static_cast<std::int32_t>(Attended::yes_and_step);
  std::int32_t rare = 0, reached = 0, new_steps = 0;
#pragma omp simd reduction(| : rare)
  for (std::size_t l = 0; l < n; ++l) {
    const std::int32_t was = participant[l] != 0 ? 1 : 0;
    const std::int32_t alive_now = static_cast<std::int32_t>(state[l]) != deceased ? 1 : 0;
    const std::int32_t ev = event[l];
    living[l] = was & alive_now;
    went[l] = was & alive_now & (static_cast<std::int32_t>(attended[l]) != no ? 1 : 0);
    relapsed[l] = (ev & event_relapsed) != 0 ? 1 : 0;
    stepped[l] = was & alive_now & (static_cast<std::int32_t>(attended[l]) == and_step ? 1 : 0);
    dying[l] = was & ((ev & event_died) != 0 ? 1 : 0);
    offered[l] = (1 - was) & alive_now & ((ev & offers) != 0 ? 1 : 0);
    rare |= dying[l] | offered[l];
  }
#pragma omp simd
  for (std::size_t l = 0; l < n; ++l) {
    float f = affiliation[l];
    f -= decay * f;
    const float grown = f + growth * (1.0f - f);
    f = went[l] != 0 ? grown : f;
    const float after_relapse = f * relapse_factor;
    f = relapsed[l] != 0 ? after_relapse : f;
    const float stored = std::clamp(f, 0.0f, 1.0f);
    affiliation[l] = living[l] != 0 ? stored : affiliation[l];
    kept[l] = living[l] != 0 ? stored : 0.0f;
    meetings[l] += went[l];
    seeking[l] = living[l] & (stored >= seek ? 1 : 0) & (sponsor[l] != external_sponsor ? 1 : 0);
  }
#pragma omp simd reduction(| : reached) reduction(+ : new_steps)
  for (std::size_t l = 0; l < n; ++l) {
    steps[l] += stepped[l];
    new_steps += stepped[l];
    reached |= stepped[l] & (steps[l] == all_steps ? 1 : 0);
  }
  // The tile's sum, in eight partial sums (the same order on any number of threads).
  std::fill(kept + n, kept + agents_per_tile, 0.0f);
  double lanes[8] = {};
  for (std::size_t l = 0; l < agents_per_tile; l += 8)
    for (std::size_t j = 0; j < 8; ++j) lanes[j] += kept[l + j];
  double sum = 0.0;
  for (const double lane : lanes) sum += lane;
  DayTotals& totals = tile_totals_.local();

  totals.steps += new_steps;
  if (reached != 0)
    for (std::size_t l = 0; l < n; ++l)
      if (stepped[l] != 0 && steps[l] == all_steps)
        totals.new_twelve_steppers.push_back(static_cast<std::int32_t>(first + l));

  std::uint64_t may_seek = 0;
  for (std::size_t l = 0; l < n; ++l) may_seek |= static_cast<std::uint64_t>(seeking[l]) << l;

  if (rare != 0) {
    // Deaths: their steps leave the living participants' sum. Offers: only an event makes one.
    const auto initial = static_cast<float>(p_.initial_affiliation);
    const std::uint32_t uptake_stream = stream_base_ + stream_uptake;
    for (std::size_t l = 0; l < n; ++l) {
      if (dying[l] != 0) {
        totals.steps -= steps[l];
        --totals.participants;
      }
      if (offered[l] == 0 ||
          !bernoulli(philox_block(tile.key, static_cast<std::uint32_t>(first + l), tile.day, uptake_stream, 0)[0],
                     p_.uptake_probability))
        continue;
      participant_[first + l] = 1;
      affiliation[l] = initial;
      ++totals.participants;
      sum += initial;
      if (initial >= seek) may_seek |= std::uint64_t{1} << l;
    }
  }
  tile_affiliation_[first / agents_per_tile] = sum;
  may_seek_[first / agents_per_tile] = may_seek;
}

template std::int64_t TwelveStep::add_effects_for<RECOVERYSIM_THIS_KERNEL>(const TileView& tile, TileEffects& fx);
template void TwelveStep::after_tile_for<RECOVERYSIM_THIS_KERNEL>(const TileView& tile,
                                                                  std::span<const std::uint8_t> events);

}  // namespace recoverysim::recovery
