#!/usr/bin/python3
"""Plot the summaries of a recoverysim results file as PNG figures.

Writes one figure per view into the output directory (created if missing) and prints the path
of each figure written.

    /usr/bin/python3 scripts/plot_results.py results/peer_mentor_staffing.h5 -o results/plots

Figures (each skipped, with a note, when the file lacks what it needs):
  relapse.png         per arm, cumulative incidence of the first relapse by day since admission
                      (Aalen-Johansen, death competing)
  lapse.png           the same for the first lapse
  retention.png       per arm, share still in the first episode or having completed it
  by_period.png       per arm, the headline relapse outcome by admission period (open cohorts)
  queue.png           per arm with a queue, the people waiting for a place, day by day (mean
                      over replicates)
  wait.png            per arm with a queue, the share served within so many days of joining it
                      (Aalen-Johansen, death and the end of eligibility competing)
  staffing_sweep.png  a swept arm family: headline relapse, cost per participant, the module's
                      per-person wait (mean and 90th percentile) against the first swept
                      parameter (further families: staffing_sweep_<family>.png)
  ce_plane.png        cost-effectiveness plane against the reference arm, with the efficient
                      frontier
  acceptability.png   the probability that each arm has the highest net monetary benefit, against
                      the willingness to pay

Shaded bands and error bars are 95% intervals. Needs h5py, NumPy and matplotlib (Debian:
python3-h5py, python3-numpy, python3-matplotlib). scripts/report.py imports this module.
"""
import argparse
import dataclasses
import math
import pathlib
import re
import sys

import h5py
import numpy as np

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
import matplotlib.ticker  # noqa: E402

NOT_RESULTS = "not a recoverysim results file with summaries (run it with a current recoverysim)"
# The results-file versions these scripts read (sim/app/run/results_reader.hpp: the same range).
OLDEST_FORMAT, FORMAT_VERSION = 9, 9  # before 9: model version 1 and earlier 2 (docs/output.md)
DPI = 110
CURVES = {
    "relapse": ("First relapse since admission (cumulative incidence, death competing)", "Relapsed (%)"),
    "lapse": ("First lapse since admission (cumulative incidence, death competing)", "Lapsed (%)"),
    "retention": ("Retention: still in the first episode or completed it", "In treatment or completed (%)"),
}


class ResultsError(Exception):
    """The file cannot be read as a recoverysim results file with summaries."""


# ---------------------------------------------------------------------------------------------
# Reading


def text(value) -> str:
    """A string attribute as str, whether stored variable- or fixed-length."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8", errors="replace")
    return str(value)


def text_list(value) -> list:
    """A string-list attribute as a list of str (a lone string becomes a one-element list)."""
    if isinstance(value, (str, bytes, np.bytes_)):
        return [text(value)]
    return [text(v) for v in np.asarray(value).ravel()]


def labelled(dataset) -> dict:
    """A [K, 3] dataset with a `labels` attribute as {label: (mean, low, high)}."""
    rows = np.asarray(dataset[...], dtype=float).reshape(-1, 3)
    labels = text_list(dataset.attrs["labels"])
    if len(labels) != len(rows):
        raise ResultsError(f"{dataset.name}: {len(rows)} rows but {len(labels)} labels")
    return {label: tuple(float(v) for v in row) for label, row in zip(labels, rows)}


@dataclasses.dataclass
class Arm:
    name: str
    sweep_base: str
    sweep_paths: list
    sweep_values: list
    replicates: int
    quantities: dict        # name -> (mean, low, high)
    curves: dict            # name -> float64 [T, 3] (estimate, low, high)
    periods: list = dataclasses.field(default_factory=list)     # admission period labels
    by_period: dict = dataclasses.field(default_factory=dict)   # name -> [(mean, low, high) per period]
    queues: dict = dataclasses.field(default_factory=dict)      # module -> people queued per day, mean over replicates
    waits: dict = dataclasses.field(default_factory=dict)       # module -> float64 [T, 3] share served by day in queue

    @property
    def swept(self) -> bool:
        return bool(self.sweep_paths)

    def short_label(self) -> str:
        """The swept values as a person would say them (`40 mentors, caseload 12`) for a swept
        arm, else the arm's name in words."""
        if not self.swept:
            return self.name.replace("_", " ")
        return ", ".join(level_label(path, value) for path, value in zip(self.sweep_paths, self.sweep_values))


def level_label(path: str, value: str) -> str:
    """`peer_mentor.mentors`, `5` -> `5 mentors`; `peer_mentor.caseload`, `12` -> `caseload 12`:
    a count before its plural noun, any other value after its key."""
    key = path.rsplit(".", 1)[-1].replace("_", " ")
    try:
        count = int(value)
    except ValueError:
        count = None
    if count is not None and key.endswith("s") and key not in ("days", "hours") and " " not in key:
        return f"{count} {key[:-1] if count == 1 else key}"
    return f"{key} {value}"


@dataclasses.dataclass
class Comparison:
    arm: str
    paired: dict
    unpaired: dict
    ratios: dict
    cost_effectiveness: dict
    incremental_cost: np.ndarray    # per replicate (may be empty)
    relapses_averted: np.ndarray
    dominance: str


@dataclasses.dataclass
class Decision:
    """The /decision group: the effect measure, the frontier and acceptability, and what they are
    computed from replicate by replicate."""
    effect: str                     # relapses_averted, ...
    units: str                      # "currency units per relapse averted"
    uncertainty: str                # what the acceptability reflects
    wtp: float                      # NaN: not stated
    arms: list                      # arm names, the order of the rows below
    frontier: list                  # [(arm, (icer, low, high))], by cost; the first ICER NaN
    acceptability_wtp: np.ndarray   # [W]
    acceptability: np.ndarray       # [W, A]
    acceptability_se: np.ndarray    # [W, A]
    incremental_cost: np.ndarray    # [A, R]
    effect_values: np.ndarray       # [A, R]
    cost_per_year: np.ndarray       # [A, R]
    t_975: float

    @property
    def unit(self) -> str:
        return self.units.replace("currency units per ", "")


@dataclasses.dataclass
class Results:
    path: str
    scenario_name: str
    scenario_yaml: str
    seed: str
    created_utc: str
    software_version: str
    format_version: str
    reference: str
    arms: list                      # of Arm: the reference first, sweep families together
    comparisons: dict               # arm name -> Comparison (every arm but the reference)
    uncertain: dict                 # parameter path -> (values [R], distribution)
    reference_dominance: str = ""
    decision: Decision = None       # None in a file without /decision

    def arm(self, name):
        return next((a for a in self.arms if a.name == name), None)

    @property
    def replicates(self) -> int:
        return max((a.replicates for a in self.arms), default=0)

    def families(self) -> list:
        """Swept arm families with at least two points: [(base, [Arm, ...] in sweep order)]."""
        groups = {}
        for a in self.arms:
            if a.swept:
                groups.setdefault(a.sweep_base, []).append(a)
        return [(base, arms) for base, arms in groups.items() if len(arms) >= 2]


def _attr(obj, name, default=""):
    return text(obj.attrs[name]) if name in obj.attrs else default


def sweep_number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.nan


def _sweep_key(arm: Arm):
    # Numeric values sort numerically, others as text, so mentors=10 comes after mentors=2.
    return tuple((0, sweep_number(v), "") if not math.isnan(sweep_number(v)) else (1, 0.0, v)
                 for v in arm.sweep_values)


def _order_arms(arms: list, reference: str) -> list:
    """The reference first, then the arms in file order with each sweep family kept together
    and sorted by its swept values."""
    families = {}
    for a in arms:
        families.setdefault(a.sweep_base if a.swept else "\0" + a.name, []).append(a)
    ordered = []
    for members in families.values():
        ordered += sorted(members, key=_sweep_key) if members[0].swept else members
    return sorted(ordered, key=lambda a: a.name != reference)   # stable: the rest keep their order


def load(path) -> Results:
    """Read the summaries of a results file; ResultsError if it is not one."""
    path = str(path)
    if not pathlib.Path(path).is_file():
        raise ResultsError("no such file")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise ResultsError(NOT_RESULTS) from None
    with f:
        arms_group = f.get("arms")
        if (_attr(f, "format") != "recoverysim" or not isinstance(arms_group, h5py.Group) or len(arms_group) == 0
                or any(not isinstance(g, h5py.Group) or "summary/quantities" not in g for g in arms_group.values())):
            raise ResultsError(NOT_RESULTS)
        version = int(np.asarray(f.attrs["format_version"]).ravel()[0]) if "format_version" in f.attrs else -1
        if version > FORMAT_VERSION:
            raise ResultsError(f"written by a newer recoverysim (format_version {version}); these scripts read "
                               f"versions {OLDEST_FORMAT} to {FORMAT_VERSION}")
        if version < OLDEST_FORMAT:
            raise ResultsError(f"format_version {version if version >= 0 else 'missing'}: these scripts read versions "
                               f"{OLDEST_FORMAT} to {FORMAT_VERSION}; run the scenario again")
        if "shard" in f.attrs:
            raise ResultsError(f"the part {text(f.attrs['shard'])} of a sharded run: merge every part first")
        try:
            return _read(f, path)
        except (KeyError, ValueError, TypeError) as error:
            raise ResultsError(f"{NOT_RESULTS}: {error}") from None


def _read(f, path) -> Results:
    arms = []
    for name, g in f["arms"].items():
        summary = g["summary"]
        curves = {}
        for cname in CURVES:
            if f"curves/{cname}" in summary:
                data = np.asarray(summary[f"curves/{cname}"][...], dtype=float)
                if data.ndim == 2 and data.shape[1] == 3 and data.shape[0] > 0:
                    curves[cname] = data
        paths = text_list(g.attrs["sweep_paths"]) if "sweep_paths" in g.attrs else []
        values = text_list(g.attrs["sweep_values"]) if "sweep_values" in g.attrs else []
        if len(values) != len(paths):
            paths, values = [], []
        replicates = int(summary.attrs["replicates"]) if "replicates" in summary.attrs else 0
        periods, by_period = [], {}
        if "by_admission_period/quantities" in summary:
            d = summary["by_admission_period/quantities"]
            data = np.asarray(d[...], dtype=float)
            periods = text_list(d.attrs["periods"])
            for k, label in enumerate(text_list(d.attrs["labels"])):
                by_period[label] = [tuple(float(v) for v in data[p, k]) for p in range(data.shape[0])]
        queues, waits = {}, {}
        if isinstance(g.get("modules"), h5py.Group):
            for module, m in g["modules"].items():
                if "daily/queue_length" in m:
                    daily = np.asarray(m["daily/queue_length"][...], dtype=float)
                    queues[module] = daily.reshape(-1, daily.shape[-1]).mean(axis=0)
        for cname in summary.get("curves", {}):
            if cname.endswith(".wait"):
                data = np.asarray(summary[f"curves/{cname}"][...], dtype=float)
                if data.ndim == 2 and data.shape[1] == 3 and data.shape[0] > 0:
                    waits[cname[:-len(".wait")]] = data
        arms.append(Arm(name, _attr(g, "sweep_base", name), paths, values, replicates,
                        labelled(summary["quantities"]), curves, periods, by_period, queues, waits))
    names = [a.name for a in arms]
    reference = _attr(f, "reference_arm")
    if reference not in names:
        # Without the attribute: the arm the comparisons are made against, else the first arm.
        compared = [n for n in f["comparison"] if n in names] if isinstance(f.get("comparison"), h5py.Group) else []
        reference = compared[0] if len(compared) == 1 else names[0]

    comparisons = {}
    group = f.get(f"comparison/{reference}")
    reference_dominance = _attr(group, "reference_dominance") if isinstance(group, h5py.Group) else ""
    if isinstance(group, h5py.Group):
        for name, c in group.items():
            if not isinstance(c, h5py.Group):
                continue
            get = lambda key: labelled(c[key]) if key in c else {}  # noqa: E731

            def series(key):
                return np.asarray(c[key][...], dtype=float).ravel() if key in c else np.empty(0)
            comparisons[name] = Comparison(name, get("paired_differences"), get("unpaired_differences"),
                                           get("ratios"), get("cost_effectiveness"),
                                           series("replicates/incremental_cost"),
                                           series("replicates/relapses_averted"), _attr(c, "dominance"))

    uncertain = {}
    if isinstance(f.get("uncertain_parameters"), h5py.Group):
        def visit(rel, obj):
            if isinstance(obj, h5py.Dataset):
                uncertain[rel] = (np.asarray(obj[...], dtype=float).ravel(), _attr(obj, "distribution"))
        f["uncertain_parameters"].visititems(visit)

    return Results(path, _attr(f, "scenario_name"), _attr(f, "scenario_yaml"), _attr(f, "seed"),
                   _attr(f, "created_utc"), _attr(f, "software_version"), _attr(f, "format_version"),
                   reference, _order_arms(arms, reference), comparisons, uncertain, reference_dominance,
                   _read_decision(f))


def _read_decision(f):
    g = f.get("decision")
    if not isinstance(g, h5py.Group) or "replicates/effect" not in g:
        return None
    matrix = lambda key: np.asarray(g[key][...], dtype=float)  # noqa: E731
    frontier = g["frontier"]
    steps = [(name, tuple(float(v) for v in row))
             for name, row in zip(text_list(frontier.attrs["labels"]), np.asarray(frontier[...], dtype=float))]
    return Decision(_attr(g, "effect"), _attr(g, "units"), _attr(g, "uncertainty"),
                    float(g.attrs["willingness_to_pay"]) if "willingness_to_pay" in g.attrs else math.nan,
                    text_list(g["replicates/effect"].attrs["labels"]), steps, matrix("acceptability/wtp"),
                    matrix("acceptability/probability"), matrix("acceptability/standard_error"),
                    matrix("replicates/incremental_cost"), matrix("replicates/effect"),
                    matrix("replicates/cost_per_year"), float(g["replicates"].attrs["t_975"]))


# ---------------------------------------------------------------------------------------------
# Quantities and their names


def headline_relapse(results: Results):
    """The relapse outcome with the longest follow-up present (relapse_by_day_D, largest D)."""
    days = {int(m.group(1)): label for a in results.arms for label in a.quantities
            if (m := re.fullmatch(r"relapse_by_day_(\d+)", label))}
    return days[max(days)] if days else None


def describe(quantity: str) -> str:
    """A quantity's name in plain words with its unit."""
    if m := re.fullmatch(r"(relapse|lapse)_by_day_(\d+)", quantity):
        return f"First {m.group(1)} within {m.group(2)} days of admission (%)"
    if m := re.fullmatch(r"(relapse|lapse)_by_day_(\d+)_km", quantity):
        return f"First {m.group(1)} within {m.group(2)} days, deaths censored (net risk, %)"
    if m := re.fullmatch(r"(relapse|lapse)_by_day_(\d+)_complete", quantity):
        return f"First {m.group(1)} within {m.group(2)} days, among those followed {m.group(2)} days (%)"
    if m := re.fullmatch(r"abstinent_on_day_(\d+)", quantity):
        return f"Alive and abstinent on day {m.group(1)} after admission (%)"
    if m := re.fullmatch(r"(.+)\.wait_mean_days", quantity):
        return f"{m.group(1).replace('_', ' ')}: wait per person, mean (days)"
    if m := re.fullmatch(r"(.+)\.wait_p(\d+)_days", quantity):
        return f"{m.group(1).replace('_', ' ')}: wait per person, {m.group(2)}th percentile (days)"
    if m := re.fullmatch(r"(.+)\.wait_never_served", quantity):
        return f"{m.group(1).replace('_', ' ')}: share never served (%)"
    plain = {
        "first_episode_completion": "First episode completed (%)",
        "percent_days_abstinent": "Days abstinent (%)",
        "readmissions_per_person_year": "Readmissions per person-year",
        "deaths": "Deaths (people)",
        "participants": "Participants (people)",
        "relapses": "Relapses (people)",
        "completed_episodes": "Completed first episodes (people)",
        "cost_total": "Total staff cost, discounted (currency units)",
        "cost_per_participant": "Staff cost per participant, discounted (currency units)",
        "staff_fte": "Staff, mean over days (FTE)",
        "incremental_cost": "Incremental cost (currency units)",
        "relapses_averted": "Relapses averted (people)",
        "additional_completions": "Additional completed episodes (people)",
        "cost_per_relapse_averted": "Cost per relapse averted (currency units)",
        "cost_per_additional_completion": "Cost per additional completion (currency units)",
    }
    if quantity in plain:
        return plain[quantity]
    if "." in quantity:
        module, metric = quantity.rsplit(".", 1)
        metric_words = {
            "queue_length": "queue, mean over days (people)",
            "queue_mean_days_so_far": "days waited so far by those queued, mean over days",
            "utilisation": "utilisation, mean over days (%)",
            "staff_fte": "staff, mean over days (FTE)",
            "cost": "cost per day, mean over days (currency units)",
        }.get(metric, f"{metric.replace('_', ' ')}, mean over days")
        return f"{module.replace('_', ' ')}: {metric_words}"
    return quantity.replace("_", " ")


def is_share(quantity: str) -> bool:
    """Quantities stored as shares in [0, 1] and shown as percentages."""
    return bool(re.fullmatch(r"(relapse|lapse)_by_day_\d+(_km|_complete)?|first_episode_completion(_km|_complete)?"
                             r"|abstinent_on_day_\d+|.*\.utilisation|.*\.wait_never_served", quantity))


def display_scale(quantity: str) -> float:
    return 100.0 if is_share(quantity) else 1.0


def module_type(path: str, labels) -> str:
    """The module type of a sweep path (`peer_mentor.mentors` -> `peer_mentor`): the first part
    of the path that prefixes quantity names in `labels`, else the path's first part."""
    parts = path.split(".")[:-1] or [path]
    for part in parts:
        if any(label.startswith(part + ".") for label in labels):
            return part
    return parts[0]


# ---------------------------------------------------------------------------------------------
# Colours


def arm_styles(results: Results) -> dict:
    """Colour and line style per arm. The reference is black; a swept family takes a sequential
    colormap in sweep order (line style by the second swept value); other arms take a
    qualitative palette."""
    styles = {results.reference: {"color": "black", "linestyle": "-", "marker": "o"}}
    families = dict(results.families())
    palettes = ["viridis", "plasma", "cividis", "magma"]
    qualitative = plt.get_cmap("tab10").colors
    dashes = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D", "v", "P"]
    q = 0
    for i, (base, members) in enumerate(families.items()):
        cmap = plt.get_cmap(palettes[i % len(palettes)])
        firsts = sorted({m.sweep_values[0] for m in members}, key=lambda v: (math.isnan(sweep_number(v)),
                                                                                sweep_number(v), v))
        rests = sorted({tuple(m.sweep_values[1:]) for m in members})
        for m in members:
            k = firsts.index(m.sweep_values[0])
            # Stop short of the colormap's light end, which vanishes on white.
            colour = cmap(0.05 + 0.8 * k / max(1, len(firsts) - 1))
            k = rests.index(tuple(m.sweep_values[1:]))
            styles[m.name] = {"color": colour, "linestyle": dashes[k % len(dashes)], "marker": markers[k % len(markers)]}
    for a in results.arms:
        if a.name not in styles:
            styles[a.name] = {"color": qualitative[q % len(qualitative)], "linestyle": "-", "marker": "o"}
            q += 1
    return styles


def legend_label(results: Results, arm: Arm) -> str:
    """`usual care (reference)`, `40 mentors`, `group therapy`: as a person would write them."""
    if arm.name == results.reference:
        return f"{arm.short_label()} (reference)"
    if arm.swept and len({a.sweep_base for a in results.arms if a.swept}) > 1:
        return f"{arm.sweep_base.replace('_', ' ')}: {arm.short_label()}"  # two families may sweep the same key
    return arm.short_label()


def _legend(ax, n):
    """A compact legend: beside the axes when there are many entries."""
    if n <= 6:
        ax.legend(fontsize=8, frameon=False)
    else:
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  ncol=1 if n <= 22 else 2, handlelength=2.2, borderaxespad=0.0)


# ---------------------------------------------------------------------------------------------
# Figures: each function returns a matplotlib Figure, or None after a note (on stderr unless
# `note` is given) saying why it was skipped


def print_note(message: str) -> None:
    print(message, file=sys.stderr)


def curve_figure(results: Results, name: str, note=None):
    note = note or print_note
    title, ylabel = CURVES[name]
    arms = [a for a in results.arms if name in a.curves]
    if not arms:
        note(f"note: no arm has curves/{name}; {name}.png skipped")
        return None
    styles = arm_styles(results)
    many = len(arms) > 6
    fig, ax = plt.subplots(figsize=(11 if many else 9, 5.5))
    band_alpha = 0.18 if len(arms) <= 3 else 0.08
    banded = False
    for a in arms:
        data = a.curves[name] * 100.0
        days = np.arange(len(data))
        style = styles[a.name]
        ax.plot(days, data[:, 0], label=legend_label(results, a), lw=1.8 if a.name == results.reference else 1.3,
                color=style["color"], linestyle=style["linestyle"])
        if np.isfinite(data[:, 1:]).any():
            ax.fill_between(days, data[:, 1], data[:, 2], color=style["color"], alpha=band_alpha, lw=0)
            banded = True
    ax.set_title(f"{title} - {results.scenario_name}")
    ax.set_xlabel("Days since admission")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, max(len(a.curves[name]) for a in arms) - 1)
    estimates = np.concatenate([a.curves[name][:, 0] for a in arms])
    estimates = estimates[np.isfinite(estimates)]
    if name == "retention":   # falls from 100%
        low = float(estimates.min()) * 100.0 if len(estimates) else 0.0
        ax.set_ylim(max(0.0, math.floor(low / 10.0) * 10.0 - 5.0), 101.0)
    else:                     # rises from 0
        high = float(estimates.max()) * 100.0 if len(estimates) else 100.0
        ax.set_ylim(0.0, min(101.0, math.ceil(high / 10.0) * 10.0 + 5.0))
    ax.grid(alpha=0.3)
    _legend(ax, len(arms))
    fig.text(0.01, 0.01, "Shaded: 95% interval" if banded else "No interval (a single replicate)", fontsize=7,
             color="0.4")
    fig.tight_layout()
    return fig


def _yerr(rows, scale):
    """Error bar lengths from (mean, low, high) rows; 0 where a bound is NaN."""
    rows = np.asarray(rows, dtype=float) * scale
    lower = np.nan_to_num(rows[:, 0] - rows[:, 1], nan=0.0).clip(min=0.0)
    upper = np.nan_to_num(rows[:, 2] - rows[:, 0], nan=0.0).clip(min=0.0)
    return np.vstack([lower, upper])


def sweep_figure(results: Results, base: str, members: list, note=None):
    note = note or print_note
    paths = members[0].sweep_paths
    if any(m.sweep_paths != paths for m in members):
        note(f"note: arms of sweep {base} differ in swept parameters; only those sweeping {paths} are plotted")
        members = [m for m in members if m.sweep_paths == paths]
    labels = set().union(*(m.quantities for m in members))
    module = module_type(paths[0], labels)
    panels = [q for q in (headline_relapse(results), "cost_per_participant",
                          f"{module}.wait_mean_days", f"{module}.wait_p90_days") if q and q in labels]
    if not panels:
        note(f"note: sweep {base} has none of the quantities to plot; its figure skipped")
        return None
    numeric = all(not math.isnan(sweep_number(m.sweep_values[0])) for m in members)
    if numeric:
        position = {v: sweep_number(v) for v in {m.sweep_values[0] for m in members}}
    else:
        order = sorted({m.sweep_values[0] for m in members})
        position = {v: float(i) for i, v in enumerate(order)}
    lines = {}
    for m in members:
        lines.setdefault(tuple(m.sweep_values[1:]), []).append(m)
    line_keys = sorted(lines, key=lambda k: tuple((math.isnan(sweep_number(v)), sweep_number(v), v) for v in k))
    cmap = plt.get_cmap("viridis")
    reference = results.arm(results.reference)

    columns = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6.0 * columns, 4.2 * rows), squeeze=False)
    for ax, quantity in zip(axes.ravel(), panels):
        scale = display_scale(quantity)
        for i, key in enumerate(line_keys):
            arms = sorted((m for m in lines[key] if quantity in m.quantities),
                          key=lambda m: position[m.sweep_values[0]])
            if not arms:
                continue
            never = [m.sweep_values[0] for m in arms if math.isinf(m.quantities[quantity][0])]
            if never:  # a percentile that fewer than that share ever reach has no point to draw
                ax.text(0.02, 0.02, f"not reached at {', '.join(level_label(paths[0], v) for v in never)}",
                        transform=ax.transAxes,
                        fontsize=7, color="0.35")
            arms = [m for m in arms if not math.isinf(m.quantities[quantity][0])]
            if not arms:
                continue
            x = np.array([position[m.sweep_values[0]] for m in arms])
            values = [m.quantities[quantity] for m in arms]
            y = np.array([v[0] for v in values]) * scale
            label = ", ".join(level_label(p, v) for p, v in zip(paths[1:], key)) or base.replace("_", " ")
            colour = cmap(0.05 + 0.8 * i / max(1, len(line_keys) - 1)) if len(line_keys) > 1 else "tab:blue"
            ax.errorbar(x, y, yerr=_yerr(values, scale), marker="o", ms=4, capsize=3, lw=1.4,
                        color=colour, label=label)
        if reference is not None and quantity in reference.quantities and not reference.swept:
            mean, low, high = (v * scale for v in reference.quantities[quantity])
            ax.axhline(mean, color="black", ls="--", lw=1.2, label=legend_label(results, reference))
            if np.isfinite(low) and np.isfinite(high):
                ax.axhspan(low, high, color="black", alpha=0.07, lw=0)
        ax.set_title(describe(quantity), fontsize=10)
        ax.set_xlabel(describe_path(paths[0]))
        if not numeric:
            ax.set_xticks(list(position.values()), list(position.keys()))
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    handles, names = axes[0, 0].get_legend_handles_labels()
    if handles:
        title = describe_path(paths[1]) if len(paths) > 1 else None
        fig.legend(handles, names, loc="lower center", ncol=min(len(handles), 6), fontsize=8, frameon=False,
                   title=title, title_fontsize=8)
    fig.suptitle(f"{describe_path(paths[0])}: outcomes at each level - {results.scenario_name} "
                 "(error bars: 95% interval)", fontsize=11)
    legend_rows = math.ceil(len(handles) / 6) if handles else 0
    fig.tight_layout(rect=(0, 0.04 + 0.035 * legend_rows, 1, 0.96))
    return fig


def describe_path(path: str) -> str:
    """`peer_mentor.mentors` -> `Mentors (peer mentor)`."""
    if "." in path:
        module, key = path.rsplit(".", 1)
        return f"{key.replace('_', ' ').capitalize()} ({module.replace('_', ' ')})"
    return path.replace("_", " ").capitalize()


def ce_plane_figure(results: Results, note=None):
    note = note or print_note
    comparisons = [(results.arm(name), c) for name, c in results.comparisons.items() if results.arm(name)]
    comparisons = [(a, c) for a, c in comparisons if len(c.incremental_cost) or c.cost_effectiveness]
    if not comparisons:
        note("note: no comparison against a reference arm (one arm only?); ce_plane.png skipped")
        return None
    comparisons.sort(key=lambda ac: results.arms.index(ac[0]))
    styles = arm_styles(results)
    fig, ax = plt.subplots(figsize=(11 if len(comparisons) > 6 else 9, 6))
    point_alpha = 0.35 if len(comparisons) <= 4 else 0.2
    for arm, c in comparisons:
        colour = styles[arm.name]["color"]
        n = min(len(c.relapses_averted), len(c.incremental_cost))
        if n:
            ax.scatter(c.relapses_averted[:n], c.incremental_cost[:n], s=10, color=colour, alpha=point_alpha, lw=0)
        ce = c.cost_effectiveness
        if "relapses_averted" in ce and "incremental_cost" in ce:
            x, y = ce["relapses_averted"], ce["incremental_cost"]
        elif n:
            x = (float(np.mean(c.relapses_averted[:n])), math.nan, math.nan)
            y = (float(np.mean(c.incremental_cost[:n])), math.nan, math.nan)
        else:
            continue
        ax.errorbar([x[0]], [y[0]], xerr=_yerr([x], 1.0), yerr=_yerr([y], 1.0), fmt=styles[arm.name]["marker"],
                    ms=5, capsize=3,
                    color=colour, mec="black", mew=0.5, lw=1.3, label=legend_label(results, arm))
    d = results.decision
    if d is not None and d.effect == "relapses_averted" and len(d.frontier) > 1:
        index = {name: k for k, name in enumerate(d.arms)}
        points = [(float(np.nanmean(d.effect_values[index[name]])), float(np.nanmean(d.incremental_cost[index[name]])))
                  for name, _ in d.frontier if name in index]
        ax.plot([p[0] for p in points], [p[1] for p in points], color="0.3", lw=1.0, ls="-", zorder=0,
                label="efficient frontier")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(alpha=0.3)
    reference = results.arm(results.reference).short_label() if results.arm(results.reference) else results.reference
    ax.set_xlabel(f"Relapses averted against {reference} (people per replicate)")
    ax.set_ylabel(f"Incremental cost against {reference} (currency units, discounted)")
    ax.set_title(f"Cost-effectiveness plane - {results.scenario_name}")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _legend(ax, len(comparisons) + (1 if d is not None and len(d.frontier) > 1 else 0))
    fig.text(0.01, 0.01, "Dots: replicates; crosses: mean with 95% intervals. Lower right: cheaper and better.",
             fontsize=7, color="0.4")
    fig.tight_layout()
    return fig


def period_figure(results: Results, note=None):
    """The headline relapse outcome by admission period, one line per arm: a queue that builds
    up during the intake shows as worse outcomes for later admissions."""
    note = note or print_note
    quantity = headline_relapse(results)
    arms = [a for a in results.arms if quantity and quantity in a.by_period]
    if not arms or len(arms[0].periods) < 2:
        note("note: no outcomes by admission period (a closed cohort, or a single period); by_period.png skipped")
        return None
    styles = arm_styles(results)
    periods = arms[0].periods
    fig, ax = plt.subplots(figsize=(11 if len(arms) > 6 else 9, 5.5))
    x = np.arange(len(periods))
    width = 0.6 / max(1, len(arms))
    for k, a in enumerate(arms):
        rows = a.by_period[quantity]
        y = np.array([r[0] for r in rows]) * 100.0
        offset = (k - (len(arms) - 1) / 2) * width
        style = styles[a.name]
        ax.errorbar(x + offset, y, yerr=_yerr(rows, 100.0), marker=style["marker"], ms=4, capsize=3, lw=1.2,
                    color=style["color"], linestyle=style["linestyle"], label=legend_label(results, a))
    ax.set_xticks(x, [p.replace("admitted on ", "") for p in periods])
    ax.set_xlabel("Admission period")
    ax.set_ylabel(describe(quantity))
    ax.set_title(f"{describe(quantity).replace(' (%)', '')}, by admission period - {results.scenario_name}", fontsize=10)
    ax.grid(alpha=0.3)
    _legend(ax, len(arms))
    fig.text(0.01, 0.01, "Error bars: 95% interval over replicates", fontsize=7, color="0.4")
    fig.tight_layout()
    return fig


def queue_figure(results: Results, note=None):
    """People waiting for a place, day by day: how the queue builds up and drains."""
    note = note or print_note
    arms = [a for a in results.arms if a.queues]
    if not arms:
        note("note: no module with a queue; queue.png skipped")
        return None
    styles = arm_styles(results)
    fig, ax = plt.subplots(figsize=(11 if len(arms) > 6 else 9, 5.5))
    modules = sorted({m for a in arms for m in a.queues})
    for a in arms:
        for module in modules:
            if module in a.queues:
                label = legend_label(results, a) + (f" ({module.replace('_', ' ')})" if len(modules) > 1 else "")
                ax.plot(np.arange(len(a.queues[module])), a.queues[module], color=styles[a.name]["color"],
                        linestyle=styles[a.name]["linestyle"], lw=1.3, label=label)
    ax.set_title(f"People waiting for a place, by day - {results.scenario_name}")
    ax.set_xlabel("Day of the simulation")
    ax.set_ylabel("People in the queue (mean over replicates)")
    ax.set_xlim(0, max(len(q) for a in arms for q in a.queues.values()) - 1)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _legend(ax, len(arms) * len(modules))
    fig.tight_layout()
    return fig


def wait_figure(results: Results, note=None):
    """The share served within so many days of joining the queue."""
    note = note or print_note
    arms = [a for a in results.arms if a.waits]
    if not arms:
        note("note: no module with a queue; wait.png skipped")
        return None
    styles = arm_styles(results)
    modules = sorted({m for a in arms for m in a.waits})
    fig, ax = plt.subplots(figsize=(11 if len(arms) > 6 else 9, 5.5))
    horizon = 0
    for a in arms:
        for module in modules:
            if module not in a.waits:
                continue
            data = a.waits[module] * 100.0
            # Waits are short next to the horizon: show the days where the curves still rise.
            rising = np.nonzero(np.diff(np.nan_to_num(data[:, 0])) > 1e-9)[0]
            horizon = max(horizon, int(rising[-1]) + 2 if len(rising) else 1)
            label = legend_label(results, a) + (f" ({module.replace('_', ' ')})" if len(modules) > 1 else "")
            ax.step(np.arange(len(data)), data[:, 0], where="post", color=styles[a.name]["color"],
                    linestyle=styles[a.name]["linestyle"], lw=1.3, label=label)
    ax.set_xlim(0, min(max(horizon, 14), max(len(w) for a in arms for w in a.waits.values()) - 1))
    ax.set_ylim(0, 101)
    ax.set_title(f"Served within so many days of joining the queue - {results.scenario_name}")
    ax.set_xlabel("Days since joining the queue")
    ax.set_ylabel("Served (%)")
    ax.grid(alpha=0.3)
    _legend(ax, len(arms) * len(modules))
    fig.text(0.01, 0.01, "Cumulative incidence of being served; death and the end of eligibility compete. "
             "A curve that stays below 100% means some people are never served.", fontsize=7, color="0.4")
    fig.tight_layout()
    return fig


def acceptability_figure(results: Results, note=None):
    """The probability that each arm has the highest net monetary benefit, against the
    willingness to pay (arms that are never best at any willingness to pay are left out)."""
    note = note or print_note
    d = results.decision
    if d is None or len(d.arms) < 2:
        note("note: no decision analysis in the file (one arm, or an older file); acceptability.png skipped")
        return None
    # Few arms are ever best: distinct colours tell them apart better than a sweep's gradient.
    palette = plt.get_cmap("tab10").colors
    fig, ax = plt.subplots(figsize=(9, 5.5))
    shown = 0
    for k, name in enumerate(d.arms):
        p = d.acceptability[:, k]
        if np.nanmax(p) < 0.05:
            continue
        arm = results.arm(name)
        colour = "black" if name == results.reference else palette[shown % len(palette)]
        ax.plot(d.acceptability_wtp, p * 100.0, color=colour, lw=1.6, label=legend_label(results, arm) if arm else name)
        shown += 1
    if math.isfinite(d.wtp):
        ax.axvline(d.wtp, color="0.4", ls=":", lw=1.0, label="stated willingness to pay")
        shown += 1
    ax.set_ylim(0, 101)
    ax.set_xlim(0, float(d.acceptability_wtp[-1]))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(f"Willingness to pay ({d.units})")
    ax.set_ylabel("Probability of the highest net benefit (%)")
    ax.set_title(f"Acceptability - {results.scenario_name}")
    ax.grid(alpha=0.3)
    _legend(ax, shown)
    fig.text(0.01, 0.01, f"Over replicates: {d.uncertainty}. Arms never above 5% are not drawn.", fontsize=7,
             color="0.4")
    fig.tight_layout()
    return fig


def figures(results: Results, note=None):
    """Every figure the file supports, as (file name, title, Figure), in a fixed order."""
    note = note or print_note
    for name in CURVES:
        fig = curve_figure(results, name, note)
        if fig is not None:
            yield f"{name}.png", CURVES[name][0], fig
    fig = period_figure(results, note)
    if fig is not None:
        yield "by_period.png", "By admission period", fig
    fig = queue_figure(results, note)
    if fig is not None:
        yield "queue.png", "People waiting for a place, by day", fig
    fig = wait_figure(results, note)
    if fig is not None:
        yield "wait.png", "Served within so many days of joining the queue", fig
    families = results.families()
    if not families:
        note("note: no swept arm family with two or more points; staffing_sweep.png skipped")
    for i, (base, members) in enumerate(families):
        fig = sweep_figure(results, base, members, note)
        if fig is not None:
            file = "staffing_sweep.png" if i == 0 else f"staffing_sweep_{re.sub(r'[^A-Za-z0-9_.-]', '_', base)}.png"
            yield file, f"{describe_path(members[0].sweep_paths[0])}: outcomes at each level", fig
    fig = ce_plane_figure(results, note)
    if fig is not None:
        yield "ce_plane.png", "Cost-effectiveness plane", fig
    fig = acceptability_figure(results, note)
    if fig is not None:
        yield "acceptability.png", "Acceptability", fig


def save(fig, target) -> None:
    """Write a figure as PNG to a path or binary stream, and free it."""
    fig.savefig(target, format="png", dpi=DPI)
    plt.close(fig)


def fail(path, message) -> None:
    print(f"{path}: {message}", file=sys.stderr)
    sys.exit(2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[7:]))
    parser.add_argument("file", help="results file written by `recoverysim run` (HDF5)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="directory for the PNG files")
    args = parser.parse_args()
    try:
        results = load(args.file)
    except ResultsError as error:
        fail(args.file, error)
    out = pathlib.Path(args.output)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(args.output, f"cannot create the output directory ({error.strerror})")
    for file, _, fig in figures(results):
        save(fig, out / file)
        print(out / file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
