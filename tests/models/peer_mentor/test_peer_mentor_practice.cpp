// Tests of peer mentoring as practised (model version 2, section 6): contacts at the mentor's
// fidelity, supervision by a supervisor with lived experience, certification of recruits, and
// outreach to people out of treatment.
#include "models/peer_mentor/peer_mentor.hpp"
#include "models/recovery/arm_simulation.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace recoverysim;
using namespace recoverysim::recovery;

namespace {

constexpr std::uint32_t stream_base = 1000;

// The metrics' order (PeerMentor::metrics).
enum M : std::size_t { matched_mentees = 1, queue_length = 2, mean_burnout = 5, contacts = 10 };

void configure(PeerMentor& module, const std::vector<std::string>& options) {
  ParamTable t;
  module.declare(t);
  for (const auto& o : options) t.assign_from_option(o);
}

// Runs one replicate; each_day(day, arm, metrics) after every step.
template <class EachDay>
void run(ArmSimulation& arm, PeerMentor& module, std::uint32_t days, RandomKey key, EachDay&& each_day) {
  std::vector<double> m(module.metric_names().size());
  std::vector<std::span<double>> ms{m};
  arm.start_replicate(key, days);
  for (std::uint32_t d = 0; d < days; ++d) {
    arm.step(d, nullptr, ms);
    each_day(d, m);
  }
  arm.finish_replicate();
}

// Contacts on the days after the first, over the mentees matched at the end of the day before
// (a match takes effect the next day), while every mentor has the burnout `burnout`.
struct ContactRate {
  double contacts = 0.0, planned = 0.0;
  double rate() const { return contacts / planned; }
};

ContactRate contact_rate(const std::vector<std::string>& options, double burnout) {
  PeerMentor module;
  configure(module, options);
  const Parameters p = testing::closed_cohort(3000);  // the arm keeps a reference to it
  ArmSimulation arm(p, {{&module, stream_base}});
  ContactRate r;
  double matched_before = 0.0, burnout_before = -1.0;
  run(arm, module, 60, {41, 0}, [&](std::uint32_t d, const std::vector<double>& m) {
    if (d > 0 && burnout_before == burnout) {
      r.contacts += m[contacts];
      r.planned += matched_before;
    }
    matched_before = m[matched_mentees];
    burnout_before = m[mean_burnout];
  });
  return r;
}

}  // namespace

TEST_CASE("peer_mentor: planned contacts take place at fidelity_base x (1 - burnout_fidelity_loss x b)") {
  // contacts_per_week 7: every day of a match has a planned contact, so the day's contacts over
  // the mentees matched at its start estimate the fidelity; binomial SE, within 4.
  const std::vector<std::string> common = {"mentors=20", "contacts_per_week=7", "departure_hazard_per_day=0",
                                           "disengage_base_hazard_per_day=0"};
  struct Case {
    std::vector<std::string> options;
    double burnout, fidelity;
  };
  const std::vector<Case> cases = {
      // No load above the comfortable caseload: b stays 0.
      {{"comfortable_caseload=12"}, 0.0, 0.9},
      {{"comfortable_caseload=12", "fidelity_base=0.7"}, 0.0, 0.7},
      // A full caseload 12 over 0, a rise of 1 a mentee and no supervision: b is 1 from day 1.
      {{"comfortable_caseload=0", "burnout_rise_per_excess_mentee_per_day=1", "supervision_hours_per_week=0"},
       1.0,
       0.9 * 0.5},
      {{"comfortable_caseload=0", "burnout_rise_per_excess_mentee_per_day=1", "supervision_hours_per_week=0",
        "fidelity_base=0.8", "burnout_fidelity_loss=0.25"},
       1.0,
       0.8 * 0.75},
  };
  for (const Case& c : cases) {
    std::vector<std::string> options = common;
    options.insert(options.end(), c.options.begin(), c.options.end());
    const ContactRate r = contact_rate(options, c.burnout);
    const double se = std::sqrt(c.fidelity * (1.0 - c.fidelity) / r.planned);
    INFO(c.options.back(), ": ", r.contacts, " contacts of ", r.planned, " planned = ", r.rate(), " against ",
         c.fidelity, " (SE ", se, ")");
    CHECK(r.planned > 10000);
    CHECK(std::fabs(r.rate() - c.fidelity) < 4.0 * se);
  }
}

TEST_CASE(
    "peer_mentor: a supervisor with lived experience removes burnout lived_experience_supervision_gain times "
    "faster") {
  // Two mentors, always full (a long queue): from day 1 each carries 12 mentees, 4 above the
  // comfortable 8, so b <- b + 0.001 x 4 - 0.05 x (2 / 7) x gain x b, exactly, every day.
  for (const bool lived : {false, true}) {
    PeerMentor module;
    configure(module, {"mentors=2", "departure_hazard_per_day=0", "recruit_probability_per_day=0", "duration_days=400",
                       std::string("supervisor_lived_experience=") + (lived ? "true" : "false")});
    const Parameters p = testing::closed_cohort(2000);  // the arm keeps a reference to it
    ArmSimulation arm(p, {{&module, stream_base}});
    const double gain = lived ? 1.25 : 1.0, recovery = 0.05 * 2.0 / 7.0 * gain;
    double expected = 0.0, largest_gap = 0.0, queue_least = 1e9;
    run(arm, module, 400, {43, 0}, [&](std::uint32_t d, const std::vector<double>& m) {
      if (d > 0) expected = std::clamp(expected + 0.001 * 4.0 - recovery * expected, 0.0, 1.0);
      largest_gap = std::max(largest_gap, std::fabs(m[mean_burnout] - expected));
      queue_least = std::min(queue_least, m[queue_length]);
    });
    INFO("lived experience ", lived, ": burnout ", expected, " on the last day");
    CHECK(queue_least > 0.0);
    CHECK(largest_gap < 1e-12);
    // The steady state 0.004 / recovery: 0.28 and 0.224.
    CHECK(expected == doctest::Approx(0.004 / recovery).epsilon(0.05));
  }
}

TEST_CASE("peer_mentor: a recruit takes trainee_caseload mentees until certified by supervised hours") {
  // 100 supervised hours at 40 a week (40 / 7 a day, counted from the first working day):
  // certified at the end of step 1 of the 18th working day, so 4 mentees at most before it.
  const std::vector<std::string> pipeline = {"mentors=1",
                                             "duration_days=0",
                                             "recruit_after_abstinent_days=30",
                                             "recruit_probability_per_day=0.05",
                                             "recruits_max=3",
                                             "recruit_training_days=5",
                                             "departure_hazard_per_day=0",
                                             "disengage_base_hazard_per_day=0"};
  struct Case {
    std::string option;
    bool certifies;
  };
  for (const Case& c :
       {Case{"certification_supervised_hours=100", true}, Case{"supervision_hours_per_week=0", false}}) {
    PeerMentor module;
    std::vector<std::string> options = pipeline;
    options.push_back(c.option);
    configure(module, options);
    const Parameters p = testing::open_cohort(20.0, 250);  // the arm keeps a reference to it
    ArmSimulation arm(p, {{&module, stream_base}});
    // Per recruited position: the first day with a mentee, and the first with more than 4.
    std::vector<std::int32_t> first_working(16, -1), first_over(16, -1);
    std::string state;
    run(arm, module, 250, {47, 0}, [&](std::uint32_t d, const std::vector<double>&) {
      if (state.empty()) state = module.check_state(arm.population());
      for (std::size_t m = 1; m < module.positions(); ++m) {
        const std::int32_t load = module.mentor_load(m);
        if (load > 0 && first_working[m] < 0) first_working[m] = static_cast<std::int32_t>(d);
        if (load > 4 && first_over[m] < 0) first_over[m] = static_cast<std::int32_t>(d);
      }
    });
    CHECK(state == "");
    int working = 0, certified = 0;
    for (std::size_t m = 1; m < module.positions(); ++m) {
      INFO(c.option, ": recruit position ", m, " works from day ", first_working[m], ", over 4 from ", first_over[m]);
      working += first_working[m] >= 0;
      if (first_over[m] < 0) continue;
      ++certified;
      CHECK(first_over[m] >= first_working[m] + 17);
    }
    CHECK(working >= 2);
    CHECK(certified == (c.certifies ? working : 0));
  }
}

TEST_CASE("peer_mentor: outreach serves people out of treatment and raises their entry hazard" *
          doctest::test_suite("statistical")) {
  // A community start with a neutral entry hazard (the base alone, 0.01 a day): the daily entry
  // probability is 1 - exp(-0.01 x 1.5) while matched and 1 - exp(-0.01) while not, each
  // estimated over the person-days out of treatment that start the day, within 4 binomial SE.
  Parameters p = testing::closed_cohort(6000);
  p.population.start = CohortStart::community;
  p.treatment.entry = {.base_hazard_per_day = 0.01,
                       .engagement_coefficient = 0.0,
                       .craving_coefficient = 0.0,
                       .mental_health_coefficient = 0.0,
                       .state_multiplier = {1.0, 1.0, 1.0, 1.0, 1.0}};
  PeerMentor module;
  configure(module, {"match_on=outreach", "mentors=100", "caseload=20", "departure_hazard_per_day=0",
                     "disengage_base_hazard_per_day=0", "duration_days=120"});
  ObservationPlan plan;
  constexpr std::uint32_t days = 150;
  plan.days = days;
  plan.record_events = true;
  ArmSimulation arm(p, {{&module, stream_base}}, plan);
  const std::size_t n = 6000;
  std::vector<std::uint8_t> matched_before(n, 0), out_before(n, 1), entered_today(n, 0);
  double at_risk[2] = {0, 0}, entries[2] = {0, 0};
  std::int64_t matched_in_treatment = 0, queued_in_treatment = 0;
  run(arm, module, days, {53, 0}, [&](std::uint32_t, const std::vector<double>&) {
    const Population& pop = arm.population();
    for (std::size_t i = 0; i < n; ++i) {
      const bool out = pop.treatment[i] != TreatmentStatus::in_treatment;
      const bool entered = out_before[i] && !out;
      if (out_before[i] && pop.state[i] != ClinicalState::deceased) {
        at_risk[matched_before[i]] += 1;
        entries[matched_before[i]] += entered;
      }
      const MenteeStatus status = module.status_of(i);
      matched_in_treatment += !out && status == MenteeStatus::matched;
      queued_in_treatment += !out && status == MenteeStatus::queued;
      matched_before[i] = status == MenteeStatus::matched;
      out_before[i] = out && pop.state[i] != ClinicalState::deceased;
    }
  });
  CHECK(matched_in_treatment == 0);
  CHECK(queued_in_treatment == 0);
  for (const int matched : {0, 1}) {
    const double expected = -std::expm1(-0.01 * (matched ? 1.5 : 1.0)), rate = entries[matched] / at_risk[matched];
    const double se = std::sqrt(expected * (1.0 - expected) / at_risk[matched]);
    INFO((matched ? "matched" : "not matched"), ": ", entries[matched], " entries in ", at_risk[matched],
         " days out of treatment = ", rate, " against ", expected, " (SE ", se, ")");
    CHECK(entries[matched] > 1000);
    CHECK(std::fabs(rate - expected) < 4.0 * se);
  }
  // Each entry while matched ends the match (detail 2, eligibility ended).
  std::int64_t ended_by_entry = 0;
  for (const RecordedEvent& e : arm.take_event_records())
    ended_by_entry += e.code == stream_base + PeerMentor::event_match_ended && e.detail == 2;
  CHECK(static_cast<double>(ended_by_entry) >= entries[1]);
}

TEST_CASE("peer_mentor: a mentee who steps down to the next setting stays matched while in treatment") {
  // Residential episodes all step down to outpatient care (a completion and a readmission on
  // the same day); with duration_days 20, shorter than the outpatient episode, a countdown
  // started at the step-down would end matches while people are still in treatment.
  Parameters p = testing::closed_cohort(3000);
  p.treatment.setting = static_cast<std::size_t>(Setting::residential);
  p.treatment.settings[static_cast<std::size_t>(Setting::residential)].step_down_probability = 1.0;
  PeerMentor module;
  configure(module, {"mentors=300", "caseload=12", "duration_days=20", "departure_hazard_per_day=0",
                     "disengage_base_hazard_per_day=0"});
  ArmSimulation arm(p, {{&module, stream_base}});
  std::int64_t stepped_down_in_treatment = 0, unmatched_in_treatment = 0;
  std::vector<std::uint8_t> was_matched(3000, 0);
  run(arm, module, 150, {59, 0}, [&](std::uint32_t, const std::vector<double>&) {
    const Population& pop = arm.population();
    for (std::size_t i = 0; i < 3000; ++i) {
      // Living and in treatment (the dead keep the status they died with).
      const bool treated = pop.treatment[i] == TreatmentStatus::in_treatment && pop.state[i] != ClinicalState::deceased;
      const bool outpatient = pop.setting[i] == static_cast<std::uint8_t>(Setting::outpatient);
      if (treated && outpatient && was_matched[i]) {
        ++stepped_down_in_treatment;
        unmatched_in_treatment += module.status_of(i) != MenteeStatus::matched;
      }
      was_matched[i] = was_matched[i] || module.status_of(i) == MenteeStatus::matched;
    }
  });
  INFO(unmatched_in_treatment, " of ", stepped_down_in_treatment, " days in the stepped-down episode without a mentor");
  CHECK(stepped_down_in_treatment > 10000);
  CHECK(unmatched_in_treatment == 0);
}
