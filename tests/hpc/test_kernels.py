#!/usr/bin/python3
"""One binary for every node (sim/engine/kernels.hpp): the same results with every kernel and on an old CPU.

Usage: test_kernels.py CHECK BINARY SOURCE_DIR WORK_DIR
CHECK:
  same-results  runs two small shipped scenarios (every tile pass; the modules on the scalar
                effect hook) with every kernel this CPU runs
                (RECOVERYSIM_KERNELS) and under `qemu-x86_64 -cpu Nehalem` (x86-64-v2, no AVX:
                the baseline kernel, and the C library's non-FMA code), and checks that every
                dataset is byte for byte the same (scripts/same_results.py); that --version
                names the kernel in use, also under qemu; that a kernel the CPU lacks is
                refused in one line; and that a CPU below the baseline (qemu's core2duo) gets a
                message rather than SIGILL. Without qemu-x86_64 the qemu part is skipped (exit 77)
                after the native checks pass.
  instructions  disassembles the program: every function that uses an instruction beyond
                x86-64-v2 (AVX, AVX2, AVX-512, FMA, BMI, ...) must belong to the avx2 or avx512
                kernel, so that nothing else can reach one on an older CPU.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from processes import Checks  # noqa: E402

CHECK, BINARY, SOURCE, WORK = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]) / sys.argv[1]
# Every module, five arms, open intake: the day kernel and every tile pass.
SCENARIO = [str(SOURCE / "scenarios" / "combined.yaml"), "-q", "--replicates", "2", "--set", "days=60"]
# The modules written on the scalar effect hook (programme, contingency_management).
HOOK_SCENARIO = [str(SOURCE / "scenarios" / "services" / "contingency_management.yaml"), "-q", "--replicates", "2",
                 "--set", "days=90"]
SKIP = 77
checks = Checks(SOURCE)


def run(args, env_kernel=None, expect=0, prefix=()):
    env = dict(os.environ)
    env.pop("RECOVERYSIM_KERNELS", None)
    if env_kernel:
        env["RECOVERYSIM_KERNELS"] = env_kernel
    result = subprocess.run(list(prefix) + [BINARY] + list(args), capture_output=True, text=True, env=env,
                            timeout=600)
    if result.returncode != expect:
        sys.exit(f"FAIL: {' '.join(list(prefix) + [BINARY] + list(args))} (RECOVERYSIM_KERNELS={env_kernel})\n"
                 f"exit {result.returncode}, expected {expect}\n{result.stdout}\n{result.stderr}")
    return result


def version(prefix=(), env_kernel=None):
    """(kernel in use, kernels this CPU runs, build line) from --version."""
    text = run(["--version"], env_kernel, prefix=prefix).stdout
    m = re.search(r"^kernel: (\S+) \(this CPU runs: ([^)]*)\)$", text, re.M)
    build = re.search(r"^build: (.*)$", text, re.M)
    if not m or not build:
        sys.exit(f"FAIL: --version does not name the kernels:\n{text}")
    return m.group(1), [k.strip() for k in m.group(2).split(",")], build.group(1)


def same_results():
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    in_use, supported, build = version()
    print(f"kernel in use: {in_use}; this CPU runs: {', '.join(supported)}; build: {build}")
    checks.check(in_use == supported[-1], "by default the best kernel the CPU runs is used")
    checks.check(build.endswith("kernel " + in_use), "the build fingerprint names the kernel in use", build)

    outputs = {}
    for kernel in supported:
        checks.check(version(env_kernel=kernel)[0] == kernel, f"RECOVERYSIM_KERNELS={kernel} is the kernel in use")
        outputs[kernel] = WORK / f"{kernel}.h5"
        run(["run"] + SCENARIO + ["-o", str(outputs[kernel])], kernel)
        run(["run"] + HOOK_SCENARIO + ["-o", str(WORK / f"{kernel}.hook.h5")], kernel)
    reference = supported[0]
    for kernel in supported[1:]:
        checks.same(outputs[reference], outputs[kernel], f"{kernel} kernel: the same datasets as {reference}")
        checks.same(WORK / f"{reference}.hook.h5", WORK / f"{kernel}.hook.h5",
                   f"{kernel} kernel: the same datasets as {reference} for the modules on the scalar hook")

    # Parts from nodes of different CPUs: merged, the builds listed, the results the same.
    if len(supported) > 1:
        parts = [WORK / "part1.h5", WORK / "part2.h5"]
        run(["run"] + SCENARIO + ["--shard", "1/2", "-o", str(parts[0])], supported[0])
        run(["run"] + SCENARIO + ["--shard", "2/2", "-o", str(parts[1])], supported[-1])
        merged = WORK / "merged.h5"
        text = run(["merge", str(parts[0]), str(parts[1]), "-o", str(merged)]).stdout
        checks.check("written by 2 different builds" in text and f"kernel {supported[0]}" in text
              and f"kernel {supported[-1]}" in text, "merge lists the builds of parts from two kernels", text)
        checks.same(outputs[reference], merged, "parts from two kernels merge to the same datasets")

    # Refusals: one line, exit code 2, before anything runs.
    unknown = run(["--version"], "sse9", expect=2)
    checks.check(unknown.stderr.count("\n") == 1 and "sse9" in unknown.stderr, "an unknown kernel is refused in one line",
          unknown.stderr)
    qemu = shutil.which("qemu-x86_64")
    if os.environ.get("RECOVERYSIM_TEST_SANITIZED") == "1":
        print("SKIP: the qemu part (sanitizer runtimes do not run under qemu-user)")
        return SKIP if not checks.failures else 1
    if not qemu:
        print("SKIP: the qemu part: qemu-x86_64 is not installed (scripts/install-deps.sh installs qemu-user)")
        return SKIP if not checks.failures else 1
    nehalem = [qemu, "-cpu", "Nehalem"]
    old_in_use, old_supported, old_build = version(prefix=nehalem)
    checks.check(old_in_use == supported[0] and old_supported == [supported[0]],
          f"--version under qemu -cpu Nehalem names the {supported[0]} kernel alone",
          f"{old_in_use}; {old_supported}")
    if "avx2" in supported:
        refused = run(["--version"], "avx2", expect=2, prefix=nehalem)
        checks.check("lacks AVX2" in refused.stderr and refused.stderr.count("\n") == 1,
              "under qemu -cpu Nehalem, RECOVERYSIM_KERNELS=avx2 is refused in one line", refused.stderr)
    old = WORK / "nehalem.h5"
    run(["run"] + SCENARIO + ["-o", str(old)], prefix=nehalem)
    checks.same(outputs[reference], old, "qemu -cpu Nehalem: the same datasets as this CPU's kernels")
    old_hook = WORK / "nehalem.hook.h5"
    run(["run"] + HOOK_SCENARIO + ["-o", str(old_hook)], prefix=nehalem)
    checks.same(WORK / f"{reference}.hook.h5", old_hook, "qemu -cpu Nehalem: the same datasets for the scalar hook")

    if "; x86-64-v2;" in build:
        # Core 2: no SSE4.2 nor POPCNT. The program must say so, not die of SIGILL.
        result = subprocess.run([qemu, "-cpu", "core2duo", BINARY, "--version"], capture_output=True, text=True,
                                timeout=120)
        checks.check(result.returncode == 1 and "lacks SSE4.2/POPCNT (x86-64-v2)" in result.stderr
              and "RECOVERYSIM_BASELINE=x86-64" in result.stderr and result.stderr.count("\n") == 1,
              "qemu -cpu core2duo (below x86-64-v2): one line saying what is missing, exit 1",
              f"exit {result.returncode}: {result.stderr}")
    return 1 if checks.failures else 0


# Mnemonics beyond x86-64-v2: every VEX/EVEX instruction starts with v (vmovdqu, vfmadd...),
# AVX-512 mask instructions with k, and BMI/LZCNT/MOVBE. tzcnt is left out: it is encoded as
# rep bsf, which older CPUs run as bsf, and GCC emits it for the baseline.
WIDE = re.compile(r"\t(v[a-z0-9]+|k(?:mov|and|or|xor|not|shift|test|unpck|add)[a-z0-9]*|andn|bextr|blsi|blsmsk|"
                  r"blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx|lzcnt|movbe)\s")
KERNEL_CODE = re.compile(r"kernel_avx2|kernel_avx512|Avx2Kernel|Avx512Kernel|Avx2Isa|Avx512Isa")


def instructions():
    if os.environ.get("RECOVERYSIM_TEST_SANITIZED") == "1":
        print("SKIP: sanitizer builds are not checked")
        return SKIP
    objdump = shutil.which("objdump")
    if not objdump:
        print("SKIP: objdump is not installed")
        return SKIP
    text = subprocess.run([objdump, "-d", "--no-show-raw-insn", "-C", BINARY], capture_output=True, text=True,
                          check=True).stdout
    function, outside, inside = None, {}, 0
    for line in text.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            function = m.group(1)
        elif function and (WIDE.search(line) or "%ymm" in line or "%zmm" in line):
            if KERNEL_CODE.search(function):
                inside += 1
            else:
                outside.setdefault(function, line.strip())
    print(f"instructions beyond x86-64-v2 inside the kernels: {inside}")
    for function, line in list(outside.items())[:20]:
        print(f"  outside a kernel: {function[:150]}\n    {line}")
    checks.check(not outside, "no function outside the avx2 and avx512 kernels uses an instruction beyond x86-64-v2")
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit({"same-results": same_results, "instructions": instructions}[CHECK]())
