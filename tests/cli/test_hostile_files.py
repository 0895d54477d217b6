#!/usr/bin/python3
"""Results files and parts altered with h5py, as a hostile or unlucky user would: each is refused
with exit 2 and a one-line message naming the file and the dataset, by every command that reads
it (summarize, compare, recommend, export, scenario, merge), never read as numbers.

Usage: test_hostile_files.py BINARY SOURCE_DIR WORK_DIR
"""
import os
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np

BINARY, SOURCE, WORK = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
SMALL = ["--replicates", "4", "--set", "intake.for_days=40", "--set", "days=60", "-q"]
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {detail}"))
    if not ok:
        failures.append(what)


def run(*args, env=None):
    return subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env=None if env is None else {**os.environ, **env})


def refused(what, args, *expected):
    p = run(*args)
    lines = p.stderr.strip().splitlines()
    ok = p.returncode == 2 and len(lines) == 1 and lines[0].startswith("recoverysim: error: ") and all(
        e in lines[0] for e in expected)
    check(what, ok, f"exit {p.returncode}, stderr {p.stderr!r}")


def altered(source, name, change):
    target = WORK / name
    shutil.copy(source, target)
    with h5py.File(target, "r+") as f:
        change(f)
    return target


def replace(f, path, data):
    attrs = dict(f[path].attrs)
    del f[path]
    f.create_dataset(path, data=data)
    for k, v in attrs.items():
        f[path].attrs[k] = v


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    scenario = SOURCE / "scenarios" / "combined.yaml"
    whole = WORK / "whole.h5"
    p = run("run", scenario, *SMALL, "-o", whole)
    if p.returncode != 0:
        sys.exit(f"FAIL: run: {p.stderr}")
    parts = [WORK / f"part{i}.h5" for i in (1, 2)]
    for i, part in enumerate(parts, 1):
        # One replicate to a unit (test-only), so that every arm has units in both parts.
        p = run("run", scenario, *SMALL, "--shard", f"{i}/2", "-o", part, env={"RECOVERYSIM_UNIT_REPLICATES": "1"})
        if p.returncode != 0:
            sys.exit(f"FAIL: run --shard: {p.stderr}")
    with h5py.File(whole) as f:
        arm = [a for a in f["arms"] if "modules" in f[f"arms/{a}"]][0]  # an arm with a module
        plain = list(f["arms"])[0]

    readers = [["summarize"], ["compare"], ["recommend", "--wtp", "1000"], ["export"], ["scenario"]]

    # 1. A shard's part is not a results file.
    for command in readers:
        refused(f"{command[0]} refuses a shard's part", [command[0], parts[0], *command[1:]], str(parts[0]), "part 1/2",
                "merge")

    # 6. Datasets of the wrong shape.
    short = altered(whole, "short_agents.h5",
                    lambda f: replace(f, f"arms/{plain}/agents/first_relapse_day",
                                      f[f"arms/{plain}/agents/first_relapse_day"][:, :10]))
    for command in readers:
        refused(f"{command[0]} refuses a per-agent column shorter than the file says",
                [command[0], short, *command[1:]], str(short), f"/arms/{plain}/agents/first_relapse_day", "shape")
    table = altered(whole, "short_table.h5",
                    lambda f: replace(f, f"arms/{plain}/tables/relapse/event_table",
                                      f[f"arms/{plain}/tables/relapse/event_table"][:, :, :20, :]))
    refused("summarize refuses a count table shorter than the horizon", ["summarize", table],
            f"/arms/{plain}/tables/relapse/event_table")
    missing = altered(whole, "missing_outcome.h5", lambda f: f.__delitem__(f"arms/{plain}/outcomes/deaths"))
    refused("summarize refuses a missing outcome", ["summarize", missing], f"/arms/{plain}/outcomes/deaths: missing")
    text = altered(whole, "text_counts.h5", lambda f: replace(
        f, f"arms/{plain}/state_counts", np.full(f[f"arms/{plain}/state_counts"].shape, "x", dtype="S1")))
    refused("summarize refuses text where numbers belong", ["summarize", text], "state_counts", "stored as string")
    incomplete = altered(whole, "incomplete.h5", lambda f: f["tasks/complete"].__setitem__((0, 1), 0))
    refused("summarize refuses a file that lacks a task", ["summarize", incomplete], "incomplete: 1 of")
    no_arm = altered(whole, "no_arm.h5", lambda f: f.__delitem__(f"arms/{arm}"))
    refused("summarize refuses a file without an arm of its scenario", ["summarize", no_arm], f"/arms/{arm}: missing")

    # 9. Format versions: a newer one is refused, and so is a file without one.
    newer = altered(whole, "newer.h5", lambda f: f.attrs.__setitem__("format_version", np.int64(99)))
    refused("a newer format_version is refused", ["summarize", newer], "newer recoverysim (format_version 99)")
    no_version = altered(whole, "no_version.h5", lambda f: f.attrs.__delitem__("format_version"))
    refused("a file without format_version is refused", ["summarize", no_version], "format_version missing")
    version_1 = altered(whole, "format6.h5", lambda f: f.attrs.__setitem__("format_version", np.int64(6)))
    refused("a file of model version 1 (format 6) is refused, advising to run it again", ["summarize", version_1],
            "format_version 6", "reads versions 9 to", "run the scenario again")
    version_7 = altered(whole, "format7.h5", lambda f: f.attrs.__setitem__("format_version", np.int64(7)))
    refused("a file of format 7 (one medication setting) is refused, advising to run it again",
            ["summarize", version_7], "format_version 7", "reads versions 9 to", "run the scenario again")
    version_8 = altered(whole, "format8.h5", lambda f: f.attrs.__setitem__("format_version", np.int64(8)))
    refused("a file of format 8 (four treatment statuses) is refused, advising to run it again",
            ["summarize", version_8], "format_version 8", "reads versions 9 to", "run the scenario again")

    # 7. merge checks the parts' datasets.
    merged = WORK / "merged.h5"
    p = run("merge", *parts, "-o", merged)
    check("the untouched parts merge", p.returncode == 0, p.stderr)
    with h5py.File(parts[1]) as f:
        unit = sorted(f["units"])[0]  # a part holds its own work units
    gone = altered(parts[1], "part2_missing.h5", lambda f: f.__delitem__(f"units/{unit}/agents/severity"))
    refused("merge refuses a part with a missing column", ["merge", parts[0], gone, "-o", WORK / "m1.h5"],
            str(gone), f"units/{unit}/agents/severity", "missing")
    retyped = altered(parts[1], "part2_retyped.h5", lambda f: replace(
        f, f"units/{unit}/agents/severity", f[f"units/{unit}/agents/severity"][...].astype(np.float64)))
    refused("merge refuses a part whose column has another type", ["merge", parts[0], retyped, "-o", WORK / "m2.h5"],
            "agents/severity", "float64", "float32")
    shifted = altered(parts[1], "part2_shifted.h5",
                      lambda f: f[f"units/{unit}"].attrs.__setitem__("first_replicate", np.int64(10**6)))
    refused("merge refuses a unit outside the run's replicates", ["merge", parts[0], shifted, "-o", WORK / "m4.h5"],
            str(shifted), f"units/{unit}", "outside the scenario's")
    old_part = altered(parts[1], "part2_v5.h5", lambda f: f.attrs.__setitem__("format_version", np.int64(5)))
    refused("merge refuses a part of the old layout", ["merge", parts[0], old_part, "-o", WORK / "m5.h5"],
            str(old_part), "format_version 5", "run the scenario again")
    refused("merge refuses a whole file given as a part", ["merge", parts[0], whole, "-o", WORK / "m3.h5"],
            str(whole), "not the part")
    check("refused merges write nothing", not any((WORK / m).exists() for m in ("m1.h5", "m2.h5", "m3.h5", "m4.h5", "m5.h5")))
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
