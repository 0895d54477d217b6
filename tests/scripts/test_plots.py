#!/usr/bin/python3
"""scripts/plot_results.py and scripts/report.py on a results file: every expected figure is
written and decodes, the HTML report is self-contained, names every arm and embeds decodable
figures; files that are not results files with summaries are refused with exit code 2.

Usage: test_plots.py RESULTS.h5 WORK_DIR
"""
import base64
import html
import io
import pathlib
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

import matplotlib
matplotlib.use("Agg")
import matplotlib.image  # noqa: E402

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent.parent / "scripts"
PLOT, REPORT = SCRIPTS / "plot_results.py", SCRIPTS / "report.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    results["passed" if condition else "failed"] += 1
    if not condition:
        print(f"FAIL {name}: {detail}")
    return condition


def run(script, *args):
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def png_problem(data: bytes):
    """None if `data` is a PNG that decodes to an image larger than 100 x 100 pixels, else why not."""
    if not data:
        return "empty"
    if not data.startswith(PNG_SIGNATURE):
        return "no PNG signature"
    try:
        image = matplotlib.image.imread(io.BytesIO(data), format="png")
    except Exception as error:  # any decoding failure is a test failure
        return f"does not decode ({error})"
    if image.ndim < 2 or image.shape[0] <= 100 or image.shape[1] <= 100:
        return f"decodes to shape {image.shape}"
    return None


def text(value):
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode()
    return str(value)


def expected_figures(path):
    """The figures the file supports, and its arm names, read independently of the scripts."""
    with h5py.File(path, "r") as f:
        arms = list(f["arms"])
        figures = [f"{c}.png" for c in ("relapse", "lapse", "retention")
                   if any(f"summary/curves/{c}" in f["arms"][a] for a in arms)]
        if any(f["arms"][a]["summary/by_admission_period/quantities"].shape[0] >= 2
               for a in arms if "summary/by_admission_period/quantities" in f["arms"][a]):
            figures.append("by_period.png")
        if any("daily/queue_length" in m for a in arms if "modules" in f["arms"][a] for m in f["arms"][a]["modules"].values()):
            figures.append("queue.png")
        if any(c.endswith(".wait") for a in arms if "summary/curves" in f["arms"][a] for c in f["arms"][a]["summary/curves"]):
            figures.append("wait.png")
        families = {}
        for a in arms:
            g = f["arms"][a]
            if "sweep_paths" in g.attrs:
                base = text(g.attrs["sweep_base"])
                families[base] = families.get(base, 0) + 1
        if any(n >= 2 for n in families.values()):
            figures.append("staffing_sweep.png")
        if "comparison" in f and len(arms) > 1:
            figures.append("ce_plane.png")
        if "decision/replicates" in f and len(arms) > 1:
            figures.append("acceptability.png")
    return figures, arms


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    if not source.is_file():
        sys.exit(f"{source}: no such results file")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    figures, arms = expected_figures(source)

    # Figures.
    plots = work / "plots"
    p = run(PLOT, source, "-o", plots)
    check("plot_results.py exit code", p.returncode == 0, f"exit {p.returncode}, stderr {p.stderr!r}")
    listed = [pathlib.Path(line) for line in p.stdout.splitlines() if line.strip()]
    check("plot_results.py prints the paths written", all(path.is_file() for path in listed) and listed,
          repr(p.stdout))
    for name in figures:
        path = plots / name
        if check(f"{name} written", path.is_file(), f"missing; written: {sorted(x.name for x in plots.glob('*'))}"):
            problem = png_problem(path.read_bytes())
            check(f"{name} is a readable image", problem is None, problem)
            check(f"{name} listed on stdout", path in listed, repr(p.stdout))

    # Report.
    report = work / "report.html"
    p = run(REPORT, source, "-o", report)
    check("report.py exit code", p.returncode == 0, f"exit {p.returncode}, stderr {p.stderr!r}")
    if check("report written", report.is_file()):
        page = report.read_text(encoding="utf-8")
        for arm in arms:
            check(f"report names arm {arm}", arm in page or html.escape(arm) in page)
        images = re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]*)', page)
        check("report embeds at least 4 images", len(images) >= max(4, len(figures)),
              f"{len(images)} embedded, {len(figures)} figures expected (the test needs a file with two or more arms)")
        for i, data in enumerate(images):
            try:
                problem = png_problem(base64.b64decode(data, validate=True))
            except ValueError as error:
                problem = f"bad base64 ({error})"
            check(f"embedded image {i + 1} is a readable image", problem is None, problem)
        external = re.findall(r'(?:src|href)\s*=\s*["\']?(?!data:|#)[^"\'\s>]+', page)
        check("report loads nothing from elsewhere", not external, repr(external[:3]))
        check("report has the resolved scenario", "<details>" in page)

    # Files that are not results files with summaries: exit code 2 and a one-line message.
    plain = work / "not_results.h5"
    with h5py.File(plain, "w") as f:
        f.create_dataset("x", data=np.arange(3.0))
    old = work / "no_summaries.h5"
    with h5py.File(old, "w") as f:
        f.attrs["format"] = "recoverysim"
        f.create_dataset("arms/usual_care/outcomes/deaths", data=np.zeros(2))
    newer = work / "newer.h5"
    shutil.copy(source, newer)
    with h5py.File(newer, "r+") as f:
        f.attrs["format_version"] = np.int64(99)
    not_hdf5 = work / "not_hdf5.h5"
    not_hdf5.write_text("not an HDF5 file\n")
    not_results = "not a recoverysim results file"
    for bad, expected in ((plain, not_results), (old, not_results), (not_hdf5, not_results),
                          (newer, "newer recoverysim (format_version 99)"),
                          (work / "does_not_exist.h5", "no such file")):
        for script, args in ((PLOT, ["-o", work / "bad_plots"]), (REPORT, ["-o", work / "bad.html"])):
            p = run(script, bad, *args)
            lines = p.stderr.strip().splitlines()
            check(f"{script.name} {bad.name}: exit code 2 and a one-line message",
                  p.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"{bad}: ") and expected in lines[0],
                  f"exit {p.returncode}, stderr {p.stderr!r}")
    check("refused files leave no output", not (work / "bad.html").exists() and not (work / "bad_plots").exists())

    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
