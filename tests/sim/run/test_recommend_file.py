#!/usr/bin/python3
"""`recoverysim recommend` on a results file built so that every answer is known by hand.

A real run of usual care and 10, 20 and 30 mentors (a closed cohort, no discounting) is
rewritten where the decision reads it: each arm's daily staff cost (so its cost over the horizon
is exactly 0, 1500, 3000 or 6000), its relapse table (exactly 100, 95, 85 or 80 first relapses:
5, 15 and 20 averted) and its wait table (everyone served on day 40, 10 or 0: the 90th-percentile
wait). The frontier is then usual care -> 20 mentors (200 per relapse averted) -> 30 mentors
(600); 10 mentors is extendedly dominated. So:

- at 100 per relapse averted usual care, at 400 20 mentors, at 1000 30 mentors, with a warning
  that 30 is the largest level tried;
- at 400 with a wait limit of 5 days, 30 mentors (20 mentors wait 10 days);
- at 1000 within a budget of 10,000 a year, 10 mentors (9,131 a year; 20 mentors cost 18,262),
  with a warning that 10 is the smallest level tried.

Usage: test_recommend_file.py BINARY WORK_DIR
"""
import json
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np

BINARY, WORK = sys.argv[1], pathlib.Path(sys.argv[2])
DAYS = 60
SCENARIO = f"""
name: recommend_file
days: {DAYS}
replicates: 3
seed: 11
population: {{size: 400}}
analysis: {{reference_arm: usual_care, discount_rate: 0}}
arms:
  - name: usual_care
  - name: mentors
    interventions: [{{type: peer_mentor, caseload: 5}}]
    sweep: {{grid: {{peer_mentor.mentors: [10, 20, 30]}}}}
"""
COST = {"usual_care": 0.0, "mentors_10": 1500.0, "mentors_20": 3000.0, "mentors_30": 6000.0}
RELAPSES = {"usual_care": 100, "mentors_10": 95, "mentors_20": 85, "mentors_30": 80}
WAIT = {"mentors_10": 40, "mentors_20": 10, "mentors_30": 0}
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {detail}"))
    if not ok:
        failures.append(what)


def text_list(value):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(value).ravel()]


def first_event_table(dataset, events_on_day):
    """Everyone enters on day 0; `events` of them have the first cause on `day`, the rest are
    censored at the horizon."""
    columns = text_list(dataset.attrs["columns"])
    table = np.zeros(dataset.shape, dtype=dataset.dtype)  # [R, P, T, C]
    people = 400
    table[:, 0, 0, columns.index("entered")] = people
    for day, events in events_on_day:
        table[:, 0, day, 2] += events  # the first cause
        people -= events
    table[:, 0, DAYS - 1, columns.index("censored")] += people
    dataset[...] = table


def build(path):
    with h5py.File(path, "r+") as f:
        for arm, cost in COST.items():
            g = f[f"arms/{arm}"]
            if "modules/peer_mentor/daily/cost" in g:
                g["modules/peer_mentor/daily/cost"][...] = cost / DAYS
            first_event_table(g["tables/relapse/event_table"], [(5, RELAPSES[arm])])
            if arm in WAIT:
                first_event_table(g["tables/peer_mentor.wait/event_table"], [(WAIT[arm], 400)])


def recommend(path, *args):
    p = subprocess.run([BINARY, "recommend", str(path), "--format", "json", *map(str, args)], capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f"FAIL: recommend {' '.join(map(str, args))}: exit {p.returncode}\n{p.stderr}")
    return json.loads(p.stdout)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    (WORK / "s.yaml").write_text(SCENARIO)
    path = WORK / "constructed.h5"
    p = subprocess.run([BINARY, "run", str(WORK / "s.yaml"), "-q", "-o", str(path)], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: run: {p.stderr}")
    build(path)

    for wtp, expected in ((100, "usual_care"), (400, "mentors_20"), (1000, "mentors_30")):
        r = recommend(path, "--wtp", wtp)
        check(f"at {wtp} per relapse averted: {expected}", r["recommended"] == expected, r["recommended"])
    r = recommend(path, "--wtp", 400)
    nmb = {a["name"]: a["net_monetary_benefit"]["mean"] for a in r["arms"]}
    check("net benefit at 400 by hand: 500, 3000, 2000",
          [round(nmb[a], 6) for a in ("mentors_10", "mentors_20", "mentors_30")] == [500, 3000, 2000], nmb)
    check("no warning inside the grid", r["warning"] is None, r["warning"])
    r = recommend(path, "--wtp", 1000)
    check("at the largest level tried, a warning to extend the grid above it",
          r["warning"] is not None and "extend the grid above 30" in r["warning"], r["warning"])
    r = recommend(path, "--wtp", 400, "--max-wait-days", 5)
    check("a wait limit of 5 days moves the answer from 20 to 30 mentors", r["recommended"] == "mentors_30",
          r["recommended"])
    waits = {a["name"]: a["mean_wait_days"] for a in r["arms"]}
    check("the 90th-percentile waits read back as built", waits == {"usual_care": None, "mentors_10": 40,
                                                                     "mentors_20": 10, "mentors_30": 0}, waits)
    r = recommend(path, "--wtp", 1000, "--budget-per-year", 10000)
    check("a budget of 10,000 a year leaves 10 mentors", r["recommended"] == "mentors_10", r["recommended"])
    check("at the smallest level tried, a warning to extend the grid below it",
          r["warning"] is not None and "extend the grid below 10" in r["warning"], r["warning"])
    out = subprocess.run([BINARY, "compare", str(path)], capture_output=True, text=True).stdout
    check("compare prints the frontier usual care -> 20 -> 30 mentors with its sequential ratios",
          "usual_care -> mentors_20 (200 " in out and "-> mentors_30 (600 " in out, out[-600:])
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
