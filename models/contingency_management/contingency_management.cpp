// The contingency management module: its keys, and each day's tests, vouchers and places.
#include "contingency_management.hpp"

#include <algorithm>

namespace recoverysim::recovery {

void ContingencyManagement::declare(ParamTable& t) {
  eligible_.declare(t, "eligible.",
                    {EligibleFrom::admission, 0, SubstanceCondition::any, MentalHealthCondition::any,
                     TreatmentCondition::in_treatment, StateCondition::any});
  t.add_integer("places", places_, 50, 1, 2'000'000'000, "places", "Participants the programme takes at a time");
  t.add_integer("duration_days", duration_days_, 84, 1, max_day_count, "days", "Days of enrolment (12 weeks)");
  t.add_real("tests_per_week", tests_per_week_, 2.0, 0.0, 7.0, "tests per week", "Urine tests of each participant");
  t.add_real("first_voucher", first_voucher_, 2.5, 0.0, 1.0e6, "currency units", "Voucher for a first negative test");
  t.add_real("voucher_step", voucher_step_, 1.5, 0.0, 1.0e6, "currency units",
             "Added to the voucher for every earlier negative test in a row");
  t.add_real("max_voucher", max_voucher_, 30.0, 0.0, 1.0e6, "currency units", "Most one voucher is worth");
  t.add_real("streak_lapse_multiplier", streak_lapse_multiplier_, 0.8, 0.0, 10.0, "multiplier",
             "Lapse hazard multiplier while the last test was negative");
  t.add_real("enrolled_dropout_multiplier", enrolled_dropout_multiplier_, 0.8, 0.0, 10.0, "multiplier",
             "Dropout hazard multiplier while enrolled");
  t.add_integer("staff_fte", staff_fte_, 1, 0, 1'000'000, "FTE", "Staff running the programme");
  costs_.declare(t, "", {34000.0, 5.0, 0.0, 0.0});
}

std::vector<Metric> ContingencyManagement::metrics() const {
  return {{"participants", "people", "people enrolled at the end of the day"},
          standard_metric::queue_length(),
          standard_metric::queue_mean_days_so_far(),
          standard_metric::utilisation(),
          {"tests", "tests", "tests taken today"},
          {"vouchers", "currency units", "vouchers earned today"},
          standard_metric::staff_fte(),
          standard_metric::cost()};
}

void ContingencyManagement::after_day(DayView& view, std::span<double> metrics) {
  const auto day = static_cast<std::int32_t>(view.day);
  std::int64_t tests = 0;
  double vouchers = 0.0;
  // Today's tests (a draw each, in agent order), then the enrolments that end.
  intake_.end_if([&](std::int32_t agent) {
    const auto i = static_cast<std::size_t>(agent);
    const auto u = philox_block(view.key, static_cast<std::uint32_t>(agent), view.day, stream_base() + stream_test, 0);
    if (eligible_.holds(view.pop, i) && bernoulli(u[0], tests_per_week_ / days_per_week)) {
      ++tests;
      if (is_abstinent(view.pop.state[i])) {
        const double voucher = std::min(first_voucher_ + voucher_step_ * streak_[i]++, max_voucher_);
        vouchers += voucher, vouchers_[i] += static_cast<float>(voucher), ++negatives_[i];
      } else {
        streak_[i] = 0;
      }
    }
    if (eligible_.holds(view.pop, i) && day + 1 - enrolled_on_[i] < duration_days_) return false;
    streak_[i] = 0;
    view.emit(i, event_ended);
    return true;
  });
  // New windows join the queue, those waiting who are no longer eligible leave it, and the
  // queue fills the free places.
  eligible_.opened_today(view, opened_);
  intake_.admit(
      view, opened_, places_,
      [&](std::int32_t agent) { return eligible_.holds(view.pop, static_cast<std::size_t>(agent)); },
      [](std::int32_t) { return std::uint16_t{0}; },
      [&](std::int32_t agent) { enrolled_on_[static_cast<std::size_t>(agent)] = day + 1; });
  const auto participants = static_cast<std::int64_t>(intake_.participants().size());
  const auto n = static_cast<double>(participants);
  const double staff = static_cast<double>(staff_fte_);
  const double values[] = {n,
                           static_cast<double>(intake_.queue().size()),
                           intake_.queue().mean_days_so_far(day),
                           n / static_cast<double>(places_),
                           static_cast<double>(tests),
                           vouchers,
                           staff,
                           costs_.day(staff, tests, participants) + vouchers};
  std::copy(std::begin(values), std::end(values), metrics.begin());
}

}  // namespace recoverysim::recovery
