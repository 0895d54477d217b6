#!/usr/bin/python3
"""`recoverysim run --parameter-sets FIT.h5` from the command line, on a fit file written here:
- the run says which calibration's sets the replicates use;
- /uncertain_parameters holds, for each replicate, one set of the fit (both paths from the same);
- one thread and two give the same datasets, byte for byte (scripts/same_results.py);
- `--shard 1/2` + `--shard 2/2` + `merge` equal the single run, and parts whose fit file sat at
  different paths still merge (the sets, not the path, make the run);
- `--resume` on the finished file has nothing to do;
- `validate --parameter-sets` prints the sets in the resolved scenario, and a missing or wrong fit
  file is refused with exit 2.

Usage: test_parameter_sets.py BINARY SOURCE_DIR WORK_DIR
"""
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np

BINARY, SOURCE, WORK = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
SAME = [sys.executable, str(SOURCE / "scripts" / "same_results.py")]
PATHS = ["model.lapse.craving_coefficient", "peer_mentor.matched_relapse_odds_multiplier"]
SETS = [[2.5, 0.75], [3.25, 0.5], [4.0, 0.625], [2.75, 0.875], [3.5, 0.375]]
SCENARIO = """
name: posterior_run
days: 60
replicates: 6
seed: 23
population: {size: 300}
arms:
  - name: usual_care
  - name: mentor
    interventions:
      - {type: peer_mentor, mentors: 4}
"""
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {detail}"))
    if not ok:
        failures.append(what)


def run(*args, expect=0):
    result = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=300)
    if result.returncode != expect:
        sys.exit(f"FAIL: recoverysim {' '.join(map(str, args))}\nexit {result.returncode}, expected {expect}\n"
                 f"{result.stdout}\n{result.stderr}")
    return result


def same(a, b):
    result = subprocess.run(SAME + [str(a), str(b)], capture_output=True, text=True)
    return result.returncode == 0, result.stdout


def write_fit(path, sets=SETS, with_format=True):
    with h5py.File(path, "w") as f:
        if with_format:
            f.attrs["format"] = "recoverysim calibration"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["name"] = "tiny"
        parameters = f.create_group("parameters")
        parameters.attrs["names"] = np.array(PATHS, dtype=h5py.string_dtype())
        parameters["min"] = np.zeros(len(PATHS))
        parameters["max"] = np.full(len(PATHS), 10.0)
        f.create_group("posterior")["parameters"] = np.array(sets, dtype=np.float64)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    scenario = WORK / "scenario.yaml"
    scenario.write_text(SCENARIO)
    fit = WORK / "fit.h5"
    write_fit(fit)

    one = WORK / "one_thread.h5"
    said = run("run", scenario, "--parameter-sets", fit, "--threads", "1", "-o", one).stderr
    check("the run says which posterior sets its replicates use",
          f"each replicate runs with one of the 5 posterior parameter sets of tiny ({fit})" in said, said)
    with h5py.File(one, "r") as f:
        columns = [f["uncertain_parameters/" + p][()] for p in PATHS]
        distribution = f["uncertain_parameters/" + PATHS[0]].attrs["distribution"]
        stored = f.attrs["scenario_yaml"]
    rows = [list(r) for r in zip(*columns)]
    check("every replicate's values are one set of the fit", all(r in SETS for r in rows), rows)
    check("the replicates use more than one set", len({tuple(r) for r in rows}) > 1, rows)
    check("the distribution names the calibration", distribution == "posterior of tiny (5 sets)", distribution)
    check("the stored scenario carries the sets", "parameter_sets:" in stored and "[3.25, 0.5]" in stored)

    two = WORK / "two_threads.h5"
    run("run", scenario, "--parameter-sets", fit, "-q", "--threads", "2", "-o", two)
    ok, detail = same(one, two)
    check("one thread and two give the same results", ok, detail)

    parts = []
    for i in (1, 2):
        parts.append(WORK / f"part{i}.h5")
        run("run", scenario, "--parameter-sets", fit, "-q", "--shard", f"{i}/2", "-o", parts[-1])
    merged = WORK / "merged.h5"
    run("merge", *parts, "-o", merged)
    ok, detail = same(one, merged)
    check("two shards merged equal the single run", ok, detail)

    elsewhere = WORK / "copy" / "fit.h5"
    elsewhere.parent.mkdir()
    shutil.copy(fit, elsewhere)
    moved = WORK / "part2_moved.h5"
    run("run", scenario, "--parameter-sets", elsewhere, "-q", "--shard", "2/2", "-o", moved)
    result = subprocess.run([BINARY, "merge", parts[0], moved, "-o", WORK / "merged_moved.h5"], capture_output=True,
                            text=True)
    check("parts whose fit file was at different paths merge", result.returncode == 0, result.stderr)

    result = run("run", scenario, "--parameter-sets", fit, "-q", "--resume", "-o", one)
    check("--resume of the finished run has nothing to do", "nothing to resume" in result.stdout, result.stdout)
    other = WORK / "other_fit.h5"
    write_fit(other, sets=SETS[:4])
    result = subprocess.run([BINARY, "run", scenario, "--parameter-sets", other, "-q", "--resume", "-o", one],
                            capture_output=True, text=True)
    check("--resume with other sets is not the same run", result.returncode == 2 and "exists" in result.stderr,
          result.stderr)

    resolved = run("validate", scenario, "--parameter-sets", fit).stdout
    check("validate prints the sets in the resolved scenario",
          "parameter_sets:\n  source: \"" + str(fit) + "\"\n  name: \"tiny\"\n" in resolved, resolved[-600:])

    result = subprocess.run([BINARY, "run", scenario, "--parameter-sets", WORK / "none.h5", "-o", WORK / "x.h5"],
                            capture_output=True, text=True)
    check("a missing fit file is refused", result.returncode == 2 and f"{WORK / 'none.h5'}: no such file" in
          result.stderr, result.stderr)
    unformatted = WORK / "unformatted.h5"
    write_fit(unformatted, with_format=False)
    result = subprocess.run([BINARY, "run", scenario, "--parameter-sets", unformatted, "-o", WORK / "x.h5"],
                            capture_output=True, text=True)
    check("a file that is not a calibration is refused",
          result.returncode == 2 and f"{unformatted}: not a calibration file" in result.stderr, result.stderr)
    check("nothing is written after a refusal", not (WORK / "x.h5").exists())

    if failures:
        sys.exit(f"{len(failures)} check(s) failed: {failures}")
    print("all checks passed")


main()
