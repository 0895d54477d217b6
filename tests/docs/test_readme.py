#!/usr/bin/python3
"""The README's "Using it" commands run in the order shown, each without error, from a
directory laid out like the repository (scenarios/, scripts/, calibration/ and
build/release/recoverysim).

Usage: test_readme.py BINARY SOURCE_DIR WORK_DIR
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

BINARY, SOURCE, WORK = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])


def main():
    readme = (SOURCE / "README.md").read_text()
    section = readme[readme.index("## Using it"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    if len(commands) < 10:
        sys.exit(f"FAIL: only {len(commands)} commands found in the README's 'Using it' block")
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "build" / "release").mkdir(parents=True)
    for name in ("scenarios", "scripts", "calibration"):
        os.symlink(SOURCE / name, WORK / name)
    os.symlink(BINARY.resolve(), WORK / "build" / "release" / "recoverysim")
    failures = 0
    for command in commands:
        start = time.monotonic()
        p = subprocess.run(["bash", "-c", command], cwd=WORK, capture_output=True, text=True, timeout=900,
                           env={**os.environ, "CI": "true"})
        seconds = time.monotonic() - start
        print(f"{'ok' if p.returncode == 0 else 'FAIL'} ({seconds:.1f} s): {command}")
        if p.returncode != 0:
            failures += 1
            print(f"  exit {p.returncode}\n  {p.stderr.strip()[-1500:]}")
    if failures:
        sys.exit(f"{failures} of {len(commands)} commands failed")


if __name__ == "__main__":
    main()
