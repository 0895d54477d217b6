// The twelve_step intervention: AA/NA-style mutual help. Agents offered it (at admission or at
// discharge) take it up with a probability; participants attend community meetings as their
// affiliation allows, work the twelve steps, and link to a sponsor: another member of the cohort
// in stable recovery with all twelve steps, or an external pool standing for members outside the
// cohort. Sponsoring others lowers the sponsor's own lapse hazard (helper effect).
#pragma once

#include "models/recovery/kit.hpp"

#include <tbb/enumerable_thread_specific.h>

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
  std::int64_t external_sponsors{};
  double facilitation_fte{};
  double salary_per_year{};
  double facilitation_cost_per_participant_day{};
};

class TwelveStep final : public Intervention {
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

  void declare(ParamTable& table) override;
  void validate(const ParamTable& table) const override;
  std::vector<Metric> metrics() const override;
  void start_replicate(const ReplicateContext& ctx, std::size_t agents) override;
  std::int64_t add_effects(const TileView& tile, TileEffects& fx) override;
  void after_tile(const TileView& tile, std::span<const std::uint8_t> events) override;
  void after_day(DayView& view, std::span<double> metrics) override;
  std::vector<AgentColumn> agent_columns() const override;

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
  // add_effects for one kernel (twelve_step_tiles.cpp, instantiated for each kernel of the build).
  template <class KernelTag>
  std::int64_t add_effects_for(const TileView& tile, TileEffects& fx);
  // Today's figures from the tiles one thread advanced, summed in after_day: integers, and the
  // agents who reached the twelfth step.
  struct DayTotals {
    std::int64_t participants = 0;                  // change in the living participants
    std::int64_t steps = 0;                         // change in their steps
    std::vector<std::int32_t> new_twelve_steppers;  // reached the twelfth step today

    void clear() {
      participants = steps = 0;
      new_twelve_steppers.clear();
    }
  };
  // Attended a meeting today, and whether it advanced a step (decided in add_effects), and the
  // agent's links as bits. Not character types: a store to them cannot alias the other
  // columns, so loops writing them keep those in registers.
  enum class Attended : std::uint8_t { no, yes, yes_and_step };
  enum class Links : std::uint8_t { none = 0, sponsored = 1, helper = 2 };  // helper: sponsors someone

  void set_link(std::size_t agent, Links link, bool on);
  void end_links(const Population& pop);
  void find_sponsors(const DayView& view);

  TwelveStepParameters p_;
  std::uint32_t stream_base_ = 0;

  // Per-agent state (agent i is index i), reset at every replicate.
  AgentColumns columns_;
  PerAgent<std::uint8_t> participant_{columns_, 0};  // took up an offer
  PerAgent<Attended> attended_{columns_, Attended::no};
  PerAgent<Links> links_{columns_, Links::none};
  PerAgent<float> affiliation_{columns_, 0.0f};           // f in [0, 1]
  PerAgent<std::int32_t> steps_{columns_, 0};             // 0 .. 12
  PerAgent<std::int32_t> meetings_{columns_, 0};          // meetings attended so far
  PerAgent<std::int32_t> sponsor_{columns_, no_sponsor};  // agent index, no_sponsor or external_sponsor
  PerAgent<std::int32_t> sponsees_{columns_, 0};          // in-cohort sponsees of this agent
  std::int64_t external_sponsees_ = 0;                    // links held by the external pool

  // Kept up to date as agents join, die, step and link.
  std::int64_t sponsoring_ = 0;                // agents with at least one in-cohort sponsee
  std::vector<std::int32_t> sponsored_;        // agents with a sponsor, in increasing order
  std::vector<std::int32_t> twelve_steppers_;  // agents with all twelve steps, in increasing order
  std::int64_t living_ = 0;                    // the living participants
  std::int64_t living_steps_ = 0;              // their steps, summed

  // Today's figures (per thread in after_tile) and scratch space.
  std::int64_t attenders_ = 0;
  tbb::enumerable_thread_specific<DayTotals> tile_totals_;
  // Each tile's living participants' affiliation at the end of the day, summed in tile order in
  // after_day: tiles are the same on any number of threads, so the sum is too.
  std::vector<double> tile_affiliation_;
  // Each tile's agents who may look for a sponsor today, as bits (bit l: agent first + l): living
  // participants with f >= sponsor_seek_affiliation and no external sponsor (an in-cohort link may
  // still end today). Set in after_tile, so after_day reads them in agent order without a scan.
  std::vector<std::uint64_t> may_seek_;
  std::vector<std::int32_t> seekers_;
  std::vector<std::uint32_t> seeker_draws_;
};

}  // namespace recoverysim::recovery
