#!/usr/bin/python3
"""The shipped staffing scenario measures what a queue does to people (a statistical test, seed
fixed, tolerance in paired standard errors):

- relapse_by_day_365 falls with each step up in mentors while the queue exists (the mean queue
  over the days is at least one person), each step by more than 2 paired standard errors;
- relapse_by_day_365 is never below relapse_by_day_180 of the same arm (in every replicate);
- the queue exists at the low end of the grid and is gone at the high end, so both parts of the
  first check are exercised.

Usage: test_staffing.py BINARY SOURCE_DIR WORK_DIR
"""
import math
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np

BINARY, SOURCE, WORK = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {detail}"))
    if not ok:
        failures.append(what)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    out = WORK / "staffing.h5"
    result = subprocess.run([BINARY, "run", SOURCE / "scenarios" / "peer_mentor_staffing.yaml", "-q", "-o", out],
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        sys.exit(f"FAIL: run: exit {result.returncode}\n{result.stderr}")
    with h5py.File(out, "r") as f:
        arms = []
        for name, g in f["arms"].items():
            if "sweep_values" not in g.attrs:
                continue
            mentors = int(g.attrs["sweep_values"][0])
            queue = g["modules/peer_mentor/daily/queue_length"][...].mean(axis=1).mean()
            arms.append((mentors, name, queue, g["outcomes/relapse_by_day_365"][...], g["outcomes/relapse_by_day_180"][...]))
        arms.sort()
        check("the grid spans 40 to 200 mentors", arms[0][0] <= 40 and arms[-1][0] >= 200, [a[0] for a in arms])
        check("a queue at the low end", arms[0][2] >= 1.0, f"{arms[0][1]}: mean queue {arms[0][2]:.2f}")
        check("no queue at the high end", arms[-1][2] < 1.0, f"{arms[-1][1]}: mean queue {arms[-1][2]:.2f}")
        for (m0, a0, q0, r0, _), (m1, a1, q1, r1, _) in zip(arms, arms[1:]):
            if q0 < 1.0:
                continue
            d = r1 - r0
            se = d.std(ddof=1) / math.sqrt(len(d))
            check(f"{a0} -> {a1} (queue {q0:.1f}): relapse_by_day_365 falls by more than 2 paired SEs",
                  d.mean() + 2 * se < 0, f"change {d.mean():.4f}, SE {se:.4f}")
        for m, a, _, r365, r180 in arms:
            check(f"{a}: relapse_by_day_365 >= relapse_by_day_180 in every replicate", bool(np.all(r365 >= r180)),
                  f"{r365 - r180}")
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
