// The peer_mentor module: its parameter table and the serial bookkeeping of the programme
// (after_day: burnout, eligibility, departures, hiring, recruitment, matching, metrics). The
// effects on matched agents are PeerMentor::effect (peer_mentor.hpp), run tile by tile inside
// the day kernel (peer_mentor_effects.cpp).
#include "peer_mentor.hpp"
#include "portable_math.hpp"

#include <algorithm>
#include <numeric>
#include <queue>

namespace recoverysim::recovery {

void PeerMentor::declare(ParamTable& t) {
  auto& p = p_;
  // ---- staffing and matching
  t.add_integer("mentors", p.mentors, 4, 0, 1'000'000, "mentors",
                "Mentor positions at the start, each a full-time mentor");
  t.add_integer("caseload", p.caseload, 12, 1, 1000, "mentees per mentor",
                "Most mentees one mentor may have (hard limit)");
  t.add_integer("comfortable_caseload", p.comfortable_caseload, 8, 0, 1000, "mentees per mentor",
                "Caseload above which a mentor's burnout rises");
  t.add_real("contacts_per_week", p.contacts_per_week, 1.0, 0.0, 7.0, "contacts per week",
             "Contacts per matched mentee; a day has a contact with probability contacts_per_week / 7");
  t.add_choice("match_on", p.match_on, MentorMatchOn::admission, {"admission", "discharge", "outreach"},
               "Eligibility starts at admission (or readmission), at discharge (completion or dropout), or, for "
               "outreach, when the person is out of treatment (arrival in the community, or dropout) until they "
               "enter treatment");
  t.add_choice("priority", p.priority, MentorQueuePriority::fifo, {"fifo", "severity"},
               "Queue order: first eligible first, or highest severity first (ties by agent index)");
  t.add_integer("duration_days", p.duration_days, 180, 0, 36500, "days",
                "Mentoring continues this many days after the agent's treatment ends (outreach: after eligibility "
                "opens)");
  t.add_real("fidelity_base", p.fidelity_base, 0.9, 0.0, 1.0, "probability",
             "Probability that a planned contact takes place, for a mentor without burnout");
  t.add_real("burnout_fidelity_loss", p.burnout_fidelity_loss, 0.5, 0.0, 1.0, "share per unit of burnout",
             "A planned contact takes place with probability fidelity_base x (1 - burnout_fidelity_loss x b)");
  t.add_real("disengage_base_hazard_per_day", p.disengage_base_hazard_per_day, 0.006688, 0.0, 1.0, "per day",
             "Hazard that a matched mentee stops meeting their mentor, at engagement 0.5 (calibrated to T15; "
             "MODEL-v2's 1/120 is a mean of 120 days; 0: matches last while eligible)");
  t.add_real("disengage_engagement_coefficient", p.disengage_engagement_coefficient, -2.0, -50.0, 50.0,
             "log-hazard per unit", "Disengagement log-hazard per unit of (w - 0.5): the engaged stay longer");
  t.add_integer("reengage_after_days", p.reengage_after_days, 0, 0, 36500, "days",
                "A mentee who disengaged rejoins the queue this many days later if still eligible (0: never, "
                "until a new eligibility window opens)");

  // ---- mentors: training, supervision, burnout, turnover
  t.add_real("training_hours", p.training_hours, 45.0, 0.0, 10000.0, "hours",
             "Training of each new mentor (certification standard)");
  t.add_real("training_scale_hours", p.training_scale_hours, 40.0, 0.01, 10000.0, "hours",
             "Effectiveness from training is 1 - exp(-training_hours / training_scale_hours)");
  t.add_real("supervision_hours_per_week", p.supervision_hours_per_week, 2.0, 0.0, 40.0, "hours per week",
             "Supervision each active mentor receives");
  t.add_boolean("supervisor_lived_experience", p.supervisor_lived_experience, false,
                "The supervisor has lived experience of recovery: supervision removes burnout "
                "lived_experience_supervision_gain times faster");
  t.add_real("lived_experience_supervision_gain", p.lived_experience_supervision_gain, 1.25, 0.0, 10.0, "multiplier",
             "Multiplier on supervision's burnout recovery when supervisor_lived_experience is true (an assumption)");
  t.add_real("burnout_rise_per_excess_mentee_per_day", p.burnout_rise_per_excess_mentee_per_day, 0.001, 0.0, 1.0,
             "burnout per mentee per day", "Daily rise of burnout per mentee above the comfortable caseload");
  t.add_real("burnout_recovery_per_supervision_hour", p.burnout_recovery_per_supervision_hour, 0.05, 0.0, 1.0,
             "share of burnout per hour",
             "Share of a mentor's burnout removed per hour of supervision (spread evenly over the week)");
  t.add_real("departure_hazard_per_day", p.departure_hazard_per_day, 0.00137, 0.0, 1.0, "per day",
             "Hazard that a mentor leaves, at burnout 0 (0.00137: a mean tenure of about two years)");
  t.add_real("departure_burnout_coefficient", p.departure_burnout_coefficient, 2.0, 0.0, 50.0, "log-hazard per unit",
             "Departure log-hazard added per unit of burnout (hazard x exp(coefficient x b))");
  t.add_integer("hiring_delay_days", p.hiring_delay_days, 60, 1, 3650, "days",
                "A departed mentor's position is filled by a new mentor (burnout 0) this many days later");

  // ---- pipeline: agents in long abstinence become mentors
  t.add_integer("recruit_after_abstinent_days", p.recruit_after_abstinent_days, 730, 1, 36500, "days",
                "Consecutive abstinent days (out of treatment) before an agent may be recruited as a mentor");
  t.add_real("recruit_probability_per_day", p.recruit_probability_per_day, 0.001, 0.0, 1.0, "probability per day",
             "Daily probability that a candidate is recruited (0 = no pipeline)");
  t.add_integer("recruits_max", p.recruits_max, 4, 0, 1'000'000, "mentors",
                "Most recruited mentors (in training or working) at any time, on top of the hired positions");
  t.add_integer("recruit_training_days", p.recruit_training_days, 30, 1, 3650, "days",
                "Training of a recruit before taking mentees");
  t.add_integer("trainee_caseload", p.trainee_caseload, 4, 1, 1000, "mentees per mentor",
                "Most mentees of a recruit not yet certified (at most caseload)");
  t.add_real("certification_supervised_hours", p.certification_supervised_hours, 500.0, 0.0, 100000.0, "hours",
             "Hours a recruit works under supervision (work_hours_per_week a week, while supervision_hours_per_week "
             "> 0) before certification and the full caseload; 0: recruits take the full caseload at once");

  // ---- effects on mentees
  t.add_real("contact_engagement_increment", p.contact_engagement_increment, 0.03, -1.0, 1.0, "engagement per contact",
             "Added to engagement w on a contact day, times the mentor's effectiveness");
  t.add_real("contact_self_efficacy_increment", p.contact_self_efficacy_increment, 0.01, -1.0, 1.0,
             "self-efficacy per contact",
             "Added to self-efficacy e on a contact day, times the mentor's effectiveness");
  t.add_real("contact_craving_increment", p.contact_craving_increment, -0.05, -1.0, 1.0, "craving per contact",
             "Added to craving c on a contact day, times the mentor's effectiveness");
  t.add_real("matched_support_connections", p.matched_support_connections, 0.25, -1.0, 1.0, "support",
             "Added to the support target g_target while matched");
  t.add_real("matched_stress_lapse_multiplier", p.matched_stress_lapse_multiplier, 0.6, 0.0, 100.0, "multiplier",
             "Lapse hazard multiplier on stress days while matched (high-risk-situation planning)");
  t.add_real("matched_dropout_multiplier", p.matched_dropout_multiplier, 0.7, 0.0, 100.0, "multiplier",
             "Dropout hazard multiplier while matched");
  t.add_real("matched_relapse_odds_multiplier", p.matched_relapse_odds_multiplier, 0.8, 0.0, 100.0, "multiplier",
             "Multiplier on the odds that a lapse becomes a relapse while matched");
  t.add_real("matched_entry_multiplier", p.matched_entry_multiplier, 1.5, 0.0, 100.0, "multiplier",
             "Treatment entry hazard multiplier while matched, under match_on: outreach (other modes leave entry "
             "alone)");

  // ---- costs
  t.add_real("salary_per_year", p.salary_per_year, 34000.0, 0.0, 1.0e9, "currency units per FTE-year",
             "Salary of a mentor, paid while working or in training");
  t.add_real("training_cost_per_hour", p.training_cost_per_hour, 25.0, 0.0, 1.0e6, "currency units per hour",
             "Cost of an hour of training, paid on the day each mentor starts (recruits: when training starts)");
  t.add_real("supervision_cost_per_hour", p.supervision_cost_per_hour, 40.0, 0.0, 1.0e6, "currency units per hour",
             "Cost of an hour of supervision (the supervisor's time)");
  t.add_real("work_hours_per_week", p.work_hours_per_week, 40.0, 1.0, 168.0, "hours per week",
             "Hours of one full-time equivalent; converts supervision hours into staff FTE, and is the week a "
             "recruit works towards certification");
}

std::vector<Metric> PeerMentor::metrics() const {
  return {{"mentors_active", "mentors", "mentors taking mentees (not vacant, not in training)"},
          {"matched_mentees", "people", "people with a mentor at the end of the day"},
          {"queue_length", "people", "eligible people waiting for a mentor at the end of the day"},
          {"queue_mean_days_so_far", "days",
           "mean over the people in the queue of the days they have waited so far (0 if none): a figure about the "
           "queue on a day, not a person's wait"},
          {"utilisation", "share",
           "matched_mentees / the active mentors' caseloads (a recruit not yet certified: trainee_caseload); 0 if no "
           "mentor is active"},
          {"mean_burnout", "burnout (0 to 1)", "mean burnout of the active mentors; 0 if none"},
          {"departures", "mentors", "active mentors who left today"},
          {"recruits", "people", "people recruited today as mentors (they start training)"},
          {"staff_fte", "FTE", "mentors working or in training plus their supervision, in full-time equivalents"},
          {"cost", "currency units", "the day's staff cost: salaries, supervision and training, undiscounted"},
          {"contacts", "contacts", "contacts that took place today (planned contacts at each mentor's fidelity)"}};
}

void PeerMentor::before_day(DayView&) {
  const double trained = 1.0 - portable::exp(-p_.training_hours / p_.training_scale_hours);
  effectiveness_.assign(positions_.size() + 1, 0.0);
  fidelity_.assign(positions_.size() + 1, 0.0);
  // Each mentor's effectiveness today, its training less its burnout at the start of the day,
  // and its fidelity, the share of planned contacts that take place.
  for (std::size_t m = 0; m < positions_.size(); ++m) {
    effectiveness_[m + 1] = trained * (1.0 - positions_[m].burnout);
    fidelity_[m + 1] = p_.fidelity_base * (1.0 - p_.burnout_fidelity_loss * positions_[m].burnout);
  }
}

// The mentors of the positions `leaving` (in position order) leave; their mentees return to the
// front of the queue, in agent order. A hired position is filled again after the hiring delay;
// a recruited one closes. One pass over the agents finds every leaving mentor's mentees.
void PeerMentor::depart(const DayView& view, std::int32_t day, const std::vector<std::size_t>& leaving) {
  if (leaving.empty()) return;
  std::vector<std::uint8_t> leaves(positions_.size(), 0);
  for (const std::size_t m : leaving) leaves[m] = 1;
  std::vector<std::int32_t> mentees;
  collect_agents(mentor_.size(), mentees, [&](std::size_t i) { return mentor_[i] >= 0 && leaves[mentor_[i]]; });
  for (const std::size_t m : leaving) {
    departures_today_ += active(m, day) ? 1 : 0;
    for (const std::int32_t agent : mentees) {
      const auto i = static_cast<std::size_t>(agent);
      if (mentor_[i] != static_cast<std::int32_t>(m)) continue;
      mentor_[i] = -1;
      view.emit(i, event_match_ended, 1);
      queue_.join(day, {.back = false, .priority = priority_[i], .agent = agent});
      returned_today_.push_back(agent);
    }
    positions_[m] = {.burnout = 0.0, .start_day = day + static_cast<std::int32_t>(p_.hiring_delay_days)};
  }
}

// Eligibility, from today's events: starts before ends, so that an agent admitted and
// discharged on the same day is handled in that order. Only agents with an event today, an
// eligibility window closing today or (outreach) arriving today can change, so only they are
// visited, in agent order.
void PeerMentor::update_eligibility(const DayView& view, std::int32_t day) {
  // Other events (lapse, relapse, resumption) do not bear on eligibility.
  agents_with_events(view, event_died | event_admitted | event_readmitted | event_completed | event_dropped_out,
                     candidates_);
  const bool outreach = p_.match_on == MentorMatchOn::outreach;
  const auto arrived_from = static_cast<std::int32_t>(day > 0 ? view.pop.admitted_by(day - 1) : 0);
  if (outreach) {  // today's arrivals, agents arrived_from .. admitted_by(day) - 1
    const auto arrivals = static_cast<std::int32_t>(view.pop.admitted_by(day)) - arrived_from;
    const auto middle = static_cast<std::ptrdiff_t>(candidates_.size());
    candidates_.resize(candidates_.size() + static_cast<std::size_t>(arrivals));
    std::iota(candidates_.begin() + middle, candidates_.end(), arrived_from);
    std::inplace_merge(candidates_.begin(), candidates_.begin() + middle, candidates_.end());
    candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
  }
  closing_.merge_due_into(day, candidates_);
  const std::uint8_t admission = event_admitted | event_readmitted, discharge = event_completed | event_dropped_out;
  const std::uint8_t opens = p_.match_on == MentorMatchOn::admission ? admission : discharge;
  for (const std::int32_t agent : candidates_) {
    const auto i = static_cast<std::size_t>(agent);
    const std::uint8_t events = view.events[i];
    const bool died = (events & event_died) != 0;
    // Outreach serves people out of treatment: from arrival in the community or a dropout,
    // until they enter treatment (or the window closes).
    const bool out_of_treatment = view.pop.treatment[i] != TreatmentStatus::in_treatment;
    const bool opening = outreach ? out_of_treatment && (agent >= arrived_from || (events & event_dropped_out) != 0)
                                  : (events & opens) != 0;
    if (!died && opening && status_of(i) == MenteeStatus::ineligible) {
      // The order after the returned mentees: the day eligibility began (fifo), or the
      // severity, highest first.
      const double severity = view.pop.severity[i];
      priority_[i] = p_.priority == MentorQueuePriority::fifo ? static_cast<double>(day) : -severity;
      view.emit(i, event_queued);
      queue_.join(day, {.priority = priority_[i], .agent = agent});
    }
    if (!died && status_of(i) != MenteeStatus::ineligible) {
      if (outreach) {
        if (!out_of_treatment) {
          eligible_until_[i] = day;  // entered treatment: the outreach has done its work
        } else if (opening) {
          eligible_until_[i] = day + static_cast<std::int32_t>(p_.duration_days);
          closing_.add(eligible_until_[i], agent);
        }
      } else if (!out_of_treatment) {
        // In treatment at the end of the day: an admission, or a completion that stepped down
        // to the next setting; the window stays open until treatment ends.
        eligible_until_[i] = open_ended;
      } else if ((events & discharge) != 0) {
        eligible_until_[i] = day + static_cast<std::int32_t>(p_.duration_days);
        closing_.add(eligible_until_[i], agent);
      }
    }
    if (!died && day < eligible_until_[i]) continue;
    // The agent leaves the programme: the match ends, or it leaves the queue unserved.
    if (mentor_[i] >= 0) {
      --positions_[static_cast<std::size_t>(mentor_[i])].load;
      mentor_[i] = -1;
      view.emit(i, event_match_ended, 2);
      view.emit(i, event_left, 2);
    } else if (queue_.waiting(i)) {
      queue_.leave(i, day);
      view.emit(i, event_left, 1);
    }
  }
}

// Matched mentees who stop meeting their mentor today, each on its own draw; their places free
// at once. One who may re-engage rejoins the queue reengage_after_days later, if still eligible
// then and not in the programme again by a new window.
void PeerMentor::disengage(const DayView& view, std::int32_t day) {
  if (p_.reengage_after_days > 0) {
    candidates_.clear();
    reengaging_.merge_due_into(day, candidates_);
    for (const std::int32_t agent : candidates_) {
      const auto i = static_cast<std::size_t>(agent);
      if (view.pop.state[i] == ClinicalState::deceased || status_of(i) != MenteeStatus::ineligible ||
          day >= eligible_until_[i])
        continue;
      // Back of the queue (fifo), or by severity as before.
      if (p_.priority == MentorQueuePriority::fifo) priority_[i] = static_cast<double>(day);
      view.emit(i, event_queued);
      queue_.join(day, {.priority = priority_[i], .agent = agent});
    }
  }
  if (p_.disengage_base_hazard_per_day <= 0.0) return;
  const auto& pop = view.pop;
  collect_agents(mentor_.size(), candidates_, [&](std::size_t i) {
    if (mentor_[i] < 0) return false;
    const double hazard = p_.disengage_base_hazard_per_day *
                          portable::exp(p_.disengage_engagement_coefficient * (pop.engagement[i] - 0.5));
    const auto u =
        philox_block(view.key, static_cast<std::uint32_t>(i), view.day, stream_base() + stream_disengage, 0)[0];
    return bernoulli(u, hazard_to_probability(hazard));
  });
  for (const std::int32_t agent : candidates_) {
    const auto i = static_cast<std::size_t>(agent);
    --positions_[static_cast<std::size_t>(mentor_[i])].load;
    mentor_[i] = -1;
    view.emit(i, event_match_ended, 3);
    if (p_.reengage_after_days > 0) reengaging_.add(day + static_cast<std::int32_t>(p_.reengage_after_days), agent);
  }
}

// Candidates: admitted, alive, abstinent for long enough, out of treatment, not in the
// programme as a mentee, never recruited before. In agent order, up to the cap.
void PeerMentor::recruit(const DayView& view, std::int32_t day) {
  auto recruits = std::ranges::count_if(positions_, [](const Position& m) { return m.recruit >= 0; });
  // Abstinent runs start at 0 on day 0 and grow by at most a day a day: before day
  // recruit_after_abstinent_days - 1 nobody can be a candidate, and nobody need be looked at.
  if (recruits >= p_.recruits_max || p_.recruit_probability_per_day <= 0.0 || day + 1 < p_.recruit_after_abstinent_days)
    return;

  const auto& pop = view.pop;
  // Each agent's test and draw concern that agent alone: found in parallel, taken in order.
  collect_agents(std::min(mentor_.size(), pop.admitted_by(day)), candidates_, [&](std::size_t i) {
    if (pop.abstinent_run[i] < p_.recruit_after_abstinent_days || !is_abstinent(pop.state[i]) ||
        pop.treatment[i] == TreatmentStatus::in_treatment || status_of(i) != MenteeStatus::ineligible ||
        recruited_day_[i] >= 0)
      return false;
    const auto u =
        philox_block(view.key, static_cast<std::uint32_t>(i), view.day, stream_base() + stream_recruit, 0)[0];
    return bernoulli(u, p_.recruit_probability_per_day);
  });
  for (const std::int32_t agent : candidates_) {
    if (recruits >= p_.recruits_max) break;
    // The first closed recruited position, or a new one.
    std::size_t m = hired_;
    while (m < positions_.size() && in_use(m)) ++m;
    if (m == positions_.size()) positions_.emplace_back();
    positions_[m] = {.start_day = day + static_cast<std::int32_t>(p_.recruit_training_days), .recruit = agent};
    recruited_day_[static_cast<std::size_t>(agent)] = day;
    ++recruits_today_;
    ++trainings_today_;
    ++recruits;
  }
}

// Serial matching in queue order; each agent goes to the active mentor with the fewest
// mentees (ties: lowest position), which spreads the load and so the burnout.
void PeerMentor::match_queue(const DayView& view, std::int32_t day) {
  using LoadPosition = std::pair<std::int32_t, std::size_t>;
  std::priority_queue<LoadPosition, std::vector<LoadPosition>, std::greater<>> room;
  for (std::size_t m = 0; m < positions_.size(); ++m)
    if (active(m, day) && positions_[m].load < caseload_of(m)) room.emplace(positions_[m].load, m);
  while (!room.empty() && queue_.size() > 0) {
    const auto [load, m] = room.top();
    room.pop();
    const std::int32_t agent = queue_.serve(day);
    mentor_[static_cast<std::size_t>(agent)] = static_cast<std::int32_t>(m);
    positions_[m].load = load + 1;
    if (load + 1 < caseload_of(m)) room.emplace(load + 1, m);
    view.emit(static_cast<std::size_t>(agent), event_matched,
              static_cast<std::int16_t>(std::min<std::size_t>(m, 32767)));
  }
}

void PeerMentor::after_day(DayView& view, std::span<double> metrics) {
  const auto day = static_cast<std::int32_t>(view.day);
  last_day_ = day;
  returned_today_.clear();
  departures_today_ = recruits_today_ = trainings_today_ = 0;

  // 1. Burnout over the caseload each mentor carried today: it rises with the excess over the
  //    comfortable caseload and supervision removes a share of it, so a steady load settles
  //    at rise x excess / recovery. (A position not working has no mentees and no burnout,
  //    which this leaves at 0.)
  //    A supervisor with lived experience makes supervision lived_experience_supervision_gain
  //    times as effective. A working recruit accrues supervised hours towards certification.
  const double gain = p_.supervisor_lived_experience ? p_.lived_experience_supervision_gain : 1.0;
  const double recovery =
      p_.burnout_recovery_per_supervision_hour * p_.supervision_hours_per_week / days_per_week * gain;
  const double supervised_hours = p_.supervision_hours_per_week > 0.0 ? p_.work_hours_per_week / days_per_week : 0.0;
  for (std::size_t m = 0; m < positions_.size(); ++m) {
    Position& position = positions_[m];
    const auto excess = static_cast<double>(std::max<std::int64_t>(0, position.load - p_.comfortable_caseload));
    position.burnout =
        std::clamp(position.burnout + p_.burnout_rise_per_excess_mentee_per_day * excess - recovery * position.burnout,
                   0.0, 1.0);
    position.supervised_hours += recruited(m) && active(m, day) ? supervised_hours : 0.0;
  }
  update_eligibility(view, day);  // 2. Eligibility.
  disengage(view, day);           //    Mentees who drift away, and those who come back.

  // 3. Mentor positions: hires and recruits whose start day has come start (a hire's training
  //    is paid that day), recruits who relapse or die step down, and working mentors leave
  //    with a hazard that grows with burnout.
  std::vector<std::size_t> leaving;
  for (std::size_t m = 0; m < positions_.size(); ++m) {
    const Position& position = positions_[m];
    trainings_today_ += !recruited(m) && position.start_day == day ? 1 : 0;
    const bool steps_down = position.recruit >= 0 && (view.events[static_cast<std::size_t>(position.recruit)] &
                                                      (event_died | event_relapsed)) != 0;
    const double hazard =
        p_.departure_hazard_per_day * portable::exp(p_.departure_burnout_coefficient * position.burnout);
    const std::uint32_t u =
        philox_block(view.key, static_cast<std::uint32_t>(m), view.day, stream_base() + stream_departure, 0)[0];
    if (steps_down || (active(m, day) && bernoulli(u, hazard_to_probability(hazard)))) leaving.push_back(m);
  }
  depart(view, day, leaving);

  recruit(view, day);      // 4. Pipeline.
  match_queue(view, day);  // 5. Queue and matching.

  // 6. The metrics.
  double working = 0.0, paid = 0.0, matched = 0.0, burnout_sum = 0.0, capacity = 0.0;  // paid: working or training
  for (std::size_t m = 0; m < positions_.size(); ++m) {
    matched += positions_[m].load;
    paid += in_use(m) && (recruited(m) || active(m, day)) ? 1.0 : 0.0;
    if (!active(m, day)) continue;
    working += 1.0;
    burnout_sum += positions_[m].burnout;
    capacity += caseload_of(m);
  }
  const double values[] = {working,
                           matched,
                           static_cast<double>(queue_.size()),
                           queue_.mean_days_so_far(day),
                           capacity > 0.0 ? matched / capacity : 0.0,
                           working > 0.0 ? burnout_sum / working : 0.0,
                           static_cast<double>(departures_today_),
                           static_cast<double>(recruits_today_),
                           paid + working * p_.supervision_hours_per_week / p_.work_hours_per_week,  // staff_fte
                           paid * p_.salary_per_year / days_per_year +                               // cost
                               working * p_.supervision_hours_per_week / days_per_week * p_.supervision_cost_per_hour +
                               static_cast<double>(trainings_today_) * p_.training_hours * p_.training_cost_per_hour,
                           static_cast<double>(view.effects_total)};
  std::copy(std::begin(values), std::end(values), metrics.begin());
}

std::vector<AgentColumn> PeerMentor::agent_columns() const {
  return {{"matched_days", matched_days_, "days", "days on which the person had a mentor"},
          {"wait_days", queue_.days_before_served(last_day_), "days",
           "days in the queue before the first match (0 if matched the day it became eligible); -1 if never queued"},
          {"first_match_day", queue_.first_served_day(), "day", "day of the first match; -1 if never matched"},
          {"recruited_day", recruited_day_, "day", "day the person was recruited as a mentor; -1 if never"},
          {"first_queued_day", queue_.first_queued_day(), "day",
           "first day in the queue (start of the first wait); -1 if never"},
          {"left_unserved_day", queue_.left_unserved_day(), "day",
           "day the first wait ended without a match (eligibility ended, or death); -1 if matched or still waiting"}};
}

std::string PeerMentor::check_state(const Population& pop) const {
  std::vector<std::int32_t> mentees(positions_.size(), 0);
  for (std::size_t i = 0; i < mentor_.size(); ++i) {
    if (status_of(i) != MenteeStatus::ineligible && pop.state[i] == ClinicalState::deceased)
      return "deceased agent " + std::to_string(i) + " in the programme";
    if (mentor_[i] >= 0) ++mentees.at(static_cast<std::size_t>(mentor_[i]));
  }
  std::int64_t room = 0;
  for (std::size_t m = 0; m < positions_.size(); ++m) {
    const Position& p = positions_[m];
    if (p.load != mentees[m] || p.load > caseload_of(m) ||
        (!active(m, last_day_) && (p.load > 0 || p.burnout != 0.0)) ||
        (p.recruit >= 0 && pop.state[static_cast<std::size_t>(p.recruit)] == ClinicalState::deceased))
      return "mentor " + std::to_string(m) + ": its load, mentees, caseload, status, burnout or recruit disagree";
    room += active(m, last_day_) ? caseload_of(m) - p.load : 0;
  }
  if (queue_.size() > 0 && room > 0) return "agents wait while a mentor has room";
  return {};
}

}  // namespace recoverysim::recovery
