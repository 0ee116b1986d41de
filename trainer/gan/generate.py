"""`gan generate`: one image per mask, labelled by that mask (its values are the instances).

Diversity comes from three places: the tone map (from a folder of images - same file stem first,
e.g. the composites the masks came from - or else the tones of the training images), a random
jitter of that tone, and dropout kept on at test time as in pix2pix (BatchNorm also uses the
image's own statistics, as the published test script does without --eval). Every image has its own
seed (seed, CRC-32 of the mask's file name), so results do not depend on which other masks are in
the folder, their order, or resumption.
"""

from __future__ import annotations

import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from trainer.annotation import Dataset, ImageRecord, annotation_from_mask, write_dataset
from trainer.annotation.files import check_output
from trainer.annotation.io import find_images, read_image, read_json, write_image_atomic, write_json_atomic
from trainer.errors import UserError
from trainer.gan.checkpoint import load_checkpoint
from trainer.gan.data import condition, from_unit, jitter_tone, read_index_masks, resize_mask, tone_cells, tone_map
from trainer.gan.diversity import diversity
from trainer.gan.models import build_networks
from trainer.gan.train import pick_device
from trainer.runs import RunRecord


@dataclass(frozen=True)
class GenerateOptions:
    seed: int = 0
    tones: Path | None = None  # folder of images whose backgrounds give the tone (same stem first)
    tone_jitter: float = 0.15
    category: str | None = None  # None: the training data's category (when it had exactly one)
    segmentation: str = "auto"
    device: str = "auto"
    progress: bool = True


@dataclass
class GenerateSummary:
    out_dir: Path
    images: int = 0
    made: int = 0
    resumed: int = 0
    objects: int = 0
    skipped_empty: list[str] = field(default_factory=list)  # masks without object pixels
    diversity: dict | None = None
    real_diversity: dict | None = None
    seconds: float = 0.0


def _checkpoint_path(run: Path) -> Path:
    return run / "checkpoints" / "last.pt" if run.is_dir() else run


def _record(file_name: str, mask: np.ndarray, category: str, opts: GenerateOptions) -> ImageRecord:
    h, w = mask.shape
    record = ImageRecord(file_name=file_name, width=w, height=h)
    for value in np.unique(mask[mask > 0]):
        ann = annotation_from_mask(mask == value, category, segmentation=opts.segmentation,
                                   attributes={"mask_value": int(value)})
        if ann is not None:
            record.annotations.append(ann)
    return record


def generate(run: str | Path, masks: str | Path, out: str | Path, opts: GenerateOptions) -> GenerateSummary:
    """Generate OUT/images/<mask stem>.png for every mask in `masks`, then write the dataset."""
    if opts.seed < 0:
        raise UserError("--seed must be >= 0")
    start = time.perf_counter()
    run, masks, out = Path(run), Path(masks), Path(out)
    # OUT writable and apart from every input, before the model is even loaded
    check_output(out, folder=True, inputs=[masks, opts.tones, run], may_hold_inputs=False)
    state = load_checkpoint(_checkpoint_path(run))
    config = state["config"]
    size = int(config["size"])
    category = opts.category
    if category is None:
        trained_on = list(state.get("categories", []))
        if len(trained_on) != 1:
            raise UserError(f"the training data had categories {trained_on}: pass --category")
        category = trained_on[0]
    mask_list, empty = read_index_masks(masks)
    tone_paths: dict[str, Path] = {}
    if opts.tones is not None:
        if not opts.tones.is_dir():
            raise UserError("tones folder not found", opts.tones)
        tone_paths = {p.stem: p for p in find_images(opts.tones)}
        if not tone_paths:
            raise UserError("tones folder has no images", opts.tones)
    bank = state["tones"].numpy()
    device = pick_device(opts.device)
    g, _ = build_networks(config)
    g.load_state_dict(state["G"])
    g.to(device).train()  # dropout on at test time (pix2pix)

    recipe = {"checkpoint": str(_checkpoint_path(run).resolve()), "step": int(state["step"]),
              "masks": str(masks.resolve()), "seed": opts.seed, "tones": str(opts.tones.resolve()) if opts.tones else None,
              "tone_jitter": opts.tone_jitter, "category": category}
    run_record = RunRecord(out, {"command": "gan generate", "recipe": recipe, "config": config})
    run_record.refuse_other_run(("recipe",), "was generated from another checkpoint, masks or options; "
                                "use a new --out folder")
    run_record.write()

    summary = GenerateSummary(out_dir=out, skipped_empty=empty)
    records, generated = [], []
    names = sorted(tone_paths)
    for path, mask in tqdm(mask_list, desc="gan generate", unit="img", file=sys.stderr,
                           disable=not opts.progress or None):
        file_name = f"{path.stem}.png"
        image_path, mask_path = out / "images" / file_name, out / "masks" / file_name
        if image_path.is_file() and mask_path.is_file():
            summary.resumed += 1
            generated.append(read_image(image_path))
        else:
            key = zlib.crc32(path.name.encode("utf-8"))
            rng = np.random.default_rng([opts.seed, key])
            if tone_paths:
                source = tone_paths.get(path.stem) or tone_paths[names[int(rng.integers(len(names)))]]
                src = read_image(source)
                src_mask = cv2.resize((mask > 0).astype(np.uint8), (src.shape[1], src.shape[0]),
                                      interpolation=cv2.INTER_NEAREST).astype(bool)
                cells = tone_cells(src, src_mask if source.stem == path.stem else np.zeros_like(src_mask))
            else:
                cells = bank[int(rng.integers(len(bank)))]
            cells = jitter_tone(cells, rng, opts.tone_jitter)
            x = torch.from_numpy(condition(resize_mask(mask > 0, size), tone_map(cells, size),
                                         config["conditioning"]))[None].to(device)
            torch.manual_seed((opts.seed << 32) + key)
            with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                fake = g(x).float().cpu().numpy()[0]
            image = from_unit(fake)
            h, w = mask.shape
            if (w, h) != (size, size):
                image = cv2.resize(image, (w, h), interpolation=cv2.INTER_CUBIC)
            write_image_atomic(mask_path, mask.astype(np.uint16))
            write_image_atomic(image_path, image)  # last: marks this one done
            summary.made += 1
            generated.append(image)
        records.append(_record(file_name, mask, category, opts))
    summary.images = len(records)
    summary.objects = sum(len(r.annotations) for r in records)
    info = {"description": "pix2pix generated images, labelled by their masks", "seed": opts.seed,
            "checkpoint": str(_checkpoint_path(run).resolve())}
    write_dataset(Dataset(records, [category], out / "images", info=info), out, segmentation=opts.segmentation)
    summary.diversity = diversity(generated)
    run_json = run / "run.json" if run.is_dir() else run.parent.parent / "run.json"
    if run_json.is_file():
        summary.real_diversity = read_json(run_json).get("real_diversity")
    summary.seconds = time.perf_counter() - start
    write_json_atomic(out / "diversity.json", {"generated": summary.diversity, "real": summary.real_diversity,
                                               "tone_jitter": opts.tone_jitter,
                                               "tones": str(opts.tones) if opts.tones else "training tones"}, indent=1)
    return summary
