// A definition's quantities from its counts (see outcome_estimates.hpp and docs/output.md).
#include "outcome_estimates.hpp"

#include "calendar.hpp"

#include <cmath>
#include <limits>

namespace recoverysim::recovery {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double share(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : nan;
}

std::vector<std::int64_t> combined_rows(const OutcomeCounts& counts, std::span<const std::size_t> strata) {
  std::vector<std::int64_t> rows(counts.width * counts.row_count, 0);
  for (const std::size_t s : strata)
    for (std::size_t c = 0; c < rows.size(); ++c) rows[c] += counts.rows[s][c];
  return rows;
}

}  // namespace

analysis::EventTable combined_event_table(const OutcomeCounts& counts, std::span<const std::size_t> strata) {
  analysis::EventTable table(counts.event.empty() ? 0 : counts.event.front().days,
                             counts.event.empty() ? 0 : counts.event.front().causes);
  for (const std::size_t s : strata) table += counts.event[s];
  return table;
}

std::vector<std::size_t> all_strata(const OutcomeCounts& counts) {
  std::vector<std::size_t> strata(std::max(counts.event.size(), counts.rows.size()));
  for (std::size_t s = 0; s < strata.size(); ++s) strata[s] = s;
  return strata;
}

std::vector<double> outcome_values(const OutcomeCounts& counts, std::span<const std::size_t> strata) {
  const OutcomeDefinition& d = *counts.definition;
  std::vector<double> values;
  const std::vector<std::int64_t> rows = combined_rows(counts, strata);
  switch (d.statistic) {
    case OutcomeStatistic::cumulative_incidence: {
      const analysis::EventTable table = combined_event_table(counts, strata);
      const auto T = static_cast<std::int32_t>(table.days);
      const bool anyone = table.total_entered() > 0;
      const analysis::CompetingRisks aj = analysis::aalen_johansen(table);
      const std::vector<double> net = analysis::net_incidence(table, 0);
      const bool complete = d.origin.kind != Origin::Kind::day0;
      // A curve is known on day t while someone is still followed then, or once everyone has
      // had an event: past the last day anyone is followed, it is not estimated (NaN).
      const auto known = [&](std::int32_t t) {
        return t >= 0 && t < T &&
               (aj.at_risk[static_cast<std::size_t>(t)] > 0 || aj.survival[static_cast<std::size_t>(t)] == 0.0);
      };
      for (std::size_t j = 0; j < d.days.size(); ++j) {
        const std::int32_t D = d.days[j];
        const bool within = anyone && known(D - 1);
        values.push_back(within ? aj.incidence[0][static_cast<std::size_t>(D - 1)] : nan);
        values.push_back(within ? net[static_cast<std::size_t>(D - 1)] : nan);
        if (complete) {
          const std::int64_t followed = rows[j * counts.width];
          values.push_back(share(rows[j * counts.width + 1], followed));
          values.push_back(static_cast<double>(followed));
        }
      }
      if (d.restricted_mean_days > 0)
        values.push_back(anyone && known(d.restricted_mean_days - 1)
                             ? analysis::restricted_mean(aj.survival, static_cast<std::size_t>(d.restricted_mean_days))
                             : nan);
      // Not reached by the end of follow-up: "never" (infinite) if the curve is known to its end,
      // else not estimated.
      for (const double q : d.quantiles) {
        const double day = anyone ? analysis::incidence_quantile(aj.incidence[0], q) : nan;
        values.push_back(std::isinf(day) && !known(T - 1) ? nan : day);
      }
      if (!d.never_name.empty()) values.push_back(anyone && T > 0 ? 1.0 - aj.incidence[0].back() : nan);
      break;
    }
    case OutcomeStatistic::state_share:
      for (std::size_t j = 0; j < d.days.size(); ++j) {
        values.push_back(share(rows[j * 2 + 1], rows[j * 2]));
        values.push_back(static_cast<double>(rows[j * 2]));
      }
      break;
    case OutcomeStatistic::rate: {
      // Row 0 of the values is every category together, then each category.
      std::vector<std::pair<std::int64_t, std::int64_t>> categories;  // (events, person-days)
      std::pair<std::int64_t, std::int64_t> all{0, 0};
      for (std::size_t c = 0; c < counts.row_count; ++c) {
        categories.emplace_back(rows[c * 2], rows[c * 2 + 1]);
        all.first += rows[c * 2];
        all.second += rows[c * 2 + 1];
      }
      if (categories.size() > 1) categories.insert(categories.begin(), all);
      for (const auto& [events, person_days] : categories) {
        const double years = static_cast<double>(person_days) / days_per_year;
        values.push_back(person_days > 0 ? 1000.0 * static_cast<double>(events) / years : nan);
        values.push_back(static_cast<double>(events));
        values.push_back(years);
      }
      break;
    }
    case OutcomeStatistic::ratio:
    case OutcomeStatistic::difference: break;
  }
  return values;
}

}  // namespace recoverysim::recovery
