// The core event table and the event groups.
#include "events.hpp"

namespace recoverysim::recovery {

const std::vector<EventInfo>& core_events() {
  static const std::vector<EventInfo> events = {
      {event_code_arrival, "arrival", "enters the cohort and starts the first treatment episode (detail: 1)"},
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
  };
  return events;
}

const std::vector<EventGroup>& event_groups() {
  static const std::vector<EventGroup> groups = {
      {"admission", {event_code_arrival, event_code_readmitted}, "a treatment episode starts (arrival or readmission)"},
      {"episode_end",
       {event_code_dropped_out, event_code_completed},
       "a treatment episode ends (dropout or completion)"},
  };
  return groups;
}

}  // namespace recoverysim::recovery
