"""What `trainer evaluate` and `trainer predict` do, as functions (the commands only parse flags)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainer.annotation.files import check_output
from trainer.annotation.io import IMAGE_SUFFIXES, find_images, write_image_atomic, write_json_atomic
from trainer.errors import UserError
from trainer.evaluate.draw import draw_prediction, grid
from trainer.evaluate.fragments import (BESIDE_HEIGHT, BESIDE_WIDTH, DUPLICATE_IOU, FRAGMENT_OVERLAP, merge_all,
                                        merge_fragments)
from trainer.evaluate.inference import dataset_batches, predict_images, read_rgb_tensor, resolve_device
from trainer.evaluate.metrics import Evaluation, ImagePrediction, coco_results, evaluate_predictions
from trainer.train.checkpoint import load_trainer_checkpoint
from trainer.train.model import model_from_checkpoint


def load_model(weights: str | Path, device: str, trust: bool) -> tuple[torch.nn.Module, list[str], dict, torch.device]:
    ckpt = load_trainer_checkpoint(weights, trust=trust)
    model, _spec, categories = model_from_checkpoint(ckpt)
    dev = resolve_device(device)
    model.to(dev).eval()
    return model, categories, ckpt, dev


def evaluate_checkpoint(weights: str | Path, data: str | Path, out_dir: str | Path, *, score_threshold: float = 0.5,
                        device: str = "auto", batch_size: int = 2, workers: int = 0, grid_images: int = 12,
                        trust: bool = False, keep_fragments: bool = False) -> Evaluation:
    from torch.utils.data import DataLoader

    from trainer.annotation.check import load_inputs
    from trainer.evaluate.report import write_report
    from trainer.train.data import DetectionDataset, collate

    # the report folder, check's rules and every image, then the checkpoint: all before any inference
    dataset, = load_inputs([data], out=out_dir, folder=True, pixels=True)
    if not dataset.images:
        raise UserError("dataset has no images", data)
    if not dataset.num_annotations:
        raise UserError("dataset has no annotated objects, so there is nothing to score (AP, IoU and F1 "
                        "compare predictions with ground truth); to look at detections, use trainer predict", data)
    model, categories, ckpt, dev = load_model(weights, device, trust)
    det = DetectionDataset(dataset, categories)
    loader = DataLoader(det, batch_size=batch_size, num_workers=workers, collate_fn=collate)
    preds = predict_images(model, dataset_batches(loader), dev, progress=True, total=len(loader))
    preds, merged = merge_all(preds, None if keep_fragments else score_threshold)
    evaluation = evaluate_predictions(dataset, preds, categories, score_threshold)
    evaluation.metrics["fragments"] = (
        {"merged": merged, "overlap": FRAGMENT_OVERLAP, "beside": [BESIDE_HEIGHT, BESIDE_WIDTH],
         "duplicate_iou": DUPLICATE_IOU}
        if not keep_fragments else "kept (raw model output)")

    out_dir = Path(out_dir)
    shown = np.linspace(0, len(preds) - 1, min(grid_images, len(preds))).round().astype(int) if grid_images else []
    tiles = [draw_prediction(det.load(int(i))[0], preds[int(i)], categories, score_threshold, min_side=320)
             for i in shown]
    run_dir = Path(weights).parent
    info = {"checkpoint": str(weights), "dataset": str(data), "model": ckpt["model_spec"]["name"],
            "trained epochs": ckpt.get("epoch"), "categories": ", ".join(categories)}
    write_report(out_dir, evaluation, title=f"Evaluation of {Path(weights).name} on {Path(data).name}",
                 run_dir=run_dir if (run_dir / "steps.csv").is_file() else None,
                 predictions_grid=grid(tiles) if tiles else None, info=info)
    image_ids = list(range(1, len(dataset.images) + 1))  # to_coco numbers images 1..N in order
    bbox, segm = coco_results(preds, categories, image_ids, dataset.categories)
    write_json_atomic(out_dir / "coco_results_segm.json", segm)
    write_json_atomic(out_dir / "coco_results_bbox.json", bbox)
    return evaluation


def expand_images(items: list[str | Path]) -> list[Path]:
    paths: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            paths += find_images(item)
        elif item.is_file():
            if item.suffix.lower() not in IMAGE_SUFFIXES:
                raise UserError(f"not an image file (expected {', '.join(IMAGE_SUFFIXES)})", item)
            paths.append(item)
        else:
            raise UserError("no such image or folder", item)
    if not paths:
        raise UserError("no images found in " + ", ".join(map(str, items)))
    return paths


def predict_files(weights: str | Path, images: list[str | Path], out_dir: str | Path, *,
                  score_threshold: float = 0.5, device: str = "auto", trust: bool = False,
                  keep_fragments: bool = False) -> dict[str, Any]:
    """Overlays in OUT/overlays/, COCO results (RLE) in OUT/predictions.json, image ids in OUT/images.json."""
    paths = expand_images(images)
    out_dir = Path(out_dir)
    check_output(out_dir, folder=True, inputs=[Path(p) for p in images])  # before the model loads
    model, categories, _ckpt, dev = load_model(weights, device, trust)
    entries, preds = [], []
    for i, path in enumerate(paths):
        rgb, tensor = read_rgb_tensor(path)
        pred: ImagePrediction = predict_images(model, [([tensor], [i])], dev)[0]
        if not keep_fragments:
            pred = merge_fragments(pred, score_threshold)[0]
        preds.append(pred)
        entries.append({"id": i + 1, "file_name": str(path), "width": rgb.shape[1], "height": rgb.shape[0]})
        stem = f"{i:05d}_{path.stem}"
        write_image_atomic(out_dir / "overlays" / f"{stem}.png",
                           draw_prediction(rgb, pred, categories, score_threshold)[:, :, ::-1])
    _bbox, segm = coco_results(preds, categories, [e["id"] for e in entries], categories)
    for res, box in zip(segm, _bbox):
        res["bbox"] = box["bbox"]
    write_json_atomic(out_dir / "predictions.json", segm)
    write_json_atomic(out_dir / "images.json", {"images": entries,
                                                "categories": [{"id": i, "name": n}
                                                               for i, n in enumerate(categories, 1)]}, indent=1)
    return {"images": len(paths), "instances": sum(len(p.above(score_threshold)) for p in preds)}
