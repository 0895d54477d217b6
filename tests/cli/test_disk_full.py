#!/usr/bin/python3
"""A run that cannot write: past a file-size limit, on a full file system, into a directory it
cannot write to. Each must stop with a message naming the cause, leave no file under the
output's name (final or .partial), keep the finished units, and, once the cause is gone, resume
to the same results as an uninterrupted run.

The file-size limit (RLIMIT_FSIZE, as `ulimit -f`) needs nothing special. The full and the
read-only file systems are small tmpfs mounts, which need root; without it those parts are
reported as skipped (CI runs as root).

Usage: test_disk_full.py BINARY SOURCE_DIR WORK_DIR
"""
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

BINARY, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
SAME = ["/usr/bin/python3", str(SOURCE / "scripts" / "same_results.py")]
# Two work units of 3 replicates: about 1.1 MB each in the staging directory, 2.2 MB assembled.
RUN = [str(SOURCE / "scenarios" / "baseline.yaml"), "-q", "--replicates", "6", "--set", "population.size=20000"]
failures = []


def check(condition, what, detail=""):
    print(("ok: " if condition else "FAIL: ") + what + ("" if condition else f"\n  {detail}"))
    if not condition:
        failures.append(what)


def run(args, file_size_limit=None):
    def limit():
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
    return subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=600, preexec_fn=limit)


def units_in(output):
    return sorted(p.name for p in Path(str(output) + ".partial.d").glob("unit-*.h5"))


def check_failed_cleanly(result, output, cause, units, what):
    """Exit 1 naming the cause, nothing under the output's names, `units` finished units kept."""
    check(result.returncode == 1 and cause in result.stderr, f"{what}: exit 1 and '{cause}'",
          f"exit {result.returncode}: {result.stderr}")
    check("run the same command with --resume" in result.stderr, f"{what}: the message says how to continue",
          result.stderr)
    check(not output.exists() and not Path(str(output) + ".partial").exists(),
          f"{what}: no file under the output's name or as .partial")
    check(len(units_in(output)) == units, f"{what}: {units} finished unit(s) kept", str(units_in(output)))
    check(not list(Path(str(output) + ".partial.d").glob("*.partial")), f"{what}: no half-written unit is left")


def check_resumes(output, reference, what):
    result = run(["run", *RUN, "--resume", "-o", output])
    check(result.returncode == 0, f"{what}: --resume completes the run", result.stderr)
    same = subprocess.run(SAME + [str(reference), str(output)], capture_output=True, text=True)
    check(same.returncode == 0, f"{what}: the resumed run equals an uninterrupted one", same.stdout)


def mount_tmpfs(where, options):
    where.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        print(f"skipped: cannot mount a tmpfs at {where} ({result.stderr.strip() or 'not root'})")
    return result.returncode == 0


def check_unwritable(directory, cause):
    output = directory / "out.h5"
    result = run(["run", *RUN, "-o", output])
    check(result.returncode == 2 and f"{output}: cannot create {output}.partial.d" in result.stderr and
          cause in result.stderr, "an unwritable directory is refused with exit 2, naming the cause",
          f"exit {result.returncode}: {result.stderr}")
    check(not output.exists(), "an unwritable directory: no file is written")
    shard = WORK / "shard_1.h5"
    check(run(["run", *RUN, "--shard", "1/1", "-o", shard]).returncode == 0, "a one-shard part runs")
    result = run(["merge", shard, "-o", directory / "merged.h5"])
    check(result.returncode == 1 and cause in result.stderr, "merge into an unwritable directory names the cause",
          f"exit {result.returncode}: {result.stderr}")


def main():
    if WORK.exists():
        for mount in (WORK / "full", WORK / "read_only"):
            subprocess.run(["umount", str(mount)], capture_output=True)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    reference = WORK / "reference.h5"
    check(run(["run", *RUN, "-o", reference]).returncode == 0, "the reference run writes its file")

    # A limit above a unit's size but below the assembled file's: the units are written, the
    # results file is not.
    output = WORK / "limit_assembly.h5"
    result = run(["run", *RUN, "-o", output], file_size_limit=1_600_000)
    check_failed_cleanly(result, output, "File too large", 2, "file-size limit while assembling")
    check_resumes(output, reference, "file-size limit while assembling")
    # A limit below a unit's size: nothing can be finished.
    output = WORK / "limit_unit.h5"
    result = run(["run", *RUN, "-o", output], file_size_limit=200_000)
    check_failed_cleanly(result, output, "File too large", 0, "file-size limit while writing a unit")
    check_resumes(output, reference, "file-size limit while writing a unit")

    # A file system with room for the units (2.2 MB) but not for the results file as well.
    full = WORK / "full"
    if os.geteuid() == 0 and mount_tmpfs(full, "size=3m"):
        try:
            output = full / "out.h5"
            result = run(["run", *RUN, "-o", output])
            check_failed_cleanly(result, output, "No space left on device", 2, "full file system")
            subprocess.run(["mount", "-o", "remount,size=16m", str(full)], check=True)
            check_resumes(output, reference, "full file system, once space is freed")
        finally:
            subprocess.run(["umount", str(full)], check=True)
    elif os.geteuid() != 0:
        print("skipped: the full file system (needs root to mount a small tmpfs)")

    # A directory the run cannot write to: refused before running, as a bad -o. Root writes
    # through permissions, so as root it is a read-only mount.
    read_only = WORK / "read_only"
    mounted = os.geteuid() == 0 and mount_tmpfs(read_only, "size=1m,ro")
    if os.geteuid() != 0:
        read_only.mkdir()
        read_only.chmod(0o555)
    if mounted or os.geteuid() != 0:
        try:
            check_unwritable(read_only, "Read-only file system" if mounted else "Permission denied")
        finally:
            if mounted:
                subprocess.run(["umount", str(read_only)], check=True)
            else:
                read_only.chmod(0o755)

    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("all checks passed")


if __name__ == "__main__":
    main()
