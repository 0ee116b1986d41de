"""`trainer stats DATASET [--out stats.png]`: what a dataset holds, as numbers and one PNG plot.

Instances per image, class counts, visible-fraction and size histograms from the annotations;
pose, camera mode/height/pitch and weather distributions from the renderer's frame descriptions
(`scenes/*.json`) when the dataset has them. Needs matplotlib (`pip install -e .[stats]`).
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from pathlib import Path

from trainer.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="dataset statistics (counts, sizes, visibility, poses, cameras) as a PNG plot",
                       description="Print and plot dataset statistics.")
    p.add_argument("dataset", type=Path, help="dataset folder (or COCO/VIA JSON)")
    p.add_argument("--out", type=Path, default=None, help="PNG to write (default DATASET/stats.png)")
    p.set_defaults(handler=run)


def collect(dataset: Path, ds=None) -> dict:
    """Pure statistics (no plotting): lists and counters, JSON-serialisable."""
    if ds is None:
        from trainer.annotation.check import validate_dataset

        ds = validate_dataset(dataset)
    per_image = [len(r.annotations) for r in ds.images]
    classes = Counter(a.category for r in ds.images for a in r.annotations)
    vis = [float(a.attributes["visible_fraction"]) for r in ds.images for a in r.annotations
           if isinstance(a.attributes.get("visible_fraction"), (int, float))]
    sizes = [math.sqrt(a.area) for r in ds.images for a in r.annotations]
    poses, modes, weather, heights, pitches = Counter(), Counter(), Counter(), [], []
    negatives = Counter()  # unlabelled distractors (dogs, vehicles) by kind: hard negatives
    scenes = (dataset / "scenes") if dataset.is_dir() else None
    if scenes and scenes.is_dir():
        for f in sorted(scenes.glob("*.json")):
            try:
                d = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for o in d.get("objects", []):
                poses[f"{o.get('category')}:{o.get('pose') or o.get('vehicle') or '?'}"] += 1
            cam = d.get("camera") or {}
            if cam:
                modes[cam.get("mode", "?")] += 1
                loc, look = cam.get("location"), cam.get("look_at")
                if loc and look:
                    heights.append(float(loc[2]))
                    dx = [b - a for a, b in zip(loc, look)]
                    pitches.append(math.degrees(math.atan2(-dx[2], math.hypot(dx[0], dx[1]))))
            weather[(d.get("weather") or {}).get("condition", "?")] += 1
            for x in d.get("distractors", []):
                negatives[x.get("kind", "?")] += 1
    return {"images": len(ds.images), "instances": sum(per_image), "per_image": per_image, "classes": dict(classes),
            "visible_fraction": vis, "size_px": sizes, "poses": dict(poses), "camera_modes": dict(modes),
            "camera_height": heights, "camera_pitch_deg": pitches, "weather": dict(weather),
            "unlabelled_distractors": dict(negatives)}


def plot(stats: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(3, 3, figsize=(13, 11))
    ax = axs.ravel()
    ax[0].hist(stats["per_image"], bins=range(0, max(stats["per_image"] or [0]) + 2), color="C0")
    ax[0].set_title("instances per image")
    ax[1].bar(list(stats["classes"]), list(stats["classes"].values()), color="C1", label="labelled")
    neg = stats.get("unlabelled_distractors") or {}
    if neg:
        ax[1].bar([f"{k}\n(unlabelled)" for k in neg], list(neg.values()), color="C1", alpha=0.35, hatch="//",
                  label="unlabelled distractors")
        ax[1].legend(fontsize=8)
    ax[1].set_title("instances per class")
    ax[2].hist(stats["visible_fraction"], bins=20, range=(0, 1), color="C2")
    ax[2].set_title("visible fraction")
    ax[3].hist(stats["size_px"], bins=30, color="C3")
    ax[3].set_title("instance size (sqrt(area), px)")
    p = stats["poses"]
    ax[4].barh(list(p), list(p.values()), color="C4")
    ax[4].set_title("poses (category:pose)")
    ax[5].bar(list(stats["camera_modes"]), list(stats["camera_modes"].values()), color="C5")
    ax[5].set_title("camera mode")
    ax[6].hist(stats["camera_height"], bins=20, color="C6")
    ax[6].set_title("camera height (m)")
    ax[7].hist(stats["camera_pitch_deg"], bins=20, color="C7")
    ax[7].set_title("camera pitch below horizon (deg)")
    ax[8].bar(list(stats["weather"]), list(stats["weather"].values()), color="C8")
    ax[8].set_title("weather")
    fig.suptitle(f"{stats['images']} images, {stats['instances']} instances")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.png")
    fig.savefig(tmp, dpi=80)
    plt.close(fig)
    tmp.replace(out)


def run(args: argparse.Namespace) -> int:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError("trainer stats needs matplotlib: pip install -e .[stats]") from None
    from trainer.annotation.check import load_inputs
    from trainer.annotation.dataset import dataset_root

    out = args.out or dataset_root(args.dataset) / "stats.png"
    ds, = load_inputs([args.dataset], out=out, folder=False, pixels=False, suffixes=(".png",))
    stats = collect(args.dataset, ds)
    plot(stats, out)
    n = stats["images"] or 1
    print(f"{stats['images']} images, {stats['instances']} instances ({stats['instances'] / n:.2f}/image); "
          + ", ".join(f"{k} {v}" for k, v in stats["classes"].items()))
    if stats["visible_fraction"]:
        v = stats["visible_fraction"]
        print(f"visible fraction: mean {sum(v) / len(v):.2f}, < 0.5: {sum(x < 0.5 for x in v)}")
    if stats["camera_modes"]:
        print("camera: " + ", ".join(f"{k} {v}" for k, v in stats["camera_modes"].items())
              + "; weather: " + ", ".join(f"{k} {v}" for k, v in stats["weather"].items()))
    if stats["unlabelled_distractors"]:
        print("unlabelled distractors: " + ", ".join(f"{k} {v}" for k, v in stats["unlabelled_distractors"].items()))
    print(f"plot: {out}")
    return 0
