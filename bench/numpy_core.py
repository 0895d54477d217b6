"""NumPy baseline for the benchmarks: the core recovery model, vectorised over agents.

This is the same model as models/recovery/day.hpp (one agent's day) and population.cpp
(initialisation), written the way a researcher would write it in NumPy: one float64 or int
array per variable, a boolean mask per step, whole-array np.exp / np.expm1. Closed cohort
(everyone admitted on day 0), no interventions. Random numbers come from
numpy.random.default_rng(seed), so results agree with the C++ simulator only in distribution.

    /usr/bin/python3 bench/numpy_core.py --agents N --days T --seed S [--setting outpatient] [--check]

Only the day loop is timed. Prints one line of JSON.
"""
import argparse
import json
import sys
import time

import numpy as np

# ---- parameters (defaults of models/recovery/parameters.cpp) --------------------------------
SUBSTANCE_MIX = [0.5, 0.3, 0.2]                     # alcohol, opioid, stimulant
OPIOID = 1
WITHDRAWAL_MEAN = np.array([5.0, 7.0, 10.0])
CRAVING_PEAK = np.array([0.60, 0.75, 0.65])
DEATH_BASE = np.array([2.7e-5, 6.4e-5, 2.2e-5])
LAPSE_BASE = np.array([0.0030, 0.0048, 0.0039])
STRESS_P, STRESS_JUMP, STRESS_LAPSE = 0.05, 0.3, 3.0
C_FLOOR, TAU_C, C_RATE = 0.1, 60.0, 0.1
STABLE_AFTER, LOT_DAYS, LOT_MIN_ABSTINENT = 90, 14, 14
READMIT_P = -np.expm1(-0.003)
# setting: length_days, base_drop, skills growth, lapse x in treatment, opioid c* x, opioid death x
SETTINGS = {
    "detox": (7, 0.06, 0.005, 1.0, 1.0, 1.0),
    "residential": (28, 0.018, 0.01, 0.5, 1.0, 1.0),
    "outpatient": (90, 0.0075, 0.01, 1.0, 1.0, 1.0),
    "intensive_outpatient": (60, 0.0095, 0.015, 1.0, 1.0, 1.0),
    "moud": (365, 0.0025, 0.01, 1.0, 0.6, 0.3),
}
# clinical states, treatment status, first-episode outcome
WITHDRAWAL, EARLY, STABLE, LAPSE, RELAPSE, DECEASED = range(6)
IN_TREATMENT, COMPLETED, DROPPED_OUT = 1, 2, 3
EP_COMPLETED, EP_DROPPED, EP_DIED, EP_ONGOING = 0, 1, 2, 3


def run(n, days, seed, setting="outpatient"):
    length, base_drop, skills_growth, lapse_in_tr, opioid_c_mult, opioid_death_mult = SETTINGS[setting]
    rng = np.random.default_rng(seed)

    # ---- initialisation (population.cpp) ----
    sub = rng.choice(3, size=n, p=SUBSTANCE_MIX).astype(np.int8)
    v = rng.beta(2.0, 2.0, n)
    g0 = rng.beta(2.0, 3.0, n)
    w0 = rng.beta(3.0, 2.0, n)
    mh = rng.random(n) < 0.45
    c_peak = np.clip(CRAVING_PEAK[sub] + 0.3 * (v - 0.5), 0.0, 1.0)
    opioid = sub == OPIOID
    c, e, g, w = c_peak.copy(), np.clip(0.2 + 0.3 * (1.0 - v), 0.0, 1.0), g0.copy(), w0.copy()
    k = np.full(n, 0.1)
    state = np.full(n, WITHDRAWAL, np.int8)
    treat = np.full(n, IN_TREATMENT, np.int8)
    a, a_prior, since_use, wd_done, ep_days = (np.zeros(n, np.int32) for _ in range(5))
    wd_len = np.minimum(rng.geometric(1.0 / WITHDRAWAL_MEAN[sub]), 65535).astype(np.int32)
    first_lapse = np.full(n, -1, np.int32)
    first_relapse = np.full(n, -1, np.int32)
    ep_outcome = np.full(n, EP_ONGOING, np.int8)
    ep_length = np.zeros(n, np.int32)
    readmissions = np.zeros(n, np.int32)
    death_day = np.full(n, -1, np.int32)
    abstinent_days = np.zeros(n, np.int32)
    # fixed per-agent factors of the hazards
    death_base = DEATH_BASE[sub]
    lapse_base = LAPSE_BASE[sub] * np.exp(0.4 * mh)
    if opioid_death_mult != 1.0:
        death_base_tr = death_base * np.where(opioid, opioid_death_mult, 1.0)
    else:
        death_base_tr = death_base

    start_time = time.perf_counter()
    for t in range(days):
        u = rng.random((4, n))               # stress, death, state exit, treatment exit
        alive = state != DECEASED
        withdrawal0 = state == WITHDRAWAL
        abstinent0 = (state == EARLY) | (state == STABLE)
        lapse0 = state == LAPSE
        relapse0 = state == RELAPSE
        using0 = lapse0 | relapse0
        in_tr = treat == IN_TREATMENT

        # 1. stress
        stress = u[0] < STRESS_P

        # 2. latent update, with the state at the start of the day
        c_star = np.where(abstinent0, C_FLOOR + (c_peak - C_FLOOR) * np.exp(-a / TAU_C), c_peak)
        if opioid_c_mult != 1.0:
            c_star = np.where(in_tr & opioid, c_star * opioid_c_mult, c_star)
        c = np.clip(c + C_RATE * (c_star - c) + np.where(stress, STRESS_JUMP * (1.0 - k) * (1.0 - c), 0.0), 0.0, 1.0)
        e = np.clip(np.where(abstinent0, e + 0.01 * (1.0 - e), e), 0.0, 1.0)
        g = np.clip(g + 0.05 * (g0 - g), 0.0, 1.0)
        k = np.clip(k + np.where(in_tr, skills_growth * (1.0 - k), 0.0) - 0.001 * k, 0.0, 1.0)
        w = np.clip(w + 0.05 * (w0 - w), 0.0, 1.0)

        # 3. death: resolved first, ends the day
        h_death = np.where(in_tr, death_base_tr * (1.0 / 3.0), death_base)
        h_death = h_death * np.where(abstinent0, 0.2, 1.0)
        window = opioid & using0 & (since_use < LOT_DAYS) & (a_prior >= LOT_MIN_ABSTINENT)
        h_death = h_death * np.where(window, 8.0, 1.0)
        dies = alive & (u[1] < -np.expm1(-h_death))
        live = alive & ~dies
        death_day[dies] = t
        first_open = (readmissions == 0) & (ep_outcome == EP_ONGOING)
        died_in_tr = dies & in_tr & first_open
        ep_outcome[died_in_tr] = EP_DIED
        ep_length[died_in_tr] = ep_days[died_in_tr] + 1

        # 4. lapse (from withdrawal, early or stable recovery); withdrawal progress
        x = 3.0 * (c - 0.5) - 2.0 * (e - 0.5) - 1.5 * (g - 0.5) - 1.5 * (k - 0.5)
        h_lapse = lapse_base * np.exp(x) * np.where(withdrawal0, 1.6, 1.0) * np.where(stress, STRESS_LAPSE, 1.0)
        if lapse_in_tr != 1.0:
            h_lapse = h_lapse * np.where(in_tr, lapse_in_tr, 1.0)
        lapsed = live & (withdrawal0 | abstinent0) & (u[2] < -np.expm1(-h_lapse))
        progressing = live & withdrawal0 & ~lapsed
        wd_done += progressing
        withdrawal_over = progressing & (wd_done >= wd_len)

        # 5. lapse resolution
        p_relapse = 1.0 / (1.0 + np.exp(-(-0.6 + 3.0 * (c - 0.5) - 3.0 * (e - 0.5) - 2.0 * (g - 0.5))))
        lapse_now = live & lapse0
        relapsed = lapse_now & (u[2] < p_relapse)

        # 6. resuming abstinence
        h_resume = 0.01 * np.exp(2.0 * (e - 0.5) + 1.5 * (g - 0.5)) * np.where(in_tr, 2.0, 1.0)
        resumed = live & relapse0 & (u[2] < -np.expm1(-h_resume))

        state[lapsed] = LAPSE
        state[relapsed] = RELAPSE
        state[withdrawal_over | (lapse_now & ~relapsed) | resumed] = EARLY
        state[dies] = DECEASED

        # 7. bookkeeping
        a_prior = np.where(lapsed, a, a_prior)
        since_use = np.where(lapsed, 0, since_use + 1)
        e = np.where(lapsed, 0.7 * e, e)
        w = np.where(lapsed, 0.9 * w, w)
        first_lapse[lapsed & (first_lapse < 0)] = t
        first_relapse[relapsed & (first_relapse < 0)] = t
        abstinent = (state == EARLY) | (state == STABLE)
        a = np.where(abstinent, a + 1, 0)
        state[(state == EARLY) & (a >= STABLE_AFTER)] = STABLE

        # 8. treatment: dropout (state after today's transitions) or progress; readmission
        using = (state == LAPSE) | (state == RELAPSE)
        h_drop = base_drop * np.exp(-3.0 * (w - 0.6) + 1.0 * (c - 0.5)) * np.where(using, 3.0, 1.0)
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
        readmit = np.flatnonzero(live & ~in_tr & (state == RELAPSE) & (u[3] < READMIT_P))
        if readmit.size:
            treat[readmit] = IN_TREATMENT
            state[readmit] = WITHDRAWAL
            wd_done[readmit] = 0
            ep_days[readmit] = 0
            a[readmit] = 0
            wd_len[readmit] = np.minimum(rng.geometric(1.0 / WITHDRAWAL_MEAN[sub[readmit]]), 65535)
            readmissions[readmit] += 1

        abstinent_days += abstinent   # readmitted agents were in relapse, so not abstinent
    seconds = time.perf_counter() - start_time

    ongoing = ep_outcome == EP_ONGOING
    ep_length[ongoing] = ep_days[ongoing]
    out = {"seconds": seconds, "length": length}
    for d in (30, 90, 180, 365):
        if d <= days:
            out[f"relapse_by_day_{d}"] = float(np.mean((first_relapse >= 0) & (first_relapse < d)))
            out[f"lapse_by_day_{d}"] = float(np.mean((first_lapse >= 0) & (first_lapse < d)))
    if length <= days:
        out["first_episode_completion"] = float(np.mean(ep_outcome == EP_COMPLETED))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--days", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--setting", choices=sorted(SETTINGS), default="outpatient")
    ap.add_argument("--check", action="store_true",
                    help="assert the closed-cohort outpatient figures (needs --days >= 365)")
    args = ap.parse_args()
    if args.check and (args.days < 365 or args.setting != "outpatient"):
        ap.error("--check needs --days >= 365 and the outpatient setting")

    r = run(args.agents, args.days, args.seed, args.setting)
    line = {"implementation": "numpy", "agents": args.agents, "days": args.days, "seconds": r["seconds"],
            "agent_days_per_second": args.agents * args.days / r["seconds"]}
    if args.days >= 365:
        line["relapse_by_day_365"] = r["relapse_by_day_365"]
        line["first_episode_completion"] = r["first_episode_completion"]
        line["any_lapse_by_day_365"] = r["lapse_by_day_365"]
    print(json.dumps(line))

    if args.check:
        expected = {"relapse_by_day_30": 0.353, "relapse_by_day_90": 0.446, "relapse_by_day_365": 0.506,
                    "first_episode_completion": 0.366}
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
