"""Render benchmark: this engine against the engine of an earlier commit, side by side, plus raw Cycles.

    PYTHONPATH=. python bench/render.py [--baseline 08b55cc] [--frames 4] [--blocks 2] [--profile]
        [--resolution 640x480] [--samples N] [--quality draft] [--soak 300] [--bare 4] [--json out.json]

Side by side (always): the baseline engine (`git archive` of --baseline into a temp folder) and
this checkout's engine each render the same frame indices of the default preset with
`python -m blender_addon.render` in their own process, in alternating blocks (baseline, current,
raw, then raw, current, baseline, ...) so drifting machine load hits all alike. The first frame of
every block pays for loading bodies and kernels and is left out of the steady-state s/frame; the
process wall time (start-up included) is printed too. "raw" is a plain bpy Cycles render of a
trivial scene (plane, box, sun under a grey sky) at the same resolution and render settings;
"raw, same scene" renders each frame's own built scene with one plain render call (main view
layer only: no index pass, unoccluded layers, compositor or file writes), which separates what
the content costs from what the engine adds. The machine's load average is printed with the
figures: on a shared machine only the ratios mean much.

--quality Q adds "current+Q" to the blocks: this checkout's engine at `[render] quality = Q` with
that level's own samples (not --samples), on the same frames, so a quality level's speed-up is
measured side by side like an engine's; its masks and COCO are compared with "current" byte for byte
(images differ: that is the quality).

--profile prints the stage table of this engine's frames (blender_addon.profiling, recorded in
run.json): start-up, sampling, building, depsgraph, Cycles sync, BVH, scene update (sky, light
maps), path tracing, denoising, extra view layers, compositor, file writes, annotation. Cycles does
not report denoising, so it is measured apart: 1-spp renders of the trivial scene with and
without denoising at the same resolution (alternated, median difference); it is taken out of
path tracing. Annotation is timed once on a block of this engine's frames.

--soak N renders N frames at 64x48, 1 spp with this engine and compares peak RSS of the last 100
frames with frames 100-200 (flat means within 10%), and the datablock counts of the last frame
with frame 100 (a pooled scene must not leak meshes, materials or images). --bare N is the
content budget of the content work: the same frames with full content and with the bare engine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_BASELINE = "08b55cc"  # main before the render-throughput work (issue 14)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def python() -> str:
    return sys.executable


def checkout(rev: str, dest: Path) -> Path:
    """The tree of `rev` (tracked files only) in dest, via git archive: no worktree is registered."""
    dest.mkdir(parents=True)
    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev], check=True,
                          capture_output=True).stdout
    tar_path = dest.parent / f"{dest.name}.tar"
    tar_path.write_bytes(data)
    with tarfile.open(tar_path) as t:
        t.extractall(dest)
    tar_path.unlink()
    return dest


# Runs `python -m blender_addon.render ARGS` with RenderJob.step timed in CPU seconds (this
# process, all threads), one number per frame into $BENCH_CPU_OUT. It wraps the one method both
# engines have, so the baseline (which predates blender_addon.profiling) is measured the same way.
CPU_SHIM = """
import json, os, resource, runpy, sys
from blender_addon import engine
def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime
step, rec = engine.RenderJob.step, []
def timed_step(self):
    c0 = cpu()
    try:
        return step(self)
    finally:
        rec.append(cpu() - c0)
        with open(os.environ["BENCH_CPU_OUT"], "w") as f:
            json.dump(rec, f)
engine.RenderJob.step = timed_step
sys.argv = ["render", *sys.argv[1:]]
runpy.run_module("blender_addon.render", run_name="__main__", alter_sys=True)
"""


def engine_block(tree: Path, out: Path, start: int, count: int, args, quality: str | None = None) -> dict:
    """One block of frames through `python -m blender_addon.render` of `tree`, in its own process;
    per-frame wall seconds from its run.json, per-frame CPU seconds from CPU_SHIM, and the whole
    process's CPU seconds (start-up included). With `quality`, at that level's own samples."""
    cmd = [python(), "-c", CPU_SHIM, "--scene", str(tree / "scenes" / "default.toml"),
           "--start", str(start), "--count", str(count), "--out", str(out), "--no-annotate",
           "--device", args.device]
    if args.resolution:
        cmd += ["--resolution", args.resolution]
    if quality:
        cmd += ["--quality", quality]
    elif args.samples:
        cmd += ["--samples", str(args.samples)]
    cpu_out = out.parent / f"{out.name}.cpu.json"
    env = dict(os.environ, PYTHONPATH=str(tree), BENCH_CPU_OUT=str(cpu_out))
    t0, c0 = time.perf_counter(), _children_cpu()
    r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if r.returncode != 0:
        raise SystemExit(f"engine in {tree} failed:\n{r.stderr[-3000:]}")
    timings = json.loads((out / "run.json").read_text())["timings"]
    return {"frames": timings["frame_seconds"], "cpu": json.loads(cpu_out.read_text()),
            "process_wall": wall, "process_cpu": cpu, "stages": timings.get("stages", []),
            "startup": timings.get("startup_seconds"), "peak_rss_mib": timings.get("peak_rss_mib")}


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def worker_block(mode: str, start: int, count: int, args, out: Path) -> dict:
    """raw Cycles renders (trivial scene / same scene) in their own process: see raw_worker()."""
    res = f"{args.resolution or ''}"
    cmd = [python(), str(Path(__file__).resolve()), "--worker", mode, "--start", str(start), "--frames", str(count),
           "--worker-out", str(out), "--device", args.device]
    if res:
        cmd += ["--resolution", res]
    if args.samples:
        cmd += ["--samples", str(args.samples)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"worker {mode} failed:\n{r.stderr[-3000:]}")
    return json.loads(out.read_text())


def _render_settings(args) -> dict:
    from blender_addon.preset import load_preset

    r = dict(load_preset(ROOT / "scenes" / "default.toml")["render"])
    if args.resolution:
        r["resolution"] = [int(v) for v in args.resolution.lower().split("x")]
    if args.samples:
        r["samples"] = args.samples
    return r


def raw_worker(args) -> int:
    """--worker raw|raw_scene|denoise: plain bpy renders, timed per render call."""
    import bpy

    from blender_addon import profiling
    from blender_addon.builders import cleanup, settings

    render = _render_settings(args)
    cleanup.reset_factory()
    scene = bpy.context.scene
    settings.apply(render, args.device)
    out = {"frames": [], "cpu": []}

    def timed() -> None:
        c0, t0 = profiling.cpu_seconds(), time.perf_counter()
        with _quiet():
            bpy.ops.render.render(write_still=False)
        out["frames"].append(time.perf_counter() - t0)
        out["cpu"].append(profiling.cpu_seconds() - c0)

    if args.worker in ("raw", "denoise"):
        _trivial_scene(scene)
        if args.worker == "raw":
            for _ in range(args.frames):
                timed()
        else:  # denoising cost: 1 spp with and without it, alternated; the median difference
            scene.cycles.samples = 1
            on, off = [], []
            for k in range(2 * args.frames + 1):  # off, on, off, on, ...: the first (kernel load) is dropped
                scene.cycles.use_denoising = k % 2 == 1
                timed()
                (on if k % 2 else off).append((out["frames"][-1], out["cpu"][-1]))
            off = off[1:] or off
            out["denoise"] = max(statistics.median(t for t, _ in on) - statistics.median(t for t, _ in off), 0.0)
            out["denoise_cpu"] = max(statistics.median(c for _, c in on) - statistics.median(c for _, c in off), 0.0)
    else:  # raw_scene: the engine's own build of each frame (RenderJob.build), then one plain render call
        from blender_addon.engine import RenderJob, RenderOptions

        job = RenderJob(RenderOptions(preset=ROOT / "scenes" / "default.toml", out=Path(args.worker_out).parent,
                                      count=0, resolution=tuple(render["resolution"]), samples=render["samples"],
                                      device=args.device))
        job.open_scene()
        for i in range(args.start, args.start + args.frames):
            job.build(i)
            with job.context():
                scene = bpy.context.scene
                scene.view_layers[0].use_pass_object_index = False
                if hasattr(scene, "compositing_node_group"):
                    scene.compositing_node_group = None
                else:
                    scene.use_nodes = False
                timed()
    Path(args.worker_out).write_text(json.dumps(out))
    return 0


def _trivial_scene(scene) -> None:
    import bpy

    from blender_addon.geometry import look_at_matrix, matrix_to_quaternion
    import numpy as np

    bpy.ops.mesh.primitive_plane_add(size=20.0)
    bpy.ops.mesh.primitive_cube_add(size=1.0, location=(0.0, 0.0, 0.5))
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (0.6, 0.2, 0.8)
    scene.collection.objects.link(sun)
    cam = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    cam.location = (5.0, -5.0, 3.0)
    cam.rotation_mode = "QUATERNION"
    cam.rotation_quaternion = matrix_to_quaternion(look_at_matrix(np.array(cam.location), np.array([0, 0, 0.5])))
    scene.collection.objects.link(cam)
    scene.camera = cam
    world = bpy.data.worlds.new("grey")
    world.color = (0.4, 0.45, 0.5)
    scene.world = world


class _quiet:
    """Cycles prints progress on stdout; keep the worker's stdout clean."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        self.null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(self.null, 1)

    def __exit__(self, *exc):
        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)
        os.close(self.null)


def steady(block_frames: list[list[float]]) -> list[float]:
    """Per-frame seconds without each block's first frame (body import, kernel load)."""
    return [t for b in block_frames for t in (b[1:] or b)]


def engine_names(args) -> list[str]:
    """The blocks' order: the --engines picked, with this engine at --quality right after "current"."""
    names = [n for n in ("baseline", "current", "raw", "raw_scene") if n in args.engines.split(",")]
    if args.quality:
        names.insert(names.index("current") + 1 if "current" in names else len(names), f"current+{args.quality}")
    return names


def side_by_side(args, tmp: Path) -> dict:
    names = engine_names(args)
    engines: dict[str, tuple[Path, str | None]] = {"current": (ROOT, None)}
    if args.quality:
        engines[f"current+{args.quality}"] = (ROOT, args.quality)
    if "baseline" in names:
        engines["baseline"] = (checkout(args.baseline, tmp / "baseline"), None)
    blocks: dict[str, list[dict]] = {n: [] for n in names}
    loads = []
    for b in range(args.blocks):
        start = args.start + b * args.frames
        order = names if b % 2 == 0 else names[::-1]
        for name in order:
            out = tmp / f"{name}-{b}"
            if name in engines:
                tree, quality = engines[name]
                blocks[name].append(engine_block(tree, out, start, args.frames, args, quality=quality))
            else:
                blocks[name].append(worker_block(name, start, args.frames, args, tmp / f"{name}-{b}.json"))
            loads.append(os.getloadavg()[0])
            print(f"[bench] block {b} {name:9s} frames {start}..{start + args.frames - 1}: "
                  + " ".join(f"{t:.2f}" for t in blocks[name][-1]["frames"]) + " s, "
                  + " ".join(f"{t:.2f}" for t in blocks[name][-1]["cpu"]) + f" CPU s (load {load()})", flush=True)
    res = {n: statistics.mean(steady([blk["frames"] for blk in blocks[n]])) for n in names}
    cpu = {n: statistics.mean(steady([blk["cpu"] for blk in blocks[n]])) for n in names}
    wall = {n: statistics.mean([blk["process_wall"] / args.frames for blk in blocks[n]]) for n in engines if n in names}
    pcpu = {n: statistics.mean([blk["process_cpu"] / args.frames for blk in blocks[n]]) for n in engines if n in names}
    res_desc = args.resolution or "preset resolution"
    q = f"current+{args.quality}"
    own = f" ({q} at that quality's own samples)" if args.quality else ""
    print(f"\nRESULT side by side, each engine's default preset, {res_desc}, {args.samples or 'preset'} spp{own}, "
          f"{args.blocks} blocks x {args.frames} frames (first of each block left out), load {min(loads):.1f}-{max(loads):.1f}")
    print("RESULT CPU s are all threads of the process: on a loaded machine they, not wall s, compare engines")
    for n, label in (("baseline", f"baseline {args.baseline}"), ("current", "current")):
        if n in res:
            print(f"RESULT {label:17s}: {res[n]:.2f} s/frame wall, {cpu[n]:.2f} CPU s/frame steady "
                  f"({wall[n]:.2f} s, {pcpu[n]:.2f} CPU s per frame with start-up)")
    if q in res:
        print(f"RESULT {q:17s}: {res[q]:.2f} s/frame wall, {cpu[q]:.2f} CPU s/frame steady "
              f"({wall[q]:.2f} s, {pcpu[q]:.2f} CPU s per frame with start-up)")
    if q in res and "current" in res:
        print(f"RESULT throughput {q} / current = {cpu['current'] / cpu[q]:.2f}x in CPU s, "
              f"{res['current'] / res[q]:.2f}x in wall s, {pcpu['current'] / pcpu[q]:.2f}x in CPU s with start-up")
    if "baseline" in res and "current" in res:
        print(f"RESULT throughput current / baseline = {cpu['baseline'] / cpu['current']:.2f}x in CPU s "
              f"({cpu['baseline'] / cpu['current'] * 100 - 100:+.0f}% frames per CPU hour), "
              f"{res['baseline'] / res['current']:.2f}x in wall s, "
              f"{pcpu['baseline'] / pcpu['current']:.2f}x in CPU s with start-up")
    for ref, label in (("raw", "raw Cycles, trivial scene (plane, box, sun)"),
                       ("raw_scene", "raw Cycles, same scenes (one plain render of each built frame)")):
        if ref in res and "current" in res:  # at this engine's render settings
            print(f"RESULT {label}, this engine's settings: {res[ref]:.2f} s/frame wall, {cpu[ref]:.2f} CPU s; "
                  f"current / {ref} = {cpu['current'] / cpu[ref]:.2f}x in CPU s ({res['current'] / res[ref]:.2f}x wall)"
                  + (" (goal <= 1.3x)" if ref == "raw_scene" else ""))
    same = compare_outputs(tmp, args.blocks) if "baseline" in blocks and "current" in blocks else None
    same_q = compare_outputs(tmp, args.blocks, "current", q) if q in blocks and "current" in blocks else None
    return {"blocks": blocks, "steady": res, "steady_cpu": cpu, "with_startup": wall, "with_startup_cpu": pcpu,
            "load": [min(loads), max(loads)], "identical": same, "identical_quality": same_q}


def compare_outputs(tmp: Path, n_blocks: int, first: str = "baseline", second: str = "current") -> dict:
    """Same frames from two engines: masks, COCO and per-object pixel counts byte for byte."""
    from blender_addon.engine import RenderOptions, annotate
    from blender_addon.preset import load_preset

    same = {"scenes": [0, 0], "masks": [0, 0], "images": [0, 0], "counts": [0, 0], "coco": [0, 0]}
    keys = ("index", "category", "visible_px", "unoccluded_px", "visible_fraction", "truncated")
    for b in range(n_blocks):
        a, c = tmp / f"{first}-{b}", tmp / f"{second}-{b}"
        for sub_dir, what in (("masks", "masks"), ("images", "images")):
            for f in sorted((a / sub_dir).glob("*.png")):
                same[what][1] += 1
                same[what][0] += f.read_bytes() == (c / sub_dir / f.name).read_bytes()
        for f in sorted((a / "scenes").glob("*.json")):
            x, y = ([{k: o.get(k) for k in keys} for o in json.loads(p.read_text())["objects"]]
                    for p in (f, c / "scenes" / f.name))
            same["counts"][1] += 1
            same["counts"][0] += x == y
            x, y = (_what(json.loads(p.read_text())) for p in (f, c / "scenes" / f.name))
            same["scenes"][1] += 1
            same["scenes"][0] += x == y
        preset = load_preset(ROOT / "scenes" / "default.toml")
        for d in (a, c):
            annotate(d, preset, RenderOptions(preset=ROOT / "scenes" / "default.toml", out=d, count=0), lambda line: None)
        same["coco"][1] += 1
        same["coco"][0] += _coco_bytes(a) == _coco_bytes(c)
    print(f"RESULT same frames, {first} vs {second}: "
          + ", ".join(f"{k} identical {v[0]}/{v[1]}" for k, v in same.items())
          + " (images differ where a default changed the picture: docs/benchmarks.md)")
    if same["scenes"][0] < same["scenes"][1]:
        print("RESULT the engines drew different scenes (each renders its own default preset, and content was added "
              "since the baseline): masks and COCO cannot match here; byte-identity is checked against a commit "
              "with the same preset (docs/benchmarks.md)")
    return same


def _what(desc: dict) -> list:
    """What a frame description puts in the frame: object names and categories, camera pose."""
    return [[(o.get("name"), o.get("category")) for o in desc.get("objects", [])], desc.get("camera")]


def _coco_bytes(d: Path) -> bytes:
    return (d / "annotations" / "coco.json").read_bytes()


def profile(args, tmp: Path, blocks: list[dict]) -> dict:
    from blender_addon import profiling

    records = [dict(r) for blk in blocks for r in blk["stages"][1:] or blk["stages"]]
    calib = worker_block("denoise", 0, 3, args, tmp / "denoise.json")
    den = {"wall": calib["denoise"], "cpu": calib["denoise_cpu"]}
    if _render_settings(args)["denoise"]:
        for r in records:
            for key in ("wall", "cpu"):
                pt = r[key].get("path_trace", 0.0)
                r[key] = dict(r[key], path_trace=max(pt - den[key], 0.0), denoise=min(den[key], pt))
    # annotation of one block of this engine's frames, per frame
    from blender_addon.engine import RenderOptions, annotate
    from blender_addon.preset import load_preset

    out = tmp / "current-0"
    t0 = time.perf_counter()
    annotate(out, load_preset(ROOT / "scenes" / "default.toml"), RenderOptions(preset=ROOT / "scenes" / "default.toml",
                                                                             out=out, count=0), lambda line: None)
    ann = (time.perf_counter() - t0) / max(len(blocks[0]["frames"]), 1)
    for r in records:
        r["wall"] = dict(r["wall"], annotate=ann)
    startup = statistics.median(b["startup"] for b in blocks if b.get("startup") is not None) if any(
        b.get("startup") is not None for b in blocks) else None
    print(f"\nRESULT stage table, current engine, steady-state frames (load {load()}; denoising measured apart: "
          f"{den['wall']:.3f} s at this resolution)")
    print(profiling.table(records, "wall", startup=startup))
    print("\nRESULT the same frames in CPU seconds (all threads; less sensitive to other jobs on the machine)")
    print(profiling.table(records, "cpu"))
    return {"records": records, "denoise": den, "annotate_per_frame": ann, "startup": startup}


def soak(args, tmp: Path) -> dict:
    from blender_addon.engine import RenderOptions, render_dataset

    s = render_dataset(RenderOptions(preset=ROOT / "scenes" / "default.toml", out=tmp / "soak", count=args.soak,
                                     resolution=(64, 48), samples=1, device=args.device, annotate=False),
                       log=lambda line: None)
    rss = s.rss_mib
    print(f"\nRESULT soak 64x48 1 spp: {len(rss)} frames, {statistics.mean(s.frame_seconds):.3f} s/frame; "
          f"RSS after frame 1 {rss[0]:.0f} MiB, 10 {rss[min(9, len(rss) - 1)]:.0f} MiB, last {rss[-1]:.0f} MiB (load {load()})")
    res = {"rss": rss}
    if len(rss) >= 300:
        mid, last = max(rss[100:200]), max(rss[-100:])
        growth = (last - mid) / mid
        print(f"RESULT RSS peak frames 100-200 {mid:.0f} MiB, last 100 {last:.0f} MiB: "
              f"{growth * 100:+.1f}% ({'flat' if abs(growth) <= 0.10 else 'NOT flat'}, limit 10%)")
        res["growth"] = growth
    blocks_seen = [r.get("datablocks") for r in s.stages if r.get("datablocks")]
    if len(blocks_seen) > 100:
        a, b = blocks_seen[100], blocks_seen[-1]
        print(f"RESULT datablocks at frame 100: {a}\nRESULT datablocks at the last frame: {b}")
        res["datablocks"] = [a, b]
    return res


def bare_preset(data: dict) -> dict:
    """The preset with every content generator switched off; engine, camera, people placement and
    render settings untouched (generators draw from separate seed streams, so frames match)."""
    bare = {k: dict(v) for k, v in data.items()}
    for section in ("rescuers", "civilians"):
        bare.setdefault(section, {})["body_probability"] = 0.0
    bare.setdefault("debris", {})["count"] = [0, 0]
    bare["buildings"] = {**bare.get("buildings", {}), "count": [0, 0], "far_count": [0, 0], "heaps": [0, 0]}
    bare["weather"] = {**bare.get("weather", {}), "conditions": {"clear": 1.0}, "fog_probability": 0.0}
    bare["light"] = {**bare.get("light", {}), "background_probability": 0.0}
    return bare


def content_vs_bare(args, tmp: Path) -> None:
    from blender_addon.engine import RenderOptions, render_dataset
    from trainer.annotation.files import read_toml

    scene = ROOT / "scenes" / "default.toml"
    data = read_toml(scene)
    variants = {"content": data, "bare": bare_preset(data)}
    times: dict[str, list[float]] = {k: [] for k in variants}
    for block in range(2):  # content, bare, content, bare: drift in machine load hits both alike
        for name, preset in variants.items():
            s = render_dataset(RenderOptions(preset=scene, preset_data=preset, out=tmp / f"{name}{block}",
                                             count=args.bare, start=block * args.bare, device=args.device,
                                             annotate=False), log=lambda line: None)
            times[name] += s.frame_seconds[1:] or s.frame_seconds  # first frame of a block: warm-up
    mean = {k: sum(v) / len(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"RESULT {k:7s}: {len(v)} frames, mean {mean[k]:.2f} s/frame (min {min(v):.2f}, max {max(v):.2f})")
    print(f"RESULT content / bare = {mean['content'] / mean['bare']:.2f}x (budget 1.5x)")


def main() -> int:
    from blender_addon.preset import QUALITY

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision of the engine to compare with")
    ap.add_argument("--frames", type=int, default=4, help="frames per block (the first of each is warm-up)")
    ap.add_argument("--blocks", type=int, default=2, help="alternating blocks per engine (0 = no side by side)")
    ap.add_argument("--start", type=int, default=0, help="first frame index")
    ap.add_argument("--resolution", default=None, help="WxH (default: the preset's, 640x480)")
    ap.add_argument("--samples", type=int, default=None, help="spp for both engines (default: each preset's own)")
    ap.add_argument("--quality", choices=tuple(QUALITY), default=None,
                    help="also run this engine at that [render] quality (its own samples) side by side")
    ap.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    ap.add_argument("--engines", default="baseline,current,raw,raw_scene",
                    help="which of baseline,current,raw,raw_scene to run side by side")
    ap.add_argument("--profile", action="store_true", help="print the stage table of this engine's frames")
    ap.add_argument("--soak", type=int, default=0, help="frames at 64x48 1 spp for the RSS check (300 in the docs)")
    ap.add_argument("--bare", type=int, default=0, help="frames per block in the content-vs-bare comparison")
    ap.add_argument("--json", type=Path, default=None, help="also write every figure to this file")
    ap.add_argument("--worker", choices=("raw", "raw_scene", "denoise"), help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return raw_worker(args)
    print(f"machine: {os.cpu_count()} CPUs, load {load()}; device {args.device}; baseline {args.baseline}")
    report: dict = {"cpus": os.cpu_count(), "baseline": args.baseline}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.blocks:
            report["side_by_side"] = side_by_side(args, tmp)
            if args.profile:
                report["profile"] = profile(args, tmp, report["side_by_side"]["blocks"]["current"])
        if args.bare:
            content_vs_bare(args, tmp)
        if args.soak:
            report["soak"] = soak(args, tmp)
        shutil.rmtree(tmp / "baseline", ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
