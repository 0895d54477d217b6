#!/usr/bin/python3
"""Waits at a capacity limit and peer-mentor disengagement: the simulator and the independent NumPy
implementation (bench/numpy_core.py) agree (MODEL-v2 section 9).

Two scenarios, 365 days, the program's defaults otherwise (the NumPy side reads them from
`recoverysim validate`):

- waiting list: a community start (`population.start: community`: everyone out of treatment, in
  relapse, entering by the entry hazard) into outpatient treatment with `slots` for a fortieth
  of the cohort (a list forms in the first weeks and comes and goes later as demand falls) and the
  default give-up hazard `waitlist_dropout_per_day` 0.02. Figures (numpy_core.waitlist_figures):
  the share of requests that join the list; of the spells on the list followed for 60 days, the
  shares admitted and given up within 60 days; the mean days on the list of those admitted from
  it; admissions per person-year; the share admitted by day 180; the list's length and the
  places taken, averaged over the days. The list couples everyone (a long list makes every
  request of those weeks wait, and its swings last weeks), so the SEs from a single run's
  agents are far too small (up to 8 times for the mean wait). Both sides therefore run 20
  independent replicates of 5,000 agents (125 slots) and compare the mean over replicates,
  with the SE from the spread between them (numpy_core.replicate_means).
- peer mentoring: a closed outpatient cohort of 100,000 with the peer_mentor module,
  `match_on: admission`, a caseload of 8 equal to the comfortable caseload and mentors for
  everyone (numpy_core.ample_mentors: nobody queues, burnout stays 0, so effectiveness and
  fidelity are constant), no mentor departures, no recruits. Figures
  (numpy_core.mentor_figures): the share of the first matches still engaged 30, 60, 90 and
  180 days after the match (Kaplan-Meier, the end of eligibility and death censoring);
  disengagements and eligibility ends per person-year matched; the share matched again (a
  readmission opens a new window); relapse by day 180 among the matched; and, as checks of the
  mentors' effects, every figure of numpy_core.figures (relapse, completion, the lapse curve
  after leaving, deaths, entries, ...). Agents do not interact in this run, so the single
  run's SEs hold (checked over 24 seeds).

Each pair must agree within 4 standard errors of their difference; every figure is printed with
its standard errors. A share's SE is at most 1 point and a rate's or mean's at most 10% of it,
except for the rare deaths marked `(imprecise)`, which are still compared. About 40 s on 2
cores (release build), most of it the NumPy runs.

Usage: test_numpy_waits.py RECOVERYSIM PROJECT_DIR
"""
import json
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from test_numpy_agreement import check_codes, compare, read_results  # noqa: E402

DAYS = 365
SETTING = "outpatient"
WAITLIST = {"agents": 5_000, "replicates": 20, "slots": 125, "seed": 31}
MENTOR = {"agents": 100_000, "seed": 32}


def main():
    binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
    sys.path.insert(0, str(root / "bench"))
    import numpy_core

    runs = {
        "waiting list (community start, outpatient slots)": (
            WAITLIST, {"start": "community", "slots": WAITLIST["slots"]},
            ["--start", "community", "--slots", str(WAITLIST["slots"]), "--replicates", str(WAITLIST["replicates"])]),
        "peer mentoring (ample mentors, outpatient)": (
            MENTOR, {"peer_mentor": numpy_core.ample_mentors(MENTOR["agents"])}, ["--ample-mentors"]),
    }
    started = time.monotonic()
    failures, compared, imprecise, largest = [], 0, 0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        # the NumPy runs in the background (one core each), the simulator's meanwhile
        processes = {}
        for label, (size, options, arguments) in runs.items():
            command = [sys.executable, root / "bench" / "numpy_core.py", "--agents", str(size["agents"]), "--days",
                       str(DAYS), "--seed", str(1000 + size["seed"]), "--setting", SETTING, "--recoverysim", binary,
                       "--figures", *arguments]
            processes[label] = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

        for number, (label, (size, options, arguments)) in enumerate(runs.items()):
            replicates = size.get("replicates", 1)
            scenario = pathlib.Path(tmp) / f"run{number}.yaml"
            results = pathlib.Path(tmp) / f"run{number}.h5"
            scenario.write_text(numpy_core.scenario_text(size["agents"], DAYS, SETTING, None, "waits", **options)
                                + f"seed: {size['seed']}\nreplicates: {replicates}\n"
                                + f"output:\n  file: {results}\n  events: true\n")
            subprocess.run([binary, "run", str(scenario), "-q"], capture_output=True, text=True, check=True)
            if replicates > 1:
                per_replicate, codes = read_results(results, replicates)
            else:
                agents, events, codes = read_results(results)
                per_replicate = [(agents, events)]
            check_codes(codes, numpy_core)

            line, _ = processes[label].communicate()
            if processes[label].returncode:
                sys.exit(f"FAIL: numpy_core.py failed for {label}")
            line = json.loads(line)
            if line["replicates"] != replicates:
                sys.exit(f"FAIL: {label}: numpy_core ran {line['replicates']} replicates, the simulator {replicates}")
            figures = [numpy_core.all_figures(agents, events, DAYS, line["figure_sets"], line["step_down"])
                       for agents, events in per_replicate]
            simulated = figures[0] if replicates == 1 else numpy_core.replicate_means(figures)
            n_compared, n_imprecise, n_largest = compare(f"{label}, {line['figure_sets']}", simulated,
                                                         line["figures"], failures)
            compared += n_compared
            imprecise += n_imprecise
            largest = max(largest, n_largest)
    print(f"{compared} figures compared ({imprecise} imprecise), largest |z| {largest:.2f}, "
          f"in {time.monotonic() - started:.0f} s")
    if compared < 39:
        failures.append(f"only {compared} figures compared")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
