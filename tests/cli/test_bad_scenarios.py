#!/usr/bin/python3
"""Every file in the bad-scenario corpus must be refused by `validate` and `run` with exit
code 2, quickly, and with the message its first line announces:

    # expect: <regular expression searched in stderr>

Usage: test_bad_scenarios.py RECOVERYSIM CORPUS_DIR
"""
import pathlib
import re
import subprocess
import sys
import tempfile
import time


def main() -> int:
    binary, corpus = sys.argv[1], pathlib.Path(sys.argv[2])
    files = sorted(corpus.glob("*.yaml"))
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            first = path.read_text(errors="replace").splitlines()[0]
            if not first.startswith("# expect: "):
                failures.append(f"{path.name}: first line must be '# expect: <regex>'")
                continue
            pattern = first[len("# expect: "):]
            for command in (["validate", str(path)], ["run", str(path), "-q", "-o", f"{tmp}/out.h5"]):
                start = time.monotonic()
                proc = subprocess.run([binary, *command], capture_output=True, text=True, timeout=60)
                seconds = time.monotonic() - start
                where = f"{path.name} ({command[0]})"
                if proc.returncode != 2:
                    failures.append(f"{where}: exit code {proc.returncode}, expected 2; stderr: {proc.stderr!r}")
                elif not re.search(pattern, proc.stderr):
                    failures.append(f"{where}: stderr {proc.stderr!r} does not match {pattern!r}")
                elif seconds > 5:
                    failures.append(f"{where}: took {seconds:.1f} s to refuse")
                if pathlib.Path(f"{tmp}/out.h5").exists():
                    failures.append(f"{where}: an output file was written")
    for f in failures:
        print("FAIL", f)
    passed = 2 * len(files) - len(failures)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures or not files else 0


if __name__ == "__main__":
    sys.exit(main())
