// Effect channels and the module registry.
#include "intervention.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace recoverysim::recovery {

void EffectColumns::resize(std::size_t n) {
  for (auto* c : {&support_connections, &craving_increment, &self_efficacy_increment, &skills_increment,
                  &engagement_increment, &lapse_multiplier, &stress_lapse_multiplier, &relapse_odds_multiplier,
                  &dropout_multiplier})
    c->resize(n);
}

void EffectColumns::reset() {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, support_connections.size(), 16384), [&](const auto& r) {
    for (auto* c : {&support_connections, &craving_increment, &self_efficacy_increment, &skills_increment,
                    &engagement_increment})
      std::fill(c->begin() + static_cast<std::ptrdiff_t>(r.begin()), c->begin() + static_cast<std::ptrdiff_t>(r.end()),
                0.0f);
    for (auto* c : {&lapse_multiplier, &stress_lapse_multiplier, &relapse_odds_multiplier, &dropout_multiplier})
      std::fill(c->begin() + static_cast<std::ptrdiff_t>(r.begin()), c->begin() + static_cast<std::ptrdiff_t>(r.end()),
                1.0f);
  });
}

void list_event_agents(std::span<const std::uint8_t> events, std::vector<std::int32_t>& out) {
  // Events are rare: whole words of eight agents without one are skipped at once.
  std::vector<std::int32_t> words;
  collect_agents(events.size() / 8, words, [&](std::size_t w) {
    std::uint64_t word;
    std::memcpy(&word, events.data() + 8 * w, sizeof word);
    return word != 0;
  });
  out.clear();
  for (const std::int32_t w : words)
    for (std::size_t i = 8 * static_cast<std::size_t>(w); i < 8 * static_cast<std::size_t>(w) + 8; ++i)
      if (events[i] != 0) out.push_back(static_cast<std::int32_t>(i));
  for (std::size_t i = events.size() / 8 * 8; i < events.size(); ++i)
    if (events[i] != 0) out.push_back(static_cast<std::int32_t>(i));
}

std::unique_ptr<Intervention> InterventionRegistry::create(const std::string& type) const {
  for (const auto& e : entries_)
    if (e.type == type) return e.factory();
  throw std::out_of_range("unknown intervention type " + type);
}

std::uint32_t InterventionRegistry::stream_base(const std::string& type) const {
  for (const auto& e : entries_)
    if (e.type == type) return e.stream_base;
  throw std::out_of_range("unknown intervention type " + type);
}

std::vector<std::string> InterventionRegistry::types() const {
  std::vector<std::string> names;
  for (const auto& e : entries_) names.push_back(e.type);
  return names;
}

bool InterventionRegistry::contains(const std::string& type) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.type == type; });
}

}  // namespace recoverysim::recovery
