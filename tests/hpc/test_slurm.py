#!/usr/bin/python3
"""End-to-end test of the Slurm scripts on a real one-node cluster started on this machine:
scripts/slurm/submit.sh --wait runs a small scenario as a job array of 3 shards plus a merge
job, and the merged results must be identical to the same scenario run in one process; a
small calibration through scripts/slurm/calibrate.sbatch, as one task and as two MPI ranks,
must give the fit of one process. A failing shard must make submit.sh --wait fail (the merge
is cancelled, not left pending).

Usage: test_slurm.py RECOVERYSIM SOURCE_DIR WORK_DIR

Needs root (to start slurmctld, slurmd and munged) and the slurm-wlm and munge packages.
Without them it exits 77 (skipped), unless the CI environment variable is set, where it fails.
The cluster's state lives in WORK_DIR/slurm-state; the cluster is stopped at the end.
Exit 0 when everything passed, 1 otherwise. Takes about 30 s.
"""
import os
import pathlib
import shutil
import subprocess
import sys
import time

binary = str(pathlib.Path(sys.argv[1]).resolve())
source = pathlib.Path(sys.argv[2]).resolve()
work = pathlib.Path(sys.argv[3]).resolve()
scripts = source / "scripts" / "slurm"
state = work / "slurm-state"
scenario = str(source / "scenarios" / "peer_mentor_staffing.yaml")
small = ["--replicates", "4", "--set", "days=150", "--set", "intake.for_days=60"]
ci = bool(os.environ.get("CI"))


# A calibration of two parameters to two figures, about 5 s in one process.
CALIBRATION_SCENARIO = """name: tiny
days: 120
population: {substance: {alcohol: 1, opioid: 0, stimulant: 0}}
"""
CALIBRATION = """name: tiny
targets:
  - {id: completion, scenario: {file: scenario.yaml}, measure: {quantity: first_episode_completion},
     observed: {count: 110, n: 250}}
  - {id: relapse90, scenario: {file: scenario.yaml}, measure: {quantity: relapse_by_day_90},
     observed: {value: 0.3, sd: 0.03}}
parameters:
  - {path: model.lapse.base_hazard_per_day.alcohol, min: 0.001, max: 0.02, scale: log}
  - {path: treatment.settings.outpatient.dropout_base_hazard_per_day, min: 0.002, max: 0.03, scale: log}
method: {waves: 2, posterior_waves: 1, points_per_wave: 32, agents: 1000, replicates: 2, posterior_samples: 100}
"""


def skip(reason):
    if ci:
        print(f"FAIL: {reason} (CI is set, so this is not skipped)")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(77)


class Failure(Exception):
    pass


def run(command, timeout, env=None, check=True):
    """Runs a command, failing with its output if it exits non-zero or takes too long."""
    started = time.monotonic()
    try:
        p = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout,
                           env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        output = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
        raise Failure(f"{' '.join(map(str, command))}: no result after {timeout} s\n{output}")
    print(f"  {pathlib.Path(str(command[0])).name}: exit {p.returncode} in {time.monotonic() - started:.1f} s")
    if check and p.returncode != 0:
        raise Failure(f"{' '.join(map(str, command))}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def show_logs():
    """Prints the jobs' logs and the end of the daemons' logs, to see why something failed."""
    for log in sorted(work.glob("*/slurm-*.out")) + sorted(state.glob("log/*.log")):
        lines = log.read_text(errors="replace").splitlines()
        print(f"---- {log}" + (" (last 30 lines)" if len(lines) > 30 else ""))
        print("\n".join(lines[-30:]))


if os.geteuid() != 0:
    skip("needs root to start a local Slurm cluster")
missing = [tool for tool in ["slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "munged"]
           if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None]
if missing:
    skip(f"{', '.join(missing)} not installed (Debian/Ubuntu: apt-get install slurm-wlm munge)")
if not os.access(binary, os.X_OK):
    print(f"FAIL: {binary} is not an executable")
    sys.exit(1)

# A cluster left running by an interrupted earlier run would hold the ports: stop it first.
if state.exists():
    run([scripts / "stop-local-cluster.sh", state], timeout=60, check=False)
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)

failed = False
started = time.monotonic()
try:
    print("starting the local cluster")
    p = run([scripts / "start-local-cluster.sh", state], timeout=60)
    exports = [line for line in p.stdout.splitlines() if line.startswith("export SLURM_CONF=")]
    if len(exports) != 1:
        raise Failure(f"start-local-cluster.sh printed no `export SLURM_CONF=` line:\n{p.stdout}{p.stderr}")
    env = dict(os.environ, SLURM_CONF=exports[0].split("=", 1)[1], RECOVERYSIM=binary,
               CPUS_PER_TASK="1", MEM="256M", TIME="00:05:00")
    env.pop("RECOVERYSIM_ARGS", None)

    p = run([scripts / "start-local-cluster.sh", state], timeout=60)
    if "already running" not in p.stderr or p.stdout != f"{exports[0]}\n":
        raise Failure(f"starting the running cluster again should only say so:\n{p.stdout}{p.stderr}")

    print("3 shards and a merge through submit.sh --wait")
    sharded = work / "sharded"
    p = run([scripts / "submit.sh", "--wait", scenario, "3", sharded, "-q", *small], timeout=180, env=env)
    if "array job " not in p.stdout or "merge job " not in p.stdout:
        raise Failure(f"submit.sh did not print the job ids:\n{p.stdout}")
    parts = sorted(path.name for path in sharded.glob("part_*.h5"))
    if parts != ["part_1.h5", "part_2.h5", "part_3.h5"]:
        raise Failure(f"expected 3 part files, found {parts}")
    if not (sharded / "results.h5").exists():
        raise Failure("the merge job wrote no results.h5")

    print("the same scenario in one process")
    single = work / "single.h5"
    run([binary, "run", scenario, "-q", *small, "--threads", "1", "-o", single], timeout=120)
    p = run(["/usr/bin/python3", source / "scripts" / "same_results.py", single, sharded / "results.h5"],
            timeout=120, check=False)
    if p.returncode != 0:
        raise Failure(f"the merged results differ from the one-process run:\n{p.stdout}{p.stderr}")

    # Under a sanitizer the model runs ~25 times slower: the calibrate.* tests check the same
    # fits there, so the jobs run only in the release suite.
    for ranks in () if os.environ.get("RECOVERYSIM_TEST_SANITIZED") == "1" else (1, 2):
        print(f"a calibration as one job (calibrate.sbatch, {ranks} task(s)) gives the fit of one process")
        calibrated = work / f"calibrate-{ranks}"
        calibrated.mkdir()
        (calibrated / "scenario.yaml").write_text(CALIBRATION_SCENARIO)
        (calibrated / "calibration.yaml").write_text(CALIBRATION)
        run(["sbatch", "--wait", f"--ntasks={ranks}", "--cpus-per-task=1", "--mem-per-cpu=256M", "--time=00:05:00",
             f"--chdir={calibrated}", f"--output={calibrated}/slurm-calibrate-%j.out",
             f"--export=ALL,CALIBRATION={calibrated / 'calibration.yaml'},OUTPUT={calibrated / 'fit.h5'}",
             scripts / "calibrate.sbatch", "-q"], timeout=240, env=env)
        if ranks == 1:
            run([binary, "calibrate", calibrated / "calibration.yaml", "-q", "--threads", "1", "-o",
                 work / "calibrate-single.h5"], timeout=120)
        # The calibration file's path differs between the jobs' directories; nothing else may.
        p = run(["/usr/bin/python3", source / "scripts" / "same_results.py", work / "calibrate-single.h5",
                 calibrated / "fit.h5", "--ignore-attribute", "calibration_file", "--ignore-attribute",
                 "scenario_files"], timeout=120, check=False)
        if p.returncode != 0:
            raise Failure(f"the job's fit differs from the one-process fit:\n{p.stdout}{p.stderr}")

    print("a failing shard makes submit.sh --wait fail")
    broken = work / "broken"
    p = run([scripts / "submit.sh", "--wait", scenario, "2", broken, "-q", *small, "--set", "no.such_key=1"],
            timeout=120, env=env, check=False)
    if p.returncode == 0 or (broken / "results.h5").exists():
        raise Failure(f"submit.sh --wait succeeded although every shard failed:\n{p.stdout}{p.stderr}")
    if "no.such_key" not in p.stderr:
        raise Failure(f"submit.sh did not show the failing shard's error:\n{p.stdout}{p.stderr}")
except Failure as e:
    failed = True
    print(f"FAIL: {e}")
    show_logs()
finally:
    print("stopping the local cluster")
    p = subprocess.run([str(scripts / "stop-local-cluster.sh"), str(state)], capture_output=True, text=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        failed = True
        print(f"FAIL: stop-local-cluster.sh: exit {p.returncode}\n{p.stdout}{p.stderr}")

print(f"{'FAILED' if failed else 'passed'} in {time.monotonic() - started:.0f} s")
sys.exit(1 if failed else 0)
