// Tile effect channels, the module registry, and the helpers of the modules' loops over agents.
#include "intervention.hpp"
#include "parallel.hpp"

#include <tbb/blocked_range.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace recoverysim::recovery {

std::vector<std::string> Intervention::metric_names() const {
  std::vector<std::string> names;
  for (auto& m : metrics()) names.push_back(std::move(m.name));
  return names;
}

void first_draws(RandomKey key, std::span<const std::int32_t> agents, std::uint32_t day, std::uint32_t stream,
                 std::span<std::uint32_t> out) {
  with_kernel([&]<class KernelTag>(KernelTag) { first_draws_for<KernelTag>(key, agents, day, stream, out); });
}

void first_draws_of_range(RandomKey key, std::size_t first, std::size_t n, std::uint32_t day, std::uint32_t stream,
                          std::uint32_t* out) {
  with_kernel(
      [&]<class KernelTag>(KernelTag) { first_draws_of_range_for<KernelTag>(key, first, n, day, stream, out); });
}

std::size_t flagged_agents(const std::int32_t* flags, std::size_t n, std::size_t first, std::int32_t* out) {
  return with_kernel([&]<class KernelTag>(KernelTag) { return flagged_agents_for<KernelTag>(flags, n, first, out); });
}

void list_event_agents(std::span<const std::uint8_t> events, std::vector<std::int32_t>& out) {
  // Each chunk lists its own agents. Events are rare: a word of eight agents without one is
  // skipped at once, and in the others only the agents with an event are visited.
  constexpr std::size_t chunk = std::size_t{1} << 15;
  constexpr std::uint64_t low_bits = 0x0101010101010101u;
  const std::size_t n = events.size();
  std::vector<std::vector<std::int32_t>> parts((n + chunk - 1) / chunk);
  recoverysim::parallel_for(tbb::blocked_range<std::size_t>(0, parts.size()), [&](const auto& r) {
    for (std::size_t c = r.begin(); c != r.end(); ++c) {
      std::vector<std::int32_t>& part = parts[c];
      const std::uint8_t* data = events.data();
      const std::size_t end = std::min(n, (c + 1) * chunk);
      std::size_t i = c * chunk;
      for (; i + 8 <= end; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, sizeof word);
        if (word == 0) continue;
        // One bit per byte with an event (the byte's lowest bit), in agent order.
        word |= word >> 4;
        word |= word >> 2;
        word |= word >> 1;
        if constexpr (std::endian::native == std::endian::little) {
          for (std::uint64_t bits = word & low_bits; bits != 0; bits &= bits - 1)
            part.push_back(static_cast<std::int32_t>(i + static_cast<std::size_t>(std::countr_zero(bits)) / 8));
        } else {
          for (std::size_t j = i; j < i + 8; ++j)
            if (data[j] != 0) part.push_back(static_cast<std::int32_t>(j));
        }
      }
      for (; i < end; ++i)
        if (data[i] != 0) part.push_back(static_cast<std::int32_t>(i));
    }
  });
  out.clear();
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
}

void agents_with_events(const DayView& view, std::uint8_t mask, std::vector<std::int32_t>& out) {
  if (!view.event_agents) {
    list_event_agents(view.events, out);
    std::erase_if(out, [&](std::int32_t i) { return (view.events[static_cast<std::size_t>(i)] & mask) == 0; });
    return;
  }
  out.clear();
  for (const std::int32_t i : *view.event_agents)
    if (view.events[static_cast<std::size_t>(i)] & mask) out.push_back(i);
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

OutcomeDefinition wait_definition(const std::string& type, std::uint32_t stream_base, EventCode queued,
                                  EventCode served, EventCode left, std::int64_t days) {
  OutcomeDefinition d;
  d.recorded_by_module = stream_base;
  d.name = type + ".wait";
  d.causes = {{served}, {event_code_died}, {left}};
  d.cause_names = {"served", "died", "left"};
  d.origin.kind = Origin::Kind::event;
  d.origin.codes = {queued};
  d.origin.text = type + ".queued";
  d.restricted_mean_days = static_cast<std::int32_t>(days);
  d.quantiles = {0.5, 0.9};
  d.never_name = type + ".wait_never_served";
  d.where = "the " + type + " module";
  return d;
}

std::vector<TimeToEventRecord> wait_records(std::span<const std::int32_t> first_queued_day,
                                            std::span<const std::int32_t> first_served_day,
                                            std::span<const std::int32_t> left_unserved_day, const Population& pop) {
  std::vector<TimeToEventRecord> records(first_queued_day.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    TimeToEventRecord& r = records[i];
    r.origin_day = first_queued_day[i];
    if (r.origin_day < 0) continue;
    // A first wait that ended unserved ended then, whatever happened in a later one.
    if (left_unserved_day[i] >= 0) {
      r.end_day = left_unserved_day[i];
      r.cause = pop.death_day[i] == left_unserved_day[i] ? 1 : 2;
    } else if (first_served_day[i] >= 0) {
      r.end_day = first_served_day[i];
      r.cause = 0;
    }
  }
  return records;
}

void DueList::merge_due_into(std::int32_t day, std::vector<std::int32_t>& agents) {
  const std::size_t before = agents.size();
  while (head_ < entries_.size() && entries_[head_].first <= day) agents.push_back(entries_[head_++].second);
  if (agents.size() > before) {
    const auto middle = agents.begin() + static_cast<std::ptrdiff_t>(before);
    std::sort(middle, agents.end());
    std::inplace_merge(agents.begin(), middle, agents.end());
    agents.erase(std::unique(agents.begin(), agents.end()), agents.end());
  }
  // Drop what was handed out once it is most of the list, so that it does not grow forever.
  if (head_ > 4096 && 2 * head_ > entries_.size()) {
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace recoverysim::recovery
