// The twelve_step module: its parameter table, the daily effects of affiliation, meetings and
// sponsorship, and the serial phase that ends and makes sponsor links.
#include "twelve_step.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <queue>

namespace recoverysim::recovery {

void TwelveStep::declare(ParamTable& t) {
  t.add_choice("offer_at", p_.offer_at, TwelveStepOffer::admission, {"admission", "discharge"},
               "When an agent is offered mutual help: at each admission (facilitation during treatment) or at each "
               "discharge (completion or dropout)");
  t.add_real("uptake_probability", p_.uptake_probability, 0.6, 0.0, 1.0, "probability",
             "Probability that an agent offered mutual help takes it up and becomes a participant");
  t.add_real("meetings_per_week", p_.meetings_per_week, 3.0, 0.0, 7.0, "meetings per week",
             "Meetings available; a participant attends on a day with probability affiliation x meetings_per_week / 7");
  t.add_real("initial_affiliation", p_.initial_affiliation, 0.5, 0.0, 1.0, "affiliation",
             "Affiliation f of a new participant");
  t.add_real("affiliation_growth_per_meeting", p_.affiliation_growth_per_meeting, 0.05, 0.0, 1.0, "share of headroom",
             "Each meeting attended closes this share of the gap to full affiliation: f += growth x (1 - f)");
  t.add_real("affiliation_decay_rate_per_day", p_.affiliation_decay_rate_per_day, 0.01, 0.0, 1.0, "per day",
             "Daily proportional loss of affiliation: f -= decay x f");
  t.add_real("affiliation_factor_on_relapse", p_.affiliation_factor_on_relapse, 0.7, 0.0, 1.0, "factor",
             "Affiliation is multiplied by this on the day of a relapse");
  t.add_real("step_probability_per_meeting", p_.step_probability_per_meeting, 0.08, 0.0, 1.0, "probability",
             "Probability that a meeting attended advances the participant by one of the 12 steps");
  t.add_real("sponsor_step_multiplier", p_.sponsor_step_multiplier, 2.0, 0.0, 100.0, "multiplier",
             "Step probability multiplier while the participant has a sponsor (capped at probability 1)");
  t.add_real("support_connections_per_affiliation", p_.support_connections_per_affiliation, 0.2, 0.0, 1.0,
             "support per unit of affiliation", "A participant's support target g_target rises by this x f");
  t.add_real("self_efficacy_per_meeting", p_.self_efficacy_per_meeting, 0.005, 0.0, 1.0, "self-efficacy",
             "Self-efficacy e rises by this on a day a meeting is attended");
  t.add_real("sponsored_lapse_multiplier", p_.sponsored_lapse_multiplier, 0.7, 0.0, 10.0, "multiplier",
             "Lapse hazard multiplier while the participant has a sponsor");
  t.add_real("helper_lapse_multiplier", p_.helper_lapse_multiplier, 0.8, 0.0, 10.0, "multiplier",
             "Lapse hazard multiplier while the agent sponsors at least one member of the cohort (helper effect)");
  t.add_real("sponsor_seek_affiliation", p_.sponsor_seek_affiliation, 0.4, 0.0, 1.0, "affiliation",
             "A participant without a sponsor looks for one once affiliation f reaches this");
  t.add_real("sponsor_keep_affiliation", p_.sponsor_keep_affiliation, 0.2, 0.0, 1.0, "affiliation",
             "A sponsee whose affiliation falls below this leaves the sponsor (at most sponsor_seek_affiliation)");
  t.add_real("sponsor_find_probability_per_day", p_.sponsor_find_probability_per_day, 0.05, 0.0, 1.0, "probability",
             "Daily probability that a participant looking for a sponsor finds one, if one is free");
  t.add_integer("max_sponsees", p_.max_sponsees, 3, 1, 1000, "sponsees", "Most sponsees one sponsor takes at a time");
  t.add_real("external_sponsors_per_1000", p_.external_sponsors_per_1000, 150.0, 0.0, 1.0e6,
             "sponsors per 1,000 agents",
             "Sponsors outside the cohort (community members), per 1,000 agents of the cohort (open cohorts: of all "
             "arrivals over the run), each with up to max_sponsees sponsees");
  t.retire("external_sponsors", "'external_sponsors_per_1000'",
           "a pool per 1,000 agents, so that an effect does not change with the cohort's size; 1,500 for 10,000 "
           "agents is 150",
           "2");
  t.add_real("facilitation_fte", p_.facilitation_fte, 0.0, 0.0, 1.0e6, "FTE",
             "Programme staff facilitating mutual help (community meetings need none)");
  t.add_real("salary_per_year", p_.salary_per_year, 34000.0, 0.0, 1.0e9, "currency per FTE-year",
             "Salary of one facilitation FTE");
  t.add_real("facilitation_cost_per_participant_day", p_.facilitation_cost_per_participant_day, 0.0, 0.0, 1.0e6,
             "currency per participant per day", "Other facilitation cost for each living participant each day");
}

void TwelveStep::validate(const ParamTable& table) const {
  if (p_.sponsor_keep_affiliation > p_.sponsor_seek_affiliation)
    throw InputError(table.where_set("sponsor_keep_affiliation"),
                     "twelve_step: sponsor_keep_affiliation must not exceed sponsor_seek_affiliation");
}

std::vector<Metric> TwelveStep::metrics() const {
  return {{"attenders", "people", "people who attended a meeting today"},
          {"mean_affiliation", "affiliation (0 to 1)", "mean affiliation over living participants (0 if none)"},
          {"mean_step", "steps", "mean steps completed over living participants (0 if none)"},
          {"sponsored", "people", "participants with a sponsor at the end of the day"},
          {"sponsoring", "people", "people of the cohort with at least one sponsee at the end of the day"},
          {"staff_fte", "FTE", "facilitation staff (0 by default: community meetings need no staff)"},
          {"cost", "currency units", "the day's facilitation cost, undiscounted"}};
}

void TwelveStep::start(const ReplicateContext&, std::size_t agents) {
  fixed_ = {static_cast<float>(p_.meetings_per_week / days_per_week),
            static_cast<float>(p_.support_connections_per_affiliation),
            static_cast<float>(p_.self_efficacy_per_meeting),
            static_cast<float>(p_.step_probability_per_meeting),
            static_cast<float>(p_.step_probability_per_meeting * p_.sponsor_step_multiplier),
            static_cast<float>(p_.sponsored_lapse_multiplier),
            static_cast<float>(p_.helper_lapse_multiplier),
            static_cast<float>(p_.sponsored_lapse_multiplier * p_.helper_lapse_multiplier)};
  external_sponsees_ = sponsoring_ = living_ = 0;
  sponsored_.clear();
  tiles_.assign((agents + agents_per_tile - 1) / agents_per_tile, TileFigures{});
  external_sponsors_ = std::llround(p_.external_sponsors_per_1000 * static_cast<double>(agents) / 1000.0);
}

// Links that end, when the sponsor dies or leaves stable recovery (a lapse or relapse) or the
// sponsee dies or loses affiliation: each ends or not on its own.
void TwelveStep::end_links(const Population& pop) {
  std::erase_if(sponsored_, [&](std::int32_t agent) {
    const auto i = static_cast<std::size_t>(agent);
    const std::int32_t s = sponsor_[i];
    bool ends = pop.state[i] == ClinicalState::deceased || affiliation_[i] < p_.sponsor_keep_affiliation;
    if (s >= 0) ends = ends || pop.state[static_cast<std::size_t>(s)] != ClinicalState::stable_recovery;
    if (!ends) return false;
    if (s < 0) --external_sponsees_;
    if (s >= 0 && --sponsees_[static_cast<std::size_t>(s)] == 0) --sponsoring_;
    sponsor_[i] = no_sponsor;
    return true;
  });
}

// Participants looking for a sponsor, in agent order, each take the eligible member of the
// cohort with the fewest sponsees (ties: lowest index), else a place in the external pool.
// The seekers are read from the tiles' may_seek bits a block at a time, and only while a
// sponsor has room: once none has, the remaining searches cannot succeed and need not be drawn.
void TwelveStep::find_sponsors(const DayView& view) {
  const auto max_sponsees = static_cast<std::int32_t>(p_.max_sponsees);
  const std::int64_t external_places = external_sponsors_ * p_.max_sponsees;

  // Eligible in-cohort sponsors (twelve steps, in stable recovery, with room) as (sponsees,
  // index), smallest first: bucketed by sponsees, each bucket in index order.
  std::vector<std::vector<std::uint64_t>> buckets(static_cast<std::size_t>(max_sponsees));
  std::int64_t in_cohort_room = 0;
  for (std::size_t tile = 0; tile < tiles_.size(); ++tile)
    for (std::uint64_t bits = tiles_[tile].twelve_steps; bits != 0; bits &= bits - 1) {
      const std::size_t j = tile * agents_per_tile + static_cast<std::size_t>(std::countr_zero(bits));
      const std::int32_t k = sponsees_[j];
      if (view.pop.state[j] != ClinicalState::stable_recovery || k >= max_sponsees) continue;
      buckets[static_cast<std::size_t>(k)].push_back((std::uint64_t(k) << 32) | std::uint32_t(j));
      in_cohort_room += max_sponsees - k;
    }
  const auto room = [&] { return in_cohort_room > 0 || external_sponsees_ < external_places; };
  if (!room()) return;
  std::vector<std::uint64_t> sorted;
  for (const auto& bucket : buckets) sorted.insert(sorted.end(), bucket.begin(), bucket.end());
  // A sorted array is already a min-heap.
  std::priority_queue<std::uint64_t, std::vector<std::uint64_t>, std::greater<>> sponsors(std::greater<>{},
                                                                                          std::move(sorted));
  std::vector<std::uint64_t> passed_over;
  const std::size_t linked_before = sponsored_.size();

  constexpr std::size_t block = 4096;
  for (std::size_t word = 0; word < tiles_.size() && room();) {
    // The next block of agents without a sponsor (links that ended today are gone) who may seek.
    seekers_.clear();
    for (; word < tiles_.size() && seekers_.size() < block; ++word)
      for (std::uint64_t bits = tiles_[word].may_seek; bits != 0; bits &= bits - 1) {
        const std::size_t i = word * agents_per_tile + static_cast<std::size_t>(std::countr_zero(bits));
        if (sponsor_[i] == no_sponsor) seekers_.push_back(static_cast<std::int32_t>(i));
      }
    seeker_draws_.resize(seekers_.size());
    first_draws(view.key, seekers_, view.day, stream_base() + stream_sponsor_search, seeker_draws_);
    for (std::size_t k = 0; k < seekers_.size() && room(); ++k) {
      if (!bernoulli(seeker_draws_[k], p_.sponsor_find_probability_per_day)) continue;
      const std::int32_t me = seekers_[k];
      // Not oneself, and not one's own sponsee: set aside, put back after the choice.
      std::int32_t chosen = no_sponsor;
      while (!sponsors.empty()) {
        const std::uint64_t top = sponsors.top();
        sponsors.pop();
        const auto j = static_cast<std::int32_t>(top & 0xffffffffu);
        if (j == me || sponsor_[static_cast<std::size_t>(j)] == me) {
          passed_over.push_back(top);
          continue;
        }
        chosen = j;
        const std::int32_t k_after = static_cast<std::int32_t>(top >> 32) + 1;
        if (k_after < max_sponsees) sponsors.push((std::uint64_t(k_after) << 32) | std::uint32_t(j));
        break;
      }
      for (const std::uint64_t entry : passed_over) sponsors.push(entry);
      passed_over.clear();
      const auto i = static_cast<std::size_t>(me);
      if (chosen != no_sponsor) {
        sponsor_[i] = chosen;
        if (sponsees_[static_cast<std::size_t>(chosen)]++ == 0) ++sponsoring_;
        --in_cohort_room;
      } else if (external_sponsees_ < external_places) {
        sponsor_[i] = external_sponsor;
        ++external_sponsees_;
      } else {
        continue;
      }
      sponsored_.push_back(me);
    }
  }
  // Today's sponsees came in agent order: merged, the list stays in agent order, so end_links
  // reads the per-agent columns front to back.
  std::inplace_merge(sponsored_.begin(), sponsored_.begin() + static_cast<std::ptrdiff_t>(linked_before),
                     sponsored_.end());
}

void TwelveStep::after_day(DayView& view, std::span<double> metrics) {
  end_links(view.pop);
  find_sponsors(view);

  // The tiles' figures: integers, the same in any order, and the affiliation in tile order.
  std::int64_t steps = 0;
  double affiliation = 0.0;
  living_ = 0;
  for (const TileFigures& tile : tiles_) {
    living_ += tile.living;
    steps += tile.steps;
    affiliation += tile.affiliation;
  }
  const double per_participant = living_ > 0 ? 1.0 / static_cast<double>(living_) : 0.0;
  const double cost = p_.facilitation_fte * p_.salary_per_year / days_per_year +
                      p_.facilitation_cost_per_participant_day * static_cast<double>(living_);
  // In metric_names() order. Every sponsored agent is a living participant.
  const double values[] = {static_cast<double>(view.effects_total),
                           affiliation * per_participant,
                           static_cast<double>(steps) * per_participant,
                           static_cast<double>(sponsored_.size()),
                           static_cast<double>(sponsoring_),
                           p_.facilitation_fte,
                           cost};
  std::copy(std::begin(values), std::end(values), metrics.begin());
}

std::vector<AgentColumn> TwelveStep::agent_columns() const {
  return {
      {"participant", std::vector<std::int32_t>(participant_.begin(), participant_.end()), "flag",
       "1 if the person took up an offer, else 0"},
      {"meetings", meetings_, "meetings", "meetings attended"},
      {"steps", steps_, "steps", "steps completed, 0 to 12"},
      {"sponsor", sponsor_, "agent index",
       "the sponsor's agent index; -1 no sponsor; -2 a sponsor from outside the cohort"},
      {"sponsees", sponsees_, "people", "people of the cohort this person sponsors"},
      {"affiliation", affiliation_, "affiliation (0 to 1)", "affiliation with the fellowship at the horizon"},
  };
}

}  // namespace recoverysim::recovery
