#!/usr/bin/env bash
# Fuzzes the scenario loader and validator (tests/fuzz/fuzz_scenario.cpp) with libFuzzer, under
# AddressSanitizer and UndefinedBehaviorSanitizer, for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS] [libFuzzer options...]
#
# Seeds: scenarios/, the bad-scenario corpus tests/cli/bad/ and tests/fuzz/regressions/. The
# corpus grown by a run is kept in build/fuzz/corpus and reused by the next one. An input that
# finds a defect is written to build/fuzz/findings/ and the script fails; docs/testing.md says
# how to reproduce it and turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
corpus=build/fuzz/corpus
findings=build/fuzz/findings
mkdir -p "$corpus" "$findings"

# -timeout: one input may take at most 30 s (the slowest valid one, a sweep to the largest
# allowed 10,000 arms with three modules, loads in about 12 s in this instrumented build, using
# about 1 GB); -rss_limit_mb: loading a scenario must stay small.
status=0
build/fuzz/tests/fuzz/recoverysim_fuzz_scenario "$corpus" scenarios tests/cli/bad tests/fuzz/regressions \
  -dict=tests/fuzz/scenario.dict -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$findings/" -print_final_stats=1 "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz: defect found; the input is in $findings/ (see docs/testing.md)" >&2
  ls -l "$findings" >&2
  exit "$status"
fi
echo "fuzz: no defect in ${seconds} s; corpus: $(ls "$corpus" | wc -l) inputs in $corpus"
