// The calendar the model counts in: one day per step. Every conversion between days and weeks
// or years (salaries per year to a day's cost, person-days to person-years, discounting) uses
// these, so a cost and its discounting agree on what a year is.
#pragma once

namespace recoverysim {

inline constexpr double days_per_year = 365.25;  // the mean Julian year
inline constexpr double days_per_week = 7.0;

}  // namespace recoverysim
