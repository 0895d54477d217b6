#!/usr/bin/python3
"""Write a self-contained HTML report of a recoverysim results file.

The page opens with a conclusion in plain words, generated from the numbers, and the
recommendation at a willingness to pay the reader can change in the page (with a wait limit, a
budget and the arms to consider). It then shows the waits and the queue over time, the outcomes
of every arm, the outcomes by admission period, the comparison with the reference arm, the
efficient frontier and the acceptability curve, the figures of scripts/plot_results.py, the
definition of every term it uses and the resolved scenario.

    /usr/bin/python3 scripts/report.py results/peer_mentor_staffing.h5 -o results/report.html \\
        --wtp 40000 --max-wait-days 14

The page loads nothing from elsewhere (its script works on data embedded in it) and can be
mailed or archived as it is. The recommendation in the page follows the rule of `recoverysim
recommend` (docs/output.md). Needs h5py, NumPy and matplotlib.
"""
import argparse
import base64
import html
import io
import json
import math
import pathlib
import re
import sys

import h5py
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import plot_results as plots  # noqa: E402  (lives beside this script)
from plot_results import describe, display_scale, headline_relapse, legend_label, level_label  # noqa: E402

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1.5em auto;
       max-width: 1240px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td:first-child { white-space: nowrap; }
tr.reference td { background: #f8f8e8; }
tr.chosen td { background: #e6f2e6; font-weight: 600; }
tr.infeasible td { color: #888; }
.scroll { max-width: 100%; overflow-x: auto; }
.meta { color: #555; font-size: 0.9em; }
.conclusion { background: #f4f7fb; border-left: 4px solid #3a6ea5; padding: 0.6em 1.2em; margin: 1em 0; }
.conclusion p { margin: 0.45em 0; }
.warning { color: #8a4b00; font-weight: 600; }
.controls { display: flex; flex-wrap: wrap; gap: 0.8em 2em; align-items: flex-end; background: #fafafa;
            border: 1px solid #e3e3e3; padding: 0.8em 1em; margin: 1em 0; }
.controls label { display: flex; flex-direction: column; font-size: 0.85em; color: #333; }
.controls input[type=number] { width: 9em; font-size: 1em; padding: 0.15em 0.3em; }
.controls input[type=range] { width: 22em; }
fieldset.arms { border: 1px solid #e3e3e3; margin: 0 0 1em 0; padding: 0.4em 1em; font-size: 0.85em; }
fieldset.arms label { display: inline-block; margin: 0.15em 1.2em 0.15em 0; white-space: nowrap; }
fieldset.arms button { font-size: 0.9em; margin-right: 0.5em; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
svg.chart { max-width: 100%; height: auto; background: #fff; border: 1px solid #eee; }
svg.chart text { font-size: 11px; fill: #333; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.8em; }
p.note { color: #666; font-size: 0.9em; }
dl.terms dt { font-weight: 600; margin-top: 0.6em; } dl.terms dd { margin: 0.1em 0 0 1.5em; }
"""


def decimals(size: float) -> int:
    """Decimals shown for numbers of this magnitude: about three significant digits."""
    if size >= 1000 or size == 0:
        return 0
    if size >= 10:
        return 1
    if size >= 1:
        return 2
    return 3


def number(value: float, places=None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    places = decimals(abs(value)) if places is None else places
    return f"{value:,.{places}f}"


def with_interval(row, scale=1.0) -> str:
    """`mean [low, high]`, scaled (100 for shares shown as percentages), all three with the
    decimals that suit the largest of them; `not reached` for a percentile fewer people reach."""
    if row is None:
        return "-"
    mean, low, high = (v * scale for v in row)
    if math.isinf(mean):
        return "not reached"
    finite = [abs(v) for v in (mean, low, high) if math.isfinite(v)]
    places = decimals(max(finite)) if finite else 0
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{number(mean, places)} [n/a]"
    return f"{number(mean, places)} [{number(low, places)}, {number(high, places)}]"


def table(headers, rows, row_classes=None) -> str:
    """An HTML table in a box that scrolls sideways if the window is narrow; cells are
    (text, is_number) pairs or plain text."""
    out = ['<div class="scroll"><table>', "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"]
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = []
        for cell in row:
            text, numeric = cell if isinstance(cell, tuple) else (cell, False)
            cells.append(f'<td class="n">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>")
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</table></div>")
    return "\n".join(out)


def arm_title(results, arm) -> str:
    """The arm as a person would name it, with its name in the file when that differs."""
    label = legend_label(results, arm)
    return label if label.replace(" ", "_").replace("_(reference)", "") == arm.name else f"{label} ({arm.name})"


# ---------------------------------------------------------------------------------------------
# What the page's script needs, read from the file


def quantile_name(q: float) -> str:
    """0.9 -> "90", 0.975 -> "97p5": as in the names of the stored wait percentiles."""
    percent = q * 100.0
    if percent == math.floor(percent):
        return str(int(percent))
    return f"{percent:f}".rstrip("0").replace(".", "p")


def admissions_per_week(scenario_yaml: str):
    """Admissions a week of an open cohort (intake.arrivals_per_day x 7), None in a closed one."""
    m = re.search(r"^intake:\n(?:[ ]+.*\n)*?[ ]+arrivals_per_day: ([0-9.eE+-]+)", scenario_yaml, re.M)
    if not m:
        return None
    rate = float(m.group(1))
    return rate * 7.0 if rate > 0 else None


def page_data(results, path, options) -> dict:
    """Replicate by replicate: each arm's incremental cost and effect against the reference, its
    annual staff cost and the worst wait percentile of its queues; plus the settings."""
    d = results.decision
    q = quantile_name(options.wait_quantile)
    index = {name: k for k, name in enumerate(d.arms)}
    arms = []
    with h5py.File(path, "r") as f:
        for a in results.arms:
            k = index[a.name]
            outcomes = f[f"arms/{a.name}/outcomes"]
            waits = [name for name in outcomes if name.endswith(f".wait_p{q}_days")]
            if not waits and any(name.endswith(".wait_mean_days") for name in outcomes):
                stored = sorted({m.group(1) for name in outcomes if (m := re.search(r"\.wait_p(\w+)_days$", name))})
                raise plots.ResultsError(f"no wait percentile {options.wait_quantile} in arms/{a.name}/outcomes "
                                         f"(stored: {', '.join('0.' + s if len(s) == 2 else s for s in stored)})")
            worst = None
            if waits:
                # A percentile that is not reached (NaN) is longer than any limit.
                values = np.vstack([np.asarray(outcomes[w][...], dtype=float) for w in waits])
                worst = np.where(np.isnan(values), np.inf, values).max(axis=0)
            never = [a.quantities.get(m) for m in a.quantities if m.endswith(".wait_never_served")]
            level = plots.sweep_number(a.sweep_values[0]) if a.swept else math.nan
            arms.append({
                "name": a.name, "label": legend_label(results, a), "family": a.sweep_base if a.swept else None,
                "path": a.sweep_paths[0] if a.swept else None, "level": None if math.isnan(level) else level,
                "rest": a.sweep_values[1:] if a.swept else [],
                "cost": d.incremental_cost[k].tolist(), "effect": d.effect_values[k].tolist(),
                "perYear": d.cost_per_year[k].tolist(),
                "wait": None if worst is None else worst.tolist(),
                "neverServed": max((n[0] for n in never if n), default=None),
            })
    first_step = next((icer for _, (icer, _, _) in d.frontier if math.isfinite(icer)), 0.0)
    wtp = options.wtp if options.wtp is not None else d.wtp
    stated = options.wtp is not None or math.isfinite(d.wtp)
    if not math.isfinite(wtp):
        # Not stated: start at the largest step of the frontier, where the choice changes.
        steps = [icer for _, (icer, _, _) in d.frontier if math.isfinite(icer)]
        wtp = max(steps) if steps else float(d.acceptability_wtp[len(d.acceptability_wtp) // 2])
    return {
        "scenario": results.scenario_name, "reference": results.reference,
        "referenceLabel": results.arm(results.reference).short_label(),
        "effect": {"name": d.effect, "unit": d.unit, "units": plots.describe(d.effect).split(" (")[0].lower()},
        "uncertainty": d.uncertainty, "drawn": "parameters drawn" in d.uncertainty,
        "t975": d.t_975, "replicates": results.replicates,
        # The slider spans where choices change: past the first step of the frontier and the
        # willingness to pay set (the number box takes any value).
        "wtp": wtp, "wtpStated": stated, "wtpMax": max(4.0 * wtp, 3.0 * first_step, 1.0),
        "maxWait": options.max_wait_days, "waitQuantile": options.wait_quantile, "budget": options.budget_per_year,
        "confidence": options.confidence, "admissionsPerWeek": admissions_per_week(results.scenario_yaml),
        "arms": arms,
    }


def js_value(data) -> str:
    """The data as a JavaScript literal: JSON, with Infinity for a wait that is never reached,
    and `</` escaped so that nothing in it can close the script element."""
    def clean(x):
        if isinstance(x, float) and math.isnan(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x
    return json.dumps(clean(data), allow_nan=True, separators=(",", ":")).replace("</", "<\\/")


# ---------------------------------------------------------------------------------------------
# Sections


def decision_section(results, data) -> str:
    if data is None:
        return ('<h2>Conclusion</h2>\n<p class="note">No decision analysis in the file (one arm, or a file written '
                "by an older recoverysim): run the scenario again to get one.</p>")
    unit = html.escape(data["effect"]["unit"])
    checkboxes = "".join(
        f'<label><input type="checkbox" class="arm-choice" value="{html.escape(a["name"])}" checked> '
        f'{html.escape(a["label"])}</label>' for a in data["arms"])
    wait_q = quantile_name(data["waitQuantile"])
    return f"""<h2>Conclusion</h2>
<div class="conclusion" id="conclusion"><noscript><p>The conclusion and the recommendation are computed in the
page: allow its script to see them. The tables below do not need it.</p></noscript></div>
<div class="controls">
<label>Willingness to pay per {unit}
<input type="number" id="wtp" min="0" step="any"></label>
<label>&nbsp;<input type="range" id="wtp-range" min="0" step="any" aria-label="willingness to pay"></label>
<label>Longest acceptable wait, {wait_q}th percentile (days; empty: none)
<input type="number" id="max-wait" min="0" step="any"></label>
<label>Budget for staff a year (empty: none)
<input type="number" id="budget" min="0" step="any"></label>
</div>
<fieldset class="arms"><legend>Arms to consider</legend>
<button type="button" id="arms-all">all</button><button type="button" id="arms-none">none</button>
{checkboxes}</fieldset>
<h3>Each arm at this willingness to pay</h3>
<div class="scroll"><table id="verdicts"></table></div>
<p class="note" id="rule"></p>
<h3>Efficient frontier</h3>
<p>Of the arms chosen above, those that no other arm or mix of two arms beats on both cost and effect, by
cost; each step's ratio is what it costs per extra {unit} over the step before. The points are the arms'
mean incremental cost and effect against {html.escape(data["referenceLabel"])}.</p>
<div class="scroll"><table id="frontier"></table></div>
<svg class="chart" id="plane" viewBox="0 0 900 420" width="900" height="420" role="img"
     aria-label="cost-effectiveness plane"></svg>
<h3>Acceptability</h3>
<p>The probability that each arm has the highest net monetary benefit, against the willingness to pay, among
the arms chosen above that meet the wait limit and the budget (<span id="acceptability-basis"></span>). The
dotted line is the willingness to pay set above.</p>
<svg class="chart" id="acceptability" viewBox="0 0 900 380" width="900" height="380" role="img"
     aria-label="acceptability curve"></svg>"""


def waits_section(results) -> str:
    metrics = [("staff_fte", "staff (FTE)", False), ("utilisation", "utilisation (%)", True),
               ("queue_length", "queue, mean over days (people)", False),
               ("wait_mean_days", "wait per person, mean (days)", False),
               ("wait_p50_days", "median wait (days)", False),
               ("wait_p90_days", "90th-percentile wait (days)", False),
               ("wait_never_served", "never served (%)", True)]
    rows = []
    for a in results.arms:
        modules = sorted({q.rsplit(".", 1)[0] for q in a.quantities if "." in q})
        for module in modules:
            values = [a.quantities.get(f"{module}.{m}") for m, _, _ in metrics]
            if all(v is None for v in values):
                continue
            rows.append([legend_label(results, a), module.replace("_", " ")]
                        + [(with_interval(v, 100.0 if share else 1.0), True) for v, (_, _, share) in zip(values, metrics)])
    if not rows:
        return ""
    return ("<h2>Waits and staffing</h2>\n<p>A person's wait runs from the day they join a programme's queue to the "
            "day they are first served; death and the end of their eligibility end it unserved. Percentiles are "
            "over the people who queued and are 'not reached' when fewer people are ever served. Staff, "
            "utilisation and queue are means over the days of each module's daily figures. Mean over replicates "
            "[95% interval].</p>\n" + table(["arm", "programme"] + [label for _, label, _ in metrics], rows))


def headline_quantities(results) -> list:
    """The outcome columns of the arms table, those present in the file."""
    present = set().union(*(a.quantities for a in results.arms))
    lapse = max((int(m.group(1)) for q in present if (m := re.fullmatch(r"lapse_by_day_(\d+)", q))), default=None)
    wanted = [headline_relapse(results), f"lapse_by_day_{lapse}" if lapse else None, "first_episode_completion",
              "percent_days_abstinent", "readmissions_per_person_year", "deaths", "cost_per_participant"]
    return [q for q in wanted if q and q in present]


def arms_section(results) -> str:
    quantities = headline_quantities(results)
    headers = ["arm", "replicates"] + [describe(q) for q in quantities]
    rows, classes = [], []
    for a in results.arms:
        row = [arm_title(results, a), (str(a.replicates), True)]
        row += [(with_interval(a.quantities.get(q), display_scale(q)), True) for q in quantities]
        rows.append(row)
        classes.append("reference" if a.name == results.reference else "")
    return ("<h2>Outcomes by arm</h2>\n<p>Mean over replicates [95% interval]. Shares of first relapse and lapse "
            "are cumulative incidences from admission with death as a competing event.</p>\n"
            + table(headers, rows, classes))


def period_section(results) -> str:
    quantity = headline_relapse(results)
    arms = [a for a in results.arms if quantity and quantity in a.by_period]
    if not arms or len(arms[0].periods) < 2:
        return ""
    periods = arms[0].periods
    rows = [[legend_label(results, a)] + [(with_interval(r, 100.0), True) for r in a.by_period[quantity]] for a in arms]
    return (f"<h2>Outcomes by admission period</h2>\n<p>{html.escape(describe(quantity))}, by when people were "
            "admitted: a queue that builds up during the intake shows as worse outcomes for later admissions. "
            "Mean over replicates [95% interval].</p>\n"
            + table(["arm"] + [p.capitalize() for p in periods], rows))


def comparison_section(results, notes) -> str:
    ref = results.arm(results.reference)
    head = f"<h2>Comparison with {html.escape(legend_label(results, ref) if ref else results.reference)}</h2>\n"
    if not results.comparisons:
        notes("note: no comparison group (the file has one arm); comparison table skipped")
        return head + '<p class="note">No comparison: the file has a single arm.</p>'
    relapse = headline_relapse(results)
    completion = "first_episode_completion"
    headers = ["arm"]
    if relapse:
        headers += [f"{describe(relapse).replace(' (%)', '')}: difference (percentage points)"]
    headers += ["first episode completed: difference (percentage points)", "incremental cost",
                "relapses averted (people)", "cost per relapse averted", "dominance"]
    rows = []
    for a in results.arms:
        c = results.comparisons.get(a.name)
        if c is None:
            continue
        row = [legend_label(results, a)]
        if relapse:
            row += [(with_interval(c.paired.get(relapse), display_scale(relapse)), True)]
        ce = c.cost_effectiveness
        row += [(with_interval(c.paired.get(completion), display_scale(completion)), True),
                (with_interval(ce.get("incremental_cost")), True), (with_interval(ce.get("relapses_averted")), True),
                (with_interval(ce.get("cost_per_relapse_averted")), True), c.dominance or "-"]
        rows.append(row)
    return (head + "<p>Arm minus reference, paired replicate by replicate (the same synthetic people in each arm). "
            "Costs are discounted staff costs in currency units. A cost per relapse averted is shown only where the "
            "arm costs more and averts relapses; its interval is n/a when the effect's sign is not settled. Each "
            "ratio is against the reference: the cost of one more step is in the frontier above.</p>\n"
            + table(headers, rows))


def uncertain_section(results) -> str:
    if not results.uncertain:
        return ""
    rows = []
    for path, (values, distribution) in sorted(results.uncertain.items()):
        finite = values[[math.isfinite(v) for v in values]] if len(values) else values
        if len(finite):
            rows.append([path, distribution or "-", (number(float(finite.mean())), True),
                         (number(float(finite.min())), True), (number(float(finite.max())), True)])
        else:
            rows.append([path, distribution or "-", ("n/a", True), ("n/a", True), ("n/a", True)])
    return ("<h2>Uncertain parameters</h2>\n<p>Drawn once per replicate (shared by all arms).</p>\n"
            + table(["parameter", "distribution", "mean", "min", "max"], rows))


def figures_section(results, notes) -> str:
    parts = ["<h2>Figures</h2>"]
    for file, title, fig in plots.figures(results, notes):
        buffer = io.BytesIO()
        plots.save(fig, buffer)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        parts.append(f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
                     f"<figcaption>{html.escape(title)} ({html.escape(file)})</figcaption></figure>")
    return "\n".join(parts)


TERMS = [
    ("Arm", "One way of running the programme (usual care, or usual care with so many mentors); every arm of a "
            "replicate simulates the same synthetic people with the same random draws, so differences between arms "
            "are not noise between people."),
    ("Replicate", "One simulation of the whole scenario with its own random draws; results are means over "
                  "replicates."),
    ("95% interval", "The range that would contain the mean over infinitely many replicates in 95% of runs like "
                     "this one (Student's t over replicates, or a bootstrap for ratios). It reflects simulation "
                     "noise and, where the scenario draws parameters, their uncertainty; not the uncertainty of "
                     "the model's structure."),
    ("First relapse within D days", "The share of admissions whose first relapse (return to regular use) comes "
                                    "within D days of admission, with death counted as a competing event "
                                    "(Aalen-Johansen cumulative incidence)."),
    ("Relapses averted", "The reference arm's relapses minus the arm's, counted within the horizon. A relapse "
                         "that is only delayed beyond the horizon counts as averted."),
    ("Wait", "From the day a person joins a programme's queue to the day they are first served. The 90th "
             "percentile is the wait that 90% of those who queued do not exceed."),
    ("Incremental cost", "The arm's discounted staff cost minus the reference arm's."),
    ("Net monetary benefit", "Willingness to pay times the effect minus the incremental cost, both against the "
                             "reference; the arm with the highest is the best value at that willingness to pay."),
    ("Willingness to pay", "What one unit of the effect (here: one relapse averted, unless the scenario chose "
                           "another) is worth to the decision maker."),
    ("ICER", "Incremental cost-effectiveness ratio: extra cost divided by extra effect between two arms."),
    ("Efficient frontier", "The arms, ordered by cost, that are not dominated; each step's ICER (sequential "
                           "ICER) is the price of the extra effect it buys over the previous step."),
    ("Dominated", "Another arm costs less and is at least as effective."),
    ("Extendedly dominated", "A mix of two other arms would give at least the same effect for less: the arm's "
                             "ICER is higher than that of the next more effective arm on the frontier."),
    ("Quadrant", "Where an arm falls against the reference on the cost-effectiveness plane: costs more and more "
                 "effective, costs less and less effective, dominant (costs less, more effective), or dominated."),
    ("Acceptability", "The share of replicates in which an arm has the highest net monetary benefit; its Monte "
                      "Carlo standard error is sqrt(p (1 - p) / replicates). Without drawn parameters it reflects "
                      "simulation noise only."),
    ("Meets the requirements", "A requirement (wait limit, budget) holds when it holds in at least the stated "
                               "share of replicates (the confidence). The budget is the mean annual staff cost over "
                               "the horizon, undiscounted."),
    ("Discounting", "Costs are discounted at analysis.discount_rate a year to their present value; effects are "
                    "not discounted."),
]


def terms_section() -> str:
    return ("<h2>Definitions</h2>\n<dl class=\"terms\">"
            + "".join(f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>" for t, d in TERMS) + "</dl>")


SCRIPT = r"""
"use strict";
const D = JSON.parse(document.getElementById("report-data").textContent.replace(/\bInfinity\b/g, "1e999"));
const $ = (id) => document.getElementById(id);
const fmt = (x) => !isFinite(x) ? (x > 0 ? "not reached" : "n/a")
  : Math.abs(x) >= 1000 || Number.isInteger(x) ? Math.round(x).toLocaleString("en-US")
  : Math.abs(x) >= 10 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3);
const pct = (p) => Math.round(100 * p) + "%";
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})[c]);
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
function interval(xs) {
  const m = mean(xs), n = xs.length;
  if (n < 2) return [m, NaN, NaN];
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) * (x - m), 0) / (n - 1));
  const h = D.t975 * sd / Math.sqrt(n);
  return [m, m - h, m + h];
}
const R = D.arms.length ? D.arms[0].cost.length : 0;
const unit = D.effect.unit;

function settings() {
  const number = (id) => { const v = $(id).value.trim(); return v === "" ? null : Number(v); };
  const chosen = new Set([...document.querySelectorAll(".arm-choice")].filter((c) => c.checked).map((c) => c.value));
  return {wtp: number("wtp") ?? 0, maxWait: number("max-wait"), budget: number("budget"), chosen};
}

// The rule of `recoverysim recommend`: among the arms that meet every requirement in at least
// `confidence` of the replicates, the highest mean net benefit.
function decide(s, wtp) {
  const arms = D.arms.filter((a) => s.chosen.has(a.name)).map((a) => {
    const nmb = a.cost.map((c, r) => wtp * a.effect[r] - c);
    const within = (xs, limit) => xs.filter((x) => x <= limit).length / xs.length;
    const waitShare = s.maxWait === null || a.wait === null ? 1 : within(a.wait, s.maxWait);
    const budgetShare = s.budget === null ? 1 : within(a.perYear, s.budget);
    return {arm: a, nmb, net: interval(nmb), waitShare, budgetShare,
            feasible: waitShare >= D.confidence && budgetShare >= D.confidence, best: 0};
  });
  const feasible = arms.filter((v) => v.feasible).sort((x, y) => y.net[0] - x.net[0]);
  for (let r = 0; r < R; ++r) {
    const top = Math.max(...feasible.map((v) => v.nmb[r]));
    const winners = feasible.filter((v) => v.nmb[r] === top);
    winners.forEach((v) => { v.best += 1 / (winners.length * R); });
  }
  return {arms, recommended: feasible[0] || null, runnerUp: feasible[1] || null};
}

// Strong then extended dominance on the mean costs and effects; sequential ICERs.
function frontier(points) {
  const sorted = [...points].sort((p, q) => p.cost - q.cost || q.effect - p.effect);
  let kept = [];
  for (const p of sorted) if (!kept.length || p.effect > kept[kept.length - 1].effect) kept.push(p);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 1; i + 1 < kept.length; ++i) {
      const a = kept[i - 1], b = kept[i], c = kept[i + 1];
      if ((b.cost - a.cost) / (b.effect - a.effect) > (c.cost - b.cost) / (c.effect - b.effect)) {
        kept.splice(i, 1); changed = true; break;
      }
    }
  }
  return kept.map((p, i) => ({...p, icer: i ? (p.cost - kept[i - 1].cost) / (p.effect - kept[i - 1].effect) : NaN}));
}

function edgeWarning(arm) {
  if (!arm.family || arm.level === null) return "";
  const levels = D.arms.filter((a) => a.family === arm.family && a.level !== null &&
                                      JSON.stringify(a.rest) === JSON.stringify(arm.rest)).map((a) => a.level);
  const lo = Math.min(...levels), hi = Math.max(...levels);
  if (hi > lo && arm.level === hi) return `${esc(arm.label)} is the largest level tried: the best level may lie above it; extend the grid above ${arm.level} (or use recoverysim search).`;
  if (hi > lo && arm.level === lo) return `${esc(arm.label)} is the smallest level tried: the best level may lie below it; extend the grid below ${arm.level}.`;
  return "";
}

function conclusion(s, d) {
  const out = [];
  const family = D.arms.filter((a) => a.family && a.level !== null && s.chosen.has(a.name))
                       .sort((a, b) => a.level - b.level);
  const perWeek = D.admissionsPerWeek ? `With ${fmt(D.admissionsPerWeek)} admissions a week, ` : "";
  if (s.maxWait !== null && family.length) {
    const share = (a) => d.arms.find((v) => v.arm === a).waitShare;
    const k = family.findIndex((a) => share(a) >= D.confidence);
    const q = Math.round(100 * D.waitQuantile), limit = `the ${q}th-percentile wait at or under ${fmt(s.maxWait)} days`;
    if (k < 0)
      out.push(`${perWeek}no level tried keeps ${limit} in ${pct(D.confidence)} of replicates, not even ${esc(family[family.length - 1].label)}: try more.`);
    else if (k === 0)
      out.push(`${perWeek}even the fewest tried, ${esc(family[0].label)}, keep ${limit} (in ${pct(share(family[0]))} of replicates): try fewer.`);
    else
      out.push(`${perWeek}${esc(family[k].label)} keep ${limit} in ${pct(share(family[k]))} of replicates; ${esc(family[k - 1].label)}, the next level down, in ${pct(share(family[k - 1]))} (the requirement: ${pct(D.confidence)}).`);
  } else if (perWeek && family.length) {
    out.push(`${perWeek}the levels tried run from ${esc(family[0].label)} to ${esc(family[family.length - 1].label)}.`);
  }
  if (family.length && family[0].neverServed !== null && family[0].neverServed >= 0.1)
    out.push(`With ${esc(family[0].label)}, ${pct(family[0].neverServed)} of the people who queue are never served before their eligibility ends.`);
  if (!d.recommended) {
    out.push(`<span class="warning">No arm chosen meets the requirements${s.budget !== null ? " (a budget of " + fmt(s.budget) + " a year)" : ""}: relax a requirement or consider more arms.</span>`);
    return out;
  }
  // The steps around the recommendation on the frontier of the arms that meet the requirements:
  // the step into it is worth its price at this willingness to pay, the next one is not.
  const rec = d.recommended;
  const front = frontier(d.arms.filter((v) => v.feasible).map((v) => ({arm: v.arm, cost: mean(v.arm.cost), effect: mean(v.arm.effect)})));
  const k = front.findIndex((p) => p.arm === rec.arm);
  if (k >= 0 && k + 1 < front.length)
    out.push(`Each extra ${esc(unit)} beyond ${esc(rec.arm.label)} costs ${fmt(front[k + 1].icer)} (the next step of the frontier, to ${esc(front[k + 1].arm.label)}): more than the ${fmt(s.wtp)} it is worth at this willingness to pay.`);
  if (k > 0)
    out.push(`Going from ${esc(front[k - 1].arm.label)} to ${esc(rec.arm.label)} costs ${fmt(front[k].icer)} per extra ${esc(unit)}.`);
  const isRef = rec.arm.name === D.reference;
  out.push(`<strong>Recommended at ${fmt(s.wtp)} per ${esc(unit)}: <span id="recommended-arm">${esc(rec.arm.label)}</span></strong>`
    + (isRef ? ", the reference: no other arm chosen that meets the requirements is worth its cost at this willingness to pay."
             : `, with a net monetary benefit of ${fmt(rec.net[0])} [${fmt(rec.net[1])}, ${fmt(rec.net[2])}] against ${esc(D.referenceLabel)}.`)
    + (rec.best >= 1 ? ` It has the highest net benefit in all ${R} replicates (a 95% lower bound of ${pct(Math.max(0, 1 - 3 / R))}, by the rule of three)`
                     : ` It has the highest net benefit in ${pct(rec.best)} of replicates (Monte Carlo SE ${pct(Math.sqrt(rec.best * (1 - rec.best) / R))})`)
    + (d.runnerUp ? `; runner-up: ${esc(d.runnerUp.arm.label)} (${pct(d.runnerUp.best)}).` : ".")
    + (D.drawn ? "" : " These probabilities reflect simulation noise only: no parameter is drawn."));
  const edge = edgeWarning(rec.arm);
  if (edge) out.push(`<span class="warning">${edge}</span>`);
  return out;
}

function svgLine(points, colour, extra = "") {
  return `<polyline fill="none" stroke="${colour}" stroke-width="1.8" ${extra} points="${points.map((p) => p.join(",")).join(" ")}"/>`;
}

// Round tick values (1, 2 or 5 times a power of ten) within [lo, hi].
function ticks(lo, hi) {
  const raw = (hi - lo) / 5, power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < 1e-9 * step ? 0 : v);
  return out;
}

function axes(w, h, m, xmin, xmax, ymin, ymax, xlabel, ylabel, yfmt) {
  const x = (v) => m.l + (w - m.l - m.r) * (v - xmin) / (xmax - xmin), y = (v) => h - m.b - (h - m.t - m.b) * (v - ymin) / (ymax - ymin);
  let g = `<rect x="${m.l}" y="${m.t}" width="${w - m.l - m.r}" height="${h - m.t - m.b}" fill="none" stroke="#999"/>`;
  for (const xv of ticks(xmin, xmax))
    g += `<line x1="${x(xv)}" x2="${x(xv)}" y1="${m.t}" y2="${h - m.b}" stroke="#eee"/><text x="${x(xv)}" y="${h - m.b + 15}" text-anchor="middle">${fmt(xv)}</text>`;
  for (const yv of ticks(ymin, ymax))
    g += `<line x1="${m.l}" x2="${w - m.r}" y1="${y(yv)}" y2="${y(yv)}" stroke="#eee"/><text x="${m.l - 6}" y="${y(yv) + 4}" text-anchor="end">${yfmt(yv)}</text>`;
  g += `<text x="${(m.l + w - m.r) / 2}" y="${h - 6}" text-anchor="middle">${esc(xlabel)}</text>`;
  g += `<text transform="translate(14 ${(m.t + h - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(ylabel)}</text>`;
  return {x, y, g};
}

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

function drawAcceptability(s, front) {
  const w = 900, h = 380, m = {l: 60, r: 190, t: 12, b: 42};
  // Around the willingness to pay set, and far enough to show the first switch of the frontier.
  const first = front.length > 1 && isFinite(front[1].icer) ? front[1].icer : 0;
  const xmax = Math.max(3 * s.wtp, 1.5 * first, 1);
  const grid = Array.from({length: 61}, (_, i) => xmax * i / 60);
  const curves = new Map();
  grid.forEach((wtp) => decide(s, wtp).arms.forEach((v) => {
    if (!curves.has(v.arm.name)) curves.set(v.arm.name, {arm: v.arm, p: []});
    curves.get(v.arm.name).p.push(v.best);
  }));
  const ax = axes(w, h, m, 0, xmax, 0, 1, `willingness to pay per ${unit}`, "probability of the highest net benefit", pct);
  let g = ax.g, legend = "", k = 0;
  for (const {arm, p} of curves.values()) {
    if (Math.max(...p) < 0.05) continue;
    const colour = arm.name === D.reference ? "#000" : PALETTE[k++ % PALETTE.length];
    g += svgLine(grid.map((x, i) => [ax.x(x), ax.y(p[i])]), colour);
    legend += `<line x1="${w - m.r + 12}" x2="${w - m.r + 32}" y1="${m.t + 10 + 16 * k}" y2="${m.t + 10 + 16 * k}" stroke="${colour}" stroke-width="2"/><text x="${w - m.r + 38}" y="${m.t + 14 + 16 * k}">${esc(arm.label)}</text>`;
  }
  g += `<line x1="${ax.x(s.wtp)}" x2="${ax.x(s.wtp)}" y1="${m.t}" y2="${h - m.b}" stroke="#555" stroke-dasharray="3 3"/>`;
  $("acceptability").innerHTML = g + legend;
  $("acceptability-basis").textContent = D.drawn ? "over replicates and the parameters drawn for them"
                                                  : "over replicates: simulation noise only, no parameter is drawn";
}

function drawPlane(s, d, front) {
  const w = 900, h = 420, m = {l: 90, r: 190, t: 12, b: 42};
  const pts = d.arms.map((v) => ({v, e: mean(v.arm.effect), c: mean(v.arm.cost)}));
  if (!pts.length) { $("plane").innerHTML = ""; return; }
  const emax = Math.max(1e-9, ...pts.map((p) => p.e)), emin = Math.min(0, ...pts.map((p) => p.e));
  const cmax = Math.max(1e-9, ...pts.map((p) => p.c)), cmin = Math.min(0, ...pts.map((p) => p.c));
  const pad = (lo, hi) => [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)];
  const [x0, x1] = pad(emin, emax), [y0, y1] = pad(cmin, cmax);
  const ax = axes(w, h, m, x0, x1, y0, y1, `${D.effect.units} against ${D.referenceLabel} (mean per replicate)`,
                  `incremental cost (discounted)`, fmt);
  const X = ax.x;
  let g = ax.g;
  g += svgLine(front.map((p) => [X(p.effect), ax.y(p.cost)]), "#555");
  pts.forEach((p, i) => {
    const chosen = d.recommended && p.v.arm === d.recommended.arm;
    g += `<circle cx="${X(p.e)}" cy="${ax.y(p.c)}" r="${chosen ? 7 : 4.5}" fill="${p.v.feasible ? "#3a6ea5" : "#bbb"}" stroke="${chosen ? "#c60" : "#fff"}" stroke-width="2"><title>${esc(p.v.arm.label)}</title></circle>`;
  });
  const legend = [["#3a6ea5", "meets the requirements"], ["#bbb", "does not"], ["#555", "efficient frontier"]];
  legend.forEach(([c, t], i) => { g += `<rect x="${w - m.r + 12}" y="${m.t + 8 + 18 * i}" width="12" height="12" fill="${c}"/><text x="${w - m.r + 30}" y="${m.t + 18 + 18 * i}">${t}</text>`; });
  g += `<circle cx="${w - m.r + 18}" cy="${m.t + 68}" r="7" fill="none" stroke="#c60" stroke-width="2"/><text x="${w - m.r + 30}" y="${m.t + 72}">recommended</text>`;
  $("plane").innerHTML = g;
}

function update() {
  const s = settings();
  $("wtp-range").value = s.wtp;
  const d = decide(s, s.wtp);
  const front = frontier(d.arms.map((v) => ({arm: v.arm, cost: mean(v.arm.cost), effect: mean(v.arm.effect)})));
  $("conclusion").innerHTML = conclusion(s, d).map((t) => `<p>${t}</p>`).join("");
  const q = Math.round(100 * D.waitQuantile);
  let rows = `<tr><th>arm</th><th>net monetary benefit [95% interval]</th><th>wait, ${q}th percentile (days, mean)</th>`
    + `<th>within the wait limit</th><th>within the budget</th><th>meets all</th><th>best in</th></tr>`;
  for (const v of d.arms) {
    const cls = d.recommended && v === d.recommended ? "chosen" : v.feasible ? "" : "infeasible";
    const wait = v.arm.wait === null ? "no queue" : fmt(mean(v.arm.wait));
    rows += `<tr class="${cls}"><td>${esc(v.arm.label)}</td><td class="n">${fmt(v.net[0])} [${fmt(v.net[1])}, ${fmt(v.net[2])}]</td>`
      + `<td class="n">${wait}</td><td class="n">${s.maxWait === null ? "-" : pct(v.waitShare)}</td>`
      + `<td class="n">${s.budget === null ? "-" : pct(v.budgetShare)}</td><td>${v.feasible ? "yes" : "no"}</td>`
      + `<td class="n">${v.feasible ? pct(v.best) : "-"}</td></tr>`;
  }
  $("verdicts").innerHTML = rows;
  $("rule").textContent = `Net monetary benefit = ${fmt(s.wtp)} x ${D.effect.units} - incremental cost, both against ${D.referenceLabel}, per replicate (costs discounted, effects not). `
    + `A requirement holds when it holds in at least ${pct(D.confidence)} of the ${R} replicates`
    + (s.budget !== null ? "; the budget is the mean annual staff cost over the horizon, undiscounted" : "")
    + `. Recommended: of the arms that meet every requirement, the highest mean net monetary benefit.`;
  let f = `<tr><th>arm</th><th>mean incremental cost</th><th>mean ${esc(D.effect.units)}</th><th>cost per extra ${esc(unit)} over the previous step</th></tr>`;
  for (const p of front) f += `<tr><td>${esc(p.arm.label)}</td><td class="n">${fmt(p.cost)}</td><td class="n">${fmt(p.effect)}</td><td class="n">${isNaN(p.icer) ? "-" : fmt(p.icer)}</td></tr>`;
  $("frontier").innerHTML = f;
  drawPlane(s, d, front);
  drawAcceptability(s, front);
}

function init() {
  $("wtp").value = D.wtp;
  $("wtp-range").max = D.wtpMax;
  $("wtp-range").step = D.wtpMax / 500;
  if (D.maxWait !== null) $("max-wait").value = D.maxWait;
  if (D.budget !== null) $("budget").value = D.budget;
  $("wtp-range").addEventListener("input", () => { $("wtp").value = Math.round(Number($("wtp-range").value)); update(); });
  for (const id of ["wtp", "max-wait", "budget"]) $(id).addEventListener("input", update);
  document.querySelectorAll(".arm-choice").forEach((c) => c.addEventListener("change", update));
  $("arms-all").addEventListener("click", () => { document.querySelectorAll(".arm-choice").forEach((c) => { c.checked = true; }); update(); });
  $("arms-none").addEventListener("click", () => { document.querySelectorAll(".arm-choice").forEach((c) => { c.checked = false; }); update(); });
  update();
}
init();
"""


def render(results, path, options, notes=plots.print_note) -> str:
    data = page_data(results, path, options) if results.decision is not None and len(results.arms) > 1 else None
    meta = (f"{html.escape(results.scenario_name)} &middot; {results.replicates} replicates &middot; seed "
            f"{html.escape(results.seed)} &middot; recoverysim {html.escape(results.software_version)} &middot; "
            f"created {html.escape(results.created_utc)} UTC &middot; {html.escape(results.path)}")
    body = [
        f"<h1>recoverysim report: {html.escape(results.scenario_name)}</h1>",
        f'<p class="meta">{meta}</p>',
        decision_section(results, data),
        waits_section(results),
        arms_section(results),
        period_section(results),
        comparison_section(results, notes),
        uncertain_section(results),
        figures_section(results, notes),
        terms_section(),
        "<h2>Scenario</h2>",
        "<details><summary>Resolved scenario (YAML)</summary>",
        f"<pre>{html.escape(results.scenario_yaml)}</pre></details>",
    ]
    script = ""
    if data is not None:
        script = (f'<script type="application/json" id="report-data">{js_value(data)}</script>\n'
                  f"<script>{SCRIPT}</script>\n")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>recoverysim report: {html.escape(results.scenario_name)}</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(p for p in body if p) + "\n" + script
            + "</body>\n</html>\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="results file written by `recoverysim run` or `search` (HDF5)")
    parser.add_argument("-o", "--output", required=True, metavar="HTML", help="report file to write")
    parser.add_argument("--wtp", type=float, help="willingness to pay the page starts at (default: the scenario's "
                                                  "analysis.willingness_to_pay, else the largest frontier step)")
    parser.add_argument("--max-wait-days", type=float, help="wait limit the page starts with (default: none)")
    parser.add_argument("--wait-quantile", type=float, default=0.9, help="the wait percentile limited (default 0.9)")
    parser.add_argument("--budget-per-year", type=float, help="staff budget a year the page starts with")
    parser.add_argument("--confidence", type=float, default=0.8,
                        help="a requirement holds when it holds in this share of replicates (default 0.8)")
    args = parser.parse_args()
    for name, value, low, high in (("--wtp", args.wtp, 0, math.inf), ("--max-wait-days", args.max_wait_days, 0, math.inf),
                                   ("--wait-quantile", args.wait_quantile, 0.01, 1),
                                   ("--budget-per-year", args.budget_per_year, 0, math.inf),
                                   ("--confidence", args.confidence, 0.5, 1)):
        if value is not None and not (low <= value <= high):
            parser.error(f"{name}: expected a number in [{low}, {high}], got {value}")
    try:
        results = plots.load(args.file)
        page = render(results, args.file, args)
    except plots.ResultsError as error:
        plots.fail(args.file, error)
    out = pathlib.Path(args.output)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        partial.write_text(page, encoding="utf-8")
        partial.replace(out)  # never a half-written report under the final name
    except OSError as error:
        plots.fail(args.output, f"cannot write the report ({error.strerror})")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
