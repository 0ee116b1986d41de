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


def model_predictor(checkpoint: Path, dataset) -> tuple[list[str], Callable[[float], list]]:
    """The checkpoint's categories and a function that predicts `dataset` at a given box NMS IoU."""
    from torch.utils.data import DataLoader

    from trainer.evaluate.inference import dataset_batches, predict_images
    from trainer.evaluate.pipeline import load_model
    from trainer.train.data import DetectionDataset, collate

    model, categories, _ckpt, device = load_model(checkpoint, "cpu", False)
    det = DetectionDataset(dataset, categories)

    def predict(iou: float) -> list:
        model.roi_heads.nms_thresh = iou
        loader = DataLoader(det, batch_size=2, collate_fn=collate)
        return predict_images(model, dataset_batches(loader), device, progress=True, total=len(loader))

    return categories, predict


def checkpoint_of(run: str, work: Path) -> Path:
    p = Path(run) if Path(run).exists() else work / "runs" / run
    ckpt = p / "best.pt" if p.is_dir() else p
    if not ckpt.is_file():
        raise SystemExit(f"{run}: no such run folder (with best.pt) or checkpoint")
    return ckpt


def floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"want numbers such as 0.4,0.5, got {text!r}") from None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="run folders (names in the cache's runs/, or paths) or checkpoints")
    ap.add_argument("--scores", type=floats, default=[0.4, 0.5, 0.6], help="score thresholds")
    ap.add_argument("--nms", type=floats, default=[0.5, 0.7], help="box NMS IoUs of the ROI heads")
    args = ap.parse_args()
    work = Path(os.environ.get("RESCUESYNTH_CACHE", Path.home() / ".cache" / "rescuesynth")) / "sim2real"
    real = work / "real"
    if not (real / "dev").is_dir() or not (real / "dev_people").is_dir():
        print(f"SKIP: no real dev photos in {real} (bench/real_data.py makes them)")
        return 0
    checkpoints = [checkpoint_of(r, work) for r in args.runs]
    from trainer.annotation.check import load_inputs

    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; dev: {real / 'dev'}")
    with tempfile.TemporaryDirectory() as tmp:  # load_inputs checks an output folder; nothing is written there
        sets = {n: load_inputs([real / n], out=Path(tmp) / n, folder=True, pixels=True)[0]
                for n in ("dev", "dev_people")}
    for run, ckpt in zip(args.runs, checkpoints):
        categories, predict = model_predictor(ckpt, sets["dev"])
        rows = operating_points(sets, categories, predict, args.scores, args.nms)
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
