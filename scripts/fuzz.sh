#!/usr/bin/env bash
# Fuzzes with libFuzzer, under AddressSanitizer and UndefinedBehaviorSanitizer, for SECONDS
# (default 60) each: the scenario loader and validator (tests/fuzz/fuzz_scenario.cpp), then the
# readers of results files (tests/fuzz/fuzz_results.cpp).
#
#   scripts/fuzz.sh [SECONDS] [scenario|results] [libFuzzer options...]
#
# With `scenario` or `results`, only that target. Seeds: for the scenario target scenarios/, the
# bad-scenario corpus tests/cli/bad/ and tests/fuzz/regressions/; for the results target
# tests/fuzz/seeds_results/ and tests/fuzz/regressions_results/. The corpus grown by a run is
# kept in build/fuzz/corpus (build/fuzz/corpus_results) and reused by the next one. An input that
# finds a defect is written to build/fuzz/findings/ (build/fuzz/findings_results/) and the script
# fails; docs/testing.md says how to reproduce it and turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=(scenario results)
if [ $# -gt 0 ] && { [ "$1" = scenario ] || [ "$1" = results ]; }; then
  targets=("$1")
  shift
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

failed=()
for target in "${targets[@]}"; do
  if [ "$target" = scenario ]; then
    corpus=build/fuzz/corpus
    findings=build/fuzz/findings
    seeds=(scenarios tests/cli/bad tests/fuzz/regressions)
    # -timeout: one input may take at most 30 s (the slowest valid one, a sweep to the largest
    # allowed 10,000 arms with three modules, loads in about 12 s in this instrumented build,
    # using about 1 GB); -rss_limit_mb: loading a scenario must stay small.
    options=(-dict=tests/fuzz/scenario.dict -timeout=30 -rss_limit_mb=2048 -max_len=65536)
  else
    corpus=build/fuzz/corpus_results
    findings=build/fuzz/findings_results
    seeds=(tests/fuzz/seeds_results tests/fuzz/regressions_results)
    # -timeout: reading the small altered file takes a fraction of a second, so 10 s is a hang;
    # -max_len: an input is a few alterations, a few dozen bytes each at most.
    # -detect_leaks=0: HDF5 keeps freed memory in its own free lists from one input to the
    # next, so libFuzzer's check after each input would take every input for a leak and run
    # it again under LeakSanitizer, at half the speed.
    options=(-timeout=10 -rss_limit_mb=2048 -max_len=512 -detect_leaks=0)
  fi
  mkdir -p "$corpus" "$findings"
  echo "fuzz: $target for ${seconds} s"
  status=0
  "build/fuzz/tests/fuzz/recoverysim_fuzz_$target" "$corpus" "${seeds[@]}" "${options[@]}" \
    -max_total_time="$seconds" -artifact_prefix="$findings/" -print_final_stats=1 "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $target: defect found; the input is in $findings/ (see docs/testing.md)" >&2
    ls -l "$findings" >&2
    failed+=("$target")
  else
    echo "fuzz: $target: no defect in ${seconds} s; corpus: $(ls "$corpus" | wc -l) inputs in $corpus"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: defects found by: ${failed[*]}" >&2
  exit 1
fi
