#!/usr/bin/python3
"""scripts/report.py's page in a real headless Chromium at a 1366-px window:

- no JavaScript exception or console error while it loads and while its controls are used;
- nothing wider than the window (document.documentElement.scrollWidth <= 1366);
- the willingness-to-pay control changes the recommended arm where it must: at 0 the cheapest
  arm that meets the requirements (usual care, which costs nothing more), at a willingness to pay
  far above every ratio the most effective one, both read from the file independently of the page;
- a wait limit the page is given is honoured: the arm recommended meets it in enough replicates;
- unticking the recommended arm moves the recommendation to another arm.

Screenshots of the page at each step are kept in WORK_DIR.

Usage: test_report_browser.py RESULTS.h5 WORK_DIR
"""
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from browser import Browser  # noqa: E402

REPORT = pathlib.Path(__file__).resolve().parent.parent.parent / "scripts" / "report.py"
WIDTH = 1366
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {detail}"))
    if not ok:
        failures.append(what)


def expected(path):
    """The cheapest and the most effective arm, from /decision/replicates."""
    with h5py.File(path, "r") as f:
        g = f["decision/replicates"]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in g["effect"].attrs["labels"]]
        cost = g["incremental_cost"][...].mean(axis=1)
        effect = g["effect"][...].mean(axis=1)
        wait_limit_met = {}
        for name in names:
            outcomes = f[f"arms/{name}/outcomes"]
            waits = [outcomes[k][...] for k in outcomes if k.endswith(".wait_p90_days")]
            worst = np.max(np.where(np.isnan(waits), np.inf, waits), axis=0) if waits else None
            wait_limit_met[name] = worst
    best = int(np.argmax(effect))
    # Ten times the largest ratio against the most effective arm: above it, that arm's net benefit is the highest.
    ratios = [(cost[best] - cost[a]) / (effect[best] - effect[a]) for a in range(len(names)) if effect[a] < effect[best]]
    return names[int(np.argmin(cost))], names[best], 10.0 * max([1.0] + ratios), wait_limit_met


def main():
    source, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cheapest, most_effective, huge, waits = expected(source)
    if cheapest == most_effective:
        sys.exit(f"FAIL: {source}: the cheapest arm is also the most effective; the test needs a file where they differ")
    page_file = work / "report.html"
    limit = 30.0
    p = subprocess.run([sys.executable, str(REPORT), str(source), "-o", str(page_file), "--wtp", "0",
                        "--max-wait-days", str(limit)], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        sys.exit(f"FAIL: report.py: exit {p.returncode}\n{p.stderr}")

    with Browser(width=WIDTH, height=900) as page:
        page.open(page_file)
        page.screenshot(work / "1_loaded.png")
        width = page.evaluate("document.documentElement.scrollWidth")
        check(f"the page fits a {WIDTH}-px window", width <= WIDTH, f"scrollWidth {width}")
        arm_of = "D.arms.find((a) => a.label === document.getElementById('recommended-arm').textContent).name"
        at_zero = page.evaluate(arm_of)
        check(f"at a willingness to pay of 0 the page recommends the cheapest arm ({cheapest})", at_zero == cheapest,
              f"recommended {at_zero}")

        # A willingness to pay far above every ratio, without the wait limit: the most effective arm.
        page.evaluate("{ document.getElementById('max-wait').value = '';"
                      f"const w = document.getElementById('wtp'); w.value = '{huge:.0f}';"
                      "w.dispatchEvent(new Event('input')); }")
        page.screenshot(work / "2_high_wtp.png")
        at_huge = page.evaluate(arm_of)
        check(f"at a willingness to pay of {huge:.3g} the page recommends the most effective arm ({most_effective})",
              at_huge == most_effective, f"recommended {at_huge}")
        check("the willingness-to-pay control changed the recommendation", at_zero != at_huge)

        # The wait limit back: the recommendation meets it in at least 80% of replicates.
        page.evaluate(f"{{ const m = document.getElementById('max-wait'); m.value = '{limit}';"
                      "m.dispatchEvent(new Event('input')); }")
        limited = page.evaluate(arm_of)
        worst = waits[limited]
        share = 1.0 if worst is None else float(np.mean(worst <= limit))
        check(f"with a wait limit of {limit:g} days the recommendation ({limited}) meets it in at least 80% of "
              "replicates", share >= 0.8, f"{share:.2f}")
        page.screenshot(work / "3_wait_limit.png")

        # Unticking the recommended arm moves the recommendation.
        page.evaluate(f"{{ const c = [...document.querySelectorAll('.arm-choice')].find((c) => c.value === '{limited}');"
                      "c.checked = false; c.dispatchEvent(new Event('change')); }")
        after = page.evaluate("document.getElementById('recommended-arm') ? " + arm_of + " : null")
        check("unticking the recommended arm moves the recommendation", after != limited, f"still {after}")
        page.screenshot(work / "4_unticked.png")
        width = page.evaluate("document.documentElement.scrollWidth")
        check(f"the page still fits {WIDTH} px after the changes", width <= WIDTH, f"scrollWidth {width}")
        check("no JavaScript error", not page.errors, "\n  ".join(page.errors))
    print(f"screenshots in {work}")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
