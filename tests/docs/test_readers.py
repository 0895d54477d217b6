#!/usr/bin/python3
"""The readers' examples of docs/output.md run as written, on the shipped staffing scenario.

Each file of docs/examples/ must appear verbatim in docs/output.md, and must run from a
directory holding results/peer_mentor_staffing.h5 made by the command the docs give (with fewer
replicates, for time), printing the shipped arms' names: Python (h5py), R with hdf5r and with
rhdf5, and HDF5's command-line tools.

Usage: test_readers.py BINARY SOURCE_DIR WORK_DIR
"""
import pathlib
import shutil
import subprocess
import sys

BINARY, SOURCE, WORK = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
EXAMPLES = SOURCE / "docs" / "examples"
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {detail}"))
    if not ok:
        failures.append(what)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    docs = (SOURCE / "docs" / "output.md").read_text()
    run = subprocess.run([BINARY, "run", SOURCE / "scenarios" / "peer_mentor_staffing.yaml", "-q", "--replicates", "3"],
                         cwd=WORK, capture_output=True, text=True, timeout=900)
    if run.returncode != 0:
        sys.exit(f"FAIL: the docs' run command: exit {run.returncode}\n{run.stderr}")
    check("the docs' command writes results/peer_mentor_staffing.h5 under the current directory",
          (WORK / "results" / "peer_mentor_staffing.h5").is_file())
    readers = {"read_results.py": [sys.executable], "read_results_hdf5r.R": ["Rscript"],
               "read_results_rhdf5.R": ["Rscript"], "read_results.sh": ["bash", "-e"]}
    check("every example is one of the docs'", sorted(p.name for p in EXAMPLES.iterdir()) == sorted(readers))
    for name, command in readers.items():
        source = (EXAMPLES / name).read_text()
        check(f"{name} appears verbatim in docs/output.md", source in docs)
        if not shutil.which(command[0]):
            check(f"{name}: {command[0]} is installed (scripts/install-deps.sh)", False)
            continue
        p = subprocess.run(command + [str(EXAMPLES / name)], cwd=WORK, capture_output=True, text=True, timeout=300)
        check(f"{name} runs", p.returncode == 0, p.stderr[-1500:])
        check(f"{name} reads the shipped arms", "mentors_140" in p.stdout or "mentors_120" in p.stdout, p.stdout[-800:])
        print("\n".join("    " + line for line in p.stdout.splitlines()[:8]))
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
