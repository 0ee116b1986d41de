"""The real-photo development set of the sim-to-real work, as datasets in our layout: train, dev, dev_people.

    PYTHONPATH=. python bench/real_data.py [--src PATH] [--out ~/.cache/rescuesynth/sim2real/real]

Source: the public repository VikramShenoy97/Human-Segmentation-Dataset (290 photos of people,
portraits to full-body street scenes, with binary person masks). Its photos are not ours to ship,
so they never enter this repository: give a clone (or the bare git directory a mirror holds) with
--src or RESCUESYNTH_HUMAN_SEG, e.g.

    git clone https://github.com/VikramShenoy97/Human-Segmentation-Dataset ~/.cache/rescuesynth/human-seg

The binary masks become index masks with one object per connected component (an approximation of
instances: people who touch are one object), masks smaller than their photo are resized with
nearest-neighbour, specks under 0.1% of the image are dropped, and the annotation core traces them
into COCO + VIA as class "person". A fixed shuffle (seed 0) splits the photos 145/145 into `train`
(for the real-trained ceiling and for --real-val picks) and `dev` (scored, never trained on).

`dev_people` is `dev` with people counted one by one: in the 34 dev photos where touching people are
one component, hand-placed seed lines (bench/dev_people.json, one per person) split the component,
each pixel joining the line nearest to it inside the mask. Component labels reward a detection of a
whole group; these do not (docs/sim2real.md E20).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.annotation import AnnotateOptions, annotate_directory  # noqa: E402
from trainer.annotation.io import write_bytes_atomic  # noqa: E402

CACHE = Path(os.environ.get("RESCUESYNTH_CACHE", Path.home() / ".cache" / "rescuesynth"))
# Where a clone or a mirror of the repository may already be (first that exists wins).
CANDIDATES = [os.environ.get("RESCUESYNTH_HUMAN_SEG", ""), str(CACHE / "human-seg"),
              "/work/.mirror/VikramShenoy97+Human-Segmentation-Dataset/repo"]
SPLIT_SEED = 0
MIN_COMPONENT = 0.001  # of the image area
LAYOUT_VERSION = "1"  # bump when the conversion changes, so caches are rebuilt
PEOPLE_SEEDS = Path(__file__).resolve().parent / "dev_people.json"


def find_source(src: str | Path | None = None) -> Path | None:
    """A folder with Training_Images/ + Ground_Truth/, or a bare git directory holding them."""
    for cand in ([str(src)] if src else CANDIDATES):
        p = Path(cand).expanduser() if cand else None
        if p and ((p / "Training_Images").is_dir() or (p / "HEAD").is_file()):
            return p
    return None


def _checkout(src: Path, into: Path) -> Path:
    """A bare git directory is unpacked with `git archive`; a work tree is used as it is."""
    if (src / "Training_Images").is_dir():
        return src
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "--git-dir", str(src), "archive", "HEAD"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def pairs(root: Path) -> list[tuple[str, Path, Path]]:
    """(stem, photo, mask) for every photo with a mask, sorted by number."""
    out = []
    for photo in (root / "Training_Images").iterdir():
        mask = root / "Ground_Truth" / f"{photo.stem}.png"
        if photo.suffix.lower() in (".jpg", ".jpeg", ".png") and mask.is_file():
            out.append((photo.stem, photo, mask))
    return sorted(out, key=lambda t: (len(t[0]), t[0]))


def index_mask(mask_path: Path, width: int, height: int) -> np.ndarray:
    """Binary person mask -> uint16 index mask, one id per connected component."""
    binary = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
    if binary.shape != (height, width):
        binary = cv2.resize(binary, (width, height), interpolation=cv2.INTER_NEAREST)
    n, labels, stats, _ = cv2.connectedComponentsWithStats((binary > 127).astype(np.uint8), connectivity=8)
    out = np.zeros((height, width), np.uint16)
    k = 0
    for c in range(1, n):
        if stats[c, cv2.CC_STAT_AREA] >= MIN_COMPONENT * width * height:
            k += 1
            out[labels == c] = k
    return out


def prepare(src: str | Path | None = None, out: str | Path | None = None) -> dict[str, Path]:
    """Build (once) and return {"train": dir, "dev": dir, "dev_people": dir}; raises FileNotFoundError
    without a source."""
    out = Path(out) if out else CACHE / "sim2real" / "real"
    splits = _photo_splits(src, out)
    return {**splits, "dev_people": people_split(splits["dev"], out / "dev_people")}


def _photo_splits(src: str | Path | None, out: Path) -> dict[str, Path]:
    """The train and dev splits, converted once from the source."""
    done = out / f".done-{LAYOUT_VERSION}"
    splits = {name: out / name for name in ("train", "dev")}
    if done.is_file():
        return splits
    source = find_source(src)
    if source is None:
        raise FileNotFoundError("the Human-Segmentation-Dataset is not here; clone it to "
                                f"{CACHE / 'human-seg'} or pass --src (see bench/real_data.py)")
    with tempfile.TemporaryDirectory() as tmp:
        root = _checkout(source, Path(tmp) / "src")
        items = pairs(root)
        order = np.random.default_rng(SPLIT_SEED).permutation(len(items))
        half = len(items) // 2
        shutil.rmtree(out, ignore_errors=True)
        for name, idx in (("train", order[:half]), ("dev", order[half:])):
            frames = Path(tmp) / name
            (frames / "images").mkdir(parents=True)
            (frames / "masks").mkdir()
            for i in sorted(idx):
                stem, photo, mask = items[i]
                image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
                if image is None:
                    continue
                h, w = image.shape[:2]
                shutil.copyfile(photo, frames / "images" / f"{stem}{photo.suffix.lower()}")
                ok, png = cv2.imencode(".png", index_mask(mask, w, h))
                write_bytes_atomic(frames / "masks" / f"{stem}.png", png.tobytes())
            annotate_directory(frames, splits[name], AnnotateOptions(
                default_category="person", progress=False, formats=("coco",),
                info={"source": "VikramShenoy97/Human-Segmentation-Dataset", "split": name,
                      "split_seed": SPLIT_SEED, "instances": "connected components of the binary mask"}))
    done.touch()
    return splits


def split_people(mask: np.ndarray, lines: list[list[list[float]]]) -> np.ndarray:
    """Binary mask -> uint16 labels 1..len(lines): each mask pixel joins the seed polyline (percent
    coordinates) nearest to it along paths inside the mask; pieces no path reaches, the nearest label."""
    h, w = mask.shape
    seeds = np.zeros((h, w), np.int32)
    for k, pts in enumerate(lines, start=1):
        xy = np.array([[x * w / 100, y * h / 100] for x, y in pts], np.int32).reshape(-1, 1, 2)
        cv2.polylines(seeds, [xy], False, k, thickness=max(1, round(min(w, h) / 150)))
    inside = mask.astype(bool)
    labels = np.where(inside, seeds, 0)
    while True:  # breadth-first growth inside the mask, one pixel ring at a time
        grown = ndimage.grey_dilation(labels, size=(3, 3))
        new = inside & (labels == 0) & (grown > 0)
        if not new.any():
            break
        labels[new] = grown[new]
    left = inside & (labels == 0)
    if left.any():
        _, (iy, ix) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
        labels[left] = labels[iy[left], ix[left]]
    return labels.astype(np.uint16)


def people_split(dev: Path, out: Path, seeds: Path = PEOPLE_SEEDS) -> Path:
    """`dev` with the components of bench/dev_people.json's photos split into people (built once per seeds file)."""
    done = out / f".done-{hashlib.sha1(seeds.read_bytes()).hexdigest()[:12]}"
    if done.is_file():
        return out
    photos = json.loads(seeds.read_text())["photos"]
    with tempfile.TemporaryDirectory() as tmp:
        frames = Path(tmp) / "people"
        (frames / "masks").mkdir(parents=True)
        shutil.copytree(dev / "images", frames / "images")
        for photo in sorted((dev / "images").iterdir()):
            index = cv2.imread(str(dev / "masks" / f"{photo.stem}.png"), cv2.IMREAD_UNCHANGED)
            if photo.name in photos:
                index = split_people(index > 0, photos[photo.name])
            cv2.imwrite(str(frames / "masks" / f"{photo.stem}.png"), index)  # a temporary folder
        shutil.rmtree(out, ignore_errors=True)
        annotate_directory(frames, out, AnnotateOptions(
            default_category="person", progress=False, formats=("coco",),
            info={"source": "VikramShenoy97/Human-Segmentation-Dataset", "split": "dev_people",
                  "instances": "people: components split by bench/dev_people.json's seed lines"}))
    done.touch()
    return out


def subset(src: Path, k: int, out: Path, seed: int | None = 0) -> Path:
    """The first k images of a fixed shuffle of `src` (seed None: in file-name order) as a dataset of
    their own (images linked): the few-shot sets, nested (the 5 are among the 10, the 10 among the
    20), and the first frames of a larger render."""
    from trainer.annotation import Dataset, load_dataset, write_dataset
    from trainer.annotation.io import link_or_copy

    if (out / "annotations" / "coco.json").is_file():
        return out
    full = load_dataset(src)
    if seed is None:
        chosen = sorted(full.images, key=lambda r: r.file_name)[:k]
    else:
        chosen = [full.images[i] for i in sorted(np.random.default_rng(seed).permutation(len(full.images))[:k])]
    for record in chosen:
        link_or_copy(full.images_dir / record.file_name, out / "images" / record.file_name)
    write_dataset(Dataset(images=chosen, categories=list(full.categories), images_dir=out / "images",
                          info={"subset_of": str(src), "k": k, "seed": seed}), out, preview=False, formats=("coco",))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", help="clone or bare git dir of VikramShenoy97/Human-Segmentation-Dataset")
    ap.add_argument("--out", type=Path, help="cache folder (default ~/.cache/rescuesynth/sim2real/real)")
    args = ap.parse_args()
    try:
        splits = prepare(args.src, args.out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, path in splits.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
