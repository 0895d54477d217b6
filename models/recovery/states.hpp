// The categorical variables of the recovery model and their names, which are also the
// `labels` attributes in the output file (the index of a name is its stored code).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace recoverysim::recovery {

enum class Substance : std::uint8_t { alcohol, opioid, stimulant };
inline constexpr std::size_t substance_count = 3;
inline constexpr std::array<std::string_view, substance_count> substance_names = {"alcohol", "opioid", "stimulant"};

enum class ClinicalState : std::uint8_t { withdrawal, early_recovery, stable_recovery, lapse, relapse, deceased };
inline constexpr std::size_t clinical_state_count = 6;
inline constexpr std::array<std::string_view, clinical_state_count> clinical_state_names = {
    "withdrawal", "early_recovery", "stable_recovery", "lapse", "relapse", "deceased"};

// not_arrived: an open cohort's future arrival (v1's `waiting`); untreated: in the cohort, never
// admitted (a community start); waiting_list: entered, waiting for a place in a full setting.
// Codes 0-3 are v1's.
enum class TreatmentStatus : std::uint8_t {
  not_arrived,
  in_treatment,
  completed,
  dropped_out,
  untreated,
  waiting_list
};
inline constexpr std::size_t treatment_status_count = 6;
inline constexpr std::array<std::string_view, treatment_status_count> treatment_status_names = {
    "not_arrived", "in_treatment", "completed", "dropped_out", "untreated", "waiting_list"};

// Where the cohort starts: admitted (v1), or out of treatment, in relapse, never admitted.
enum class CohortStart : std::uint8_t { treatment, community };
inline constexpr std::array<std::string_view, 2> cohort_start_names = {"treatment", "community"};

// How the first treatment episode ended (or that it had not ended by the horizon).
enum class EpisodeOutcome : std::int8_t { completed, dropped_out, died, ongoing };
inline constexpr std::array<std::string_view, 4> episode_outcome_names = {"completed", "dropped_out", "died",
                                                                          "ongoing"};

// The cause of a death (model version 2): none while alive.
enum class DeathCause : std::uint8_t { none, other_causes, substance_related };
inline constexpr std::size_t death_cause_count = 3;
inline constexpr std::array<std::string_view, death_cause_count> death_cause_names = {"none", "other_causes",
                                                                                      "substance_related"};

// Treatment settings: an open table (parameters.hpp). These are the ones every scenario has,
// with their codes; a scenario may define more, which get the next codes.
enum class Setting : std::uint8_t { detox, residential, outpatient, intensive_outpatient, methadone, buprenorphine };
inline constexpr std::size_t builtin_setting_count = 6;
inline constexpr std::array<std::string_view, builtin_setting_count> builtin_setting_names = {
    "detox", "residential", "outpatient", "intensive_outpatient", "methadone", "buprenorphine"};
// Settings a scenario may hold, the built-in ones included.
inline constexpr std::size_t max_settings = 16;

// What happened to each agent during the core day (bit flags, one byte per agent).
enum DayEvent : std::uint8_t {
  event_died = 1u << 0,
  event_lapsed = 1u << 1,
  event_relapsed = 1u << 2,
  event_resumed = 1u << 3,
  event_dropped_out = 1u << 4,
  event_completed = 1u << 5,
  event_readmitted = 1u << 6,
  event_admitted = 1u << 7,  // the first episode starts: on arrival (a cohort that starts in treatment) or at the
                             // first entry (one that starts in the community)
};

// Beyond the byte of DayEvents, in the kernel's 32-bit event lanes only (the modules' event
// column keeps the byte): the death of the day was substance-related (else: other causes).
inline constexpr std::int32_t event_died_substance_related = 1 << 8;
// An episode that starts is a step-down from the one completed the same day (continuing care).
inline constexpr std::int32_t event_stepped_down = 1 << 10;
// An entry decided by the entry hazard (first or later): the caller draws its setting and
// starts the episode (event_admitted or event_readmitted) or puts the agent on a waiting list.
inline constexpr std::int32_t event_entry = 1 << 11;
// The day began an episode entered from lapse or relapse: the agent started it in withdrawal.
inline constexpr std::int32_t event_started_withdrawal = 1 << 12;

// Day numbers and day counters are stored in 16 bits (population.hpp), so a run lasts at most
// this many days and every counter stays below it.
inline constexpr std::int32_t max_day_count = 32767;

// One of the enums above held in 32 bits, for the per-agent kernel (day.hpp). There every
// decision is a vector mask; comparing 8-bit enums next to float variables would mix masks of
// different widths, which the vectoriser (GCC 12) cannot combine. Columns keep the 8-bit enum.
template <class E>
struct Wide {
  std::int32_t code = 0;
  constexpr Wide() = default;
  constexpr Wide(E e) : code(static_cast<std::int32_t>(e)) {}  // NOLINT: converts implicitly, like the enum
  static constexpr Wide from_code(std::int32_t c) {
    Wide w;
    w.code = c;
    return w;
  }
  constexpr E value() const { return static_cast<E>(code); }
  constexpr bool operator==(E e) const { return code == static_cast<std::int32_t>(e); }
  constexpr bool operator==(Wide other) const { return code == other.code; }
};

// "Abstinent" in the model's sense: early or stable recovery, the reference's wording for the
// self-efficacy rule, applied here to every use of the word. So withdrawal days do not count
// towards the consecutive-abstinence counter a (see docs/model.md, modelling choices).
constexpr bool is_abstinent(ClinicalState x) {
  return x == ClinicalState::early_recovery || x == ClinicalState::stable_recovery;
}
constexpr bool is_using(ClinicalState x) { return x == ClinicalState::lapse || x == ClinicalState::relapse; }
constexpr bool is_abstinent(Wide<ClinicalState> x) {
  return (x == ClinicalState::early_recovery) | (x == ClinicalState::stable_recovery);
}
constexpr bool is_using(Wide<ClinicalState> x) { return (x == ClinicalState::lapse) | (x == ClinicalState::relapse); }

}  // namespace recoverysim::recovery
