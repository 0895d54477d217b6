#!/usr/bin/python3
"""HPC runs give the same results as one process: shards + merge, MPI ranks, and runs killed
with SIGKILL then resumed. Each check compares every dataset byte for byte with
scripts/same_results.py.

Usage: test_hpc.py CHECK BINARY SOURCE_DIR WORK_DIR
CHECK: shards | refusals | resume | mpi | mpi-resume
"""
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from processes import MPI_ENV, SANITIZED, Checks, kill_session, run, start_in_session, wait_for  # noqa: E402

CHECK, BINARY, SOURCE, WORK = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]) / sys.argv[1]
# A sweep of 11 arms, a module and a parameter drawn per replicate, with the event record:
# every kind of dataset.
STAFFING = [str(SOURCE / "scenarios" / "peer_mentor_staffing.yaml"), "-q", "--replicates", "4", "--set", "days=150",
            "--set", "intake.for_days=60", "--set", "output.events=true",
            "--set", "model.lapse.craving_coefficient={dist: normal, mean: 2, sd: 0.3}"]
# One arm in work units of 3 replicates (~0.1 s each): long enough to be killed part-way. Under a
# sanitizer (processes.SANITIZED) 3 units instead of 20, of a quarter of the cohort.
LONG_UNITS, KILL_AFTER = (3, 1) if SANITIZED else (20, 3)
LONG = [str(SOURCE / "scenarios" / "baseline.yaml"), "-q", "--replicates", str(3 * LONG_UNITS),
        "--set", f"population.size={5000 if SANITIZED else 20000}"]
MPIRUN = ["mpirun", "--oversubscribe"]

checks = Checks(SOURCE)


def check_refused(args, message, what):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    checks.check(result.returncode == 2 and message in result.stderr, what,
                 f"exit {result.returncode}, stderr: {result.stderr!r}, expected exit 2 and {message!r}")


def reference(args, name="single.h5"):
    out = WORK / name
    run([BINARY, "run", *args, "-o", out])
    return out


def start_part_way(command, output, env=None):
    """Starts a run in a session of its own and returns it once KILL_AFTER units are finished."""
    staging = Path(str(output) + ".partial.d")
    process = start_in_session(command, env)
    wait_for(process, lambda: staging.is_dir() and len(list(staging.glob("unit-*.h5"))) >= KILL_AFTER,
             f"{KILL_AFTER} finished units", 120)
    return process


def kill_part_way(command, output, env=None):
    """Starts a run, kills it (SIGKILL, every process it started) once KILL_AFTER units are finished."""
    staging = Path(str(output) + ".partial.d")
    kill_session(start_part_way(command, output, env))
    finished = len(list(staging.glob("unit-*.h5")))
    print(f"killed with {finished} of {LONG_UNITS} units finished")
    checks.check(not output.exists() and not Path(str(output) + ".partial").exists(),
                 "a killed run leaves no file under the final or the partial name")
    if finished >= LONG_UNITS:
        sys.exit("FAIL: every unit finished before the kill; nothing was resumed")


def check_busy(command, output, second, env=None):
    """While a run writes to output, a second run on it (with and without --resume) is refused."""
    running = start_part_way(command, output, env)
    try:
        busy = "another run is writing to"
        check_refused(second + ["--resume", "-o", output], busy, "a second run on a running output is refused")
        check_refused(second + ["-o", output], busy, "... also without --resume, which would say 'add --resume'")
        checks.check(running.poll() is None, "the first run survives a second run's attempt")
    finally:
        kill_session(running)
    shutil.rmtree(Path(str(output) + ".partial.d"))


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    if CHECK == "shards":
        single = reference(STAFFING)
        for count in (3, 10):  # 10 shards: some parts hold few units
            parts = [WORK / f"part{count}_{i}.h5" for i in range(1, count + 1)]
            for i, part in enumerate(parts, 1):
                # Parts may differ in what only the analysis reads (here the reference arm): the
                # merged file takes the first part's, and its datasets are still one run's.
                analysis_only = ["--set", "analysis.reference_arm=mentors_20"] if i == 2 else []
                run([BINARY, "run", *STAFFING, *analysis_only, "--shard", f"{i}/{count}", "-o", part])
            merged = WORK / f"merged_{count}.h5"
            run([BINARY, "merge", *reversed(parts), "-o", merged])
            checks.same(single, merged, f"{count} shards merged equal one process")
        # One unit in all: shard 1/2 holds every task, shard 2/2 none; both are still parts.
        small = [str(SOURCE / "scenarios" / "baseline.yaml"), "-q", "--replicates", "3", "--set", "population.size=2000"]
        single = reference(small, "single_small.h5")
        parts = [WORK / "small_1.h5", WORK / "small_2.h5"]
        for i, part in enumerate(parts, 1):
            run([BINARY, "run", *small, "--shard", f"{i}/2", "-o", part])
        merged = WORK / "merged_small.h5"
        run([BINARY, "merge", *parts, "-o", merged])
        checks.same(single, merged, "a part that holds every task and an empty one merge into the whole run")
    elif CHECK == "refusals":
        parts = [WORK / f"part_{i}.h5" for i in (1, 2, 3)]
        for i, part in enumerate(parts, 1):
            run([BINARY, "run", *STAFFING, "--shard", f"{i}/3", "-o", part])
        foreign = WORK / "foreign_3.h5"
        run([BINARY, "run", *STAFFING, "--seed", "7", "--shard", "3/3", "-o", foreign])
        other_scenario = WORK / "other_3.h5"
        run([BINARY, "run", *STAFFING, "--set", "days=151", "--shard", "3/3", "-o", other_scenario])
        other_outcomes = WORK / "other_outcomes_3.h5"
        run([BINARY, "run", *STAFFING, "--set", "analysis.admission_period_days=30", "--shard", "3/3", "-o",
             other_outcomes])
        other_split = WORK / "split_3.h5"
        run([BINARY, "run", *STAFFING, "--shard", "3/4", "-o", other_split])
        whole = reference(STAFFING)
        truncated = WORK / "truncated_3.h5"
        truncated.write_bytes(parts[2].read_bytes()[:4096])
        out = WORK / "merged.h5"
        merge = [BINARY, "merge"]
        check_refused([*merge, parts[0], parts[1], "-o", out], "shard(s) 3 of 3 missing", "a missing part is refused")
        check_refused([*merge, *parts[:2], foreign, "-o", out], "seed 7, but", "a part of another seed is refused")
        check_refused([*merge, *parts[:2], other_scenario, "-o", out], "a different scenario than",
                      "a part of another scenario is refused")
        check_refused([*merge, *parts[:2], other_outcomes, "-o", out], "admission_period_days: 30.0",
                      "a part that counted its outcomes by other periods is refused")
        check_refused([*merge, *parts, other_split, "-o", out], "shard 3/4, but", "a part of another split is refused")
        check_refused([*merge, *parts, parts[1], "-o", out], "shard 2/3 given twice", "a duplicated part is refused")
        check_refused([*merge, *parts[:2], whole, "-o", out], "a whole results file", "a whole file is refused")
        check_refused([*merge, *parts[:2], truncated, "-o", out], "truncated", "a truncated part is refused")
        check_refused([*merge, *parts[:2], WORK / "absent.h5", "-o", out], "no such file", "a missing file is refused")
        checks.check(not out.exists(), "a refused merge writes no output")
    elif CHECK == "resume":
        single = reference(LONG)
        killed = WORK / "killed.h5"
        check_busy([BINARY, "run", *LONG, "-o", killed], killed, [BINARY, "run", *LONG])
        kill_part_way([BINARY, "run", *LONG, "-o", killed], killed)
        check_refused([BINARY, "run", *LONG, "-o", killed], "add --resume", "rerunning without --resume is refused")
        check_refused([BINARY, "run", *LONG, "--seed", "5", "--resume", "-o", killed], "cannot resume",
                      "resuming with another seed is refused")
        result = run([BINARY, "run", *LONG, "--resume", "-o", killed])
        print(result.stdout.splitlines()[1] if len(result.stdout.splitlines()) > 1 else result.stdout)
        checks.same(single, killed, "a run killed part-way and resumed equals an uninterrupted run")
        checks.check(not Path(str(killed) + ".partial.d").exists(), "a complete run leaves no staging directory")
        # The same for one shard of a job array.
        shard = WORK / "shard_1.h5"
        run([BINARY, "run", *LONG, "--shard", "1/2", "-o", shard])
        killed_shard = WORK / "killed_shard_1.h5"
        kill_part_way([BINARY, "run", *LONG, "--shard", "1/2", "-o", killed_shard], killed_shard)
        run([BINARY, "run", *LONG, "--shard", "1/2", "--resume", "-o", killed_shard])
        checks.same(shard, killed_shard, "a shard killed part-way and resumed equals an uninterrupted shard")
    elif CHECK == "mpi":
        single = reference(STAFFING)
        for ranks in (2, 3):  # 3 ranks on 2 cores: oversubscribed
            out = WORK / f"mpi_{ranks}.h5"
            run([*MPIRUN, "-n", str(ranks), BINARY, "run", *STAFFING, "-o", out], env=MPI_ENV)
            checks.same(single, out, f"mpirun -n {ranks} equals one process")
    elif CHECK == "mpi-resume":
        single = reference(LONG)
        killed = WORK / "killed_mpi.h5"
        check_busy([*MPIRUN, "-n", "2", BINARY, "run", *LONG, "-o", killed], killed, [BINARY, "run", *LONG], env=MPI_ENV)
        kill_part_way([*MPIRUN, "-n", "2", BINARY, "run", *LONG, "-o", killed], killed, env=MPI_ENV)
        run([*MPIRUN, "-n", "3", BINARY, "run", *LONG, "--resume", "-o", killed], env=MPI_ENV)
        checks.same(single, killed, "an MPI run killed part-way and resumed on 3 ranks equals one process")
    else:
        sys.exit(f"unknown check {CHECK}")
    checks.finish()
    print("all checks passed")


if __name__ == "__main__":
    main()
