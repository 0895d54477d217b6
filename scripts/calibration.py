#!/usr/bin/python3
"""Run the shipped scenarios and print each calibration target (targets T1-T8) beside the
simulated figure, as the Markdown table of docs/calibration.md; with --literature, every
expressible target of calibration/literature.yaml (T1-T21) instead.

    /usr/bin/python3 scripts/calibration.py [--binary build/release/recoverysim] [--replicates 10]
    /usr/bin/python3 scripts/calibration.py --literature calibration/literature.yaml [--replicates 10]

Intervals are 95% normal intervals over replicates (paired by replicate for ratios and
differences between arms: arms of a replicate share people and core draws).
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
ALCOHOL, OPIOID, STIMULANT = 0, 1, 2
EARLY, STABLE, DECEASED = 1, 2, 5


def run(binary, scenario, out, replicates):
    subprocess.run([binary, "run", str(ROOT / scenario), "-q", "--force", "-o", str(out), "--replicates", str(replicates)],
                   check=True, stdout=subprocess.DEVNULL)
    return h5py.File(out, "r")


def interval(values):
    values = np.asarray(values, dtype=float)
    half = 1.96 * values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{values.mean():.3f} [{values.mean() - half:.3f}, {values.mean() + half:.3f}]"


def point_abstinence(arm, day):
    """Per replicate: share of living admitted agents in early or stable recovery at the end of `day`."""
    counts = arm["state_counts"][:, day, :]
    living = counts.sum(axis=1) - counts[:, DECEASED]
    return (counts[:, EARLY] + counts[:, STABLE]) / living


def by_substance(arm, values_fn):
    substance = arm["agents/substance"][...]
    return {s: np.array([values_fn(r, substance[r] == s) for r in range(substance.shape[0])])
            for s in (ALCOHOL, OPIOID, STIMULANT)}


class TargetsError(Exception):
    pass


def checked_targets(path):
    """The targets of a literature file, each checked for the keys this script reads."""
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise TargetsError(f"{path}: {e}")
    if not isinstance(doc, dict) or not isinstance(doc.get("targets"), list):
        raise TargetsError(f"{path}: expected a mapping with a list `targets`")
    seen = set()
    for k, t in enumerate(doc["targets"]):
        where = f"{path}: targets[{k}]"
        if not isinstance(t, dict):
            raise TargetsError(f"{where}: expected a mapping")
        for key in ("id", "quantity", "population", "origin", "scenario", "measure", "observed", "tolerance"):
            if key not in t:
                raise TargetsError(f"{where}: missing `{key}`")
        where = f"{path}: target {t['id']}"
        if t["id"] in seen:
            raise TargetsError(f"{where}: id used twice")
        seen.add(t["id"])
        if not isinstance(t["scenario"], dict) or not isinstance(t["scenario"].get("file"), str):
            raise TargetsError(f"{where}: scenario: expected {{file: ..., set: ..., outcomes: [...]}}")
        if not (pathlib.Path(path).parent / t["scenario"]["file"]).is_file():
            raise TargetsError(f"{where}: scenario.file: no file {t['scenario']['file']}")
        m = t["measure"]
        kinds = [k for k in ("quantity", "ratio", "difference") if k in m]
        if len(kinds) != 1:
            raise TargetsError(f"{where}: measure: expected one of quantity, ratio, difference")
        if kinds[0] != "quantity" and (not isinstance(m[kinds[0]], list) or len(m[kinds[0]]) != 2):
            raise TargetsError(f"{where}: measure.{kinds[0]}: expected two quantities")
        if "arms" in m and (not isinstance(m["arms"], list) or len(m["arms"]) != 2):
            raise TargetsError(f"{where}: measure.arms: expected two arms")
        tol = t["tolerance"]
        if not (isinstance(tol, list) and len(tol) == 2 and all(isinstance(x, (int, float)) for x in tol)
                and tol[0] <= tol[1]):
            raise TargetsError(f"{where}: tolerance: expected [low, high] with low <= high")
        if not isinstance(t["observed"], dict) or not isinstance(t["observed"].get("value"), (int, float)):
            raise TargetsError(f"{where}: observed: expected {{value: ...}}")
    return doc["targets"], doc.get("not_expressible", [])


CORE_SECTIONS = ("name", "days", "replicates", "seed", "population", "intake", "treatment", "model", "output",
                 "analysis")


def set_path(node, dotted, value):
    *parents, last = dotted.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def set_key(scenario, dotted, value):
    """Sets a dotted key in a scenario's YAML tree, as the file would say it. A module's key
    (`peer_mentor.caseload`) goes to every intervention of that type, in every arm; a scenario
    without one is left alone, as `recoverysim calibrate` does."""
    module, _, key = dotted.partition(".")
    if module in CORE_SECTIONS:
        set_path(scenario, dotted, value)
        return
    for arm in scenario.get("arms") or []:
        for intervention in arm.get("interventions") or []:
            if intervention.get("type") == module:
                set_path(intervention, key, value)


def literature_rows(binary, path, replicates, tmp, overrides=()):
    """One row per target: its figure in the model, mean and 95% interval over replicates.
    `overrides` (KEY, VALUE) pairs change the model for every target first; a target's own `set`
    keys still apply over them (T13-untreated's closed entry, say)."""
    targets, not_expressible = checked_targets(path)
    runs = {}  # one run per distinct scenario (file, set, outcomes)
    rows = []
    for t in targets:
        spec = t["scenario"]
        key = json.dumps(spec, sort_keys=True)
        if key not in runs:
            with open(pathlib.Path(path).parent / spec["file"]) as f:
                scenario = yaml.safe_load(f)
            for dotted, value in [*overrides, *(spec.get("set") or {}).items()]:
                set_key(scenario, dotted, value)
            scenario.setdefault("analysis", {}).setdefault("outcomes", []).extend(spec.get("outcomes", []))
            scenario.pop("output", None)
            yaml_path = tmp / f"target_{len(runs)}.yaml"
            yaml_path.write_text(yaml.safe_dump(scenario, sort_keys=False))
            out = tmp / f"target_{len(runs)}.h5"
            done = subprocess.run([binary, "run", str(yaml_path), "-q", "--force", "-o", str(out), "--replicates",
                                   str(replicates)], capture_output=True, text=True)
            if done.returncode != 0:
                raise TargetsError(f"{path}: target {t['id']}: its scenario does not run: "
                                   + (done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1])
            runs[key] = h5py.File(out, "r")
        f = runs[key]
        m = t["measure"]
        names = [m["quantity"]] if "quantity" in m else m.get("ratio", m.get("difference"))
        arms_needed = m.get("arms") or [t.get("arm") or list(f["arms"].keys())[0]]
        for arm in arms_needed:
            for q in names:
                if f"arms/{arm}/outcomes/{q}" not in f:
                    raise TargetsError(f"{path}: target {t['id']}: measure: no outcome {q} in arm {arm} of "
                                       f"{spec['file']}")
        default_arm = t.get("arm") or list(f["arms"].keys())[0]

        def values(quantity, arm):
            v = f[f"arms/{arm}/outcomes/{quantity}"][...].astype(float)
            return 1.0 - v if m.get("complement") else v

        if "quantity" in m:
            v = values(m["quantity"], default_arm)
        else:
            kind = "ratio" if "ratio" in m else "difference"
            a, b = m[kind]
            arms = m.get("arms", [default_arm, default_arm])
            x, y = values(a, arms[0]), values(b, arms[1])
            v = x / y if kind == "ratio" else x - y
        mean = float(np.mean(v))
        low, high = t["tolerance"]
        verdict = "inside" if low <= mean <= high else ("below" if mean < low else "above")
        observed = t["observed"]
        shown = f"{observed['value']:g}" + (f" ({observed['range'][0]:g}-{observed['range'][1]:g})"
                                             if "range" in observed else "")
        rows.append((t["id"] + (" (held out)" if t.get("held_out") else ""), t["quantity"], shown,
                     f"{low:g} to {high:g}", interval(v), verdict, bool(t.get("held_out"))))
    for f in runs.values():
        f.close()
    return rows, not_expressible


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / "build" / "release" / "recoverysim"))
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--literature", help="a targets file (calibration/literature.yaml)")
    parser.add_argument("--check", action="store_true", help="with --literature: check the file, run nothing")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="with --literature: a model key for every target (a candidate parameter set); "
                             "repeatable")
    args = parser.parse_args()
    overrides = []
    for item in args.set:
        key, eq, value = item.partition("=")
        if not eq or not key:
            print(f"calibration.py: error: --set {item}: expected KEY=VALUE", file=sys.stderr)
            return 2
        overrides.append((key, yaml.safe_load(value)))
    if args.literature and args.check:
        try:
            targets, missing = checked_targets(args.literature)
        except TargetsError as e:
            print(f"calibration.py: error: {e}", file=sys.stderr)
            return 2
        print(f"{args.literature}: {len(targets)} targets, {len(missing)} not expressible")
        return 0
    if args.literature:
        try:
            with tempfile.TemporaryDirectory() as tmp:
                rows, missing = literature_rows(args.binary, args.literature, args.replicates, pathlib.Path(tmp),
                                                overrides)
        except TargetsError as e:
            print(f"calibration.py: error: {e}", file=sys.stderr)
            return 2
        print(f"| target | quantity | published | tolerance | model (mean [95% CI], {args.replicates} replicates) "
              "| |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row[:-1]) + " |")
        fitted = [r for r in rows if not r[-1]]
        held_out = [r for r in rows if r[-1]]
        print(f"\n{sum(r[-2] == 'inside' for r in fitted)} of {len(fitted)} fitted targets and "
              f"{sum(r[-2] == 'inside' for r in held_out)} of {len(held_out)} held out inside their tolerance; "
              "not expressible: " + ", ".join(m["id"] for m in missing))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        f = run(args.binary, "scenarios/baseline.yaml", tmp / "baseline.h5", args.replicates)
        arm = f["arms/usual_care"]
        rows.append(("T1", "relapse within 12 months (mixed substances)", "40-60%",
                     interval(arm["outcomes/relapse_by_day_365"][...])))
        lapse = arm["agents/first_lapse_day"][...]
        substance = arm["agents/substance"][...]
        for day, target in ((30, "~70% (+-10)"), (90, "~40% (+-10)"), (365, "30-40% (+-10)")):
            alive = [np.mean((lapse[r][substance[r] == ALCOHOL] < 0) |
                             (lapse[r][substance[r] == ALCOHOL] >= day)) for r in range(lapse.shape[0])]
            rows.append(("T2", f"alcohol: no lapse by day {day}", target, interval(alive)))
        outcome = arm["agents/first_episode_outcome"][...]
        completion = by_substance(arm, lambda r, m: np.mean(outcome[r][m] == 0))
        rows.append(("T4", "completion, alcohol minus opioid (points)", "+10 to +20",
                     interval(100 * (completion[ALCOHOL] - completion[OPIOID]))))
        rows.append(("T4", "completion, alcohol minus stimulant (points)", "+10 to +20",
                     interval(100 * (completion[ALCOHOL] - completion[STIMULANT]))))
        mh = arm["agents/mental_health"][...]
        rows.append(("T5", "co-occurring mental health condition", "40-55%", interval(mh.mean(axis=1))))

        targets = {"detox": "60-65% (+-7)", "residential": "55-62% (+-7)",
                   "intensive_outpatient": "~38% (+-7)", "outpatient": "35-40% (+-7)"}
        for setting, target in targets.items():
            g = run(args.binary, f"scenarios/settings/{setting}.yaml", tmp / f"{setting}.h5", args.replicates)
            rows.append(("T3", f"first-episode completion, {setting}", target,
                         interval(g["arms/usual_care/outcomes/first_episode_completion"][...])))

        g = run(args.binary, "scenarios/twelve_step.yaml", tmp / "twelve_step.h5", args.replicates)

        def continuous_abstinence(arm_name):
            a = g[f"arms/{arm_name}"]
            lapse, subst = a["agents/first_lapse_day"][...], a["agents/substance"][...]
            return np.array([np.mean(lapse[r][subst[r] == ALCOHOL] < 0) for r in range(lapse.shape[0])])

        base = continuous_abstinence("usual_care")
        fac = continuous_abstinence("facilitation")
        rows.append(("T6", "continuous abstinence 12 months, alcohol: usual care -> facilitation", "~35% -> ~42%",
                     f"{base.mean():.3f} -> {fac.mean():.3f}"))
        rows.append(("T6", "  risk ratio (paired by replicate)", "1.21 (1.03-1.42)", interval(fac / base)))

        g = run(args.binary, "scenarios/peer_mentor_effect.yaml", tmp / "pm.h5", args.replicates)
        ratio = point_abstinence(g["arms/peer_mentor"], 179) / point_abstinence(g["arms/usual_care"], 179)
        rows.append(("T7", "abstinence at 6 months, peer mentor / usual care", "RR 1.1-1.4", interval(ratio)))

        g = run(args.binary, "scenarios/group_vs_individual.yaml", tmp / "gvi.h5", args.replicates)
        ind, grp = g["arms/individual"], g["arms/group"]
        for day in (179, 364):
            diff = 100 * (point_abstinence(grp, day) - point_abstinence(ind, day))
            rows.append(("T8", f"abstinence day {day + 1}, group minus individual (points)", "within +-5",
                         interval(diff)))
        staff = (grp["modules/group/daily/staff_fte"][...].sum(axis=1) /
                 ind["modules/group/daily/staff_fte"][...].sum(axis=1))
        rows.append(("T8", "clinician FTE-days, group / individual", "~0.6", interval(staff)))

    print(f"| target | quantity | literature | simulated (mean [95% CI], {args.replicates} replicates) |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    sys.exit(main())
