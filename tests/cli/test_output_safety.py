#!/usr/bin/python3
"""Output safety: an existing results file is replaced only with --force; SIGINT and SIGTERM
stop a run with exit 130 and 143, leaving no file under the output's name and its finished
work resumable; a resumed run equals an uninterrupted one.

Usage: test_output_safety.py BINARY SOURCE_DIR WORK_DIR
"""
import hashlib
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from processes import SANITIZED  # noqa: E402

BINARY, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
SAME = ["/usr/bin/python3", str(SOURCE / "scripts" / "same_results.py")]
# One arm in work units of 3 replicates (~0.1 s each). Under a sanitizer (processes.SANITIZED)
# the run shrinks from 20 units to 3, of a quarter of the cohort.
LONG_UNITS, STOP_AFTER = (3, 1) if SANITIZED else (20, 2)
LONG = [str(SOURCE / "scenarios" / "baseline.yaml"), "-q", "--replicates", str(3 * LONG_UNITS),
        "--set", f"population.size={5000 if SANITIZED else 20000}"]
failures = []


def check(condition, what, detail=""):
    print(("ok: " if condition else "FAIL: ") + what + ("" if condition else f"\n  {detail}"))
    if not condition:
        failures.append(what)


def run(*args):
    return subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=300)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stop_part_way(output, signal_number):
    staging = Path(str(output) + ".partial.d")
    process = subprocess.Popen([BINARY, "run", *LONG, "-o", str(output)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (staging.is_dir() and len(list(staging.glob("unit-*.h5"))) >= STOP_AFTER):
        if process.poll() is not None:
            sys.exit(f"FAIL: the run ended (exit {process.returncode}) before it could be stopped")
        time.sleep(0.01)
    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    reference = WORK / "reference.h5"
    check(run("run", *LONG, "-o", reference).returncode == 0, "a run writes its file")

    before = digest(reference)
    result = run("run", *LONG, "--seed", "2", "-o", reference)
    check(result.returncode == 2 and "exists: choose another -o, or add --force" in result.stderr,
          "an existing output is refused without --force", result.stderr)
    check(digest(reference) == before, "the refused run left the existing file untouched")
    replaced = WORK / "replaced.h5"
    shutil.copy(reference, replaced)
    result = run("run", *LONG, "--seed", "2", "--force", "-o", replaced)
    check(result.returncode == 0 and digest(replaced) != before, "--force replaces it", result.stderr)

    result = run("run", *LONG, "--resume", "-o", reference)
    check(result.returncode == 0 and "already complete" in result.stdout,
          "--resume on a complete file of the same run has nothing to do", result.stdout + result.stderr)

    for signal_number, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        name = signal.Signals(signal_number).name
        output = WORK / f"stopped_{name}.h5"
        returncode, stderr = stop_part_way(output, signal_number)
        check(returncode == code, f"{name} stops the run with exit {code}", f"exit {returncode}: {stderr}")
        check("--resume to continue" in stderr, f"{name}: the message says how to continue", stderr)
        check(not output.exists() and not Path(str(output) + ".partial").exists(),
              f"{name}: no file under the output's name or as .partial")
        units = list(Path(str(output) + ".partial.d").glob("unit-*.h5"))
        check(len(units) >= STOP_AFTER, f"{name}: finished units are kept ({len(units)})")
        result = run("run", *LONG, "--resume", "-o", output)
        check(result.returncode == 0, f"{name}: the run resumes", result.stderr)
        same = subprocess.run(SAME + [str(reference), str(output)], capture_output=True, text=True)
        check(same.returncode == 0, f"{name}: the resumed run equals an uninterrupted one", same.stdout)

    parts = [WORK / f"part_{i}.h5" for i in (1, 2)]
    for i, part in enumerate(parts, 1):
        result = run("run", LONG[0], "-q", "--replicates", "4", "--set", "population.size=2000", "--shard", f"{i}/2",
                     "-o", part)
        check(result.returncode == 0, f"shard {i}/2 runs", result.stderr)
    merged = WORK / "merged.h5"
    merged.write_bytes(b"keep me")
    result = run("merge", *parts, "-o", merged)
    check(result.returncode == 2 and merged.read_bytes() == b"keep me", "merge refuses to replace a file",
          result.stderr)
    result = run("merge", *parts, "--force", "-o", merged)
    check(result.returncode == 0, "merge --force replaces it", result.stderr)

    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("all checks passed")


if __name__ == "__main__":
    main()
