#!/usr/bin/env bash
# Formats the C++ code in place with clang-format-14 and the repository's .clang-format:
# every C++ file of the repository (tracked, or new and not ignored), or only the FILEs given.
#
#   scripts/format.sh [FILE...]
#
# scripts/check_style.sh (run by CI) fails on any file this would change.
set -euo pipefail
if [ $# -gt 0 ]; then
  files=("$@")  # clang-format finds .clang-format from each file's directory up
  for f in "${files[@]}"; do
    case "$f" in
      *.cpp | *.hpp | *.h | *.cc | *.in) ;;
      *) echo "format.sh: $f: not a C++ file (clang-format would rewrite it as C++)" >&2; exit 2 ;;
    esac
  done
else
  cd "$(dirname "$0")/.."
  mapfile -t files < <(scripts/cxx_files.sh)
fi
printf '%s\0' "${files[@]}" | xargs -0 -n 32 -P "$(nproc)" clang-format-14 -i --style=file
