"""NumPy baseline for the benchmarks: the core recovery model, vectorised over agents.

An independent implementation of the core model as the specification describes it (version 1,
with version 2's age and sex, its two causes of death, the transition risk after leaving
treatment, the entry hazard that replaces readmission, and step-down to continuing care),
written the way a researcher would write it in NumPy: one float64 or int array per variable, a
boolean mask per step, whole-array np.exp / np.expm1. Each agent carries the setting of its
current (or last) episode, so a step-down (detox or residential to outpatient) changes the
setting's parameters per agent. Closed cohort (everyone admitted on day 0, or with
`population.start: community` everyone out of treatment in relapse, never admitted).

Two further structures of version 2, each optional:

- capacity: a setting with `slots` (--slots) admits a request only to a free place; otherwise the
  request joins the setting's first-come-first-served waiting list, which people leave unserved
  at the hazard `waitlist_dropout_per_day`. The list is kept after the core day, serially over
  the (small) list: give up, free places to the list, then today's requests (docs/model.md
  3.3.6; MODEL-v2 sections 3 and 7);
- the peer_mentor module (--ample-mentors) with `match_on: admission` and enough mentors that nobody
  queues and nobody carries more than `comfortable_caseload` mentees, so burnout stays 0 and
  effectiveness and fidelity are constant (and with mentor departures and recruitment off):
  eligibility from each admission while in treatment and for `duration_days` after, the
  while-matched effects, contacts at fidelity, and disengagement at the hazard
  base exp(coef (w - 0.5)) from the day after a match (docs/models/peer_mentor.md; MODEL-v2
  section 6). A configuration outside these limits is refused.

Random numbers come from numpy.random.default_rng(seed), so results agree with the C++
simulator only in distribution.

    /usr/bin/python3 bench/numpy_core.py --agents N --days T --seed S [--setting outpatient]
                                         [--substance opioid] [--start community]
                                         [--slots K] [--waitlist-dropout H] [--ample-mentors]
                                         [--replicates R] [--recoverysim BINARY] [--figures] [--check]

With --recoverysim, every parameter is read from `BINARY validate` (the resolved defaults of a
scenario with this cohort), so the baseline follows the program's defaults; without it, the
defaults written below are used. --substance gives a cohort of that substance only (needed for
the opioid-only settings). Only the day loop is timed. Prints one line of JSON; with --figures,
the line also has the figures the agreement tests compare (all_figures(): figures(), and with
slots or mentors waitlist_figures() and mentor_figures()).
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
                          "slots": 0, "waitlist_dropout_per_day": 0.02,
                          "substances": {s: (s == "opioid" or name not in _OPIOID_ONLY) for s in SUBSTANCES}}
    shares = per(0.5, 0.3, 0.2) if substance is None else {s: float(s == substance) for s in SUBSTANCES}
    return {
        "population": {"start": "treatment", "substance": shares, "severity": {"beta_a": 2.0, "beta_b": 2.0},
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


# The peer_mentor module's parameters this baseline uses (docs/models/peer_mentor.md), with
# their defaults; with --recoverysim they come from the validated arm instead.
PEER_MENTOR_DEFAULTS = {
    "mentors": 4, "caseload": 12, "comfortable_caseload": 8, "contacts_per_week": 1.0, "match_on": "admission",
    "duration_days": 180, "fidelity_base": 0.9, "burnout_fidelity_loss": 0.5,
    "disengage_base_hazard_per_day": 1.0 / 120.0, "disengage_engagement_coefficient": -2.0,
    "reengage_after_days": 0, "training_hours": 45.0, "training_scale_hours": 40.0,
    "departure_hazard_per_day": 0.00137, "recruit_probability_per_day": 0.001,
    "contact_engagement_increment": 0.03, "contact_self_efficacy_increment": 0.01,
    "contact_craving_increment": -0.05, "matched_support_connections": 0.25,
    "matched_stress_lapse_multiplier": 0.6, "matched_dropout_multiplier": 0.7,
    "matched_relapse_odds_multiplier": 0.8}


def ample_mentors(agents, caseload=8):
    """The peer_mentor programme of the comparison: `match_on: admission`, caseload at the
    comfortable caseload and mentors for everyone (plus a margin), so nobody queues and burnout
    stays 0; no mentor departures and no recruits."""
    return {"mentors": -(-agents // caseload) + 10, "caseload": caseload, "comfortable_caseload": caseload,
            "match_on": "admission", "departure_hazard_per_day": 0.0, "recruit_probability_per_day": 0.0}


def scenario_text(agents, days, setting, substance=None, name="numpy_core", start=None, slots=None,
                  waitlist_dropout=None, peer_mentor=None):
    """The scenario of this cohort (the agreement tests run the simulator on the same text).
    start: population.start; slots, waitlist_dropout: of `setting`; peer_mentor: the module's
    keys (one arm, `mentored`, with that module)."""
    text = f"name: {name}\ndays: {days}\npopulation:\n  size: {agents}\n"
    if substance is not None:
        text += "  substance: {" + ", ".join(f"{s}: {int(s == substance)}" for s in SUBSTANCES) + "}\n"
    if start is not None:
        text += f"  start: {start}\n"
    text += f"treatment:\n  setting: {setting}\n"
    if slots is not None or waitlist_dropout is not None:
        text += f"  settings:\n    {setting}:\n"
        if slots is not None:
            text += f"      slots: {int(slots)}\n"
        if waitlist_dropout is not None:
            text += f"      waitlist_dropout_per_day: {float(waitlist_dropout)!r}\n"
    if peer_mentor is not None:
        keys = ", ".join(f"{k}: {v}" for k, v in peer_mentor.items())
        text += f"arms:\n  - name: mentored\n    interventions:\n      - {{type: peer_mentor, {keys}}}\n"
    return text


def validated_parameters(binary, agents, days, setting, substance=None, **options):
    """The resolved scenario of this cohort, as `recoverysim validate` prints it (options: those
    of scenario_text). The peer_mentor module's resolved parameters, if any, become
    params["peer_mentor"]."""
    import yaml
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(scenario_text(agents, days, setting, substance, **options))
        path = f.name
    try:
        out = subprocess.run([binary, "validate", path], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    params = yaml.safe_load(out)
    for arm in params.get("arms") or []:
        for module in arm.get("interventions") or []:
            if module.get("type") == "peer_mentor":
                params["peer_mentor"] = {k: v for k, v in module.items() if k != "type"}
    return params


def by_substance(d):
    return np.array([float(d[s]) for s in SUBSTANCES])


# clinical states, treatment status (the codes of treatment_counts), first-episode outcome, cause
# of death
WITHDRAWAL, EARLY, STABLE, LAPSE, RELAPSE, DECEASED = range(6)
IN_TREATMENT, COMPLETED, DROPPED_OUT, UNTREATED, WAITING_LIST = 1, 2, 3, 4, 5
EP_COMPLETED, EP_DROPPED, EP_DIED, EP_ONGOING = 0, 1, 2, 3
ALIVE, OTHER_CAUSES, SUBSTANCE_RELATED = 0, 1, 2
# event codes (the simulator's events/code): the state changes, the treatment step, deaths by cause
EV_LAPSE, EV_RELAPSE, EV_LAPSE_RESOLVED, EV_RESUMED, EV_WITHDRAWAL_COMPLETED, EV_STABLE = 3, 4, 5, 6, 7, 8
EV_DROPPED_OUT, EV_COMPLETED, EV_READMITTED = 9, 10, 11
EV_DIED_OTHER, EV_DIED_SUBSTANCE, EV_STEPPED_DOWN = 12, 13, 14
# the first episode's start (detail: its setting); a waiting list joined (detail: the setting) and
# left (detail: 1 admitted, 2 gave up, 3 died)
EV_ADMITTED, EV_WAITLIST_JOINED, EV_WAITLIST_LEFT = 15, 16, 17
WL_ADMITTED, WL_GAVE_UP, WL_DIED = 1, 2, 3
# peer_mentor's events (its stream base 1000): match_ended detail 1 the mentor left, 2 eligibility
# ended (or death), 3 the mentee disengaged; left detail 1 while waiting, 2 while matched
EV_PM_QUEUED, EV_PM_MATCHED, EV_PM_MATCH_ENDED, EV_PM_LEFT = 1000, 1001, 1002, 1003
PM_ELIGIBILITY_ENDED, PM_DISENGAGED = 2, 3


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
    table["slots"] = np.array([int(tr["settings"][s].get("slots", 0)) for s in names], np.int64)
    table["waitlist_dropout_per_day"] = np.array([float(tr["settings"][s].get("waitlist_dropout_per_day", 0.02))
                                                  for s in names])
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
    detail; the codes EV_* above): what the figure functions read."""
    P = params or builtin_parameters(setting)
    pop, tr, M = P["population"], P["treatment"], P["model"]
    names, T = setting_tables(tr)
    x0 = M["covariate_centre"]
    rng = np.random.default_rng(seed)
    community = pop.get("start", "treatment") == "community"
    PM = P.get("peer_mentor")
    if PM is not None:
        PM = {**PEER_MENTOR_DEFAULTS, **PM}
        # the comparison's programme: every eligible person matched the day they become eligible,
        # no mentor above the comfortable caseload (burnout 0), no departures, no recruits
        if (PM["match_on"] != "admission" or float(PM["departure_hazard_per_day"]) > 0
                or float(PM["recruit_probability_per_day"]) > 0 or int(PM["reengage_after_days"]) > 0
                or int(PM["mentors"]) * min(int(PM["caseload"]), int(PM["comfortable_caseload"])) < n):
            raise ValueError("peer_mentor: only match_on admission, mentors x min(caseload, comfortable_caseload)"
                             " >= agents, no departures, no recruits and no re-engagement are implemented")

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
    # a closed cohort starts in treatment, in withdrawal; a community start out of treatment
    # (untreated, never admitted), in relapse
    state = np.full(n, RELAPSE if community else WITHDRAWAL, np.int8)
    treat = np.full(n, UNTREATED if community else IN_TREATMENT, np.int8)
    episodes = np.full(n, 0 if community else 1, np.int32)   # episodes begun (readmissions: episodes - 1)
    a, a_prior, since_use, wd_done, ep_days = (np.zeros(n, np.int32) for _ in range(5))
    days_out = np.zeros(n, np.int32)  # days since the agent last left treatment (0 on the first day out)
    wd_mean = by_substance(pop["withdrawal_mean_days"])
    draw_wd_len = lambda idx: np.minimum(rng.geometric(1.0 / wd_mean[sub[idx]]), 65535).astype(np.int32)
    wd_len = draw_wd_len(np.arange(n))
    first_lapse = np.full(n, -1, np.int32)
    first_relapse = np.full(n, -1, np.int32)
    ep_outcome = np.full(n, EP_ONGOING, np.int8)
    ep_length = np.zeros(n, np.int32)
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
    if not community and (T["slots"][sett] > 0).any():
        raise ValueError("a cohort starting in treatment in a setting with slots is not implemented")
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

    admitted_today = np.zeros(n, bool)   # an episode begun today (for the peer_mentor eligibility)

    def start_episode(idx, codes, t):
        """A new episode (an entry, an admission from a waiting list or a step-down): in
        treatment, n_T = 0, counted; from lapse or relapse it starts in withdrawal with a new
        withdrawal length, otherwise the state and its counters are kept. The first episode of
        someone never admitted (a community start) is an admission, the others readmissions."""
        treat[idx] = IN_TREATMENT
        ep_days[idx] = 0
        episodes[idx] += 1
        assign_setting(idx, codes)
        from_use = idx[(state[idx] == LAPSE) | (state[idx] == RELAPSE)]
        state[from_use] = WITHDRAWAL
        wd_done[from_use] = 0
        a[from_use] = 0
        wd_len[from_use] = draw_wd_len(from_use)
        first = episodes[idx] == 1
        record(idx[first], t, EV_ADMITTED, sett[idx[first]])
        record(idx[~first], t, EV_READMITTED, episodes[idx[~first]])
        admitted_today[idx] = True

    if not community:
        record(np.arange(n), 0, EV_ADMITTED, sett)
        admitted_today[:] = True

    # waiting lists: per setting with slots, its agents in order (day joined, then agent index),
    # and per agent the status to return to on giving up
    waiting = {s: np.zeros(0, np.int64) for s in np.flatnonzero(T["slots"] > 0)}
    status_before_list = np.zeros(n, np.int8)

    # peer mentoring (match_on: admission, nobody queues, burnout 0): per agent the status in the
    # programme, the end of the eligibility window (the last day of effects), records
    NOT_IN, MATCHED = 0, 2
    OPEN = np.iinfo(np.int32).max
    if PM is not None:
        pm_status = np.zeros(n, np.int8)
        pm_until = np.full(n, OPEN, np.int64)
        first_match = np.full(n, -1, np.int32)
        matched_days = np.zeros(n, np.int32)
        q_eff = 1.0 - np.exp(-PM["training_hours"] / PM["training_scale_hours"])   # (1 - b), b = 0
        p_contact = PM["contacts_per_week"] / 7.0 * PM["fidelity_base"]            # (1 - loss b), b = 0

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
        out_after = (treat == COMPLETED) | (treat == DROPPED_OUT)   # left treatment: post-exit multipliers
        may_enter = out_after | (treat == UNTREATED)                  # out of treatment, not on a list
        on_list = treat == WAITING_LIST
        if t > 0:
            admitted_today[:] = False

        # 0. modules before the day: the peer mentor's effects on those matched at the start of
        #    the day (a match made on day d acts from day d + 1)
        if PM is not None:
            matched0 = pm_status == MATCHED
            matched_days += matched0
            contact = matched0 & (rng.random(n) < p_contact)
            d_c = np.where(contact, q_eff * PM["contact_craving_increment"], 0.0)
            d_e = np.where(contact, q_eff * PM["contact_self_efficacy_increment"], 0.0)
            d_w = np.where(contact, q_eff * PM["contact_engagement_increment"], 0.0)
            g_conn = np.where(matched0, PM["matched_support_connections"], 0.0)
            F_z = np.where(matched0, PM["matched_stress_lapse_multiplier"], 1.0)
            F_drop = np.where(matched0, PM["matched_dropout_multiplier"], 1.0)
            F_R = np.where(matched0, PM["matched_relapse_odds_multiplier"], 1.0)
        else:
            d_c = d_e = d_w = g_conn = 0.0
            F_z = F_drop = F_R = 1.0

        # 1. stress
        stress = u[0] < st["probability_per_day"]

        # 2. latent update, with the state at the start of the day; the modules' increments are
        #    added to the core update, then clamped
        c_star = np.where(abstinent0, cr["floor"] + (c_peak - cr["floor"]) * np.exp(-a / cr["decay_days"]), c_peak)
        c_star = np.where(in_tr, c_star * A["craving_target_multiplier"], c_star)
        c = np.clip(c + cr["adjustment_rate_per_day"] * (c_star - c)
                    + np.where(stress, st["craving_jump"] * (1.0 - k) * (1.0 - c), 0.0) + d_c, 0.0, 1.0)
        e = np.clip(np.where(abstinent0, e + se["growth_rate_per_day"] * (1.0 - e), e) + d_e, 0.0, 1.0)
        g_target = np.clip(g0 + g_conn, 0.0, 1.0)
        g = np.clip(g + M["support"]["adjustment_rate_per_day"] * (g_target - g), 0.0, 1.0)
        k = np.clip(k + np.where(in_tr, A["skills_growth_per_day"] * (1.0 - k), 0.0)
                    - M["skills"]["decay_rate_per_day"] * k, 0.0, 1.0)
        w = np.clip(w + M["engagement"]["adjustment_rate_per_day"] * (w0 - w) + d_w, 0.0, 1.0)

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
        first_open = (episodes == 1) & (ep_outcome == EP_ONGOING)
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
                   * np.where(stress, st["lapse_multiplier"] * F_z, 1.0)
                   * np.where(in_tr, A["lapse_multiplier_in_treatment"], 1.0)
                   * np.where(out_after, 1.0 + (A["exit_lapse_multiplier"] - 1.0)
                              * np.exp(-days_out / A["exit_lapse_decay_days"]), 1.0))
        lapsed = live & (withdrawal0 | abstinent0) & (u[2] < -np.expm1(-h_lapse))
        progressing = live & withdrawal0 & ~lapsed
        wd_done += progressing
        withdrawal_over = progressing & (wd_done >= wd_len)

        # 5. lapse resolution: the odds exp(eta_R) times the modules' odds multiplier
        odds = np.exp(R["intercept"] + R["craving_coefficient"] * (c - x0)
                      + R["self_efficacy_coefficient"] * (e - x0) + R["support_coefficient"] * (g - x0)) * F_R
        p_relapse = odds / (1.0 + odds)
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
                           + Dr["craving_coefficient"] * (c - x0)) * np.where(using, Dr["use_multiplier"], 1.0)
                  * F_drop)
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
            record(dropped, t, EV_DROPPED_OUT, episodes[dropped])
            record(completed, t, EV_COMPLETED, episodes[completed])
        # days out of treatment: one more for each day lived out of treatment after an episode
        # (on a waiting list too: the clock runs on while they wait); the day an episode ends
        # leaves 0, so the next day (the first out) has d = 0
        days_out = np.where(live & (out_after | on_list), days_out + 1, days_out)
        days_out[dropped | completed] = 0

        # 9. entry, for those out of treatment and not on a list at the start of the day (so
        #    nobody enters on the day they leave), on the treatment-exit uniform, with the state
        #    after today's transitions: h_E = base exp(b_w (w - x0) + b_c (c - x0) + b_m m) S_E[X].
        #    In a setting with slots the entry is only a request for a place (below).
        out_idx = np.flatnonzero(live & may_enter)
        h_entry = (entry_fixed[out_idx] * np.exp(E["engagement_coefficient"] * (w[out_idx] - x0)
                                                 + E["craving_coefficient"] * (c[out_idx] - x0))
                   * entry_state[state[out_idx]])
        entering = out_idx[u[3][out_idx] < -np.expm1(-h_entry)]
        requests, request_setting = [], []
        if entering.size:
            to = entry_setting(entering)
            limited = T["slots"][to] > 0
            requests.append(entering[limited])
            request_setting.append(to[limited])
            start_episode(entering[~limited], to[~limited], t)

        # 10. step-down: a completed episode's setting refers to its step-down setting, taken with
        #     its probability if that setting admits the agent's substance; the new episode starts
        #     at the end of the completion day (never out of treatment); into a setting with
        #     slots, a request
        done = np.flatnonzero(completed)
        target = T["step_down"][sett[done]]
        admitted = (target >= 0) & T["admits"][np.maximum(target, 0), sub[done]]
        takes = admitted & (rng.random(done.size) < T["step_down_probability"][sett[done]])
        if takes.any():
            stepping, to = done[takes], target[takes]
            limited = T["slots"][to] > 0
            requests.append(stepping[limited])
            request_setting.append(to[limited])
            start_episode(stepping[~limited], to[~limited], t)
            record(stepping, t, EV_STEPPED_DOWN, to)

        abstinent_days += abstinent   # an entry changes only lapse or relapse (to withdrawal)

        # Waiting lists, after the core day, per setting with slots: (1) those on the list since
        # an earlier day give up at the hazard h_W (the dead are taken off), returning to the
        # status they had; (2) the places free at the end of the core day go to the list, first
        # come first served; (3) today's requests, in agent order, take a free place if one is
        # left (then nobody waits), else join the back of the list.
        if waiting:
            requests = np.concatenate(requests) if requests else np.zeros(0, np.int64)
            request_setting = np.concatenate(request_setting) if request_setting else np.zeros(0, np.int64)
            for s in waiting:
                wl = waiting[s]
                dead = state[wl] == DECEASED
                record(wl[dead], t, EV_WAITLIST_LEFT, WL_DIED)
                wl = wl[~dead]
                gives_up = rng.random(wl.size) < -np.expm1(-T["waitlist_dropout_per_day"][s])
                record(wl[gives_up], t, EV_WAITLIST_LEFT, WL_GAVE_UP)
                treat[wl[gives_up]] = status_before_list[wl[gives_up]]
                wl = wl[~gives_up]
                free = max(int(T["slots"][s]) - int(np.count_nonzero((treat == IN_TREATMENT) & (sett == s)
                                                                      & (state != DECEASED))), 0)
                served = wl[:free]
                record(served, t, EV_WAITLIST_LEFT, WL_ADMITTED)
                start_episode(served, np.full(served.size, s), t)
                wl, free = wl[served.size:], free - served.size
                mine = np.sort(requests[request_setting == s])
                direct = mine[:free]          # free > 0 only if the list is empty by now
                start_episode(direct, np.full(direct.size, s), t)
                joining = mine[direct.size:]
                status_before_list[joining] = treat[joining]
                treat[joining] = WAITING_LIST
                record(joining, t, EV_WAITLIST_JOINED, s)
                waiting[s] = np.concatenate([wl, joining])

        # Modules after the day: peer mentoring's eligibility from today's events (admission
        # opens a window, or reopens an open one while in treatment; a discharge sets its end,
        # duration_days later; death or the end leave the programme), then disengagement of
        # those matched on an earlier day (w at the end of the day), then matching (everyone
        # queued is matched: the mentors are ample)
        if PM is not None:
            queued = admitted_today & (pm_status == NOT_IN) & live
            record(queued, t, EV_PM_QUEUED)
            in_programme = (pm_status != NOT_IN) | queued
            pm_until[in_programme & live & (treat == IN_TREATMENT)] = OPEN
            pm_until[in_programme & live & (dropped | completed) & (treat != IN_TREATMENT)] = t + PM["duration_days"]
            leaving = in_programme & (dies | (t >= pm_until))
            ended = leaving & (pm_status == MATCHED)
            record(ended, t, EV_PM_MATCH_ENDED, PM_ELIGIBILITY_ENDED)
            record(ended, t, EV_PM_LEFT, 2)
            record(leaving & queued, t, EV_PM_LEFT, 1)
            pm_status[leaving] = NOT_IN
            queued &= ~leaving
            mm = np.flatnonzero(pm_status == MATCHED)
            h_dis = PM["disengage_base_hazard_per_day"] * np.exp(PM["disengage_engagement_coefficient"]
                                                                  * (w[mm] - 0.5))
            gone = mm[rng.random(mm.size) < -np.expm1(-h_dis)]
            record(gone, t, EV_PM_MATCH_ENDED, PM_DISENGAGED)
            pm_status[gone] = NOT_IN
            pm_status[queued] = MATCHED
            record(queued, t, EV_PM_MATCHED)
            first_match[queued & (first_match < 0)] = t
    seconds = time.perf_counter() - start_time

    ongoing = ep_outcome == EP_ONGOING
    ep_length[ongoing] = ep_days[ongoing]
    readmissions = np.maximum(episodes - 1, 0)
    agents = {"first_lapse_day": first_lapse, "first_relapse_day": first_relapse,
              "first_episode_outcome": ep_outcome, "first_episode_days": ep_length, "death_day": death_day,
              "death_cause": death_cause, "age_years": age0, "sex": male.astype(np.int8),
              "readmissions": readmissions, "setting": sett, "abstinent_days": abstinent_days, "substance": sub}
    if PM is not None:
        agents["peer_mentor.first_match_day"] = first_match
        agents["peer_mentor.matched_days"] = matched_days
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


def _sorted_events(events):
    """The event record as int64 columns sorted by agent, day and code."""
    agent, day, code, detail = (np.asarray(events[name]).astype(np.int64)
                                for name in ("agent", "day", "code", "detail"))
    order = np.lexsort((code, day, agent))
    return agent[order], day[order], code[order], detail[order]


def _rank_within_agent(agents_of_rows):
    """0, 1, 2, ... for the successive rows of each agent (rows sorted by agent)."""
    idx = np.arange(agents_of_rows.size)
    starts = np.flatnonzero(np.r_[True, agents_of_rows[1:] != agents_of_rows[:-1]]) if idx.size else idx
    first = np.repeat(starts, np.diff(np.r_[starts, idx.size])) if idx.size else idx
    return idx - first


def _pair(agent_a, agent_b):
    """For the rows of kind a and of kind b (each sorted by agent, then time), where each agent's
    a and b rows alternate a, b, a, b, ... (b closes the a before it): the index of the b row
    closing each a row, -1 if none."""
    key_a = agent_a * (1 << 20) + _rank_within_agent(agent_a)
    key_b = agent_b * (1 << 20) + _rank_within_agent(agent_b)
    pos = np.searchsorted(key_b, key_a)
    found = pos < key_b.size
    found[found] = key_b[pos[found]] == key_a[found]
    return np.where(found, pos, -1)


class _Figures(dict):
    """{name: (value, se)} with the estimators the figure functions share."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def share(self, name, hits, among):
        """A binomial share of agents."""
        m = int(among.sum())
        p = float(hits[among].mean()) if m else float("nan")
        self[name] = (p, float(np.sqrt(max(p * (1 - p), 0.25 / m) / m)) if m else float("nan"))

    def ratio(self, name, hits, cases, who, scale=1.0):
        """sum(hits) / sum(cases) over rows belonging to agents `who`, SE clustered by agent."""
        h = np.bincount(who, weights=np.asarray(hits, float), minlength=self.n)
        c = np.bincount(who, weights=np.asarray(cases, float), minlength=self.n)
        total = c.sum()
        if not total:
            self[name] = (float("nan"), float("nan"))
            return
        r = h.sum() / total
        se = np.sqrt(max(np.sum((h - r * c) ** 2), 0.25)) / total
        self[name] = (scale * float(r), scale * float(se))

    def total_per_day(self, name, per_agent, days):
        """A daily mean of a count over the cohort, from each agent's contribution (its days in
        the counted status): the SE is that of a sum of independent agents."""
        x = np.asarray(per_agent, float)
        self[name] = (float(x.sum() / days), float(np.sqrt(self.n * max(x.var(), 1e-12)) / days))


def waitlist_figures(agents, events, days):
    """Figures of a cohort whose episodes all take place in one setting with slots (a community
    start: everyone enters by the entry hazard), from the per-agent records and the event record,
    each with its standard error: {name: (value, se)}.

    A request for a place is a join of the waiting list (waitlist_joined) or an admission straight
    to a free place (an admitted or readmitted event without a waitlist_left 'admitted' that day;
    step-downs excluded). A spell on the list runs from its waitlist_joined to the waitlist_left
    that follows (1 admitted, 2 gave up, 3 died); the horizon censors it. Ratios over requests or
    spells are clustered by agent; the daily means (places taken, list length at the end of each
    day) add each agent's days in the status and take the agents as independent, which ignores
    the dependence the fixed capacity creates between them (it makes the places taken vary
    less than that SE says)."""
    death_day = np.asarray(agents["death_day"]).astype(np.int64)
    n = death_day.size
    agent, day, code, detail = _sorted_events(events)
    out = _Figures(n)
    K = days + 1
    key = agent * K + day
    alive_days = np.where(death_day >= 0, death_day, days).astype(float)

    joined = np.flatnonzero(code == EV_WAITLIST_JOINED)
    left = np.flatnonzero(code == EV_WAITLIST_LEFT)
    closing = _pair(agent[joined], agent[left])
    closed = closing >= 0
    end_day = np.where(closed, day[left[np.maximum(closing, 0)]], days)
    how = np.where(closed, detail[left[np.maximum(closing, 0)]], 0)
    start = day[joined]
    who = agent[joined]

    admissions = np.flatnonzero((code == EV_ADMITTED) | (code == EV_READMITTED))
    from_list = np.isin(key[admissions], key[left[detail[left] == WL_ADMITTED]])
    stepped = np.isin(key[admissions], key[code == EV_STEPPED_DOWN])
    direct = admissions[~from_list & ~stepped]

    # the share of requests that join the list
    requests = np.r_[who, agent[direct]]
    out.ratio("requests_joining_waitlist", np.r_[np.ones(who.size), np.zeros(direct.size)],
              np.ones(requests.size), requests)
    # how spells end, among those followed for 60 days (joined by day days - 61)
    followed = start + 60 < days
    for name, outcome in (("admitted", WL_ADMITTED), ("gave_up", WL_GAVE_UP)):
        out.ratio(f"waitlist_{name}_within_60_days", ((how == outcome) & (end_day <= start + 60))[followed],
                  np.ones(int(followed.sum())), who[followed])
    # days on the list before admission, among the spells that ended in admission
    served = how == WL_ADMITTED
    out.ratio("waitlist_mean_days_to_admission", (end_day - start)[served], np.ones(int(served.sum())), who[served])
    # admissions (entries into treatment) per person-year alive
    out.ratio("admissions_per_person_year", np.bincount(agent[admissions], minlength=n), alive_days,
              np.arange(n), 365.25)
    out.share("admitted_by_day_180", np.isin(np.arange(n), agent[admissions[day[admissions] < 180]]),
              np.ones(n, bool))
    # the list's length and the places taken at the end of each day, averaged over the days:
    # a spell on the list counts the days it began (end day excluded; the horizon ends it); an
    # episode counts from its admission day to the day before it ended (completion, dropout,
    # death in treatment)
    out.total_per_day("waitlist_mean_length", np.bincount(who, weights=end_day - start, minlength=n), days)
    ends = (code == EV_DROPPED_OUT) | (code == EV_COMPLETED)
    begun = np.bincount(agent[admissions], minlength=n)
    finished = np.bincount(agent[ends], minlength=n)
    in_treatment_at_death = (death_day >= 0) & (begun - finished == 1)
    places = (np.bincount(agent[admissions], weights=days - day[admissions], minlength=n)
              - np.bincount(agent[ends], weights=days - day[ends], minlength=n)
              - np.where(in_treatment_at_death, days - death_day, 0))
    out.total_per_day("places_taken_mean", places, days)
    return dict(out)


def mentor_figures(agents, events, days):
    """Figures of peer mentoring (match_on: admission, nobody queues) from the per-agent records
    and the event record, each with its standard error: {name: (value, se)}.

    Each agent's first match (peer_mentor.matched, on day m) lasts until the match_ended that
    follows: detail 3 (disengaged) on day x is a disengagement on the (x - m)-th day of the match;
    detail 2 (eligibility ended, or death) on day x ends it before that day's disengagement draw,
    so it censors after x - m - 1 days; the horizon censors after days - 1 - m days.

    - still_engaged_D_days_after_match: 1 - Kaplan-Meier of the first match's disengagement, the
      end of eligibility and death censoring (the net share still engaged D days after the match,
      were eligibility not to end), Greenwood SE;
    - disengagements_per_person_year_matched: disengagements over the days at risk of one (each
      match's days after its first, up to its end as above), every match counted, SE clustered
      by agent;
    - eligibility_ends_per_person_year_matched: the matches ended by the end of eligibility (or
      death: match_ended detail 2) over the same days at risk, SE clustered by agent;
    - matched_again: the share of the agents ever matched who are matched again (a readmission
      after their first match ended opens a new window), binomial;
    - relapse_by_day_180_matched: the first relapse before day 180 among the agents ever matched
      (binomial)."""
    death_day = np.asarray(agents["death_day"]).astype(np.int64)
    first_relapse = np.asarray(agents["first_relapse_day"]).astype(np.int64)
    n = death_day.size
    agent, day, code, detail = _sorted_events(events)
    out = _Figures(n)

    matched = np.flatnonzero(code == EV_PM_MATCHED)
    ended = np.flatnonzero(code == EV_PM_MATCH_ENDED)
    closing = _pair(agent[matched], agent[ended])
    closed = closing >= 0
    end_day = np.where(closed, day[ended[np.maximum(closing, 0)]], days)
    how = np.where(closed, detail[ended[np.maximum(closing, 0)]], 0)
    start = day[matched]
    disengaged = how == PM_DISENGAGED
    # days at risk of disengagement: from the day after the match to its end (the day of a
    # disengagement included, the day eligibility ended excluded, the last day of the run)
    at_risk = np.where(disengaged, end_day - start, np.where(closed, end_day - start - 1, days - 1 - start))

    first = np.r_[True, agent[matched][1:] != agent[matched][:-1]] if matched.size else np.zeros(0, bool)
    t_first, d_first = at_risk[first], disengaged[first]
    m = int(first.sum())
    horizon = int(t_first.max()) + 1 if m else 1
    events_at = np.bincount(t_first[d_first], minlength=horizon + 1)
    exits_at = np.bincount(t_first, minlength=horizon + 1)
    at_risk_on = m - np.r_[0, np.cumsum(exits_at)[:-1]]     # first matches still at risk on day k
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk_on > 0, events_at / at_risk_on, 0.0)
        greenwood = np.where(at_risk_on > events_at, events_at / (at_risk_on * (at_risk_on - events_at)), 0.0)
    survival = np.cumprod(1.0 - hazard)
    variance = np.cumsum(greenwood)
    for d in (30, 60, 90, 180):
        if d < horizon:
            out[f"still_engaged_{d}_days_after_match"] = (float(survival[d]),
                                                          float(survival[d] * np.sqrt(variance[d])))
    out.ratio("disengagements_per_person_year_matched", disengaged, at_risk, agent[matched], 365.25)
    out.ratio("eligibility_ends_per_person_year_matched", how == PM_ELIGIBILITY_ENDED, at_risk, agent[matched],
              365.25)
    ever = np.asarray(agents["peer_mentor.first_match_day"]) >= 0
    out.share("matched_again", np.bincount(agent[matched], minlength=n) > 1, ever)
    out.share("relapse_by_day_180_matched", (first_relapse >= 0) & (first_relapse < 180), ever)
    return dict(out)


def figure_sets(params, setting):
    """Which figure functions apply to a run of these parameters: figures() for a cohort that
    starts in treatment, waitlist_figures() for one whose setting has slots, mentor_figures()
    with the peer_mentor module."""
    sets = []
    if params["population"].get("start", "treatment") != "community":
        sets.append("core")
    if int(params["treatment"]["settings"][setting].get("slots", 0)) > 0:
        sets.append("waitlist")
    if params.get("peer_mentor") is not None:
        sets.append("peer_mentor")
    return sets


def all_figures(agents, events, days, sets, step_down=False):
    """The figures of the sets figure_sets() names, from one run's records."""
    out = {}
    if "core" in sets:
        out.update(figures(agents, events, days, step_down))
    if "waitlist" in sets:
        out.update(waitlist_figures(agents, events, days))
    if "peer_mentor" in sets:
        out.update(mentor_figures(agents, events, days))
    return out


def replicate_means(per_replicate):
    """Figures over independent replicates (a list of {name: (value, se)}, one per replicate):
    each figure's mean over the replicates, with the standard error from their spread,
    sd / sqrt(R). For the waiting-list figures, whose within-run SEs miss the dependence a
    shared list creates between agents (a long list makes every request of those weeks wait),
    the spread between replicates is the honest measure of their uncertainty."""
    R = len(per_replicate)
    out = {}
    for name in per_replicate[0]:
        values = np.array([figures_of[name][0] for figures_of in per_replicate], float)
        out[name] = (float(values.mean()), float(values.std(ddof=1) / np.sqrt(R)) if R > 1 else float("nan"))
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
    ap.add_argument("--replicates", type=int, default=1,
                    help="independent runs (seeds seed, seed + 1, ...); with --figures, the figures are their "
                         "replicate_means()")
    ap.add_argument("--setting", choices=SETTINGS, default="outpatient")
    ap.add_argument("--substance", choices=SUBSTANCES, help="a cohort of this substance only")
    ap.add_argument("--start", choices=("treatment", "community"), help="population.start (default treatment)")
    ap.add_argument("--slots", type=int, help="places in the setting (0: unlimited, the default)")
    ap.add_argument("--waitlist-dropout", type=float, help="the setting's waitlist_dropout_per_day")
    ap.add_argument("--ample-mentors", action="store_true",
                    help="the peer_mentor module with mentors for everyone (ample_mentors())")
    ap.add_argument("--recoverysim", help="read every parameter from this binary's `validate` output")
    ap.add_argument("--figures", action="store_true", help="add the agreement tests' figures to the line")
    ap.add_argument("--check", action="store_true",
                    help="assert the closed-cohort outpatient figures (needs --days >= 365)")
    args = ap.parse_args()
    if args.check and (args.days < 365 or args.setting != "outpatient" or args.substance or args.start
                       or args.slots or args.ample_mentors):
        ap.error("--check needs --days >= 365, the outpatient setting, the mixed cohort and no other option")

    options = {"start": args.start, "slots": args.slots, "waitlist_dropout": args.waitlist_dropout,
               "peer_mentor": ample_mentors(args.agents) if args.ample_mentors else None}
    if args.recoverysim:
        params = validated_parameters(args.recoverysim, args.agents, args.days, args.setting, args.substance,
                                      **options)
    else:
        params = builtin_parameters(args.setting, args.substance)
        if args.start:
            params["population"]["start"] = args.start
        for key, value in (("slots", args.slots), ("waitlist_dropout_per_day", args.waitlist_dropout)):
            if value is not None:
                params["treatment"]["settings"][args.setting][key] = value
        if args.ample_mentors:
            params["peer_mentor"] = {**PEER_MENTOR_DEFAULTS, **options["peer_mentor"]}
    if args.replicates < 1 or (args.replicates > 1 and (args.check or not args.figures)):
        ap.error("--replicates > 1 needs --figures (and no --check)")
    sets = figure_sets(params, args.setting)
    step_down = has_step_down(params, args.setting)
    per_replicate, seconds = [], 0.0
    for replicate in range(args.replicates):
        try:
            r = run(args.agents, args.days, args.seed + replicate, args.setting, params, events=args.figures)
        except ValueError as error:
            ap.error(str(error))
        seconds += r["seconds"]
        if args.figures:
            per_replicate.append(all_figures(r["agents"], r["events"], args.days, sets, step_down))
    line = {"implementation": "numpy", "agents": args.agents, "days": args.days, "seconds": seconds,
            "agent_days_per_second": args.replicates * args.agents * args.days / seconds}
    if args.days >= 365:
        line["relapse_by_day_365"] = r["relapse_by_day_365"]
        line["first_episode_completion"] = r["first_episode_completion"]
        line["any_lapse_by_day_365"] = r["lapse_by_day_365"]
    if args.figures:
        line["step_down"], line["figure_sets"], line["replicates"] = step_down, sets, args.replicates
        line["figures"] = per_replicate[0] if args.replicates == 1 else replicate_means(per_replicate)
    print(json.dumps(line))

    if args.check:
        # The simulator's figures with its defaults (model version 2, the calibrated defaults;
        # `recoverysim run scenarios/baseline.yaml --replicates 10 --set population.size=100000`).
        expected = {"relapse_by_day_30": 0.380, "relapse_by_day_90": 0.475, "relapse_by_day_365": 0.534,
                    "first_episode_completion": 0.368}
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
