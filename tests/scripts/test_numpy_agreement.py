#!/usr/bin/python3
"""The simulator and the independent NumPy implementation (bench/numpy_core.py) agree.

Both run closed cohorts of 10^5 agents (methadone 1.5 x 10^5) for 365 days with the program's defaults (the NumPy one
reads them from `recoverysim validate`) in four runs:

- outpatient, the default mixed cohort;
- detox, mixed cohort: short episodes, a large post-exit lapse multiplier, step-down to
  outpatient (0.3) and so agents whose setting changes during the run;
- residential, opioid only: step-down to outpatient (0.5), the in-treatment lapse multiplier,
  and enough substance-related deaths after leaving treatment to estimate them;
- methadone, opioid only: year-long episodes, the craving multiplier, and enough deaths in
  treatment to estimate them by cause.

From each one's per-agent records and event record (the simulator's agents/ and events/
datasets; numpy_core writes the same columns and codes) the same function, numpy_core.figures,
computes the figures: relapse, lapse and completion; deaths by cause, in and out of treatment,
after the first exit and in the 14 days after any exit; the lapse curve after the first exit;
entries and readmissions per person-year, the share ever readmitted, entry within 90 days of
the first exit, the share of entries made while abstinent; the share of completions that step
down; relapse within 30 days of leaving abstinent. Each pair must agree within 4 standard errors
of their difference (the two runs use different random numbers). With about 95 figures, a false
alarm has a probability below 1% (the figures of a run are correlated, which lowers it).

Every figure is printed with its relative standard error; a share's standard error is at most
about 0.2 points, a rate's at most about 10% except for the rare deaths marked `(imprecise)`,
which are still compared. About 30 s on 2 cores (release build).

Waits at a capacity limit and peer-mentor disengagement (MODEL-v2 section 9) are compared the
same way by test_numpy_waits.py, which uses this file's read_results, check_codes and compare.

Usage: test_numpy_agreement.py RECOVERYSIM PROJECT_DIR
"""
import json
import math
import pathlib
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

DAYS = 365
RUNS = (  # setting, substance (None: the default mix), seed, agents
    ("outpatient", None, 21, 100_000),
    ("detox", None, 22, 100_000),
    ("residential", "opioid", 23, 100_000),
    ("methadone", "opioid", 24, 150_000),  # deaths in treatment: about 160 substance-related
)
PARALLEL = 2  # NumPy runs at a time (one core each), beside the simulator's runs


def read_results(path, replicates=1):
    """The simulator's per-agent records and event record of each replicate of its one arm: a list
    of (agents, events) and the event codes by name; with replicates=1, (agents, events, codes) of
    replicate 0."""
    with h5py.File(path, "r") as f:
        arm = f["arms"][next(iter(f["arms"]))]
        group = arm["events"]
        names = list(group["codes"].attrs["names"])
        codes = dict(zip(names, (int(c) for c in group["codes"][...])))
        replicate = np.asarray(group["replicate"])
        columns = {name: np.asarray(group[name]) for name in ("agent", "day", "code", "detail")}
        runs = [({name: np.asarray(arm["agents"][name][r]) for name in arm["agents"]},
                 {name: column[replicate == r] for name, column in columns.items()}) for r in range(replicates)]
    return (*runs[0], codes) if replicates == 1 else (runs, codes)


def check_codes(codes, numpy_core):
    """The simulator's event codes are those numpy_core writes and reads."""
    expected_codes = {"lapse": numpy_core.EV_LAPSE, "relapse": numpy_core.EV_RELAPSE,
                      "lapse_resolved": numpy_core.EV_LAPSE_RESOLVED, "resumed": numpy_core.EV_RESUMED,
                      "withdrawal_completed": numpy_core.EV_WITHDRAWAL_COMPLETED,
                      "stable": numpy_core.EV_STABLE, "dropped_out": numpy_core.EV_DROPPED_OUT,
                      "completed": numpy_core.EV_COMPLETED, "readmitted": numpy_core.EV_READMITTED,
                      "died_other_causes": numpy_core.EV_DIED_OTHER,
                      "died_substance_related": numpy_core.EV_DIED_SUBSTANCE,
                      "stepped_down": numpy_core.EV_STEPPED_DOWN, "admitted": numpy_core.EV_ADMITTED,
                      "waitlist_joined": numpy_core.EV_WAITLIST_JOINED,
                      "waitlist_left": numpy_core.EV_WAITLIST_LEFT,
                      "peer_mentor.queued": numpy_core.EV_PM_QUEUED,
                      "peer_mentor.matched": numpy_core.EV_PM_MATCHED,
                      "peer_mentor.match_ended": numpy_core.EV_PM_MATCH_ENDED,
                      "peer_mentor.left": numpy_core.EV_PM_LEFT}
    for event, code in expected_codes.items():
        if codes.get(event) != code:
            sys.exit(f"FAIL: the simulator's event {event} has code {codes.get(event)}, numpy_core uses {code}")


def compare(label, simulated, reference, failures):
    """Print every figure (simulator, numpy, z, standard errors, relative SE) and add to failures
    those whose difference exceeds 4 standard errors of the difference. A figure is precise when
    its SE is at most 1 point (a share) or 10% of its value (a rate, `per_`, or a mean, `mean`).
    Returns (figures compared, imprecise ones, largest |z|)."""
    if set(simulated) != set(reference):
        failures.append(f"{label}: different figures {sorted(set(simulated) ^ set(reference))}")
    compared = imprecise = 0
    largest = 0.0
    print(f"{label}: figure, simulator, numpy, difference in standard errors (relative SE)")
    for figure, (value, se) in simulated.items():
        if figure not in reference:
            continue
        ref_value, ref_se = reference[figure]
        se_difference = math.sqrt(se * se + ref_se * ref_se)
        # no spread on either side (a figure no replicate reaches): equal, or infinitely apart
        z = (value - ref_value) / se_difference if se_difference > 0 else (0.0 if value == ref_value else math.inf)
        compared += 1
        relative = "per_" in figure or "mean" in figure
        precise = (se <= 0.1 * abs(value)) if relative else (se <= 0.01)
        imprecise += not precise
        largest = max(largest, abs(z)) if math.isfinite(z) else math.inf
        print(f"  {figure:64s} {value:9.5f} {ref_value:9.5f} {z:+6.2f} (SE {se:.5f}, {ref_se:.5f}; "
              f"{se / abs(value) if value else float('nan'):.3f}){'' if precise else ' (imprecise)'}")
        if not abs(z) <= 4.0:
            failures.append(f"{label} {figure}: simulator {value:.5f}, numpy {ref_value:.5f}, z = {z:+.2f}")
    return compared, imprecise, largest


def main():
    binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
    sys.path.insert(0, str(root / "bench"))
    import numpy_core

    started = time.monotonic()
    failures, compared, imprecise = [], 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        pending = list(RUNS)
        running = {}

        def launch():
            while pending and len(running) < PARALLEL:
                setting, substance, seed, size = pending.pop(0)
                command = [sys.executable, root / "bench" / "numpy_core.py", "--agents", str(size), "--days",
                           str(DAYS), "--seed", str(seed), "--setting", setting, "--recoverysim", binary, "--figures"]
                if substance:
                    command += ["--substance", substance]
                running[(setting, substance, seed, size)] = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

        launch()
        for setting, substance, seed, size in RUNS:
            label = setting + (f", {substance} only" if substance else "")
            name = f"{setting}_{substance or 'mixed'}"
            scenario = pathlib.Path(tmp) / f"{name}.yaml"
            results = pathlib.Path(tmp) / f"{name}.h5"
            scenario.write_text(numpy_core.scenario_text(size, DAYS, setting, substance, "agreement")
                                + f"seed: {seed}\noutput:\n  file: {results}\n  events: true\n")
            subprocess.run([binary, "run", str(scenario), "-q"], capture_output=True, text=True, check=True)
            agents, events, codes = read_results(results)
            check_codes(codes, numpy_core)

            process = running.pop((setting, substance, seed, size))
            line, _ = process.communicate()
            if process.returncode:
                sys.exit(f"FAIL: numpy_core.py failed for {label}")
            launch()
            line = json.loads(line)
            reference = line["figures"]
            simulated = numpy_core.figures(agents, events, DAYS, line["step_down"])
            n_compared, n_imprecise, _ = compare(label, simulated, reference, failures)
            compared += n_compared
            imprecise += n_imprecise
    print(f"{compared} figures compared ({imprecise} imprecise) in {time.monotonic() - started:.0f} s")
    if compared < 80:
        failures.append(f"only {compared} figures compared")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
