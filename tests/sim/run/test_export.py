#!/usr/bin/python3
"""`recoverysim export` and `recoverysim scenario` against the results file itself.

On a small scenario with a sweep, a drawn parameter, two modules and the event record:
- outcomes: one row per (arm, replicate, quantity), values equal to the file's per-replicate
  outcomes, the swept value and the replicate's draw in their columns; CSV and JSON agree;
- daily: one row per (arm, replicate, day, quantity), equal to the state counts and the modules'
  daily metrics;
- agents: one row per person, equal to the agents' records, categories by name, fields of a
  module the arm lacks missing;
- events: one row per recorded event, with the event's name;
- a failed export leaves no file; an existing file is kept without --force;
- `scenario` writes YAML that runs to the same datasets;
- every dataset of the file has `units` and `description` attributes.

Usage: test_export.py BINARY SOURCE_DIR WORK_DIR
"""
import csv
import io
import json
import math
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np

BINARY, SOURCE, WORK = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
failures = []

SCENARIO = """
name: export_test
days: 120
replicates: 3
seed: 5
intake: {arrivals_per_day: 3, for_days: 60}
model:
  lapse:
    craving_coefficient: {dist: normal, mean: 2, sd: 0.3}
analysis: {reference_arm: usual_care}
arms:
  - name: usual_care
  - name: mentors
    interventions:
      - {type: peer_mentor, caseload: 5}
      - {type: group}
    sweep:
      grid:
        peer_mentor.mentors: [2, 6]
output: {events: true, trajectories: true}
"""


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {detail}"))
    if not ok:
        failures.append(what)


def run(*args, ok=True):
    p = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=600)
    if ok and p.returncode != 0:
        sys.exit(f"FAIL: recoverysim {' '.join(map(str, args))}: exit {p.returncode}\n{p.stderr}")
    return p


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    scenario = WORK / "export.yaml"
    scenario.write_text(SCENARIO)
    results = WORK / "export.h5"
    run("run", scenario, "-q", "-o", results)
    f = h5py.File(results, "r")
    arms = list(f["arms"])
    R = 3
    drawn = f["uncertain_parameters/model.lapse.craving_coefficient"][...]

    undocumented = []
    f.visititems(lambda name, obj: undocumented.append(name) if isinstance(obj, h5py.Dataset) and not (
        len(np.atleast_1d(obj.attrs.get("units", ""))[0]) and len(str(obj.attrs.get("description", "")))) else None)
    check("every dataset has units and a description", not undocumented, undocumented[:10])

    # Outcomes, CSV and JSON.
    rows = list(csv.DictReader(io.StringIO(run("export", results).stdout)))
    records = json.loads(run("export", results, "--format", "json").stdout)
    check("CSV and JSON give the same rows", len(rows) == len(records) and all(
        r["arm"] == j["arm"] and r["quantity"] == j["quantity"] and
        (j["value"] is None and r["value"] in ("NA", "Inf", "-Inf") or float(r["value"]) == j["value"])
        for r, j in zip(rows, records)))
    quantities = {a: len(text_list(f[f"arms/{a}/summary/quantities"].attrs["labels"])) for a in arms}
    check("one row per arm, replicate and quantity", len(rows) == R * sum(quantities.values()),
          f"{len(rows)} rows, {R} x {quantities}")
    compared = 0
    for r in rows:
        path = f"arms/{r['arm']}/outcomes/{r['quantity']}"
        if path in f:
            stored = float(f[path][int(r["replicate"])])
            value = math.nan if r["value"] == "NA" else float(r["value"])
            if not (stored == value or (math.isnan(stored) and math.isnan(value))):
                check(f"{path}[{r['replicate']}] exported exactly", False, f"{value} vs {stored}")
                break
            compared += 1
    check(f"every stored per-replicate outcome exported exactly ({compared} values)", compared > 100)
    swept = {r["arm"]: r["peer_mentor.mentors"] for r in rows}
    check("the swept value in its column (NA for usual care)",
          swept == {"usual_care": "NA", "mentors_2": "2", "mentors_6": "6"}, swept)
    check("the replicate's draw in its column", all(
        float(r["model.lapse.craving_coefficient"]) == drawn[int(r["replicate"])] for r in rows))

    # Daily series.
    daily = list(csv.DictReader(io.StringIO(run("export", results, "--what", "daily", "--arm", "mentors_6").stdout)))
    g = f["arms/mentors_6"]
    series = 6 + 6 + 1 + len(g["modules/peer_mentor/daily"]) + len(g["modules/group/daily"])
    check("daily: one row per replicate, day and quantity of the arm", len(daily) == R * 120 * series,
          f"{len(daily)} vs {R * 120 * series}")
    labels = text_list(g["state_counts"].attrs["labels"])
    sample = [r for r in daily if r["replicate"] == "2" and r["day"] == "77"]
    by_name = {r["quantity"]: float(r["value"]) for r in sample}
    check("daily: state counts as stored",
          all(by_name[f"state.{s}"] == g["state_counts"][2, 77, k] for k, s in enumerate(labels)))
    check("daily: module metrics as stored",
          by_name["peer_mentor.queue_length"] == g["modules/peer_mentor/daily/queue_length"][2, 77])

    # Agents.
    agents = list(csv.DictReader(io.StringIO(run("export", results, "--what", "agents").stdout)))
    people = f["arms/usual_care/agents/admission_day"].shape[1]
    check("agents: one row per arm, replicate and person", len(agents) == len(arms) * R * people)
    one = next(r for r in agents if r["arm"] == "mentors_2" and r["replicate"] == "1" and r["agent"] == "17")
    a = f["arms/mentors_2/agents"]
    check("agents: a record as stored", int(one["first_relapse_day"]) == a["first_relapse_day"][1, 17] and
          int(one["peer_mentor.wait_days"]) == a["peer_mentor.wait_days"][1, 17] and
          np.float32(one["severity"]) == a["severity"][1, 17],  # the float's own digits, read back exactly
          f"{one} vs {dict((k, a[k][1, 17]) for k in a)}")
    check("agents: categories by name",
          one["substance"] == text_list(a["substance"].attrs["labels"])[a["substance"][1, 17]])
    usual = next(r for r in agents if r["arm"] == "usual_care")
    check("agents: a module's field is missing in an arm without it", usual["peer_mentor.wait_days"] == "NA")

    # Events.
    events = list(csv.DictReader(io.StringIO(run("export", results, "--what", "events", "--arm", "mentors_6").stdout)))
    e = f["arms/mentors_6/events"]
    names = dict(zip(e["codes"][...].tolist(), text_list(e["codes"].attrs["names"])))
    check("events: one row per recorded event", len(events) == e["code"].shape[0])
    check("events: names and days as stored", all(
        r["event"] == names[int(e["code"][k])] and int(r["day"]) == e["day"][k] for k, r in enumerate(events[:500])))

    # Files: no partial output on failure; no overwrite without --force.
    target = WORK / "out.csv"
    p = run("export", results, "--arm", "nobody", "-o", target, ok=False)
    check("a failed export exits 2 and leaves no file",
          p.returncode == 2 and not target.exists() and not list(WORK.glob("out.csv*")), p.stderr)
    run("export", results, "-o", target)
    p = run("export", results, "-o", target, ok=False)
    check("an existing file is kept without --force", p.returncode == 2 and "--force" in p.stderr, p.stderr)

    # The stored scenario runs to the same datasets.
    stored = WORK / "stored.yaml"
    run("scenario", results, "-o", stored)
    again = WORK / "again.h5"
    run("run", stored, "-q", "-o", again)
    same = subprocess.run([sys.executable, str(SOURCE / "scripts" / "same_results.py"), results, again],
                          capture_output=True, text=True)
    check("the stored scenario runs to the same datasets", same.returncode == 0, same.stdout[-2000:])
    f.close()
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


def text_list(value):
    return [text(v) for v in np.asarray(value).ravel()]


if __name__ == "__main__":
    main()
