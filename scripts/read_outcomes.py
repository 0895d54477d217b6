#!/usr/bin/python3
"""Read a recoverysim results file and print, per arm, each outcome's mean over replicates
with a 95% interval, and the clinical-state occupancy on the last day.

    /usr/bin/python3 scripts/read_outcomes.py results/baseline.h5

Only h5py and numpy are needed (Debian: python3-h5py, python3-numpy).
"""
import sys

import h5py
import numpy as np


def main(path: str) -> None:
    with h5py.File(path, "r") as f:
        print(f"{path}: scenario '{f.attrs['scenario_name']}', seed {f.attrs['seed']}, "
              f"recoverysim {f.attrs['software_version']}")
        for arm_name, arm in f["arms"].items():
            counts = arm["state_counts"][...]           # [replicates, days, states]
            replicates, days, _ = counts.shape
            print(f"\narm {arm_name}: {replicates} replicates, {days} days")
            for name, dataset in arm["outcomes"].items():
                values = dataset[...]
                mean = values.mean()
                # Normal-approximation interval of the mean over replicates.
                half = 1.96 * values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
                print(f"  {name:32s} {mean:10.4f}  [{mean - half:.4f}, {mean + half:.4f}]")
            labels = list(arm["state_counts"].attrs["labels"])
            last = counts[:, -1, :].mean(axis=0)
            shares = ", ".join(f"{label} {share:.3f}" for label, share in zip(labels, last / last.sum()))
            print(f"  state on day {days - 1}: {shares}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
