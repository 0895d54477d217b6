// The group module's tile pass (support, contagion and sessions), compiled once per kernel
// (kernels.hpp): group.cpp calls the instantiation of the kernel in use.
#include "group.hpp"

#include <algorithm>

#include "kernel_region.hpp"  // last: what follows is compiled for this file's kernel

namespace recoverysim::recovery {

// The tile's agents: contagion recorded yesterday, for yesterday's members whether or not they
// stayed (zero for everyone else); support for the members; and on a session day the session
// for those who attend (returns how many). Contagion comes first: an agent's own increments
// add to it, in the order of one agent's day.
template <class KernelTag>
std::int64_t Group::add_effects_for(const TileView& tile, TileEffects& fx) {
  for (std::size_t l = 0; l < tile.n; ++l) {
    fx.craving_increment[l] += pending_craving_[tile.first + l];
    fx.self_efficacy_increment[l] += pending_self_efficacy_[tile.first + l];
  }
  // Support for the members, in every lane without branches (a lane that is not a member keeps
  // its value).
  const std::int32_t* group_of = group_of_.data() + tile.first;
  const auto support = static_cast<float>(p_.member_support_connections);
  std::int32_t member[agents_per_tile];
  std::int32_t any = 0;
#pragma omp simd reduction(| : any)
  for (std::size_t l = 0; l < tile.n; ++l) {
    member[l] = group_of[l] != no_group ? 1 : 0;
    fx.support_connections[l] = member[l] != 0 ? fx.support_connections[l] + support : fx.support_connections[l];
    any |= member[l];
  }
  if (any == 0 || !session_today_) return 0;
  std::int32_t members[agents_per_tile];
  const std::size_t count = flagged_agents_for<KernelTag>(member, tile.n, tile.first, members);

  const auto self_efficacy = static_cast<float>(p_.self_efficacy_increment_per_session);
  const double intercept = p_.attendance_intercept;
  const double slope = p_.attendance_engagement_coefficient;
  const double centre = p_.attendance_engagement_centre;
  const double skills_gain = p_.skills_gain_per_session;
  const float* engagement = tile.pop.engagement.data();
  const float* skills = tile.pop.skills.data();
  std::uint32_t u[agents_per_tile];
  first_draws_for<KernelTag>(tile.key, std::span<const std::int32_t>(members, count), tile.day,
                             stream_base_ + stream_attendance, u);
  std::int64_t attended = 0;
  for (std::size_t k = 0; k < count; ++k) {
    const auto i = static_cast<std::size_t>(members[k]);
    const double p = logistic(intercept + slope * (engagement[i] - centre));
    if (!bernoulli(u[k], p)) continue;
    ++sessions_attended_[i];
    ++attended;
    // The skills gain uses k as it stands before today's core update.
    const std::size_t l = i - tile.first;
    fx.skills_increment[l] += static_cast<float>(skills_gain * (1.0 - skills[i]));
    fx.self_efficacy_increment[l] += self_efficacy;
  }
  return attended;
}

template std::int64_t Group::add_effects_for<RECOVERYSIM_THIS_KERNEL>(const TileView& tile, TileEffects& fx);

}  // namespace recoverysim::recovery
