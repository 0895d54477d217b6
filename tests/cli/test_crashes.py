#!/usr/bin/python3
"""Runs killed at the worst moments, damaged work, and shared directories.

- A run killed (SIGKILL, through the test-only RECOVERYSIM_FAULT, docs/testing.md) before its
  run.yaml is in place, between writing a unit and renaming it, or after the results file is in
  place but before the staging directory is gone: `--resume` finishes it with exit 0 and the
  same results file, byte for byte, as an uninterrupted run.
- Finished units emptied or altered afterwards are found by their checksums on `--resume`, run
  again, and named; the results file is still the uninterrupted run's.
- A symbolic link at OUT.partial or OUT.partial.d is never followed, another user's file there
  is never replaced, and the file a link points to is left intact.
- -o naming a directory is refused before the run, even with --force; --shard N is bounded.
- A run larger than the memory of its Slurm job or control group is refused before it starts.

Usage: test_crashes.py BINARY SOURCE_DIR WORK_DIR
"""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from processes import SANITIZED  # noqa: E402

BINARY, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
SAME = ["/usr/bin/python3", str(SOURCE / "scripts" / "same_results.py")]
# One arm, three work units of 3 replicates each (about 0.1 s each; 25 times that under a
# sanitizer (processes.SANITIZED), where the cohort is a tenth as large: the checks are about
# files, not sizes).
RUN = [str(SOURCE / "scenarios" / "baseline.yaml"), "-q", "--replicates", "9", "--set",
       f"population.size={2000 if SANITIZED else 20000}"]
failures = []


def check(condition, what, detail=""):
    print(("ok: " if condition else "FAIL: ") + what + ("" if condition else f"\n  {detail}"))
    if not condition:
        failures.append(what)


def run(*args, fault=None):
    env = dict(os.environ)
    env.pop("RECOVERYSIM_FAULT", None)
    if fault:
        env["RECOVERYSIM_FAULT"] = fault
    return subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=600, env=env)


def same(a, b):
    p = subprocess.run([*SAME, str(a), str(b)], capture_output=True, text=True)
    return p.returncode == 0, p.stdout + p.stderr


def one_error_line(p, *expected):
    lines = p.stderr.strip().splitlines()
    return p.returncode == 2 and len(lines) == 1 and lines[0].startswith("recoverysim: error: ") and all(
        e in lines[0] for e in expected)


def killed_then_resumed(reference, name, fault):
    out = WORK / f"{name}.h5"
    staging = Path(str(out) + ".partial.d")
    p = run("run", *RUN, "-o", out, fault=fault)
    check(p.returncode == -signal.SIGKILL, f"{name}: the run is killed at {fault}", f"exit {p.returncode}: {p.stderr}")
    p = run("run", *RUN, "-o", out, "--resume")
    check(p.returncode == 0, f"{name}: --resume ends with exit 0", f"exit {p.returncode}: {p.stderr}")
    ok, detail = same(reference, out)
    check(ok, f"{name}: the resumed file equals the uninterrupted run's", detail)
    check(not staging.exists(), f"{name}: no staging directory is left", str(list(staging.glob("*"))))
    return p


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    reference = WORK / "reference.h5"
    p = run("run", *RUN, "-o", reference)
    if p.returncode != 0:
        sys.exit(f"FAIL: the reference run: {p.stderr}")

    # Killed at each moment that used to leave a run that --resume could not finish.
    killed_then_resumed(reference, "before_manifest", "manifest-written")
    killed_then_resumed(reference, "unit_not_renamed", "file-written:2")
    p = killed_then_resumed(reference, "after_output", "output-renamed")
    check("already complete" in p.stdout, "after_output: --resume says the file is already complete", p.stdout)
    # A requeued job whose file is complete: --resume again is still exit 0.
    p = run("run", *RUN, "-o", WORK / "after_output.h5", "--resume")
    check(p.returncode == 0 and "already complete" in p.stdout, "a second --resume of a complete file is exit 0",
          f"exit {p.returncode}: {p.stdout}{p.stderr}")

    # Finished units damaged after they were written (a crash between write and rename on a file
    # system that had not written them yet, or a bad disk).
    damaged = WORK / "damaged.h5"
    staging = Path(str(damaged) + ".partial.d")
    p = run("run", *RUN, "-o", damaged, fault="file-written:3")
    units = sorted(staging.glob("unit-*.h5"))
    check(p.returncode == -signal.SIGKILL and len(units) == 2, "damaged: two units finished before the kill",
          f"exit {p.returncode}, units {units}")
    if len(units) == 2:
        units[0].write_bytes(b"")
        data = bytearray(units[1].read_bytes())
        data[len(data) // 2] ^= 0x40  # one bit, somewhere in the data
        units[1].write_bytes(bytes(data))
    p = run("run", *RUN, "-o", damaged, "--resume")
    check(p.returncode == 0, "damaged: --resume ends with exit 0", f"exit {p.returncode}: {p.stderr}")
    reruns = [line for line in p.stdout.splitlines() if "damaged and was run again" in line]
    check(len(reruns) == 2 and all(u.name in " ".join(reruns) for u in units),
          "damaged: both damaged units are named and run again", p.stdout)
    ok, detail = same(reference, damaged)
    check(ok, "damaged: the results file equals the uninterrupted run's", detail)

    # Shared directories: links and other users' files at the names the run writes.
    victim = WORK / "precious"
    victim.write_text("precious\n")
    linked = WORK / "linked.h5"
    Path(str(linked) + ".partial").symlink_to(victim)
    p = run("run", *RUN, "-o", linked)
    check(one_error_line(p, f"{linked}.partial is a symbolic link"), "a link at OUT.partial is refused",
          f"exit {p.returncode}: {p.stderr}")
    check(victim.read_text() == "precious\n" and not linked.exists(), "the linked file is intact and no output exists")
    Path(str(linked) + ".partial").unlink()
    elsewhere = WORK / "elsewhere"
    elsewhere.mkdir()
    Path(str(linked) + ".partial.d").symlink_to(elsewhere, target_is_directory=True)
    p = run("run", *RUN, "-o", linked)
    check(one_error_line(p, f"{linked}.partial.d is a symbolic link"), "a link at OUT.partial.d is refused",
          f"exit {p.returncode}: {p.stderr}")
    check(not any(elsewhere.iterdir()), "nothing is written where the link points")
    Path(str(linked) + ".partial.d").unlink()
    if os.geteuid() == 0:
        foreign = WORK / "foreign.h5"
        Path(str(foreign) + ".partial").write_text("theirs\n")
        os.chown(str(foreign) + ".partial", 65534, 65534)
        p = run("run", *RUN, "-o", foreign)
        check(one_error_line(p, "belongs to another user (uid 65534)"), "another user's OUT.partial is not replaced",
              f"exit {p.returncode}: {p.stderr}")
        check(Path(str(foreign) + ".partial").read_text() == "theirs\n", "their file is intact")
    else:
        print("skip: another user's file (needs root to make one)")

    # Mistakes reported before the run, not after it.
    directory = WORK / "a_directory"
    directory.mkdir()
    p = run("run", *RUN, "-o", directory, "--force")
    check(one_error_line(p, str(directory), "is a directory"), "-o naming a directory is refused even with --force",
          f"exit {p.returncode}: {p.stderr}")
    p = run("run", *RUN, "--shard", "1/1000000000000", "-o", WORK / "p.h5")
    check(one_error_line(p, "--shard 1/1000000000000", "at most 9 shards"), "--shard N is bounded by the tasks",
          f"exit {p.returncode}: {p.stderr}")

    # Memory limits smaller than the machine's: a Slurm job's, a control group's.
    big = [str(SOURCE / "scenarios" / "baseline.yaml"), "-q", "--set", "population.size=1000000"]
    env = {**os.environ, "SLURM_MEM_PER_NODE": "64"}
    p = subprocess.run([BINARY, "run", *big, "-o", str(WORK / "m.h5")], capture_output=True, text=True, env=env)
    check(one_error_line(p, "need about 0.2 GB", "0.1 GB memory of this Slurm job (SLURM_MEM_PER_NODE)"),
          "a run larger than the Slurm job's memory is refused before it starts", p.stderr)
    group = make_memory_cgroup(100_000_000)
    if group:
        p = subprocess.run(["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$0" "$@"', BINARY, "run", *big, "-o",
                            str(WORK / "m.h5")], capture_output=True, text=True)
        check(one_error_line(p, "0.1 GB memory limit of its control group"),
              "a run larger than its control group's memory limit is refused before it starts", p.stderr)
        os.rmdir(group)
    else:
        print("skip: a control group with a memory limit (needs root and a writable cgroup file system)")
    check(not (WORK / "m.h5").exists(), "refused runs leave no file")

    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


def make_memory_cgroup(limit):
    """A new control group limited to `limit` bytes (cgroup v1 or v2), or None where not possible."""
    for root, file in (("/sys/fs/cgroup/memory", "memory.limit_in_bytes"), ("/sys/fs/cgroup", "memory.max")):
        group = Path(root) / f"recoverysim_test_{os.getpid()}"
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            (group / file).write_text(str(limit))
            return group
        except OSError:
            os.rmdir(group)
    return None


if __name__ == "__main__":
    main()
