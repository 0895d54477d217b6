#!/usr/bin/python3
"""Every doctest test case name is one CTest test: no ';' (CTest would split it in two) and no
name twice (the second would never run on its own).

Usage: check_test_names.py TEST_BINARY
"""
import collections
import subprocess
import sys

listing = subprocess.run([sys.argv[1], "--list-test-cases", "--no-version"], capture_output=True, text=True, check=True)
names = [line.strip() for line in listing.stdout.splitlines()
         if line.strip() and not line.startswith("[doctest]") and not line.startswith("=====")]
if len(names) < 10:
    sys.exit(f"FAIL: only {len(names)} test cases listed: {listing.stdout[:500]}")
bad = [n for n in names if ";" in n]
twice = [n for n, k in collections.Counter(names).items() if k > 1]
for n in bad:
    print(f"FAIL: a ';' in the test case name (CTest splits it): {n}")
for n in twice:
    print(f"FAIL: test case name used twice: {n}")
if bad or twice:
    sys.exit(1)
print(f"ok: {len(names)} test case names, none with ';' or used twice")
