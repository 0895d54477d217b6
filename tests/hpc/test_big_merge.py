#!/usr/bin/python3
"""A merge of many parts with few file descriptors: 400 shards of a small run (one replicate to a
work unit, through the test-only RECOVERYSIM_UNIT_REPLICATES) merged under `ulimit -n 64` give
the same results file as the run made whole; each part holds only its own unit, so it is a small
fraction of the whole file. Prints the merge's time and peak memory.

Usage: test_big_merge.py BINARY SOURCE_DIR WORK_DIR
"""
import concurrent.futures
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

BINARY, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
SAME = ["/usr/bin/python3", str(SOURCE / "scripts" / "same_results.py")]
PARTS = 400
RUN = [str(SOURCE / "scenarios" / "baseline.yaml"), "-q", "--replicates", str(PARTS), "--set", "population.size=50",
       "--set", "days=30"]
failures = []


def check(condition, what, detail=""):
    print(("ok: " if condition else "FAIL: ") + what + ("" if condition else f"\n  {detail}"))
    if not condition:
        failures.append(what)


def shard(i):
    env = {**os.environ, "RECOVERYSIM_UNIT_REPLICATES": "1"}
    part = WORK / f"part{i:04d}.h5"
    p = subprocess.run([BINARY, "run", *RUN, "--shard", f"{i}/{PARTS}", "-o", str(part)], capture_output=True,
                       text=True, env=env, timeout=300)
    return part, p


def few_descriptors():
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    whole = WORK / "whole.h5"
    p = subprocess.run([BINARY, "run", *RUN, "-o", str(whole)], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        sys.exit(f"FAIL: the whole run: {p.stderr}")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(shard, range(1, PARTS + 1)))
    bad = [(part, p.stderr) for part, p in results if p.returncode != 0]
    check(not bad, f"all {PARTS} shards run", str(bad[:3]))
    parts = [part for part, _ in results]
    largest = max(part.stat().st_size for part in parts)
    check(largest * 10 < whole.stat().st_size, "each part is a small fraction of the whole file",
          f"largest part {largest} bytes, whole file {whole.stat().st_size}")
    print(f"largest part {largest} bytes; whole file {whole.stat().st_size} bytes")

    merged = WORK / "merged.h5"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    p = subprocess.run([BINARY, "merge", *map(str, parts), "-o", str(merged)], capture_output=True, text=True,
                       timeout=600, preexec_fn=few_descriptors)
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    check(p.returncode == 0, f"merge of {PARTS} parts under ulimit -n 64", p.stderr)
    print(f"merge: {seconds:.1f} s, peak memory {max(peak, before) / 1024:.0f} MB (of any child so far)")
    ok, detail = (False, "not merged")
    if p.returncode == 0:
        q = subprocess.run([*SAME, str(whole), str(merged)], capture_output=True, text=True)
        ok, detail = q.returncode == 0, q.stdout + q.stderr
    check(ok, "the merged file equals the whole run's", detail)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
