#!/usr/bin/python3
"""The command line as a user drives it: help, schema, validate, run (with its summary and
results file), summarize and compare in every format, the example reader script, and option
errors (exit code 2).

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


for command in ["run", "validate", "schema", "summarize", "compare"]:
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

# summarize and compare on a small staffing sweep: every format, read back by a parser.
import csv
import io
import json

sweep = work / "sweep.h5"
staffing = str(source / "scenarios" / "peer_mentor_staffing.yaml")
p = run("run", staffing, "-q", "--replicates", "3", "--set", "intake.for_days=60", "--set", "days=150", "-o", str(sweep))
check("sweep run", p.returncode == 0, p.stderr)
check("run prints the summary table", "mentors_120" in p.stdout and "[95% interval]" in p.stdout, p.stdout)
arms = ["usual_care"] + [f"mentors_{m}" for m in (10, 20, 40, 60, 80, 100, 120, 140, 160, 200)]

# A requeued run of the same scenario is complete, even if what only the analysis reads differs;
# a run that would count other outcomes is not the same run.
p = run("run", staffing, "-q", "--replicates", "3", "--set", "intake.for_days=60", "--set", "days=150",
        "--set", "analysis.reference_arm=mentors_10", "--resume", "-o", str(sweep))
check("--resume with another reference arm: already complete", p.returncode == 0 and "already complete" in p.stdout,
      p.stdout + p.stderr)
p = run("run", staffing, "-q", "--replicates", "3", "--set", "intake.for_days=60", "--set", "days=150",
        "--set", "analysis.admission_period_days=30", "--resume", "-o", str(sweep))
check("--resume with other outcome periods: refused", p.returncode == 2 and "add --force" in p.stderr, p.stderr)

p = run("summarize", str(sweep))
check("summarize table", p.returncode == 0 and all(a in p.stdout for a in arms)
      and "relapse_by_day_90" in p.stdout and "peer_mentor.wait_mean_days" in p.stdout, p.stdout + p.stderr)
p = run("summarize", str(sweep), "--format", "markdown", "--quantity", "cost_per_participant")
check("summarize markdown", p.returncode == 0 and p.stdout.startswith("| arm") and "| :" in p.stdout
      and "relapse_by_day_90" not in p.stdout and p.stdout.count("\n") == 2 + len(arms), p.stdout + p.stderr)
p = run("summarize", str(sweep), "--format", "csv")
rows = list(csv.DictReader(io.StringIO(p.stdout)))
with h5py.File(sweep) as f:
    direct = f["arms/mentors_20/outcomes/relapse_by_day_90"][...].mean()
    stored = dict(zip([x.decode() if isinstance(x, bytes) else x
                       for x in f["arms/mentors_20/summary/quantities"].attrs["labels"]],
                      f["arms/mentors_20/summary/quantities"][...]))
row = [r for r in rows if r["arm"] == "mentors_20" and r["quantity"] == "relapse_by_day_90"]
check("summarize csv = mean of the replicates", len(row) == 1 and abs(float(row[0]["mean"]) - direct) < 1e-12, row)
check("summarize csv = stored summary", abs(float(row[0]["ci_low"]) - stored["relapse_by_day_90"][1]) < 1e-12, row)
p = run("summarize", str(sweep), "--format", "json")
data = json.loads(p.stdout)
check("summarize json", [a["name"] for a in data["arms"]] == arms
      and data["arms"][2]["sweep_point"] == {"peer_mentor.mentors": "20"}, p.stdout[:400])

p = run("summarize", str(sweep), "--by-period")
check("summarize --by-period: no periods in a 60-day intake", p.returncode == 2 and "no outcomes by admission period"
      in p.stderr, p.stderr)
long_sweep = work / "sweep_periods.h5"
p = run("run", staffing, "-q", "--replicates", "2", "--set", "intake.for_days=200", "--set", "days=260",
        "--set", "analysis.admission_period_days=100", "-o", str(long_sweep))
p = run("summarize", str(long_sweep), "--by-period", "--format", "csv", "--quantity", "relapse_by_day_90")
rows = list(csv.DictReader(io.StringIO(p.stdout)))
periods = sorted({r["period"] for r in rows})
check("summarize --by-period csv: two periods of 100 days",
      p.returncode == 0 and periods == ["admitted on days 0-99", "admitted on days 100-199"], periods)
with h5py.File(long_sweep) as f:
    stored = f["arms/mentors_20/summary/by_admission_period/quantities"]
    labels = [x.decode() if isinstance(x, bytes) else x for x in stored.attrs["labels"]]
    value = stored[1, labels.index("relapse_by_day_90"), 0]
row = [r for r in rows if r["arm"] == "mentors_20" and r["period"] == "admitted on days 100-199"
       and r["quantity"] == "relapse_by_day_90"]
check("summarize --by-period = the stored summary by period", len(row) == 1 and abs(float(row[0]["mean"]) - value) < 1e-12,
      row)

p = run("compare", str(sweep))
lines = {line.split()[0]: line for line in p.stdout.splitlines() if line.startswith("mentors_")}
check("compare table", p.returncode == 0 and set(lines) == set(arms[1:]) and "cost per relapse averted" in p.stdout,
      p.stdout + p.stderr)
p = run("compare", str(sweep), "--format", "json")
data = json.loads(p.stdout)
queue = [next(a for a in json.loads(run("summarize", str(sweep), "--format", "json").stdout)["arms"]
              if a["name"] == name)["quantities"]["peer_mentor.queue_length"]["mean"] for name in arms[1:]]
check("more mentors, shorter queue", all(a >= b for a, b in zip(queue, queue[1:])) and queue[0] > queue[1] > 0, queue)
ce = {a["name"]: a["cost_effectiveness"]["cost_per_relapse_averted"] for a in data["arms"]}
check("cost per relapse averted with an interval", ce["mentors_120"]["ci_low"] is not None
      and ce["mentors_120"]["ci_low"] <= ce["mentors_120"]["mean"] <= ce["mentors_120"]["ci_high"], ce)
p = run("compare", str(sweep), "--reference", "mentors_10", "--format", "csv")
rows = list(csv.DictReader(io.StringIO(p.stdout)))
check("compare --reference", p.returncode == 0 and {r["arm"] for r in rows} == set(arms) - {"mentors_10"}, p.stderr)

# What a new user met: the end-of-run table fits 120 columns, --set is echoed as typed with what
# it changed, asking for more threads than cores is warned about.
p = run("run", str(source / "scenarios" / "peer_mentor_staffing.yaml"), "--replicates", "2", "--set", "days=120",
        "--set", "intake.for_days=60", "-o", str(work / "wide.h5"))
wide = [line for line in p.stdout.splitlines() if len(line) > 120]
check("the end-of-run table fits 120 columns", p.returncode == 0 and not wide and "mentors_200" in p.stdout,
      f"{len(wide)} lines wider than 120: {wide[:2]}")
check("--set is echoed as typed, with what it changed",
      "--set days=120: days 730 -> 120" in p.stderr and "--set intake.for_days=60: intake.for_days 365 -> 60" in p.stderr
      and "--set replicates" not in p.stderr, p.stderr)
p = run("run", baseline, *small, "-o", str(work / "threads.h5"), "--threads", "1000")
check("--threads above the cores: a warning, and the run goes on",
      p.returncode == 0 and "warning: --threads 1000 is more than the" in p.stderr, p.stderr)
p = run("run", baseline, *small, "-o", str(work / "threads2.h5"), "--threads", "1")
check("--threads within the cores: no warning", p.returncode == 0 and "warning" not in p.stderr, p.stderr)

(work / "not_results.h5").write_bytes(b"not an HDF5 file at all")
for args, expected in [
    (["summarize", str(work / "missing.h5")], "missing.h5: no such file"),
    (["summarize", str(work / "not_results.h5")], "not_results.h5: not an HDF5 file"),
    (["summarize", str(sweep), "--quantity", "relapse_by_day_91"], "did you mean 'relapse_by_day_90'"),
    (["compare", str(sweep), "--reference", "mentors_3"], "no arm named 'mentors_3'"),
    (["compare", str(out)], "only one arm"),
]:
    p = run(*args)
    check(" ".join(args), p.returncode == 2 and expected in p.stderr, f"exit {p.returncode}, stderr {p.stderr!r}")

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

# CLI11's own errors and a misspelt command: one line, in the form of every other error.
for args, expected in [
    (["runn", baseline], "recoverysim: error: unknown command 'runn' (did you mean 'run'?)"),
    (["run", baseline, "--threads", "0"], "recoverysim: error: --threads: Value 0 not in range 1 to 1024"),
    (["run", "--threads"], "recoverysim: error: --threads:"),
    (["run", baseline, "extra.yaml"], "recoverysim: error: The following argument was not expected: extra.yaml"),
    ([], "recoverysim: error: A subcommand is required"),
]:
    p = run(*args)
    lines = p.stderr.strip().splitlines()
    check(f"one-line error: {' '.join(args)}", p.returncode == 2 and len(lines) == 1 and lines[0].startswith(expected),
          f"exit {p.returncode}, stderr {p.stderr!r}")

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
