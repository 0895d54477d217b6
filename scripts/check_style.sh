#!/usr/bin/env bash
# The style checks CI runs (docs/testing.md#style):
#
# 1. every text file of the repository keeps the rules .editorconfig gives it (UTF-8, LF line
#    ends, a final newline, no trailing spaces, spaces for indentation), as Debian's
#    `editorconfig` reads them;
# 2. every C++ file (scripts/cxx_files.sh) is laid out as .clang-format says, that is as
#    scripts/format.sh would leave it (clang-format-14);
# 3. every .cpp file, with the project's headers it includes, passes the checks of .clang-tidy
#    (clang-tidy-14).
#
#   scripts/check_style.sh [BUILD_DIR]    (default build/release, configured: it reads its
#                                          compile_commands.json)
#
# clang-tidy takes each source file once, with the flags of its first compilation in the
# build: the build compiles the kernels' sources again for the avx2 and avx512 kernels (files it
# generates that include them) and a few sources for two targets, with the same code. A source
# the build does not compile (tests/sanitizers/probe.cpp: only the sanitizer builds do) is
# checked with the flags of the nearest compiled source. Compiler warnings are left to the
# compilers (`-w`): the flags are GCC's, and the builds make its warnings errors.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
jobs=$(nproc)

if [ ! -f "$build/compile_commands.json" ]; then
  echo "check_style: no $build/compile_commands.json: configure the build first (cmake --preset release)" >&2
  exit 2
fi

start=$SECONDS
echo "check_style: .editorconfig's rules"
git ls-files -z --cached --others --exclude-standard | python3 -c '
import os, subprocess, sys

paths = [p for p in sys.stdin.read().split("\0") if os.path.isfile(p) and not os.path.islink(p)]
found = subprocess.run(["editorconfig", *map(os.path.abspath, paths)], capture_output=True, text=True,
                       check=True).stdout
properties, current = {}, None
for line in found.splitlines():
    if line.startswith("[") and line.endswith("]"):
        current = properties.setdefault(line[1:-1], {})
    elif current is not None and "=" in line:
        key, value = line.split("=", 1)
        current[key] = value
problems = []
for path in paths:
    rules = properties.get(os.path.abspath(path), {})
    data = open(path, "rb").read()
    if not data or b"\0" in data:
        continue  # empty, or not text (an image)
    if rules.get("charset") == "utf-8":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{path}: not UTF-8")
    if rules.get("end_of_line") == "lf" and b"\r" in data:
        problems.append(f"{path}: a CR (line ends must be LF)")
    if rules.get("insert_final_newline") == "true" and not data.endswith(b"\n"):
        problems.append(f"{path}: no newline at the end")
    for number, line in enumerate(data.split(b"\n"), 1):
        if rules.get("trim_trailing_whitespace") == "true" and line.rstrip(b"\r") != line.rstrip():
            problems.append(f"{path}:{number}: trailing whitespace")
        if rules.get("indent_style") == "space" and line[: len(line) - len(line.lstrip())].count(b"\t"):
            problems.append(f"{path}:{number}: a tab in the indentation")
for problem in problems:
    print(problem)
if problems:
    sys.exit("check_style: FAILED: files against .editorconfig")
'

mapfile -t files < <(scripts/cxx_files.sh)
echo "check_style: clang-format-14 on ${#files[@]} files"
if ! printf '%s\0' "${files[@]}" | xargs -0 -n 32 -P "$jobs" clang-format-14 --dry-run -Werror --style=file; then
  echo "check_style: FAILED: files not formatted as .clang-format says; run scripts/format.sh" >&2
  exit 1
fi

# The compile database clang-tidy reads: one entry per source file of the repository.
database=$build/style
python3 - "$build/compile_commands.json" "$database/compile_commands.json" <<'EOF'
import json, os, re, shlex, subprocess, sys

source, target = sys.argv[1], sys.argv[2]
root = os.getcwd()
# GCC's options that Clang does not know (models/CMakeLists.txt: for the day kernel's tiles).
gcc_only = re.compile(r"-fno-(thread-jumps|tree-pre)")
# Clang 14 does not know GCC's CPU level names ("x86-64-v2") in __builtin_cpu_supports: it is
# given a feature name it knows instead, so that it parses the rest of the file.
cpu_levels = ['-D__builtin_cpu_supports(name)=__builtin_cpu_supports("sse4.2")']
clang_needs = {"sim/app/cli/cpu_check.cpp": cpu_levels, "sim/engine/kernels.cpp": cpu_levels}

listed = subprocess.run(["scripts/cxx_files.sh"], capture_output=True, text=True, check=True).stdout.split()
sources = [os.path.join(root, f) for f in listed if f.endswith(".cpp")]
entries = {}
for entry in json.load(open(source)):
    path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
    if path in sources and path not in entries:
        arguments = entry.get("arguments") or shlex.split(entry["command"])
        entries[path] = {"directory": entry["directory"], "file": path,
                         "arguments": [a for a in arguments if not gcc_only.fullmatch(a)]}
if not entries:
    sys.exit(f"check_style: no source of {root} in {source}")
for path in sources:
    if path not in entries:
        nearest = max(entries, key=lambda e: len(os.path.commonpath([os.path.dirname(path), os.path.dirname(e)])))
        entries[path] = dict(entries[nearest], file=path,
                             arguments=[path if a == nearest else a for a in entries[nearest]["arguments"]])
        print(f"check_style: {os.path.relpath(path)} is not in the build: checked with the flags of "
              f"{os.path.relpath(nearest)}")
for name, arguments in clang_needs.items():
    path = os.path.join(root, name)
    if path in entries:
        entries[path]["arguments"] += arguments
os.makedirs(os.path.dirname(target), exist_ok=True)
with open(target, "w") as f:
    json.dump([entries[p] for p in sources], f, indent=1)
EOF

mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep '\.cpp$')
echo "check_style: clang-tidy-14 on ${#sources[@]} files, $jobs at a time"
# clang-tidy reports on stderr how many compiler warnings it hid: not worth a line per file.
if ! printf '%s\0' "${sources[@]}" |
    xargs -0 -n 1 -P "$jobs" clang-tidy-14 -p "$database" --quiet --extra-arg=-w \
      2> >(grep -v '^[0-9]* warnings\? generated\.$' >&2); then
  echo "check_style: FAILED: clang-tidy's findings above (.clang-tidy lists the checks)" >&2
  exit 1
fi
echo "check_style: passed in $((SECONDS - start)) s"
