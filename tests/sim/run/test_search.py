#!/usr/bin/python3
"""`recoverysim search` against the truth of a dense sweep (a statistical test, seeds fixed).

The truth, tests/sim/run/search_truth.json, is the share of 400 replicates in which the
90th-percentile wait for a mentor is at most 14 days, for every level of peer_mentor.mentors
from 0 to 150 in tests/sim/run/search.yaml; the true answer is the smallest level whose share
is at least 0.8. It was computed once by this script with --dense (about 15 minutes on two
cores) and is stored with the test.

The test runs the search over 0:150 and checks that
- its answer is within 5% (or one level) of the true answer;
- it simulated at most a third of the agent-days of the dense sweep;
- the results file holds every level evaluated, each with the same replicates, and the rows of a
  level are those a plain run of that level gives (common random numbers);
- `recommend` on the file with the same wait limit agrees that the answer is the smallest level
  that meets it (at a willingness to pay of 0, the cheapest such level is the runner-up to usual
  care, which has no queue), and summarize and compare read the file.

Usage: test_search.py BINARY SOURCE_DIR WORK_DIR [--dense]
"""
import json
import pathlib
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

BINARY, SOURCE, WORK = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
SCENARIO = SOURCE / "tests" / "sim" / "run" / "search.yaml"
TRUTH = SOURCE / "tests" / "sim" / "run" / "search_truth.json"
LOW, HIGH, MAX_WAIT, QUANTILE, CONFIDENCE = 0, 150, 14.0, 0.9, 0.8
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {detail}"))
    if not ok:
        failures.append(what)


def run(*args, timeout=1800):
    result = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        sys.exit(f"FAIL: recoverysim {' '.join(map(str, args))}: exit {result.returncode}\n{result.stderr}")
    return result.stdout


def within_wait(group):
    p90 = group["outcomes/peer_mentor.wait_p90_days"][...]
    return np.where(np.isnan(p90), False, p90 <= MAX_WAIT)  # NaN: more than 10% never served


def dense():
    """The truth: every level, 400 replicates, in batches (every agent's row is stored)."""
    replicates, batch = 400, 8
    shares, agent_days = {}, 0
    levels = list(range(LOW, HIGH + 1))
    for start in range(0, len(levels), batch):
        part = levels[start:start + batch]
        scenario = WORK / "dense.yaml"
        text = SCENARIO.read_text().replace(
            "      - {type: peer_mentor, caseload: 8, mentors: 20}",
            "      - {type: peer_mentor, caseload: 8, mentors: 20}\n    sweep:\n      grid:\n"
            f"        peer_mentor.mentors: [{', '.join(map(str, part))}]")
        scenario.write_text(text)
        out = WORK / "dense.h5"
        run("run", scenario, "-q", "--force", "--replicates", replicates, "-o", out)
        with h5py.File(out, "r") as f:
            days = int(re.search(r"^days: (\d+)$", f.attrs["scenario_yaml"], re.M).group(1))
            for name, g in f["arms"].items():
                if "sweep_values" in g.attrs:
                    shares[int(g.attrs["sweep_values"][0])] = float(within_wait(g).mean())
                    agent_days += replicates * days * g["agents/admission_day"].shape[1]
        out.unlink()
        print(f"dense: levels {part[0]}..{part[-1]} done", file=sys.stderr)
    answer = min(level for level, share in shares.items() if share >= CONFIDENCE)
    TRUTH.write_text(json.dumps({
        "scenario": "tests/sim/run/search.yaml", "over": "peer_mentor.mentors", "range": [LOW, HIGH],
        "max_wait_days": MAX_WAIT, "wait_quantile": QUANTILE, "confidence": CONFIDENCE,
        "replicates": replicates, "agent_days": agent_days, "answer": answer,
        "shares": {str(k): shares[k] for k in sorted(shares)}}, indent=1) + "\n")
    print(f"truth: {answer}; dense sweep {agent_days:.3g} agent-days")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    if "--dense" in sys.argv:
        dense()
        return
    truth = json.loads(TRUTH.read_text())
    out = WORK / "search.h5"
    printed = run("search", SCENARIO, "--over", "peer_mentor.mentors", "--range", f"{LOW}:{HIGH}",
                  "--max-wait-days", MAX_WAIT, "--wait-quantile", QUANTILE, "--confidence", CONFIDENCE, "-o", out)
    print(printed)
    with h5py.File(out, "r") as f:
        s = f["search"].attrs
        answer, agent_days, R = int(s["answer"]), int(s["agent_days"]), int(s["replicates"])
        tolerance = max(1, round(0.05 * truth["answer"]))
        near = {k: truth["shares"][str(k)] for k in range(truth["answer"] - 2, truth["answer"] + 3)}
        check(f"the answer {answer} is within {tolerance} of the dense sweep's {truth['answer']}",
              abs(answer - truth["answer"]) <= tolerance, f"true shares near the answer: {near}")
        check(f"agent-days {agent_days:.3g} at most a third of the dense sweep's {truth['agent_days']:.3g}",
              3 * agent_days <= truth["agent_days"])
        levels = sorted(int(g.attrs["sweep_values"][0]) for g in f["arms"].values() if "sweep_values" in g.attrs)
        evaluated = sorted({int(row[0]) for row in f["search/evaluations"][...]})
        check("the file holds every level evaluated, and only those", levels == evaluated, f"{levels} vs {evaluated}")
        check("every arm has the search's replicates",
              all(g["outcomes/relapse_by_day_365"].shape[0] == R for g in f["arms"].values()))
        check("the file's scenario states those replicates",
              re.search(r"^replicates: (\d+)$", f.attrs["scenario_yaml"], re.M).group(1) == str(R))
        undocumented = []
        f.visititems(lambda name, obj: undocumented.append(name) if isinstance(obj, h5py.Dataset) and not (
            "units" in obj.attrs and "description" in obj.attrs) else None)
        check("every dataset of the search's file has units and a description", not undocumented, undocumented[:5])
        searched = f[f"arms/mentors_{answer}/outcomes/relapse_by_day_365"][...]
        searched_wait = f[f"arms/mentors_{answer}/outcomes/peer_mentor.wait_p90_days"][...]
    # Common random numbers: the level's rows are a plain run's rows of that level.
    plain = WORK / "plain.h5"
    run("run", SCENARIO, "-q", "--replicates", R, "--set", f"arms.mentors.peer_mentor.mentors={answer}", "-o", plain)
    with h5py.File(plain, "r") as f:
        check("the answer's rows are a plain run's rows of that level (same replicates, same draws)",
              np.array_equal(f["arms/mentors/outcomes/relapse_by_day_365"][...], searched) and
              np.array_equal(f["arms/mentors/outcomes/peer_mentor.wait_p90_days"][...], searched_wait, equal_nan=True))
    advice = json.loads(run("recommend", out, "--wtp", 0, "--max-wait-days", MAX_WAIT, "--wait-quantile", QUANTILE,
                            "--confidence", CONFIDENCE, "--format", "json"))
    feasible = sorted(int(a["name"].split("_")[1]) for a in advice["arms"] if a["name"].startswith("mentors_") and a["feasible"])
    check(f"recommend with the same wait limit finds the search's answer the smallest level that meets it",
          bool(feasible) and feasible[0] == answer, f"levels that meet it: {feasible}")
    check("at a willingness to pay of 0 the runner-up to usual care is that level",
          advice["recommended"] == "usual_care" and advice["runner_up"] == f"mentors_{answer}", advice["runner_up"])
    for command in ("summarize", "compare"):
        check(f"{command} reads the search's file", f"mentors_{answer}" in run(command, out))
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
