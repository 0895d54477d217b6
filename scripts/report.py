#!/usr/bin/python3
"""Write a self-contained HTML report of a recoverysim results file.

The page shows the run's identity, each arm's outcomes, the comparison with the reference arm,
staffing, the figures of scripts/plot_results.py (embedded) and the resolved scenario.

    /usr/bin/python3 scripts/report.py results/peer_mentor_staffing.h5 -o results/report.html

The page loads nothing from elsewhere and can be mailed or archived as it is. Intervals are the
95% intervals stored in the file; "n/a" marks an undefined bound (one replicate, or a cost
ratio whose effect is not settled in sign). Needs h5py, NumPy and matplotlib.
"""
import argparse
import base64
import html
import io
import math
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import plot_results as plots  # noqa: E402  (lives beside this script)
from plot_results import describe, display_scale, headline_relapse  # noqa: E402

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1250px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.55em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.reference td { background: #f8f8e8; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.8em; }
p.note { color: #666; font-size: 0.9em; }
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
    decimals that suit the largest of them."""
    if row is None:
        return "-"
    mean, low, high = (v * scale for v in row)
    finite = [abs(v) for v in (mean, low, high) if math.isfinite(v)]
    places = decimals(max(finite)) if finite else 0
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{number(mean, places)} [n/a]"
    return f"{number(mean, places)} [{number(low, places)}, {number(high, places)}]"


def table(headers, rows, row_classes=None) -> str:
    """An HTML table; cells are (text, is_number) pairs or plain text."""
    out = ["<table>", "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"]
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = []
        for cell in row:
            text, numeric = cell if isinstance(cell, tuple) else (cell, False)
            cells.append(f'<td class="n">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>")
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def headline_quantities(results) -> list:
    """The outcome columns of the arms table, those present in the file."""
    present = set().union(*(a.quantities for a in results.arms))
    lapse = max((int(m.group(1)) for q in present if (m := re.fullmatch(r"lapse_by_day_(\d+)", q))), default=None)
    wanted = [headline_relapse(results), f"lapse_by_day_{lapse}" if lapse else None, "first_episode_completion",
              "percent_days_abstinent", "readmissions_per_person_year", "deaths", "cost_per_participant",
              "staff_fte"]
    return [q for q in wanted if q and q in present]


def arms_section(results) -> str:
    quantities = headline_quantities(results)
    swept = any(a.swept for a in results.arms)
    headers = ["arm"] + (["swept values"] if swept else []) + ["replicates"] + [describe(q) for q in quantities]
    rows, classes = [], []
    for a in results.arms:
        row = [a.name + (" (reference)" if a.name == results.reference else "")]
        if swept:
            row.append(a.short_label() if a.swept else "")
        row.append((str(a.replicates), True))
        row += [(with_interval(a.quantities.get(q), display_scale(q)), True) for q in quantities]
        rows.append(row)
        classes.append("reference" if a.name == results.reference else "")
    return "<h2>Outcomes by arm</h2>\n<p>Mean over replicates [95% interval].</p>\n" + table(headers, rows, classes)


def comparison_section(results, notes) -> str:
    head = f"<h2>Comparison with {html.escape(results.reference)}</h2>\n"
    if not results.comparisons:
        notes("note: no comparison group (the file has one arm); comparison table skipped")
        return head + '<p class="note">No comparison: the file has a single arm.</p>'
    relapse = headline_relapse(results)
    completion = "first_episode_completion"
    headers = ["arm"]
    if relapse:
        headers += [f"{describe(relapse).replace(' (%)', '')}: difference, paired (percentage points)",
                    "same, unpaired interval (percentage points)"]
    headers += ["first episode completed: difference, paired (percentage points)",
                "incremental cost (currency units)", "relapses averted (people)",
                "cost per relapse averted (currency units)", "cost per additional completion (currency units)",
                "dominance"]
    rows = []
    for a in results.arms:
        c = results.comparisons.get(a.name)
        if c is None:
            continue
        row = [a.name]
        if relapse:
            row += [(with_interval(c.paired.get(relapse), display_scale(relapse)), True),
                    (with_interval(c.unpaired.get(relapse), display_scale(relapse)), True)]
        ce = c.cost_effectiveness
        row += [(with_interval(c.paired.get(completion), display_scale(completion)), True),
                (with_interval(ce.get("incremental_cost")), True), (with_interval(ce.get("relapses_averted")), True),
                (with_interval(ce.get("cost_per_relapse_averted")), True),
                (with_interval(ce.get("cost_per_additional_completion")), True), c.dominance or "-"]
        rows.append(row)
    return (head + "<p>Arm minus reference. Paired intervals compare the arms replicate by replicate (the same "
            "synthetic people in each arm); the unpaired interval is shown to make the gain of pairing visible. "
            "Cost ratios have no interval (n/a) when the effect's sign is not settled."
            + (f" Dominance of {html.escape(results.reference)}: {html.escape(results.reference_dominance)}."
               if results.reference_dominance else "") + "</p>\n" + table(headers, rows))


def staffing_section(results, notes) -> str:
    metrics = [("staff_fte", "staff (FTE)", False), ("utilisation", "utilisation (%)", True),
               ("queue_length", "queue, mean over days (people)", False),
               ("wait_mean_days", "wait per person, mean (days)", False),
               ("wait_p90_days", "wait per person, 90th percentile (days)", False),
               ("wait_never_served", "never served (%)", True)]
    rows = []
    for a in results.arms:
        modules = sorted({q.rsplit(".", 1)[0] for q in a.quantities if "." in q})
        for module in modules:
            values = [a.quantities.get(f"{module}.{m}") for m, _, _ in metrics]
            if all(v is None for v in values):
                continue
            rows.append([a.name, module] + [(with_interval(v, 100.0 if share else 1.0), True)
                                            for v, (_, _, share) in zip(values, metrics)])
    if not rows:
        notes("note: no intervention module metrics in the file; staffing table skipped")
        return ""
    return ("<h2>Staffing</h2>\n<p>Staff, utilisation and queue: means over days of each module's daily "
            "figures. Waits: per person, from the day someone joins the queue to the day they are first served "
            "(death and the end of eligibility compete; percentiles are 'not reached' when fewer people are ever "
            "served). Mean over replicates [95% interval].</p>\n"
            + table(["arm", "module"] + [label for _, label, _ in metrics], rows))


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


def figures_section(results, notes) -> tuple:
    parts, count = ["<h2>Figures</h2>"], 0
    for file, title, fig in plots.figures(results, notes):
        buffer = io.BytesIO()
        plots.save(fig, buffer)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        parts.append(f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
                     f"<figcaption>{html.escape(title)} ({html.escape(file)})</figcaption></figure>")
        count += 1
    return "\n".join(parts), count


def render(results, notes=plots.print_note) -> str:
    meta = [("scenario", results.scenario_name), ("seed", results.seed), ("replicates", str(results.replicates)),
            ("created (UTC)", results.created_utc), ("recoverysim", results.software_version),
            ("results file", results.path), ("arms", str(len(results.arms))), ("reference arm", results.reference)]
    figures, _ = figures_section(results, notes)
    body = [
        f"<h1>recoverysim report: {html.escape(results.scenario_name)}</h1>",
        '<dl class="meta">' + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in meta)
        + "</dl>",
        arms_section(results),
        comparison_section(results, notes),
        staffing_section(results, notes),
        uncertain_section(results),
        figures,
        "<h2>Scenario</h2>",
        "<details><summary>Resolved scenario (YAML)</summary>",
        f"<pre>{html.escape(results.scenario_yaml)}</pre></details>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>recoverysim report: {html.escape(results.scenario_name)}</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(p for p in body if p) + "\n</body>\n</html>\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="results file written by `recoverysim run` (HDF5)")
    parser.add_argument("-o", "--output", required=True, metavar="HTML", help="report file to write")
    args = parser.parse_args()
    try:
        results = plots.load(args.file)
    except plots.ResultsError as error:
        plots.fail(args.file, error)
    page = render(results)
    out = pathlib.Path(args.output)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as error:
        plots.fail(args.output, f"cannot write the report ({error.strerror})")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
