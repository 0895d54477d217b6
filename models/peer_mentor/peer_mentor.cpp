// The peer_mentor module: its parameter table, the daily effects on matched agents
// (add_effects, tile by tile inside the day kernel), and the serial bookkeeping of the programme
// (after_day: eligibility, queue, matching, burnout, departures, hiring, recruitment, metrics).
#include "peer_mentor.hpp"
#include "parallel.hpp"
#include "portable_math.hpp"

#include <tbb/blocked_range.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <utility>

namespace recoverysim::recovery {

namespace {

constexpr std::int32_t open_ended = INT32_MAX;                      // eligibility end while in treatment
constexpr std::uint64_t agent_mask = (std::uint64_t{1} << 31) - 1;  // the agent in a queue key

// Metric columns, in metrics() order.
enum MetricColumn : std::size_t {
  metric_mentors_active,
  metric_matched_mentees,
  metric_queue_length,
  metric_queue_mean_days_so_far,
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
  t.add_real("departure_burnout_coefficient", p.departure_burnout_coefficient, 2.0, 0.0, 50.0, "log-hazard per unit",
             "Departure log-hazard added per unit of burnout (hazard x exp(coefficient x b))");
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

std::vector<Metric> PeerMentor::metrics() const {
  return {{"mentors_active", "mentors", "mentors taking mentees (not vacant, not in training)"},
          {"matched_mentees", "people", "people with a mentor at the end of the day"},
          {"queue_length", "people", "eligible people waiting for a mentor at the end of the day"},
          {"queue_mean_days_so_far", "days",
           "mean over the people in the queue of the days they have waited so far (0 if none): a figure about the "
           "queue on a day, not a person's wait"},
          {"utilisation", "share", "matched_mentees / (mentors_active x caseload); 0 if no mentor is active"},
          {"mean_burnout", "burnout (0 to 1)", "mean burnout of the active mentors; 0 if none"},
          {"departures", "mentors", "active mentors who left today"},
          {"recruits", "people", "people recruited today as mentors (they start training)"},
          {"staff_fte", "FTE", "mentors working or in training plus their supervision, in full-time equivalents"},
          {"cost", "currency units", "the day's staff cost: salaries, supervision and training, undiscounted"}};
}

std::vector<Intervention::EventName> PeerMentor::event_names() const {
  return {{"queued", "becomes eligible and joins the queue for a mentor"},
          {"matched", "is matched with a mentor (detail: the mentor's position)"},
          {"match_ended",
           "the match ends (detail: 1 the mentor left, the mentee back in the queue; 2 eligibility ended)"},
          {"left", "leaves the programme: eligibility ended, or died (detail: 1 while waiting, 2 while matched)"}};
}

std::vector<OutcomeDefinition> PeerMentor::outcome_definitions(EventCode first_code, std::int64_t days) const {
  return {wait_definition("peer_mentor", first_code, first_code + event_queued, first_code + event_matched,
                          first_code + event_left, days)};
}

std::vector<TimeToEventRecord> PeerMentor::outcome_records(const OutcomeDefinition&, const Population& pop) const {
  return wait_records(first_queued_day_, first_match_day_, left_unserved_day_, pop);
}

void PeerMentor::start_replicate(const ReplicateContext& ctx, std::size_t agents) {
  stream_base_ = ctx.stream_base;
  caseload_ = static_cast<std::size_t>(p_.caseload);

  columns_.reset(agents);

  const auto positions = static_cast<std::size_t>(p_.mentors);
  mentor_status_.assign(positions, MentorStatus::active);
  burnout_.assign(positions, 0.0);
  start_day_.assign(positions, 0);
  recruit_agent_.assign(positions, -1);
  load_.assign(positions, 0);
  mentees_.assign(positions * caseload_, -1);

  front_queue_ = {};
  queue_ = {};
  queued_ = 0;
  queued_since_sum_ = 0;
  entering_.clear();
  returned_today_.clear();
  closing_.clear();
  last_before_day_ = -1;
  last_after_day_ = -1;
  longest_run_ = std::numeric_limits<std::int32_t>::max() / 2;  // not looked at yet
  longest_run_day_ = 0;
  departures_today_ = 0;
  recruits_today_ = 0;
  trainings_today_ = p_.mentors;  // the initial mentors are trained on day 0
}

void PeerMentor::before_day(DayView& view) {
  last_before_day_ = static_cast<std::int32_t>(view.day);
  const double trained = 1.0 - portable::exp(-p_.training_hours / p_.training_scale_hours);
  contact_.resize(mentor_status_.size());
  for (std::size_t m = 0; m < mentor_status_.size(); ++m) {
    const double e = trained * (1.0 - burnout_[m]);  // the mentor's effectiveness today
    contact_[m] = {static_cast<float>(p_.contact_engagement_increment * e),
                   static_cast<float>(p_.contact_self_efficacy_increment * e),
                   static_cast<float>(p_.contact_craving_increment * e)};
  }
}

// add_effects of the kernel in use (peer_mentor_tiles.cpp).
std::int64_t PeerMentor::add_effects(const TileView& tile, TileEffects& fx) {
  return with_kernel([&]<class KernelTag>(KernelTag) { return add_effects_for<KernelTag>(tile, fx); });
}

// Queue keys order the queue as one integer: returned mentees first (bit 63 clear); then the
// eligibility day (fifo) or the severity, highest first; then the agent index (bits 0-30).
std::uint64_t PeerMentor::queue_key(const Population& pop, std::size_t agent, bool at_front) const {
  std::uint32_t priority = 0;
  if (p_.priority == MentorQueuePriority::fifo) {
    priority = static_cast<std::uint32_t>(eligible_since_[agent]);
  } else {
    // Float order as unsigned order (non-negative floats: set the sign bit; negative: flip all
    // bits), then reversed for highest first. -0 is read as +0, equal as floats compare.
    const float severity = pop.severity[agent] == 0.0f ? 0.0f : pop.severity[agent];
    const auto bits = std::bit_cast<std::uint32_t>(severity);
    priority = ~((bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u);
  }
  return (std::uint64_t{at_front ? 0u : 1u} << 63) | (std::uint64_t{priority} << 31) | agent;
}

bool PeerMentor::is_live(std::uint64_t key) const {
  const auto i = static_cast<std::size_t>(key & agent_mask);
  return status_[i] == MenteeStatus::queued && queue_key_[i] == key;
}

// Merges sorted new keys into the queue. A key already there (an agent back in the queue with
// the same key as an entry it left) is not repeated: that entry is live again.
void PeerMentor::KeyQueue::insert(std::span<const std::uint64_t> sorted) {
  if (sorted.empty()) return;
  if (head == keys.size() || sorted.front() > keys.back()) {
    keys.insert(keys.end(), sorted.begin(), sorted.end());
    return;
  }
  std::vector<std::size_t> at;
  std::vector<std::uint64_t> added;
  auto from = keys.begin() + static_cast<std::ptrdiff_t>(head);
  for (const std::uint64_t key : sorted) {
    from = std::lower_bound(from, keys.end(), key);
    if (from != keys.end() && *from == key) continue;
    at.push_back(static_cast<std::size_t>(from - keys.begin()));
    added.push_back(key);
  }
  // Shift the tail right, segment by segment from the back, dropping each new key in its place.
  std::size_t source_end = keys.size();
  keys.resize(keys.size() + added.size());
  std::size_t target_end = keys.size();
  for (std::size_t j = added.size(); j-- > 0;) {
    const auto begin = keys.begin();
    std::move_backward(begin + static_cast<std::ptrdiff_t>(at[j]), begin + static_cast<std::ptrdiff_t>(source_end),
                       begin + static_cast<std::ptrdiff_t>(target_end));
    target_end -= source_end - at[j];
    source_end = at[j];
    keys[--target_end] = added[j];
  }
}

void PeerMentor::become_queued(std::size_t agent, std::int32_t day) {
  status_[agent] = MenteeStatus::queued;
  status_since_[agent] = day;
  ++queued_;
  queued_since_sum_ += day;
}

// The agent leaves the queue on `day` (matched, or out of the programme); until a first
// match, the days it waited count.
void PeerMentor::stop_waiting(std::size_t agent, std::int32_t day) {
  --queued_;
  queued_since_sum_ -= status_since_[agent];
  if (first_match_day_[agent] < 0) wait_days_[agent] += day - status_since_[agent];
}

void PeerMentor::enter_queue(const Population& pop, std::int32_t agent, std::int32_t day) {
  const auto i = static_cast<std::size_t>(agent);
  emit(agent, event_queued);
  if (first_queued_day_[i] < 0) first_queued_day_[i] = day;
  eligible_since_[i] = day;
  if (wait_days_[i] < 0) wait_days_[i] = 0;
  become_queued(i, day);
  queue_key_[i] = queue_key(pop, i, false);
  entering_.push_back(agent);
}

// Ends the agent's match on `day` (it was matched since the day in status_since_).
void PeerMentor::unlink(std::int32_t agent, std::int32_t day) {
  const auto i = static_cast<std::size_t>(agent);
  matched_days_[i] += day - status_since_[i];
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

// Leaves the programme: the match ends or the agent is dropped from the queue (its queue entry
// is no longer live and goes at the next compaction).
void PeerMentor::leave(std::int32_t agent, std::int32_t day) {
  const auto i = static_cast<std::size_t>(agent);
  if (status_[i] == MenteeStatus::matched) {
    unlink(agent, day);
    emit(agent, event_match_ended, 2);
    emit(agent, event_left, 2);
  }
  if (status_[i] == MenteeStatus::queued) {
    stop_waiting(i, day);
    if (first_match_day_[i] < 0 && left_unserved_day_[i] < 0) left_unserved_day_[i] = day;
    emit(agent, event_left, 1);
  }
  status_[i] = MenteeStatus::ineligible;
}

// The mentor of `position` leaves; its mentees return to the front of the queue. A hired
// position is refilled after the hiring delay; a recruited one is closed.
void PeerMentor::depart(const Population& pop, std::size_t position, std::int32_t day) {
  if (mentor_status_[position] == MentorStatus::active) ++departures_today_;
  auto* slots = mentees_.data() + position * caseload_;
  const auto n = static_cast<std::size_t>(load_[position]);
  std::sort(slots, slots + n);  // a fixed order, whatever the order of matching
  for (std::size_t j = 0; j < n; ++j) {
    const auto i = static_cast<std::size_t>(slots[j]);
    matched_days_[i] += day - status_since_[i];
    mentor_[i] = -1;
    emit(slots[j], event_match_ended, 1);
    become_queued(i, day);
    queue_key_[i] = queue_key(pop, i, true);
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

// Eligibility, from today's events: starts before ends, so that an agent admitted and
// discharged on the same day is handled in that order. Only agents with an event today or an
// eligibility window closing today can change, so only they are visited, in agent order.
void PeerMentor::update_eligibility(const DayView& view) {
  const auto day = static_cast<std::int32_t>(view.day);
  const auto events = view.events;
  // Other events (lapse, relapse, resumption) do not bear on eligibility.
  agents_with_events(view, event_died | event_admitted | event_readmitted | event_completed | event_dropped_out,
                     candidates_);
  closing_.merge_due_into(day, candidates_);

  const auto duration = static_cast<std::int32_t>(p_.duration_days);
  for (const std::int32_t agent : candidates_) {
    const auto i = static_cast<std::size_t>(agent);
    const std::uint8_t ev = events[i];
    if (has(ev, event_died)) {
      if (status_[i] != MenteeStatus::ineligible) leave(agent, day);
      continue;
    }
    if (has(ev, event_admitted | event_readmitted)) {
      if (status_[i] == MenteeStatus::ineligible && p_.match_on == MentorMatchOn::admission)
        enter_queue(view.pop, agent, day);
      if (status_[i] != MenteeStatus::ineligible) eligible_until_[i] = open_ended;
    }
    if (has(ev, event_completed | event_dropped_out)) {
      if (status_[i] == MenteeStatus::ineligible && p_.match_on == MentorMatchOn::discharge)
        enter_queue(view.pop, agent, day);
      if (status_[i] != MenteeStatus::ineligible) {
        eligible_until_[i] = day + duration;
        closing_.add(eligible_until_[i], agent);
      }
    }
    if (status_[i] != MenteeStatus::ineligible && day >= eligible_until_[i]) leave(agent, day);
  }
}

// Candidates: admitted, alive, abstinent for long enough, out of treatment, not in the
// programme as a mentee, never recruited before. In agent order, up to the cap.
void PeerMentor::recruit(const DayView& view) {
  std::int64_t open = 0;
  for (std::size_t m = 0; m < mentor_status_.size(); ++m)
    open += recruit_agent_[m] >= 0 &&
            (mentor_status_[m] == MentorStatus::active || mentor_status_[m] == MentorStatus::training);
  if (open >= p_.recruits_max || p_.recruit_probability_per_day <= 0.0) return;

  const auto& pop = view.pop;
  const auto day = static_cast<std::int32_t>(view.day);
  const std::uint32_t stream = stream_base_ + stream_recruit;
  // An abstinent run grows by at most a day a day: while the longest run seen at the last look
  // cannot have reached the threshold, nobody is a candidate and nobody need be looked at.
  if (longest_run_ + (day - longest_run_day_) < p_.recruit_after_abstinent_days) return;
  const std::span<const DayCount> run = pop.abstinent_run;
  longest_run_ = recoverysim::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, run.size(), 65536), std::int32_t{0},
      [&](const tbb::blocked_range<std::size_t>& r, std::int32_t longest) {
        for (std::size_t i = r.begin(); i != r.end(); ++i) longest = std::max<std::int32_t>(longest, run[i]);
        return longest;
      },
      [](std::int32_t a, std::int32_t b) { return std::max(a, b); });
  longest_run_day_ = day;
  if (longest_run_ < p_.recruit_after_abstinent_days) return;
  // Each agent's test and draw concern that agent alone: found in parallel, taken in order.
  collect_agents(std::min(status_.size(), pop.admitted_by(day)), candidates_, [&](std::size_t i) {
    if (pop.abstinent_run[i] < p_.recruit_after_abstinent_days || !is_abstinent(pop.state[i]) ||
        pop.treatment[i] == TreatmentStatus::in_treatment || status_[i] != MenteeStatus::ineligible ||
        recruited_day_[i] >= 0)
      return false;
    const auto u = philox_block(view.key, static_cast<std::uint32_t>(i), view.day, stream, 0)[0];
    return bernoulli(u, p_.recruit_probability_per_day);
  });
  for (const std::int32_t agent : candidates_) {
    if (open >= p_.recruits_max) break;
    std::size_t position = 0;
    while (position < mentor_status_.size() && mentor_status_[position] != MentorStatus::closed) ++position;
    if (position == mentor_status_.size()) {
      mentor_status_.push_back(MentorStatus::closed);
      burnout_.push_back(0.0);
      start_day_.push_back(0);
      recruit_agent_.push_back(-1);
      load_.push_back(0);
      mentees_.resize(mentees_.size() + caseload_, -1);
    }
    mentor_status_[position] = MentorStatus::training;
    start_day_[position] = day + static_cast<std::int32_t>(p_.recruit_training_days);
    recruit_agent_[position] = agent;
    burnout_[position] = 0.0;
    recruited_day_[static_cast<std::size_t>(agent)] = day;
    ++recruits_today_;
    ++trainings_today_;
    ++open;
  }
}

// Serial matching in queue order; each agent goes to the active mentor with the fewest
// mentees (ties: lowest position), which spreads the load and so the burnout.
void PeerMentor::match_queue(std::int32_t day) {
  // Today's entrants and returned mentees join in key order.
  const auto join = [&](KeyQueue& queue, const std::vector<std::int32_t>& agents) {
    new_keys_.clear();
    for (const std::int32_t agent : agents)
      if (status_[static_cast<std::size_t>(agent)] == MenteeStatus::queued)
        new_keys_.push_back(queue_key_[static_cast<std::size_t>(agent)]);
    if (!std::is_sorted(new_keys_.begin(), new_keys_.end())) std::sort(new_keys_.begin(), new_keys_.end());
    queue.insert(new_keys_);
  };
  join(queue_, entering_);
  join(front_queue_, returned_today_);
  entering_.clear();

  if (queued_ > 0) {
    // Active mentors with room, least loaded first (ties: lowest position): a total order, so
    // the matching is the same however it is computed.
    const auto cap = static_cast<std::int32_t>(caseload_);
    using LoadPosition = std::pair<std::int32_t, std::size_t>;
    std::priority_queue<LoadPosition, std::vector<LoadPosition>, std::greater<>> room;
    for (std::size_t m = 0; m < mentor_status_.size(); ++m)
      if (mentor_status_[m] == MentorStatus::active && load_[m] < cap) room.emplace(load_[m], m);

    for (KeyQueue* queue : {&front_queue_, &queue_}) {
      auto& keys = queue->keys;
      while (!room.empty() && queue->head < keys.size()) {
        const std::uint64_t key = keys[queue->head++];
        if (!is_live(key)) continue;
        const auto [load, best] = room.top();
        room.pop();
        const auto i = static_cast<std::size_t>(key & agent_mask);
        mentees_[best * caseload_ + static_cast<std::size_t>(load)] = static_cast<std::int32_t>(i);
        load_[best] = load + 1;
        if (load + 1 < cap) room.emplace(load + 1, best);
        stop_waiting(i, day);
        mentor_[i] = static_cast<std::int32_t>(best);
        status_[i] = MenteeStatus::matched;
        status_since_[i] = day;
        if (first_match_day_[i] < 0) first_match_day_[i] = day;
        emit(static_cast<std::int32_t>(i), event_matched,
             static_cast<std::int16_t>(std::min<std::size_t>(best, 32767)));
      }
    }
  }
  compact_queue();
}

// Drops consumed and dead entries once they outnumber the live ones (amortised: each dead
// entry is copied at most a few times).
void PeerMentor::compact_queue() {
  const std::size_t physical = front_queue_.keys.size() - front_queue_.head + queue_.keys.size() - queue_.head;
  const bool sweep = physical > 2 * static_cast<std::size_t>(queued_) + 4096;
  for (KeyQueue* queue : {&front_queue_, &queue_}) {
    auto& keys = queue->keys;
    const auto head = keys.begin() + static_cast<std::ptrdiff_t>(queue->head);
    if (sweep) {
      keys.erase(std::remove_if(head, keys.end(), [&](std::uint64_t key) { return !is_live(key); }), keys.end());
      keys.erase(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(queue->head));
      queue->head = 0;
    } else if (queue->head > 4096 && 2 * queue->head > keys.size()) {
      keys.erase(keys.begin(), head);
      queue->head = 0;
    }
  }
}

std::vector<std::int32_t> PeerMentor::queue() const {
  std::vector<std::int32_t> agents;
  for (const KeyQueue* queue : {&front_queue_, &queue_})
    for (std::size_t k = queue->head; k < queue->keys.size(); ++k)
      if (is_live(queue->keys[k])) agents.push_back(static_cast<std::int32_t>(queue->keys[k] & agent_mask));
  return agents;
}

void PeerMentor::after_day(DayView& view, std::span<double> metrics) {
  const auto& pop = view.pop;
  const auto day = static_cast<std::int32_t>(view.day);
  last_after_day_ = day;
  emitted_ = view.emitted;
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

  // 2. Eligibility.
  update_eligibility(view);

  // 3. Mentor positions: hires and recruits start, recruits who relapse or die step down,
  //    mentors leave with a hazard that grows with burnout.
  // Every position's departure draw, computed together (the same numbers as one at a time).
  departure_draws_.resize(mentor_status_.size());
  first_draws_of_range(view.key, 0, departure_draws_.size(), view.day, stream_base_ + stream_departure,
                       departure_draws_.data());
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
      depart(pop, m, day);
      continue;
    }
    if (mentor_status_[m] != MentorStatus::active) continue;
    const double hazard = p_.departure_hazard_per_day * portable::exp(p_.departure_burnout_coefficient * burnout_[m]);
    if (bernoulli(departure_draws_[m], hazard_to_probability(hazard))) depart(pop, m, day);
  }

  // 4. Pipeline.
  recruit(view);

  // 5. Queue and matching.
  match_queue(day);

  write_metrics(day, metrics);
  emitted_ = nullptr;
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
  // The days each queued agent has waited, today included: an integer sum.
  const auto wait_sum = static_cast<double>(queued_ * (day + 1) - queued_since_sum_);

  const auto active_d = static_cast<double>(active);
  const auto paid = static_cast<double>(active + training);
  const double capacity = active_d * static_cast<double>(caseload_);
  metrics[metric_mentors_active] = active_d;
  metrics[metric_matched_mentees] = static_cast<double>(matched);
  metrics[metric_queue_length] = static_cast<double>(queued_);
  metrics[metric_queue_mean_days_so_far] = queued_ == 0 ? 0.0 : wait_sum / static_cast<double>(queued_);
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
  // The counters of the current match or wait, to the last day simulated.
  std::vector<std::int32_t> matched_days = matched_days_;
  std::vector<std::int32_t> wait_days = wait_days_;
  for (std::size_t i = 0; i < status_.size(); ++i) {
    if (status_[i] == MenteeStatus::matched) matched_days[i] += last_before_day_ - status_since_[i];
    if (status_[i] == MenteeStatus::queued && first_match_day_[i] < 0)
      wait_days[i] += last_after_day_ + 1 - status_since_[i];
  }
  return {{"matched_days", std::move(matched_days), "days", "days on which the person had a mentor"},
          {"wait_days", std::move(wait_days), "days",
           "days in the queue before the first match (0 if matched the day it became eligible); -1 if never queued"},
          {"first_match_day", first_match_day_, "day", "day of the first match; -1 if never matched"},
          {"recruited_day", recruited_day_, "day", "day the person was recruited as a mentor; -1 if never"},
          {"first_queued_day", first_queued_day_, "day",
           "first day in the queue (start of the first wait); -1 if never"},
          {"left_unserved_day", left_unserved_day_, "day",
           "day the first wait ended without a match (eligibility ended, or death); -1 if matched or still waiting"}};
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
  if (queued != queued_) return "queued agents and the queue count disagree";
  std::int64_t live = 0;
  for (const KeyQueue* queue : {&front_queue_, &queue_}) {
    const bool front = queue == &front_queue_;
    for (std::size_t k = queue->head; k < queue->keys.size(); ++k) {
      const std::uint64_t key = queue->keys[k];
      if (k > queue->head && queue->keys[k - 1] >= key) return "queue out of order at " + std::to_string(k);
      if (!is_live(key)) continue;
      ++live;
      if (key != queue_key(pop, static_cast<std::size_t>(key & agent_mask), front)) return "stale queue key";
    }
  }
  if (live != queued) return "queued agents and the queue disagree";
  if (queued > 0 && linked < capacity) return "agents wait while a mentor has room";
  return {};
}

}  // namespace recoverysim::recovery
