// Column <-> agent copies and the serial and parallel drivers of the day kernel.
#include "kernel.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

namespace recoverysim::recovery {

AgentState load_agent(const Population& pop, std::size_t i) {
  AgentState a;
  a.substance = pop.substance[i];
  a.mental_health = pop.mental_health[i] != 0;
  a.baseline_support = pop.baseline_support[i];
  a.baseline_engagement = pop.baseline_engagement[i];
  a.craving_peak = pop.craving_peak[i];
  a.craving = pop.craving[i];
  a.self_efficacy = pop.self_efficacy[i];
  a.support = pop.support[i];
  a.skills = pop.skills[i];
  a.engagement = pop.engagement[i];
  a.state = pop.state[i];
  a.treatment = pop.treatment[i];
  a.abstinent_run = pop.abstinent_run[i];
  a.abstinent_before_use = pop.abstinent_before_use[i];
  a.days_since_use = pop.days_since_use[i];
  a.withdrawal_days_done = pop.withdrawal_days_done[i];
  a.withdrawal_length = pop.withdrawal_length[i];
  a.episode_days = pop.episode_days[i];
  a.first_lapse_day = pop.first_lapse_day[i];
  a.first_relapse_day = pop.first_relapse_day[i];
  a.first_episode_outcome = pop.first_episode_outcome[i];
  a.first_episode_days = pop.first_episode_days[i];
  a.readmissions = pop.readmissions[i];
  a.death_day = pop.death_day[i];
  a.abstinent_days = pop.abstinent_days[i];
  return a;
}

void store_agent(Population& pop, std::size_t i, const AgentState& a) {
  // Fixed attributes never change during a day; only the dynamic columns are written back.
  pop.craving[i] = static_cast<float>(a.craving);
  pop.self_efficacy[i] = static_cast<float>(a.self_efficacy);
  pop.support[i] = static_cast<float>(a.support);
  pop.skills[i] = static_cast<float>(a.skills);
  pop.engagement[i] = static_cast<float>(a.engagement);
  pop.state[i] = a.state;
  pop.treatment[i] = a.treatment;
  pop.abstinent_run[i] = a.abstinent_run;
  pop.abstinent_before_use[i] = a.abstinent_before_use;
  pop.days_since_use[i] = a.days_since_use;
  pop.withdrawal_days_done[i] = static_cast<std::uint16_t>(a.withdrawal_days_done);
  pop.withdrawal_length[i] = static_cast<std::uint16_t>(a.withdrawal_length);
  pop.episode_days[i] = static_cast<std::uint16_t>(a.episode_days);
  pop.first_lapse_day[i] = a.first_lapse_day;
  pop.first_relapse_day[i] = a.first_relapse_day;
  pop.first_episode_outcome[i] = a.first_episode_outcome;
  pop.first_episode_days[i] = a.first_episode_days;
  pop.readmissions[i] = a.readmissions;
  pop.death_day[i] = a.death_day;
  pop.abstinent_days[i] = a.abstinent_days;
}

namespace {

AgentEffects effects_of(const EffectColumns& fx, std::size_t i) {
  AgentEffects e;
  e.support_connections = fx.support_connections[i];
  e.craving_increment = fx.craving_increment[i];
  e.self_efficacy_increment = fx.self_efficacy_increment[i];
  e.skills_increment = fx.skills_increment[i];
  e.engagement_increment = fx.engagement_increment[i];
  e.lapse_multiplier = fx.lapse_multiplier[i];
  e.stress_lapse_multiplier = fx.stress_lapse_multiplier[i];
  e.relapse_odds_multiplier = fx.relapse_odds_multiplier[i];
  e.dropout_multiplier = fx.dropout_multiplier[i];
  return e;
}

std::uint8_t event_bits(const DayEvents& ev) {
  return static_cast<std::uint8_t>((ev.died ? event_died : 0) | (ev.lapsed ? event_lapsed : 0) |
                                   (ev.relapsed ? event_relapsed : 0) | (ev.resumed ? event_resumed : 0) |
                                   (ev.dropped_out ? event_dropped_out : 0) | (ev.completed ? event_completed : 0) |
                                   (ev.readmitted ? event_readmitted : 0));
}

}  // namespace

void step_range(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t day, std::size_t begin,
                std::size_t end, DayCounts& counts, const TrajectorySink* trajectory, ModuleChannels channels) {
  constexpr AgentEffects no_effects{};
  const auto today = static_cast<std::int32_t>(day);
  for (std::size_t i = begin; i != end; ++i) {
    std::uint8_t events = 0;
    if (pop.admission_day[i] > today) {  // not yet in the cohort
      ++counts.treatment[static_cast<std::size_t>(TreatmentStatus::waiting)];
      if (trajectory) trajectory->data[i * trajectory->stride + trajectory->offset] = not_admitted;
      if (channels.events) channels.events[i] = 0;
      continue;
    }
    if (pop.admission_day[i] == today) {
      pop.treatment[i] = TreatmentStatus::in_treatment;
      events = event_admitted;
    }
    if (pop.state[i] != ClinicalState::deceased) {
      const auto agent = static_cast<std::uint32_t>(i);
      const auto block = philox_block(key, agent, day, static_cast<std::uint32_t>(Stream::core_day), 0);
      const DayDraws draws{block[slot_stress], block[slot_death], block[slot_state_exit], block[slot_treatment_exit]};
      AgentState a = load_agent(pop, i);
      const DayEvents ev = advance_one_day(ctx, a, today, draws, channels.effects ? effects_of(*channels.effects, i) : no_effects,
                                           [&] { return draw_withdrawal_length(ctx.p, a.substance, key, agent, day); });
      store_agent(pop, i, a);
      events |= event_bits(ev);
    }
    if (channels.events) channels.events[i] = events;
    const ClinicalState x = pop.state[i];
    ++counts.state[static_cast<std::size_t>(x)];
    if (x != ClinicalState::deceased) ++counts.treatment[static_cast<std::size_t>(pop.treatment[i])];
    if (trajectory) trajectory->data[i * trajectory->stride + trajectory->offset] = static_cast<std::uint8_t>(x);
  }
}

DayCounts step_population(const DayContext& ctx, Population& pop, RandomKey key, std::uint32_t day,
                          const TrajectorySink* trajectory, ModuleChannels channels) {
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, pop.size(), 2048), DayCounts{},
      [&](const tbb::blocked_range<std::size_t>& range, DayCounts counts) {
        step_range(ctx, pop, key, day, range.begin(), range.end(), counts, trajectory, channels);
        return counts;
      },
      [](DayCounts a, const DayCounts& b) { return a += b; });
}

}  // namespace recoverysim::recovery
