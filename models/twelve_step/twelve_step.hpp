// The twelve_step intervention: AA/NA-style mutual help. Agents offered it (at admission or at
// discharge) take it up with a probability; participants attend community meetings as their
// affiliation allows, work the twelve steps, and link to a sponsor: another member of the cohort
// in stable recovery with all twelve steps, or an external pool standing for members outside the
// cohort. Sponsoring others lowers the sponsor's own lapse hazard (helper effect).
#pragma once

#include "lane_math.hpp"
#include "models/recovery/simple_module.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace recoverysim::recovery {

enum class TwelveStepOffer : std::uint8_t { admission, discharge };

// Every number of the mechanism; defaults, ranges and documentation are in declare().
struct TwelveStepParameters {
  TwelveStepOffer offer_at = TwelveStepOffer::admission;
  double uptake_probability{};
  double meetings_per_week{};
  double initial_affiliation{};
  double affiliation_growth_per_meeting{};
  double affiliation_decay_rate_per_day{};
  double affiliation_factor_on_relapse{};
  double step_probability_per_meeting{};
  double sponsor_step_multiplier{};
  double support_connections_per_affiliation{};
  double self_efficacy_per_meeting{};
  double sponsored_lapse_multiplier{};
  double helper_lapse_multiplier{};
  double sponsor_seek_affiliation{};
  double sponsor_keep_affiliation{};
  double sponsor_find_probability_per_day{};
  std::int64_t max_sponsees{};
  double external_sponsors_per_1000{};
  double facilitation_fte{};
  double salary_per_year{};
  double facilitation_cost_per_participant_day{};
};

class TwelveStep final : public SimpleModule<TwelveStep> {
 public:
  static constexpr std::int32_t no_sponsor = -1;
  static constexpr std::int32_t external_sponsor = -2;
  static constexpr std::int32_t all_steps = 12;

  // This module's random streams, as offsets from its stream_base: one per kind of decision.
  enum StreamOffset : std::uint32_t {
    stream_uptake = 0,          // taking up an offer (on the offer day)
    stream_meeting = 1,         // attending a meeting today (first number), advancing a step there (second)
    stream_sponsor_search = 2,  // an unsponsored, affiliated participant finds a sponsor today
  };
  static constexpr std::uint32_t effect_stream = stream_meeting;
  static constexpr int effect_draws = 2;  // the block's first two numbers: attending, stepping

  void declare(ParamTable& table) override;
  void validate(const ParamTable& table) const override;
  std::vector<Metric> metrics() const override;
  void start(const ReplicateContext& ctx, std::size_t agents);
  // after_tile of the kernel in use (twelve_step_tiles.cpp).
  void after_tile(const TileView& tile, std::span<const std::uint8_t> events) override {
    with_kernel([&]<class KernelTag>(KernelTag) { after_tile_for<KernelTag>(tile, events); });
  }
  void after_day(DayView& view, std::span<double> metrics) override;
  std::vector<AgentColumn> agent_columns() const override;

  // One agent's day, if a living participant: today's meeting and whether it advances a step,
  // and the effects of yesterday's affiliation and links (a sponsor, sponsees). Returns 1 if
  // the agent attends. Only the living participants' attended_ is ever read.
  std::int64_t effect(const AgentToday& a, AgentEffect& e) {
    const std::size_t i = a.agent;
    const bool in = (participant_[i] != 0) & (a.pop.state[i] != ClinicalState::deceased);
    const float f = affiliation_[i];
    const bool attends = in & bernoulli_lane(a.draw, f * fixed_.meeting_share);
    const bool sponsored = sponsor_[i] != no_sponsor, helper = sponsees_[i] > 0;
    const float lapse = sponsored ? (helper ? fixed_.lapse_sponsored_helper : fixed_.lapse_sponsored)
                                  : (helper ? fixed_.lapse_helper : 1.0f);
    const float step_probability = sponsored ? fixed_.sponsored_step : fixed_.step;
    const bool steps_up = attends & (steps_[i] < all_steps) & bernoulli_lane(a.second_draw, step_probability);
    attended_[i] = static_cast<Attended>((attends ? 1 : 0) + (steps_up ? 1 : 0));
    e.support_connections = in ? e.support_connections + fixed_.support_per_affiliation * f : e.support_connections;
    e.lapse_multiplier = in ? e.lapse_multiplier * lapse : e.lapse_multiplier;
    e.self_efficacy_increment =
        in ? e.self_efficacy_increment + (attends ? fixed_.self_efficacy : 0.0f) : e.self_efficacy_increment;
    return attends ? 1 : 0;
  }
  // Meetings are drawn only while someone takes part.
  bool draws_today() const { return living_ > 0; }

  // Read-only state, for tests and diagnostics.
  const TwelveStepParameters& parameters() const { return p_; }
  std::span<const std::uint8_t> participant() const { return participant_; }
  std::span<const float> affiliation() const { return affiliation_; }
  std::span<const std::int32_t> steps() const { return steps_; }
  std::span<const std::int32_t> sponsor() const { return sponsor_; }
  std::span<const std::int32_t> sponsees() const { return sponsees_; }
  std::int64_t external_sponsees() const { return external_sponsees_; }

 private:
  // after_tile for one kernel (twelve_step_tiles.cpp, instantiated for each kernel of the build).
  template <class KernelTag>
  void after_tile_for(const TileView& tile, std::span<const std::uint8_t> events);
  // Attended a meeting today, and whether it advanced a step (decided in effect()). Not a
  // character type: a store to it cannot alias the other columns, so loops writing it keep
  // those in registers.
  enum class Attended : std::uint8_t { no, yes, yes_and_step };
  // What after_tile leaves for after_day of each tile of agents (the same tiles on any number of
  // threads, so the sums are too).
  struct TileFigures {
    // The living participants at the end of the day, their steps, and their affiliation summed
    // in lane order.
    std::int64_t living = 0, steps = 0;
    double affiliation = 0.0;
    // Bits (bit l: agent first + l): those who may look for a sponsor today, living participants
    // with f >= sponsor_seek_affiliation and no external sponsor (an in-cohort link may still end
    // today), and those with all twelve steps. after_day reads them in agent order without a scan.
    std::uint64_t may_seek = 0, twelve_steps = 0;
  };

  void end_links(const Population& pop);
  void find_sponsors(const DayView& view);

  TwelveStepParameters p_;
  // The parameters in single precision, as the core day uses: 16 lanes to a vector rather than 8.
  struct {
    float meeting_share, support_per_affiliation, self_efficacy, step, sponsored_step;
    // The lapse multiplier by links, as the product 1 x sponsored x helper is formed agent by agent.
    float lapse_sponsored, lapse_helper, lapse_sponsored_helper;
  } fixed_{};

  // Per-agent state (agent i is index i), reset at every replicate.
  PerAgent<std::uint8_t> participant_{columns(), 0};  // took up an offer
  PerAgent<Attended> attended_{columns(), Attended::no};
  PerAgent<float> affiliation_{columns(), 0.0f};           // f in [0, 1]
  PerAgent<std::int32_t> steps_{columns(), 0};             // 0 .. 12
  PerAgent<std::int32_t> meetings_{columns(), 0};          // meetings attended so far
  PerAgent<std::int32_t> sponsor_{columns(), no_sponsor};  // agent index, no_sponsor or external_sponsor
  PerAgent<std::int32_t> sponsees_{columns(), 0};          // in-cohort sponsees of this agent
  std::int64_t external_sponsees_ = 0;                     // links held by the external pool

  // Kept up to date as agents link.
  std::int64_t external_sponsors_ = 0;   // the pool, from external_sponsors_per_1000 and the cohort
  std::int64_t sponsoring_ = 0;          // agents with at least one in-cohort sponsee
  std::vector<std::int32_t> sponsored_;  // agents with a sponsor, in increasing order
  std::int64_t living_ = 0;              // the living participants at the end of the day

  std::vector<TileFigures> tiles_;
  std::vector<std::int32_t> seekers_;
  std::vector<std::uint32_t> seeker_draws_;
};

}  // namespace recoverysim::recovery
