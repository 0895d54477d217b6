// Contingency management: escalating vouchers for negative urine tests (Petry's model). People
// eligible (by default at admission, while in treatment) queue for a limited number of places;
// participants are tested on some days for `duration_days`; each negative test earns a voucher
// worth `first_voucher` plus `voucher_step` for every negative test in a row before it (up to
// `max_voucher`), and a positive test resets the streak. While on a streak the lapse hazard is
// lower, and while enrolled the dropout hazard is. Written on the programme kit (kit.hpp).
#pragma once

#include "models/recovery/simple_module.hpp"

namespace recoverysim::recovery {

class ContingencyManagement final : public SimpleModule<ContingencyManagement> {
 public:
  enum StreamOffset : std::uint32_t { stream_test = 0 };  // id = agent: tested today
  enum Event : EventCode { event_queued = 0, event_enrolled = 1, event_ended = 2, event_left = 3 };

  void declare(ParamTable& table) override;
  std::vector<Metric> metrics() const override;
  void start(const ReplicateContext&, std::size_t agents) { intake_.reset(agents); }
  void after_day(DayView& view, std::span<double> metrics) override;
  std::vector<AgentColumn> agent_columns() const override {
    return {{"vouchers", vouchers_, "currency units", "vouchers earned over the enrolment"},
            {"negative_tests", negatives_, "tests", "negative tests"}};
  }
  std::vector<EventName> event_names() const override {
    return {{"queued", "joins the queue for a place"},
            {"enrolled", "takes a place"},
            {"ended", "the enrolment ends"},
            {"left", "leaves the queue without a place"}};
  }
  std::vector<OutcomeDefinition> outcome_definitions(EventCode first, std::int64_t days) const override {
    return {wait_definition("contingency_management", first, first + event_queued, first + event_enrolled,
                            first + event_left, days)};
  }
  std::vector<TimeToEventRecord> outcome_records(const OutcomeDefinition&, const Population& pop) const override {
    return intake_.queue().wait_records(pop);
  }

  std::int64_t effect(const AgentToday& a, AgentEffect& e) const {
    const bool on = intake_.enrolled(a.agent);
    e.lapse_multiplier *= on & (streak_[a.agent] > 0) ? static_cast<float>(streak_lapse_multiplier_) : 1.0f;
    e.dropout_multiplier *= on ? static_cast<float>(enrolled_dropout_multiplier_) : 1.0f;
    return 0;
  }

 private:
  Eligibility eligible_;
  ProgrammeCosts costs_;
  std::int64_t places_{}, duration_days_{}, staff_fte_{};
  double tests_per_week_{}, first_voucher_{}, voucher_step_{}, max_voucher_{};
  double streak_lapse_multiplier_{}, enrolled_dropout_multiplier_{};

  PerAgent<std::int32_t> enrolled_on_{columns(), -1};
  PerAgent<std::int32_t> streak_{columns(), 0};
  PerAgent<std::int32_t> negatives_{columns(), 0};
  PerAgent<float> vouchers_{columns(), 0.0f};
  Intake intake_{{event_queued, event_enrolled, event_left}};
  std::vector<std::int32_t> opened_;
};

}  // namespace recoverysim::recovery
