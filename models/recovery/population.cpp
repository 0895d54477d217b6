// Cohort creation: the attribute draws of the reference model, one random stream each.
#include "population.hpp"
#include "parallel.hpp"

#include <tbb/blocked_range.h>

#include <algorithm>
#include <cmath>

namespace recoverysim::recovery {

namespace {
float clamp01(double x) { return static_cast<float>(std::clamp(x, 0.0, 1.0)); }

// Normal(mean, sd) truncated to [low, high], by rejection from the agent's own sequence; after
// many rejections (a range far in a tail) the last draw is clamped, so the draw always ends.
double truncated_normal(DrawSequence& sequence, double mean, double sd, double low, double high) {
  double x = mean;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    x = mean + sd * sequence.next_normal();
    if (x >= low && x <= high) return x;
  }
  return std::clamp(x, low, high);
}
}  // namespace

void Population::resize(std::size_t n) {
  for_each_column([n](auto& column) { column.resize(n); });
}

std::size_t Population::admitted_by(std::int32_t day) const {
  const std::size_t n = size();
  if (arrivals_per_day <= 0.0) return day >= 0 ? n : 0;
  // floor(i / r) <= day  <=>  i < (day + 1) r; the two loops settle any rounding at the edge.
  const double bound = std::ceil((static_cast<double>(day) + 1.0) * arrivals_per_day);
  std::size_t count = bound <= 0.0 ? 0 : static_cast<std::size_t>(std::min(bound, static_cast<double>(n)));
  while (count > 0 && admission_day(count - 1) > day) --count;
  while (count < n && admission_day(count) <= day) ++count;
  return count;
}

std::uint8_t draw_setting(const TreatmentParameters& t, Substance s, RandomKey key, std::uint32_t agent,
                          std::uint32_t day) {
  const auto u = philox_block(key, agent, day, static_cast<std::uint32_t>(Stream::entry_setting), 0)[0];
  const auto cumulative = t.entry_cumulative(s);
  return static_cast<std::uint8_t>(categorical(u, std::span<const double>(cumulative.data(), t.setting_count())));
}

bool steps_down(const TreatmentParameters& t, Substance s, std::size_t setting, RandomKey key, std::uint32_t agent,
                std::uint32_t day) {
  const SettingParameters& from = t.settings[setting];
  if (from.step_down < 0 || from.step_down_probability <= 0.0 ||
      !t.settings[static_cast<std::size_t>(from.step_down)].admits[static_cast<std::size_t>(s)])
    return false;
  const auto u = philox_block(key, agent, day, static_cast<std::uint32_t>(Stream::step_down), 0)[0];
  return bernoulli(u, from.step_down_probability);
}

DayCount draw_withdrawal_length(const Parameters& p, Substance s, RandomKey key, std::uint32_t agent,
                                std::uint32_t day) {
  const auto u = philox_block(key, agent, day, static_cast<std::uint32_t>(Stream::withdrawal_length), 0)[0];
  const std::uint32_t days = geometric_from_mean(u, p.population.withdrawal_mean_days[static_cast<std::size_t>(s)]);
  return static_cast<DayCount>(std::min<std::uint32_t>(days, max_day_count));
}

void initialise(Population& pop, const Parameters& p, RandomKey key) {
  const auto& pp = p.population;
  const auto& m = p.model;
  std::array<double, substance_count> cumulative{};
  double running = 0.0;
  for (std::size_t s = 0; s < substance_count; ++s) cumulative[s] = running += pp.substance_mix[s];
  cumulative.back() = 1.0;

  pop.arrivals_per_day = p.intake.open() ? p.intake.arrivals_per_day : 0.0;
  recoverysim::parallel_for(tbb::blocked_range<std::size_t>(0, pop.size(), 4096), [&](const auto& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      const auto agent = static_cast<std::uint32_t>(i);
      const auto draw = [&](Stream s) { return philox_block(key, agent, 0, static_cast<std::uint32_t>(s), 0)[0]; };
      const auto sequence = [&](Stream s) { return DrawSequence(key, agent, 0, static_cast<std::uint32_t>(s)); };

      const auto s = static_cast<Substance>(categorical(draw(Stream::substance), cumulative));
      const double v = sequence(Stream::severity).next_beta(pp.severity.a, pp.severity.b);
      const double g0 = sequence(Stream::baseline_support).next_beta(pp.baseline_support.a, pp.baseline_support.b);
      const double w0 =
          sequence(Stream::baseline_engagement).next_beta(pp.baseline_engagement.a, pp.baseline_engagement.b);
      const double c_peak =
          m.craving_peak[static_cast<std::size_t>(s)] + m.craving_peak_severity_slope * (v - m.covariate_centre);

      pop.substance[i] = s;
      pop.severity[i] = static_cast<float>(v);
      pop.mental_health[i] = bernoulli(draw(Stream::mental_health), pp.mental_health_probability) ? 1 : 0;
      pop.baseline_support[i] = static_cast<float>(g0);
      pop.baseline_engagement[i] = static_cast<float>(w0);
      pop.craving_peak[i] = clamp01(c_peak);
      DrawSequence age = sequence(Stream::age);
      const auto si = static_cast<std::size_t>(s);
      pop.age_years[i] = static_cast<float>(
          truncated_normal(age, pp.age_mean_years[si], pp.age_sd_years[si], pp.age_min_years, pp.age_max_years));
      pop.male[i] = bernoulli(draw(Stream::sex), pp.male_probability) ? 1 : 0;

      pop.craving[i] = pop.craving_peak[i];
      pop.self_efficacy[i] =
          clamp01(m.self_efficacy_initial_intercept + m.self_efficacy_initial_severity_slope * (1.0 - v));
      pop.support[i] = static_cast<float>(g0);
      pop.skills[i] = clamp01(m.skills_initial);
      pop.engagement[i] = static_cast<float>(w0);

      const bool community = pp.start == CohortStart::community;
      pop.state[i] = community ? ClinicalState::relapse : ClinicalState::withdrawal;
      pop.treatment[i] = pop.admission_day(i) > 0 ? TreatmentStatus::not_arrived
                         : community              ? TreatmentStatus::untreated
                                                  : TreatmentStatus::in_treatment;
      pop.setting[i] = draw_setting(p.treatment, s, key, agent, 0);
      pop.abstinent_run[i] = 0;
      pop.abstinent_before_use[i] = 0;
      pop.days_since_use[i] = 0;
      pop.withdrawal_days_left[i] = draw_withdrawal_length(p, s, key, agent, 0);
      pop.status_days[i] = 0;

      pop.first_lapse_day[i] = -1;
      pop.first_relapse_day[i] = -1;
      pop.first_episode_outcome[i] = EpisodeOutcome::ongoing;
      pop.first_episode_days[i] = 0;
      pop.readmissions[i] = 0;
      pop.death_day[i] = -1;
      pop.death_cause[i] = DeathCause::none;
      pop.abstinent_days[i] = 0;
    }
  });
}

}  // namespace recoverysim::recovery
