// A skeleton intervention module (docs/extending.md): a telephone support line that everyone in
// treatment may call. It lowers their lapse hazard, and its staff grow with the callers.
#pragma once

#include "models/recovery/intervention.hpp"

namespace recoverysim::recovery {

class SupportLine final : public Intervention {
 public:
  void declare(ParamTable& t) override {
    t.add_real("lapse_multiplier", lapse_multiplier_, 0.9, 0.0, 10.0, "multiplier",
               "Lapse hazard multiplier for everyone in treatment");
    t.add_real("callers_per_worker", callers_per_worker_, 50.0, 1.0, 1.0e6, "people per FTE",
               "People in treatment one full-time worker serves");
    t.add_real("salary_per_year", salary_per_year_, 30000.0, 0.0, 1.0e9, "currency per FTE-year",
               "Salary of one full-time worker");
  }

  std::vector<Metric> metrics() const override {
    return {{"callers", "people", "living people in treatment today (all may call)"},
            {"staff_fte", "FTE", "workers needed for today's callers"},
            {"cost", "currency units", "the day's salaries, undiscounted"}};
  }

  void start_replicate(const ReplicateContext&, std::size_t) override {}  // no state of its own

  // One tile of agents: the multiplier for those in treatment; returns how many they are.
  std::int64_t add_effects(const TileView& tile, TileEffects& fx) override {
    const auto multiplier = static_cast<float>(lapse_multiplier_);
    std::int64_t callers = 0;
    for (std::size_t l = 0; l < tile.n; ++l) {
      const std::size_t i = tile.first + l;
      const bool calls =
          (tile.pop.treatment[i] == TreatmentStatus::in_treatment) & (tile.pop.state[i] != ClinicalState::deceased);
      fx.lapse_multiplier[l] *= calls ? multiplier : 1.0f;
      callers += calls;
    }
    return callers;
  }

  // The day's metrics, from the callers summed over the tiles.
  void after_day(DayView& view, std::span<double> metrics) override {
    const auto callers = static_cast<double>(view.effects_total);
    const double staff = callers / callers_per_worker_;
    metrics[0] = callers;
    metrics[1] = staff;
    metrics[2] = staff * salary_per_year_ / days_per_year;
  }

  std::vector<AgentColumn> agent_columns() const override { return {}; }

 private:
  double lapse_multiplier_ = 0.0, callers_per_worker_ = 0.0, salary_per_year_ = 0.0;
};

}  // namespace recoverysim::recovery
