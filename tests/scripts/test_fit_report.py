#!/usr/bin/python3
"""scripts/fit_report.py as `recoverysim calibrate --report` runs it, on a tiny real calibration:
the page names every target and parameter, embeds four decodable PNG figures and loads nothing
from elsewhere, and its list of targets no parameter set meets names the one set out of reach;
files that are not complete calibrations are refused with exit code 2, a one-line message naming
the file, and no page. Also the rank statistics of the script against hand-worked values.

Usage: test_fit_report.py RECOVERYSIM SOURCE_DIR WORK_DIR
"""
import base64
import html
import pathlib
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

binary, source, work = (pathlib.Path(a).resolve() for a in sys.argv[1:4])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
SCRIPT = source / "scripts" / "fit_report.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
results = {"passed": 0, "failed": 0}

SCENARIO = """name: tiny
days: 90
replicates: 1
seed: 5
population:
  size: 500
  substance: {alcohol: 1, opioid: 0, stimulant: 0}
treatment:
  setting: outpatient
"""
# lapse_by_day_90 cannot fall to 0.02: at the lowest lapse hazard allowed, a third of the
# cohort still lapses within 90 days.
CALIBRATION = """name: tiny fit
targets:
  - id: completion
    quantity: first-episode completion
    scenario: {file: scen.yaml}
    measure: {quantity: first_episode_completion}
    observed: {value: 0.4, range: [0.3, 0.5]}
    tolerance: [0.25, 0.55]
  - id: relapse90
    quantity: relapse within 90 days
    scenario: {file: scen.yaml}
    measure: {quantity: relapse_by_day_90}
    observed: {count: 60, n: 200}
    discrepancy: {sd: 0.05}
  - id: lapse30
    quantity: lapse within 30 days
    scenario: {file: scen.yaml}
    measure: {quantity: lapse_by_day_30}
    observed: {value: 0.65, sd: 0.05}
    held_out: true
  - id: out_of_reach
    quantity: lapse within 90 days, set below anything the model gives
    scenario: {file: scen.yaml}
    measure: {quantity: lapse_by_day_90}
    observed: {value: 0.02, sd: 0.005}
parameters:
  - {path: model.lapse.base_hazard_per_day.alcohol, min: 0.005, max: 0.05, scale: log}
  - {path: treatment.settings.outpatient.dropout_base_hazard_per_day, min: 0.001, max: 0.02, scale: log}
  - {path: model.relapse.intercept, min: -2, max: 1, prior: {dist: normal, mean: -0.6, sd: 1}}
method: {waves: 2, posterior_waves: 1, points_per_wave: 40, agents: 500, replicates: 2, posterior_samples: 200,
         seed: 7}
"""
TARGETS = ["completion", "relapse90", "lapse30", "out_of_reach"]
PARAMETERS = ["model.lapse.base_hazard_per_day.alcohol", "treatment.settings.outpatient.dropout_base_hazard_per_day",
              "model.relapse.intercept"]


def check(name, condition, detail=""):
    results["passed" if condition else "failed"] += 1
    if not condition:
        print(f"FAIL {name}: {detail}")
    return condition


def run(*args):
    return subprocess.run([*map(str, args)], capture_output=True, text=True, timeout=600, cwd=work)


def section(page: str, anchor: str) -> str:
    """The page from the heading with this id to the next heading of its level."""
    start = page.find(f'id="{anchor}"')
    end = page.find("<h2", start + 1)
    return page[start:end] if start >= 0 else ""


def check_refusal(name, args, output, *expected):
    p = run(*args)
    lines = p.stderr.strip().splitlines()
    check(f"{name}: exit code 2", p.returncode == 2, f"exit {p.returncode}, stderr {p.stderr!r}")
    check(f"{name}: one line naming {expected}", len(lines) == 1 and all(e in lines[0] for e in expected),
          repr(p.stderr))
    check(f"{name}: no page", not output.exists() and not list(output.parent.glob(f".{output.name}*")))


# ---- the page of a real calibration -----------------------------------------------------------
(work / "scen.yaml").write_text(SCENARIO)
(work / "cal.yaml").write_text(CALIBRATION)
p = run(binary, "calibrate", "cal.yaml", "-o", "fit.h5", "-q")
if not check("calibrate", p.returncode == 0 and (work / "fit.h5").is_file(), p.stdout + p.stderr):
    sys.exit(1)
p = run(binary, "calibrate", "--report", "fit.h5", "-o", "fit.html")
page_path = work / "fit.html"
if not check("calibrate --report", p.returncode == 0 and page_path.is_file(), p.stdout + p.stderr):
    sys.exit(1)
page = page_path.read_text(encoding="utf-8")
text = html.unescape(page)
check("title", "<h1>Calibration: tiny fit</h1>" in page, page[:500])
for name in TARGETS + PARAMETERS:
    check(f"names {name}", name in text)
check("held-out target marked", "lapse30 (held out)" in text)
check("held-out section", "Held-out targets" in page)
check("calibration file as stored", "measure: {quantity: lapse_by_day_90}" in text)

images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
check("four figures", len(images) == 4 and page.count("<img") == 4 and page.count("<figure>") == 4,
      f"{len(images)} embedded, {page.count('<img')} <img>")
for n, data in enumerate(images):
    try:
        decoded = base64.b64decode(data, validate=True)
    except ValueError as error:
        decoded = b""
        check(f"figure {n + 1} base64", False, str(error))
    check(f"figure {n + 1} is a PNG", decoded.startswith(PNG_SIGNATURE) and len(decoded) > 5000, decoded[:16])
check("loads nothing from elsewhere", not re.search(r'(src|href)="(https?:)?//', page) and "<link" not in page
      and "<script src" not in page)

misses = section(page, "misses")
check("misses: names the target out of reach", "out_of_reach" in misses, misses[:2000])
check("misses: the direction", "every set gives more" in misses, misses[:2000])
check("misses: the parameter that moves it", "model.lapse.base_hazard_per_day.alcohol" in misses, misses[:2000])
check("misses: only that one", misses.count("<li>") == 1, misses[:2000])
with h5py.File(work / "fit.h5", "r") as f:
    best = int(f["posterior"].attrs["best"])
check("no best set said prominently, and only then", (best < 0) == ('class="alert"' in page), f"best {best}")

# ---- refusals: exit 2, one line naming the file, no page ---------------------------------------
with h5py.File(work / "results.h5", "w") as f:  # an HDF5 file, but no calibration
    f.create_group("arms").create_dataset("relapse", data=np.zeros(3))
check_refusal("--report on a file that is not a fit", [binary, "calibrate", "--report", "results.h5", "-o",
                                                       "results.html"], work / "results.html", "results.h5",
              "not a recoverysim calibration file")
shutil.copy(work / "fit.h5", work / "partial.h5")
with h5py.File(work / "partial.h5", "a") as f:
    del f["evaluations/target_mean"]
check_refusal("a fit lacking a dataset", ["/usr/bin/python3", SCRIPT, "partial.h5", "-o", "partial.html"],
              work / "partial.html", "partial.h5", "/evaluations/target_mean")
check_refusal("a missing file", ["/usr/bin/python3", SCRIPT, "none.h5", "-o", "none.html"], work / "none.html",
              "none.h5", "no such file")
(work / "text.h5").write_text("not HDF5\n")
check_refusal("a file that is not HDF5", ["/usr/bin/python3", SCRIPT, "text.h5", "-o", "text.html"],
              work / "text.html", "text.h5", "not an HDF5 file")

# ---- the rank statistics against hand-worked values ------------------------------------------
sys.path.insert(0, str(SCRIPT.parent))
import fit_report  # noqa: E402  (the script under test)

check("ranks: ties share their mean rank",
      np.array_equal(fit_report.ranks(np.array([30.0, 10.0, 20.0, 20.0])), [4.0, 1.0, 2.5, 2.5]))
# x ranks 1, 2.5, 2.5, 4 and y ranks 1, 3, 2, 4: Pearson of the ranks is 4.5 / sqrt(4.5 * 5).
rho = fit_report.rank_correlation([1, 2, 2, 3], [10, 30, 20, 40])
check("rank correlation with ties", abs(rho - 4.5 / np.sqrt(4.5 * 5.0)) < 1e-12, rho)
check("rank correlation: monotone", fit_report.rank_correlation([1, 2, 3, 4], [1, 8, 27, 1000]) == 1.0)
check("rank correlation: NaN pairs left out", fit_report.rank_correlation([1, 2, np.nan, 3, 4], [4, 3, 0, 2, 1])
      == -1.0)
check("rank correlation: constant", np.isnan(fit_report.rank_correlation([1, 1, 1], [1, 2, 3])))
# The smallest x whose cumulative weight reaches q: weights 0.1, 0.2, 0.3, 0.4 on x 1..4.
weights = [0.4, 0.1, 0.3, 0.2]
x = [4.0, 1.0, 3.0, 2.0]
check("weighted quantiles", [fit_report.weighted_quantile(x, weights, q) for q in (0.05, 0.3, 0.31, 0.6, 0.95)]
      == [1.0, 2.0, 3.0, 3.0, 4.0])
check("weighted quantile: no weight", np.isnan(fit_report.weighted_quantile(x, [0, 0, 0, 0], 0.5)))

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
