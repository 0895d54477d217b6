// Counting a replicate's outcome tables (see observation.hpp).
#include "observation.hpp"

#include "kernel.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace recoverysim::recovery {

namespace {

constexpr std::int32_t not_reached = -1;

bool contains(const std::vector<EventCode>& codes, EventCode code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// The cause of `code` among a definition's causes, or -1.
int cause_of(const OutcomeDefinition& d, EventCode code) {
  for (std::size_t k = 0; k < d.causes.size(); ++k)
    if (contains(d.causes[k], code)) return static_cast<int>(k);
  return -1;
}

std::vector<EventCode> union_of(const std::vector<std::vector<EventCode>>& causes) {
  std::vector<EventCode> all;
  for (const auto& c : causes) all.insert(all.end(), c.begin(), c.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

// A first event after arrival that the per-agent records give directly: any mix of the first
// lapse, the first relapse and death, or the end of the first episode (completion, dropout or
// death: the first of these after arrival is the first episode's end).
bool derivable(const OutcomeDefinition& d, bool first_episode_at_arrival) {
  if (d.origin.kind == Origin::Kind::event) return false;
  const std::vector<EventCode> all = union_of(d.causes);
  if (all == std::vector<EventCode>{event_code_died, event_code_dropped_out, event_code_completed})
    return first_episode_at_arrival;
  return std::all_of(all.begin(), all.end(), [](EventCode c) {
    return c == event_code_lapse || c == event_code_relapse || c == event_code_died;
  });
}

std::size_t rate_categories(const OutcomeDefinition& d) {
  switch (d.split) {
    case RateSplit::none: return 1;
    case RateSplit::treatment_status: return 2;
    case RateSplit::after_leaving: return 3;
  }
  return 1;
}

// The events of lane l of a tile today, in the order they happened (code order, but for
// `admitted` on arrival in treatment, which follows `arrival`), with their details; returns how
// many (at most 7: arrival, admitted, a state change, stable, an exit, readmission, step-down).
// `arrive_in_treatment`: the cohort starts in treatment (else in the community).
std::size_t lane_events(const TileDay& t, std::size_t l, bool arrive_in_treatment, EventCode* codes,
                        std::int16_t* details) {
  std::size_t k = 0;
  const auto add = [&](EventCode code, std::int32_t detail) {
    codes[k] = code;
    details[k++] = static_cast<std::int16_t>(detail);
  };
  const std::int32_t ev = t.events[l];
  // Without the start of the day, only the DayEvents are known (no definition needs the others).
  const auto after = static_cast<ClinicalState>(t.state[l]);
  // A day that began an episode entered from use began in withdrawal.
  const auto before = (ev & event_started_withdrawal) ? ClinicalState::withdrawal
                      : t.state_before                ? static_cast<ClinicalState>(t.state_before[l])
                                                      : after;
  const bool admitted_on_arrival = l >= t.arrived_before && arrive_in_treatment;
  if (l >= t.arrived_before) add(event_code_arrival, arrive_in_treatment ? 1 : 0);
  if (admitted_on_arrival) add(event_code_admitted, t.setting ? t.setting[l] : -1);
  if (ev & event_died) {
    add(event_code_died, t.treatment[l]);
    const bool left = (t.treatment[l] == static_cast<std::int32_t>(TreatmentStatus::completed)) ||
                      (t.treatment[l] == static_cast<std::int32_t>(TreatmentStatus::dropped_out));
    add((ev & event_died_substance_related) ? event_code_died_substance_related : event_code_died_other_causes,
        left && t.status_days ? t.status_days[l] : -1);
    return k;
  }
  if (ev & event_lapsed) add(event_code_lapse, 0);
  if (ev & event_relapsed) add(event_code_relapse, 0);
  const bool known = t.state_before != nullptr;
  if (known && before == ClinicalState::lapse && !(ev & event_relapsed)) add(event_code_lapse_resolved, 0);
  if (ev & event_resumed) add(event_code_resumed, 0);
  if (known && before == ClinicalState::withdrawal && !(ev & event_lapsed) && is_abstinent(after))
    add(event_code_withdrawal_completed, 0);
  if (known && after == ClinicalState::stable_recovery && before != ClinicalState::stable_recovery)
    add(event_code_stable, 0);
  const std::int32_t episode = t.readmissions[l] + 1;
  if (ev & event_dropped_out) add(event_code_dropped_out, episode);
  // A step-down completes the episode before the one that starts today.
  if (ev & event_completed) add(event_code_completed, (ev & event_stepped_down) ? episode - 1 : episode);
  if (!admitted_on_arrival && (ev & event_admitted))
    add(event_code_admitted, t.setting ? t.setting[l] : -1);  // a community member's first entry
  if (ev & event_readmitted) add(event_code_readmitted, episode);
  if (ev & event_stepped_down) add(event_code_stepped_down, t.setting ? t.setting[l] : -1);
  return k;
}

bool has_bit(const std::vector<std::uint64_t>& bits, std::size_t agent) {
  return ((bits[agent / 64] >> (agent % 64)) & 1u) != 0;
}
void set_bit(std::vector<std::uint64_t>& bits, std::size_t agent) {
  bits[agent / 64] |= std::uint64_t{1} << (agent % 64);
}

}  // namespace

Observation::Observation(ObservationPlan plan)
    : plan_(std::move(plan)), locals_([this] {
        return Local{empty_counts(), {}};
      }) {
  for (const auto& d : plan_.definitions) {
    Definition def;
    def.d = &d;
    def.cause_specific =
        cause_of(d, event_code_died_other_causes) >= 0 || cause_of(d, event_code_died_substance_related) >= 0;
    def.died_is_cause = cause_of(d, event_code_died) >= 0 || def.cause_specific;
    const auto uses_origin_slot = [&] {
      if (d.origin.kind != Origin::Kind::event) return;
      for (std::size_t s = 0; s < origins_.size(); ++s)
        if (origins_[s].origin.codes == d.origin.codes && origins_[s].origin.occurrence == d.origin.occurrence) {
          def.origin_slot = static_cast<int>(s);
          return;
        }
      origins_.push_back({d.origin, {}, {}});
      def.origin_slot = static_cast<int>(origins_.size() - 1);
    };
    switch (d.statistic) {
      case OutcomeStatistic::cumulative_incidence:
        if (d.recorded_by_module != 0) {
          def.mode = Mode::module_records;
        } else if (derivable(d, plan_.first_episode_at_arrival)) {
          def.mode = Mode::derived;
        } else {
          def.mode = Mode::tracked;
          uses_origin_slot();
          def.done_slot = static_cast<int>(done_.size());
          done_.emplace_back();
          lane_work_ = true;
        }
        break;
      case OutcomeStatistic::state_share:
        if (d.origin.kind == Origin::Kind::event) {
          def.mode = Mode::state_tracked;
          uses_origin_slot();
          lane_work_ = true;
        } else {
          def.mode = Mode::state_by_range;
          range_definitions_.push_back(definitions_.size());
        }
        break;
      case OutcomeStatistic::rate:
        def.mode = Mode::rate;
        uses_origin_slot();
        lane_work_ = true;
        if (d.split == RateSplit::after_leaving) tracks_exits_ = true;
        break;
      case OutcomeStatistic::ratio:
      case OutcomeStatistic::difference: def.mode = Mode::contrast; break;
    }
    definitions_.push_back(def);
  }
  if (plan_.record_events) lane_work_ = true;
  ranges_.resize(range_definitions_.size());

  // What each event code concerns, and so which lanes are worth a look.
  EventCode highest = core_event_count;
  const auto each_code = [&](auto&& f) {
    for (std::size_t i = 0; i < definitions_.size(); ++i) {
      const Definition& def = definitions_[i];
      if (def.mode == Mode::tracked || def.mode == Mode::rate) {
        for (const auto& cause : def.d->causes)
          for (const EventCode c : cause) f(c, i, false);
        if (def.mode == Mode::tracked && !def.died_is_cause) f(event_code_died, i, false);
        // A death of the cause that is not among the causes ends the follow-up.
        if (def.mode == Mode::tracked && def.cause_specific) {
          f(event_code_died_other_causes, i, false);
          f(event_code_died_substance_related, i, false);
        }
      }
    }
    for (std::size_t s = 0; s < origins_.size(); ++s)
      for (const EventCode c : origins_[s].origin.codes) f(c, s, true);
    if (tracks_exits_) {
      f(event_code_dropped_out, SIZE_MAX, false);
      f(event_code_completed, SIZE_MAX, false);
    }
  };
  each_code([&](EventCode c, std::size_t, bool) {
    highest = std::max(highest, c);
    if (c > core_event_count) reads_module_events_ = true;
  });
  definitions_by_code_.assign(std::size_t{highest} + 1, {});
  origins_by_code_.assign(std::size_t{highest} + 1, {});
  each_code([&](EventCode c, std::size_t index, bool origin) {
    if (index != SIZE_MAX) {
      auto& list = (origin ? origins_by_code_ : definitions_by_code_)[c];
      if (std::find(list.begin(), list.end(), index) == list.end()) list.push_back(static_cast<std::uint16_t>(index));
    }
    switch (c) {
      case event_code_arrival: interesting_arrivals_ = true; break;
      case event_code_died:
      case event_code_died_other_causes:
      case event_code_died_substance_related: interesting_events_ |= event_died; break;
      case event_code_lapse: interesting_events_ |= event_lapsed; break;
      case event_code_relapse: interesting_events_ |= event_relapsed; break;
      case event_code_resumed: interesting_events_ |= event_resumed; break;
      case event_code_dropped_out: interesting_events_ |= event_dropped_out; break;
      case event_code_completed: interesting_events_ |= event_completed; break;
      case event_code_readmitted:
      case event_code_stepped_down: interesting_events_ |= event_readmitted; break;
      case event_code_admitted: interesting_events_ |= event_admitted; break;
      case event_code_lapse_resolved:
      case event_code_withdrawal_completed:
      case event_code_stable: needs_transitions_ = true; break;
      default: break;  // a module's event: not in the tile
    }
  });
  for (auto& list : definitions_by_code_) std::sort(list.begin(), list.end());
  for (const auto& def : definitions_) {
    has_rates_ = has_rates_ || def.mode == Mode::rate;
    has_tracked_states_ = has_tracked_states_ || def.mode == Mode::state_tracked;
  }
  if (plan_.record_events) {
    reads_module_events_ = true;
    interesting_events_ = 0xFF;
    interesting_arrivals_ = needs_transitions_ = true;
  }
}

std::size_t Observation::stratum_of_day(std::int32_t admission_day) const {
  if (plan_.periods <= 1 || plan_.period_days <= 0.0) return 0;
  const auto p =
      static_cast<std::size_t>(std::floor(static_cast<double>(std::max(admission_day, 0)) / plan_.period_days));
  return std::min(p, plan_.periods - 1);
}

std::size_t Observation::stratum_of(std::size_t agent) const { return stratum_of_day(pop_->admission_day(agent)); }

std::vector<OutcomeCounts> Observation::empty_counts() const {
  const std::size_t P = std::max<std::size_t>(plan_.periods, 1);
  const auto T = static_cast<std::size_t>(plan_.days);
  std::vector<OutcomeCounts> out;
  for (const auto& def : definitions_) {
    OutcomeCounts c;
    c.definition = def.d;
    const std::size_t K = def.d->causes.size();
    switch (def.mode) {
      case Mode::contrast: break;
      case Mode::derived:
      case Mode::tracked:
      case Mode::module_records:
        c.event.assign(P, analysis::EventTable(T, K));
        c.width = 1 + K;
        c.row_count = def.d->days.size();
        break;
      case Mode::state_by_range:
      case Mode::state_tracked:
        c.width = 2;
        c.row_count = def.d->days.size();
        break;
      case Mode::rate:
        c.width = 2;
        c.row_count = rate_categories(*def.d);
        break;
    }
    if (c.width > 0) c.rows.assign(P, std::vector<std::int64_t>(c.width * c.row_count, 0));
    out.push_back(std::move(c));
  }
  return out;
}

void Observation::start_replicate(const Population& pop) {
  pop_ = &pop;
  const std::size_t N = pop.size();
  for (auto& slot : origins_) {
    slot.day.assign(N, static_cast<std::int16_t>(not_reached));
    if (slot.origin.occurrence > 1) slot.count.assign(N, 0);
  }
  for (auto& bits : done_) bits.assign((N + 63) / 64, 0);
  if (tracks_exits_) last_exit_day_.assign(N, static_cast<std::int16_t>(not_reached));
  for (auto& local : locals_) {
    local.counts = empty_counts();
    local.records.clear();
  }
  // The agents whose day D after the origin falls on day t, for each state share counted by range.
  const auto T = static_cast<std::int32_t>(plan_.days);
  for (std::size_t r = 0; r < range_definitions_.size(); ++r) {
    const OutcomeDefinition& d = *definitions_[range_definitions_[r]].d;
    auto& ranges = ranges_[r];
    ranges.assign(static_cast<std::size_t>(T) * d.days.size(), {0, 0});
    for (std::int32_t t = 0; t < T; ++t)
      for (std::size_t j = 0; j < d.days.size(); ++j) {
        auto& range = ranges[static_cast<std::size_t>(t) * d.days.size() + j];
        if (d.origin.kind == Origin::Kind::day0) {
          if (t == d.days[j] - 1) range = {0, static_cast<std::int32_t>(pop.admitted_by(t))};
          continue;
        }
        const std::int32_t arrival = t - (d.days[j] - 1);
        if (arrival < 0) continue;
        range = {static_cast<std::int32_t>(pop.admitted_by(arrival - 1)),
                 static_cast<std::int32_t>(pop.admitted_by(arrival))};
      }
  }
  range_hull_.assign(range_definitions_.empty() ? 0 : static_cast<std::size_t>(T), {0, 0});
  for (std::size_t r = 0; r < range_definitions_.size(); ++r) {
    const std::size_t per_day = definitions_[range_definitions_[r]].d->days.size();
    for (std::size_t t = 0; t < range_hull_.size(); ++t)
      for (std::size_t j = 0; j < per_day; ++j) {
        const auto& range = ranges_[r][t * per_day + j];
        if (range.first >= range.second) continue;
        auto& hull = range_hull_[t];
        hull = hull.first >= hull.second
                   ? range
                   : std::pair{std::min(hull.first, range.first), std::max(hull.second, range.second)};
      }
  }
}

bool Observation::in_subgroup(const OutcomeDefinition& d, std::size_t i) const {
  using A = SubgroupCondition::Attribute;
  for (const auto& c : d.subgroup) {
    double value = 0.0;
    switch (c.attribute) {
      case A::substance:
        if (!std::count(c.codes.begin(), c.codes.end(), static_cast<std::int32_t>(pop_->substance[i]))) return false;
        continue;
      case A::mental_health:
        if (!std::count(c.codes.begin(), c.codes.end(), static_cast<std::int32_t>(pop_->mental_health[i])))
          return false;
        continue;
      case A::sex:
        if (!std::count(c.codes.begin(), c.codes.end(), static_cast<std::int32_t>(pop_->male[i]))) return false;
        continue;
      case A::age_years: value = pop_->age_years[i]; break;
      case A::severity: value = pop_->severity[i]; break;
      case A::baseline_support: value = pop_->baseline_support[i]; break;
      case A::baseline_engagement: value = pop_->baseline_engagement[i]; break;
      case A::admission_day: value = pop_->admission_day(i); break;
    }
    if (!(value >= c.low && value < c.high)) return false;
  }
  return true;
}

// The day the agent's clock started for a definition (its arrival, day 0 once arrived, or the
// origin event's day), or not_reached.
std::int32_t Observation::origin_day(const Definition& def, std::size_t agent) const {
  switch (def.d->origin.kind) {
    case Origin::Kind::arrival: return pop_->admission_day(agent);
    case Origin::Kind::day0: return 0;
    case Origin::Kind::event: return origins_[static_cast<std::size_t>(def.origin_slot)].day[agent];
  }
  return not_reached;
}

std::size_t Observation::rate_category(const OutcomeDefinition& d, std::size_t agent, std::int32_t day,
                                       bool in_treatment) const {
  switch (d.split) {
    case RateSplit::none: return 0;
    case RateSplit::treatment_status: return in_treatment ? 0 : 1;
    case RateSplit::after_leaving: {
      if (in_treatment) return 0;
      const std::int32_t left = last_exit_day_[agent];
      return left != not_reached && day - left <= d.after_leaving_days ? 1 : 2;
    }
  }
  return 0;
}

void Observation::count_ranges(const TileDay& tile, Local& local) const {
  const auto first = static_cast<std::int32_t>(tile.first);
  const auto end = static_cast<std::int32_t>(tile.first + tile.admitted);
  for (std::size_t r = 0; r < range_definitions_.size(); ++r) {
    const std::size_t index = range_definitions_[r];
    const OutcomeDefinition& d = *definitions_[index].d;
    const auto* ranges = ranges_[r].data() + static_cast<std::size_t>(tile.day) * d.days.size();
    for (std::size_t j = 0; j < d.days.size(); ++j) {
      const std::int32_t b = std::max(ranges[j].first, first), e = std::min(ranges[j].second, end);
      for (std::int32_t i = b; i < e; ++i) {
        const auto agent = static_cast<std::size_t>(i);
        if (!d.subgroup.empty() && !in_subgroup(d, agent)) continue;
        const std::size_t l = agent - tile.first;
        auto& row = local.counts[index].rows[stratum_of(agent)];
        ++row[j * 2];
        row[j * 2 + 1] += d.state.contains(tile.state[l], tile.treatment[l]) ? 1 : 0;
      }
    }
  }
}

void Observation::on_event(std::size_t agent, std::int32_t day, EventCode code, bool in_treatment_at_start,
                           bool end_of_day, Local& local) {
  const auto T = static_cast<std::int32_t>(plan_.days);
  static const std::vector<std::uint16_t> none;
  const auto& concerned = code < definitions_by_code_.size() ? definitions_by_code_[code] : none;
  for (const std::size_t i : concerned) {
    const Definition& def = definitions_[i];
    const OutcomeDefinition& d = *def.d;
    if (def.mode == Mode::tracked) {
      auto& done = done_[static_cast<std::size_t>(def.done_slot)];
      const std::int32_t o = origin_day(def, agent);
      if (o == not_reached || has_bit(done, agent)) continue;
      const int k = cause_of(d, code);
      // A death not among the causes ends the follow-up: `died` where no death is a cause, its
      // cause where the other cause is (then `died` itself, reported first, is passed over).
      const bool ends_follow_up = def.cause_specific ? code != event_code_died && is_death_code(code)
                                                     : code == event_code_died && !def.died_is_cause;
      if (k < 0 && !ends_follow_up) continue;
      if (!d.subgroup.empty() && !in_subgroup(d, agent)) continue;
      set_bit(done, agent);
      const std::size_t s = stratum_of(agent);
      const bool day0 = d.origin.kind == Origin::Kind::day0;
      const std::int32_t t = day0 ? day : day - o;
      analysis::EventTable& table = local.counts[i].event[s];
      if (k < 0) {  // a death that is not one of the causes ends the follow-up
        ++table.censored[static_cast<std::size_t>(t)];
        // ... so whoever dies before day D was not followed for D days.
        if (!day0)
          for (std::size_t j = 0; j < d.days.size(); ++j)
            if (o + d.days[j] <= T && t < d.days[j] - 1) --local.counts[i].rows[s][j * local.counts[i].width];
        continue;
      }
      ++table.event(static_cast<std::size_t>(t), static_cast<std::size_t>(k));
      if (day0) continue;
      const std::size_t width = local.counts[i].width;
      auto& row = local.counts[i].rows[s];
      for (std::size_t j = 0; j < d.days.size(); ++j)
        if (o + d.days[j] <= T && t < d.days[j]) ++row[j * width + 1 + static_cast<std::size_t>(k)];
    } else if (def.mode == Mode::rate && contains(d.causes[0], code)) {
      if (!in_rate(def, agent, day)) continue;
      ++local.counts[i].rows[stratum_of(agent)][rate_category(d, agent, day, in_treatment_at_start) * 2];
    }
  }
  // Origins reached with this event, for the definitions that start counting from them.
  const auto& origins = code < origins_by_code_.size() ? origins_by_code_[code] : none;
  // An agent who died today reaches no origin (a module may report its leaving after the death).
  const bool dead = pop_->state[agent] == ClinicalState::deceased;
  for (const std::size_t s : origins) {
    OriginSlot& slot = origins_[s];
    if (slot.day[agent] != not_reached || dead) continue;
    if (slot.origin.occurrence > 1 && ++slot.count[agent] < slot.origin.occurrence) continue;
    slot.day[agent] = static_cast<std::int16_t>(day);
    for (std::size_t i = 0; i < definitions_.size(); ++i) {
      const Definition& def = definitions_[i];
      if (def.origin_slot != static_cast<int>(s)) continue;
      const OutcomeDefinition& d = *def.d;
      if (!d.subgroup.empty() && !in_subgroup(d, agent)) continue;
      const std::size_t stratum = stratum_of(agent);
      auto& row = local.counts[i].rows[stratum];
      if (def.mode == Mode::tracked) {
        ++local.counts[i].event[stratum].entered[0];
        for (std::size_t j = 0; j < d.days.size(); ++j)
          if (day + d.days[j] <= T) ++row[j * local.counts[i].width];
      }
      // A state on day 1 is the state at the end of the origin's day: the tiles of the day were
      // counted before a module's event set the origin, so it is counted here.
      if (def.mode == Mode::state_tracked && end_of_day)
        for (std::size_t j = 0; j < d.days.size(); ++j)
          if (d.days[j] == 1) {
            ++row[j * 2];
            row[j * 2 + 1] += d.state.contains(static_cast<std::int32_t>(pop_->state[agent]),
                                               static_cast<std::int32_t>(pop_->treatment[agent]))
                                  ? 1
                                  : 0;
          }
    }
  }
  if (tracks_exits_ && (code == event_code_dropped_out || code == event_code_completed))
    last_exit_day_[agent] = static_cast<std::int16_t>(day);
}

// Whether the agent's day counts in a rate's person-time: its clock has started (an origin at
// the end of a day counts from the next day), the day is within the window, and the agent is
// in the subgroup.
bool Observation::in_rate(const Definition& def, std::size_t agent, std::int32_t day) const {
  const OutcomeDefinition& d = *def.d;
  const std::int32_t o = origin_day(def, agent);
  if (o == not_reached) return false;
  const std::int32_t since = day - o;
  const std::int32_t first_day = d.origin.kind == Origin::Kind::event ? 1 : 0;
  if (since < first_day || since < d.window_from || since >= d.window_to) return false;
  return d.subgroup.empty() || in_subgroup(d, agent);
}

void Observation::observe(const TileDay& tile, Local& local) {
  if (!range_definitions_.empty()) count_ranges(tile, local);
  if (!lane_work_ || tile.admitted == 0) return;
  constexpr auto in_treatment = static_cast<std::int32_t>(TreatmentStatus::in_treatment);
  if (has_rates_)  // every day alive is person-time
    for (std::size_t l = 0; l < tile.admitted; ++l) {
      if (tile.state_before[l] == static_cast<std::int32_t>(ClinicalState::deceased)) continue;
      const std::size_t agent = tile.first + l;
      for (std::size_t i = 0; i < definitions_.size(); ++i)
        if (definitions_[i].mode == Mode::rate && in_rate(definitions_[i], agent, tile.day))
          ++local.counts[i].rows[stratum_of(
              agent)][rate_category(*definitions_[i].d, agent, tile.day, tile.treatment_before[l] == in_treatment) * 2 +
                      1];
    }
  // The lanes with an event some definition (or the record) cares about, found without branches.
  std::int32_t flags[agents_per_tile];
  const auto interesting = static_cast<std::int32_t>(interesting_events_);
  for (std::size_t l = 0; l < tile.admitted; ++l) flags[l] = tile.events[l] & interesting;
  if (interesting_arrivals_)
    for (std::size_t l = tile.arrived_before; l < tile.admitted; ++l) flags[l] = 1;
  if (needs_transitions_)
    for (std::size_t l = 0; l < tile.admitted; ++l) flags[l] |= tile.state_before[l] != tile.state[l] ? 1 : 0;
  std::int32_t lanes[agents_per_tile];
  const std::size_t flagged = flagged_agents(flags, tile.admitted, 0, lanes);
  EventCode codes[8];
  std::int16_t details[8];
  for (std::size_t k = 0; k < flagged; ++k) {
    const auto l = static_cast<std::size_t>(lanes[k]);
    const std::size_t agent = tile.first + l;
    const bool treated = needs_start_of_day() && tile.treatment_before[l] == in_treatment;
    const std::size_t count = lane_events(tile, l, plan_.first_episode_at_arrival, codes, details);
    for (std::size_t c = 0; c < count; ++c) {
      on_event(agent, tile.day, codes[c], treated, false, local);
      if (plan_.record_events)
        local.records.push_back(
            {static_cast<std::int32_t>(agent), tile.day, static_cast<std::uint32_t>(c), codes[c], details[c]});
    }
  }
  if (has_tracked_states_) count_tracked_states(tile, local);
}

void Observation::count_tracked_states(const TileDay& tile, Local& local) const {
  for (std::size_t i = 0; i < definitions_.size(); ++i) {
    const Definition& def = definitions_[i];
    if (def.mode != Mode::state_tracked) continue;
    const OutcomeDefinition& d = *def.d;
    const auto& origin = origins_[static_cast<std::size_t>(def.origin_slot)].day;
    for (std::size_t l = 0; l < tile.admitted; ++l) {
      const std::size_t agent = tile.first + l;
      const std::int32_t o = origin[agent];
      if (o == not_reached) continue;
      for (std::size_t j = 0; j < d.days.size(); ++j) {
        if (tile.day - o != d.days[j] - 1) continue;
        if (!d.subgroup.empty() && !in_subgroup(d, agent)) break;
        auto& row = local.counts[i].rows[stratum_of(agent)];
        ++row[j * 2];
        row[j * 2 + 1] += d.state.contains(tile.state[l], tile.treatment[l]) ? 1 : 0;
      }
    }
  }
}

void Observation::observe_module_events(std::int32_t day, std::span<const ModuleEvent> events) {
  if (events.empty()) return;
  Local& local = locals_.local();
  std::uint32_t order = std::uint32_t{1} << 16;  // after every core event of the day
  for (const ModuleEvent& e : events) {
    const auto agent = static_cast<std::size_t>(e.agent);
    // The status at the start of the day: the end of the day's, but for someone who left
    // treatment today (a readmission today is taken as a day in treatment).
    const bool left_today = tracks_exits_ && last_exit_day_[agent] == day;
    const bool treated = pop_->treatment[agent] == TreatmentStatus::in_treatment || left_today;
    on_event(agent, day, e.code, treated, true, local);
    if (plan_.record_events) local.records.push_back({e.agent, day, order++, e.code, e.detail});
  }
}

void Observation::add_derived(OutcomeCounts& counts, const Definition& def, const Population& pop) const {
  const OutcomeDefinition& d = *def.d;
  const auto T = static_cast<std::int32_t>(plan_.days);
  const bool day0 = d.origin.kind == Origin::Kind::day0;
  const bool first_episode =
      union_of(d.causes) == std::vector<EventCode>{event_code_died, event_code_dropped_out, event_code_completed};
  const int lapse_cause = cause_of(d, event_code_lapse), relapse_cause = cause_of(d, event_code_relapse);
  const int died_cause = cause_of(d, event_code_died);
  for (std::size_t i = 0; i < pop.size(); ++i) {
    const std::int32_t arrival = pop.admission_day(i);
    if (arrival >= T) break;  // agents arrive in index order
    if (!d.subgroup.empty() && !in_subgroup(d, i)) continue;
    const std::size_t s = stratum_of_day(arrival);
    analysis::EventTable& table = counts.event[s];
    const std::int32_t o = day0 ? 0 : arrival;
    ++table.entered[static_cast<std::size_t>(day0 ? arrival : 0)];
    // The day of the first event among the causes and its cause, or a censoring.
    std::int32_t when = T - 1;
    int cause = -1;
    if (first_episode) {
      const auto how = pop.first_episode_outcome[i];
      if (how != EpisodeOutcome::ongoing) {
        when = arrival + pop.first_episode_days[i] - 1;
        cause = cause_of(d, how == EpisodeOutcome::completed     ? event_code_completed
                            : how == EpisodeOutcome::dropped_out ? event_code_dropped_out
                                                                 : event_code_died);
      }
    } else {
      const auto consider = [&](std::int32_t day, int k) {
        if (day >= 0 && k >= 0 && (cause < 0 || day < when)) {
          when = day;
          cause = k;
        }
      };
      consider(pop.first_lapse_day[i], lapse_cause);
      consider(pop.first_relapse_day[i], relapse_cause);
      consider(pop.death_day[i], died_cause);
      if (cause < 0 && pop.death_day[i] >= 0) when = pop.death_day[i];  // death censors a net risk
    }
    // A population followed past this horizon: what happened later is not seen here.
    if (when > T - 1) {
      when = T - 1;
      cause = -1;
    }
    // Without an event by the end, the follow-up ended then: the horizon, or a death that is
    // not one of the causes.
    const std::int32_t followed_to = cause >= 0 ? T - 1 : when;
    const auto t = static_cast<std::size_t>(when - o);
    if (cause >= 0) ++table.event(t, static_cast<std::size_t>(cause));
    else ++table.censored[t];
    if (day0) continue;
    auto& row = counts.rows[s];
    for (std::size_t j = 0; j < d.days.size(); ++j) {
      if (arrival + d.days[j] > T || followed_to - arrival < d.days[j] - 1) continue;
      ++row[j * counts.width];
      if (cause >= 0 && static_cast<std::int32_t>(t) < d.days[j])
        ++row[j * counts.width + 1 + static_cast<std::size_t>(cause)];
    }
  }
}

void Observation::close_tracked(OutcomeCounts& counts, const Definition& def, const Population& pop) const {
  const OutcomeDefinition& d = *def.d;
  const auto T = static_cast<std::int32_t>(plan_.days);
  const auto& done = done_[static_cast<std::size_t>(def.done_slot)];
  for (std::size_t i = 0; i < pop.size(); ++i) {
    const std::int32_t arrival = pop.admission_day(i);
    if (arrival >= T) break;
    const std::int32_t o = origin_day(def, i);
    if (o == not_reached || (!d.subgroup.empty() && !in_subgroup(d, i))) continue;
    const std::size_t s = stratum_of_day(arrival);
    analysis::EventTable& table = counts.event[s];
    // Clocks that start at arrival or day 0 enter here; event origins entered when reached.
    if (d.origin.kind == Origin::Kind::day0) ++table.entered[static_cast<std::size_t>(arrival)];
    if (d.origin.kind == Origin::Kind::arrival) {
      ++table.entered[0];
      for (std::size_t j = 0; j < d.days.size(); ++j)
        if (arrival + d.days[j] <= T) ++counts.rows[s][j * counts.width];
    }
    if (!has_bit(done, i))
      ++table.censored[static_cast<std::size_t>(d.origin.kind == Origin::Kind::day0 ? T - 1 : T - 1 - o)];
  }
}

void Observation::add_records(OutcomeCounts& counts, const std::vector<TimeToEventRecord>& records,
                              const Population& pop) const {
  const OutcomeDefinition& d = *counts.definition;
  const auto T = static_cast<std::int32_t>(plan_.days);
  for (std::size_t i = 0; i < records.size() && i < pop.size(); ++i) {
    const TimeToEventRecord& r = records[i];
    if (r.origin_day < 0 || r.origin_day >= T || (!d.subgroup.empty() && !in_subgroup(d, i))) continue;
    analysis::EventTable& table = counts.event[stratum_of(i)];
    ++table.entered[0];
    if (r.cause >= 0)
      ++table.event(static_cast<std::size_t>(r.end_day - r.origin_day), static_cast<std::size_t>(r.cause));
    else ++table.censored[static_cast<std::size_t>(T - 1 - r.origin_day)];
  }
}

std::vector<OutcomeCounts> Observation::finish(const Population& pop, const ModuleRecords& module_records) {
  std::vector<OutcomeCounts> total = empty_counts();
  for (const Local& local : locals_)
    for (std::size_t i = 0; i < total.size(); ++i) {
      for (std::size_t s = 0; s < total[i].event.size(); ++s) total[i].event[s] += local.counts[i].event[s];
      for (std::size_t s = 0; s < total[i].rows.size(); ++s)
        for (std::size_t c = 0; c < total[i].rows[s].size(); ++c) total[i].rows[s][c] += local.counts[i].rows[s][c];
    }
  for (std::size_t i = 0; i < definitions_.size(); ++i) {
    if (definitions_[i].mode == Mode::derived) add_derived(total[i], definitions_[i], pop);
    if (definitions_[i].mode == Mode::tracked) close_tracked(total[i], definitions_[i], pop);
    if (definitions_[i].mode == Mode::module_records && module_records)
      add_records(total[i], module_records(*definitions_[i].d), pop);
  }
  return total;
}

std::vector<RecordedEvent> Observation::take_records() {
  std::vector<RecordedEvent> all;
  for (Local& local : locals_) {
    all.insert(all.end(), local.records.begin(), local.records.end());
    local.records.clear();
  }
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace recoverysim::recovery
