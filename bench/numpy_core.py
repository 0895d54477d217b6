"""NumPy baseline for the benchmarks: the core recovery model, vectorised over agents.

An independent implementation of the core model as the specification describes it (version 1,
with version 2's age and sex, its two causes of death, the transition risk after leaving
treatment, the entry hazard that replaces readmission, and step-down to continuing care),
written the way a researcher would write it in NumPy: one float64 or int array per variable, a
boolean mask per step, whole-array np.exp / np.expm1. Each agent carries the setting of its
current (or last) episode, so a step-down (detox or residential to outpatient) changes the
setting's parameters per agent. Closed cohort (everyone admitted on day 0), no interventions.
Random numbers come from numpy.random.default_rng(seed), so results agree with the C++
simulator only in distribution.

    /usr/bin/python3 bench/numpy_core.py --agents N --days T --seed S [--setting outpatient]
                                         [--substance opioid] [--recoverysim BINARY]
                                         [--figures] [--check]

With --recoverysim, every parameter is read from `BINARY validate` (the resolved defaults of a
scenario with this cohort), so the baseline follows the program's defaults; without it, the
defaults written below are used. --substance gives a cohort of that substance only (needed for
the opioid-only settings). Only the day loop is timed. Prints one line of JSON; with --figures,
the line also has the figures the agreement test compares (figures()).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

SUBSTANCES = ("alcohol", "opioid", "stimulant")
SETTINGS = ("detox", "residential", "outpatient", "intensive_outpatient", "methadone", "buprenorphine")
STATES = ("withdrawal", "early_recovery", "stable_recovery", "lapse", "relapse")

# ---- defaults (the specification's starting values) ----------------------------------------
# Used without --recoverysim; with it, the same keys come from `recoverysim validate`.
_SETTING_TABLE = {  # length, dropout base, skills growth, lapse x in tr., c* x, overdose x in tr., M_L, tau_L
    "detox": (7, 0.06, 0.005, 1.0, 1.0, 0.33, 4.0, 7.0),
    "residential": (28, 0.018, 0.01, 0.5, 1.0, 0.33, 4.0, 7.0),
    "outpatient": (90, 0.0075, 0.01, 1.0, 1.0, 0.33, 1.5, 7.0),
    "intensive_outpatient": (60, 0.0095, 0.015, 1.0, 1.0, 0.33, 1.5, 7.0),
    "methadone": (365, 0.0012, 0.01, 1.0, 0.6, 0.4, 3.0, 14.0),
    "buprenorphine": (365, 0.0035, 0.01, 1.0, 0.6, 0.35, 3.0, 14.0),
}
_STEP_DOWN = {"detox": ("outpatient", 0.3), "residential": ("outpatient", 0.5)}  # others: none
_OPIOID_ONLY = ("methadone", "buprenorphine")


def builtin_parameters(setting="outpatient", substance=None):
    per = lambda a, o, s: dict(zip(SUBSTANCES, (a, o, s)))
    settings = {}
    for name, (length, drop, skills, lapse, craving, overdose, m_l, tau_l) in _SETTING_TABLE.items():
        step_to, step_p = _STEP_DOWN.get(name, ("none", 0.0))
        settings[name] = {"length_days": length, "dropout_base_hazard_per_day": drop,
                          "skills_growth_per_day": skills, "lapse_multiplier_in_treatment": lapse,
                          "craving_target_multiplier": craving, "overdose_multiplier_in_treatment": overdose,
                          "exit_lapse_multiplier": m_l, "exit_lapse_decay_days": tau_l,
                          "exit_overdose_multiplier": 6.0, "exit_overdose_decay_days": 14.0,
                          "step_down": step_to, "step_down_probability": step_p,
                          "substances": {s: (s == "opioid" or name not in _OPIOID_ONLY) for s in SUBSTANCES}}
    shares = per(0.5, 0.3, 0.2) if substance is None else {s: float(s == substance) for s in SUBSTANCES}
    return {
        "population": {"substance": shares, "severity": {"beta_a": 2.0, "beta_b": 2.0},
                       "mental_health_probability": 0.45, "baseline_support": {"beta_a": 2.0, "beta_b": 3.0},
                       "baseline_engagement": {"beta_a": 3.0, "beta_b": 2.0},
                       "withdrawal_mean_days": per(5.0, 7.0, 10.0),
                       "age_years": {"mean": per(42.0, 35.0, 36.0), "sd": per(12.0, 10.0, 10.0),
                                     "min": 18.0, "max": 85.0},
                       "male_probability": 0.65},
        "treatment": {"setting": setting,
                      "entry": {"base_hazard_per_day": 0.003, "engagement_coefficient": 1.0,
                                "craving_coefficient": 0.5, "mental_health_coefficient": 0.3,
                                "state_multiplier": dict(zip(STATES, (1.0, 0.05, 0.05, 0.5, 1.0)))},
                      "settings": settings, "entry_mix": {}},
        "model": {
            "covariate_centre": 0.5, "stable_after_days": 90,
            "stress": {"probability_per_day": 0.05, "craving_jump": 0.3, "lapse_multiplier": 3.0},
            "craving": {"peak": per(0.60, 0.75, 0.65), "peak_severity_slope": 0.3, "floor": 0.1, "decay_days": 60.0,
                        "adjustment_rate_per_day": 0.1},
            "self_efficacy": {"initial_intercept": 0.2, "initial_severity_slope": 0.3, "growth_rate_per_day": 0.01,
                              "violation_factor": 0.7},
            "support": {"adjustment_rate_per_day": 0.05},
            "skills": {"initial": 0.1, "decay_rate_per_day": 0.001},
            "engagement": {"adjustment_rate_per_day": 0.05, "violation_factor": 0.9},
            "death": {
                "other_causes": {"gompertz_base_hazard_per_day": 6.5e-6, "gompertz_slope_per_year": 0.085,
                                 "reference_age_years": 40.0, "smr": per(2.0, 3.0, 3.0), "male_multiplier": 1.0},
                "substance_related": {"base_hazard_per_day": per(4e-6, 4e-5, 1.5e-5), "withdrawal_multiplier": 0.2,
                                      "abstinent_multiplier": 0.02, "loss_of_tolerance_multiplier": 8.0,
                                      "loss_of_tolerance_window_days": 14,
                                      "loss_of_tolerance_min_abstinent_days": 14}},
            "lapse": {"base_hazard_per_day": per(0.0030, 0.0048, 0.0039), "craving_coefficient": 3.0,
                      "self_efficacy_coefficient": -2.0, "support_coefficient": -1.5, "skills_coefficient": -1.5,
                      "mental_health_coefficient": 0.4, "withdrawal_multiplier": 1.6},
            "relapse": {"intercept": -0.6, "craving_coefficient": 3.0, "self_efficacy_coefficient": -3.0,
                        "support_coefficient": -2.0},
            "resume": {"base_hazard_per_day": 0.01, "self_efficacy_coefficient": 2.0, "support_coefficient": 1.5,
                       "in_treatment_multiplier": 2.0},
            "dropout": {"engagement_coefficient": -3.0, "engagement_centre": 0.6, "craving_coefficient": 1.0,
                        "use_multiplier": 3.0}}}


def scenario_text(agents, days, setting, substance=None, name="numpy_core"):
    """The scenario of this cohort (the agreement test runs the simulator on the same text)."""
    text = f"name: {name}\ndays: {days}\npopulation:\n  size: {agents}\n"
    if substance is not None:
        text += "  substance: {" + ", ".join(f"{s}: {int(s == substance)}" for s in SUBSTANCES) + "}\n"
    return text + f"treatment:\n  setting: {setting}\n"


def validated_parameters(binary, agents, days, setting, substance=None):
    """The resolved scenario of this cohort, as `recoverysim validate` prints it."""
    import yaml
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(scenario_text(agents, days, setting, substance))
        path = f.name
    try:
        out = subprocess.run([binary, "validate", path], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    return yaml.safe_load(out)


def by_substance(d):
    return np.array([float(d[s]) for s in SUBSTANCES])


# clinical states, treatment status, first-episode outcome, cause of death
WITHDRAWAL, EARLY, STABLE, LAPSE, RELAPSE, DECEASED = range(6)
IN_TREATMENT, COMPLETED, DROPPED_OUT = 1, 2, 3
EP_COMPLETED, EP_DROPPED, EP_DIED, EP_ONGOING = 0, 1, 2, 3
ALIVE, OTHER_CAUSES, SUBSTANCE_RELATED = 0, 1, 2
# event codes (the simulator's events/code): the state changes, the treatment step, deaths by cause
EV_LAPSE, EV_RELAPSE, EV_LAPSE_RESOLVED, EV_RESUMED, EV_WITHDRAWAL_COMPLETED, EV_STABLE = 3, 4, 5, 6, 7, 8
EV_DROPPED_OUT, EV_COMPLETED, EV_READMITTED = 9, 10, 11
EV_DIED_OTHER, EV_DIED_SUBSTANCE, EV_STEPPED_DOWN = 12, 13, 14


def truncated_normal(rng, mean, sd, low, high):
    """Normal(mean, sd) per agent, redrawn until inside [low, high]."""
    x = mean + sd * rng.standard_normal(mean.size)
    for _ in range(1000):
        bad = (x < low) | (x > high)
        if not bad.any():
            break
        x[bad] = mean[bad] + sd[bad] * rng.standard_normal(int(bad.sum()))
    return np.clip(x, low, high)


def setting_tables(tr):
    """The settings as arrays indexed by setting code (the order of treatment.settings, which is
    the simulator's order of setting labels), and the entry mix as one row of shares per
    substance: the substance's own mix if any of its shares is positive, else the general mix if
    any is positive, else everyone in treatment.setting."""
    names = list(tr["settings"])
    col = lambda key, dtype=float: np.array([tr["settings"][s][key] for s in names], dtype)
    table = {key: col(key) for key in (
        "dropout_base_hazard_per_day", "skills_growth_per_day", "lapse_multiplier_in_treatment",
        "craving_target_multiplier", "overdose_multiplier_in_treatment", "exit_lapse_multiplier",
        "exit_lapse_decay_days", "exit_overdose_multiplier", "exit_overdose_decay_days", "step_down_probability")}
    table["length_days"] = col("length_days", np.int32)
    table["step_down"] = np.array([names.index(tr["settings"][s]["step_down"])
                                   if tr["settings"][s]["step_down"] in names else -1 for s in names])
    table["admits"] = np.array([[bool(tr["settings"][s]["substances"][x]) for x in SUBSTANCES] for s in names])
    mix = tr.get("entry_mix") or {}
    general = np.array([float(mix.get(s, 0.0)) for s in names])
    rows = []
    for x in SUBSTANCES:
        own = mix.get(x) if isinstance(mix.get(x), dict) else {}
        own = np.array([float(own.get(s, 0.0)) for s in names])
        if (own > 0).any():
            rows.append(own)
        elif (general > 0).any():
            rows.append(general)
        else:
            rows.append(np.eye(len(names))[names.index(tr["setting"])])
    table["entry_mix"] = np.cumsum(np.array(rows), axis=1)
    return names, table


def run(n, days, seed, setting="outpatient", params=None, events=False):
    """Simulate a closed cohort of n agents for `days` days. With events=True the result also has
    the day's events of every agent in the simulator's event-record layout (agent, day, code,
    detail; the codes EV_* above): what figures() reads."""
    P = params or builtin_parameters(setting)
    pop, tr, M = P["population"], P["treatment"], P["model"]
    names, T = setting_tables(tr)
    x0 = M["covariate_centre"]
    rng = np.random.default_rng(seed)

    # ---- initialisation ----
    sub = rng.choice(3, size=n, p=by_substance(pop["substance"])).astype(np.int8)
    v = rng.beta(pop["severity"]["beta_a"], pop["severity"]["beta_b"], n)
    g0 = rng.beta(pop["baseline_support"]["beta_a"], pop["baseline_support"]["beta_b"], n)
    w0 = rng.beta(pop["baseline_engagement"]["beta_a"], pop["baseline_engagement"]["beta_b"], n)
    mh = rng.random(n) < pop["mental_health_probability"]
    age_spec = pop["age_years"]
    age0 = truncated_normal(rng, by_substance(age_spec["mean"])[sub], by_substance(age_spec["sd"])[sub],
                            age_spec["min"], age_spec["max"])
    male = rng.random(n) < pop["male_probability"]
    cr = M["craving"]
    c_peak = np.clip(by_substance(cr["peak"])[sub] + cr["peak_severity_slope"] * (v - x0), 0.0, 1.0)
    opioid = sub == 1
    se = M["self_efficacy"]
    c, g, w = c_peak.copy(), g0.copy(), w0.copy()
    e = np.clip(se["initial_intercept"] + se["initial_severity_slope"] * (1.0 - v), 0.0, 1.0)
    k = np.full(n, M["skills"]["initial"])
    state = np.full(n, WITHDRAWAL, np.int8)
    treat = np.full(n, IN_TREATMENT, np.int8)
    a, a_prior, since_use, wd_done, ep_days = (np.zeros(n, np.int32) for _ in range(5))
    days_out = np.zeros(n, np.int32)  # days since the agent last left treatment (0 on the first day out)
    wd_mean = by_substance(pop["withdrawal_mean_days"])
    draw_wd_len = lambda idx: np.minimum(rng.geometric(1.0 / wd_mean[sub[idx]]), 65535).astype(np.int32)
    wd_len = draw_wd_len(np.arange(n))
    first_lapse = np.full(n, -1, np.int32)
    first_relapse = np.full(n, -1, np.int32)
    ep_outcome = np.full(n, EP_ONGOING, np.int8)
    ep_length = np.zeros(n, np.int32)
    readmissions = np.zeros(n, np.int32)
    death_day = np.full(n, -1, np.int32)
    death_cause = np.zeros(n, np.int8)
    abstinent_days = np.zeros(n, np.int32)

    # The setting of each agent's current episode (or of the last one, while out of treatment:
    # the post-exit multipliers are those of the setting left), and its parameters per agent.
    mix_degenerate = bool(np.all(np.count_nonzero(np.diff(T["entry_mix"], prepend=0.0, axis=1) > 0, axis=1) == 1))

    def entry_setting(idx):
        """The setting of a new episode, from the entry mix of each agent's substance."""
        cum = T["entry_mix"][sub[idx]]
        u_mix = np.full(idx.size, 0.5) if mix_degenerate else rng.random(idx.size)
        return np.minimum((cum <= u_mix[:, None]).sum(axis=1), len(names) - 1)

    per_setting = ("length_days", "dropout_base_hazard_per_day", "skills_growth_per_day",
                   "lapse_multiplier_in_treatment", "craving_target_multiplier", "overdose_multiplier_in_treatment",
                   "exit_lapse_multiplier", "exit_lapse_decay_days", "exit_overdose_multiplier",
                   "exit_overdose_decay_days")
    sett = entry_setting(np.arange(n)).astype(np.int8)
    if not T["admits"][sett, sub].all():
        raise ValueError("the entry mix sends someone to a setting that does not admit their substance")
    A = {key: T[key][sett] for key in per_setting}

    def assign_setting(idx, codes):
        sett[idx] = codes
        for key in per_setting:
            A[key][idx] = T[key][codes]

    log = []  # (agents, day, code, detail) of each day's events, when asked

    def record(mask_or_idx, t, code, detail=0):
        if events:
            idx = np.flatnonzero(mask_or_idx) if mask_or_idx.dtype == bool else mask_or_idx
            if idx.size:
                det = np.broadcast_to(np.asarray(detail, np.int32), idx.shape) if np.ndim(detail) == 0 else detail
                log.append((idx.astype(np.int32), np.full(idx.size, t, np.int32), np.full(idx.size, code, np.int32),
                            np.asarray(det, np.int32)))

    def start_episode(idx, codes, t):
        """A new episode (an entry or a step-down): in treatment, n_T = 0, counted; from lapse or
        relapse it starts in withdrawal with a new withdrawal length, otherwise the state and its
        counters are kept."""
        treat[idx] = IN_TREATMENT
        ep_days[idx] = 0
        readmissions[idx] += 1
        assign_setting(idx, codes)
        from_use = idx[(state[idx] == LAPSE) | (state[idx] == RELAPSE)]
        state[from_use] = WITHDRAWAL
        wd_done[from_use] = 0
        a[from_use] = 0
        wd_len[from_use] = draw_wd_len(from_use)
        record(idx, t, EV_READMITTED, readmissions[idx] + 1)

    # fixed per-agent factors of the hazards
    D_O, D_S = M["death"]["other_causes"], M["death"]["substance_related"]
    other_fixed = (D_O["gompertz_base_hazard_per_day"] * by_substance(D_O["smr"])[sub]
                   * np.where(male, D_O["male_multiplier"], 1.0))
    substance_base = by_substance(D_S["base_hazard_per_day"])[sub]
    L = M["lapse"]
    lapse_base = by_substance(L["base_hazard_per_day"])[sub] * np.exp(L["mental_health_coefficient"] * mh)
    st, R, Q, Dr = M["stress"], M["relapse"], M["resume"], M["dropout"]
    E = tr["entry"]
    entry_fixed = E["base_hazard_per_day"] * np.exp(E["mental_health_coefficient"] * mh)
    entry_state = np.array([E["state_multiplier"][x] for x in STATES] + [0.0])  # by state code; deceased 0
    lot_days, lot_min = D_S["loss_of_tolerance_window_days"], D_S["loss_of_tolerance_min_abstinent_days"]

    start_time = time.perf_counter()
    for t in range(days):
        u = rng.random((4, n))               # stress, death (and its cause), state exit, treatment exit
        alive = state != DECEASED
        withdrawal0 = state == WITHDRAWAL
        abstinent0 = (state == EARLY) | (state == STABLE)
        lapse0 = state == LAPSE
        relapse0 = state == RELAPSE
        using0 = lapse0 | relapse0
        in_tr = treat == IN_TREATMENT
        out_after = (treat == COMPLETED) | (treat == DROPPED_OUT)

        # 1. stress
        stress = u[0] < st["probability_per_day"]

        # 2. latent update, with the state at the start of the day
        c_star = np.where(abstinent0, cr["floor"] + (c_peak - cr["floor"]) * np.exp(-a / cr["decay_days"]), c_peak)
        c_star = np.where(in_tr, c_star * A["craving_target_multiplier"], c_star)
        c = np.clip(c + cr["adjustment_rate_per_day"] * (c_star - c)
                    + np.where(stress, st["craving_jump"] * (1.0 - k) * (1.0 - c), 0.0), 0.0, 1.0)
        e = np.clip(np.where(abstinent0, e + se["growth_rate_per_day"] * (1.0 - e), e), 0.0, 1.0)
        g = np.clip(g + M["support"]["adjustment_rate_per_day"] * (g0 - g), 0.0, 1.0)
        k = np.clip(k + np.where(in_tr, A["skills_growth_per_day"] * (1.0 - k), 0.0)
                    - M["skills"]["decay_rate_per_day"] * k, 0.0, 1.0)
        w = np.clip(w + M["engagement"]["adjustment_rate_per_day"] * (w0 - w), 0.0, 1.0)

        # 3. death, two causes on one uniform: the agent dies if u < p(h_O + h_S), of a
        #    substance-related death if u < p * h_S / (h_O + h_S); it ends the day
        age = age0 + t / 365.25
        h_other = other_fixed * np.exp(D_O["gompertz_slope_per_year"] * (age - D_O["reference_age_years"]))
        use_mult = np.where(withdrawal0, D_S["withdrawal_multiplier"],
                            np.where(abstinent0, D_S["abstinent_multiplier"], 1.0))
        window = opioid & using0 & (since_use < lot_days) & (a_prior >= lot_min)
        exit_mult = np.where(out_after, 1.0 + (A["exit_overdose_multiplier"] - 1.0)
                             * np.exp(-days_out / A["exit_overdose_decay_days"]), 1.0)
        h_substance = (substance_base * use_mult * np.where(in_tr, A["overdose_multiplier_in_treatment"], 1.0)
                       * np.where(window, D_S["loss_of_tolerance_multiplier"], 1.0) * exit_mult)
        h_death = h_other + h_substance
        p_death = -np.expm1(-h_death)
        dies = alive & (u[1] < p_death)
        by_substance_cause = dies & (u[1] < p_death * h_substance / np.maximum(h_death, 1e-300))
        live = alive & ~dies
        death_day[dies] = t
        death_cause[dies] = OTHER_CAUSES
        death_cause[by_substance_cause] = SUBSTANCE_RELATED
        first_open = (readmissions == 0) & (ep_outcome == EP_ONGOING)
        died_in_tr = dies & in_tr & first_open
        ep_outcome[died_in_tr] = EP_DIED
        ep_length[died_in_tr] = ep_days[died_in_tr] + 1
        if events:  # detail: days since leaving treatment, -1 in treatment
            since_left = np.where(in_tr, -1, days_out)
            record(dies & ~by_substance_cause, t, EV_DIED_OTHER, since_left[dies & ~by_substance_cause])
            record(by_substance_cause, t, EV_DIED_SUBSTANCE, since_left[by_substance_cause])

        # 4. lapse (from withdrawal, early or stable recovery), with the post-exit multiplier
        #    1 + (M_L - 1) exp(-d / tau_L) of the setting left while out of treatment
        xl = (L["craving_coefficient"] * (c - x0) + L["self_efficacy_coefficient"] * (e - x0)
              + L["support_coefficient"] * (g - x0) + L["skills_coefficient"] * (k - x0))
        h_lapse = (lapse_base * np.exp(xl) * np.where(withdrawal0, L["withdrawal_multiplier"], 1.0)
                   * np.where(stress, st["lapse_multiplier"], 1.0)
                   * np.where(in_tr, A["lapse_multiplier_in_treatment"], 1.0)
                   * np.where(out_after, 1.0 + (A["exit_lapse_multiplier"] - 1.0)
                              * np.exp(-days_out / A["exit_lapse_decay_days"]), 1.0))
        lapsed = live & (withdrawal0 | abstinent0) & (u[2] < -np.expm1(-h_lapse))
        progressing = live & withdrawal0 & ~lapsed
        wd_done += progressing
        withdrawal_over = progressing & (wd_done >= wd_len)

        # 5. lapse resolution
        p_relapse = 1.0 / (1.0 + np.exp(-(R["intercept"] + R["craving_coefficient"] * (c - x0)
                                          + R["self_efficacy_coefficient"] * (e - x0)
                                          + R["support_coefficient"] * (g - x0))))
        lapse_now = live & lapse0
        relapsed = lapse_now & (u[2] < p_relapse)

        # 6. resuming abstinence
        h_resume = (Q["base_hazard_per_day"] * np.exp(Q["self_efficacy_coefficient"] * (e - x0)
                                                      + Q["support_coefficient"] * (g - x0))
                    * np.where(in_tr, Q["in_treatment_multiplier"], 1.0))
        resumed = live & relapse0 & (u[2] < -np.expm1(-h_resume))

        state[lapsed] = LAPSE
        state[relapsed] = RELAPSE
        state[withdrawal_over | (lapse_now & ~relapsed) | resumed] = EARLY
        state[dies] = DECEASED

        # 7. bookkeeping
        a_prior = np.where(lapsed, a, a_prior)
        since_use = np.where(lapsed, 0, since_use + 1)
        e = np.where(lapsed, se["violation_factor"] * e, e)
        w = np.where(lapsed, M["engagement"]["violation_factor"] * w, w)
        first_lapse[lapsed & (first_lapse < 0)] = t
        first_relapse[relapsed & (first_relapse < 0)] = t
        abstinent = (state == EARLY) | (state == STABLE)
        a = np.where(abstinent, a + 1, 0)
        promoted = (state == EARLY) & (a >= M["stable_after_days"])
        state[promoted] = STABLE
        if events:
            record(lapsed, t, EV_LAPSE)
            record(relapsed, t, EV_RELAPSE)
            record(lapse_now & ~relapsed, t, EV_LAPSE_RESOLVED)
            record(resumed, t, EV_RESUMED)
            record(withdrawal_over, t, EV_WITHDRAWAL_COMPLETED)
            record(promoted, t, EV_STABLE)

        # 8. treatment, for those in treatment at the start of the day: dropout (state after
        #    today's transitions) or one more day, completion at the setting's length
        using = (state == LAPSE) | (state == RELAPSE)
        h_drop = (A["dropout_base_hazard_per_day"]
                  * np.exp(Dr["engagement_coefficient"] * (w - Dr["engagement_centre"])
                           + Dr["craving_coefficient"] * (c - x0)) * np.where(using, Dr["use_multiplier"], 1.0))
        treated = live & in_tr
        dropped = treated & (u[3] < -np.expm1(-h_drop))
        staying = treated & ~dropped
        ep_days += staying
        completed = staying & (ep_days >= A["length_days"])
        treat[dropped] = DROPPED_OUT
        treat[completed] = COMPLETED
        m = dropped & first_open
        ep_outcome[m] = EP_DROPPED
        ep_length[m] = ep_days[m] + 1
        m = completed & first_open
        ep_outcome[m] = EP_COMPLETED
        ep_length[m] = ep_days[m]
        if events:  # detail: the episode's number
            record(dropped, t, EV_DROPPED_OUT, readmissions[dropped] + 1)
            record(completed, t, EV_COMPLETED, readmissions[completed] + 1)
        # days out of treatment: one more for each day lived out of treatment after an episode;
        # the day an episode ends leaves 0, so the next day (the first out) has d = 0
        days_out = np.where(live & out_after, days_out + 1, days_out)
        days_out[dropped | completed] = 0

        # 9. entry, for those out of treatment at the start of the day (so nobody enters on the
        #    day they leave), on the treatment-exit uniform, with the state after today's
        #    transitions: h_E = base exp(b_w (w - x0) + b_c (c - x0) + b_m m) S_E[X]
        out_idx = np.flatnonzero(live & out_after)
        h_entry = (entry_fixed[out_idx] * np.exp(E["engagement_coefficient"] * (w[out_idx] - x0)
                                                 + E["craving_coefficient"] * (c[out_idx] - x0))
                   * entry_state[state[out_idx]])
        entering = out_idx[u[3][out_idx] < -np.expm1(-h_entry)]
        if entering.size:
            start_episode(entering, entry_setting(entering), t)

        # 10. step-down: a completed episode's setting refers to its step-down setting, taken with
        #     its probability if that setting admits the agent's substance; the new episode starts
        #     at the end of the completion day (never out of treatment)
        done = np.flatnonzero(completed)
        target = T["step_down"][sett[done]]
        admitted = (target >= 0) & T["admits"][np.maximum(target, 0), sub[done]]
        takes = admitted & (rng.random(done.size) < T["step_down_probability"][sett[done]])
        if takes.any():
            stepping, to = done[takes], target[takes]
            start_episode(stepping, to, t)
            record(stepping, t, EV_STEPPED_DOWN, to)

        abstinent_days += abstinent   # an entry changes only lapse or relapse (to withdrawal)
    seconds = time.perf_counter() - start_time

    ongoing = ep_outcome == EP_ONGOING
    ep_length[ongoing] = ep_days[ongoing]
    agents = {"first_lapse_day": first_lapse, "first_relapse_day": first_relapse,
              "first_episode_outcome": ep_outcome, "first_episode_days": ep_length, "death_day": death_day,
              "death_cause": death_cause, "age_years": age0, "sex": male.astype(np.int8),
              "readmissions": readmissions, "setting": sett, "abstinent_days": abstinent_days, "substance": sub}
    out = {"seconds": seconds, "agents": agents, "settings": names}
    if events:
        cols = list(zip(*log)) if log else [[np.zeros(0, np.int32)]] * 4
        out["events"] = {name: np.concatenate(col) for name, col in zip(("agent", "day", "code", "detail"), cols)}
    for d in (30, 90, 180, 365):
        if d <= days:
            out[f"relapse_by_day_{d}"] = float(np.mean((first_relapse >= 0) & (first_relapse < d)))
            out[f"lapse_by_day_{d}"] = float(np.mean((first_lapse >= 0) & (first_lapse < d)))
    if T["length_days"][names.index(tr["setting"])] <= days:
        out["first_episode_completion"] = float(np.mean(ep_outcome == EP_COMPLETED))
    return out


def figures(agents, events, days, step_down=False):
    """Figures of a closed cohort computed from per-agent records and the event record (the
    simulator's agents/ and events/ columns), each with its standard error: {name: (value, se)}.
    Used by the agreement test on this baseline's records and on the simulator's.

    Shares of agents are binomial. Figures over episodes or exits (several per agent) are ratio
    estimators, sum(hits) / sum(cases), with a standard error clustered by agent. Rates are per
    person-year alive (closed cohort: death day, or the horizon). With step_down (the scenario's
    setting has a step-down), the step-down figures and the entries without step-downs are added.

    An exit is the end of an episode (dropout or completion) without a step-down that day: the
    agent is out of treatment from the next day. An episode started by a step-down is in another
    setting than the scenario's (a setting cannot step down to itself); every other episode is in
    the scenario's setting (the default entry mix)."""
    first_lapse = np.asarray(agents["first_lapse_day"]).astype(np.int64)
    first_relapse = np.asarray(agents["first_relapse_day"]).astype(np.int64)
    outcome = np.asarray(agents["first_episode_outcome"])
    death_day = np.asarray(agents["death_day"]).astype(np.int64)
    cause = np.asarray(agents["death_cause"])
    readmissions = np.asarray(agents["readmissions"]).astype(np.int64)
    n = first_lapse.size
    out = {}

    # the event record, sorted by agent, day and code (the order of an agent's events in a day)
    agent, day, code, detail = (np.asarray(events[name]).astype(np.int64)
                                for name in ("agent", "day", "code", "detail"))
    order = np.lexsort((code, day, agent))
    agent, day, code, detail = agent[order], day[order], code[order], detail[order]
    K = days + 1
    key = agent * K + day
    stepped_today = np.isin(key, key[code == EV_STEPPED_DOWN])
    entry = (code == EV_READMITTED) & ~stepped_today
    ends = (code == EV_DROPPED_OUT) | (code == EV_COMPLETED)
    exits = ends & ~stepped_today
    from_step_down = np.isin(agent * 65536 + detail, (agent * 65536 + detail)[(code == EV_READMITTED) & stepped_today])
    own_setting = ends & ~from_step_down   # an episode of the scenario's setting ended
    death_detail = np.full(n, -2, np.int64)
    dead = (code == EV_DIED_OTHER) | (code == EV_DIED_SUBSTANCE)
    death_detail[agent[dead]] = detail[dead]
    alive_days = np.where(death_day >= 0, death_day, days).astype(float)

    def any_between(mask, rows, low, high):
        """Whether the agent of each row has an event of `mask` on a day in (low, high]."""
        k = key[mask]   # sorted, as the rows are
        return (np.searchsorted(k, agent[rows] * K + high, "right")
                - np.searchsorted(k, agent[rows] * K + low, "right")) > 0

    state_rows = (code >= EV_LAPSE) & (code <= EV_STABLE)
    state_key, state_code = key[state_rows], code[state_rows]

    def abstinent_at_end_of(rows, on_day):
        """Abstinent (early or stable recovery) at the end of the day: the agent's last state
        change up to that day was into early or stable recovery (an entry changes only lapse or
        relapse, to withdrawal, and no change at all means the first withdrawal)."""
        pos = np.searchsorted(state_key, agent[rows] * K + on_day, "right") - 1
        ok = pos >= 0
        pos = np.maximum(pos, 0)
        return ok & (state_key[pos] // K == agent[rows]) & (state_code[pos] >= EV_LAPSE_RESOLVED)

    def share(name, hits, among):
        m = int(among.sum())
        p = float(hits[among].mean()) if m else float("nan")
        out[name] = (p, float(np.sqrt(max(p * (1 - p), 0.25 / m) / m)) if m else float("nan"))

    def ratio(name, hits, cases, who, scale=1.0):
        """sum(hits) / sum(cases) over rows belonging to agents `who`, SE clustered by agent."""
        h = np.bincount(who, weights=hits.astype(float), minlength=n)
        c = np.bincount(who, weights=cases.astype(float), minlength=n)
        total = c.sum()
        if not total:
            out[name] = (float("nan"), float("nan"))
            return
        r = h.sum() / total
        se = np.sqrt(max(np.sum((h - r * c) ** 2), 0.25)) / total
        out[name] = (scale * float(r), scale * float(se))

    everyone = np.ones(n, bool)
    share("relapse_by_day_90", (first_relapse >= 0) & (first_relapse < 90), everyone)
    share("relapse_by_day_365", (first_relapse >= 0) & (first_relapse < min(365, days)), everyone)
    share("lapse_by_day_365", (first_lapse >= 0) & (first_lapse < min(365, days)), everyone)
    share("first_episode_completion", outcome == EP_COMPLETED, everyone)
    share("first_episode_died", outcome == EP_DIED, everyone)
    share("died_other_causes", cause == OTHER_CAUSES, everyone)
    share("died_substance_related", cause == SUBSTANCE_RELATED, everyone)

    # The first exit from treatment, on day x: among those who had not lapsed by then, the first
    # lapse within k days out (days x+1 .. x+k); deaths after it; entries after it.
    exit_rows = np.flatnonzero(exits)
    first_exit_agents, first = np.unique(agent[exit_rows], return_index=True)
    first_exit_rows = exit_rows[first]
    left = np.zeros(n, bool)
    left[first_exit_agents] = True
    exit_day = np.full(n, days, np.int64)
    exit_day[first_exit_agents] = day[first_exit_rows]
    not_lapsed = (first_lapse < 0) | (first_lapse > exit_day)
    for k in (7, 14, 30, 90):
        followed = left & not_lapsed & (exit_day + k < days)
        share(f"lapse_within_{k}_days_out", (first_lapse > exit_day) & (first_lapse <= exit_day + k), followed)
    followed = left & (exit_day + 30 < days)
    share("died_substance_related_within_30_days_out",
          (cause == SUBSTANCE_RELATED) & (death_day > exit_day) & (death_day <= exit_day + 30), followed)
    share("died_substance_related_after_first_exit", (cause == SUBSTANCE_RELATED) & (death_day > exit_day), left)

    # entries (the entry hazard; readmissions include step-downs)
    rate_scale = 365.25
    ratio("readmissions_per_person_year", readmissions, alive_days, np.arange(n), rate_scale)
    share("any_readmission_by_day_365", readmissions > 0, everyone)
    if step_down:
        entries = np.bincount(agent[entry], minlength=n)
        ratio("entries_per_person_year", entries, alive_days, np.arange(n), rate_scale)
    entered = np.zeros(n, bool)
    followed = left & (exit_day + 90 < days)
    rows = first_exit_rows[followed[first_exit_agents]]
    entered[agent[rows]] = any_between(entry, rows, day[rows], day[rows] + 90)
    share("entry_within_90_days_of_first_exit", entered, followed)
    rows = np.flatnonzero(entry)
    ratio("entries_from_abstinence", abstinent_at_end_of(rows, day[rows]), np.ones(rows.size), agent[rows])

    # step-down: the completions of episodes of the scenario's setting that step down
    if step_down:
        rows = np.flatnonzero(own_setting & (code == EV_COMPLETED))
        ratio("completions_stepping_down", stepped_today[rows], np.ones(rows.size), agent[rows])

    # relapse in the 30 days after leaving (an exit from an episode of the scenario's setting)
    # abstinent, among those followed for 30 days
    rows = np.flatnonzero(exits & own_setting & (day + 30 < days))
    rows = rows[abstinent_at_end_of(rows, day[rows])]
    ratio("relapse_within_30_days_of_leaving_abstinent", any_between(code == EV_RELAPSE, rows, day[rows],
                                                                     day[rows] + 30), np.ones(rows.size), agent[rows])

    # deaths by cause and treatment status at death, per 1,000 person-years
    person_years = alive_days.sum() / 365.25
    for cause_code, cause_name in ((EV_DIED_OTHER, "other_causes"), (EV_DIED_SUBSTANCE, "substance_related")):
        for status, mask in (("in_treatment", detail < 0), ("out_of_treatment", detail >= 0)):
            d = int(np.sum((code == cause_code) & mask))
            out[f"died_{cause_name}_{status}_per_1000_person_years"] = (
                1000.0 * d / person_years, 1000.0 * np.sqrt(max(d, 1)) / person_years)
    # substance-related deaths in the 14 days after an exit (days x+1 .. x+14, out of treatment
    # throughout: the death's days since leaving say it followed that exit), per 1,000 exits
    # followed for 14 days
    rows = np.flatnonzero(exits & (day + 14 < days))
    a_ = agent[rows]
    hits = ((cause[a_] == SUBSTANCE_RELATED) & (death_day[a_] > day[rows]) & (death_day[a_] <= day[rows] + 14)
            & (death_detail[a_] == death_day[a_] - day[rows] - 1))
    ratio("died_substance_related_within_14_days_of_leaving_per_1000_exits", hits, np.ones(rows.size), a_, 1000.0)
    return out


def has_step_down(params, setting):
    """Whether an episode of this setting can step down (a positive probability, to a setting)."""
    s = params["treatment"]["settings"][setting]
    return float(s["step_down_probability"]) > 0 and s["step_down"] in params["treatment"]["settings"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--days", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--setting", choices=SETTINGS, default="outpatient")
    ap.add_argument("--substance", choices=SUBSTANCES, help="a cohort of this substance only")
    ap.add_argument("--recoverysim", help="read every parameter from this binary's `validate` output")
    ap.add_argument("--figures", action="store_true", help="add the agreement test's figures to the line")
    ap.add_argument("--check", action="store_true",
                    help="assert the closed-cohort outpatient figures (needs --days >= 365)")
    args = ap.parse_args()
    if args.check and (args.days < 365 or args.setting != "outpatient" or args.substance):
        ap.error("--check needs --days >= 365, the outpatient setting and the mixed cohort")

    params = (validated_parameters(args.recoverysim, args.agents, args.days, args.setting, args.substance)
              if args.recoverysim else builtin_parameters(args.setting, args.substance))
    try:
        r = run(args.agents, args.days, args.seed, args.setting, params, events=args.figures)
    except ValueError as error:
        ap.error(str(error))
    line = {"implementation": "numpy", "agents": args.agents, "days": args.days, "seconds": r["seconds"],
            "agent_days_per_second": args.agents * args.days / r["seconds"]}
    if args.days >= 365:
        line["relapse_by_day_365"] = r["relapse_by_day_365"]
        line["first_episode_completion"] = r["first_episode_completion"]
        line["any_lapse_by_day_365"] = r["lapse_by_day_365"]
    if args.figures:
        line["step_down"] = has_step_down(params, args.setting)
        line["figures"] = figures(r["agents"], r["events"], args.days, line["step_down"])
    print(json.dumps(line))

    if args.check:
        # The simulator's figures with its defaults (model version 2 with the entry hazard and
        # step-down; 10 replicates of 10^5 agents).
        expected = {"relapse_by_day_30": 0.358, "relapse_by_day_90": 0.452, "relapse_by_day_365": 0.510,
                    "first_episode_completion": 0.365}
        failed = False
        for name, target in expected.items():
            se = np.sqrt(target * (1.0 - target) / args.agents)
            if abs(r[name] - target) > 0.005 + 4.0 * se:
                print(f"check failed: {name} = {r[name]:.4f}, expected {target} +- {0.005 + 4.0 * se:.4f}",
                      file=sys.stderr)
                failed = True
        if failed:
            sys.exit(1)


if __name__ == "__main__":
    main()
