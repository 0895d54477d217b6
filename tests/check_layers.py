#!/usr/bin/python3
"""The layers of the code, each depending only on those below it:

  0 engine       sim/engine        parameters, scenario files, random streams, statistics, kernels
  1 model        models/recovery   the core model and the intervention module contract
  2 modules      models/<type>, models/registry.*
  3 application  sim/app           runs, results files (the only user of HDF5), analysis, CLI

Every `#include "..."` of a file is resolved as the compiler would (the including file's folder
first, then the include folders of the targets) and must not reach a higher layer; `<hdf5.h>` is
included only in the application. Fails, listing each offending line.

Usage: check_layers.py SOURCE_DIR
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1]).resolve()
LAYERS = ["engine", "model", "modules", "application"]
INCLUDE_ROOTS = [ROOT, ROOT / "sim" / "engine", ROOT / "sim" / "app", ROOT / "sim" / "app" / "run"]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def layer(path):
    rel = path.relative_to(ROOT).as_posix()
    if rel.startswith("sim/engine/"):
        return 0
    if rel.startswith("models/recovery/"):
        return 1
    if rel.startswith("models/"):
        return 2
    if rel.startswith("sim/app/"):
        return 3
    return None


def resolve(including, name):
    for base in [including.parent, *INCLUDE_ROOTS]:
        candidate = (base / name).resolve()
        if candidate.is_file() and ROOT in candidate.parents:
            return candidate
    return None  # a system or generated header


def main():
    problems, files = [], 0
    for path in sorted([*ROOT.glob("sim/**/*.[ch]pp"), *ROOT.glob("models/**/*.[ch]pp")]):
        own = layer(path)
        if own is None:
            continue
        files += 1
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            where = f"{path.relative_to(ROOT)}:{number}"
            if m.group(2) == "hdf5.h" and own != 3:
                problems.append(f"{where}: <hdf5.h> in the {LAYERS[own]} layer (HDF5 belongs to the application)")
            if m.group(1) != '"':
                continue
            target = resolve(path, m.group(2))
            if target is None:
                continue
            theirs = layer(target)
            if theirs is not None and theirs > own:
                problems.append(f"{where}: the {LAYERS[own]} layer includes {target.relative_to(ROOT)} "
                                f"(the {LAYERS[theirs]} layer, above it)")
    for p in problems:
        print("FAIL:", p)
    if files < 50:
        sys.exit(f"FAIL: only {files} files found under sim/ and models/")
    if problems:
        sys.exit(1)
    print(f"ok: {files} files, every include within its layer or below")


if __name__ == "__main__":
    main()
