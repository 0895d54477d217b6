#!/usr/bin/python3
"""`recoverysim calibrate` gives the same fit whatever runs it: 1 or 2 threads, MPI with 2 and 3
ranks, and a calibration killed with SIGKILL part-way through a wave then resumed. Each fit is
compared dataset by dataset, byte for byte, with scripts/same_results.py.

Usage: test_calibrate.py CHECK BINARY SOURCE_DIR WORK_DIR
CHECK: threads | resume | mpi
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "support"))
from processes import MPI_ENV, Checks, kill_session, run, start_in_session, wait_for  # noqa: E402

CHECK, BINARY, SOURCE, WORK = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]) / sys.argv[1]
SANITIZED = os.environ.get("RECOVERYSIM_TEST_SANITIZED") == "1"
# Blocks of 8 sets; under a sanitizer the model runs ~25 times slower, so the fit shrinks.
POINTS, AGENTS = (24, 300) if SANITIZED else (96, 3000)

SCENARIO = """name: tiny
days: 180
population:
  substance: {alcohol: 0.6, opioid: 0.4, stimulant: 0}
treatment:
  setting: outpatient
"""
CALIBRATION = f"""name: tiny
targets:
  - id: completion
    scenario: {{file: scenario.yaml}}
    measure: {{quantity: first_episode_completion}}
    observed: {{count: 240, n: 500}}
  - id: relapse90
    scenario: {{file: scenario.yaml}}
    measure: {{quantity: relapse_by_day_90}}
    observed: {{value: 0.35, range: [0.3, 0.4]}}
    tolerance: [0.28, 0.42]
  - id: relapse180
    scenario: {{file: scenario.yaml}}
    measure: {{quantity: relapse_by_day_180}}
    observed: {{value: 0.5, sd: 0.03}}
    held_out: true
parameters:
  - {{path: model.lapse.base_hazard_per_day.alcohol, min: 0.001, max: 0.02, scale: log}}
  - {{path: treatment.settings.outpatient.dropout_base_hazard_per_day, min: 0.002, max: 0.03, scale: log}}
  - {{path: model.relapse.intercept, min: -3, max: 1}}
method: {{waves: 2, posterior_waves: 1, points_per_wave: {POINTS}, agents: {AGENTS}, replicates: 2,
         posterior_samples: 200, seed: 3}}
"""

checks = Checks(SOURCE)


def calibrate(output, *extra, env=None, launcher=()):
    return run([*launcher, BINARY, "calibrate", WORK / "calibration.yaml", "-o", output, "-q", *extra], env=env,
               timeout=600)


def kill_part_way(output, blocks):
    """Starts a calibration and kills it (SIGKILL) once `blocks` blocks of sets are on disk."""
    staging = Path(str(output) + ".partial.d")
    process = start_in_session([BINARY, "calibrate", WORK / "calibration.yaml", "-o", output, "-q", "--threads", "1"])
    wait_for(process, lambda: len(list(staging.glob("wave-*-block-*.txt.sum"))) >= blocks,
             f"{blocks} finished blocks", 300)
    kill_session(process)
    finished = len(list(staging.glob("wave-*-block-*.txt.sum")))
    total = 3 * POINTS // 8
    print(f"killed with {finished} of {total} blocks finished")
    checks.check(not output.exists(), "a killed calibration leaves no fit")
    if finished >= total:
        sys.exit("FAIL: every block finished before the kill; nothing was resumed")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    (WORK / "scenario.yaml").write_text(SCENARIO)
    (WORK / "calibration.yaml").write_text(CALIBRATION)
    single = WORK / "single.h5"
    calibrate(single, "--threads", "1")

    if CHECK == "threads":
        two = WORK / "two.h5"
        calibrate(two, "--threads", "2")
        checks.same(single, two, "2 threads give the fit of 1 thread")
    elif CHECK == "resume":
        killed = WORK / "killed.h5"
        kill_part_way(killed, 2)
        refused = subprocess.run([BINARY, "calibrate", WORK / "calibration.yaml", "-o", killed, "-q"],
                                 capture_output=True, text=True)
        checks.check(refused.returncode == 2 and "--resume" in refused.stderr,
                     "calibrating again without --resume is refused", f"exit {refused.returncode}, {refused.stderr!r}")
        calibrate(killed, "--resume", "--threads", "2")
        checks.same(single, killed, "a calibration killed part-way and resumed gives the uninterrupted fit")
        checks.check(not Path(str(killed) + ".partial.d").exists(),
                     "the resumed calibration leaves no staging directory")
        # Killed again in a later wave: the first wave's blocks are reused.
        again = WORK / "again.h5"
        kill_part_way(again, POINTS // 8 + 2)
        calibrate(again, "--resume")
        checks.same(single, again, "... also when killed in the second wave")
    elif CHECK == "mpi":
        for ranks in (2, 3):
            out = WORK / f"mpi{ranks}.h5"
            calibrate(out, "--threads", "1", env=MPI_ENV, launcher=("mpirun", "--oversubscribe", "-np", str(ranks)))
            checks.same(single, out, f"MPI with {ranks} ranks gives the fit of one process")
    checks.finish()
    print("all checks passed")


if __name__ == "__main__":
    main()
