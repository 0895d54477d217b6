// The recovery model's parameter table: name, default, range, unit and documentation of
// every constant, in the order of the reference model's sections.
#include "parameters.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

namespace recoverysim::recovery {

namespace {

constexpr double unbounded_coefficient = 50.0;

void per_substance(ParamTable& t, const std::string& path, PerSubstance& target, PerSubstance defaults, double min,
                   double max, const std::string& unit, const std::string& doc) {
  for (std::size_t s = 0; s < substance_count; ++s)
    t.add_real(path + "." + std::string(substance_names[s]), target[s], defaults[s], min, max, unit,
               doc + " (" + std::string(substance_names[s]) + ")");
}

void beta(ParamTable& t, const std::string& path, BetaShape& target, BetaShape defaults, const std::string& what) {
  t.add_real(path + ".beta_a", target.a, defaults.a, 0.01, 1000.0, "shape",
             what + ": first shape of its Beta distribution");
  t.add_real(path + ".beta_b", target.b, defaults.b, 0.01, 1000.0, "shape",
             what + ": second shape of its Beta distribution");
}

struct SettingDefaults {
  std::int64_t length_days;
  double dropout;
  double skills;
  double lapse;
  double craving;
  double overdose;               // substance-related death hazard multiplier in treatment
  double exit_lapse;             // M_L: lapse hazard multiplier on the first day out
  double exit_lapse_decay_days;  // tau_L
  double exit_overdose;          // M_exit: substance-related death hazard multiplier on the first day out
  bool opioid_only;
  const char* step_down;  // continuing care on completion
  double step_down_probability;
};

// The built-in settings table (model version 2): v1's four psychosocial settings, and the two
// medications for opioid use disorder that replace v1's single `moud`. The dropout hazards, the
// post-exit multipliers of detox and residential care and the medications' death multipliers are
// the calibrated defaults (calibration/literature.yaml, docs/calibration.md); the rest are the
// model's starting values.
constexpr std::array<SettingDefaults, builtin_setting_count> setting_defaults = {{
    {7, 0.0341, 0.005, 1.0, 1.0, 0.33, 4.563, 7.0, 6.0, false, "outpatient", 0.3},  // detox: withdrawal management only
    {28, 0.009897, 0.01, 0.5, 1.0, 0.33, 0.8024, 7.0, 102.3, false, "outpatient", 0.5},  // residential
    {90, 0.006, 0.01, 1.0, 1.0, 0.33, 1.5, 7.0, 6.0, false, "none", 0.0},                // outpatient
    {60, 0.008782, 0.015, 1.0, 1.0, 0.33, 1.5, 7.0, 6.0, false, "none", 0.0},            // intensive outpatient
    {365, 0.00199, 0.01, 1.0, 0.6, 0.04394, 3.0, 14.0, 20.24, true, "none", 0.0},        // methadone
    {365, 0.003661, 0.01, 1.0, 0.6, 0.0611, 3.0, 14.0, 11.67, true, "none", 0.0},        // buprenorphine
}};
constexpr double exit_overdose_decay_days_default = 14.0;

// The keys of setting `index` (a row of the table) and its entry-mix shares; a scenario's own
// setting starts from outpatient's values and takes those it does not set from `based_on`
// (validate_parameters).
void declare_setting(ParamTable& t, TreatmentParameters& tr, std::size_t index) {
  const std::string name = tr.setting_names[index];
  const std::string base = "treatment.settings." + name + ".";
  const bool builtin = index < builtin_setting_count;
  const SettingDefaults& d = setting_defaults[builtin ? index : static_cast<std::size_t>(Setting::outpatient)];
  auto& sp = tr.settings[index];
  if (!builtin)
    t.add_text(base + "based_on", tr.based_on[index], "",
               "A setting the scenario defines starts from this setting's values (required for a new setting)");
  t.add_integer(base + "length_days", sp.length_days, d.length_days, 1, 10000, "days",
                "Planned episode length; reaching it completes the episode (" + name + ")");
  t.add_real(base + "dropout_base_hazard_per_day", sp.dropout_base_hazard_per_day, d.dropout, 0.0, 1.0, "per day",
             "Dropout hazard at engagement 0.6 and craving 0.5 (" + name + ")");
  t.add_real(base + "skills_growth_per_day", sp.skills_growth_per_day, d.skills, 0.0, 1.0, "per day",
             "Rate at which coping skills k approach 1 while in treatment (" + name + ")");
  t.add_real(base + "lapse_multiplier_in_treatment", sp.lapse_multiplier_in_treatment, d.lapse, 0.0, 100.0,
             "multiplier", "Lapse hazard multiplier while in treatment (" + name + ")");
  t.add_real(base + "craving_target_multiplier", sp.craving_target_multiplier, d.craving, 0.0, 1.0, "multiplier",
             "Craving target c* multiplier while in treatment, for everyone the setting admits (" + name + ")");
  t.add_real(base + "overdose_multiplier_in_treatment", sp.overdose_multiplier_in_treatment, d.overdose, 0.0, 100.0,
             "multiplier", "Substance-related death hazard multiplier while in treatment (" + name + ")");
  t.add_real(base + "exit_lapse_multiplier", sp.exit_lapse_multiplier, d.exit_lapse, 0.0, 100.0, "multiplier",
             "M_L: lapse hazard multiplier on the first day out of treatment after an episode of this setting; "
             "it decays to 1 as 1 + (M_L - 1) exp(-d / tau_L) (" +
                 name + ")");
  t.add_real(base + "exit_lapse_decay_days", sp.exit_lapse_decay_days, d.exit_lapse_decay_days, 0.01, 100000.0, "days",
             "tau_L: time constant of the decay of the post-exit lapse multiplier (" + name + ")");
  t.add_real(base + "exit_overdose_multiplier", sp.exit_overdose_multiplier, d.exit_overdose, 0.0, 1000.0, "multiplier",
             "M_exit: substance-related death hazard multiplier on the first day out of treatment after an episode "
             "of this setting; it decays to 1 as 1 + (M_exit - 1) exp(-d / tau_exit) (" +
                 name + ")");
  t.add_real(base + "exit_overdose_decay_days", sp.exit_overdose_decay_days, exit_overdose_decay_days_default, 0.01,
             100000.0, "days", "tau_exit: time constant of the decay of the post-exit death multiplier (" + name + ")");
  t.add_text(base + "step_down", sp.step_down_name, d.step_down,
             "Continuing care: the setting a completed episode is referred to (its next episode starts the next "
             "day), or none (" +
                 name + ")");
  // Resolved again by validate_parameters once the scenario's own settings are known.
  const auto builtin_target = std::find(builtin_setting_names.begin(), builtin_setting_names.end(), d.step_down);
  sp.step_down = builtin_target == builtin_setting_names.end()
                     ? -1
                     : static_cast<std::int32_t>(builtin_target - builtin_setting_names.begin());
  t.add_real(base + "step_down_probability", sp.step_down_probability, d.step_down_probability, 0.0, 1.0, "probability",
             "Probability that a completed episode steps down to the step_down setting, for those it admits (" + name +
                 ")");
  t.add_integer(base + "slots", sp.slots, 0, 0, 2'000'000'000, "places",
                "Treatment places (0: unlimited); when every place is taken, an entrant joins the setting's waiting "
                "list, served first come, first served (" +
                    name + ")");
  t.add_real(base + "waitlist_dropout_per_day", sp.waitlist_dropout_per_day, 0.02, 0.0, 1.0, "per day",
             "Hazard of leaving the setting's waiting list without a place (" + name + ")");
  t.add_real(base + "cost_per_day", sp.cost_per_day, 0.0, 0.0, 1.0e7, "currency units per place-day",
             "Cost of a place taken, per day (enters the arm's costs: treatment_cost) (" + name + ")");
  t.add_real(base + "slot_cost_per_day", sp.slot_cost_per_day, 0.0, 0.0, 1.0e7, "currency units per slot-day",
             "Cost of a place provided (one of slots), per day, taken or not (" + name + ")");
  for (std::size_t s = 0; s < substance_count; ++s) {
    const std::string substance(substance_names[s]);
    t.add_boolean(base + "substances." + substance, sp.admits[s], !d.opioid_only || s == 1,
                  "Whether people whose primary substance is " + substance + " may enter (" + name + ")");
  }
  t.add_real("treatment.entry_mix." + name, tr.entry_mix[index], 0.0, 0.0, 1.0, "share",
             "Share of treatment episodes that take place in " + name +
                 " (all shares 0: every episode in treatment.setting)");
  for (std::size_t s = 0; s < substance_count; ++s) {
    const std::string substance(substance_names[s]);
    t.add_real("treatment.entry_mix." + substance + "." + name, tr.entry_mix_by_substance[s][index], 0.0, 0.0, 1.0,
               "share",
               "Share of the episodes of people whose primary substance is " + substance + " that take place in " +
                   name + " (all 0: the common entry_mix)");
  }
}

}  // namespace

bool TreatmentParameters::capacity_limited() const {
  for (std::size_t k = 0; k < setting_count(); ++k)
    if (settings[k].slots > 0) return true;
  return false;
}

bool TreatmentParameters::costed() const {
  for (std::size_t k = 0; k < setting_count(); ++k)
    if (settings[k].cost_per_day > 0.0 || (settings[k].slots > 0 && settings[k].slot_cost_per_day > 0.0)) return true;
  return false;
}

std::array<double, max_settings> TreatmentParameters::entry_cumulative(Substance s) const {
  const auto& own = entry_mix_by_substance[static_cast<std::size_t>(s)];
  const bool has_own = std::any_of(own.begin(), own.end(), [](double x) { return x > 0.0; });
  const bool has_common = std::any_of(entry_mix.begin(), entry_mix.end(), [](double x) { return x > 0.0; });
  std::array<double, max_settings> shares{};
  if (has_own) shares = own;
  else if (has_common) shares = entry_mix;
  else shares[setting] = 1.0;
  std::array<double, max_settings> cumulative{};
  double total = 0.0, sum = 0.0;
  for (std::size_t k = 0; k < setting_count(); ++k) total += shares[k];
  for (std::size_t k = 0; k < max_settings; ++k) {
    sum += k < setting_count() ? shares[k] : 0.0;
    cumulative[k] = sum / total;
  }
  cumulative[setting_count() - 1] = 1.0;  // no rounding gap at the end
  return cumulative;
}

std::int64_t Parameters::longest_first_episode_days() const {
  std::int64_t longest = 0;
  for (std::size_t s = 0; s < substance_count; ++s) {
    if (population.substance_mix[s] <= 0.0) continue;
    const auto cumulative = treatment.entry_cumulative(static_cast<Substance>(s));
    for (std::size_t k = 0; k < treatment.setting_count(); ++k)
      if (cumulative[k] > (k > 0 ? cumulative[k - 1] : 0.0))
        longest = std::max(longest, treatment.settings[k].length_days);
  }
  return longest > 0 ? longest : treatment.settings[treatment.setting].length_days;
}

void declare_parameters(ParamTable& t, Parameters& p) {
  // ---- population: attributes drawn once per agent ----------------------------------------
  auto& pop = p.population;
  t.add_integer("population.size", pop.size, 10000, 1, 2'000'000'000, "agents", "Number of agents in the cohort");
  t.add_choice(
      "population.start", pop.start, CohortStart::treatment,
      std::vector<std::string>(cohort_start_names.begin(), cohort_start_names.end()),
      "Where each agent starts on arrival: treatment (admitted, in withdrawal) or community (out of treatment, "
      "in relapse, never admitted: a population in need of treatment, who enter by the entry hazard)");
  per_substance(t, "population.substance", pop.substance_mix, {0.5, 0.3, 0.2}, 0.0, 1.0, "share",
                "Share of the cohort whose primary substance is this one; the three shares sum to 1");
  beta(t, "population.severity", pop.severity, {2.0, 2.0}, "Severity v in [0,1]");
  t.add_real("population.mental_health_probability", pop.mental_health_probability, 0.45, 0.0, 1.0, "probability",
             "Probability of a co-occurring mental health condition (m = 1)");
  beta(t, "population.baseline_support", pop.baseline_support, {2.0, 3.0}, "Baseline social support g0 in [0,1]");
  beta(t, "population.baseline_engagement", pop.baseline_engagement, {3.0, 2.0},
       "Baseline treatment engagement w0 in [0,1]");
  per_substance(t, "population.withdrawal_mean_days", pop.withdrawal_mean_days, {5.0, 7.0, 10.0}, 1.0, 365.0, "days",
                "Mean of the geometric withdrawal duration d_W, redrawn at each treatment episode");
  per_substance(t, "population.age_years.mean", pop.age_mean_years, {42.0, 35.0, 36.0}, 0.0, 120.0, "years",
                "Mean of the normal distribution of age at admission, before truncation");
  per_substance(t, "population.age_years.sd", pop.age_sd_years, {12.0, 10.0, 10.0}, 0.0, 100.0, "years",
                "Standard deviation of the normal distribution of age at admission, before truncation");
  t.add_real("population.age_years.min", pop.age_min_years, 18.0, 0.0, 120.0, "years",
             "Lower truncation point of age at admission");
  t.add_real("population.age_years.max", pop.age_max_years, 85.0, 0.0, 120.0, "years",
             "Upper truncation point of age at admission");
  t.add_real("population.male_probability", pop.male_probability, 0.65, 0.0, 1.0, "probability",
             "Probability that an agent is male (else female)");

  // ---- intake: closed or open cohort ------------------------------------------------------
  t.add_real("intake.arrivals_per_day", p.intake.arrivals_per_day, 0.0, 0.0, 1.0e6, "agents per day",
             "Open cohort: admissions a day, evenly spaced (0 = closed cohort, everyone admitted on day 0)");
  t.add_integer("intake.for_days", p.intake.for_days, 0, 0, max_day_count, "days",
                "Open cohort: days during which agents arrive; the cohort size is arrivals_per_day x for_days");

  // ---- treatment ----------------------------------------------------------------------------
  auto& tr = p.treatment;
  {
    // A choice over the settings table, which a scenario may extend: the value is looked up by
    // name when it is assigned.
    ParamSpec spec;
    spec.path = "treatment.setting";
    spec.kind = ParamKind::choice;
    spec.doc = "Treatment programme of every episode, unless treatment.entry_mix says otherwise";
    spec.choices = tr.setting_names;
    spec.default_value = std::string("outpatient");
    spec.assign = [&tr](const ParamValue& v) {
      const auto& names = tr.setting_names;
      tr.setting =
          static_cast<std::size_t>(std::find(names.begin(), names.end(), std::get<std::string>(v)) - names.begin());
    };
    spec.current = [&tr]() -> ParamValue { return tr.setting_names.at(tr.setting); };
    t.add_spec(std::move(spec));
  }
  auto& entry = tr.entry;
  t.add_real("treatment.entry.base_hazard_per_day", entry.base_hazard_per_day, 0.0007703, 0.0, 1.0, "per day",
             "Hazard of entering treatment for a living agent out of treatment, in relapse at engagement and "
             "craving 0.5 without a co-occurring condition");
  t.add_real("treatment.entry.engagement_coefficient", entry.engagement_coefficient, 1.0, -unbounded_coefficient,
             unbounded_coefficient, "per unit", "Entry log-hazard per unit of (w - 0.5)");
  t.add_real("treatment.entry.craving_coefficient", entry.craving_coefficient, 0.5, -unbounded_coefficient,
             unbounded_coefficient, "per unit", "Entry log-hazard per unit of (c - 0.5)");
  t.add_real("treatment.entry.mental_health_coefficient", entry.mental_health_coefficient, 0.3, -unbounded_coefficient,
             unbounded_coefficient, "log-hazard", "Entry log-hazard added for a co-occurring mental health condition");
  // Those using seek treatment most; abstinent people rarely (a step-down is an entry of its own).
  constexpr std::array<double, clinical_state_count - 1> entry_state_defaults{1.0, 0.05, 0.05, 0.5, 1.0};
  for (std::size_t x = 0; x + 1 < clinical_state_count; ++x)
    t.add_real("treatment.entry.state_multiplier." + std::string(clinical_state_names[x]), entry.state_multiplier[x],
               entry_state_defaults[x], 0.0, 1000.0, "multiplier",
               "Entry hazard multiplier in " + std::string(clinical_state_names[x]));
  t.deprecate("treatment.readmission_hazard_per_day", "treatment.entry.base_hazard_per_day",
              "the base of the entry hazard, which v2 also applies outside relapse (treatment.entry.state_multiplier) "
              "and scales by engagement, craving and a co-occurring condition",
              "2");
  for (std::size_t s = 0; s < builtin_setting_count; ++s) declare_setting(t, tr, s);
  t.open_section("treatment.settings", max_settings - builtin_setting_count, [&t, &tr](const std::string& name) {
    if (std::find(substance_names.begin(), substance_names.end(), name) != substance_names.end())
      throw InputError(SourceLocation{}, "treatment.settings." + name + ": a setting may not be named as a substance");
    tr.setting_names.push_back(name);
    t.add_choice_name("treatment.setting", name);
    declare_setting(t, tr, tr.setting_count() - 1);
  });
  std::ostringstream moud_note;
  moud_note << "v1's moud is buprenorphine; its dropout base hazard is "
            << setting_defaults[static_cast<std::size_t>(Setting::buprenorphine)].dropout
            << " per day, v1's moud had 0.0025";
  t.deprecate("treatment.settings.moud", "treatment.settings.buprenorphine", moud_note.str(), "2");
  t.deprecate_value("treatment.setting", "moud", "buprenorphine", moud_note.str(), "2");
  for (std::string_view setting :
       {"detox", "residential", "outpatient", "intensive_outpatient", "methadone", "buprenorphine", "moud"}) {
    const std::string base = "treatment.settings." + std::string(setting) + ".";
    if (setting != "moud") {
      t.deprecate(base + "opioid_craving_target_multiplier", base + "craving_target_multiplier",
                  "applies to everyone the setting admits; methadone and buprenorphine admit opioid users only", "2");
      t.deprecate(base + "skills_growth_rate_per_day", base + "skills_growth_per_day", "same meaning", "2");
    }
  }

  // ---- model: the daily dynamics --------------------------------------------------------------
  auto& m = p.model;
  constexpr double c = unbounded_coefficient;
  t.add_real("model.covariate_centre", m.covariate_centre, 0.5, 0.0, 1.0, "1",
             "Centre x0 of the latent covariates in hazards: terms are coefficient * (x - x0)");
  t.add_integer("model.stable_after_days", m.stable_after_days, 90, 1, 100000, "days",
                "Consecutive abstinent days after which early recovery becomes stable recovery");

  t.add_real("model.stress.probability_per_day", m.stress_probability_per_day, 0.05, 0.0, 1.0, "probability",
             "Daily probability of a stress event (a high-risk situation)");
  t.add_real("model.stress.craving_jump", m.stress_craving_jump, 0.3, 0.0, 1.0, "share of headroom",
             "On a stress day craving rises by this share of (1 - k)(1 - c)");
  t.add_real("model.stress.lapse_multiplier", m.stress_lapse_multiplier, 3.0, 0.0, 100.0, "multiplier",
             "Lapse hazard multiplier on a stress day");

  per_substance(t, "model.craving.peak", m.craving_peak, {0.60, 0.75, 0.65}, 0.0, 1.0, "craving",
                "Peak craving c_peak at severity 0.5");
  t.add_real("model.craving.peak_severity_slope", m.craving_peak_severity_slope, 0.3, -1.0, 1.0, "craving",
             "c_peak rises by this much per unit of (severity - 0.5)");
  t.add_real("model.craving.floor", m.craving_floor, 0.1, 0.0, 1.0, "craving",
             "Craving target after long abstinence (c_floor)");
  t.add_real("model.craving.decay_days", m.craving_decay_days, 60.0, 0.01, 100000.0, "days",
             "Time constant tau_c of the fall of the craving target with abstinent days");
  t.add_real("model.craving.adjustment_rate_per_day", m.craving_adjustment_rate_per_day, 0.1, 0.0, 1.0, "per day",
             "Share of the gap to the craving target closed each day");

  t.add_real("model.self_efficacy.initial_intercept", m.self_efficacy_initial_intercept, 0.2, 0.0, 1.0, "self-efficacy",
             "Initial self-efficacy at severity 1");
  t.add_real("model.self_efficacy.initial_severity_slope", m.self_efficacy_initial_severity_slope, 0.3, -1.0, 1.0,
             "self-efficacy", "Initial self-efficacy rises by this much per unit of (1 - severity)");
  t.add_real("model.self_efficacy.growth_rate_per_day", m.self_efficacy_growth_rate_per_day, 0.01, 0.0, 1.0, "per day",
             "Rate at which self-efficacy approaches 1 on abstinent days (early or stable recovery)");
  t.add_real("model.self_efficacy.violation_factor", m.self_efficacy_violation_factor, 0.7, 0.0, 1.0, "factor",
             "Self-efficacy is multiplied by this on a return to use (abstinence-violation effect)");

  t.add_real("model.support.adjustment_rate_per_day", m.support_adjustment_rate_per_day, 0.05, 0.0, 1.0, "per day",
             "Share of the gap to the support target g_target closed each day");

  t.add_real("model.skills.initial", m.skills_initial, 0.1, 0.0, 1.0, "skills", "Coping skills k at admission");
  t.add_real("model.skills.decay_rate_per_day", m.skills_decay_rate_per_day, 0.001, 0.0, 1.0, "per day",
             "Daily proportional loss of coping skills");

  t.add_real("model.engagement.adjustment_rate_per_day", m.engagement_adjustment_rate_per_day, 0.05, 0.0, 1.0,
             "per day", "Share of the gap to baseline engagement w0 closed each day");
  t.add_real("model.engagement.violation_factor", m.engagement_violation_factor, 0.9, 0.0, 1.0, "factor",
             "Engagement is multiplied by this on a return to use");

  t.add_real("model.death.other_causes.gompertz_base_hazard_per_day", m.gompertz_base_hazard_per_day, 6.5e-6, 0.0, 1.0,
             "per day", "Hazard of death from other causes at the reference age, before the SMR");
  t.add_real("model.death.other_causes.gompertz_slope_per_year", m.gompertz_slope_per_year, 0.085, -1.0, 1.0,
             "log-hazard per year", "Gompertz slope: the log-hazard of death from other causes per year of age");
  t.add_real("model.death.other_causes.reference_age_years", m.gompertz_reference_age_years, 40.0, 0.0, 120.0, "years",
             "Age at which the other-causes hazard equals its base (before the SMR)");
  per_substance(t, "model.death.other_causes.smr", m.other_causes_smr, {2.0, 3.762, 3.0}, 0.0, 1000.0, "ratio",
                "Standardised mortality ratio of death from other causes");
  t.add_real("model.death.other_causes.male_multiplier", m.other_causes_male_multiplier, 1.0, 0.0, 100.0, "multiplier",
             "Other-causes hazard multiplier for men (1: the Gompertz base holds for both sexes)");
  per_substance(t, "model.death.substance_related.base_hazard_per_day", m.substance_death_base_hazard_per_day,
                {4e-6, 5.369e-5, 1.5e-5}, 0.0, 1.0, "per day",
                "Substance-related (acute) death hazard in lapse or relapse, out of treatment, outside the "
                "loss-of-tolerance window and long after any treatment");
  t.add_real("model.death.substance_related.withdrawal_multiplier", m.substance_death_withdrawal_multiplier, 0.2, 0.0,
             100.0, "multiplier", "Substance-related death hazard multiplier while in withdrawal");
  t.add_real("model.death.substance_related.abstinent_multiplier", m.substance_death_abstinent_multiplier, 0.02, 0.0,
             100.0, "multiplier",
             "Substance-related death hazard multiplier while abstinent (early or stable recovery)");
  t.add_real("model.death.substance_related.loss_of_tolerance_multiplier", m.death_loss_of_tolerance_multiplier, 8.0,
             0.0, 1000.0, "multiplier",
             "Substance-related death hazard multiplier for opioid users in the "
             "loss-of-tolerance window");
  t.add_integer("model.death.substance_related.loss_of_tolerance_window_days", m.loss_of_tolerance_window_days, 14, 0,
                100000, "days", "Length of the loss-of-tolerance window after a return to use");
  t.add_integer("model.death.substance_related.loss_of_tolerance_min_abstinent_days",
                m.loss_of_tolerance_min_abstinent_days, 14, 0, 100000, "days",
                "Abstinent days before the return to use that open the window");

  // Version 1's death keys: one all-cause hazard became two causes (docs/model.md, section 3.3.2).
  t.retire("model.death.base_hazard_per_day",
           "`model.death.substance_related.base_hazard_per_day.*` and `model.death.other_causes.*`",
           "the all-cause hazard became two causes: other causes (Gompertz in age x SMR) and substance-related", "2");
  t.retire("model.death.abstinent_multiplier", "`model.death.substance_related.abstinent_multiplier`",
           "applies to the substance-related cause only (default 0.02); withdrawal has its own multiplier", "2");
  t.retire("model.death.in_treatment_multiplier", "`treatment.settings.<setting>.overdose_multiplier_in_treatment`",
           "per setting, on the substance-related cause only", "2");
  // The loss-of-tolerance keys keep their meaning, now on the substance-related cause only.
  for (const char* key :
       {"loss_of_tolerance_multiplier", "loss_of_tolerance_window_days", "loss_of_tolerance_min_abstinent_days"})
    t.deprecate(std::string("model.death.") + key, "model.death.substance_related." + std::string(key),
                "same meaning, on the substance-related cause only", "2");
  t.retire("treatment.settings.moud.opioid_death_multiplier",
           "`treatment.settings.buprenorphine.overdose_multiplier_in_treatment`",
           "applies to the substance-related cause of every agent in treatment, not to all deaths of opioid users",
           "2");
  for (std::string_view setting : builtin_setting_names)
    t.retire("treatment.settings." + std::string(setting) + ".opioid_death_multiplier",
             "`treatment.settings." + std::string(setting) + ".overdose_multiplier_in_treatment`",
             "applies to the substance-related cause of every agent in treatment, not to all deaths of opioid users",
             "2");

  per_substance(t, "model.lapse.base_hazard_per_day", m.lapse_base_hazard_per_day, {0.003305, 0.004196, 0.007829}, 0.0,
                1.0, "per day", "Lapse hazard with every covariate at its centre");
  t.add_real("model.lapse.craving_coefficient", m.lapse_craving_coefficient, 3.0, -c, c, "log-hazard per unit",
             "Lapse log-hazard per unit of (c - 0.5)");
  t.add_real("model.lapse.self_efficacy_coefficient", m.lapse_self_efficacy_coefficient, -2.0, -c, c,
             "log-hazard per unit", "Lapse log-hazard per unit of (e - 0.5)");
  t.add_real("model.lapse.support_coefficient", m.lapse_support_coefficient, -1.5, -c, c, "log-hazard per unit",
             "Lapse log-hazard per unit of (g - 0.5)");
  t.add_real("model.lapse.skills_coefficient", m.lapse_skills_coefficient, -1.5, -c, c, "log-hazard per unit",
             "Lapse log-hazard per unit of (k - 0.5)");
  t.add_real("model.lapse.mental_health_coefficient", m.lapse_mental_health_coefficient, 0.4, -c, c, "log-hazard",
             "Lapse log-hazard added by a co-occurring mental health condition");
  t.add_real("model.lapse.withdrawal_multiplier", m.lapse_withdrawal_multiplier, 1.6, 0.0, 100.0, "multiplier",
             "Lapse hazard multiplier while in withdrawal");

  t.add_real("model.relapse.intercept", m.relapse_intercept, -0.8318, -c, c, "log-odds",
             "Log-odds that a lapse becomes a relapse, covariates at their centre");
  t.add_real("model.relapse.craving_coefficient", m.relapse_craving_coefficient, 3.0, -c, c, "log-odds per unit",
             "Relapse log-odds per unit of (c - 0.5)");
  t.add_real("model.relapse.self_efficacy_coefficient", m.relapse_self_efficacy_coefficient, -3.0, -c, c,
             "log-odds per unit", "Relapse log-odds per unit of (e - 0.5)");
  t.add_real("model.relapse.support_coefficient", m.relapse_support_coefficient, -2.0, -c, c, "log-odds per unit",
             "Relapse log-odds per unit of (g - 0.5)");

  t.add_real("model.resume.base_hazard_per_day", m.resume_base_hazard_per_day, 0.01115, 0.0, 1.0, "per day",
             "Hazard of resuming abstinence from relapse, covariates at their centre, out of treatment");
  t.add_real("model.resume.self_efficacy_coefficient", m.resume_self_efficacy_coefficient, 2.0, -c, c,
             "log-hazard per unit", "Resume log-hazard per unit of (e - 0.5)");
  t.add_real("model.resume.support_coefficient", m.resume_support_coefficient, 1.5, -c, c, "log-hazard per unit",
             "Resume log-hazard per unit of (g - 0.5)");
  t.add_real("model.resume.in_treatment_multiplier", m.resume_in_treatment_multiplier, 2.0, 0.0, 100.0, "multiplier",
             "Resume hazard multiplier while in treatment");

  t.add_real("model.dropout.engagement_coefficient", m.dropout_engagement_coefficient, -5.316, -c, c,
             "log-hazard per unit", "Dropout log-hazard per unit of (w - engagement_centre)");
  t.add_real("model.dropout.engagement_centre", m.dropout_engagement_centre, 0.6, 0.0, 1.0, "engagement",
             "Engagement at which the dropout hazard equals the setting's base hazard");
  t.add_real("model.dropout.craving_coefficient", m.dropout_craving_coefficient, 1.0, -c, c, "log-hazard per unit",
             "Dropout log-hazard per unit of (c - 0.5)");
  t.add_real("model.dropout.use_multiplier", m.dropout_use_multiplier, 5.962, 0.0, 100.0, "multiplier",
             "Dropout hazard multiplier while in lapse or relapse");
}

namespace {

// A scenario's own settings take every key they do not set from `based_on`; the entry shares sum
// to 1 (or are all 0); and nobody is sent to a setting that does not admit their substance.
void validate_settings(const ParamTable& table, Parameters& p) {
  auto& tr = p.treatment;
  const auto& names = tr.setting_names;
  for (std::size_t k = builtin_setting_count; k < tr.setting_count(); ++k) {
    const std::string base = "treatment.settings." + names[k] + ".";
    const auto from = std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(k), tr.based_on[k]);
    if (from == names.begin() + static_cast<std::ptrdiff_t>(k)) {
      SourceLocation where = table.where_set(base + "based_on");
      for (const auto& spec : table.specs())
        if (!where.known() && spec.path.rfind(base, 0) == 0) where = table.where_set(spec.path);
      std::vector<std::string> earlier(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(k));
      const std::string hint = closest_match(names[k], earlier);
      throw InputError(where,
                       "treatment.settings." + names[k] + ": " +
                           (hint.empty() ? std::string() : "not a known setting (did you mean '" + hint + "'?); ") +
                           "a setting the scenario defines needs based_on: one of " + join_names(earlier) +
                           (tr.based_on[k].empty() ? std::string() : ", got '" + tr.based_on[k] + "'"));
    }
    const std::string from_base = "treatment.settings." + *from + ".";
    for (const auto& spec : table.specs())
      if (spec.path.rfind(base, 0) == 0 && spec.path != base + "based_on" && !table.where_set(spec.path).known())
        if (const ParamSpec* source = table.find(from_base + spec.path.substr(base.size())))
          spec.assign(source->current());
  }

  // Step-down targets: a setting of the table (not the setting itself), or none.
  for (std::size_t k = 0; k < tr.setting_count(); ++k) {
    auto& sp = tr.settings[k];
    const std::string key = "treatment.settings." + names[k] + ".step_down";
    sp.step_down = -1;
    if (sp.step_down_name == "none") continue;
    const auto to = std::find(names.begin(), names.end(), sp.step_down_name);
    if (to == names.end() || to == names.begin() + static_cast<std::ptrdiff_t>(k)) {
      const std::string hint = closest_match(sp.step_down_name, names);
      throw InputError(table.where_set(key),
                       key + ": expected none or another setting (" + join_names(names) + "), got '" +
                           sp.step_down_name + "'" +
                           (hint.empty() || hint == names[k] ? std::string() : " (did you mean '" + hint + "'?)"));
    }
    sp.step_down = static_cast<std::int32_t>(to - names.begin());
  }

  const auto check_sum = [&](const std::array<double, max_settings>& shares, const std::string& prefix) {
    double sum = 0.0;
    SourceLocation where;
    for (std::size_t k = 0; k < tr.setting_count(); ++k) {
      sum += shares[k];
      if (table.where_set(prefix + names[k]).known()) where = table.where_set(prefix + names[k]);
    }
    if (sum > 0.0 && std::fabs(sum - 1.0) > 1e-6)
      throw InputError(where, prefix.substr(0, prefix.size() - 1) + ": expected shares of " + join_names(names) +
                                  " summing to 1 (or none set), got " + format_value(sum));
  };
  check_sum(tr.entry_mix, "treatment.entry_mix.");
  for (std::size_t s = 0; s < substance_count; ++s)
    check_sum(tr.entry_mix_by_substance[s], "treatment.entry_mix." + std::string(substance_names[s]) + ".");

  for (std::size_t s = 0; s < substance_count; ++s) {
    if (p.population.substance_mix[s] <= 0.0) continue;
    const std::string substance(substance_names[s]);
    const auto cumulative = tr.entry_cumulative(static_cast<Substance>(s));
    for (std::size_t k = 0; k < tr.setting_count(); ++k) {
      const double share = cumulative[k] - (k > 0 ? cumulative[k - 1] : 0.0);
      if (share <= 0.0 || tr.settings[k].admits[s]) continue;
      const std::string admits_key = "treatment.settings." + names[k] + ".substances." + substance;
      const std::string own = "treatment.entry_mix." + substance + "." + names[k];
      const std::string common = "treatment.entry_mix." + names[k];
      const SourceLocation where = table.where_set(own).known()      ? table.where_set(own)
                                   : table.where_set(common).known() ? table.where_set(common)
                                   : table.where_set("treatment.setting").known()
                                       ? table.where_set("treatment.setting")
                                       : table.where_set("population.substance." + substance);
      throw InputError(where, names[k] + " does not admit " + substance + " users (" + admits_key +
                                  " is false), but some of them would enter it: population.substance." + substance +
                                  " is " + format_value(p.population.substance_mix[s]) +
                                  "; give their settings with treatment.entry_mix." + substance + ".<setting>");
    }
  }
}

}  // namespace

std::int64_t IntakeParameters::cohort_size() const {
  return static_cast<std::int64_t>(std::llround(arrivals_per_day * static_cast<double>(for_days)));
}

void validate_parameters(const ParamTable& table, Parameters& p) {
  if (p.intake.open()) {
    const SourceLocation rate_at = table.where_set("intake.arrivals_per_day");
    if (p.intake.for_days <= 0)
      throw InputError(rate_at, "intake: an open cohort (arrivals_per_day > 0) needs for_days >= 1");
    const std::int64_t n = p.intake.cohort_size();
    // A resolved scenario states the derived size; any other explicit size contradicts the intake.
    if (table.where_set("population.size").known() && p.population.size != n)
      throw InputError(table.where_set("population.size"),
                       "population.size: not allowed with intake; the cohort size is intake.arrivals_per_day x "
                       "intake.for_days = " +
                           std::to_string(n));
    if (n < 1 || n > 2'000'000'000)
      throw InputError(rate_at, "intake: arrivals_per_day x for_days must give 1 to 2000000000 agents, got " +
                                    std::to_string(n));
    p.population.size = n;
  } else if (table.where_set("intake.for_days").known() && p.intake.for_days > 0) {
    throw InputError(table.where_set("intake.for_days"), "intake.for_days: set intake.arrivals_per_day too");
  }

  if (p.population.age_min_years > p.population.age_max_years)
    throw InputError(table.where_set("population.age_years.min").known() ? table.where_set("population.age_years.min")
                                                                         : table.where_set("population.age_years.max"),
                     "population.age_years: min (" + format_value(p.population.age_min_years) +
                         ") must not exceed max (" + format_value(p.population.age_max_years) + ")");

  validate_settings(table, p);

  double mix = 0.0;
  for (double share : p.population.substance_mix) mix += share;
  if (std::fabs(mix - 1.0) > 1e-6) {
    SourceLocation where;
    for (std::string_view name : substance_names) {
      const SourceLocation w = table.where_set("population.substance." + std::string(name));
      if (w.known()) where = w;
    }
    throw InputError(where,
                     "population.substance: expected shares of alcohol, opioid and stimulant summing to 1, got " +
                         format_value(mix));
  }
}

}  // namespace recoverysim::recovery
