// The programme module: its keys, and the day's serial phase (windows, queue, enrolment).
#include "programme.hpp"

#include <algorithm>
#include <limits>

namespace recoverysim::recovery {

Programme::Programme() = default;

void Programme::declare(ParamTable& t) {
  eligible_.declare(t, "eligible.", Eligibility{});
  t.add_integer("capacity.places", places_, 0, 0, 2'000'000'000, "places",
                "Places in the programme (0: not limited by places; see capacity.staff and capacity.caseload)");
  t.add_integer("capacity.staff", staff_, 0, 0, 1'000'000, "FTE", "Full-time staff positions, filled on day 0");
  t.add_integer("capacity.caseload", caseload_, 0, 0, 1'000'000, "participants per FTE",
                "Participants one member of staff takes (0: staff do not limit the places)");
  t.add_choice("capacity.priority", priority_, ProgrammePriority::arrival, {"arrival", "severity", "mental_health"},
               "Who is served first from the queue: in order of joining, the most severe first, or people with a "
               "co-occurring mental health condition first (then in order of joining)");
  t.add_integer("capacity.max_wait_days", max_wait_days_, 0, 0, max_day_count, "days",
                "Days someone waits before giving up (0: while their window is open)");
  t.add_real("capacity.staff_leave_probability_per_day", staff_leave_probability_per_day_, 0.0, 0.0, 1.0, "probability",
             "Daily probability that a working member of staff leaves");
  t.add_integer("capacity.hiring_delay_days", hiring_delay_days_, 60, 1, max_day_count, "days",
                "Days a position stays vacant after its holder leaves");
  t.add_real("delivery.contacts_per_week", contacts_per_week_, 1.0, 0.0, 7.0, "contacts per week",
             "Contacts offered to each participant (a session, a test, a visit)");
  t.add_real("delivery.attendance_probability", attendance_probability_, 1.0, 0.0, 1.0, "probability",
             "Probability that an offered contact takes place");
  t.add_integer("delivery.duration_days", duration_days_, 0, 0, max_day_count, "days",
                "Days of enrolment before the programme ends for the participant (0: while eligible)");
  t.add_real("delivery.disengage_probability_per_day", disengage_probability_per_day_, 0.0, 0.0, 1.0, "probability",
             "Daily probability that a participant stops taking part");
  const char* enrolled[] = {"support_connections",     "lapse_multiplier",   "stress_lapse_multiplier",
                            "relapse_odds_multiplier", "dropout_multiplier", "entry_multiplier"};
  const char* enrolled_doc[] = {"Added to the support target g_target",
                                "On the lapse hazard",
                                "On the lapse hazard on stress days",
                                "On the odds that a lapse becomes a relapse",
                                "On the dropout hazard",
                                "On the treatment entry hazard (for participants out of treatment)"};
  for (int k = 0; k < enrolled_channels; ++k)
    t.add_real(std::string("while_enrolled.") + enrolled[k], enrolled_values_[k], k == 0 ? 0.0 : 1.0,
               k == 0 ? -1.0 : 0.0, k == 0 ? 1.0 : 10.0, k == 0 ? "support" : "multiplier",
               std::string(enrolled_doc[k]) + ", every day a person is enrolled");
  const char* contact[] = {"self_efficacy", "skills", "engagement", "craving"};
  for (int k = 0; k < 4; ++k)
    t.add_real(std::string("per_contact.") + contact[k], contact_values_[k], 0.0, -1.0, 1.0, "per contact",
               std::string("Added to ") + contact[k] + " on a day with a contact" +
                   (k == 3 ? " (negative: lowers craving)" : ""));
  costs_.declare(t, "costs.", ProgrammeCosts{34000.0, 0.0, 0.0, 0.0});
}

void Programme::validate(const ParamTable& table) const {
  if (caseload_ > 0 && staff_ == 0)
    throw InputError(table.where_set("capacity.caseload"),
                     "programme: capacity.caseload without capacity.staff leaves no places; set capacity.staff");
}

std::vector<Metric> Programme::metrics() const {
  return {{"participants", "people", "people enrolled at the end of the day"},
          standard_metric::queue_length(),
          standard_metric::queue_mean_days_so_far(),
          standard_metric::utilisation(),
          {"contacts", "contacts", "contacts that took place today"},
          standard_metric::staff_fte(),
          standard_metric::cost()};
}

void Programme::start(const ReplicateContext&, std::size_t agents) {
  for (int k = 0; k < enrolled_channels; ++k) enrolled_effect_[k] = static_cast<float>(enrolled_values_[k]);
  for (int k = 0; k < 4; ++k) contact_effect_[k] = static_cast<float>(contact_values_[k]);
  contact_probability_ = contacts_per_week_ / days_per_week * attendance_probability_;
  last_day_ = -1;
  intake_.reset(agents);
  staff_positions_.reset(staff_);
}

std::int64_t Programme::places(std::int64_t staff) const {
  std::int64_t n = std::numeric_limits<std::int64_t>::max();
  if (places_ > 0) n = places_;
  if (caseload_ > 0) n = std::min(n, staff * caseload_);
  return n;
}

void Programme::end(std::int32_t agent, std::int32_t day, DayView& view) {
  const auto i = static_cast<std::size_t>(agent);
  enrolled_days_[i] += day - enrolled_since_[i];
  view.emit(i, event_ended);
}

void Programme::after_day(DayView& view, std::span<double> metrics) {
  const auto day = static_cast<std::int32_t>(view.day);
  const Population& pop = view.pop;
  last_day_ = day;
  const auto open = [&](std::size_t i) { return day <= window_last_day_[i] && eligible_.holds(pop, i); };

  // Enrolments that end today: the window closed, the enrolment ran its course, or the
  // participant disengaged (a draw for each, in agent order).
  intake_.end_if([&](std::int32_t agent) {
    const auto i = static_cast<std::size_t>(agent);
    const bool ends =
        !open(i) || (duration_days_ > 0 && day + 1 - enrolled_since_[i] >= duration_days_) ||
        (disengage_probability_per_day_ > 0.0 && bernoulli(philox_block(view.key, static_cast<std::uint32_t>(agent),
                                                                        view.day, stream_base() + stream_leave, 0)[0],
                                                           disengage_probability_per_day_));
    if (ends) end(agent, day + 1, view);
    return ends;
  });

  // Places: staff today. Windows that open today join the queue; those waiting whose window
  // closed or who waited too long leave it; then the queue is served into the free places.
  staff_positions_.update(view.key, view.day, stream_base() + stream_staff, staff_leave_probability_per_day_,
                          hiring_delay_days_);
  const std::int64_t available = places(staff_positions_.working());
  eligible_.opened_today(view, opened_);
  for (const std::int32_t agent : opened_) window_last_day_[static_cast<std::size_t>(agent)] = eligible_.last_day(day);
  const auto still_waits = [&](std::int32_t agent) {
    const bool gives_up = max_wait_days_ > 0 && day + 1 - intake_.queue().joined_day(agent) >= max_wait_days_;
    return open(static_cast<std::size_t>(agent)) && !gives_up;
  };
  const auto priority = [&](std::int32_t agent) {
    const auto i = static_cast<std::size_t>(agent);
    return priority_ == ProgrammePriority::severity ? static_cast<std::uint16_t>((1.0f - pop.severity[i]) * 65535.0f)
           : priority_ == ProgrammePriority::mental_health ? static_cast<std::uint16_t>(pop.mental_health[i] ? 0 : 1)
                                                           : std::uint16_t{0};
  };
  intake_.admit(view, opened_, available, still_waits, priority, [&](std::int32_t agent) {
    const auto i = static_cast<std::size_t>(agent);
    enrolled_since_[i] = day + 1;  // the effects start tomorrow
    if (first_enrolled_day_[i] < 0) first_enrolled_day_[i] = day;
    ++enrolments_[i];
  });

  const auto participants = static_cast<std::int64_t>(intake_.participants().size());
  const auto n = static_cast<double>(participants);
  const double staff = static_cast<double>(staff_positions_.working());
  const double values[] = {n, static_cast<double>(intake_.queue().size()), intake_.queue().mean_days_so_far(day),
                           // Staff who leave end no enrolment: those enrolled keep their places.
                           available == std::numeric_limits<std::int64_t>::max() || n == 0.0
                               ? 0.0
                               : n / std::max(n, static_cast<double>(available)),
                           static_cast<double>(view.effects_total), staff,
                           costs_.day(staff, view.effects_total, participants)};
  std::copy(std::begin(values), std::end(values), metrics.begin());
}

std::vector<AgentColumn> Programme::agent_columns() const {
  std::vector<std::int32_t> days(enrolled_days_.begin(), enrolled_days_.end());
  for (const std::int32_t agent : intake_.participants())  // still enrolled: the days up to the horizon
    days[static_cast<std::size_t>(agent)] += last_day_ + 1 - enrolled_since_[static_cast<std::size_t>(agent)];
  return {{"enrolled_days", std::move(days), "days", "days with the programme's effects, over every enrolment"},
          {"first_enrolled_day", first_enrolled_day_, "day", "the day first enrolled; -1 never"},
          {"enrolments", enrolments_, "enrolments", "times enrolled"}};
}

std::vector<Intervention::EventName> Programme::event_names() const {
  return {{"queued", "joins the queue for a place (a window opened)"},
          {"enrolled", "takes a place; the programme's effects start the next day"},
          {"ended", "the enrolment ends (window closed, duration reached, disengaged or died)"},
          {"left", "leaves the queue without a place (window closed or died)"}};
}

std::vector<OutcomeDefinition> Programme::outcome_definitions(EventCode first_code, std::int64_t days) const {
  return {wait_definition("programme", first_code, static_cast<EventCode>(first_code + event_queued),
                          static_cast<EventCode>(first_code + event_enrolled),
                          static_cast<EventCode>(first_code + event_left), days)};
}

std::vector<TimeToEventRecord> Programme::outcome_records(const OutcomeDefinition&, const Population& pop) const {
  return intake_.queue().wait_records(pop);
}

}  // namespace recoverysim::recovery
