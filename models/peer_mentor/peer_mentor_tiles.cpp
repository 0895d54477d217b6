// The peer_mentor module's tile pass (the matched agents' effects), compiled once per kernel
// (kernels.hpp): peer_mentor.cpp calls the instantiation of the kernel in use.
#include "peer_mentor.hpp"

#include <algorithm>

#include "kernel_region.hpp"  // last: what follows is compiled for this file's kernel

namespace recoverysim::recovery {

// Each matched agent's effects depend only on its own draw and its mentor's state, which
// before_day fixed for the day (contact_).
template <class KernelTag>
std::int64_t PeerMentor::add_effects_for(const TileView& tile, TileEffects& fx) {
  std::int32_t matched[agents_per_tile];
  const MenteeStatus* status = status_.data();
  const std::size_t count =
      tile_agents<KernelTag>(tile, matched, [=](std::size_t i) { return status[i] == MenteeStatus::matched; });
  if (count == 0) return 0;
  const double contact_probability = p_.contacts_per_week / days_per_week;
  const auto support = static_cast<float>(p_.matched_support_connections);
  const auto stress_lapse = static_cast<float>(p_.matched_stress_lapse_multiplier);
  const auto dropout = static_cast<float>(p_.matched_dropout_multiplier);
  const auto relapse_odds = static_cast<float>(p_.matched_relapse_odds_multiplier);
  std::uint32_t u[agents_per_tile];
  first_draws_for<KernelTag>(tile.key, std::span<const std::int32_t>(matched, count), tile.day,
                             stream_base_ + stream_contact, u);
  std::int32_t contacted[agents_per_tile];
  std::size_t contacts = 0;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t l = static_cast<std::size_t>(matched[k]) - tile.first;
    fx.support_connections[l] += support;
    fx.stress_lapse_multiplier[l] *= stress_lapse;
    fx.dropout_multiplier[l] *= dropout;
    fx.relapse_odds_multiplier[l] *= relapse_odds;
    contacted[contacts] = matched[k];
    contacts += bernoulli(u[k], contact_probability) ? 1 : 0;
  }
  for (std::size_t k = 0; k < contacts; ++k) {
    const auto i = static_cast<std::size_t>(contacted[k]);
    const std::size_t l = i - tile.first;
    const ContactIncrements& c = contact_[static_cast<std::size_t>(mentor_[i])];
    fx.engagement_increment[l] += c.engagement;
    fx.self_efficacy_increment[l] += c.self_efficacy;
    fx.craving_increment[l] += c.craving;
  }
  return 0;
}

template std::int64_t PeerMentor::add_effects_for<RECOVERYSIM_THIS_KERNEL>(const TileView& tile, TileEffects& fx);

}  // namespace recoverysim::recovery
