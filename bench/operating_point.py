"""Operating points of trained models on the real dev photos: score threshold and box NMS IoU.

    PYTHONPATH=. python bench/operating_point.py RUN [RUN ...] [--scores 0.4,0.5,0.6] [--nms 0.5,0.7]

A RUN is a run folder of bench/sim2real.py (a name in ~/.cache/rescuesynth/sim2real/runs, or a path)
or a checkpoint. Nothing is trained: each model predicts the 145 dev photos once per box NMS IoU
(the ROI heads drop a box that overlaps a higher-scored one by more than it; torchvision's 0.5 is
what `trainer evaluate` uses), and every score threshold re-scores those predictions with
`trainer evaluate`'s own code (fragment merging included) on dev and on dev_people, so each row is
what `trainer evaluate --score-threshold S` would print for a model with that NMS. The figures are
bench/sim2real.py's (`figures`), people found in the group photos included. Needs the real photos
of bench/real_data.py (skips with the reason when absent).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import real_data  # noqa: E402
import sim2real  # noqa: E402

COLUMNS = [("es", "ES"), ("segm_AP50", "mask AP50"), ("f1", "F1"), ("people_segm_AP50", "per person: mask AP50"),
           ("people_f1", "F1")]


def operating_points(sets: dict, categories: list[str], predict: Callable[[float], list], scores: list[float],
                     nms: list[float]) -> dict[tuple[float, float], dict]:
    """(nms, score threshold) -> figures, with one `predict(nms)` per NMS IoU; `sets` holds "dev" and "dev_people"."""
    from trainer.evaluate.fragments import merge_all
    from trainer.evaluate.metrics import evaluate_predictions

    out = {}
    for iou in nms:
        raw = predict(iou)
        for threshold in scores:
            merged, _ = merge_all(raw, threshold)
            ev = {name: evaluate_predictions(ds, merged, categories, threshold) for name, ds in sets.items()}
            out[(iou, threshold)] = sim2real.figures(*({"metrics": e.metrics, "per_image": e.per_image}
                                                       for e in (ev["dev"], ev["dev_people"])))
    return out


def model_predictor(loaded: tuple, dataset) -> Callable[[float], list]:
    """A function that predicts `dataset` with a `load_model` result at a given box NMS IoU."""
    from torch.utils.data import DataLoader

    from trainer.evaluate.inference import dataset_batches, predict_images
    from trainer.train.data import DetectionDataset, collate

    model, categories, _ckpt, device = loaded
    det = DetectionDataset(dataset, categories)

    def predict(iou: float) -> list:
        model.roi_heads.nms_thresh = iou
        loader = DataLoader(det, batch_size=2, collate_fn=collate)
        return predict_images(model, dataset_batches(loader), device, progress=True, total=len(loader))

    return predict


def checkpoint_of(run: str, work: Path) -> Path:
    p = Path(run) if Path(run).exists() else work / "runs" / run
    ckpt = p / "best.pt" if p.is_dir() else p
    if not ckpt.is_file():
        raise SystemExit(f"{run}: no such run folder (with best.pt) or checkpoint")
    return ckpt


def floats(text: str) -> list[float]:
    """A comma list of numbers in [0, 1] (score thresholds, IoUs)."""
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        values = []
    if not values or not all(0.0 <= v <= 1.0 for v in values):
        raise argparse.ArgumentTypeError(f"want numbers from 0 to 1 such as 0.4,0.5, got {text!r}")
    return values


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="run folders (names in the cache's runs/, or paths) or checkpoints")
    ap.add_argument("--scores", type=floats, default=[0.4, 0.5, 0.6], help="score thresholds")
    ap.add_argument("--nms", type=floats, default=[0.5, 0.7], help="box NMS IoUs of the ROI heads")
    ap.add_argument("--work", type=Path, default=real_data.CACHE / "sim2real", help="bench/sim2real.py's cache")
    args = ap.parse_args()
    work = args.work
    real = work / "real"
    if not (real / "dev").is_dir() or not (real / "dev_people").is_dir():
        print(f"SKIP: no real dev photos in {real} (bench/real_data.py makes them)")
        return 0
    checkpoints = [checkpoint_of(r, work) for r in args.runs]
    from trainer.annotation.check import load_inputs
    from trainer.errors import UserError
    from trainer.evaluate.pipeline import load_model

    try:  # every checkpoint first: a bad one is one line before any inference
        models = [load_model(ckpt, "cpu", False) for ckpt in checkpoints]
    except UserError as e:
        raise SystemExit(str(e)) from None

    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; dev: {real / 'dev'}")
    with tempfile.TemporaryDirectory() as tmp:  # load_inputs checks an output folder; nothing is written there
        sets = {n: load_inputs([real / n], out=Path(tmp) / n, folder=True, pixels=True)[0]
                for n in ("dev", "dev_people")}
    for run, ckpt, loaded in zip(args.runs, checkpoints, models):
        rows = operating_points(sets, loaded[1], model_predictor(loaded, sets["dev"]), args.scores, args.nms)
        print(f"\nRESULT {run} ({ckpt}): dev and dev_people, one inference per NMS IoU")
        print("| NMS IoU | score | " + " | ".join(c for _, c in COLUMNS)
              + " | people found | false det. | found in group photos |")
        print("|" + "---|" * (len(COLUMNS) + 5))
        for (iou, threshold), s in rows.items():
            print(f"| {iou:g} | {threshold:g} | " + " | ".join(f"{s[k]:.3f}" for k, _ in COLUMNS)
                  + f" | {s['people_found']:g}/{s['people_objects']:g} | {s['people_false_detections']:g}"
                  f" | {s['group_found']:g}/{s['group_people']:g} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
