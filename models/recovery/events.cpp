// The core event table and the event groups.
#include "events.hpp"

namespace recoverysim::recovery {

const std::vector<EventInfo>& core_events() {
  static const std::vector<EventInfo> events = {
      {event_code_arrival, "arrival",
       "enters the cohort: in treatment (detail 1; `admitted` follows) or, with population.start: community, out "
       "of treatment (detail 0)"},
      {event_code_died, "died", "dies (detail: treatment status code at death, as in treatment_counts' labels)"},
      {event_code_lapse, "lapse", "returns to use: enters the lapse state"},
      {event_code_relapse, "relapse", "a lapse becomes a relapse (return to regular use)"},
      {event_code_lapse_resolved, "lapse_resolved", "a lapse ends without a relapse: back to early recovery"},
      {event_code_resumed, "resumed", "resumes abstinence after a relapse: back to early recovery"},
      {event_code_withdrawal_completed, "withdrawal_completed", "withdrawal ends in early recovery"},
      {event_code_stable, "stable", "early recovery becomes stable recovery"},
      {event_code_dropped_out, "dropped_out", "leaves treatment before completing it (detail: episode number)"},
      {event_code_completed, "completed", "completes a treatment episode (detail: episode number)"},
      {event_code_readmitted, "readmitted", "starts a new treatment episode after an earlier one (detail: its number)"},
      {event_code_died_other_causes, "died_other_causes",
       "dies of other causes, reported with `died` (detail: days since leaving treatment, 0 on the first day out; "
       "-1 in treatment or never admitted)"},
      {event_code_died_substance_related, "died_substance_related",
       "dies a substance-related acute death (overdose; for alcohol, poisoning or injury), reported with `died` "
       "(detail: days since leaving treatment, 0 on the first day out; -1 in treatment)"},
      {event_code_stepped_down, "stepped_down",
       "continuing care: the episode completed the same day is followed by one in its step_down setting, "
       "reported after `completed` and `readmitted` (detail: the new setting's code, as in the setting column's "
       "labels)"},
      {event_code_admitted, "admitted",
       "the first treatment episode starts: on arrival when the cohort starts in treatment, at the first entry when "
       "it starts in the community (detail: the setting's code)"},
      {event_code_waitlist_joined, "waitlist_joined",
       "enters treatment but every place of the setting is taken: joins its waiting list, at the end of the day "
       "(detail: the setting's code)"},
      {event_code_waitlist_left, "waitlist_left",
       "leaves a waiting list, at the end of the day (detail: 1 admitted, `admitted` or `readmitted` follows; 2 "
       "gave up; 3 died)"},
  };
  return events;
}

const std::vector<EventGroup>& event_groups() {
  static const std::vector<EventGroup> groups = {
      {"admission",
       {event_code_admitted, event_code_readmitted},
       "a treatment episode starts (admitted or readmitted)"},
      {"episode_end",
       {event_code_dropped_out, event_code_completed},
       "a treatment episode ends (dropout or completion)"},
  };
  return groups;
}

}  // namespace recoverysim::recovery
