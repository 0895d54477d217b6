#!/usr/bin/python3
"""The command line as a user drives it: help, schema, validate, run (with its summary and
results file), the example reader script, and option errors (exit code 2).

Usage: test_commands.py RECOVERYSIM SOURCE_DIR WORK_DIR
"""
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np

binary, source, work = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
baseline = str(source / "scenarios" / "baseline.yaml")
small = ["--set", "population.size=2000", "--set", "days=60", "--replicates", "2", "-q"]
results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    results["passed" if condition else "failed"] += 1
    if not condition:
        print(f"FAIL {name}: {detail}")


def run(*args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=300, cwd=work)


for command in ["run", "validate", "schema"]:
    p = run(command, "--help")
    check(f"{command} --help", p.returncode == 0 and "Usage" in p.stdout, p.stdout + p.stderr)

p = run("schema")
check("schema yaml", p.returncode == 0 and "key: population.size" in p.stdout and "unit: per day" in p.stdout)
p = run("schema", "--format", "markdown")
check("schema markdown", p.returncode == 0 and "| `treatment.setting` | choice | `outpatient`" in p.stdout)

p = run("validate", baseline)
check("validate", p.returncode == 0 and "size: 10000" in p.stdout and "stable_after_days: 90" in p.stdout, p.stderr)
p = run("validate", baseline, "--set", "population.size=42")
check("validate --set", p.returncode == 0 and "size: 42" in p.stdout, p.stderr)

out = work / "small.h5"
p = run("run", baseline, *small, "-o", str(out), "--threads", "2")
check("run exit code", p.returncode == 0, p.stderr)
check("run summary line", "1 arm(s) x 2 replicates x 2000 agents x 60 days" in p.stdout
      and "usual_care" in p.stdout, p.stdout)
check("run writes the file", out.exists() and not out.with_name(out.name + ".partial").exists())
check("no progress bar off a terminal", "\r" not in p.stderr, repr(p.stderr))

p = run("run", baseline, *small, "-o", str(work / "one_thread.h5"), "--threads", "1")
with h5py.File(out) as a, h5py.File(work / "one_thread.h5") as b:
    for name in ["state_counts", "treatment_counts", "agents/first_relapse_day", "outcomes/relapse_by_day_30"]:
        path = f"arms/usual_care/{name}"
        check(f"threads 1 == threads 2: {path}", np.array_equal(a[path][...], b[path][...]))

p = subprocess.run(["/usr/bin/python3", str(source / "scripts" / "read_outcomes.py"), str(out)],
                   capture_output=True, text=True, timeout=120)
check("read_outcomes.py runs", p.returncode == 0, p.stderr)
check("read_outcomes.py prints outcomes", "relapse_by_day_30" in p.stdout and "usual_care" in p.stdout, p.stdout)

for args, expected in [
    (["run", "does_not_exist.yaml"], "does_not_exist.yaml: cannot open scenario file"),
    (["run", baseline, "--set", "population.sise=5"], "did you mean 'population.size'"),
    (["run", baseline, "--set", "days=0"], "days: expected an integer in [1, 32767], got '0' (out of range)"),
    (["run", baseline, "--threads", "0"], "--threads"),
    (["run", baseline, "--no-such-option"], "no-such-option"),
    (["validate"], "scenario"),
    (["schema", "--format", "html"], "html"),
]:
    p = run(*args)
    check(" ".join(args), p.returncode == 2 and expected in p.stderr, f"exit {p.returncode}, stderr {p.stderr!r}")

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
