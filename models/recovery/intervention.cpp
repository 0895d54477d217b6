// Tile effect channels, the module registry, and the helpers of the modules' loops over agents.
#include "intervention.hpp"
#include "parallel.hpp"

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

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

void TileEffects::set_neutral() {
  for (float* c : {support_connections, craving_increment, self_efficacy_increment, skills_increment,
                   engagement_increment})
    std::fill_n(c, agents_per_tile, 0.0f);
  for (float* c : {lapse_multiplier, stress_lapse_multiplier, relapse_odds_multiplier, dropout_multiplier})
    std::fill_n(c, agents_per_tile, 1.0f);
}

namespace {

#if defined(__AVX512F__)
// Philox4x32-10, output 0, for the 16 counters (agent, day, stream, 0) held in `agent`.
inline __m512i philox_first_16(RandomKey key, __m512i agent, std::uint32_t day, std::uint32_t stream) {
  __m512i x0 = agent, x1 = _mm512_set1_epi32(static_cast<int>(day)), x2 = _mm512_set1_epi32(static_cast<int>(stream));
  __m512i x3 = _mm512_setzero_si512();
  philox_16(key, x0, x1, x2, x3);
  return x0;
}
#elif defined(__AVX2__)
// Random123's Philox4x32 multipliers and key increments (random.hpp's philox_lanes).
constexpr std::uint32_t philox_m0 = 0xD2511F53u, philox_m1 = 0xCD9E8D57u;
constexpr std::uint32_t philox_w0 = 0x9E3779B9u, philox_w1 = 0xBB67AE85u;

// The same for 8 counters.
inline __m256i philox_first_8(RandomKey key, __m256i agent, std::uint32_t day, std::uint32_t stream) {
  const __m256i m0 = _mm256_set1_epi64x(philox_m0), m1 = _mm256_set1_epi64x(philox_m1);
  constexpr int odd = 0xAA;
  __m256i x0 = agent, x1 = _mm256_set1_epi32(static_cast<int>(day)), x2 = _mm256_set1_epi32(static_cast<int>(stream));
  __m256i x3 = _mm256_setzero_si256();
  std::uint32_t k0 = key.seed, k1 = key.replicate;
  for (int round = 0; round < 10; ++round) {
    const __m256i even0 = _mm256_mul_epu32(x0, m0), odd0 = _mm256_mul_epu32(_mm256_srli_epi64(x0, 32), m0);
    const __m256i even2 = _mm256_mul_epu32(x2, m1), odd2 = _mm256_mul_epu32(_mm256_srli_epi64(x2, 32), m1);
    const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(even0, 32), odd0, odd);
    const __m256i lo0 = _mm256_blend_epi32(even0, _mm256_slli_epi64(odd0, 32), odd);
    const __m256i hi2 = _mm256_blend_epi32(_mm256_srli_epi64(even2, 32), odd2, odd);
    const __m256i lo2 = _mm256_blend_epi32(even2, _mm256_slli_epi64(odd2, 32), odd);
    x0 = _mm256_xor_si256(_mm256_xor_si256(hi2, x1), _mm256_set1_epi32(static_cast<int>(k0)));
    x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(k1)));
    x1 = lo2;
    x3 = lo0;
    k0 += philox_w0;
    k1 += philox_w1;
  }
  return x0;
}
#endif

}  // namespace

void first_draws(RandomKey key, std::span<const std::int32_t> agents, std::uint32_t day, std::uint32_t stream,
                 std::span<std::uint32_t> out) {
  std::size_t k = 0;
#if defined(__AVX512F__)
  for (; k + 16 <= agents.size(); k += 16) {
    const __m512i agent = _mm512_loadu_si512(agents.data() + k);
    _mm512_storeu_si512(out.data() + k, philox_first_16(key, agent, day, stream));
  }
  // The last few agents in masked lanes: one vector call costs less than a few scalar ones.
  if (k < agents.size()) {
    const auto mask = static_cast<__mmask16>((1u << (agents.size() - k)) - 1);
    const __m512i agent = _mm512_maskz_loadu_epi32(mask, agents.data() + k);
    _mm512_mask_storeu_epi32(out.data() + k, mask, philox_first_16(key, agent, day, stream));
    return;
  }
#elif defined(__AVX2__)
  for (; k + 8 <= agents.size(); k += 8) {
    const __m256i agent = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(agents.data() + k));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.data() + k), philox_first_8(key, agent, day, stream));
  }
  if (k + 2 < agents.size()) {
    alignas(32) std::int32_t lanes[8] = {};
    alignas(32) std::uint32_t draws[8];
    std::copy(agents.begin() + static_cast<std::ptrdiff_t>(k), agents.end(), lanes);
    const __m256i agent = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
    _mm256_store_si256(reinterpret_cast<__m256i*>(draws), philox_first_8(key, agent, day, stream));
    std::copy(draws, draws + (agents.size() - k), out.begin() + static_cast<std::ptrdiff_t>(k));
    return;
  }
#endif
  for (; k < agents.size(); ++k) out[k] = philox_block(key, static_cast<std::uint32_t>(agents[k]), day, stream, 0)[0];
}

void first_draws_of_range(RandomKey key, std::size_t first, std::size_t n, std::uint32_t day, std::uint32_t stream,
                          std::uint32_t* out) {
  std::size_t l = 0;
#if defined(__AVX512F__)
  const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (; l < n; l += 16) {
    const __m512i agent = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first + l)), step);
    const auto mask = static_cast<__mmask16>(n - l >= 16 ? 0xFFFFu : (1u << (n - l)) - 1);
    _mm512_mask_storeu_epi32(out + l, mask, philox_first_16(key, agent, day, stream));
  }
#endif
  for (; l < n; ++l) out[l] = philox_block(key, static_cast<std::uint32_t>(first + l), day, stream, 0)[0];
}

std::size_t flagged_agents(const std::int32_t* flags, std::size_t n, std::size_t first, std::int32_t* out) {
  std::size_t count = 0, l = 0;
#if defined(__AVX512F__) && defined(__AVX512VL__)
  // Eight lanes at a time: the flags were just stored by loops vectorised at that width, and a
  // load of the same width is forwarded from those stores where a wider one would wait for them.
  const __m256i step = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (; l + 8 <= n; l += 8) {
    const __m256i f = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(flags + l));
    const __mmask8 set = _mm256_test_epi32_mask(f, f);
    const __m256i agents = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(first + l)), step);
    // Compressed in a register and stored whole (a compressing store to memory is slow); the
    // lanes past the count are overwritten by the next block or left unused.
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + count), _mm256_maskz_compress_epi32(set, agents));
    count += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(set)));
  }
#endif
  for (; l < n; ++l) {
    out[count] = static_cast<std::int32_t>(first + l);
    count += flags[l] != 0 ? 1 : 0;
  }
  return count;
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
