"""Sim-to-real: one fixed CPU training recipe, trained on our renders and on real photos, scored on real photos.

    PYTHONPATH=. python bench/sim2real.py [--preset scenes/default.toml] [--frames 240] [--factor 4]
        [--aug-preset ground] [--label NAME] [--no-real] [--set KEY=VALUE ...] [--train-seed N[,N...]]

The product's own flow end to end, each stage through the real CLI:
1. render --frames frames of --preset (320x240, 8 spp) with `python -m blender_addon.render`;
2. `trainer annotate --class-map rescuer=person,civilian=person` (the real photos say "person");
3. `trainer augment --factor F --preset P`;
4. `trainer fit` with the RECIPE below: a fixed budget of optimizer steps, whatever the dataset size;
5. `trainer evaluate` on the real `dev` split of bench/real_data.py (145 photos, never trained on), and
   on `dev_people` (the same photos, people counted one by one: a second table of instance figures).
Side by side in the same run, the same recipe trained on the real `train` split (145 other photos)
gives the ceiling; the table prints both and synthetic ES as a share of real ES.

Everything is cached under ~/.cache/rescuesynth/sim2real (RESCUESYNTH_CACHE): renders by a hash of
the renderer's code (comments and docstrings aside), assets and preset (so a content change
renders afresh, and reruns resume; more --frames of a preset start from the fewer already
rendered, fewer are the first frames of a larger render, so the frame sets are nested), trained
runs by the hash of everything they were made from, their scores by a hash of the evaluation code
(trainer/evaluate). Results go to results/<label>.json (results/<label>-s<seed>.json with several
seeds).
Skips (exit 0) with the reason when the real photos are absent (see bench/real_data.py).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import real_data  # noqa: E402

from blender_addon.preset import QUALITY  # noqa: E402
from trainer.annotation.files import write_json_atomic  # noqa: E402

# The fixed recipe every row of docs/sim2real.md is trained with (CPU, about 25 minutes on 2 cores).
RECIPE = {
    "model": "maskrcnn_efficientnet_lite0_fpn", "weights": "imagenet", "min_size": 240, "max_size": 320,
    "batch_size": 2, "max_steps": 684, "schedule": "cosine", "warmup_iters": 100, "device": "cpu",
    "workers": 2, "seed": 0, "val_every": 100000,  # validate (and keep best.pt) once, at the end
}
RENDER = {"resolution": "320x240", "samples": 8, "seed": 0}
# Few-shot: the same recipe for FEW_SHOT["max_steps"] steps on k real photos, from the synthetic model or
# from ImageNet alone (PeopleSansPeople's comparison), a short warm-up.
FEW_SHOT = {"max_steps": 200, "warmup_iters": 20}
VAL_FRAMES = 10  # synthetic validation frames (another seed): fit needs a --val set
CLASS_MAP = "rescuer=person,civilian=person"
SCORE_THRESHOLD = 0.5


def sh(cmd: list[str], log: Path) -> None:
    """Run one stage, its output to a log file; a failure prints the log's tail and stops."""
    print("$ " + " ".join(cmd), flush=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               NO_ALBUMENTATIONS_UPDATE="1")
    with open(log, "ab") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    if r.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}\n" + "\n".join(tail))


def code_text(path: Path) -> bytes:
    """What of a source file a render depends on: a Python file's syntax tree without comments
    and docstrings (a review that rewraps them renders nothing new: 15 minutes a row saved), any
    other file's bytes."""
    data = path.read_bytes()
    if path.suffix != ".py":
        return data
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return data
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def content_hash(preset: Path, root: Path = ROOT) -> str:
    """What a render depends on: the renderer's code, the assets and the preset file."""
    h = hashlib.sha1()
    for top in (root / "blender_addon", root / "assets"):
        for p in sorted(top.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(p.relative_to(root).as_posix().encode())
                h.update(code_text(p))
    h.update(preset.read_bytes())
    return h.hexdigest()[:12]


def eval_key(root: Path = ROOT) -> str:
    """What a score depends on besides the model: the evaluation code (a change there re-scores cached runs)."""
    h = hashlib.sha1()
    for p in sorted((root / "trainer" / "evaluate").rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(code_text(p))
    return h.hexdigest()[:12]


def key(*parts) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def py(*args: str) -> list[str]:
    return [sys.executable, *args]


def trainer(*args: str) -> list[str]:
    return py("-m", "trainer", *args)


def rendered(work: Path, preset: Path, frames: int, seed: int, quality: str | None = None) -> Path:
    """Renders of the preset labelled "person", cached by content.

    `quality` (draft | default | final) renders at that `[render] quality` with its own samples
    instead of RENDER's, so the price of cheaper pixels can be measured on real photos.
    """
    stem = f"{preset.stem}-{content_hash(preset)}-s{seed}"
    tail = f"{RENDER['resolution']}-{quality or RENDER['samples']}"
    sampling = ["--quality", quality] if quality else ["--samples", str(RENDER["samples"])]
    out = work / "renders" / f"{stem}-n{frames}-{tail}"
    person = out.with_name(out.name + "-person")
    if (person / "annotations" / "coco.json").is_file():
        return person
    more = _more(out, stem, tail, frames)
    if more is not None:
        print(f"  the first {frames} frames of {more.name}", flush=True)
        return real_data.subset(more, frames, person, seed=None)
    if not out.exists():
        _start_from_fewer(out, stem, tail, frames)
    t0 = time.perf_counter()
    sh(py("-m", "blender_addon.render", "--scene", str(preset), "--count", str(frames), "--seed", str(seed),
          "--out", str(out), "--resolution", RENDER["resolution"], *sampling),
       out.with_suffix(".log"))
    print(f"  rendered {frames} frames in {time.perf_counter() - t0:.0f} s", flush=True)
    sh(trainer("annotate", str(out), "--out", str(person), "--class-map", CLASS_MAP, "--formats", "coco",
               "--overwrite"), out.with_suffix(".log"))
    return person


def _cached_counts(out: Path, stem: str, tail: str, suffix: str = "") -> dict[int, Path]:
    """Finished renders of the same preset, seed and settings, by frame count."""
    found = {}
    for d in out.parent.glob(f"{stem}-n*-{tail}{suffix}"):
        m = d.name[len(stem) + 2:len(d.name) - len(tail) - len(suffix) - 1]
        if m.isdigit() and (d / "annotations" / "coco.json").is_file():
            found[int(m)] = d
    return found


def _more(out: Path, stem: str, tail: str, frames: int) -> Path | None:
    """The labelled folder of the smallest finished render with more frames: its first `frames` frames
    are the very frames asked for (frame i depends only on preset, seed and i), so nothing is rendered."""
    more = {m: d for m, d in _cached_counts(out, stem, tail, "-person").items() if m > frames}
    return more[min(more)] if more else None


def _start_from_fewer(out: Path, stem: str, tail: str, frames: int) -> None:
    """Nested renders: frame i depends only on (preset, seed, i), so N frames are the first M < N of an earlier
    render plus N - M more. Copy the largest such render in and let the engine resume it: the curve of more
    renders against more augmentation then compares nested sets and renders each frame once."""
    fewer = [(m, d) for m, d in _cached_counts(out, stem, tail).items() if m < frames]
    if fewer:
        m, src = max(fewer)
        print(f"  starting from the {m} frames of {src.name}", flush=True)
        tmp = out.with_name(out.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp)
        tmp.rename(out)


def augmented(work: Path, src: Path, factor: float, preset: str) -> Path:
    if factor <= 1:
        return src
    out = work / "augmented" / f"{src.name}-x{factor:g}-{Path(preset).stem}-{key(preset, _file_hash(preset))}"
    if not (out / "annotations" / "coco.json").is_file():
        sh(trainer("augment", str(src), "--out", str(out), "--factor", f"{factor:g}", "--preset", preset,
                   "--overwrite", "--no-preview"), out.with_suffix(".log"))
    return out


def _file_hash(preset: str) -> str:
    p = Path(preset)
    return hashlib.sha1(p.read_bytes()).hexdigest()[:12] if p.is_file() else preset


def trained_run(work: Path, name: str, train: Path, recipe: dict, extra: list[str]) -> Path:
    """The run folder of a fit (cached by everything it is made from)."""
    return work / "runs" / f"{name}-{key(str(train), recipe, extra)}"


def trained(work: Path, name: str, train: Path, val: Path, recipe: dict, extra: list[str]) -> Path:
    """Fit with the recipe (cached by its inputs) and evaluate on the real dev and dev_people splits."""
    run = trained_run(work, name, train, recipe, extra)
    metrics = run / f"eval_dev-{eval_key()}" / "metrics.json"
    if metrics.is_file() and people_metrics(metrics).is_file():
        return metrics
    if not (run / "best.pt").is_file():
        cmd = trainer("fit", "--train", str(train), "--val", str(val), "--out", str(run))
        if (run / "last.pt").is_file():  # interrupted: the trainer's resume is exact (same batches, RNG)
            print(f"  resuming the unfinished fit in {run}", flush=True)
            cmd.append("--resume")
        for k, v in recipe.items():
            cmd += ([f"--{k.replace('_', '-')}", str(v)] if k in FLAGS else ["--set", f"{k}={v}"])
        t0 = time.perf_counter()
        sh(cmd + extra, run.with_suffix(".log"))
        print(f"  trained in {time.perf_counter() - t0:.0f} s", flush=True)
    for data, out in ((DEV, metrics), (DEV_PEOPLE, people_metrics(metrics))):
        if not out.is_file():
            sh(trainer("evaluate", str(run / "best.pt"), "--data", str(data), "--out", str(out.parent),
                       "--device", "cpu", "--score-threshold", str(SCORE_THRESHOLD)), run.with_suffix(".log"))
    return metrics


def people_metrics(metrics: Path) -> Path:
    """Where the same model's scores on dev_people (the dev photos with people split one by one) are."""
    return metrics.parent.with_name(metrics.parent.name.replace("eval_dev-", "eval_dev_people-")) / "metrics.json"


FLAGS = {"model", "weights", "min_size", "max_size", "batch_size", "max_steps", "schedule", "device", "workers",
         "seed", "epochs", "lr"}
DEV = Path()
DEV_PEOPLE = Path()


def scores(metrics_path: Path) -> dict:
    """The figures of one run on dev, and as `people_*` its instance figures on dev_people."""
    data = json.loads(metrics_path.read_text())
    return figures(data, json.loads(people_metrics(metrics_path).read_text()))


def figures(data: dict, people: dict) -> dict:
    """Every figure of a row from the evaluations ({"metrics", "per_image"}) on dev and on dev_people."""
    m = data["metrics"]
    return {**_instances(data), **_instances(people, "people_"), **groups(data, people),
            "segm_AP": m["segm"]["AP"],
            "pixel_iou": m["pixel_iou"]["mean"], "pixel_f1": m["pixel_f1"]["mean"], "es": m["es"]["mean"],
            **{f"false_{k}": v for k, v in (m.get("false_detections") or {}).items()},
            **(m.get("pixel_errors") or {}),
            "head_recall": (m.get("found_recall_by_height") or [None])[0]}


def _instances(data: dict, prefix: str = "") -> dict:
    """AP50s, per-image P / R / F1, and objects found and false detections summed over the photos."""
    m, rows = data["metrics"], data["per_image"]
    found = sum(r["tp"] for r in rows)
    out = {"segm_AP50": m["segm"]["AP50"], "bbox_AP50": m["bbox"]["AP50"], "precision": m["precision"]["mean"],
           "recall": m["recall"]["mean"], "f1": m["f1"]["mean"], "found": found,
           "objects": sum(r["objects"] for r in rows),
           "false_detections": sum(r["predictions"] for r in rows) - found}
    return {prefix + k: v for k, v in out.items()}


def groups(data: dict, people: dict) -> dict:
    """People found in the group photos: those where dev_people splits a component of dev (touching people)."""
    components = {r["file_name"]: r["objects"] for r in data["per_image"]}
    rows = [r for r in people["per_image"] if r["objects"] > components.get(r["file_name"], r["objects"])]
    return {"group_found": sum(r["tp"] for r in rows), "group_people": sum(r["objects"] for r in rows)}


COLUMNS = [("segm_AP50", "mask AP50"), ("bbox_AP50", "box AP50"), ("pixel_iou", "pixel IoU"),
           ("pixel_f1", "pixel F1"), ("es", "ES"), ("precision", "P"), ("recall", "R"), ("f1", "F1"),
           ("head_recall", "top-fifth px R")]  # pixel recall in the top fifth of found people: heads


PEOPLE_COLUMNS = [("people_segm_AP50", "mask AP50"), ("people_bbox_AP50", "box AP50"), ("people_precision", "P"),
                  ("people_recall", "R"), ("people_f1", "F1")]


def people_table(rows: dict[str, dict]) -> str:
    """The instance figures counted per person (dev_people), where a detection of a whole group is one error."""
    lines = ["| trained on | " + " | ".join(c for _, c in PEOPLE_COLUMNS)
             + " | people found | false det. | found in group photos |", "|" + "---|" * (len(PEOPLE_COLUMNS) + 4)]
    for name, s in rows.items():
        group = f"{s['group_found']:g}/{s['group_people']:g}" if "group_found" in s else "-"
        lines.append(f"| {name} | " + _cells(s, PEOPLE_COLUMNS) + f" | {s['people_found']:g}/{s['people_objects']:g}"
                     f" | {s['people_false_detections']:g} | {group} |")
    return "\n".join(lines)


def table(rows: dict[str, dict]) -> str:
    head = "| trained on | " + " | ".join(c for _, c in COLUMNS) + " | found | false det. (dup / on people / bg) |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for name, s in rows.items():
        false = " / ".join(f"{s[k]:g}" if k in s else "-"
                           for k in ("false_duplicate", "false_on_objects", "false_background"))
        lines.append(f"| {name} | " + _cells(s, COLUMNS) + f" | {s['found']:g}/{s['objects']:g}"
                     f" | {s['false_detections']:g} ({false}) |")
    return "\n".join(lines)


def _cells(s: dict, columns: list[tuple[str, str]]) -> str:
    return " | ".join(f"{s[k]:.3f}" if isinstance(s.get(k), float) else "-" for k, _ in columns)


def mean_row(rows: list[dict]) -> dict:
    """The mean of several seeds' rows, figure by figure (people found and false detections too)."""
    return {k: sum(r[k] for r in rows) / len(rows) for k, v in rows[0].items()
            if isinstance(v, (int, float)) and all(isinstance(r.get(k), (int, float)) for r in rows)}


def seed_list(text: str) -> list[int]:
    try:
        seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        seeds = []
    if not seeds or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"want distinct integers such as 0 or 0,1, got {text!r}")
    return seeds


def main() -> int:
    global DEV, DEV_PEOPLE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", type=Path, default=ROOT / "scenes" / "default.toml")
    ap.add_argument("--frames", type=int, default=240, help="renders to train on (240)")
    ap.add_argument("--factor", type=float, default=4, help="trainer augment --factor (4; 1 = no augmentation)")
    ap.add_argument("--quality", choices=tuple(QUALITY),
                    help="render at this [render] quality and its samples (default: %d spp)" % RENDER["samples"])
    ap.add_argument("--aug-preset", default="ground", help="trainer augment --preset (ground)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="change the recipe for the synthetic run only (a lever; recorded in the result)")
    ap.add_argument("--train-seed", type=seed_list, default=[RECIPE["seed"]], metavar="N[,N...]",
                    help="training seed(s) of both the synthetic and the real run (0); several (0,1) train "
                         "each and print their means: one seed's spread is as large as most levers")
    ap.add_argument("--label", help="name of this row in results/ (default: preset stem)")
    ap.add_argument("--no-real", action="store_true", help="skip the real-trained ceiling")
    ap.add_argument("--real-src", help="Human-Segmentation-Dataset clone (see bench/real_data.py)")
    ap.add_argument("--few-shot", default="", metavar="K,K,...",
                    help="also fine-tune on K real photos (e.g. 5,10,20), from the synthetic model and from "
                         "ImageNet alone, 200 steps each (FEW_SHOT)")
    ap.add_argument("--work", type=Path, default=real_data.CACHE / "sim2real")
    args = ap.parse_args()

    try:
        splits = real_data.prepare(args.real_src, args.work / "real")
    except FileNotFoundError as exc:
        print(f"SKIP: {exc}")
        return 0
    DEV, DEV_PEOPLE = splits["dev"], splits["dev_people"]
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; real dev: {DEV}")
    t0 = time.perf_counter()
    val = rendered(args.work, args.preset, VAL_FRAMES, RENDER["seed"] + 1000, args.quality)
    train = augmented(args.work, rendered(args.work, args.preset, args.frames, RENDER["seed"], args.quality),
                      args.factor, args.aug_preset)
    label = args.label or args.preset.stem
    synth_name, real_name = f"renders: {label}", "real photos (ceiling)"
    seeds = args.train_seed
    per_seed, few, recipes = {}, {}, {}
    for seed in seeds:
        recipe = {**RECIPE, "seed": seed}
        synth_recipe = recipes[seed] = {**recipe, **dict(s.split("=", 1) for s in args.set)}
        rows = {synth_name: scores(trained(args.work, "synth", train, val, synth_recipe, []))}
        if not args.no_real:
            rows[real_name] = scores(trained(args.work, "real", splits["train"], val, recipe, []))
        per_seed[seed] = rows
        for k in [int(x) for x in args.few_shot.split(",") if x.strip()]:
            shots = real_data.subset(splits["train"], k, args.work / "real" / f"train_k{k}")
            tuned = {**recipe, **FEW_SHOT}
            synth_best = trained_run(args.work, "synth", train, synth_recipe, []) / "best.pt"
            few[(seed, k)] = {
                "renders + k real": scores(trained(args.work, f"fewshot{k}", shots, val,
                                                   {**tuned, "weights": str(synth_best)}, [])),
                "ImageNet + k real": scores(trained(args.work, f"fewshot{k}", shots, val, tuned, []))}
    print(f"\nreal dev split: {DEV} ({time.perf_counter() - t0:.0f} s)")
    names = list(per_seed[seeds[0]])
    if len(seeds) == 1:
        shown = per_seed[seeds[0]]
    else:
        shown = {f"{name} (seed {seed})": per_seed[seed][name] for name in names for seed in seeds}
        shown.update({f"{name} (mean of {len(seeds)} seeds)": mean_row([per_seed[s][name] for s in seeds])
                      for name in names})
    print(table(shown))
    print("\nper person (dev_people: the same photos, touching people split one by one):")
    print(people_table(shown))
    if few:
        print("\nfew-shot (k real photos, %d steps):" % FEW_SHOT["max_steps"])
        tag = (lambda seed: "") if len(seeds) == 1 else (lambda seed: f" (seed {seed})")
        print(table({f"k={k}: {name}{tag(seed)}": row for (seed, k), pair in few.items()
                     for name, row in pair.items()}))
    if real_name in names:
        ratios = [per_seed[s][synth_name]["es"] / per_seed[s][real_name]["es"] for s in seeds]
        line = f"synthetic ES / real ES = {ratios[0]:.3f}" if len(seeds) == 1 else (
            "synthetic ES / real ES = %.3f, mean over seeds %s (seed by seed %s)"
            % (mean_row([per_seed[s][synth_name] for s in seeds])["es"]
               / mean_row([per_seed[s][real_name] for s in seeds])["es"],
               ",".join(map(str, seeds)), ", ".join(f"{r:.3f}" for r in ratios)))
        print(f"\n{line} (goal >= 0.90)")
    for seed in seeds:
        name = label if len(seeds) == 1 else f"{label}-s{seed}"
        result = {"label": name, "preset": str(args.preset), "frames": args.frames, "factor": args.factor,
                  "aug_preset": args.aug_preset, "recipe": recipes[seed],
                  "render": {**RENDER, "quality": args.quality}, "scores": per_seed[seed],
                  "few_shot": {str(k): v for (s, k), v in few.items() if s == seed}, "few_shot_recipe": FEW_SHOT,
                  "content_hash": content_hash(args.preset), "load": os.getloadavg()[0]}
        out = args.work / "results" / f"{name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out, result, indent=1)
        print(f"result: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
