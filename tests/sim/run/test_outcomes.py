#!/usr/bin/python3
"""Outcomes against direct computations from a real results file (tests/sim/run/outcomes.yaml):

- the event record reproduces state_counts, treatment_counts, first_relapse_day and
  first_episode_outcome exactly;
- a rate split by the days since leaving treatment, against person-time and deaths counted from
  the event record; a rate against the per-agent columns;
- the per-person waits of peer_mentor and group, against an Aalen-Johansen estimate computed
  here from the modules' per-agent columns, and against the same wait followed day by day
  through the modules' events (identical tables);
- contrasts against their two parts;
- the file is byte-identical on 1 and 2 threads.

Usage: test_outcomes.py BINARY SOURCE_DIR WORK_DIR
"""
import math
import os
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np

BINARY, SOURCE, WORK = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
SCENARIO = SOURCE / "tests" / "sim" / "run" / "outcomes.yaml"
# Under a sanitizer (about 25 times slower) a smaller cohort, with every check kept.
SMALLER = ["--set", "intake.arrivals_per_day=3"] if os.environ.get("RECOVERYSIM_TEST_SANITIZED") else []
failures = []

# Codes of the event record (docs/output.md) and the states they lead to.
ARRIVAL, DIED, LAPSE, RELAPSE, LAPSE_RESOLVED, RESUMED, WITHDRAWAL_COMPLETED, STABLE, DROPPED_OUT, COMPLETED, \
    READMITTED = range(1, 12)
ADMITTED = 15
WITHDRAWAL, EARLY, STABLE_RECOVERY, LAPSE_STATE, RELAPSE_STATE, DECEASED = range(6)
NEW_STATE = { DIED: DECEASED, LAPSE: LAPSE_STATE, RELAPSE: RELAPSE_STATE, LAPSE_RESOLVED: EARLY,
             RESUMED: EARLY, WITHDRAWAL_COMPLETED: EARLY, STABLE: STABLE_RECOVERY}
NOT_ARRIVED, IN_TREATMENT, COMPLETED_STATUS, DROPPED_OUT_STATUS, UNTREATED, WAITING_LIST = range(6)
# Arrival in the community leaves the agent untreated; in treatment, `admitted` follows at once.
NEW_STATUS = {ARRIVAL: UNTREATED, ADMITTED: IN_TREATMENT, DROPPED_OUT: DROPPED_OUT_STATUS,
              COMPLETED: COMPLETED_STATUS, READMITTED: IN_TREATMENT}


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {detail}"))
    if not ok:
        failures.append(what)


def run(*args):
    result = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"FAIL: recoverysim {' '.join(map(str, args))}: exit {result.returncode}\n{result.stderr}")


def events_of(arm, r):
    e = arm["events"]
    replicate = e["replicate"][...]
    keep = replicate == r
    return e["agent"][...][keep], e["day"][...][keep].astype(int), e["code"][...][keep], e["detail"][...][keep]


def reconstruct(arm, r, n, days):
    """Each agent's clinical state and treatment status at the end of each day, from its events."""
    state = np.full((n, days), 255, dtype=np.int16)
    status = np.full((n, days), NOT_ARRIVED, dtype=np.int16)
    agents, day, code, detail = events_of(arm, r)
    for a, d, c, x in zip(agents, day, code, detail):
        if c == ARRIVAL:  # in treatment (detail 1): withdrawal; in the community: relapse
            state[a, d:] = WITHDRAWAL if x == 1 else RELAPSE_STATE
        if c in NEW_STATE:
            state[a, d:] = NEW_STATE[c]
        # An episode entered from use starts in withdrawal the next day; from any other state
        # the state is kept (the agent's events of a day come in the order they happened).
        if c in (READMITTED, ADMITTED) and state[a, d] in (LAPSE_STATE, RELAPSE_STATE):
            state[a, d + 1:] = WITHDRAWAL
        if c in NEW_STATUS:
            status[a, d:] = NEW_STATUS[c]
    return state, status


def check_record(f, arm_name, r, n, days):
    arm = f["arms"][arm_name]
    state, status = reconstruct(arm, r, n, days)
    counts = arm["state_counts"][r]
    treatment = arm["treatment_counts"][r]
    admitted = state != 255
    living = admitted & (state != DECEASED)
    rebuilt = np.stack([(state == x).sum(axis=0) for x in range(6)], axis=1)
    rebuilt_treatment = np.stack([(~admitted).sum(axis=0)] + [((status == y) & living).sum(axis=0)
                                                              for y in range(1, 6)], axis=1)
    check(f"{arm_name} replicate {r}: the event record gives state_counts", np.array_equal(rebuilt, counts))
    check(f"{arm_name} replicate {r}: the event record gives treatment_counts", np.array_equal(rebuilt_treatment, treatment))

    agents, day, code, detail = events_of(arm, r)
    first_relapse = np.full(n, -1)
    outcome = np.full(n, 3)    # ongoing
    ended = np.zeros(n, dtype=bool)
    for a, d, c, x in zip(agents, day, code, detail):
        if c == RELAPSE and first_relapse[a] < 0:
            first_relapse[a] = d
        # The first episode ends by its exit or a death in it (a death while never treated
        # leaves it unstarted: `ongoing`). A died event's detail is the status at death.
        if not ended[a] and ((c in (DROPPED_OUT, COMPLETED) and x == 1) or (c == DIED and x == IN_TREATMENT)):
            outcome[a] = {COMPLETED: 0, DROPPED_OUT: 1, DIED: 2}[c]
            ended[a] = True
    check(f"{arm_name} replicate {r}: the event record gives first_relapse_day",
          np.array_equal(first_relapse, arm["agents/first_relapse_day"][r]))
    check(f"{arm_name} replicate {r}: the event record gives first_episode_outcome",
          np.array_equal(outcome, arm["agents/first_episode_outcome"][r]))
    return state, status


def check_rates(f, arm_name, r, state, status, n, days):
    """deaths_by_status: person-days and deaths in treatment, in the first 14 days after leaving
    it, and later, each day classed by the status at its start."""
    arm = f["arms"][arm_name]
    agents, day, code, detail = events_of(arm, r)
    # Arrival in treatment (detail 1) makes the arrival day a treatment day.
    arrives_treated = {a: x == 1 for a, c, x in zip(agents, code, detail) if c == ARRIVAL}
    exits = np.full((n, days), -1)
    for a, d, c in zip(agents, day, code):
        if c in (DROPPED_OUT, COMPLETED):
            exits[a, d] = d
    last_exit = np.maximum.accumulate(exits, axis=1)       # the latest exit up to the end of each day
    admission = arm["agents/admission_day"][r].astype(int)
    person_days = np.zeros(3, dtype=np.int64)
    deaths = np.zeros(3, dtype=np.int64)
    died = {a: d for a, d, c in zip(agents, day, code) if c == DIED}
    for i in range(n):
        first = admission[i]
        if first >= days:
            continue
        for d in range(first, days):
            if d > first and state[i, d - 1] == DECEASED:
                break
            treated = arrives_treated.get(i, False) if d == first else status[i, d - 1] == IN_TREATMENT
            left = last_exit[i, d - 1] if d > first else -1
            category = 0 if treated else (1 if left >= 0 and d - left <= 14 else 2)
            person_days[category] += 1
            if died.get(i) == d:
                deaths[category] += 1
    stored = arm["tables/deaths_by_status/counts"][r].sum(axis=0)   # [category, (events, person-days)]
    check(f"{arm_name} replicate {r}: deaths by status, direct = counted",
          np.array_equal(stored[:, 1], person_days) and np.array_equal(stored[:, 0], deaths),
          f"stored {stored.tolist()}, direct person-days {person_days.tolist()}, deaths {deaths.tolist()}")
    per_1000py = arm["outcomes/deaths_by_status_per_1000py_first_14_days_out"][r]
    expected = 1000.0 * deaths[1] / (person_days[1] / 365.25) if person_days[1] else math.nan
    check(f"{arm_name} replicate {r}: deaths per 1,000 person-years in the 14 days after leaving",
          math.isclose(per_1000py, expected, rel_tol=1e-12), f"{per_1000py} against {expected}")

    # Readmissions per person-year after arrival, from the per-agent columns.
    death = arm["agents/death_day"][r].astype(int)
    readmissions = arm["agents/readmissions"][r].astype(int)
    inside = admission < days
    years = np.where(death >= 0, death - admission + 1, days - admission)[inside].sum() / 365.25
    expected = 1000.0 * readmissions[inside].sum() / years
    check(f"{arm_name} replicate {r}: readmissions per 1,000 person-years from the per-agent columns",
          math.isclose(arm["outcomes/readmission_rate_per_1000py"][r], expected, rel_tol=1e-12),
          f"{arm['outcomes/readmission_rate_per_1000py'][r]} against {expected}")


def aalen_johansen(origin, end, cause, days, causes):
    """Survival and incidence of each cause by day since the origin, computed directly."""
    t = np.where(cause >= 0, end - origin, days - 1 - origin)
    s, incidence, survival = 1.0, np.zeros((causes, days)), np.ones(days)
    f = np.zeros(causes)
    for day in range(days):
        n = int((t >= day).sum())
        d = [int(((t == day) & (cause == k)).sum()) for k in range(causes)]
        if n > 0 and sum(d) > 0:
            f += s * np.array(d) / n
            s *= 1.0 - sum(d) / n
        survival[day], incidence[:, day] = s, f
    return survival, incidence


def check_waits(f, arm_name, module, served_column, r, days):
    arm = f["arms"][arm_name]
    origin = arm[f"agents/{module}.first_queued_day"][r].astype(int)
    served = arm[f"agents/{module}.{served_column}"][r].astype(int)
    left = arm[f"agents/{module}.left_unserved_day"][r].astype(int)
    death = arm["agents/death_day"][r].astype(int)
    queued = origin >= 0
    # The first wait ends unserved on left_unserved_day (even if a later wait was served).
    cause = np.where(left >= 0, np.where(death == left, 1, 2), np.where(served >= 0, 0, -1))
    end = np.where(left >= 0, left, served)
    survival, incidence = aalen_johansen(origin[queued], end[queued], cause[queued], days, 3)
    mean = survival[:days].sum()
    # The first day the incidence reaches q, to within 1e-9 (ties at q computed in another order).
    quantile = lambda q: float(np.argmax(incidence[0] >= q - 1e-9)) if (incidence[0] >= q - 1e-9).any() else math.inf  # noqa: E731
    expected = {"wait_mean_days": mean, "wait_p50_days": quantile(0.5), "wait_p90_days": quantile(0.9),
                "wait_never_served": 1.0 - incidence[0][-1]}
    for name, value in expected.items():
        stored = arm[f"outcomes/{module}.{name}"][r]
        same = (math.isinf(value) and math.isinf(stored)) or math.isclose(stored, value, rel_tol=1e-9, abs_tol=1e-12)
        check(f"{arm_name} replicate {r}: {module}.{name} = the direct computation ({value:.6g})", same,
              f"stored {stored}")
    check(f"{arm_name} replicate {r}: {module} waits: {int(queued.sum())} people queued", queued.sum() > 100)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    one, two = WORK / "threads_1.h5", WORK / "threads_2.h5"
    run("run", SCENARIO, "-q", "--threads", "1", "-o", one, *SMALLER)
    run("run", SCENARIO, "-q", "--threads", "2", "-o", two, *SMALLER)
    same = subprocess.run([sys.executable, SOURCE / "scripts" / "same_results.py", one, two], capture_output=True,
                          text=True)
    check("1 and 2 threads give the same datasets, the event record and the tables included", same.returncode == 0,
          same.stdout[-2000:])

    with h5py.File(two, "r") as f:
        n, days = f["arms/usual_care/agents/admission_day"].shape[1], f["arms/usual_care/state_counts"].shape[1]
        for arm_name in ("usual_care", "mentors", "community"):
            for r in range(2):
                state, status = check_record(f, arm_name, r, n, days)
                check_rates(f, arm_name, r, state, status, n, days)
        for r in range(2):
            check_waits(f, "mentors", "peer_mentor", "first_match_day", r, days)
            check_waits(f, "mentors", "group", "first_joined_day", r, days)
        # The same wait, followed day by day through the module's events: the same table.
        followed = f["arms/mentors/tables/wait_followed/event_table"][...]
        recorded = f["arms/mentors/tables/peer_mentor.wait/event_table"][...]
        check("the wait followed through events = the wait the module records", np.array_equal(followed, recorded))
        for name in ("mean_days", "p50_days", "p90_days"):
            a = f[f"arms/mentors/outcomes/wait_followed_{name}"][...]
            b = f[f"arms/mentors/outcomes/peer_mentor.wait_{name}"][...]
            check(f"wait_followed_{name} = peer_mentor.wait_{name}", np.array_equal(a, b), f"{a} against {b}")

        # Contrasts against their two parts.
        summary = f["arms/mentors/summary/quantities"]
        labels = [x.decode() if isinstance(x, bytes) else x for x in summary.attrs["labels"]]
        ratio = summary[labels.index("opioid_vs_alcohol")][0]
        opioid = f["arms/mentors/outcomes/opioid_relapse_by_day_365"][...]
        alcohol = f["arms/mentors/outcomes/alcohol_relapse_by_day_365"][...]
        check("a ratio of two quantities = the ratio of their means", math.isclose(ratio, opioid.mean() / alcohol.mean(),
                                                                                 rel_tol=1e-12), f"{ratio}")
        difference = f["contrasts/mentoring_effect/replicates"][...]
        parts = f["arms/mentors/outcomes/relapse_by_day_365"][...] - f["arms/usual_care/outcomes/relapse_by_day_365"][...]
        check("a difference between two arms = the paired differences of its parts", np.array_equal(difference, parts))
        check("... and its estimate their mean",
              math.isclose(f["contrasts/mentoring_effect/estimate"][0, 0], parts.mean(), rel_tol=1e-12))

    # Several work units per arm: every replicate's events reach the results file, each under
    # its own replicate number.
    many = WORK / "many_units.h5"
    run("run", SCENARIO, "-q", "--replicates", "30", "-o", many, *SMALLER)
    with h5py.File(many, "r") as f:
        n, days = f["arms/usual_care/agents/admission_day"].shape[1], f["arms/usual_care/state_counts"].shape[1]
        for arm_name in ("usual_care", "mentors", "community"):
            replicates = np.unique(f[f"arms/{arm_name}/events/replicate"][...])
            check(f"{arm_name}: the event record holds all 30 replicates", np.array_equal(replicates, np.arange(30)),
                  replicates)
        check_record(f, "mentors", 29, n, days)

    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
