// Markov limit: with every covariate coefficient set to zero and every multiplier neutral, each
// hazard is a constant and the clinical state is a Markov chain (expanded with the count of
// abstinent days, since early recovery turns stable after a fixed number of them). The
// simulated daily occupancy must match pi_0 P^t, computed with Eigen, within 4 standard errors.
// Death keeps its two causes: a Gompertz slope of 0 makes the other-causes hazard a constant,
// the post-exit and in-treatment multipliers are 1, and the chain's two absorbing states (one
// per cause) give the expected split of the deaths at the horizon.
#include "models/recovery/kernel.hpp"

#include "support/defaults.hpp"

#include <doctest/doctest.h>
#include <Eigen/Dense>

#include <cmath>
#include <string_view>

using namespace recoverysim;
using namespace recoverysim::recovery;

namespace {

constexpr int stable_after = 20;

Parameters neutral_parameters() {
  Parameters p = testing::default_parameters();
  auto& m = p.model;
  m.stable_after_days = stable_after;
  m.lapse_craving_coefficient = m.lapse_self_efficacy_coefficient = m.lapse_support_coefficient = 0.0;
  m.lapse_skills_coefficient = m.lapse_mental_health_coefficient = 0.0;
  m.lapse_withdrawal_multiplier = 1.0;
  m.stress_lapse_multiplier = 1.0;
  m.relapse_craving_coefficient = m.relapse_self_efficacy_coefficient = m.relapse_support_coefficient = 0.0;
  m.resume_self_efficacy_coefficient = m.resume_support_coefficient = 0.0;
  m.resume_in_treatment_multiplier = 1.0;
  m.death_loss_of_tolerance_multiplier = 1.0;
  m.gompertz_slope_per_year = 0.0;  // the other-causes hazard no longer depends on age
  for (auto& setting : p.treatment.settings) {
    setting.overdose_multiplier_in_treatment = 1.0;
    setting.exit_overdose_multiplier = 1.0;
    setting.exit_lapse_multiplier = 1.0;
  }
  p.treatment.entry.base_hazard_per_day = 0.0;
  // Faster dynamics than the defaults, so that every transition is exercised in 120 days.
  m.lapse_base_hazard_per_day = {0.02, 0.035, 0.05};
  m.gompertz_base_hazard_per_day = 4e-4;  // times the SMR: 8e-4 / 1.2e-3 / 1.2e-3 a day
  m.substance_death_base_hazard_per_day = {0.001, 0.003, 0.002};
  m.resume_base_hazard_per_day = 0.03;
  // The rest of the chain's rates are pinned too, so that it visits every state whatever the
  // calibrated defaults become.
  m.relapse_intercept = -0.6;
  m.other_causes_smr = {2.0, 3.0, 3.0};
  return p;
}

// Chain states: W, E_1 .. E_{K-1} (early recovery with a abstinent days), S, L, R, D.
struct Chain {
  static constexpr int K = stable_after;
  static constexpr int W = 0;
  static int E(int a) { return a; }  // 1 .. K-1
  static constexpr int S = K;
  static constexpr int L = K + 1;
  static constexpr int R = K + 2;
  static constexpr int D = K + 3;    // died of other causes
  static constexpr int D_S = K + 4;  // died a substance-related death
  static constexpr int size = K + 5;
  // After an abstinent day ending with a days: E_a, or S once a reaches K.
  static int abstinent(int a) { return a >= K ? S : E(a); }
  // The reported clinical state of a chain state.
  static ClinicalState reported(int i) {
    if (i == W) return ClinicalState::withdrawal;
    if (i < K) return ClinicalState::early_recovery;
    if (i == S) return ClinicalState::stable_recovery;
    if (i == L) return ClinicalState::lapse;
    if (i == R) return ClinicalState::relapse;
    return ClinicalState::deceased;
  }
};

Eigen::MatrixXd transition_matrix(const Parameters& p, Substance s) {
  const auto& m = p.model;
  const auto si = static_cast<std::size_t>(s);
  // Each state's death probability for both causes, and the share of it that is substance-related.
  const double other = m.gompertz_base_hazard_per_day * m.other_causes_smr[si];
  const double substance = m.substance_death_base_hazard_per_day[si];
  const double substance_withdrawal = substance * m.substance_death_withdrawal_multiplier;
  const double substance_abstinent = substance * m.substance_death_abstinent_multiplier;
  const double death_using = hazard_to_probability(other + substance);
  const double death_withdrawal = hazard_to_probability(other + substance_withdrawal);
  const double death_abstinent = hazard_to_probability(other + substance_abstinent);
  const double share_using = substance / (other + substance);
  const double share_withdrawal = substance_withdrawal / (other + substance_withdrawal);
  const double share_abstinent = substance_abstinent / (other + substance_abstinent);
  const double lapse = hazard_to_probability(m.lapse_base_hazard_per_day[si]);
  const double leave_withdrawal = 1.0 / p.population.withdrawal_mean_days[si];
  const double relapse = logistic(m.relapse_intercept);
  const double resume = hazard_to_probability(m.resume_base_hazard_per_day);

  using C = Chain;
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(C::size, C::size);
  // Death from state i: split between the two absorbing states by the cause's share.
  const auto dies = [&](int i, double p_death, double share) {
    P(i, C::D) = p_death * (1 - share);
    P(i, C::D_S) = p_death * share;
  };
  dies(C::W, death_withdrawal, share_withdrawal);
  P(C::W, C::L) = (1 - death_withdrawal) * lapse;
  P(C::W, C::abstinent(1)) = (1 - death_withdrawal) * (1 - lapse) * leave_withdrawal;
  P(C::W, C::W) = (1 - death_withdrawal) * (1 - lapse) * (1 - leave_withdrawal);
  for (int a = 1; a < C::K; ++a) {
    dies(C::E(a), death_abstinent, share_abstinent);
    P(C::E(a), C::L) = (1 - death_abstinent) * lapse;
    P(C::E(a), C::abstinent(a + 1)) = (1 - death_abstinent) * (1 - lapse);
  }
  dies(C::S, death_abstinent, share_abstinent);
  P(C::S, C::L) = (1 - death_abstinent) * lapse;
  P(C::S, C::S) = (1 - death_abstinent) * (1 - lapse);
  dies(C::L, death_using, share_using);
  P(C::L, C::R) = (1 - death_using) * relapse;
  P(C::L, C::abstinent(1)) = (1 - death_using) * (1 - relapse);
  dies(C::R, death_using, share_using);
  P(C::R, C::abstinent(1)) = (1 - death_using) * resume;
  P(C::R, C::R) = (1 - death_using) * (1 - resume);
  P(C::D, C::D) = 1.0;
  P(C::D_S, C::D_S) = 1.0;
  return P;
}

// Agents are independent, so a count of n agents is Binomial(n, pi): the simulated share must be
// within 4 SE = 4 sqrt(pi (1 - pi) / n) of the exact one (and 0 where it is 0).
void check_share(const char* what, std::string_view name, int day, double pi, std::int64_t count, double n) {
  const double share = static_cast<double>(count) / n;
  const double se = std::sqrt(pi * (1.0 - pi) / n);
  INFO("day ", day, " ", what, " ", name, ": simulated ", share, ", exact ", pi, ", SE ", se);
  if (pi == 0.0) CHECK(share == 0.0);
  else CHECK(std::fabs(share - pi) <= 4.0 * se);
}

}  // namespace

TEST_CASE("Markov limit: daily state occupancy equals the powers of the transition matrix (4 SE)") {
  const Parameters p = neutral_parameters();
  constexpr int days = 120;
  constexpr int agents = 20000;
  constexpr int replicates = 2;

  // Rows of P must be probability distributions, or the comparison means nothing.
  std::array<Eigen::MatrixXd, substance_count> P;
  for (std::size_t s = 0; s < substance_count; ++s) {
    P[s] = transition_matrix(p, static_cast<Substance>(s));
    CHECK((P[s].rowwise().sum().array() - 1.0).abs().maxCoeff() < 1e-12);
  }

  // Expected occupancy at the end of each day, mixing substances by their shares.
  std::vector<std::array<double, clinical_state_count>> expected(days);
  double expected_substance_deaths = 0.0;  // share of the cohort dead of that cause at the horizon
  for (std::size_t s = 0; s < substance_count; ++s) {
    Eigen::RowVectorXd pi = Eigen::RowVectorXd::Zero(Chain::size);
    pi(Chain::W) = 1.0;
    for (int t = 0; t < days; ++t) {
      pi = pi * P[s];
      for (int i = 0; i < Chain::size; ++i)
        expected[static_cast<std::size_t>(t)][static_cast<std::size_t>(Chain::reported(i))] +=
            p.population.substance_mix[s] * pi(i);
    }
    expected_substance_deaths += p.population.substance_mix[s] * pi(Chain::D_S);
  }

  // Simulated occupancy, pooled over replicates.
  std::vector<std::array<std::int64_t, clinical_state_count>> simulated(days);
  std::int64_t substance_deaths = 0;
  Population pop;
  pop.resize(agents);
  const DayContext ctx(p);
  for (std::uint32_t r = 0; r < replicates; ++r) {
    const RandomKey key{2024, r};
    initialise(pop, p, key);
    for (int t = 0; t < days; ++t) {
      const DayCounts counts = step_population(ctx, pop, key, static_cast<std::uint32_t>(t));
      for (std::size_t x = 0; x < clinical_state_count; ++x)
        simulated[static_cast<std::size_t>(t)][x] += counts.state[x];
    }
    for (const DeathCause c : pop.death_cause) substance_deaths += c == DeathCause::substance_related ? 1 : 0;
  }

  const double n = static_cast<double>(agents) * replicates;
  int compared = 0;
  for (int t = 9; t < days; t += 10) {
    for (std::size_t x = 0; x < clinical_state_count; ++x) {
      check_share("state", clinical_state_names[x], t, expected[static_cast<std::size_t>(t)][x],
                  simulated[static_cast<std::size_t>(t)][x], n);
      ++compared;
    }
  }
  CHECK(compared == 12 * 6);
  // The deaths by cause at the horizon (the other causes are the rest of the deceased, above).
  {
    const double pi = expected_substance_deaths;
    const double share = static_cast<double>(substance_deaths) / n;
    const double se = std::sqrt(pi * (1.0 - pi) / n);
    INFO("substance-related deaths by day ", days, ": simulated ", share, ", exact ", pi, ", SE ", se);
    CHECK(std::fabs(share - pi) <= 4.0 * se);
    CHECK(pi > 0.05);
    CHECK(expected[days - 1][static_cast<std::size_t>(ClinicalState::deceased)] - pi > 0.05);
  }
  // The test is only meaningful if every state is visited.
  for (std::size_t x = 0; x < clinical_state_count; ++x) {
    double most = 0.0;
    for (const auto& day : expected) most = std::max(most, day[x]);
    CHECK(most > 0.02);
  }
}

// ---- the treatment pathway: the clinical chain times the treatment status -------------------

namespace {

constexpr int episode_days = 20;

// A cohort that starts in the community (untreated, in relapse) and enters outpatient episodes
// of 20 days at a constant hazard by state; dropout at a constant hazard; no step-down.
Parameters pathway_parameters() {
  Parameters p = neutral_parameters();
  p.population.start = CohortStart::community;
  auto& tr = p.treatment;
  tr.entry.base_hazard_per_day = 0.03;
  tr.entry.engagement_coefficient = tr.entry.craving_coefficient = tr.entry.mental_health_coefficient = 0.0;
  tr.entry.state_multiplier = {1.0, 0.2, 0.1, 0.5, 1.0};
  auto& outpatient = tr.settings[static_cast<std::size_t>(Setting::outpatient)];
  outpatient.length_days = episode_days;
  outpatient.dropout_base_hazard_per_day = 0.02;
  p.model.dropout_engagement_coefficient = p.model.dropout_craving_coefficient = 0.0;
  p.model.dropout_use_multiplier = 1.0;
  return p;
}

// Statuses of the product chain: untreated, in treatment with k days of the episode done
// (T_0 .. T_{L-1}), completed, dropped out.
struct Status {
  static constexpr int U = 0;
  static int T(int k) { return 1 + k; }
  static constexpr int C = 1 + episode_days;
  static constexpr int Dr = 2 + episode_days;
  static constexpr int size = 3 + episode_days;
};

// The product chain over (clinical chain state, status), in the day's order: an episode's first
// day from use starts in withdrawal; death; the clinical transition; then dropout or progress
// in treatment, or entry (by the state after the transition) out of it. The dead are absorbed
// whatever their status (index: clinical state D or D_S, status U).
Eigen::MatrixXd pathway_matrix(const Parameters& p, Substance s) {
  const Eigen::MatrixXd P = transition_matrix(p, s);
  const auto& tr = p.treatment;
  const double drop =
      hazard_to_probability(tr.settings[static_cast<std::size_t>(Setting::outpatient)].dropout_base_hazard_per_day);
  const auto enter = [&](int c) {
    return hazard_to_probability(tr.entry.base_hazard_per_day *
                                 tr.entry.state_multiplier[static_cast<std::size_t>(Chain::reported(c))]);
  };
  const auto index = [](int c, int status) { return c * Status::size + status; };
  const int n = Chain::size * Status::size;
  Eigen::MatrixXd M = Eigen::MatrixXd::Zero(n, n);
  for (int c0 = 0; c0 < Chain::size; ++c0)
    for (int status = 0; status < Status::size; ++status) {
      const int from = index(c0, status);
      if (c0 == Chain::D || c0 == Chain::D_S) {
        M(from, index(c0, Status::U)) = 1.0;
        continue;
      }
      const bool using_now = c0 == Chain::L || c0 == Chain::R;
      const int c = status == Status::T(0) && using_now ? Chain::W : c0;  // the episode's first day
      for (int c1 = 0; c1 < Chain::size; ++c1) {
        const double q = P(c, c1);
        if (q == 0.0) continue;
        if (c1 == Chain::D || c1 == Chain::D_S) {
          M(from, index(c1, Status::U)) += q;
          continue;
        }
        if (status >= Status::T(0) && status <= Status::T(episode_days - 1)) {
          const int k = status - Status::T(0);
          M(from, index(c1, Status::Dr)) += q * drop;
          M(from, index(c1, k + 1 >= episode_days ? Status::C : Status::T(k + 1))) += q * (1 - drop);
        } else {
          const double e = enter(c1);
          M(from, index(c1, Status::T(0))) += q * e;
          M(from, index(c1, status)) += q * (1 - e);
        }
      }
    }
  return M;
}

}  // namespace

TEST_CASE("Markov limit: states and treatment statuses of a community start follow the product chain") {
  const Parameters p = pathway_parameters();
  constexpr int days = 120;
  constexpr int agents = 20000;
  constexpr int replicates = 2;
  const int n_states = Chain::size * Status::size;

  // Expected occupancy of the clinical states (all) and of the treatment statuses (the living).
  std::vector<std::array<double, clinical_state_count>> expected(days);
  std::vector<std::array<double, treatment_status_count>> expected_status(days);
  for (std::size_t s = 0; s < substance_count; ++s) {
    const Eigen::MatrixXd M = pathway_matrix(p, static_cast<Substance>(s));
    CHECK((M.rowwise().sum().array() - 1.0).abs().maxCoeff() < 1e-12);
    Eigen::RowVectorXd pi = Eigen::RowVectorXd::Zero(n_states);
    pi(Chain::R * Status::size + Status::U) = 1.0;  // untreated, in relapse
    for (int t = 0; t < days; ++t) {
      pi = pi * M;
      const double share = p.population.substance_mix[s];
      for (int c = 0; c < Chain::size; ++c)
        for (int status = 0; status < Status::size; ++status) {
          const double x = share * pi(c * Status::size + status);
          expected[static_cast<std::size_t>(t)][static_cast<std::size_t>(Chain::reported(c))] += x;
          if (c == Chain::D || c == Chain::D_S) continue;
          const TreatmentStatus y = status == Status::U    ? TreatmentStatus::untreated
                                    : status == Status::C  ? TreatmentStatus::completed
                                    : status == Status::Dr ? TreatmentStatus::dropped_out
                                                           : TreatmentStatus::in_treatment;
          expected_status[static_cast<std::size_t>(t)][static_cast<std::size_t>(y)] += x;
        }
    }
  }

  std::vector<DayCounts> simulated(days);
  Population pop;
  pop.resize(agents);
  const DayContext ctx(p);
  for (std::uint32_t r = 0; r < replicates; ++r) {
    const RandomKey key{2025, r};
    initialise(pop, p, key);
    for (int t = 0; t < days; ++t)
      simulated[static_cast<std::size_t>(t)] += step_population(ctx, pop, key, static_cast<std::uint32_t>(t));
  }

  const double n = static_cast<double>(agents) * replicates;
  for (int t = 9; t < days; t += 10) {
    const auto d = static_cast<std::size_t>(t);
    for (std::size_t x = 0; x < clinical_state_count; ++x)
      check_share("state", clinical_state_names[x], t, expected[d][x], simulated[d].state[x], n);
    for (const auto y : {TreatmentStatus::untreated, TreatmentStatus::in_treatment, TreatmentStatus::completed,
                         TreatmentStatus::dropped_out}) {
      const auto k = static_cast<std::size_t>(y);
      check_share("status", treatment_status_names[k], t, expected_status[d][k], simulated[d].treatment[k], n);
    }
  }
  // Meaningful only if every status is visited.
  for (const auto y : {TreatmentStatus::untreated, TreatmentStatus::in_treatment, TreatmentStatus::completed,
                       TreatmentStatus::dropped_out}) {
    double most = 0.0;
    for (const auto& day : expected_status) most = std::max(most, day[static_cast<std::size_t>(y)]);
    CHECK(most > 0.05);
  }
}
