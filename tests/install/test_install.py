#!/usr/bin/python3
"""The installed package, as another project sees it.

Installs the build tree (`cmake --install`) into WORK_DIR/prefix, then configures, builds and runs
the consumer project of tests/install/consumer/ (a copy of it, outside the source tree) with
CMAKE_PREFIX_PATH naming that prefix. Checks:

  - the program, the scripts, the scenarios, the headers and the package files are installed;
  - the exported targets carry nothing of the build's own (recoverysim_options, -Werror, paths
    into the source or build tree) and nothing of HDF5 or MPI, and the consumer compiles with
    include directories of the installation only and links without HDF5;
  - the consumer prints a whole cohort (the states add up to the agents, some lapse or relapse,
    the mentors cost something) and exactly what the same program built in the tree prints
    (REFERENCE);
  - the installed `recoverysim --version` runs.

Usage: test_install.py BUILD_DIR SOURCE_DIR WORK_DIR REFERENCE CXX_COMPILER GENERATOR
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

BUILD, SOURCE, WORK = (Path(a).resolve() for a in sys.argv[1:4])
REFERENCE, CXX, GENERATOR = sys.argv[4], sys.argv[5], sys.argv[6]
PREFIX = WORK / "prefix"
failures = []


def run(args, **kwargs):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)
    if result.returncode != 0:
        sys.exit(f"FAIL: {shlex.join(str(a) for a in args)} exited with {result.returncode}\n"
                 f"{result.stdout}{result.stderr}")
    return result.stdout


def check(condition, message):
    if not condition:
        failures.append(message)


def inside(path, directory):
    return path == directory or directory in path.parents


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    run(["cmake", "--install", BUILD, "--prefix", PREFIX])

    # What a user and a project need, where GNUInstallDirs puts it (the library folder may be
    # lib, lib64 or lib/<multiarch>).
    for rel in ["bin/recoverysim", "include/recoverysim/sim/engine/params.hpp",
                "include/recoverysim/sim/engine/version.hpp", "include/recoverysim/sim/engine/analysis/statistics.hpp",
                "include/recoverysim/models/recovery/arm_simulation.hpp", "include/recoverysim/models/registry.hpp",
                "include/recoverysim/models/peer_mentor/peer_mentor.hpp", "share/recoverysim/scripts/report.py",
                "share/recoverysim/scripts/plot_results.py", "share/recoverysim/scripts/slurm/submit.sh",
                "share/recoverysim/scenarios/baseline.yaml", "share/doc/recoverysim/README.md"]:
        check((PREFIX / rel).is_file(), f"not installed: {rel}")
    check(os.access(PREFIX / "share/recoverysim/scripts/slurm/submit.sh", os.X_OK),
          "share/recoverysim/scripts/slurm/submit.sh is not executable")
    configs = sorted(PREFIX.glob("**/cmake/recoverysim/recoverysimConfig.cmake"))
    if len(configs) != 1:
        sys.exit(f"FAIL: {len(configs)} recoverysimConfig.cmake under {PREFIX}")
    package = configs[0].parent
    for name in ["recoverysimConfigVersion.cmake", "recoverysimTargets.cmake"]:
        check((package / name).is_file(), f"not installed: {package.relative_to(PREFIX)}/{name}")
    for library in ["engine", "model", "modules"]:
        check(any(package.parent.parent.glob(f"librecoverysim_{library}.*")), f"librecoverysim_{library} not installed")

    # The exported interface: the three targets, and nothing private or of the application.
    exported = "".join(p.read_text() for p in sorted(package.glob("recoverysimTargets*.cmake")))
    for target in ["engine", "model", "modules"]:
        check(f"add_library(recoverysim::{target} STATIC IMPORTED)" in exported,
              f"recoverysim::{target} is not exported as a static library")
    for word in ["hdf5", "mpi", "recoverysim_options", "-werror", "-wall", "recoverysim_runner"]:
        check(re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", exported, re.IGNORECASE) is None,
              f"the exported targets mention {word}")
    check(str(SOURCE) not in exported, "the exported targets name the source tree")
    check(re.search(r"\$<BUILD_INTERFACE", exported) is None, "the exported targets keep a BUILD_INTERFACE")

    # The consumer, copied out of the source tree so that nothing of the tree can be found by it.
    consumer = WORK / "consumer"
    shutil.copytree(SOURCE / "tests" / "install" / "consumer", consumer)
    build = WORK / "consumer-build"
    run(["cmake", "-S", consumer, "-B", build, "-G", GENERATOR, f"-DCMAKE_PREFIX_PATH={PREFIX}",
         f"-DCMAKE_CXX_COMPILER={CXX}", "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"])
    run(["cmake", "--build", build])

    # Its headers come from the installation, never from the tree.
    commands = json.loads((build / "compile_commands.json").read_text())
    for command in commands:
        words = shlex.split(command["command"])
        for i, word in enumerate(words):
            folder = None
            if word in ("-I", "-isystem") and i + 1 < len(words):
                folder = words[i + 1]
            elif word.startswith("-I") and len(word) > 2:
                folder = word[2:]
            elif word.startswith("-isystem") and len(word) > len("-isystem"):
                folder = word[len("-isystem"):]
            if folder is None:
                continue
            path = Path(folder).resolve()
            check(not inside(path, SOURCE) or inside(path, PREFIX),
                  f"the consumer includes {folder}, outside the installation")
        check("hdf5" not in command["command"].lower(), "the consumer compiles with HDF5")
    link_files = [*build.glob("CMakeFiles/consumer.dir/link.txt"), *build.glob("build.ninja")]
    check(link_files, "no link command found in the consumer's build")
    for link in link_files:
        check("hdf5" not in link.read_text().lower(), f"the consumer links HDF5 ({link.name})")

    # What it prints: a whole cohort, and the same as the program built in the tree.
    program = next(p for p in [build / "consumer", build / "Release" / "consumer"] if p.exists())
    output = run([program])
    reference = run([REFERENCE])
    print(output, end="")
    check(output == reference, f"the installed consumer printed\n{output}the one built in the tree\n{reference}")
    agents = re.search(r"^agents (\d+) days (\d+)$", output, re.MULTILINE)
    states = {m.group(1): int(m.group(2)) for m in re.finditer(r"^state (\w+) (\d+)$", output, re.MULTILINE)}
    cost = re.search(r"^peer_mentor cost ([\d.]+)$", output, re.MULTILINE)
    if not agents or len(states) != 6 or not cost:
        sys.exit(f"FAIL: unexpected output:\n{output}")
    check(sum(states.values()) == int(agents.group(1)),
          f"the states add up to {sum(states.values())}, not to the {agents.group(1)} agents")
    check(states["lapse"] + states["relapse"] > 0, "nobody lapses or relapses")
    check(float(cost.group(1)) > 0, "the mentors cost nothing")

    version = run([PREFIX / "bin" / "recoverysim", "--version"])
    check(version.startswith("recoverysim "), f"the installed recoverysim --version printed {version!r}")

    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print(f"ok: installed into {PREFIX}; the consumer built against it prints what the tree's build prints")


if __name__ == "__main__":
    main()
