// Waiting lists of settings with slots (pathway.hpp).
#include "pathway.hpp"

#include "portable_math.hpp"

#include <bit>

namespace recoverysim::recovery {

WaitingLists::WaitingLists(const Parameters& p)
    : p_(p), active_(p.treatment.capacity_limited() || p.treatment.costed()) {}

void WaitingLists::start_replicate(std::size_t agents) {
  for (auto& list : lists_) list.clear();
  requests_.assign(p_.treatment.capacity_limited() ? (agents + agents_per_tile - 1) / agents_per_tile : 0, 0);
}

std::uint64_t* WaitingLists::place_requests() {
  std::fill(requests_.begin(), requests_.end(), std::uint64_t{0});
  return requests_.data();
}

void WaitingLists::admit(Population& pop, const Waiting& w, std::size_t setting, RandomKey key, std::uint32_t day,
                         DayCounts& counts, std::vector<ModuleEvent>& events, std::uint8_t* module_events) {
  const auto i = static_cast<std::size_t>(w.agent);
  const bool first_episode = w.before == TreatmentStatus::untreated;
  --counts.treatment[static_cast<std::size_t>(pop.treatment[i])];
  ++counts.treatment[static_cast<std::size_t>(TreatmentStatus::in_treatment)];
  pop.treatment[i] = TreatmentStatus::in_treatment;
  pop.setting[i] = static_cast<std::uint8_t>(setting);
  pop.status_days[i] = 0;
  // From lapse or relapse, withdrawal starts the next day (advance_one_day), its length drawn now.
  if (is_using(pop.state[i]))
    pop.withdrawal_days_left[i] =
        draw_withdrawal_length(p_, pop.substance[i], key, static_cast<std::uint32_t>(w.agent), day);
  if (!first_episode) ++pop.readmissions[i];
  ++occupied_[setting];
  const auto code = static_cast<std::int16_t>(setting);
  if (first_episode) {
    events.push_back({w.agent, event_code_admitted, code});
  } else {
    events.push_back({w.agent, event_code_readmitted, static_cast<std::int16_t>(pop.readmissions[i] + 1)});
    if (w.step_down) events.push_back({w.agent, event_code_stepped_down, code});
  }
  if (module_events) module_events[i] |= first_episode ? event_admitted : event_readmitted;
}

void WaitingLists::serve(Population& pop, RandomKey key, std::uint32_t day, DayCounts& counts,
                         std::vector<ModuleEvent>& events, std::uint8_t* module_events) {
  if (!active_) return;
  const TreatmentParameters& tr = p_.treatment;
  const auto today = static_cast<std::int32_t>(day);
  const std::size_t arrived = pop.admitted_by(today);

  // The places taken at the end of the core day.
  occupied_.fill(0);
  for (std::size_t i = 0; i < arrived; ++i)
    if (pop.treatment[i] == TreatmentStatus::in_treatment && pop.state[i] != ClinicalState::deceased)
      ++occupied_[pop.setting[i]];

  const auto leave = [&](const Waiting& w, std::int16_t why) {
    events.push_back({w.agent, event_code_waitlist_left, why});
  };
  for (std::size_t s = 0; s < tr.setting_count(); ++s) {
    if (tr.settings[s].slots <= 0) continue;
    auto& list = lists_[s];
    // Those waiting since an earlier day may give up; the dead are taken off.
    const double give_up = -portable::expm1(-tr.settings[s].waitlist_dropout_per_day);
    std::erase_if(list, [&](const Waiting& w) {
      const auto i = static_cast<std::size_t>(w.agent);
      if (pop.state[i] == ClinicalState::deceased) {
        leave(w, 3);
        return true;
      }
      const auto u = philox_block(key, static_cast<std::uint32_t>(w.agent), day,
                                  static_cast<std::uint32_t>(Stream::waiting_list), 0)[0];
      if (!bernoulli(u, give_up)) return false;
      --counts.treatment[static_cast<std::size_t>(TreatmentStatus::waiting_list)];
      ++counts.treatment[static_cast<std::size_t>(w.before)];
      pop.treatment[i] = w.before;
      leave(w, 2);
      return true;
    });
    // Places free at the end of the core day go to the list, first come, first served.
    while (!list.empty() && occupied_[s] < tr.settings[s].slots) {
      leave(list.front(), 1);
      admit(pop, list.front(), s, key, day, counts, events, module_events);
      list.pop_front();
    }
  }

  // Today's requests, in agent order: a free place if nobody waits for it, else the list.
  for (std::size_t word = 0; word < requests_.size(); ++word) {
    for (std::uint64_t bits = requests_[word]; bits != 0; bits &= bits - 1) {
      const std::size_t i = word * agents_per_tile + static_cast<std::size_t>(std::countr_zero(bits));
      const auto agent = static_cast<std::uint32_t>(i);
      // A completion today (the days-out clock is 0) asked for its step-down; else an entry.
      const bool step_down = pop.treatment[i] == TreatmentStatus::completed && pop.status_days[i] == 0;
      const std::size_t s = step_down
                                ? static_cast<std::size_t>(tr.settings[pop.setting[i]].step_down)
                                : draw_setting(tr, pop.substance[i], key, agent, day);  // the setting the kernel drew
      const Waiting w{static_cast<std::int32_t>(i), today, pop.treatment[i], step_down};
      auto& list = lists_[s];
      if (list.empty() && occupied_[s] < tr.settings[s].slots) {
        admit(pop, w, s, key, day, counts, events, module_events);
        continue;
      }
      --counts.treatment[static_cast<std::size_t>(pop.treatment[i])];
      ++counts.treatment[static_cast<std::size_t>(TreatmentStatus::waiting_list)];
      pop.treatment[i] = TreatmentStatus::waiting_list;
      list.push_back(w);
      events.push_back({w.agent, event_code_waitlist_joined, static_cast<std::int16_t>(s)});
    }
  }

  // The day's cost: the places taken at the end of the day, and those provided.
  double cost = 0.0;
  for (std::size_t s = 0; s < tr.setting_count(); ++s)
    cost += static_cast<double>(occupied_[s]) * tr.settings[s].cost_per_day +
            static_cast<double>(tr.settings[s].slots) * tr.settings[s].slot_cost_per_day;
  counts.treatment_cost = cost;
}

}  // namespace recoverysim::recovery
