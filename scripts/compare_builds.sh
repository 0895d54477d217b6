#!/usr/bin/env bash
# Runs every shipped scenario with two builds and checks that their datasets are byte-identical
# (scripts/same_results.py; the software version may differ): a refactoring of the modules or
# the engine must leave the numbers as they were. Each scenario runs with its own settings except the replicates (REPLICATES,
# default 2), on 2 threads, with the event record and trajectories on, so every dataset a
# module writes is compared.
#
#   scripts/compare_builds.sh OLD_RECOVERYSIM NEW_RECOVERYSIM [REPLICATES]
#
# Prints one line per scenario; exits 1 if any differs (the differences are listed).
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 replicates=${3:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for scenario in scenarios/*.yaml scenarios/*/*.yaml; do
  name=$(echo "$scenario" | tr / _)
  settings=(--replicates "$replicates" --threads 2 -q --set output.events=true --set output.trajectories=true)
  if ! "$old" validate "$scenario" >/dev/null 2>&1; then
    echo "new scenario (the old build does not know it): $scenario"
    continue
  fi
  "$old" run "$scenario" "${settings[@]}" -o "$work/$name.old.h5" > "$work/$name.log"
  "$new" run "$scenario" "${settings[@]}" -o "$work/$name.new.h5" >> "$work/$name.log"
  if scripts/same_results.py "$work/$name.old.h5" "$work/$name.new.h5" --ignore-attribute software_version \
      > "$work/$name.diff" 2>&1; then
    echo "identical: $scenario"
  else
    echo "DIFFERENT: $scenario"
    head -20 "$work/$name.diff"
    status=1
  fi
done
exit $status
