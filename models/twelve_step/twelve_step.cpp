// The twelve_step module: its parameter table, the daily effects of affiliation, meetings and
// sponsorship, and the serial phase that ends and makes sponsor links.
#include "twelve_step.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <set>

namespace recoverysim::recovery {

namespace {

constexpr std::size_t grain = 4096;

bool alive(const Population& pop, std::size_t i) { return pop.state[i] != ClinicalState::deceased; }

bool offered_today(TwelveStepOffer offer_at, std::uint8_t events) {
  if (offer_at == TwelveStepOffer::admission) return (events & (event_admitted | event_readmitted)) != 0;
  return (events & (event_completed | event_dropped_out)) != 0;
}

template <class Body>
void for_each_agent(std::size_t n, Body&& body) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) body(i);
  });
}

}  // namespace

void TwelveStep::declare(ParamTable& t) {
  auto& p = p_;
  t.add_choice("offer_at", p.offer_at, TwelveStepOffer::admission, {"admission", "discharge"},
               "When an agent is offered mutual help: at each admission (facilitation during treatment) or at each "
               "discharge (completion or dropout)");
  t.add_real("uptake_probability", p.uptake_probability, 0.6, 0.0, 1.0, "probability",
             "Probability that an agent offered mutual help takes it up and becomes a participant");
  t.add_real("meetings_per_week", p.meetings_per_week, 3.0, 0.0, 7.0, "meetings per week",
             "Meetings available; a participant attends on a day with probability affiliation x meetings_per_week / 7");
  t.add_real("initial_affiliation", p.initial_affiliation, 0.5, 0.0, 1.0, "affiliation",
             "Affiliation f of a new participant");
  t.add_real("affiliation_growth_per_meeting", p.affiliation_growth_per_meeting, 0.05, 0.0, 1.0, "share of headroom",
             "Each meeting attended closes this share of the gap to full affiliation: f += growth x (1 - f)");
  t.add_real("affiliation_decay_rate_per_day", p.affiliation_decay_rate_per_day, 0.01, 0.0, 1.0, "per day",
             "Daily proportional loss of affiliation: f -= decay x f");
  t.add_real("affiliation_factor_on_relapse", p.affiliation_factor_on_relapse, 0.7, 0.0, 1.0, "factor",
             "Affiliation is multiplied by this on the day of a relapse");
  t.add_real("step_probability_per_meeting", p.step_probability_per_meeting, 0.08, 0.0, 1.0, "probability",
             "Probability that a meeting attended advances the participant by one of the 12 steps");
  t.add_real("sponsor_step_multiplier", p.sponsor_step_multiplier, 2.0, 0.0, 100.0, "multiplier",
             "Step probability multiplier while the participant has a sponsor (capped at probability 1)");
  t.add_real("support_connections_per_affiliation", p.support_connections_per_affiliation, 0.2, 0.0, 1.0,
             "support per unit of affiliation", "A participant's support target g_target rises by this x f");
  t.add_real("self_efficacy_per_meeting", p.self_efficacy_per_meeting, 0.005, 0.0, 1.0, "self-efficacy",
             "Self-efficacy e rises by this on a day a meeting is attended");
  t.add_real("sponsored_lapse_multiplier", p.sponsored_lapse_multiplier, 0.7, 0.0, 10.0, "multiplier",
             "Lapse hazard multiplier while the participant has a sponsor");
  t.add_real("helper_lapse_multiplier", p.helper_lapse_multiplier, 0.8, 0.0, 10.0, "multiplier",
             "Lapse hazard multiplier while the agent sponsors at least one member of the cohort (helper effect)");
  t.add_real("sponsor_seek_affiliation", p.sponsor_seek_affiliation, 0.4, 0.0, 1.0, "affiliation",
             "A participant without a sponsor looks for one once affiliation f reaches this");
  t.add_real("sponsor_keep_affiliation", p.sponsor_keep_affiliation, 0.2, 0.0, 1.0, "affiliation",
             "A sponsee whose affiliation falls below this leaves the sponsor (at most sponsor_seek_affiliation)");
  t.add_real("sponsor_find_probability_per_day", p.sponsor_find_probability_per_day, 0.05, 0.0, 1.0, "probability",
             "Daily probability that a participant looking for a sponsor finds one, if one is free");
  t.add_integer("max_sponsees", p.max_sponsees, 3, 1, 1000, "sponsees", "Most sponsees one sponsor takes at a time");
  t.add_integer("external_sponsors", p.external_sponsors, 1500, 0, 2'000'000'000, "sponsors",
                "Sponsors outside the cohort (community members), each with up to max_sponsees sponsees");
  t.add_real("facilitation_fte", p.facilitation_fte, 0.0, 0.0, 1.0e6, "FTE",
             "Programme staff facilitating mutual help (community meetings need none)");
  t.add_real("salary_per_year", p.salary_per_year, 34000.0, 0.0, 1.0e9, "currency per FTE-year",
             "Salary of one facilitation FTE");
  t.add_real("facilitation_cost_per_participant_day", p.facilitation_cost_per_participant_day, 0.0, 0.0, 1.0e6,
             "currency per participant per day", "Other facilitation cost for each living participant each day");
}

void TwelveStep::validate(const ParamTable& table) const {
  if (p_.sponsor_keep_affiliation > p_.sponsor_seek_affiliation)
    throw InputError(table.where_set("sponsor_keep_affiliation"),
                     "twelve_step: sponsor_keep_affiliation must not exceed sponsor_seek_affiliation");
}

std::vector<std::string> TwelveStep::metric_names() const {
  return {"attenders", "mean_affiliation", "mean_step", "sponsored", "sponsoring", "staff_fte", "cost"};
}

void TwelveStep::start_replicate(const ReplicateContext& ctx, std::size_t agents) {
  stream_base_ = ctx.stream_base;
  participant_.assign(agents, 0);
  attended_.assign(agents, 0);
  affiliation_.assign(agents, 0.0f);
  steps_.assign(agents, 0);
  meetings_.assign(agents, 0);
  sponsor_.assign(agents, no_sponsor);
  sponsees_.assign(agents, 0);
  external_sponsees_ = 0;
}

std::uint32_t TwelveStep::draw(const DayView& view, std::size_t agent, StreamOffset stream) const {
  return philox_block(view.key, static_cast<std::uint32_t>(agent), view.day, stream_base_ + stream, 0)[0];
}

// Today's meetings and the effects of yesterday's affiliation and links. Each agent on its own.
void TwelveStep::before_day(DayView& view) {
  const Population& pop = view.pop;
  EffectColumns& fx = view.effects;
  const double meeting_share = p_.meetings_per_week / 7.0;
  for_each_agent(pop.size(), [&](std::size_t i) {
    attended_[i] = 0;
    if (!participant_[i] || !alive(pop, i)) return;
    const double f = affiliation_[i];
    const bool attends = bernoulli(draw(view, i, stream_attendance), f * meeting_share);
    attended_[i] = attends ? 1 : 0;
    fx.support_connections[i] += static_cast<float>(p_.support_connections_per_affiliation * f);
    if (attends) fx.self_efficacy_increment[i] += static_cast<float>(p_.self_efficacy_per_meeting);
    double multiplier = 1.0;
    if (sponsor_[i] != no_sponsor) multiplier *= p_.sponsored_lapse_multiplier;
    if (sponsees_[i] > 0) multiplier *= p_.helper_lapse_multiplier;
    fx.lapse_multiplier[i] *= static_cast<float>(multiplier);
  });
}

// Affiliation, steps and offers: each agent on its own, so in parallel.
void TwelveStep::update_participants(const DayView& view) {
  const Population& pop = view.pop;
  for_each_agent(pop.size(), [&](std::size_t i) {
    const std::uint8_t events = view.events[i];
    if (!alive(pop, i)) return;
    if (participant_[i]) {
      double f = affiliation_[i];
      f -= p_.affiliation_decay_rate_per_day * f;
      if (attended_[i]) {
        ++meetings_[i];
        f += p_.affiliation_growth_per_meeting * (1.0 - f);
        if (steps_[i] < all_steps) {
          const double p_step = p_.step_probability_per_meeting *
                                (sponsor_[i] != no_sponsor ? p_.sponsor_step_multiplier : 1.0);
          if (bernoulli(draw(view, i, stream_step), p_step)) ++steps_[i];
        }
      }
      if (events & event_relapsed) f *= p_.affiliation_factor_on_relapse;
      affiliation_[i] = static_cast<float>(std::clamp(f, 0.0, 1.0));
    } else if (offered_today(p_.offer_at, events) && bernoulli(draw(view, i, stream_uptake), p_.uptake_probability)) {
      participant_[i] = 1;
      affiliation_[i] = static_cast<float>(p_.initial_affiliation);
    }
  });
}

// A link ends when the sponsor dies or leaves stable recovery (a lapse or relapse), or when the
// sponsee dies or loses affiliation. Serial, in agent order: it changes the sponsors' counts.
void TwelveStep::end_links(const DayView& view) {
  const Population& pop = view.pop;
  for (std::size_t i = 0; i < sponsor_.size(); ++i) {
    const std::int32_t s = sponsor_[i];
    if (s == no_sponsor) continue;
    bool ends = !alive(pop, i) || affiliation_[i] < p_.sponsor_keep_affiliation;
    if (s >= 0) ends = ends || pop.state[static_cast<std::size_t>(s)] != ClinicalState::stable_recovery;
    if (!ends) continue;
    if (s >= 0)
      --sponsees_[static_cast<std::size_t>(s)];
    else
      --external_sponsees_;
    sponsor_[i] = no_sponsor;
  }
}

// Participants looking for a sponsor, in agent order, each take the eligible member of the
// cohort with the fewest sponsees (ties: lowest index), else a place in the external pool.
void TwelveStep::find_sponsors(const DayView& view) {
  const Population& pop = view.pop;
  const auto max_sponsees = static_cast<std::int32_t>(p_.max_sponsees);
  const std::int64_t external_places = p_.external_sponsors * p_.max_sponsees;

  std::vector<std::size_t> seekers;
  for (std::size_t i = 0; i < sponsor_.size(); ++i)
    if (participant_[i] && alive(pop, i) && sponsor_[i] == no_sponsor &&
        affiliation_[i] >= p_.sponsor_seek_affiliation &&
        bernoulli(draw(view, i, stream_sponsor_search), p_.sponsor_find_probability_per_day))
      seekers.push_back(i);
  if (seekers.empty()) return;

  // buckets[k]: eligible in-cohort sponsors with k sponsees, ordered by index.
  std::vector<std::set<std::int32_t>> buckets(static_cast<std::size_t>(max_sponsees));
  for (std::size_t j = 0; j < sponsor_.size(); ++j)
    if (steps_[j] == all_steps && pop.state[j] == ClinicalState::stable_recovery && sponsees_[j] < max_sponsees)
      buckets[static_cast<std::size_t>(sponsees_[j])].insert(static_cast<std::int32_t>(j));

  for (const std::size_t i : seekers) {
    const auto me = static_cast<std::int32_t>(i);
    std::int32_t chosen = no_sponsor;
    for (std::size_t k = 0; k < buckets.size() && chosen == no_sponsor; ++k) {
      // Not oneself, and not one's own sponsee.
      const auto it = std::find_if(buckets[k].begin(), buckets[k].end(), [&](std::int32_t j) {
        return j != me && sponsor_[static_cast<std::size_t>(j)] != me;
      });
      if (it == buckets[k].end()) continue;
      chosen = *it;
      buckets[k].erase(it);
      if (k + 1 < buckets.size()) buckets[k + 1].insert(chosen);
    }
    if (chosen != no_sponsor) {
      sponsor_[i] = chosen;
      ++sponsees_[static_cast<std::size_t>(chosen)];
    } else if (external_sponsees_ < external_places) {
      sponsor_[i] = external_sponsor;
      ++external_sponsees_;
    }
  }
}

void TwelveStep::after_day(DayView& view, std::span<double> metrics) {
  update_participants(view);
  end_links(view);
  find_sponsors(view);

  // Metrics: serial sums in agent order.
  const Population& pop = view.pop;
  std::int64_t attenders = 0, participants = 0, sponsored = 0, sponsoring = 0;
  double affiliation_sum = 0.0, step_sum = 0.0;
  for (std::size_t i = 0; i < participant_.size(); ++i) {
    attenders += attended_[i];
    if (sponsees_[i] > 0) ++sponsoring;
    if (!participant_[i] || !alive(pop, i)) continue;
    ++participants;
    affiliation_sum += affiliation_[i];
    step_sum += steps_[i];
    if (sponsor_[i] != no_sponsor) ++sponsored;
  }
  const double per_participant = participants > 0 ? 1.0 / static_cast<double>(participants) : 0.0;
  const double cost = p_.facilitation_fte * p_.salary_per_year / 365.0 +
                      p_.facilitation_cost_per_participant_day * static_cast<double>(participants);
  // In metric_names() order.
  const double values[] = {static_cast<double>(attenders), affiliation_sum * per_participant,
                           step_sum * per_participant, static_cast<double>(sponsored),
                           static_cast<double>(sponsoring), p_.facilitation_fte, cost};
  std::copy(std::begin(values), std::end(values), metrics.begin());
}

std::vector<AgentColumn> TwelveStep::agent_columns() const {
  return {
      {"participant", std::vector<std::int32_t>(participant_.begin(), participant_.end())},
      {"meetings", meetings_},
      {"steps", steps_},
      {"sponsor", sponsor_},
      {"sponsees", sponsees_},
      {"affiliation", affiliation_},
  };
}

}  // namespace recoverysim::recovery
