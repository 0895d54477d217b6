#!/usr/bin/python3
"""Every file in the bad-scenario corpus must be refused by `validate` and `run` with exit
code 2, quickly, and with the message its first line announces:

    # expect: <regular expression searched in stderr>
    # commands: run            (optional second line: only these commands refuse it; e.g. a
                                population too large for this machine's memory is valid)

Then a scenario path that does not exist, and one that is a directory.

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
    files_checked = []
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            lines = path.read_text(errors="replace").splitlines()
            first = lines[0]
            if not first.startswith("# expect: "):
                failures.append(f"{path.name}: first line must be '# expect: <regex>'")
                continue
            pattern = first[len("# expect: "):]
            only = lines[1][len("# commands: "):].split() if lines[1:] and lines[1].startswith("# commands: ") else None
            commands = [["validate", str(path)], ["run", str(path), "-q", "-o", f"{tmp}/out.h5"]]
            for command in (c for c in commands if only is None or c[0] in only):
                start = time.monotonic()
                checked += 1
                proc = subprocess.run([binary, *command], capture_output=True, text=True, timeout=60)
                seconds = time.monotonic() - start
                where = f"{path.name} ({command[0]})"
                if proc.returncode != 2:
                    failures.append(f"{where}: exit code {proc.returncode}, expected 2; stderr: {proc.stderr!r}")
                elif not re.search(pattern, proc.stderr):
                    failures.append(f"{where}: stderr {proc.stderr!r} does not match {pattern!r}")
                elif seconds > 1:
                    failures.append(f"{where}: took {seconds:.2f} s to refuse (must be well under a second)")
                if pathlib.Path(f"{tmp}/out.h5").exists():
                    failures.append(f"{where}: an output file was written")
        # Paths that are not scenario files at all.
        for target, pattern in ((f"{tmp}/absent.yaml", r"absent\.yaml: cannot open scenario file: No such file"),
                                (tmp, r"is a directory, expected a scenario YAML file")):
            for command in (["validate", target], ["run", target, "-q", "-o", f"{tmp}/out.h5"]):
                proc = subprocess.run([binary, *command], capture_output=True, text=True, timeout=60)
                if proc.returncode != 2 or not re.search(pattern, proc.stderr):
                    failures.append(f"{target} ({command[0]}): exit {proc.returncode}, stderr {proc.stderr!r}")
                files_checked.append(target)
    for f in failures:
        print("FAIL", f)
    passed = checked + len(files_checked) - len(failures)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures or not files else 0


if __name__ == "__main__":
    sys.exit(main())
