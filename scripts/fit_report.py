#!/usr/bin/python3
"""Write a self-contained HTML report of a recoverysim calibration (the fit.h5 of `recoverysim
calibrate`).

The page opens with a conclusion in plain words, generated from the numbers: how many targets
the best parameter set meets, how the held-out targets fare and whether any set survives the
implausibility cut-off. It then shows the fit of every target (fitted and held out), the
parameters' posteriors against their priors, four figures (the targets against the posterior
predictive intervals, the marginal posteriors, the parameter-target rank correlations over the
first wave's space-filling design, the implausibility by wave), the targets no parameter set
meets with the parameters that pull against them, the calibration file as stored and the
definition of every term it uses.

    /usr/bin/python3 scripts/fit_report.py fit.h5 -o fit.html

`recoverysim calibrate --report fit.h5 -o fit.html` runs this script. The page loads nothing from
elsewhere (its figures are embedded PNG) and can be mailed or archived as it is. Needs h5py,
NumPy and matplotlib (Debian: python3-h5py, python3-numpy, python3-matplotlib).
"""
import argparse
import base64
import html
import io
import math
import os
import pathlib
import re
import sys
import tempfile
import textwrap

import h5py
import numpy as np

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
import matplotlib.lines  # noqa: E402
import matplotlib.ticker  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from report import STYLE, table  # noqa: E402  (lives beside this script)

FORMAT, FORMAT_VERSION = "recoverysim calibration", 1
DPI = 110
# A parameter whose rank correlation with a target is at least this large (in absolute value)
# over the design moves that target: with the 40 to 100 sets of a first wave, a correlation of
# 0.3 is two to three standard errors from none.
LEVER = 0.3
# A posterior that rests on fewer sets than this gives rough intervals.
SMALL_ESS = 50
EXTRA_STYLE = """
tr.miss td { background: #fbecec; }
tr.heldout td { color: #555; font-style: italic; }
.alert { background: #fdf0e6; border-left: 4px solid #c0661a; padding: 0.6em 1.2em; margin: 1em 0; font-weight: 600; }
ul.misses li { margin: 0.5em 0; }
"""
DATASETS = ("parameters/min", "parameters/max", "targets/observed", "targets/observation_sd",
            "targets/discrepancy_sd", "targets/tolerance_low", "targets/tolerance_high", "targets/held_out",
            "targets/model_variance", "evaluations/wave", "evaluations/parameters", "evaluations/unit",
            "evaluations/target_mean", "evaluations/implausibility", "evaluations/max_implausibility",
            "evaluations/weight", "evaluations/not_ruled_out", "posterior/parameters")
ATTRIBUTES = {"": ("name", "calibration", "calibration_file", "replicates", "waves", "posterior_waves", "agents",
                   "cutoff", "implausibility_rank", "seed"),
              "parameters": ("names", "scales", "priors"),
              "targets": ("ids", "descriptions", "observed_as_cited"),
              "posterior": ("effective_sample_size", "best")}


class FitError(Exception):
    """The file cannot be read as a recoverysim calibration."""


def fail(path, message) -> None:
    print(f"{path}: {message}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------
# Reading


def text(value) -> str:
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8", errors="replace")
    return str(value)


def text_list(value) -> list:
    if isinstance(value, (str, bytes, np.bytes_)):
        return [text(value)]
    return [text(v) for v in np.asarray(value).ravel()]


class Fit:
    """Everything the page shows, read from fit.h5, with the figures derived from it."""

    def __init__(self, path: str):
        self.path = path
        if not os.path.isfile(path):
            raise FitError("no such file")
        try:
            f = h5py.File(path, "r")
        except OSError:
            raise FitError("not an HDF5 file") from None
        with f:
            if text(f.attrs.get("format", "")) != FORMAT:
                raise FitError(f"not a recoverysim calibration file (no format attribute '{FORMAT}'; "
                               "write one with `recoverysim calibrate`)")
            version = int(f.attrs.get("format_version", 0))
            if version != FORMAT_VERSION:
                raise FitError(f"calibration format_version {version}; this script reads {FORMAT_VERSION}")
            for name in DATASETS:
                if not isinstance(f.get(name), h5py.Dataset):
                    raise FitError(f"no dataset /{name} (an incomplete calibration file)")
            for group, names in ATTRIBUTES.items():
                for name in names:
                    if name not in f[group or "/"].attrs:
                        raise FitError(f"no attribute {name} on /{group}")
            a = f.attrs
            self.name, self.calibration = text(a["name"]), text(a["calibration"])
            self.calibration_file = text(a["calibration_file"])
            self.replicates, self.agents, self.seed = int(a["replicates"]), int(a["agents"]), int(a["seed"])
            # The cohorts as they ran (an open cohort keeps its own size), where the file says.
            self.scenario_agents = ([int(x) for x in text_list(a["scenario_agents"])]
                                    if "scenario_agents" in a else [self.agents])
            self.waves, self.posterior_waves = int(a["waves"]), int(a["posterior_waves"])
            self.cutoff, self.rank = float(a["cutoff"]), int(a["implausibility_rank"])
            p = f["parameters"]
            self.paths, self.scales = text_list(p.attrs["names"]), text_list(p.attrs["scales"])
            self.priors = text_list(p.attrs["priors"])
            self.low, self.high = p["min"][...].astype(float), p["max"][...].astype(float)
            t = f["targets"]
            self.ids, self.descriptions = text_list(t.attrs["ids"]), text_list(t.attrs["descriptions"])
            self.cited = text_list(t.attrs["observed_as_cited"])
            self.observed = t["observed"][...].astype(float)
            self.observation_sd, self.discrepancy_sd = t["observation_sd"][...], t["discrepancy_sd"][...]
            self.tolerance_low, self.tolerance_high = t["tolerance_low"][...], t["tolerance_high"][...]
            self.held_out = t["held_out"][...].astype(bool)
            self.model_variance = t["model_variance"][...].astype(float)
            e = f["evaluations"]
            self.wave = e["wave"][...].astype(int)
            self.values, self.unit = e["parameters"][...], e["unit"][...]
            self.mean, self.implausibility = e["target_mean"][...], e["implausibility"][...]
            self.max_implausibility = e["max_implausibility"][...]
            self.weight = e["weight"][...].astype(float)
            self.not_ruled_out = e["not_ruled_out"][...].astype(bool)
            post = f["posterior"]
            self.posterior_values = post["parameters"][...]
            self.ess = float(post.attrs["effective_sample_size"])
            self.best = int(post.attrs["best"])
        self.check_shapes()
        # With no set left, the least implausible one stands in (as `recoverysim calibrate` shows).
        self.shown = self.best if self.best >= 0 else int(np.argmin(np.nan_to_num(self.max_implausibility,
                                                                                  nan=np.inf)))

    def check_shapes(self):
        P, K, N = len(self.paths), len(self.ids), len(self.wave)
        expected = {"parameters/max": (self.high, (P,)), "parameters/min": (self.low, (P,)),
                    "targets/observed": (self.observed, (K,)), "targets/held_out": (self.held_out, (K,)),
                    "evaluations/parameters": (self.values, (N, P)), "evaluations/unit": (self.unit, (N, P)),
                    "evaluations/target_mean": (self.mean, (N, K)),
                    "evaluations/implausibility": (self.implausibility, (N, K)),
                    "evaluations/weight": (self.weight, (N,)), "evaluations/not_ruled_out": (self.not_ruled_out, (N,)),
                    "posterior/parameters": (self.posterior_values, (len(self.posterior_values), P))}
        for name, (data, shape) in expected.items():
            if data.shape != shape:
                raise FitError(f"/{name}: shape {data.shape}, expected {shape} ({P} parameters, {K} targets, "
                               f"{N} sets evaluated)")
        if N == 0:
            raise FitError("no parameter set evaluated")
        if self.best >= N:
            raise FitError(f"/posterior best = {self.best}, outside the {N} evaluations")

    # ---- derived figures ----------------------------------------------------------------

    @property
    def set_name(self) -> str:
        """What the set shown is: the best fit, or when no posterior set is left, a stand-in."""
        return "best set" if self.best >= 0 else "least implausible set"

    @property
    def fitted(self) -> list:
        return [k for k in range(len(self.ids)) if not self.held_out[k]]

    def has_tolerance(self, k) -> bool:
        return bool(np.isfinite(self.tolerance_low[k]) and np.isfinite(self.tolerance_high[k]))

    def meets(self, k, i) -> bool:
        """Evaluation i meets target k: inside its tolerance, or where it has none, within the cutoff."""
        if self.has_tolerance(k):
            return bool(self.tolerance_low[k] <= self.mean[i, k] <= self.tolerance_high[k])
        return bool(self.implausibility[i, k] <= self.cutoff)

    def met_by_any(self, k) -> bool:
        return any(self.meets(k, i) for i in range(len(self.wave)))

    def total_sd(self, k) -> float:
        return math.hypot(self.observation_sd[k], self.discrepancy_sd[k])

    def band(self, k) -> tuple:
        """The model values that meet target k: its tolerance, or where the implausibility is
        within the cutoff."""
        if self.has_tolerance(k):
            return self.tolerance_low[k], self.tolerance_high[k]
        half = self.cutoff * math.sqrt(self.total_sd(k) ** 2 + self.model_variance[k])
        return self.observed[k] - half, self.observed[k] + half

    def posterior_quantiles(self, x, qs) -> list:
        """Quantiles of x over the posterior: the evaluations weighted by their importance weights
        (which the resampled sets of /posterior draw from, without the resampling noise)."""
        return [weighted_quantile(x, self.weight, q) for q in qs]

    def sensitivity(self) -> np.ndarray:
        """Rank correlation of each parameter (rows) with each target's mean (columns) over the
        first wave: a space-filling design, so no correlation comes from where later waves looked."""
        first = self.wave == 1
        return np.array([[rank_correlation(self.values[first, p], self.mean[first, k])
                          for k in range(len(self.ids))] for p in range(len(self.paths))])


# ---------------------------------------------------------------------------------------------
# Statistics


def weighted_quantile(x, weights, q) -> float:
    """The smallest x whose cumulative weight (x in increasing order) reaches q of the total, as
    recoverysim computes it; NaN x are left out, NaN if no weight is left."""
    x, weights = np.asarray(x, dtype=float), np.asarray(weights, dtype=float)
    keep = np.isfinite(x) & (weights > 0)
    if not keep.any():
        return math.nan
    order = np.argsort(x[keep], kind="stable")
    cumulative = np.cumsum(weights[keep][order])
    k = int(np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12), side="left"))
    return float(x[keep][order][min(k, len(order) - 1)])


def ranks(x) -> np.ndarray:
    """Ranks from 1, ties given their mean rank."""
    order = np.argsort(x, kind="stable")
    _, first, counts = np.unique(x[order], return_index=True, return_counts=True)
    out = np.empty(len(x))
    out[order] = np.repeat(first + 1 + (counts - 1) / 2.0, counts)
    return out


def rank_correlation(x, y) -> float:
    """Spearman's rank correlation (pairs with a NaN left out); NaN if either side is constant or
    fewer than 3 pairs are left."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 3:
        return math.nan
    rx, ry = ranks(x[keep]), ranks(y[keep])
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


# ---------------------------------------------------------------------------------------------
# Priors on the unit scale: bounds, on the parameter's scale, mapped to [0, 1]


def forward(scale, x):
    x = np.asarray(x, dtype=float)
    if scale == "log":
        return np.log(x)
    if scale == "logit":
        return np.log(x / (1.0 - x))
    return x


def backward(scale, y):
    if scale == "log":
        return np.exp(y)
    if scale == "logit":
        return 1.0 / (1.0 + np.exp(-y))
    return y


def log_density(description: str, x):
    """Log density, up to a constant, of a prior as `recoverysim calibrate` describes it
    ("normal(mean=-0.6, sd=1)"); None for a description it does not know."""
    m = re.fullmatch(r"(\w+)\((.*)\)", description.strip())
    if not m:
        return None
    try:
        given = {k.strip(): float(v) for k, v in (item.split("=") for item in m.group(2).split(","))}
    except ValueError:
        return None
    family = m.group(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if family == "normal":
            return -0.5 * ((x - given["mean"]) / given["sd"]) ** 2 - np.log(given["sd"])
        if family == "uniform":
            return np.where((x >= given["min"]) & (x <= given["max"]), 0.0, -np.inf)
        if family == "lognormal":
            mu, sigma = given.get("meanlog"), given.get("sdlog")
            if mu is None:  # from the mean and sd, as recoverysim converts them
                s2 = math.log1p((given["sd"] / given["mean"]) ** 2)
                mu, sigma = math.log(given["mean"]) - 0.5 * s2, math.sqrt(s2)
            return np.where(x > 0, -0.5 * ((np.log(x) - mu) / sigma) ** 2 - np.log(sigma * x), -np.inf)
        if family == "gamma":
            shape, scale = given.get("shape"), given.get("scale")
            if shape is None:
                shape, scale = (given["mean"] / given["sd"]) ** 2, given["sd"] ** 2 / given["mean"]
            return np.where(x > 0, (shape - 1) * np.log(x) - x / scale, -np.inf)
        if family == "beta":
            a, b = given.get("alpha"), given.get("beta")
            if a is None:
                mean, sd = given["mean"], given["sd"]
                k = mean * (1 - mean) / sd ** 2 - 1
                a, b = mean * k, (1 - mean) * k
            return np.where((x > 0) & (x < 1), (a - 1) * np.log(x) + (b - 1) * np.log1p(-x), -np.inf)
    return None


def prior_on_unit(fit: Fit, p: int, points: int = 2000):
    """The prior of parameter p as a density on the unit scale (grid midpoints, density), the
    prior cut to the bounds; None when its description is not one this script knows."""
    u = (np.arange(points) + 0.5) / points
    if fit.priors[p] == "uniform on its scale":
        return u, np.ones(points)
    scale = fit.scales[p]
    low, high = forward(scale, fit.low[p]), forward(scale, fit.high[p])
    x = backward(scale, low + u * (high - low))
    logs = log_density(fit.priors[p], x)
    if logs is None:
        return None
    jacobian = {"log": x, "logit": x * (1 - x)}.get(scale, np.ones(points)) * (high - low)
    finite = logs[np.isfinite(logs)]
    if not len(finite):
        return None
    density = np.exp(logs - finite.max()) * jacobian
    if not np.isfinite(density).all() or density.sum() <= 0:
        return None
    return u, density / density.mean()


def unit_interval_width(u, density) -> float:
    """Width of the central 90% interval of a density on the unit scale."""
    cumulative = np.cumsum(density) / density.sum()
    return float(u[np.searchsorted(cumulative, 0.95)] - u[np.searchsorted(cumulative, 0.05)])


# ---------------------------------------------------------------------------------------------
# Words and numbers


def fmt(value) -> str:
    """About three significant digits, without exponents for ordinary sizes."""
    if value is None or not math.isfinite(value):
        return "n/a" if value is None or math.isnan(value) else ("inf" if value > 0 else "-inf")
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size != 0 and size < 0.001:
        return f"{value:.2e}"
    return f"{value:.3g}"


def interval(low, high) -> str:
    return "n/a" if not (math.isfinite(low) and math.isfinite(high)) else f"{fmt(low)} to {fmt(high)}"


def join(words, separator=", ") -> str:
    """a, b and c (or with another separator between clauses that hold commas themselves)."""
    words = list(words)
    if len(words) <= 2:
        return " and ".join(words)
    return separator.join(words[:-1]) + separator.rstrip() + " and " + words[-1]


def plural(n, word) -> str:
    return f"{n} {word if n == 1 else word + 's'}"


def ordinal(n) -> str:
    return {1: "largest", 2: "second largest", 3: "third largest"}.get(n, f"{n}th largest")


def target_label(fit: Fit, k) -> str:
    return fit.ids[k] + (" (held out)" if fit.held_out[k] else "")


def tolerance_text(fit: Fit, k) -> str:
    return interval(fit.tolerance_low[k], fit.tolerance_high[k]) if fit.has_tolerance(k) else "-"


def verdict(fit: Fit, k, i) -> str:
    if fit.has_tolerance(k):
        return "inside" if fit.meets(k, i) else "outside"
    return f"within cutoff {fmt(fit.cutoff)}" if fit.meets(k, i) else f"beyond cutoff {fmt(fit.cutoff)}"


def wave_name(fit: Fit, w) -> str:
    return "history matching" if w <= fit.waves else "posterior"


# ---------------------------------------------------------------------------------------------
# Sections


def agents_text(fit: Fit) -> str:
    """The cohorts' sizes: one figure, or the range over the target scenarios."""
    low, high = min(fit.scenario_agents), max(fit.scenario_agents)
    return f"{low:,} agents" if low == high else f"{low:,} to {high:,} agents per scenario"


def meta_line(fit: Fit) -> str:
    parts = [fit.path, f"calibration file {fit.calibration_file}",
             f"{fit.waves} history-matching + {fit.posterior_waves} posterior waves",
             f"{len(fit.wave):,} sets evaluated", f"{fit.replicates} replicates each", agents_text(fit),
             f"cutoff {fmt(fit.cutoff)} on the {ordinal(fit.rank)} implausibility",
             f"posterior effective sample size {fmt(fit.ess)}", f"seed {fit.seed}"]
    return " &middot; ".join(html.escape(p) for p in parts)


def percent(share: float) -> str:
    return "less than 0.1%" if share < 0.001 else f"{100 * share:.3g}%"


def posterior_miss(fit: Fit) -> str:
    """The fitted target the posterior misses most (by the posterior median of its implausibility)."""
    medians = {k: fit.posterior_quantiles(fit.implausibility[:, k], (0.5,))[0] for k in fit.fitted}
    k = max(medians, key=lambda k: np.nan_to_num(medians[k], nan=-1.0))
    return (f"it misses <strong>{html.escape(fit.ids[k])}</strong> most (posterior median of its implausibility "
            f"{fmt(medians[k])})")


def conclusion(fit: Fit, misses: list) -> str:
    """The findings in plain words: the best set's fit, the held-out targets, the survivors."""
    i = fit.shown
    out = []
    survivors = int(fit.not_ruled_out.sum())
    where = f"evaluation {i}, in {wave_name(fit, fit.wave[i]).replace(' ', '-')} wave {fit.wave[i]}"
    shown = (f"{html.escape(where)}, {ordinal(fit.rank)} implausibility {fmt(fit.max_implausibility[i])}")
    if fit.best < 0 and survivors == 0:
        out.append(f'<p class="alert">No parameter set survives: all {len(fit.wave):,} sets evaluated have their '
                   f"{ordinal(fit.rank)} implausibility over the fitted targets above the cutoff {fmt(fit.cutoff)}. "
                   f"The figures shown for a set are those of the least implausible one ({shown}): it is not a "
                   "fit.</p>")
    elif fit.best < 0:
        share = float(fit.weight[fit.not_ruled_out].sum())
        out.append(f'<p class="alert">No set of the posterior survives: every set the posterior resampled has its '
                   f"{ordinal(fit.rank)} implausibility above the cutoff {fmt(fit.cutoff)}, so there is no best set. "
                   f"{plural(survivors, 'set')} of the {len(fit.wave):,} evaluated {'is' if survivors == 1 else 'are'} "
                   f"not ruled out, but the likelihood puts {percent(share)} of the posterior weight on them: the "
                   f"posterior lies where {posterior_miss(fit)}. The figures shown for a set are those of the least "
                   f"implausible one ({shown}), which is not part of the posterior.</p>")
    else:
        out.append(f"<p>{plural(survivors, 'set')} of {len(fit.wave):,} evaluated {'is' if survivors == 1 else 'are'} "
                   f"not ruled out. The best set ({html.escape(where)}) is the one of highest likelihood among the "
                   f"posterior's sets not ruled out; its {ordinal(fit.rank)} implausibility is "
                   f"{fmt(fit.max_implausibility[i])}.</p>")
    fitted = fit.fitted
    met = [k for k in fitted if fit.meets(k, i)]
    missed = [k for k in fitted if not fit.meets(k, i)]
    count = f"all {len(fitted)}" if len(met) == len(fitted) > 1 else f"{len(met)} of the {len(fitted)}"
    sentence = (f"The {fit.set_name} meets {count} {'fitted target' if len(fitted) == 1 else 'fitted targets'} (inside "
                "its tolerance, or within the implausibility cutoff where a target has no tolerance)")
    if missed:
        sentence += "; it misses " + join(
            f"<strong>{html.escape(fit.ids[k])}</strong> ({fmt(fit.mean[i, k])} against {fmt(fit.observed[k])}"
            + (f", tolerance {tolerance_text(fit, k)}" if fit.has_tolerance(k)
               else f", implausibility {fmt(fit.implausibility[i, k])}") + ")" for k in missed)
    out.append(f"<p>{sentence}.</p>")
    held = [k for k in range(len(fit.ids)) if fit.held_out[k]]
    if held:
        words = []
        for k in held:
            low, high = fit.posterior_quantiles(fit.mean[:, k], (0.05, 0.95))
            covered = "inside" if low <= fit.observed[k] <= high else "outside"
            words.append(f"{html.escape(fit.ids[k])} is {'met' if fit.meets(k, i) else 'missed'} by the {fit.set_name} "
                         f"({fmt(fit.mean[i, k])} against {fmt(fit.observed[k])}) and its observed value lies "
                         f"{covered} the posterior predictive 90% interval ({interval(low, high)})")
        lead = "The held-out target" if len(held) == 1 else f"Of the {len(held)} held-out targets"
        out.append(f"<p>{lead} (not used in the fit, so a check of it): {'; '.join(words)}.</p>")
    if misses:
        out.append(f"<p>{plural(len(misses), 'target')} no parameter set evaluated meets: "
                   f"{join('<strong>' + html.escape(fit.ids[k]) + '</strong>' for k in misses)}. "
                   + ("A fitted target no set can meet still pulls the posterior towards it, at the cost of the "
                      "others; " if any(not fit.held_out[k] for k in misses) else "")
                   + 'see <a href="#misses">below</a> for what stands against it.</p>')
    if fit.ess <= 0:
        out.append('<p class="warning">Every importance weight is 0: there is no posterior, and its intervals '
                   "are not shown.</p>")
    elif fit.ess < SMALL_ESS:
        out.append(f'<p class="warning">The posterior\'s effective sample size is only {fmt(fit.ess)}: its intervals '
                   "and histograms rest on a few sets and are rough. More posterior waves or points per wave would "
                   "steady them.</p>")
    return '<div class="conclusion">' + "\n".join(out) + "</div>"


def fit_tables(fit: Fit) -> str:
    """The fit of each target at the best set and over the posterior, fitted and held out apart."""
    i = fit.shown
    described = any(fit.descriptions)  # the column only when the calibration file describes a target
    headers = ["target"] + (["description"] if described else []) + [
        "observed (as cited)", "sd: observation, discrepancy", "tolerance", fit.set_name, "posterior predictive 90%",
        "implausibility", f"at the {fit.set_name}"]

    def rows(ks):
        out, classes = [], []
        for k in ks:
            low, high = fit.posterior_quantiles(fit.mean[:, k], (0.05, 0.95))
            out.append([target_label(fit, k)] + ([fit.descriptions[k] or "-"] if described else []) + [
                fit.cited[k], (f"{fmt(fit.observation_sd[k])}, {fmt(fit.discrepancy_sd[k])}", True),
                (tolerance_text(fit, k), True), (fmt(fit.mean[i, k]), True), (interval(low, high), True),
                (fmt(fit.implausibility[i, k]), True), verdict(fit, k, i)])
            classes.append(" ".join(c for c, on in (("heldout", fit.held_out[k]), ("miss", not fit.meets(k, i))) if on))
        return table(headers, out, classes)

    held = [k for k in range(len(fit.ids)) if fit.held_out[k]]
    parts = ["<h2>Fit to the targets</h2>", "<h3>Fitted targets</h3>", rows(fit.fitted)]
    if held:
        parts += ["<h3>Held-out targets</h3>",
                  "<p class=\"note\">Not used in the fit: their implausibility is shown but rules out no set.</p>",
                  rows(held)]
    parts.append(f'<p class="note">The posterior predictive 90% interval is the 5th to 95th weighted percentile of '
                 f"the model's mean of the target (over {fit.replicates} replicates) across the posterior; it leaves "
                 "out the noise of a single replicate and of the observation. A row is shaded when the "
                 f"{fit.set_name} misses the target.</p>")
    return "\n".join(parts)


def parameter_table(fit: Fit) -> str:
    i = fit.shown
    rows = []
    for p, path in enumerate(fit.paths):
        low, median, high = fit.posterior_quantiles(fit.values[:, p], (0.05, 0.5, 0.95))
        ulow, uhigh = fit.posterior_quantiles(fit.unit[:, p], (0.05, 0.95))
        prior = prior_on_unit(fit, p)
        narrower = "n/a"
        if prior is not None and math.isfinite(ulow):
            prior_width = unit_interval_width(*prior)
            if prior_width > 0:
                percent = 100 * (1 - (uhigh - ulow) / prior_width)
                narrower = ">99%" if percent > 99 else f"{percent:.0f}%"
        rows.append([path, fit.scales[p], fit.priors[p], (interval(fit.low[p], fit.high[p]), True),
                     (fmt(fit.values[i, p]), True), (f"{fmt(median)} [{interval(low, high)}]", True),
                     (narrower, True)])
    return "\n".join([
        "<h2>Parameters</h2>",
        table(["parameter", "scale", "prior", "bounds", fit.set_name,
               "posterior median [90%]", "posterior 90% interval narrower than the prior's"], rows),
        '<p class="note">Posterior figures are weighted percentiles over the evaluations. How much narrower: one '
        "minus the ratio of the posterior's to the prior's 90% interval width, both on the unit scale (the bounds, "
        "on the parameter's scale, mapped to [0, 1]); near 0% the targets say little about the parameter, a "
        "negative value is a posterior wider than its prior.</p>"])


def figure_html(png: bytes, caption: str, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
            f"<figcaption>{caption}</figcaption></figure>")


def png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()


def wrapped(path: str, width: int = 34) -> str:
    """A parameter path on lines of at most about `width` characters, broken after its dots."""
    return "\n".join(textwrap.wrap(path.replace(".", ". "), width)).replace(". ", ".")


def label_log_axis(axis) -> None:
    """Ticks at 1, 2 and 5 times powers of ten, written as plain numbers: a log axis spanning less
    than a decade would otherwise show a single label."""
    axis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1, 2, 5)))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: fmt(v)))
    axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def label_logit_axis(axis, low, high) -> None:
    """Ticks at round shares within the bounds, written as plain numbers rather than 1 - 10^-k."""
    shares = [0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]
    axis.set_major_locator(matplotlib.ticker.FixedLocator([v for v in shares if low <= v <= high]))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: fmt(v)))
    axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def targets_figure(fit: Fit) -> bytes:
    """A row per target, each on its own axis: the observed value above, the model below."""
    K, i = len(fit.ids), fit.shown
    fig, axes = plt.subplots(K, 1, figsize=(10, 0.85 * K + 0.8), squeeze=False)
    for k, ax in enumerate(axes[:, 0]):
        obs, sd = fit.observed[k], fit.total_sd(k)
        low, high = fit.posterior_quantiles(fit.mean[:, k], (0.05, 0.95))
        if fit.has_tolerance(k):
            ax.axvspan(fit.tolerance_low[k], fit.tolerance_high[k], color="#2ca02c", alpha=0.15, lw=0,
                       label="tolerance band")
        ax.fill_between([obs - 2 * sd, obs + 2 * sd], 0.55, 0.85, color="#1f77b4", alpha=0.3, lw=0,
                        label="observed ± 2 sd (observation and discrepancy)")
        ax.plot([obs, obs], [0.5, 0.9], color="#1f3f73", lw=2.2, label="observed")
        if math.isfinite(low):
            # End marks keep an interval of no width (a posterior of one set) in sight.
            ax.plot([low, high], [0.3, 0.3], color="#ff7f0e", lw=5, solid_capstyle="butt", marker="|", ms=14,
                    mew=2.5, label="posterior predictive 90%")
        ax.plot([fit.mean[i, k]], [0.3], "D", color="#d62728", ms=7,
                label=fit.set_name)
        span = [v for v in (obs - 2 * sd, obs + 2 * sd, low, high, fit.mean[i, k], fit.tolerance_low[k],
                            fit.tolerance_high[k]) if math.isfinite(v)]
        pad = 0.06 * (max(span) - min(span)) or 0.05 * (abs(obs) or 1.0)
        ax.set_xlim(min(span) - pad, max(span) + pad)
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        ax.set_ylabel(target_label(fit, k).replace(" (", "\n("), rotation=0, ha="right", va="center", fontsize=9,
                      color="#666" if fit.held_out[k] else "#222")
        ax.tick_params(axis="x", labelsize=8)
    entries = {}  # the legend of every row: a target without a tolerance band lacks that entry
    for ax in axes[:, 0]:
        handles, labels = ax.get_legend_handles_labels()
        entries.update(zip(labels, handles))
    labels = [label for label in ("observed", "observed ± 2 sd (observation and discrepancy)", "tolerance band",
                                  "posterior predictive 90%", fit.set_name) if label in entries]
    handles = [entries[label] for label in labels]
    fig.legend(handles, labels, loc="upper center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / (0.85 * K + 0.8)), h_pad=0.6)
    return png(fig)


def posterior_figure(fit: Fit) -> bytes:
    """A histogram per parameter of the resampled posterior over its bounds, on its scale."""
    P, i = len(fit.paths), fit.shown
    columns = min(P, 3)
    rows = math.ceil(P / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns + 0.4, 2.9 * rows + 0.2), squeeze=False)
    bins = 20
    for p, ax in enumerate(axes.ravel()):
        if p >= P:
            ax.set_visible(False)
            continue
        scale = fit.scales[p]
        low, high = forward(scale, fit.low[p]), forward(scale, fit.high[p])
        edges = backward(scale, np.linspace(low, high, bins + 1))
        samples = fit.posterior_values[:, p]
        if len(samples):
            ax.hist(samples, bins=edges, color="#3a6ea5", alpha=0.75, label="posterior samples")
        else:
            ax.text(0.5, 0.5, "no posterior", transform=ax.transAxes, ha="center", color="#888")
        prior = prior_on_unit(fit, p)
        if prior is not None and len(samples):
            u, density = prior
            per_bin = density.reshape(bins, -1).mean(axis=1) * len(samples) / bins
            ax.stairs(per_bin, edges, baseline=None, color="#555", ls="--", label="prior (expected count)")
        ax.axvline(fit.values[i, p], color="#d62728", lw=2,
                   label=fit.set_name)
        if scale == "log":
            ax.set_xscale("log")
            label_log_axis(ax.xaxis)
        elif scale == "logit":
            ax.set_xscale("logit")
            label_logit_axis(ax.xaxis, fit.low[p], fit.high[p])
        ax.set_xlim(fit.low[p], fit.high[p])
        ax.set_title(wrapped(fit.paths[p]), fontsize=8.5)
        ax.set_ylabel("samples", fontsize=8)
        ax.tick_params(labelsize=7.5)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (2.9 * rows + 0.2)))
    return png(fig)


def correlation_text(value: float) -> str:
    """+0.42, -0.42, or 0.00 for what rounds to no correlation either way."""
    if math.isnan(value):
        return "n/a"
    text = f"{value:+.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text


def sensitivity_figure(fit: Fit, rho: np.ndarray) -> bytes:
    P, K = rho.shape
    fig, ax = plt.subplots(figsize=(3.6 + 1.0 * K, 1.4 + 0.55 * P))
    image = ax.imshow(np.nan_to_num(rho), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    for p in range(P):
        for k in range(K):
            value = rho[p, k]
            ax.text(k, p, correlation_text(value), ha="center", va="center", fontsize=8.5,
                    color="white" if abs(np.nan_to_num(value)) > 0.6 else "#222")
    ax.set_xticks(range(K), [target_label(fit, k).replace(" (", "\n(") for k in range(K)], fontsize=8.5,
                  rotation=30 if K > 6 else 0, ha="right" if K > 6 else "center")
    ax.set_yticks(range(P), [wrapped(path, 40) for path in fit.paths], fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02).set_label("Spearman rank correlation", fontsize=8)
    fig.tight_layout()
    return png(fig)


def implausibility_figure(fit: Fit) -> bytes:
    """Each set's implausibility by wave (jittered), the cutoff and the sets not ruled out."""
    waves = np.unique(fit.wave)
    values = fit.max_implausibility.astype(float)
    finite = values[np.isfinite(values)]
    floor = max(min(finite.min() if len(finite) else 1.0, fit.cutoff) / 2, 1e-3)
    ceiling = max(finite.max() if len(finite) else 1.0, fit.cutoff) * 2
    shown = np.clip(np.where(np.isfinite(values), values, ceiling), floor, ceiling)
    jitter = np.random.default_rng(0).uniform(-0.28, 0.28, len(values))
    fig, ax = plt.subplots(figsize=(max(6.5, 1.2 * len(waves) + 3.5), 4.2), layout="constrained")
    legend = []
    for kept, colour, label in ((False, "#999999", "ruled out"), (True, "#2ca02c", "not ruled out")):
        chosen = fit.not_ruled_out == kept
        ax.scatter(fit.wave[chosen] + jitter[chosen], shown[chosen], s=9, color=colour, alpha=0.6, lw=0)
        legend.append(matplotlib.lines.Line2D([], [], ls="", marker="o", ms=5, color=colour, label=label))
    ax.scatter([fit.wave[fit.shown]], [shown[fit.shown]], marker="*", s=160, color="#d62728", zorder=3)
    legend.append(matplotlib.lines.Line2D([], [], ls="", marker="*", ms=11, color="#d62728", label=fit.set_name))
    legend.append(ax.axhline(fit.cutoff, color="#d62728", ls="--", lw=1.2, label=f"cutoff {fmt(fit.cutoff)}"))
    ax.set_yscale("log")
    label_log_axis(ax.yaxis)
    ax.set_ylim(floor, ceiling * 2.2)
    for w in waves:
        in_wave = fit.wave == w
        ax.text(w, ceiling * 1.35, f"{int(fit.not_ruled_out[in_wave].sum())} of {int(in_wave.sum())}", ha="center",
                fontsize=8, color="#2a6e2a")
    ax.set_xticks(waves, [f"{w}\n{wave_name(fit, w)}" for w in waves], fontsize=8)
    ax.set_xlabel("wave (the figures at the top: sets not ruled out)", fontsize=9)
    ax.set_ylabel(f"{ordinal(fit.rank)} implausibility\nover the fitted targets", fontsize=9)
    ax.legend(handles=legend, fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return png(fig)


def figures_section(fit: Fit, rho: np.ndarray) -> str:
    first = int((fit.wave == 1).sum())
    name = fit.set_name
    return "\n".join([
        "<h2>Figures</h2>",
        figure_html(targets_figure(fit),
                    f"<strong>The targets against the model.</strong> One row per target, each on its own axis. "
                    f"Above: the observed value (dark line) with &plusmn;2 sd of observation and discrepancy (blue); "
                    f"green: the tolerance band where the target has one. Below: the posterior predictive 90% "
                    f"interval of the model's mean (orange) and the {name} (red diamond). Read whether the orange bar "
                    "overlaps the blue band, and where the red diamond falls against the green band.",
                    "targets against the posterior predictive intervals"),
        figure_html(posterior_figure(fit),
                    "<strong>The marginal posteriors.</strong> The resampled posterior sets of each parameter over "
                    "its bounds (bins of equal width on the parameter's scale: logarithmic for log-scale "
                    f"parameters), the prior's expected count per bin (dashed) and the {name} (red). A posterior as "
                    "flat as the prior: the targets do not inform the parameter; piled against a bound: the fit "
                    "wants a value beyond it.",
                    "marginal posterior histograms"),
        figure_html(sensitivity_figure(fit, rho),
                    f"<strong>What moves what.</strong> Spearman rank correlation of each parameter with each "
                    f"target's model mean over the {first} sets of wave 1 (the space-filling design). Red: raising "
                    "the parameter raises the target; blue: lowers it. A parameter with strong colours of opposite "
                    "need in two targets' columns trades one against the other.",
                    "parameter-target rank correlations"),
        figure_html(implausibility_figure(fit),
                    f"<strong>Implausibility by wave.</strong> Each set evaluated (jittered sideways), at its "
                    f"{ordinal(fit.rank)} implausibility over the fitted targets (log scale; infinite values at the "
                    "top). Sets under the dashed cutoff are not ruled out (green); the figures at the top count them "
                    "per wave. History-matching waves should move the cloud down towards the cutoff; posterior "
                    "waves gather around the most likely sets.",
                    "implausibility by wave"),
    ])


def misses_section(fit: Fit, misses: list, rho: np.ndarray) -> str:
    """For each target no set meets: the direction of the miss and the parameters that pull against it."""
    parts = ['<h2 id="misses">Targets no parameter set meets</h2>']
    if not misses:
        parts.append("<p>Every target is met by some set evaluated (not necessarily the same set): inside its "
                     "tolerance, or within the implausibility cutoff where it has none.</p>")
        return "\n".join(parts)
    parts.append(f'<p class="note">A target is listed when no set of the {len(fit.wave):,} evaluated has its mean '
                 "inside the target's tolerance (or, without one, its implausibility within the cutoff). The "
                 f"parameters named are those whose rank correlation with it over wave 1 reaches {LEVER} "
                 "(the heat map above).</p>")
    items = [f"<li>{miss_sentences(fit, k, rho)}</li>" for k in misses]
    parts.append('<ul class="misses">' + "\n".join(items) + "</ul>")
    return "\n".join(parts)


def miss_sentences(fit: Fit, k: int, rho: np.ndarray) -> str:
    """Which way the model misses target k, the moves that would bring it nearer and what they cost."""
    means = fit.mean[:, k][np.isfinite(fit.mean[:, k])]
    observed, i = fit.observed[k], fit.shown
    name = html.escape(fit.ids[k])
    out = [f"<strong>{name}</strong>{' (held out)' if fit.held_out[k] else ''}, observed {fmt(observed)}"
           + (f", tolerance {tolerance_text(fit, k)}" if fit.has_tolerance(k) else "") + ": "]
    if not len(means):
        out.append("no set gives the quantity at all (the model's mean is NaN in every set).")
        return "".join(out)
    if means.min() > observed:
        out.append(f"every set gives more (at least {fmt(means.min())}).")
        need = -1
    elif means.max() < observed:
        out.append(f"every set gives less (at most {fmt(means.max())}).")
        need = +1
    else:
        out.append(f"sets fall on both sides ({fmt(means.min())} to {fmt(means.max())}) but none close enough; the "
                   f"{fit.set_name} gives {fmt(fit.mean[i, k])}.")
        need = +1 if fit.mean[i, k] < observed else -1
    levers = [p for p in range(len(fit.paths)) if abs(np.nan_to_num(rho[p, k])) >= LEVER]
    if not levers:
        strongest = int(np.argmax(np.abs(np.nan_to_num(rho[:, k]))))
        out.append(f" No parameter calibrated moves it much (the strongest, {html.escape(fit.paths[strongest])}, "
                   f"has a rank correlation of {fmt(rho[strongest, k])}): add a parameter that acts on it, or check "
                   "how the target is measured and cited.")
        return "".join(out)
    stood_against = False
    for p in levers:
        move = int(np.sign(rho[p, k])) * need  # +1: raise the parameter
        sentence = (f" {'Raising' if move > 0 else 'Lowering'} <code>{html.escape(fit.paths[p])}</code> would "
                    f"{'raise' if need > 0 else 'lower'} it (&rho; = {rho[p, k]:+.2f})")
        # Where the fit holds the parameter: the posterior's median, or without a posterior the set shown.
        median = fit.posterior_quantiles(fit.unit[:, p], (0.5,))[0]
        place, where = (median, "the posterior") if math.isfinite(median) else (fit.unit[i, p], f"the {fit.set_name}")
        if (place if move > 0 else 1 - place) > 0.9:
            sentence += (f"; {where} already sits near its {'upper' if move > 0 else 'lower'} bound "
                         f"{fmt(fit.high[p] if move > 0 else fit.low[p])}, so only a wider bound, if the evidence "
                         "allows one, could take it further")
        conflicts = conflicting_targets(fit, k, p, move, rho)
        stood_against = stood_against or bool(conflicts)
        out.append(sentence + (". The same move " + join(conflicts, "; ") + "." if conflicts
                               else "; no fitted target stands against that move."))
    if stood_against and not fit.held_out[k]:
        out.append(" While it stays in the fit it pulls the posterior towards it at those targets' cost: if the "
                   "conflict is in the model's structure, hold it out (<code>held_out: true</code>) and refit, or "
                   "revisit the mechanism behind it; if in the data, check the observed value and its uncertainty.")
    elif not stood_against:
        out.append(" Nothing the calibration fits stands against it: more waves, more points per wave or wider "
                   "bounds should find sets that meet it.")
    return "".join(out)


def conflicting_targets(fit: Fit, k: int, p: int, move: int, rho: np.ndarray) -> list:
    """The fitted targets that moving parameter p in direction `move` pushes away from their
    observed values: those the set shown meets, which a large enough move takes out of their band,
    and those it misses on the side the move goes."""
    i, out = fit.shown, []
    for j in fit.fitted:
        if j == k or abs(np.nan_to_num(rho[p, j])) < LEVER:
            continue
        effect = int(np.sign(rho[p, j])) * move  # +1: the move raises target j
        residual = fit.mean[i, j] - fit.observed[j]
        named = f"<strong>{html.escape(fit.ids[j])}</strong> (&rho; = {rho[p, j]:+.2f})"
        if fit.meets(j, i):
            low, high = fit.band(j)
            out.append(f"{'raises' if effect > 0 else 'lowers'} {named}, met at {fmt(fit.mean[i, j])}, until it leaves "
                       f"its band {'above ' + fmt(high) if effect > 0 else 'below ' + fmt(low)}")
        elif effect * residual > 0:
            out.append(f"{'raises' if effect > 0 else 'lowers'} {named} further {'above' if residual > 0 else 'below'} "
                       f"its observed {fmt(fit.observed[j])} (now {fmt(fit.mean[i, j])})")
    return out


TERMS = [
    ("implausibility", "How far the model misses a target, in standard deviations: |observed - model mean| / "
     "sqrt(observation variance + discrepancy variance + the model's variance of its mean over the replicates). "
     "A set is judged on the largest implausibility over the fitted targets (or the second or third largest, by "
     "method.implausibility_rank, so that one badly fitting target alone cannot rule it out)."),
    ("not ruled out", "A parameter set whose (ranked) implausibility is at or below the cutoff (3 by default): the "
     "model at that set could have produced the observations. History matching keeps these and looks around them "
     "in the next wave."),
    ("tolerance", "The band a target gives for an acceptable model value; unless the target states its "
     "discrepancy, the band also sets it (a quarter of its width as sd, so the band is about &plusmn;2 sd)."),
    ("discrepancy", "The difference allowed between the model and the world even at the right parameters (the "
     "model is simpler than the world), stated as a standard deviation and added to the observation's."),
    ("posterior", "The parameter sets weighted by prior &times; likelihood over the density the waves drew them "
     "from (importance weights); /posterior holds a resample of them. Posterior percentiles here are weighted "
     "percentiles over the evaluations."),
    ("posterior predictive interval", "The 5th to 95th weighted percentile of the model's mean of a target over "
     "the posterior: where the fitted model puts the target. It does not add the noise of a single replicate or "
     "of the observation."),
    ("effective sample size", "Kish's 1 / sum of the squared normalised weights: how many equally weighted sets "
     "the posterior is worth. Small values mean a few sets carry it."),
    ("held out", "A target kept out of the fit (held_out: true): it rules out no set and adds nothing to the "
     "likelihood, so how well the fit reproduces it is a check of the fit."),
    ("best set", "Of the posterior's sets not ruled out, the one of highest likelihood. When the posterior holds "
     "no such set, the page shows the least implausible set evaluated instead, which is not a fit."),
    ("rank correlation", "Spearman's correlation of the ranks (ties given their mean rank) of a parameter and a "
     "target's model mean over the first wave's sets: a space-filling design over the whole prior box."),
    ("history matching, posterior waves", "The first waves rule out implausible regions and sample the rest; the "
     "posterior waves (population Monte Carlo) sample around the weighted posterior so far."),
]


def terms_section() -> str:
    items = "".join(f"<dt>{html.escape(t)}</dt><dd>{d}</dd>" for t, d in TERMS)
    return f'<h2>Terms</h2>\n<dl class="terms">{items}</dl>'


def render(fit: Fit) -> str:
    rho = fit.sensitivity()
    misses = [k for k in range(len(fit.ids)) if not fit.met_by_any(k)]
    title = f"Calibration: {fit.name}"
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{meta_line(fit)}</p>',
        conclusion(fit, misses),
        fit_tables(fit),
        parameter_table(fit),
        figures_section(fit, rho),
        misses_section(fit, misses, rho),
        "<h2>Calibration file</h2>",
        f"<p class=\"note\">{html.escape(fit.calibration_file)}, as stored in the fit.</p>",
        f"<pre>{html.escape(fit.calibration)}</pre>",
        terms_section(),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n"
            f"<style>{STYLE}{EXTRA_STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def write_atomically(path: pathlib.Path, page: str) -> None:
    """Never a half-written page under the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page)
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    except BaseException:
        pathlib.Path(partial).unlink(missing_ok=True)
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="calibration written by `recoverysim calibrate` (fit.h5)")
    parser.add_argument("-o", "--output", required=True, metavar="HTML", help="report file to write")
    args = parser.parse_args()
    try:
        page = render(Fit(args.file))
    except FitError as error:
        fail(args.file, error)
    try:
        write_atomically(pathlib.Path(args.output), page)
    except OSError as error:
        fail(args.output, f"cannot write the report ({error.strerror})")
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
