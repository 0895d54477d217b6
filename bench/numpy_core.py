"""NumPy baseline for the benchmarks: the core recovery model, vectorised over agents.

An independent implementation of the core model as the specification describes it (version 1,
with version 2's age and sex, its two causes of death and the transition risk after leaving
treatment), written the way a researcher would write it in NumPy: one float64 or int array per
variable, a boolean mask per step, whole-array np.exp / np.expm1. Closed cohort (everyone
admitted on day 0), no interventions. Random numbers come from numpy.random.default_rng(seed),
so results agree with the C++ simulator only in distribution.

    /usr/bin/python3 bench/numpy_core.py --agents N --days T --seed S [--setting outpatient]
                                         [--recoverysim BINARY] [--figures] [--check]

With --recoverysim, every parameter is read from `BINARY validate` (the resolved defaults of a
scenario with this cohort), so the baseline follows the program's defaults; without it, the
defaults written below are used. Only the day loop is timed. Prints one line of JSON; with
--figures, the line also has the figures the agreement test compares (figures()).
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


def builtin_parameters():
    per = lambda a, o, s: dict(zip(SUBSTANCES, (a, o, s)))
    settings = {}
    for name, (length, drop, skills, lapse, craving, overdose, m_l, tau_l) in _SETTING_TABLE.items():
        settings[name] = {"length_days": length, "dropout_base_hazard_per_day": drop,
                          "skills_growth_per_day": skills, "lapse_multiplier_in_treatment": lapse,
                          "craving_target_multiplier": craving, "overdose_multiplier_in_treatment": overdose,
                          "exit_lapse_multiplier": m_l, "exit_lapse_decay_days": tau_l,
                          "exit_overdose_multiplier": 6.0, "exit_overdose_decay_days": 14.0}
    return {
        "population": {"substance": per(0.5, 0.3, 0.2), "severity": {"beta_a": 2.0, "beta_b": 2.0},
                       "mental_health_probability": 0.45, "baseline_support": {"beta_a": 2.0, "beta_b": 3.0},
                       "baseline_engagement": {"beta_a": 3.0, "beta_b": 2.0},
                       "withdrawal_mean_days": per(5.0, 7.0, 10.0),
                       "age_years": {"mean": per(42.0, 35.0, 36.0), "sd": per(12.0, 10.0, 10.0),
                                     "min": 18.0, "max": 85.0},
                       "male_probability": 0.65},
        "treatment": {"setting": "outpatient", "readmission_hazard_per_day": 0.003, "settings": settings},
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


def validated_parameters(binary, agents, days, setting):
    """The resolved scenario of this cohort, as `recoverysim validate` prints it."""
    import yaml
    scenario = (f"name: numpy_core\ndays: {days}\npopulation:\n  size: {agents}\n"
                f"treatment:\n  setting: {setting}\n")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(scenario)
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


def truncated_normal(rng, mean, sd, low, high):
    """Normal(mean, sd) per agent, redrawn until inside [low, high]."""
    x = mean + sd * rng.standard_normal(mean.size)
    for _ in range(1000):
        bad = (x < low) | (x > high)
        if not bad.any():
            break
        x[bad] = mean[bad] + sd[bad] * rng.standard_normal(int(bad.sum()))
    return np.clip(x, low, high)


def run(n, days, seed, setting="outpatient", params=None):
    P = params or builtin_parameters()
    pop, tr, M = P["population"], P["treatment"], P["model"]
    S = tr["settings"][setting]
    x0 = M["covariate_centre"]
    length = int(S["length_days"])
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
    wd_len = np.minimum(rng.geometric(1.0 / wd_mean[sub]), 65535).astype(np.int32)
    first_lapse = np.full(n, -1, np.int32)
    first_relapse = np.full(n, -1, np.int32)
    ep_outcome = np.full(n, EP_ONGOING, np.int8)
    ep_length = np.zeros(n, np.int32)
    readmissions = np.zeros(n, np.int32)
    death_day = np.full(n, -1, np.int32)
    death_cause = np.zeros(n, np.int8)
    abstinent_days = np.zeros(n, np.int32)

    # fixed per-agent factors of the hazards
    D_O, D_S = M["death"]["other_causes"], M["death"]["substance_related"]
    other_fixed = (D_O["gompertz_base_hazard_per_day"] * by_substance(D_O["smr"])[sub]
                   * np.where(male, D_O["male_multiplier"], 1.0))
    substance_base = by_substance(D_S["base_hazard_per_day"])[sub]
    L = M["lapse"]
    lapse_base = by_substance(L["base_hazard_per_day"])[sub] * np.exp(L["mental_health_coefficient"] * mh)
    st, R, Q, Dr = M["stress"], M["relapse"], M["resume"], M["dropout"]
    readmit_p = -np.expm1(-tr["readmission_hazard_per_day"])
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
        c_star = np.where(in_tr, c_star * S["craving_target_multiplier"], c_star)
        c = np.clip(c + cr["adjustment_rate_per_day"] * (c_star - c)
                    + np.where(stress, st["craving_jump"] * (1.0 - k) * (1.0 - c), 0.0), 0.0, 1.0)
        e = np.clip(np.where(abstinent0, e + se["growth_rate_per_day"] * (1.0 - e), e), 0.0, 1.0)
        g = np.clip(g + M["support"]["adjustment_rate_per_day"] * (g0 - g), 0.0, 1.0)
        k = np.clip(k + np.where(in_tr, S["skills_growth_per_day"] * (1.0 - k), 0.0)
                    - M["skills"]["decay_rate_per_day"] * k, 0.0, 1.0)
        w = np.clip(w + M["engagement"]["adjustment_rate_per_day"] * (w0 - w), 0.0, 1.0)

        # 3. death, two causes on one uniform: the agent dies if u < p(h_O + h_S), of a
        #    substance-related death if u < p * h_S / (h_O + h_S); it ends the day
        age = age0 + t / 365.25
        h_other = other_fixed * np.exp(D_O["gompertz_slope_per_year"] * (age - D_O["reference_age_years"]))
        use_mult = np.where(withdrawal0, D_S["withdrawal_multiplier"],
                            np.where(abstinent0, D_S["abstinent_multiplier"], 1.0))
        window = opioid & using0 & (since_use < lot_days) & (a_prior >= lot_min)
        exit_mult = np.where(out_after, 1.0 + (S["exit_overdose_multiplier"] - 1.0)
                             * np.exp(-days_out / S["exit_overdose_decay_days"]), 1.0)
        h_substance = (substance_base * use_mult * np.where(in_tr, S["overdose_multiplier_in_treatment"], 1.0)
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

        # 4. lapse (from withdrawal, early or stable recovery), with the post-exit multiplier
        #    1 + (M_L - 1) exp(-d / tau_L) while out of treatment after an episode
        xl = (L["craving_coefficient"] * (c - x0) + L["self_efficacy_coefficient"] * (e - x0)
              + L["support_coefficient"] * (g - x0) + L["skills_coefficient"] * (k - x0))
        h_lapse = (lapse_base * np.exp(xl) * np.where(withdrawal0, L["withdrawal_multiplier"], 1.0)
                   * np.where(stress, st["lapse_multiplier"], 1.0)
                   * np.where(in_tr, S["lapse_multiplier_in_treatment"], 1.0)
                   * np.where(out_after, 1.0 + (S["exit_lapse_multiplier"] - 1.0)
                              * np.exp(-days_out / S["exit_lapse_decay_days"]), 1.0))
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
        state[(state == EARLY) & (a >= M["stable_after_days"])] = STABLE

        # 8. treatment: dropout (state after today's transitions) or progress; readmission
        using = (state == LAPSE) | (state == RELAPSE)
        h_drop = (S["dropout_base_hazard_per_day"]
                  * np.exp(Dr["engagement_coefficient"] * (w - Dr["engagement_centre"])
                           + Dr["craving_coefficient"] * (c - x0)) * np.where(using, Dr["use_multiplier"], 1.0))
        treated = live & in_tr
        dropped = treated & (u[3] < -np.expm1(-h_drop))
        staying = treated & ~dropped
        ep_days += staying
        completed = staying & (ep_days >= length)
        treat[dropped] = DROPPED_OUT
        treat[completed] = COMPLETED
        m = dropped & first_open
        ep_outcome[m] = EP_DROPPED
        ep_length[m] = ep_days[m] + 1
        m = completed & first_open
        ep_outcome[m] = EP_COMPLETED
        ep_length[m] = ep_days[m]
        # days out of treatment: one more for each day lived out of treatment after an episode;
        # the day an episode ends leaves 0, so the next day (the first out) has d = 0
        days_out = np.where(live & out_after, days_out + 1, days_out)
        days_out[dropped | completed] = 0
        readmit = np.flatnonzero(live & out_after & (state == RELAPSE) & (u[3] < readmit_p))
        if readmit.size:
            treat[readmit] = IN_TREATMENT
            state[readmit] = WITHDRAWAL
            wd_done[readmit] = 0
            ep_days[readmit] = 0
            a[readmit] = 0
            wd_len[readmit] = np.minimum(rng.geometric(1.0 / wd_mean[sub[readmit]]), 65535)
            readmissions[readmit] += 1

        abstinent_days += abstinent   # readmitted agents were in relapse, so not abstinent
    seconds = time.perf_counter() - start_time

    ongoing = ep_outcome == EP_ONGOING
    ep_length[ongoing] = ep_days[ongoing]
    agents = {"first_lapse_day": first_lapse, "first_relapse_day": first_relapse,
              "first_episode_outcome": ep_outcome, "first_episode_days": ep_length, "death_day": death_day,
              "death_cause": death_cause, "age_years": age0, "sex": male.astype(np.int8)}
    out = {"seconds": seconds, "length": length, "agents": agents}
    for d in (30, 90, 180, 365):
        if d <= days:
            out[f"relapse_by_day_{d}"] = float(np.mean((first_relapse >= 0) & (first_relapse < d)))
            out[f"lapse_by_day_{d}"] = float(np.mean((first_lapse >= 0) & (first_lapse < d)))
    if length <= days:
        out["first_episode_completion"] = float(np.mean(ep_outcome == EP_COMPLETED))
    return out


def figures(agents, days):
    """Figures of a closed cohort computed from per-agent records (the same columns as the
    simulator's agents/ output), each with its standard error: {name: (value, se)}. Used by
    the agreement test on this baseline's records and on the simulator's."""
    first_lapse = np.asarray(agents["first_lapse_day"])
    first_relapse = np.asarray(agents["first_relapse_day"])
    outcome = np.asarray(agents["first_episode_outcome"])
    ep_days = np.asarray(agents["first_episode_days"])
    death_day = np.asarray(agents["death_day"])
    cause = np.asarray(agents["death_cause"])
    n = first_lapse.size
    out = {}

    def share(name, hits, among):
        m = int(among.sum())
        p = float(hits[among].mean()) if m else float("nan")
        out[name] = (p, float(np.sqrt(max(p * (1 - p), 0.25 / m) / m)) if m else float("nan"))

    everyone = np.ones(n, bool)
    share("relapse_by_day_90", (first_relapse >= 0) & (first_relapse < 90), everyone)
    share("relapse_by_day_365", (first_relapse >= 0) & (first_relapse < min(365, days)), everyone)
    share("lapse_by_day_365", (first_lapse >= 0) & (first_lapse < min(365, days)), everyone)
    share("first_episode_completion", outcome == EP_COMPLETED, everyone)
    share("first_episode_died", outcome == EP_DIED, everyone)
    share("died_other_causes", cause == OTHER_CAUSES, everyone)
    share("died_substance_related", cause == SUBSTANCE_RELATED, everyone)
    # Leaving the first episode on day x = first_episode_days - 1 (closed cohort): among those who
    # left it alive and had not lapsed by then, the first lapse within k days out (days x+1 .. x+k).
    left = (outcome == EP_COMPLETED) | (outcome == EP_DROPPED)
    exit_day = ep_days - 1
    not_lapsed = (first_lapse < 0) | (first_lapse > exit_day)
    for k in (7, 14, 30, 90):
        followed = left & not_lapsed & (exit_day + k < days)
        share(f"lapse_within_{k}_days_out", (first_lapse > exit_day) & (first_lapse <= exit_day + k), followed)
    followed = left & (exit_day + 30 < days)
    share("died_substance_related_within_30_days_out",
          (cause == SUBSTANCE_RELATED) & (death_day > exit_day) & (death_day <= exit_day + 30), followed)
    share("died_substance_related_after_first_episode", (cause == SUBSTANCE_RELATED) & (death_day > exit_day), left)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--days", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--setting", choices=SETTINGS, default="outpatient")
    ap.add_argument("--recoverysim", help="read every parameter from this binary's `validate` output")
    ap.add_argument("--figures", action="store_true", help="add the agreement test's figures to the line")
    ap.add_argument("--check", action="store_true",
                    help="assert the closed-cohort outpatient figures (needs --days >= 365)")
    args = ap.parse_args()
    if args.check and (args.days < 365 or args.setting != "outpatient"):
        ap.error("--check needs --days >= 365 and the outpatient setting")

    params = validated_parameters(args.recoverysim, args.agents, args.days, args.setting) if args.recoverysim else None
    r = run(args.agents, args.days, args.seed, args.setting, params)
    line = {"implementation": "numpy", "agents": args.agents, "days": args.days, "seconds": r["seconds"],
            "agent_days_per_second": args.agents * args.days / r["seconds"]}
    if args.days >= 365:
        line["relapse_by_day_365"] = r["relapse_by_day_365"]
        line["first_episode_completion"] = r["first_episode_completion"]
        line["any_lapse_by_day_365"] = r["lapse_by_day_365"]
    if args.figures:
        line["figures"] = figures(r["agents"], args.days)
    print(json.dumps(line))

    if args.check:
        # The simulator's figures with its defaults (model version 2; 10 replicates of 10^5 agents).
        expected = {"relapse_by_day_30": 0.358, "relapse_by_day_90": 0.452, "relapse_by_day_365": 0.511,
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
