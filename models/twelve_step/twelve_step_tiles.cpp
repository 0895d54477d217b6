// The twelve_step module's tile passes (the effect hook's loop before the day, affiliation and
// steps after it), compiled once per kernel (kernels.hpp): twelve_step.cpp calls the
// instantiation of the kernel in use.
#include "twelve_step.hpp"

#include <algorithm>
#include <cmath>

#include "kernel_region.hpp"  // what follows is compiled for this file's kernel
#include "models/recovery/simple_module_tiles.hpp"

namespace recoverysim::recovery {

// The tile's living participants at the end of the day (yesterday's, less today's deaths),
// each on its own: affiliation from today's meeting and relapse, meetings, steps (decided in
// effect()). Then the offers taken up, from the tile's events. New participants count in
// today's figures; their first update is tomorrow.
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
  std::int32_t offered[agents_per_tile];  // alive, not participants, offered today
  float kept[agents_per_tile];            // the living participants' new affiliation, else 0
  std::int32_t seeking[agents_per_tile];  // may look for a sponsor (see TileFigures)
  const std::int32_t offers = p_.offer_at == TwelveStepOffer::admission ? event_admitted | event_readmitted
                                                                        : event_completed | event_dropped_out;
  constexpr auto deceased = static_cast<std::int32_t>(ClinicalState::deceased);
  constexpr auto no = static_cast<std::int32_t>(Attended::no);
  constexpr auto and_step = static_cast<std::int32_t>(Attended::yes_and_step);
  std::int32_t any_offer = 0, living_count = 0, living_steps = 0;
#pragma omp simd reduction(| : any_offer)
  for (std::size_t l = 0; l < n; ++l) {
    const std::int32_t was = participant[l] != 0 ? 1 : 0;
    const std::int32_t alive_now = static_cast<std::int32_t>(state[l]) != deceased ? 1 : 0;
    const std::int32_t ev = event[l];
    living[l] = was & alive_now;
    went[l] = was & alive_now & (static_cast<std::int32_t>(attended[l]) != no ? 1 : 0);
    relapsed[l] = (ev & event_relapsed) != 0 ? 1 : 0;
    stepped[l] = was & alive_now & (static_cast<std::int32_t>(attended[l]) == and_step ? 1 : 0);
    offered[l] = (1 - was) & alive_now & ((ev & offers) != 0 ? 1 : 0);
    any_offer |= offered[l];
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
#pragma omp simd reduction(+ : living_count, living_steps)
  for (std::size_t l = 0; l < n; ++l) {
    steps[l] += stepped[l];
    living_count += living[l];
    living_steps += living[l] != 0 ? steps[l] : 0;
  }
  // The tile's sum, in eight partial sums (the same order on any number of threads).
  std::fill(kept + n, kept + agents_per_tile, 0.0f);
  double lanes[8] = {};
  for (std::size_t l = 0; l < agents_per_tile; l += 8)
    for (std::size_t j = 0; j < 8; ++j) lanes[j] += kept[l + j];
  double sum = 0.0;
  for (const double lane : lanes) sum += lane;

  std::uint64_t may_seek = 0, twelve_steps = 0;
  for (std::size_t l = 0; l < n; ++l) {
    may_seek |= static_cast<std::uint64_t>(seeking[l]) << l;
    twelve_steps |= static_cast<std::uint64_t>(steps[l] == all_steps ? 1 : 0) << l;
  }

  if (any_offer != 0) {
    // Only an event makes an offer.
    const auto initial = static_cast<float>(p_.initial_affiliation);
    const std::uint32_t uptake_stream = stream_base() + stream_uptake;
    for (std::size_t l = 0; l < n; ++l) {
      if (offered[l] == 0 ||
          !bernoulli(philox_block(tile.key, static_cast<std::uint32_t>(first + l), tile.day, uptake_stream, 0)[0],
                     p_.uptake_probability))
        continue;
      participant_[first + l] = 1;
      affiliation[l] = initial;
      ++living_count;
      sum += initial;
      if (initial >= seek) may_seek |= std::uint64_t{1} << l;
    }
  }
  tiles_[first / agents_per_tile] = {living_count, living_steps, sum, may_seek, twelve_steps};
}

template void TwelveStep::after_tile_for<RECOVERYSIM_THIS_KERNEL>(const TileView& tile,
                                                                  std::span<const std::uint8_t> events);

}  // namespace recoverysim::recovery

RECOVERYSIM_SIMPLE_MODULE_EFFECTS(recoverysim::recovery::TwelveStep)
