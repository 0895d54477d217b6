#!/usr/bin/python3
"""Build the release preset and measure recoverysim side by side with its baselines, on this
machine, in one run: agent-days per second at 1 and 2 threads for the core model and for an arm
with all three interventions, the floor kernel (one Philox draw and one table transition per
agent-day) and a vectorised NumPy implementation of the core model (one core); peak memory per
agent; the time spent writing output; many small replicates against one large cohort.
Prints Markdown tables and ratios, and writes a plot of throughput against agents.

    /usr/bin/python3 scripts/benchmark.py                       # the full set
    /usr/bin/python3 scripts/benchmark.py --sizes 10000,100000 --days 100 --no-build   # a quick look

The machine is shared and noisy: read the ratios, which compare runs made minutes apart.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "release"


def run_measured(command):
    """Runs a command; returns its stdout and its peak resident memory in bytes."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, command))}")
    return out, usage.ru_maxrss * 1024


def table_rates(out):
    """Rates by thread count from a benchmark's Markdown table."""
    rates = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[3].isdigit():
            rates[int(cells[3])] = float(cells[5])
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000,10000000")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--numpy-max-agents", type=int, default=1000000,
                        help="largest cohort for the NumPy baseline (it is slow)")
    parser.add_argument("--modules-max-agents", type=int, default=10000000,
                        help="largest cohort for the three-module arm")
    parser.add_argument("--small-replicates", type=int, default=1000,
                        help="replicates of 10,000 agents for the many-small-replicates figure (0: skip)")
    parser.add_argument("--plot", default=str(ROOT / "docs" / "performance-throughput.png"))
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    if not args.no_build:
        subprocess.run(["cmake", "--preset", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", "--preset", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    rows = []
    for n in sizes:
        common = ["--agents", str(n), "--days", str(args.days)]
        row = {"agents": n}
        out, rss = run_measured([BUILD / "recoverysim_bench", *common, "--threads", "1,2"])
        row["core"] = table_rates(out)
        row["core_bytes_per_agent"] = rss / n
        if n <= args.modules_max_agents:
            out, rss = run_measured([BUILD / "recoverysim_bench", *common, "--threads", "1,2", "--modules"])
            row["modules"] = table_rates(out)
            row["modules_bytes_per_agent"] = rss / n
        out, _ = run_measured([BUILD / "recoverysim_floor", *common, "--threads", "1,2"])
        row["floor"] = table_rates(out)
        if n <= args.numpy_max_agents:
            out, _ = run_measured(["/usr/bin/python3", ROOT / "bench" / "numpy_core.py", *common, "--seed", "1"])
            row["numpy"] = json.loads(out.strip().splitlines()[-1])["agent_days_per_second"]
        rows.append(row)
        print(f"measured {n} agents", file=sys.stderr)

    m = lambda x: f"{x / 1e6:.1f} M"
    print(f"## Throughput (agent-days per second, {args.days} days)\n")
    print("| agents | core 1 thr | core 2 thr | speed-up | 3 modules 1 thr | 3 modules 2 thr | floor 2 thr "
          "| core / floor | NumPy (1 core) | core 1 thr / NumPy | core 2 thr / NumPy | bytes per agent (core) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c, mo, f = r["core"], r.get("modules"), r["floor"]
        numpy = r.get("numpy")
        print(f"| {r['agents']:,} | {m(c[1])} | {m(c[2])} | {c[2] / c[1]:.2f} | {m(mo[1]) if mo else '-'} "
              f"| {m(mo[2]) if mo else '-'} | {m(f[2])} "
              f"| {c[2] / f[2]:.2f} | {m(numpy) if numpy else '-'} | {f'{c[1] / numpy:.1f}' if numpy else '-'} "
              f"| {f'{c[2] / numpy:.1f}' if numpy else '-'} | {r['core_bytes_per_agent']:.0f} |")

    # Output writing, through the CLI on the baseline scenario.
    print("\n## Output writing (baseline scenario, 1 replicate, trajectories off)\n")
    print("| agents | run seconds | writing output seconds | share |\n|---|---|---|---|")
    for n in sizes[-2:]:
        out, _ = run_measured([BUILD / "recoverysim", "run", "scenarios/baseline.yaml", "-q", "--replicates", "1",
                               "--set", f"population.size={n}", "--set", f"days={args.days}",
                               "-o", str(BUILD / "benchmark-output.h5"), "--force"])
        total, writing = map(float, re.search(r"in ([\d.]+) s .*writing output ([\d.]+) s", out, re.S).groups())
        print(f"| {n:,} | {total:.2f} | {writing:.2f} | {100 * writing / max(total, 1e-9):.1f}% |")
    (BUILD / "benchmark-output.h5").unlink(missing_ok=True)

    if args.small_replicates:
        # Same path for both (the CLI: cohort set-up, simulation, output), same agent-days.
        print("\n## Many small replicates against one large cohort (CLI, 2 threads, output included)\n")
        print("| cohort | replicates | agent-days | seconds | agent-days/s |\n|---|---|---|---|---|")
        rates = []
        for agents, replicates in ((10000, args.small_replicates), (10000 * args.small_replicates // 10, 10)):
            out, _ = run_measured([BUILD / "recoverysim", "run", "scenarios/baseline.yaml", "-q", "--threads", "2",
                                   "--replicates", str(replicates), "--set", f"population.size={agents}",
                                   "--set", f"days={args.days}", "-o", str(BUILD / "benchmark-output.h5"), "--force"])
            total = float(re.search(r"in ([\d.]+) s", out).group(1))
            agent_days = agents * replicates * args.days
            rates.append(agent_days / total)
            print(f"| {agents:,} | {replicates:,} | {agent_days:.3g} | {total:.2f} | {m(rates[-1])} |")
        (BUILD / "benchmark-output.h5").unlink(missing_ok=True)
        print(f"\nSmall replicates reach {rates[0] / rates[1]:.2f} of the large cohort's throughput "
              f"({rates[0] / rows[-1]['core'][2]:.2f} of the benchmark's largest-cohort core rate, which has no "
              f"set-up or output).")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 4.5))
    agents = [r["agents"] for r in rows]
    for key, label in (("core", "core"), ("modules", "core + 3 modules"), ("floor", "floor kernel")):
        for threads, style in ((1, "--"), (2, "-")):
            measured = [r for r in rows if key in r]
            ax.plot([r["agents"] for r in measured], [r[key][threads] for r in measured], style, marker="o",
                    label=f"{label}, {threads} thr")
    numpy_rows = [r for r in rows if "numpy" in r]
    if numpy_rows:
        ax.plot([r["agents"] for r in numpy_rows], [r["numpy"] for r in numpy_rows], ":", marker="s",
                label="NumPy baseline, 1 core")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("agents")
    ax.set_ylabel("agent-days per second")
    ax.set_title(f"recoverysim throughput, {args.days} days")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
