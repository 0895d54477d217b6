// The events of an agent's life in the model: the table of their codes and names that outcome
// definitions (analysis.outcomes), the event record (output.events) and the modules share.
//
// Core events are numbered in the order they happen within a day (an arrival first, then
// death, the state changes of steps 4-7, then the treatment step), so that sorting one agent's
// core events of a day by code gives their order. The cause of a death (codes 12 and 13, added
// by model version 2) follows `died`: a death ends the agent's day, so nothing comes between. An intervention module's
// events are numbered from its stream base (peer_mentor 1000, group 1100, ...) and named `<type>.<event>`; they happen
// after the core day, in the order the modules report them. A new version of the model adds codes at the end of either
// list.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace recoverysim::recovery {

using EventCode = std::uint16_t;

enum CoreEvent : EventCode {
  event_code_arrival = 1,               // enters the cohort (detail: 1 in treatment, 0 in the community)
  event_code_died = 2,                  // detail: treatment status code at death
  event_code_lapse = 3,                 // a return to use (enters lapse)
  event_code_relapse = 4,               // a lapse becomes a relapse
  event_code_lapse_resolved = 5,        // a lapse ends without a relapse (back to early recovery)
  event_code_resumed = 6,               // abstinence resumed after a relapse
  event_code_withdrawal_completed = 7,  // withdrawal ends in early recovery
  event_code_stable = 8,                // early recovery becomes stable recovery
  event_code_dropped_out = 9,           // detail: episode number
  event_code_completed = 10,            // detail: episode number
  event_code_readmitted = 11,           // a new episode starts; detail: its number
  // Model version 2: the cause of a death, reported with `died` on the same day, just after it.
  event_code_died_other_causes = 12,  // detail: days since leaving treatment, -1 in treatment
  event_code_died_substance_related = 13,
  // Continuing care: the episode completed today steps down to another setting, whose episode
  // starts tomorrow; reported after `completed` and `readmitted`. Detail: the new setting's code.
  event_code_stepped_down = 14,
  // The first episode starts: with `arrival` in a cohort that starts in treatment, at the first
  // entry in one that starts in the community. Detail: the setting's code.
  event_code_admitted = 15,
  // Waiting lists (settings with slots), reported at the end of the day: joining one (detail:
  // the setting's code) and leaving it (detail: 1 admitted, 2 gave up, 3 died).
  event_code_waitlist_joined = 16,
  event_code_waitlist_left = 17,
};
inline constexpr EventCode core_event_count = 17;

// A death's events: `died` and its cause.
constexpr bool is_death_code(EventCode c) {
  return c == event_code_died || c == event_code_died_other_causes || c == event_code_died_substance_related;
}

struct EventInfo {
  EventCode code;
  std::string name;
  std::string doc;
};

// The core events, in code order.
const std::vector<EventInfo>& core_events();

// Groups of events an outcome may name as one: `admission` (admitted or readmitted: an
// episode starts) and `episode_end` (dropout or completion: an episode ends).
struct EventGroup {
  std::string name;
  std::vector<EventCode> codes;
  std::string doc;
};
const std::vector<EventGroup>& event_groups();

}  // namespace recoverysim::recovery
