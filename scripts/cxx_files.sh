#!/usr/bin/env bash
# Lists the repository's C++ files, one per line, relative to its root: tracked, or new and not
# ignored (build/ is ignored). For scripts/format.sh and scripts/check_style.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files --cached --others --exclude-standard -- '*.cpp' '*.hpp' '*.hpp.in' |
  while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done | sort -u
