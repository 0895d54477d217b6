// Settings with a limited number of places (`treatment.settings.<s>.slots`) and their waiting
// lists: the treatment pathway's serial step of the day (docs/model.md, section 3.3.6).
//
// The core day decides entries and step-downs agent by agent; one that needs a place in a
// setting with slots is only asked for (the kernel's place requests). After the core day, in one
// thread and in agent order, for each such setting: those on its list since an earlier day leave
// it unserved at the daily hazard `waitlist_dropout_per_day` (the dead are taken off); the places
// free at the end of the core day go to the list first come, first served; then today's
// requests, in agent order, take a free place if one is left and nobody waits, else join the
// back of the list. An admitted agent starts its episode as a direct entry does (status
// in_treatment, the setting, the episode counters; from use, withdrawal the next day).
#pragma once

#include "events.hpp"
#include "kernel.hpp"
#include "observation.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

namespace recoverysim::recovery {

class WaitingLists {
 public:
  explicit WaitingLists(const Parameters& p);

  // Some setting has slots or a cost: the arm must then be stepped day by day, with this step
  // after each.
  bool active() const { return active_; }
  void start_replicate(std::size_t agents);
  // Cleared for the day: one word per tile of 64 agents, for step_population.
  std::uint64_t* place_requests();

  // The day's step, after the core day: changes the status, setting and counters of those
  // admitted or leaving a list, corrects `counts` (the treatment statuses) to match and sets its
  // treatment_cost (the places taken at the end of the day and those provided), appends the
  // events to `events` (core codes: admitted, readmitted, stepped_down, waitlist_joined,
  // waitlist_left) and marks admissions in `module_events` (per agent, if not null).
  void serve(Population& pop, RandomKey key, std::uint32_t day, DayCounts& counts, std::vector<ModuleEvent>& events,
             std::uint8_t* module_events);

  // People on the lists now, by setting code.
  std::size_t waiting(std::size_t setting) const { return lists_[setting].size(); }

 private:
  struct Waiting {
    std::int32_t agent;
    std::int32_t joined_day;
    TreatmentStatus before;  // the status to return to on giving up
    bool step_down;          // the request came from a completion's step-down
  };
  void admit(Population& pop, const Waiting& w, std::size_t setting, RandomKey key, std::uint32_t day,
             DayCounts& counts, std::vector<ModuleEvent>& events, std::uint8_t* module_events);

  const Parameters& p_;
  bool active_ = false;
  std::array<std::deque<Waiting>, max_settings> lists_;
  std::array<std::int64_t, max_settings> occupied_{};
  std::vector<std::uint64_t> requests_;
};

}  // namespace recoverysim::recovery
