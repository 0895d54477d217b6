// The programme intervention: a service described in YAML alone. Who is eligible and from
// when (eligible.*), how many places there are and how the queue is served (capacity.*), how
// it is delivered (delivery.*), what it does while someone is enrolled and at each contact
// (while_enrolled.*, per_contact.*), and what it costs (costs.*). Recovery housing, contingency
// management or a mental-health referral service is then a block of keys (scenarios/).
// Built on the programme kit (kit.hpp) with the scalar effect hook (simple_module.hpp).
#pragma once

#include "models/recovery/simple_module.hpp"

namespace recoverysim::recovery {

enum class ProgrammePriority : std::uint8_t { arrival, severity, mental_health };

class Programme final : public SimpleModule<Programme> {
 public:
  // Random streams, offsets from the module's stream base.
  enum StreamOffset : std::uint32_t {
    stream_contact = 0,  // id = agent: a contact today while enrolled (the effect hook's draw)
    stream_leave = 1,    // id = agent: disengages today
    stream_staff = 2,    // id = position: a member of staff leaves today
  };
  static constexpr std::uint32_t effect_stream = stream_contact;
  enum Event : EventCode { event_queued = 0, event_enrolled = 1, event_ended = 2, event_left = 3 };

  Programme();
  void declare(ParamTable& table) override;
  void validate(const ParamTable& table) const override;
  std::vector<Metric> metrics() const override;
  void start(const ReplicateContext& ctx, std::size_t agents);
  void after_day(DayView& view, std::span<double> metrics) override;
  std::vector<AgentColumn> agent_columns() const override;
  std::vector<EventName> event_names() const override;
  std::vector<OutcomeDefinition> outcome_definitions(EventCode first_code, std::int64_t days) const override;
  std::vector<TimeToEventRecord> outcome_records(const OutcomeDefinition&, const Population& pop) const override;

  // What happens to one agent today: the effects while enrolled, and a contact's.
  std::int64_t effect(const AgentToday& a, AgentEffect& e) const {
    const bool on = intake_.enrolled(a.agent);
    const bool contact = on & bernoulli(a.draw, contact_probability_);
    const float* in = enrolled_effect_;
    const float* at = contact_effect_;
    e.support_connections += on ? in[0] : 0.0f;
    e.lapse_multiplier *= on ? in[1] : 1.0f;
    e.stress_lapse_multiplier *= on ? in[2] : 1.0f;
    e.relapse_odds_multiplier *= on ? in[3] : 1.0f;
    e.dropout_multiplier *= on ? in[4] : 1.0f;
    e.entry_multiplier *= on ? in[5] : 1.0f;
    e.self_efficacy_increment += contact ? at[0] : 0.0f;
    e.skills_increment += contact ? at[1] : 0.0f;
    e.engagement_increment += contact ? at[2] : 0.0f;
    e.craving_increment += contact ? at[3] : 0.0f;
    return contact;
  }
  // Contacts are drawn only on days someone is enrolled.
  bool draws_today() const { return contact_probability_ > 0.0 && !intake_.participants().empty(); }

 private:
  void end(std::int32_t agent, std::int32_t day, DayView& view);
  std::int64_t places(std::int64_t staff) const;

  // Parameters.
  Eligibility eligible_;
  std::int64_t places_{}, staff_{}, caseload_{}, max_wait_days_{}, hiring_delay_days_{};
  double staff_leave_probability_per_day_{};
  ProgrammePriority priority_ = ProgrammePriority::arrival;
  double contacts_per_week_{}, attendance_probability_{}, disengage_probability_per_day_{};
  std::int64_t duration_days_{};
  static constexpr int enrolled_channels = 6;
  double enrolled_values_[enrolled_channels]{}, contact_values_[4]{};  // as declared; copied to the effects
  ProgrammeCosts costs_;

  // Fixed for the replicate.
  float enrolled_effect_[enrolled_channels]{}, contact_effect_[4]{};  // the keys' values, in declaration order
  double contact_probability_ = 0.0;

  // Per agent (reset by SimpleModule).
  PerAgent<std::int32_t> window_last_day_{columns(), -1};  // the last day of the open window
  PerAgent<std::int32_t> enrolled_since_{columns(), -1};
  PerAgent<std::int32_t> enrolled_days_{columns(), 0};
  PerAgent<std::int32_t> first_enrolled_day_{columns(), -1};
  PerAgent<std::int32_t> enrolments_{columns(), 0};

  Intake intake_{{event_queued, event_enrolled, event_left}};
  StaffPositions staff_positions_;
  std::vector<std::int32_t> opened_;  // in increasing order
  std::int32_t last_day_ = -1;        // the last day after_day ran
};

}  // namespace recoverysim::recovery
