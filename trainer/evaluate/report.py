"""The evaluation report: metrics.json, per_image.csv, report.md and report.html with plots.

Plots are PNG files next to the reports (matplotlib, Agg backend) so the Markdown renders on any
forge and the HTML opens offline.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from trainer.annotation.io import write_bytes_atomic, write_image_atomic, write_json_atomic
from trainer.evaluate.metrics import Evaluation


def _fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def _plot_pr(curves: dict[str, list[float]], title: str, path: Path) -> bool:
    if not curves:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    recall = np.linspace(0, 1, 101)
    for thr, precision in curves.items():
        ax.plot(recall, precision, label=f"IoU {thr}")
    ax.set(xlabel="recall", ylabel="precision", title=title, xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _plot_losses(run_dir: Path | None, path: Path) -> bool:
    from trainer.train.runlog import LOSSES, read_csv

    rows = read_csv(run_dir / "steps.csv") if run_dir else []
    if not rows:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    steps = [int(r["step"]) for r in rows]
    for k in LOSSES:
        values = [float(r[k]) if r.get(k) else np.nan for r in rows]
        ax.plot(steps, values, label=k, linewidth=2 if k == "loss" else 1)
    ax.set(xlabel="iteration", ylabel="loss", title="training losses")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _fragment_line(fragments: dict | str | None) -> str:
    if isinstance(fragments, dict):
        beside = (" (not those nearly as tall but narrower: people beside others)" if "beside" in fragments else "")
        duplicate = (f", as were second detections of one object (mask IoU >= {fragments['duplicate_iou']:g})"
                     if "duplicate_iou" in fragments else "")
        return (f" {fragments['merged']} detections lying mostly (> {fragments['overlap']:g}) inside a higher-scored "
                f"one of their class were merged into it{beside}{duplicate} (`--keep-fragments` scores the raw "
                "output).")
    return " Fragments kept: the model's raw output." if fragments else ""


def _pixel_error_line(pe: dict) -> str:
    if pe.get("missed_px_found") is None:
        return ""
    return (f" Of the labelled pixels, {pe['missed_px_found']:.1%} were missed on objects that were found, "
            f"{pe['missed_px_lost']:.1%} on objects that were not; predicted pixels off every object came to "
            f"{pe['false_px']:.1%} of them.")


def band_recall_text(recall: list[float | None] | None) -> str:
    """'0.61 / 0.86 / 0.89 / 0.87 / 0.69': found objects' pixel recall by fifth of their height."""
    return " / ".join("n/a" if r is None else f"{r:.2f}" for r in (recall or []))


def _band_line(recall: list[float | None] | None) -> str:
    if not recall or all(r is None for r in recall):
        return ""
    return (" Pixel recall inside the found objects, by fifth of their height from the top (for people the "
            f"first is the head): {band_recall_text(recall)}.")


def write_report(out_dir: Path, evaluation: Evaluation, *, title: str, run_dir: Path | None,
                 predictions_grid: np.ndarray | None, info: dict[str, Any]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    m = evaluation.metrics
    write_json_atomic(out_dir / "metrics.json", {"info": info, "metrics": m, "per_image": evaluation.per_image,
                                                 "pr_curves": evaluation.pr_curves}, indent=2)
    buf = io.StringIO()
    fields = ["file_name", "pixel_iou", "pixel_f1", "es", "precision", "recall", "f1", "tp", "predictions",
              "objects", "all_found", "false_duplicate", "false_on_objects", "false_background",
              "labelled_px", "missed_px_found", "missed_px_lost", "false_px"]
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(evaluation.per_image)
    write_bytes_atomic(out_dir / "per_image.csv", buf.getvalue().encode())

    figures: list[tuple[str, str]] = []
    for iou_type, name in (("segm", "mask"), ("bbox", "box")):
        if _plot_pr(evaluation.pr_curves.get(iou_type, {}), f"{name} precision-recall", out_dir / f"pr_{name}.png"):
            figures.append((f"{name} precision-recall (COCOeval, all areas, 100 detections)", f"pr_{name}.png"))
    if _plot_losses(run_dir, out_dir / "losses.png"):
        figures.append(("training losses (steps.csv)", "losses.png"))
    if predictions_grid is not None:
        write_image_atomic(out_dir / "predictions.jpg", predictions_grid[:, :, ::-1])
        figures.append((f"predictions above score {m['score_threshold']}", "predictions.jpg"))

    coco_rows = [[iou, *(_fmt(m[key][s]) for s in ("AP", "AP50", "AP75", "APs", "APm", "APl"))]
                 for iou, key in (("mask", "segm"), ("box", "bbox"))]
    coco_head = ["", "AP", "AP50", "AP75", "AP small", "AP medium", "AP large"]
    pix_rows = [[name, _fmt(m[key]["mean"]), _fmt(m[key]["std"])] for name, key in
                (("pixel IoU", "pixel_iou"), ("pixel F1", "pixel_f1"), ("ES = (IoU + F1) / 2", "es"),
                 ("precision @ IoU 0.5", "precision"), ("recall @ IoU 0.5", "recall"), ("F1 @ IoU 0.5", "f1"))]
    pix_rows.append(["accuracy (all objects found)", _fmt(m["accuracy"]), ""])
    pix_head = ["per image", "mean", "std"]
    fd = m.get("false_detections", {})
    found = sum(r["tp"] for r in evaluation.per_image)
    intro = (f"{m['images']} images, {m['objects']} objects; per-image metrics use predictions with score >= "
             f"{m['score_threshold']}. Found {found} of {m['objects']} objects; false detections: "
             f"{fd.get('duplicate', 0)} duplicates of found objects, {fd.get('on_objects', 0)} mostly on "
             f"labelled objects (fragments, merges), {fd.get('background', 0)} on background."
             + _fragment_line(m.get("fragments")) + _pixel_error_line(m.get("pixel_errors") or {})
             + _band_line(m.get("found_recall_by_height")))
    facts = [f"{k}: {v}" for k, v in info.items()]

    def md_table(head: list[str], rows: list[list[str]]) -> str:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])

    md = [f"# {title}", "", intro, "", *[f"- {f}" for f in facts], "", "## COCO AP (pycocotools)", "",
          md_table(coco_head, coco_rows), "", "## Per-image metrics", "", md_table(pix_head, pix_rows), ""]
    for caption, file in figures:
        md += [f"## {caption}", "", f"![{caption}]({file})", ""]
    write_bytes_atomic(out_dir / "report.md", "\n".join(md).encode())

    def html_table(head: list[str], rows: list[list[str]]) -> str:
        th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        trs = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><tr>{th}</tr>{trs}</table>"

    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(intro)}</p>",
            "<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in facts) + "</ul>",
            "<h2>COCO AP (pycocotools)</h2>", html_table(coco_head, coco_rows),
            "<h2>Per-image metrics</h2>", html_table(pix_head, pix_rows)]
    for caption, file in figures:
        body += [f"<h2>{html.escape(caption)}</h2>", f'<img src="{html.escape(file)}" alt="{html.escape(caption)}">']
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}img{max-width:100%}")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>")
    write_bytes_atomic(out_dir / "report.html", page.encode())
    return [out_dir / n for n in ("metrics.json", "per_image.csv", "report.md", "report.html")]


