"""Results of the runs -> a table (mean/std per experiment) and ES against f with a logistic fit.

Logistic in f: ES(f) = lo + (hi - lo) / (1 + exp(-k (f - f0))), fitted with scipy's curve_fit to the
individual runs (not the means, so the spread counts). Needs at least 4 distinct f values and an ES
that varies, and reports no fit when the parameters come out undetermined; the plot then shows the
points only and says so.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from trainer.annotation.files import write_bytes_atomic

METRICS = ("iou", "f1", "es")


def logistic(f: np.ndarray, lo: float, hi: float, k: float, f0: float) -> np.ndarray:
    return lo + (hi - lo) / (1.0 + np.exp(-k * (f - f0)))


def fit_logistic(f: list[float], es: list[float]) -> dict | None:
    """Parameters {lo, hi, k, f0} or None when the data cannot support four parameters."""
    from scipy.optimize import curve_fit

    x = np.asarray(f, float)
    y = np.array([np.nan if v is None else v for v in es], float)
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(np.unique(x)) < 4 or np.ptp(y) < 1e-9:  # constant ES (e.g. all 0) fits any curve: no fit
        return None
    p0 = [y.min(), y.max(), 1.0, float(np.median(x))]
    try:
        params, cov = curve_fit(logistic, x, y, p0=p0, maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    if not np.isfinite(cov).all():  # parameters not determined by the data
        return None
    return dict(zip(("lo", "hi", "k", "f0"), (float(p) for p in params)))


def summarise(results: list[dict]) -> list[dict]:
    """One row per experiment (plan order): f, runs, mean and std of each metric."""
    rows: dict[str, dict] = {}
    for r in results:
        row = rows.setdefault(r["name"], {"name": r["name"], "f": r["f"], "runs": 0, **{m: [] for m in METRICS}})
        row["runs"] += 1
        for m in METRICS:
            if r.get(m) is not None:
                row[m].append(float(r[m]))
    out = []
    for row in rows.values():
        flat = {"name": row["name"], "f": round(row["f"], 4), "runs": row["runs"]}
        for m in METRICS:
            values = row[m]
            flat[f"{m}_mean"] = round(float(np.mean(values)), 4) if values else math.nan
            flat[f"{m}_std"] = round(float(np.std(values)), 4) if values else math.nan
        out.append(flat)
    return out


def write_table(rows: list[dict], out_dir: Path) -> None:
    """results_table.csv and results_table.md."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_bytes_atomic(out_dir / "results_table.csv", buf.getvalue().encode())
    lines = ["| experiment | f | runs | IoU | F1 | ES |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"{r[f'{m}_mean']:.3f} ± {r[f'{m}_std']:.3f}" for m in METRICS]
        lines.append(f"| {r['name']} | {r['f']:.2f} | {r['runs']} | " + " | ".join(cells) + " |")
    write_bytes_atomic(out_dir / "results_table.md", ("\n".join(lines) + "\n").encode())


def plot_es(results: list[dict], params: dict | None, path: Path) -> None:
    """ES of every run against f, means with std bars, and the fitted curve when there is one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    f = np.array([r["f"] for r in results], float)
    es = np.array([np.nan if r.get("es") is None else r["es"] for r in results], float)
    ax.scatter(f, es, s=12, alpha=0.5, label="runs")
    for row in summarise(results):
        ax.errorbar(row["f"], row["es_mean"], yerr=row["es_std"], fmt="o", color="black", capsize=3)
    if params is not None:
        xs = np.linspace(0, max(f.max(), 1e-6) * 1.1, 200)
        ax.plot(xs, logistic(xs, **params), color="C1",
                label=f"logistic fit (f0 = {params['f0']:.2f}, k = {params['k']:.2f})")
    else:
        ax.set_title("no logistic fit (< 4 distinct f, constant ES, or undetermined)", fontsize=9)
    ax.set_xlabel("f = D_syn / D_orig")
    ax.set_ylabel("ES")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())
