"""Image quality against time: PSNR / SSIM of render settings against a 256-spp reference.

    PYTHONPATH=. python bench/render_quality.py [--frames 0,1,5,8] [--variants NAME,...] [--out DIR]

Every variant renders the same frames of the default preset through the engine (the whole frame:
build, passes, compositor), with the camera's sensor noise switched off so that only the render
settings differ. The reference is 256 spp without adaptive sampling, denoised with the ACCURATE
prefilter (an undenoised 256-spp frame still carries visible noise in the shadows). PSNR is over
the 8-bit RGB pixels; SSIM (Gaussian window, sigma 1.5) over their luma. Time is the engine's
own seconds per frame (wall and CPU, from run.json stages; a warm-up frame runs first). Renders
are kept in --out, so a rerun only renders what is missing and a variant can be added later.

Variants are named by their settings, joined by '+': s8 (samples), ad0.05 / noad (adaptive
threshold), fast / acc / none (denoise prefilter), nodn (no denoising), qbal / qfast (OIDN
quality), b3 (max bounces), lt (light tree), map1024 (world importance map resolution), or a
quality preset: draft / default / final.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REFERENCE = "s256+noad+acc"
DEFAULT_VARIANTS = ("s16+ad0.05+fast", "s12+ad0.05+fast", "s8+ad0.05+fast", "s6+ad0.05+fast", "s4+ad0.05+fast",
                    "s8+acc", "s4+acc", "s8+noad", "s8+ad0.1", "s8+qbal", "s8+b3", "s8+lt")


def overrides(variant: str) -> dict:
    """Variant name -> [render] keys of the preset."""
    out: dict = {}
    for part in variant.split("+"):
        if part in ("draft", "default", "final"):
            out["quality"] = part
        elif part[0] == "s" and part[1:].isdigit():
            out["samples"] = int(part[1:])
        elif part == "noad":
            out["adaptive_threshold"] = 0.0
        elif part.startswith("ad"):
            out["adaptive_threshold"] = float(part[2:])
        elif part in ("fast", "acc", "none"):
            out["denoise_prefilter"] = {"fast": "FAST", "acc": "ACCURATE", "none": "NONE"}[part]
        elif part == "nodn":
            out["denoise"] = False
        elif part in ("qhigh", "qbal", "qfast"):
            out["denoise_quality"] = {"qhigh": "HIGH", "qbal": "BALANCED", "qfast": "FAST"}[part]
        elif part[0] == "b" and part[1:].isdigit():
            out["max_bounces"] = int(part[1:])
        elif part == "lt":
            out["light_tree"] = True
        elif part.startswith("map"):
            out["world_map_resolution"] = int(part[3:])
        else:
            raise SystemExit(f"unknown variant part {part!r} in {variant!r}")
    return out


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al. 2004 on luma, Gaussian window sigma 1.5, K1 0.01, K2 0.03."""
    from scipy.ndimage import gaussian_filter

    w = np.array([0.299, 0.587, 0.114])
    x, y = (np.asarray(im, np.float64) @ w for im in (a, b))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    f = lambda im: gaussian_filter(im, 1.5, truncate=3.5)
    mx, my = f(x), f(y)
    sxx, syy, sxy = f(x * x) - mx * mx, f(y * y) - my * my, f(x * y) - mx * my
    m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(m.mean())


def read_rgb(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def render_variant(variant: str, frames: list[int], out: Path, warmup: int) -> dict:
    """Render the frames with the variant's settings (one engine job, warm-up frame first)."""
    from blender_addon.builders import frame as frame_builder
    from blender_addon.engine import RenderJob, RenderOptions
    from trainer.annotation.files import read_toml

    dest = out / variant
    todo = [k for k in frames if not (dest / f"{k}.png").is_file()]
    if not todo:
        return json.loads((dest / "times.json").read_text())
    data = read_toml(ROOT / "scenes" / "default.toml")
    data["render"] = {**data["render"], **overrides(variant)}
    if "quality" in overrides(variant):  # a quality preset: its own sampling settings, not the file's
        for k in ("samples", "adaptive_threshold", "denoise_prefilter", "denoise", "max_bounces", "light_tree"):
            data["render"].pop(k, None)
        data["render"].update(overrides(variant))
    run = out / "runs" / variant
    shutil.rmtree(run, ignore_errors=True)
    frame_builder.add_sensor_noise = lambda *a, **k: None  # compare the renders, not the simulated sensor
    job = RenderJob(RenderOptions(preset=ROOT / "scenes" / "default.toml", preset_data=data, out=run, count=1,
                                  annotate=False), log=lambda line: None)
    job.start()
    job.todo = [warmup] + todo
    try:
        while job.step():
            pass
    finally:
        job.close()
    dest.mkdir(parents=True, exist_ok=True)
    times = json.loads((dest / "times.json").read_text()) if (dest / "times.json").is_file() else {}
    for rec in job.summary.stages[1:]:
        k = rec["frame"]
        shutil.copy(run / "images" / f"frame_{k:06d}.png", dest / f"{k}.png")
        times[str(k)] = {"wall": round(sum(rec["wall"].values()), 3), "cpu": round(sum(rec["cpu"].values()), 3),
                         "load": round(os.getloadavg()[0], 2)}
    (dest / "times.json").write_text(json.dumps(times, indent=1))
    shutil.rmtree(run, ignore_errors=True)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", default="0,1,5,8", help="frame indices (default: clear, fog, snow, drone)")
    ap.add_argument("--variants", default=",".join(DEFAULT_VARIANTS))
    ap.add_argument("--out", type=Path, default=Path("out/render_quality"), help="renders are kept here")
    ap.add_argument("--warmup", type=int, default=99, help="frame rendered first and not timed")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    frames = [int(x) for x in args.frames.split(",")]
    variants = [v for v in args.variants.split(",") if v]
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; frames {frames}; reference {REFERENCE}")
    t0 = time.perf_counter()
    render_variant(REFERENCE, frames, args.out, args.warmup)
    rows = []
    for v in variants:
        times = render_variant(v, frames, args.out, args.warmup)
        p, s = [], []
        for k in frames:
            ref, img = read_rgb(args.out / REFERENCE / f"{k}.png"), read_rgb(args.out / v / f"{k}.png")
            p.append(psnr(img, ref))
            s.append(ssim(img, ref))
        rows.append({"variant": v, "wall": statistics.mean(times[str(k)]["wall"] for k in frames),
                     "cpu": statistics.mean(times[str(k)]["cpu"] for k in frames),
                     "psnr": statistics.mean(p), "ssim": statistics.mean(s), "psnr_frames": p, "ssim_frames": s})
        r = rows[-1]
        print(f"{v:24s} wall {r['wall']:6.2f} s  cpu {r['cpu']:6.2f} s  PSNR {r['psnr']:6.2f} dB  SSIM {r['ssim']:.4f}  "
              f"(per frame PSNR {' '.join(f'{x:.2f}' for x in p)})", flush=True)
    print(f"\nRESULT PSNR/SSIM vs {REFERENCE} over frames {frames} (mean), time per frame (whole frame; load "
          f"{os.getloadavg()[0]:.1f}, {time.perf_counter() - t0:.0f} s for this run)")
    print(f"{'variant':24s} {'wall s':>7s} {'cpu s':>7s} {'PSNR dB':>8s} {'SSIM':>7s}")
    for r in sorted(rows, key=lambda r: r["cpu"]):
        print(f"{r['variant']:24s} {r['wall']:7.2f} {r['cpu']:7.2f} {r['psnr']:8.2f} {r['ssim']:7.4f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
