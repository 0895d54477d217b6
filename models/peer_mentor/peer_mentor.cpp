// The peer_mentor module: its parameter table, the daily effects on matched agents
// (before_day, parallel over agents), and the serial bookkeeping of the programme
// (after_day: eligibility, queue, matching, burnout, departures, hiring, recruitment, metrics).
#include "peer_mentor.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <functional>
#include <queue>
#include <utility>

namespace recoverysim::recovery {

namespace {

constexpr std::int32_t open_ended = INT32_MAX;  // eligibility end while in treatment
constexpr double days_per_year = 365.0;
constexpr double days_per_week = 7.0;

// Metric columns, in metric_names() order.
enum Metric : std::size_t {
  metric_mentors_active,
  metric_matched_mentees,
  metric_queue_length,
  metric_mean_wait_days,
  metric_utilisation,
  metric_mean_burnout,
  metric_departures,
  metric_recruits,
  metric_staff_fte,
  metric_cost,
  metric_count
};

bool has(std::uint8_t events, std::uint8_t flag) { return (events & flag) != 0; }

}  // namespace

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
  t.add_choice("match_on", p.match_on, MentorMatchOn::admission, {"admission", "discharge"},
               "Eligibility starts at admission (or readmission), or at discharge (completion or dropout)");
  t.add_choice("priority", p.priority, MentorQueuePriority::fifo, {"fifo", "severity"},
               "Queue order: first eligible first, or highest severity first (ties by agent index)");
  t.add_integer("duration_days", p.duration_days, 180, 0, 36500, "days",
                "Mentoring continues this many days after the agent's treatment ends");

  // ---- mentors: training, supervision, burnout, turnover
  t.add_real("training_hours", p.training_hours, 45.0, 0.0, 10000.0, "hours",
             "Training of each new mentor (certification standard)");
  t.add_real("training_scale_hours", p.training_scale_hours, 40.0, 0.01, 10000.0, "hours",
             "Effectiveness from training is 1 - exp(-training_hours / training_scale_hours)");
  t.add_real("supervision_hours_per_week", p.supervision_hours_per_week, 2.0, 0.0, 40.0, "hours per week",
             "Supervision each active mentor receives");
  t.add_real("burnout_rise_per_excess_mentee_per_day", p.burnout_rise_per_excess_mentee_per_day, 0.001, 0.0, 1.0,
             "burnout per mentee per day", "Daily rise of burnout per mentee above the comfortable caseload");
  t.add_real("burnout_recovery_per_supervision_hour", p.burnout_recovery_per_supervision_hour, 0.05, 0.0, 1.0,
             "share of burnout per hour",
             "Share of a mentor's burnout removed per hour of supervision (spread evenly over the week)");
  t.add_real("departure_hazard_per_day", p.departure_hazard_per_day, 0.00137, 0.0, 1.0, "per day",
             "Hazard that a mentor leaves, at burnout 0 (0.00137: a mean tenure of about two years)");
  t.add_real("departure_burnout_coefficient", p.departure_burnout_coefficient, 2.0, 0.0, 50.0,
             "log-hazard per unit", "Departure log-hazard added per unit of burnout (hazard x exp(coefficient x b))");
  t.add_integer("hiring_delay_days", p.hiring_delay_days, 60, 1, 3650, "days",
                "A departed mentor's position is filled by a new mentor (burnout 0) this many days later");

  // ---- pipeline: agents in long abstinence become mentors
  t.add_integer("recruit_after_abstinent_days", p.recruit_after_abstinent_days, 365, 1, 36500, "days",
                "Consecutive abstinent days (out of treatment) before an agent may be recruited as a mentor");
  t.add_real("recruit_probability_per_day", p.recruit_probability_per_day, 0.001, 0.0, 1.0, "probability per day",
             "Daily probability that a candidate is recruited (0 = no pipeline)");
  t.add_integer("recruits_max", p.recruits_max, 4, 0, 1'000'000, "mentors",
                "Most recruited mentors (in training or working) at any time, on top of the hired positions");
  t.add_integer("recruit_training_days", p.recruit_training_days, 30, 1, 3650, "days",
                "Training of a recruit before taking mentees");

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

  // ---- costs
  t.add_real("salary_per_year", p.salary_per_year, 34000.0, 0.0, 1.0e9, "currency units per FTE-year",
             "Salary of a mentor, paid while working or in training");
  t.add_real("training_cost_per_hour", p.training_cost_per_hour, 25.0, 0.0, 1.0e6, "currency units per hour",
             "Cost of an hour of training, paid on the day each mentor starts (recruits: when training starts)");
  t.add_real("supervision_cost_per_hour", p.supervision_cost_per_hour, 40.0, 0.0, 1.0e6, "currency units per hour",
             "Cost of an hour of supervision (the supervisor's time)");
  t.add_real("work_hours_per_week", p.work_hours_per_week, 40.0, 1.0, 168.0, "hours per week",
             "Hours of one full-time equivalent; converts supervision hours into staff FTE");
}

void PeerMentor::validate(const ParamTable& table) const {
  // Every position holds a block of `caseload` mentee slots; refuse what could not be allocated.
  const double slots = static_cast<double>(p_.mentors + p_.recruits_max) * static_cast<double>(p_.caseload);
  if (slots > 1e8)
    throw InputError(table.where_set("mentors"), "(mentors + recruits_max) x caseload = " + format_value(slots) +
                                                     " mentee slots; at most 1e8 are supported");
}

std::vector<std::string> PeerMentor::metric_names() const {
  return {"mentors_active", "matched_mentees", "queue_length", "mean_wait_days", "utilisation",
          "mean_burnout",   "departures",      "recruits",     "staff_fte",      "cost"};
}

void PeerMentor::start_replicate(const ReplicateContext& ctx, std::size_t agents) {
  stream_base_ = ctx.stream_base;
  caseload_ = static_cast<std::size_t>(p_.caseload);

  status_.assign(agents, MenteeStatus::ineligible);
  mentor_.assign(agents, -1);
  eligible_until_.assign(agents, -1);
  eligible_since_.assign(agents, -1);
  queued_since_.assign(agents, -1);
  at_front_.assign(agents, 0);
  matched_days_.assign(agents, 0);
  wait_days_.assign(agents, -1);
  first_match_day_.assign(agents, -1);
  recruited_day_.assign(agents, -1);

  const auto positions = static_cast<std::size_t>(p_.mentors);
  mentor_status_.assign(positions, MentorStatus::active);
  burnout_.assign(positions, 0.0);
  effectiveness_.assign(positions, 0.0);
  start_day_.assign(positions, 0);
  recruit_agent_.assign(positions, -1);
  load_.assign(positions, 0);
  mentees_.assign(positions * caseload_, -1);

  queue_.clear();
  entering_.clear();
  returned_today_.clear();
  departures_today_ = 0;
  recruits_today_ = 0;
  trainings_today_ = p_.mentors;  // the initial mentors are trained on day 0
}

void PeerMentor::before_day(DayView& view) {
  const double trained = 1.0 - std::exp(-p_.training_hours / p_.training_scale_hours);
  for (std::size_t m = 0; m < mentor_status_.size(); ++m) effectiveness_[m] = trained * (1.0 - burnout_[m]);

  const double contact_probability = p_.contacts_per_week / days_per_week;
  const auto support = static_cast<float>(p_.matched_support_connections);
  const auto stress_lapse = static_cast<float>(p_.matched_stress_lapse_multiplier);
  const auto dropout = static_cast<float>(p_.matched_dropout_multiplier);
  const auto relapse_odds = static_cast<float>(p_.matched_relapse_odds_multiplier);
  auto& fx = view.effects;
  const std::uint32_t stream = stream_base_ + stream_contact;

  // Each matched agent's effects depend only on its own draw and its mentor's (read-only) state.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, status_.size(), 2048), [&](const auto& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      if (status_[i] != MenteeStatus::matched) continue;
      ++matched_days_[i];
      fx.support_connections[i] += support;
      fx.stress_lapse_multiplier[i] *= stress_lapse;
      fx.dropout_multiplier[i] *= dropout;
      fx.relapse_odds_multiplier[i] *= relapse_odds;
      const auto u = philox_block(view.key, static_cast<std::uint32_t>(i), view.day, stream, 0)[0];
      if (!bernoulli(u, contact_probability)) continue;
      const double e = effectiveness_[static_cast<std::size_t>(mentor_[i])];
      fx.engagement_increment[i] += static_cast<float>(p_.contact_engagement_increment * e);
      fx.self_efficacy_increment[i] += static_cast<float>(p_.contact_self_efficacy_increment * e);
      fx.craving_increment[i] += static_cast<float>(p_.contact_craving_increment * e);
    }
  });
}

void PeerMentor::enter_queue(std::int32_t agent, std::int32_t day) {
  const auto i = static_cast<std::size_t>(agent);
  status_[i] = MenteeStatus::queued;
  eligible_since_[i] = day;
  queued_since_[i] = day;
  at_front_[i] = 0;
  if (wait_days_[i] < 0) wait_days_[i] = 0;
  entering_.push_back(agent);
}

void PeerMentor::unlink(std::int32_t agent) {
  const auto i = static_cast<std::size_t>(agent);
  const auto m = static_cast<std::size_t>(mentor_[i]);
  auto* slots = mentees_.data() + m * caseload_;
  const auto n = static_cast<std::size_t>(load_[m]);
  for (std::size_t j = 0; j < n; ++j)
    if (slots[j] == agent) {
      slots[j] = slots[n - 1];
      slots[n - 1] = -1;
      --load_[m];
      break;
    }
  mentor_[i] = -1;
}

// Leaves the programme: the match ends or the agent is dropped from the queue (the queue
// itself is compacted once a day).
void PeerMentor::leave(std::int32_t agent) {
  const auto i = static_cast<std::size_t>(agent);
  if (status_[i] == MenteeStatus::matched) unlink(agent);
  status_[i] = MenteeStatus::ineligible;
  at_front_[i] = 0;
}

// The mentor of `position` leaves; its mentees return to the front of the queue. A hired
// position is refilled after the hiring delay; a recruited one is closed.
void PeerMentor::depart(std::size_t position, std::int32_t day) {
  if (mentor_status_[position] == MentorStatus::active) ++departures_today_;
  auto* slots = mentees_.data() + position * caseload_;
  const auto n = static_cast<std::size_t>(load_[position]);
  std::sort(slots, slots + n);  // a fixed order, whatever the order of matching
  for (std::size_t j = 0; j < n; ++j) {
    const auto i = static_cast<std::size_t>(slots[j]);
    status_[i] = MenteeStatus::queued;
    mentor_[i] = -1;
    queued_since_[i] = day;
    at_front_[i] = 1;
    returned_today_.push_back(slots[j]);
    slots[j] = -1;
  }
  load_[position] = 0;
  burnout_[position] = 0.0;
  if (recruit_agent_[position] >= 0) {
    mentor_status_[position] = MentorStatus::closed;
    recruit_agent_[position] = -1;
  } else {
    mentor_status_[position] = MentorStatus::vacant;
    start_day_[position] = day + static_cast<std::int32_t>(p_.hiring_delay_days);
  }
}

// Candidates: admitted, alive, abstinent for long enough, out of treatment, not in the
// programme as a mentee, never recruited before. Serial in agent order, up to the cap.
void PeerMentor::recruit(const DayView& view) {
  std::int64_t open = 0;
  for (std::size_t m = 0; m < mentor_status_.size(); ++m)
    open += recruit_agent_[m] >= 0 && (mentor_status_[m] == MentorStatus::active ||
                                       mentor_status_[m] == MentorStatus::training);
  if (open >= p_.recruits_max || p_.recruit_probability_per_day <= 0.0) return;

  const auto& pop = view.pop;
  const auto day = static_cast<std::int32_t>(view.day);
  const std::uint32_t stream = stream_base_ + stream_recruit;
  for (std::size_t i = 0; i < status_.size() && open < p_.recruits_max; ++i) {
    if (pop.admission_day(i) > day || !is_abstinent(pop.state[i]) ||
        pop.abstinent_run[i] < p_.recruit_after_abstinent_days || pop.treatment[i] == TreatmentStatus::in_treatment ||
        status_[i] != MenteeStatus::ineligible || recruited_day_[i] >= 0)
      continue;
    const auto u = philox_block(view.key, static_cast<std::uint32_t>(i), view.day, stream, 0)[0];
    if (!bernoulli(u, p_.recruit_probability_per_day)) continue;

    std::size_t position = 0;
    while (position < mentor_status_.size() && mentor_status_[position] != MentorStatus::closed) ++position;
    if (position == mentor_status_.size()) {
      mentor_status_.push_back(MentorStatus::closed);
      burnout_.push_back(0.0);
      effectiveness_.push_back(0.0);
      start_day_.push_back(0);
      recruit_agent_.push_back(-1);
      load_.push_back(0);
      mentees_.resize(mentees_.size() + caseload_, -1);
    }
    mentor_status_[position] = MentorStatus::training;
    start_day_[position] = day + static_cast<std::int32_t>(p_.recruit_training_days);
    recruit_agent_[position] = static_cast<std::int32_t>(i);
    burnout_[position] = 0.0;
    recruited_day_[i] = day;
    ++recruits_today_;
    ++trainings_today_;
    ++open;
  }
}

// Queue order: returned mentees first; then by eligibility day (fifo) or severity, then index.
bool PeerMentor::queued_before(const Population& pop, std::int32_t a, std::int32_t b) const {
  const auto i = static_cast<std::size_t>(a);
  const auto j = static_cast<std::size_t>(b);
  if (at_front_[i] != at_front_[j]) return at_front_[i] > at_front_[j];
  if (p_.priority == MentorQueuePriority::fifo) {
    if (eligible_since_[i] != eligible_since_[j]) return eligible_since_[i] < eligible_since_[j];
  } else if (pop.severity[i] != pop.severity[j]) {
    return pop.severity[i] > pop.severity[j];
  }
  return a < b;
}

// Serial matching in queue order; each agent goes to the active mentor with the fewest
// mentees (ties: lowest position), which spreads the load and so the burnout.
void PeerMentor::match_queue(const Population& pop) {
  const bool grew = !entering_.empty() || !returned_today_.empty();
  queue_.insert(queue_.end(), entering_.begin(), entering_.end());
  queue_.insert(queue_.end(), returned_today_.begin(), returned_today_.end());
  entering_.clear();
  std::erase_if(queue_, [&](std::int32_t a) { return status_[static_cast<std::size_t>(a)] != MenteeStatus::queued; });
  if (grew)
    std::sort(queue_.begin(), queue_.end(), [&](std::int32_t a, std::int32_t b) { return queued_before(pop, a, b); });

  if (queue_.empty()) return;
  // Active mentors with room, least loaded first (ties: lowest position): a total order, so
  // the matching is the same however it is computed.
  const auto cap = static_cast<std::int32_t>(caseload_);
  using LoadPosition = std::pair<std::int32_t, std::size_t>;
  std::priority_queue<LoadPosition, std::vector<LoadPosition>, std::greater<>> room;
  for (std::size_t m = 0; m < mentor_status_.size(); ++m)
    if (mentor_status_[m] == MentorStatus::active && load_[m] < cap) room.emplace(load_[m], m);

  std::size_t matched = 0;
  for (; matched < queue_.size() && !room.empty(); ++matched) {
    const auto [load, best] = room.top();
    room.pop();
    const std::int32_t agent = queue_[matched];
    const auto i = static_cast<std::size_t>(agent);
    mentees_[best * caseload_ + static_cast<std::size_t>(load)] = agent;
    load_[best] = load + 1;
    if (load + 1 < cap) room.emplace(load + 1, best);
    mentor_[i] = static_cast<std::int32_t>(best);
    status_[i] = MenteeStatus::matched;
    at_front_[i] = 0;
  }
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(matched));
}

void PeerMentor::after_day(DayView& view, std::span<double> metrics) {
  const auto& pop = view.pop;
  const auto day = static_cast<std::int32_t>(view.day);
  returned_today_.clear();

  // 1. Burnout over the caseload each mentor carried today: it rises with the excess over the
  //    comfortable caseload and supervision removes a share of it, so a steady load settles
  //    at rise x excess / recovery.
  const double recovery = p_.burnout_recovery_per_supervision_hour * p_.supervision_hours_per_week / days_per_week;
  for (std::size_t m = 0; m < mentor_status_.size(); ++m) {
    if (mentor_status_[m] != MentorStatus::active) continue;
    const auto excess = static_cast<double>(std::max<std::int64_t>(0, load_[m] - p_.comfortable_caseload));
    const double b = burnout_[m];
    burnout_[m] = std::clamp(b + p_.burnout_rise_per_excess_mentee_per_day * excess - recovery * b, 0.0, 1.0);
  }

  // 2. Eligibility, from today's events: starts before ends, so that an agent admitted and
  //    discharged on the same day is handled in that order.
  for (std::size_t i = 0; i < status_.size(); ++i) {
    const std::uint8_t ev = view.events[i];
    const auto agent = static_cast<std::int32_t>(i);
    if (has(ev, event_died)) {
      if (status_[i] != MenteeStatus::ineligible) leave(agent);
      continue;
    }
    if (has(ev, event_admitted | event_readmitted)) {
      if (status_[i] == MenteeStatus::ineligible && p_.match_on == MentorMatchOn::admission) enter_queue(agent, day);
      if (status_[i] != MenteeStatus::ineligible) eligible_until_[i] = open_ended;
    }
    if (has(ev, event_completed | event_dropped_out)) {
      if (status_[i] == MenteeStatus::ineligible && p_.match_on == MentorMatchOn::discharge) enter_queue(agent, day);
      if (status_[i] != MenteeStatus::ineligible)
        eligible_until_[i] = day + static_cast<std::int32_t>(p_.duration_days);
    }
    if (status_[i] != MenteeStatus::ineligible && day >= eligible_until_[i]) leave(agent);
  }

  // 3. Mentor positions: hires and recruits start, recruits who relapse or die step down,
  //    mentors leave with a hazard that grows with burnout.
  const std::uint32_t departure_stream = stream_base_ + stream_departure;
  for (std::size_t m = 0; m < mentor_status_.size(); ++m) {
    if (mentor_status_[m] == MentorStatus::vacant && day >= start_day_[m]) {
      mentor_status_[m] = MentorStatus::active;
      burnout_[m] = 0.0;
      ++trainings_today_;
    } else if (mentor_status_[m] == MentorStatus::training && day >= start_day_[m]) {
      mentor_status_[m] = MentorStatus::active;
    }
    if (recruit_agent_[m] >= 0 &&
        has(view.events[static_cast<std::size_t>(recruit_agent_[m])], event_died | event_relapsed)) {
      depart(m, day);
      continue;
    }
    if (mentor_status_[m] != MentorStatus::active) continue;
    const double hazard = p_.departure_hazard_per_day * std::exp(p_.departure_burnout_coefficient * burnout_[m]);
    const auto u = philox_block(view.key, static_cast<std::uint32_t>(m), view.day, departure_stream, 0)[0];
    if (bernoulli(u, hazard_to_probability(hazard))) depart(m, day);
  }

  // 4. Pipeline.
  recruit(view);

  // 5. Queue and matching.
  match_queue(pop);
  for (const std::int32_t agent : queue_) {
    const auto i = static_cast<std::size_t>(agent);
    if (first_match_day_[i] < 0) ++wait_days_[i];
  }
  for (std::size_t m = 0; m < mentor_status_.size(); ++m) {
    const auto* slots = mentees_.data() + m * caseload_;
    for (std::int32_t j = 0; j < load_[m]; ++j) {
      const auto i = static_cast<std::size_t>(slots[j]);
      if (first_match_day_[i] < 0) first_match_day_[i] = day;
    }
  }

  write_metrics(day, metrics);
  departures_today_ = 0;
  recruits_today_ = 0;
  trainings_today_ = 0;
}

void PeerMentor::write_metrics(std::int32_t day, std::span<double> metrics) const {
  std::int64_t active = 0;
  std::int64_t training = 0;
  std::int64_t matched = 0;
  double burnout_sum = 0.0;
  for (std::size_t m = 0; m < mentor_status_.size(); ++m) {
    matched += load_[m];
    if (mentor_status_[m] == MentorStatus::training) ++training;
    if (mentor_status_[m] != MentorStatus::active) continue;
    ++active;
    burnout_sum += burnout_[m];
  }
  double wait_sum = 0.0;
  for (const std::int32_t agent : queue_) wait_sum += day - queued_since_[static_cast<std::size_t>(agent)] + 1;

  const auto active_d = static_cast<double>(active);
  const auto paid = static_cast<double>(active + training);
  const double capacity = active_d * static_cast<double>(caseload_);
  metrics[metric_mentors_active] = active_d;
  metrics[metric_matched_mentees] = static_cast<double>(matched);
  metrics[metric_queue_length] = static_cast<double>(queue_.size());
  metrics[metric_mean_wait_days] = queue_.empty() ? 0.0 : wait_sum / static_cast<double>(queue_.size());
  metrics[metric_utilisation] = capacity > 0.0 ? static_cast<double>(matched) / capacity : 0.0;
  metrics[metric_mean_burnout] = active > 0 ? burnout_sum / active_d : 0.0;
  metrics[metric_departures] = static_cast<double>(departures_today_);
  metrics[metric_recruits] = static_cast<double>(recruits_today_);
  metrics[metric_staff_fte] = paid + active_d * p_.supervision_hours_per_week / p_.work_hours_per_week;
  metrics[metric_cost] = paid * p_.salary_per_year / days_per_year +
                         active_d * p_.supervision_hours_per_week / days_per_week * p_.supervision_cost_per_hour +
                         static_cast<double>(trainings_today_) * p_.training_hours * p_.training_cost_per_hour;
  static_assert(metric_count == 10);
}

std::vector<AgentColumn> PeerMentor::agent_columns() const {
  return {{"matched_days", matched_days_},
          {"wait_days", wait_days_},
          {"first_match_day", first_match_day_},
          {"recruited_day", recruited_day_}};
}

std::string PeerMentor::check_state(const Population& pop) const {
  const auto cap = static_cast<std::int32_t>(caseload_);
  std::int64_t linked = 0;
  std::int64_t capacity = 0;
  for (std::size_t m = 0; m < mentor_status_.size(); ++m) {
    const std::string where = "mentor " + std::to_string(m) + ": ";
    if (load_[m] < 0 || load_[m] > cap) return where + "load " + std::to_string(load_[m]) + " outside [0, caseload]";
    if (mentor_status_[m] != MentorStatus::active && load_[m] > 0) return where + "has mentees but is not active";
    if (mentor_status_[m] == MentorStatus::active) capacity += cap;
    for (std::int32_t j = 0; j < cap; ++j) {
      const std::int32_t a = mentees_[m * caseload_ + static_cast<std::size_t>(j)];
      if (j >= load_[m]) {
        if (a != -1) return where + "stale slot";
        continue;
      }
      const auto i = static_cast<std::size_t>(a);
      if (status_[i] != MenteeStatus::matched || mentor_[i] != static_cast<std::int32_t>(m))
        return where + "slot holds agent " + std::to_string(a) + " who is not its mentee";
      ++linked;
    }
    if (recruit_agent_[m] >= 0 && pop.state[static_cast<std::size_t>(recruit_agent_[m])] == ClinicalState::deceased)
      return where + "recruited agent is deceased";
  }
  if (linked > capacity) return "more mentees than active mentors x caseload";

  std::int64_t matched = 0;
  std::int64_t queued = 0;
  for (std::size_t i = 0; i < status_.size(); ++i) {
    if (status_[i] == MenteeStatus::ineligible) {
      if (mentor_[i] != -1) return "ineligible agent " + std::to_string(i) + " has a mentor";
      continue;
    }
    if (pop.state[i] == ClinicalState::deceased) return "deceased agent " + std::to_string(i) + " in the programme";
    if (status_[i] == MenteeStatus::matched) ++matched;
    if (status_[i] == MenteeStatus::queued) {
      ++queued;
      if (mentor_[i] != -1) return "queued agent " + std::to_string(i) + " has a mentor";
    }
  }
  if (matched != linked) return "matched agents and mentor slots disagree";
  if (queued != static_cast<std::int64_t>(queue_.size())) return "queued agents and the queue disagree";
  for (std::size_t q = 0; q < queue_.size(); ++q) {
    if (status_[static_cast<std::size_t>(queue_[q])] != MenteeStatus::queued) return "queue holds an agent not queued";
    if (q > 0 && !queued_before(pop, queue_[q - 1], queue_[q])) return "queue out of order at " + std::to_string(q);
  }
  if (!queue_.empty() && linked < capacity) return "agents wait while a mentor has room";
  return {};
}

}  // namespace recoverysim::recovery
