#!/usr/bin/python3
"""The simulator and the independent NumPy implementation (bench/numpy_core.py) agree.

Both run a closed cohort of 10^5 agents for 365 days with the program's defaults (the NumPy
one reads them from `recoverysim validate`), in the outpatient and the detox setting (detox:
short episodes and a large post-exit lapse multiplier). From each one's per-agent records the
same function (numpy_core.figures) computes the figures: relapse, lapse and completion, the
deaths by cause, the lapse curve in the days after leaving the first episode, and the
substance-related deaths after leaving it. Each pair must agree within 4 standard errors of
their difference (the two runs use different random numbers); with 13 figures in each of two
settings, a false alarm has a probability of about 0.2%.

Usage: test_numpy_agreement.py RECOVERYSIM PROJECT_DIR
"""
import json
import math
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np

AGENTS, DAYS = 100_000, 365


def main():
    binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
    sys.path.insert(0, str(root / "bench"))
    import numpy_core

    failures, compared = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for setting, seed in (("outpatient", 21), ("detox", 22)):
            line = subprocess.run(
                [sys.executable, root / "bench" / "numpy_core.py", "--agents", str(AGENTS), "--days", str(DAYS),
                 "--seed", str(seed), "--setting", setting, "--recoverysim", binary, "--figures"],
                capture_output=True, text=True, check=True).stdout
            reference = json.loads(line)["figures"]

            scenario = pathlib.Path(tmp) / f"{setting}.yaml"
            results = pathlib.Path(tmp) / f"{setting}.h5"
            scenario.write_text(f"name: agreement\ndays: {DAYS}\nseed: {seed}\npopulation:\n  size: {AGENTS}\n"
                                f"treatment:\n  setting: {setting}\noutput:\n  file: {results}\n")
            subprocess.run([binary, "run", str(scenario), "-q"], capture_output=True, text=True, check=True)
            with h5py.File(results, "r") as f:
                group = f["arms"][next(iter(f["arms"]))]["agents"]
                agents = {name: np.asarray(group[name][0]) for name in group}
            simulated = numpy_core.figures(agents, DAYS)

            print(f"{setting}: figure, simulator, numpy, difference in standard errors")
            for name, (value, se) in simulated.items():
                ref_value, ref_se = reference[name]
                se_difference = math.sqrt(se * se + ref_se * ref_se)
                z = (value - ref_value) / se_difference
                compared += 1
                print(f"  {name:45s} {value:9.5f} {ref_value:9.5f} {z:+6.2f} (SE {se:.5f}, {ref_se:.5f})")
                if not abs(z) <= 4.0:
                    failures.append(f"{setting} {name}: simulator {value:.5f}, numpy {ref_value:.5f}, z = {z:+.2f}")
    if compared < 24:
        failures.append(f"only {compared} figures compared")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
