"""The render engine: frames [start, start+count) (or one shard of them) -> a dataset folder.

Shared by the batch CLI (render.py) and the add-on panel. Resumable: a frame is finished when
its scene JSON exists (written last, after image and mask, each by temp + rename), so a rerun of
the same command skips finished frames and Ctrl-C loses at most the frame in flight.
Annotations (COCO, VIA, preview) are rebuilt from what exists by the annotation core.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from blender_addon import atomic
from blender_addon.preset import Preset, load_preset, preset_from_dict
from blender_addon.sampling import frame_stem, sample_scene
from trainer.errors import UserError

MIN_BLENDER = (4, 2, 0)
BPY_APT_PACKAGES = ("libx11-6", "libxrender1", "libxfixes3", "libxi6", "libxkbcommon0", "libsm6", "libice6", "libgl1")


@dataclass
class RenderOptions:
    preset: Path
    out: Path
    count: int
    seed: int = 0
    start: int = 0
    shard: tuple[int, int] | None = None  # (i, n), 0 <= i < n
    resolution: tuple[int, int] | None = None
    samples: int | None = None
    device: str | None = None
    annotate: bool = True


@dataclass
class RenderSummary:
    out: Path
    indices: list[int]
    rendered: int = 0
    skipped: int = 0
    seconds: float = 0.0
    frame_seconds: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    annotations: str = ""


def shard_indices(start: int, count: int, shard: tuple[int, int] | None) -> list[int]:
    """Contiguous, disjoint blocks: concatenating shards 0..n-1 gives start..start+count-1."""
    if count < 0 or start < 0:
        raise UserError("--count and --start must be >= 0")
    if shard is None:
        return list(range(start, start + count))
    i, n = shard
    if not (n >= 1 and 0 <= i < n):
        raise UserError(f"--shard {i}/{n}: need 0 <= i < n")
    lo = start + (count * i) // n
    hi = start + (count * (i + 1)) // n
    return list(range(lo, hi))


def frame_complete(out: Path, stem: str) -> bool:
    return all((out / sub / f"{stem}{ext}").is_file()
               for sub, ext in (("images", ".png"), ("masks", ".png"), ("scenes", ".json")))


def current_rss_mib() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _effective_preset(opts: RenderOptions) -> Preset:
    preset = load_preset(opts.preset)
    data = json.loads(json.dumps(preset.data))
    if opts.resolution:
        data["render"]["resolution"] = list(opts.resolution)
    if opts.samples:
        data["render"]["samples"] = opts.samples
    if opts.device:
        data["render"]["device"] = opts.device
    return preset_from_dict(data, preset.path)


def version_problem(version: tuple[int, ...], text: str) -> str | None:
    """Why this Blender cannot render, or None. Pure, so it is testable without an old Blender."""
    if tuple(version) < MIN_BLENDER:
        return f"Blender {text} is too old; need {'.'.join(map(str, MIN_BLENDER))} or newer"
    return None


def check_blender() -> str:
    try:
        import bpy
    except ImportError as exc:
        hint = ("Blender's system libraries are missing: apt-get install -y " + " ".join(BPY_APT_PACKAGES)
                if "shared object" in str(exc) else
                "install it with `pip install bpy==5.0.1` or run this script with `blender -b -P`")
        raise UserError(f"cannot import bpy ({exc}); {hint}") from None
    problem = version_problem(tuple(bpy.app.version), bpy.app.version_string)
    if problem:
        raise UserError(problem)
    return bpy.app.version_string


def _prepare_out(out: Path) -> None:
    try:
        for sub in ("images", "masks", "scenes"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UserError(f"output folder is not writable ({exc.strerror})", out) from None


def _fmt_eta(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def render_dataset(opts: RenderOptions, log: Callable[[str], None] = print) -> RenderSummary:
    """Render the selected frames (skipping finished ones), then annotate the whole folder."""
    preset = _effective_preset(opts)
    indices = shard_indices(opts.start, opts.count, opts.shard)
    out = Path(opts.out)
    _prepare_out(out)
    version = check_blender()

    from blender_addon.builders import cleanup, frame, settings

    summary = RenderSummary(out=out, indices=indices)
    todo = [i for i in indices if not frame_complete(out, frame_stem(i))]
    summary.skipped = len(indices) - len(todo)
    if summary.skipped:
        log(f"[render] {summary.skipped} of {len(indices)} frames already finished in {out}; skipping them")
    cleanup.reset_factory()
    device = settings.apply(preset["render"], preset["render"]["device"])
    if preset["render"]["device"] == "gpu" and device == "cpu":
        log("[render] warning: --device gpu but no CUDA/OptiX/HIP/oneAPI/Metal device found; rendering on CPU")
    r = preset["render"]
    log(f"[render] Blender {version}, Cycles {device}, {r['resolution'][0]}x{r['resolution'][1]}, "
        f"{r['samples']} spp, denoise={r['denoise']}({r['denoise_prefilter']}), adaptive={r['adaptive_threshold']}, "
        f"light_tree={r['light_tree']}, frames {indices[0] if indices else '-'}..{indices[-1] if indices else '-'} "
        f"seed {opts.seed}")
    run_record = _run_record(opts, preset, version, device, indices)
    _check_same_run(out, run_record)
    atomic.write_json_atomic(out / "run.json", run_record, indent=1)
    tmp_root = _private_tmp(out)
    cache: dict = {}
    t_start = time.perf_counter()
    try:
        stop = _CtrlC()
        for n, i in enumerate(todo, 1):
            stop.install()
            t0 = time.perf_counter()
            desc = sample_scene(preset, opts.seed, i)
            frame.render_frame(desc, out, tmp_root, preset.base_dir, cache)
            dt = time.perf_counter() - t0
            summary.frame_seconds.append(round(dt, 3))
            summary.rss_mib.append(round(current_rss_mib(), 1))
            summary.rendered += 1
            mean = sum(summary.frame_seconds) / len(summary.frame_seconds)
            log(f"[render] frame {n}/{len(todo)} ({frame_stem(i)}) {dt:.2f} s, {mean:.2f} s/frame, "
                f"ETA {_fmt_eta(mean * (len(todo) - n))}, rss {summary.rss_mib[-1]:.0f} MiB")
            sys.stdout.flush()
            if stop.requested and n < len(todo):
                raise KeyboardInterrupt
    finally:
        summary.seconds = round(time.perf_counter() - t_start, 3)
        shutil.rmtree(tmp_root, ignore_errors=True)
        try:
            tmp_root.parent.rmdir()  # only if no other process is using it
        except OSError:
            pass
        run_record["timings"] = {"rendered": summary.rendered, "skipped": summary.skipped,
                                 "seconds": summary.seconds, "frame_seconds": summary.frame_seconds,
                                 "rss_mib": summary.rss_mib,
                                 "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
        atomic.write_json_atomic(out / "run.json", run_record, indent=1)
    if opts.annotate:
        summary.annotations = annotate(out, preset, opts, log)
    return summary


def _private_tmp(out: Path) -> Path:
    """out/.tmp/<host>-<pid>: several processes (shards) may share one output folder. Leftovers
    of dead processes on this host (a crash, kill -9) are removed."""
    host = platform.node() or "host"
    root = out / ".tmp"
    if root.is_dir():
        for d in root.iterdir():
            h, _, pid = d.name.rpartition("-")
            if h == host and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(d, ignore_errors=True)
    return root / f"{host}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _CtrlC:
    """Ctrl-C for batch runs. Blender's own SIGINT handler only flags 'break' (the run goes on),
    and a KeyboardInterrupt raised inside Cycles' Python callback is swallowed after cutting the
    render short. So: the first Ctrl-C lets the frame in flight finish cleanly and stops; a second
    one exits at once, losing only that frame (files are renamed into place, scene JSON last)."""

    def __init__(self) -> None:
        self.requested = False

    def _handle(self, signum, frame) -> None:
        if self.requested:
            os._exit(130)
        self.requested = True
        print("[render] Ctrl-C: stopping after this frame (press again to quit now and lose it)",
              file=sys.stderr, flush=True)  # stderr: stdout is muted while Blender renders

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._handle)


def _run_record(opts: RenderOptions, preset: Preset, version: str, device: str, indices: list[int]) -> dict:
    from blender_addon.preset import dumps_preset

    return {
        "tool": "rescuesynth render",
        "preset_path": str(opts.preset),
        "preset": preset.data,
        "preset_toml": dumps_preset(preset),
        "seed": opts.seed,
        "frames": {"start": opts.start, "count": opts.count,
                   "shard": list(opts.shard) if opts.shard else None,
                   "indices": [indices[0], indices[-1]] if indices else []},
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(opts).items()},
        "versions": {"blender": version, "python": platform.python_version(), "numpy": _numpy_version(),
                     "rescuesynth": _package_version()},
        "device": device,
        "mask": {"pass": "Cycles Object Index (sample 0, exact integers)",
                 "weather_in_mask": False, "unoccluded": "per-group view layers, 1 spp"},
    }


def _check_same_run(out: Path, record: dict) -> None:
    """Refuse to mix frames of a different preset or seed into an existing run folder."""
    path = out / "run.json"
    if not path.is_file() or not any((out / "scenes").glob("*.json")):
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError("run.json is unreadable; cannot tell whether this folder may be resumed", path) from None
    for key in ("seed", "preset"):
        if old.get(key) != record[key]:
            raise UserError(f"this folder holds frames rendered with a different {key}; "
                            "use another --out (or the same options to resume)", path)


def _numpy_version() -> str:
    import numpy

    return numpy.__version__


def _package_version() -> str:
    try:
        from trainer import __version__

        return __version__
    except ImportError:
        return "unknown"


def annotate(out: Path, preset: Preset, opts: RenderOptions, log: Callable[[str], None]) -> str:
    """COCO + VIA + preview from every finished frame in `out` (also frames from earlier runs)."""
    if not any((out / "scenes").glob("*.json")):
        return "no frames to annotate"
    try:
        from trainer.annotation import AnnotateOptions, annotate_directory
    except ImportError as exc:  # a stock Blender's Python lacks OpenCV / pycocotools
        msg = (f"annotations skipped ({exc.name or exc} is not installed in this Python); "
               f"run: trainer annotate {out} --overwrite")
        log(f"[render] {msg}")
        return msg
    o = preset["output"]
    s = annotate_directory(out, options=AnnotateOptions(
        overwrite=True, workers=1, categories=list(o["categories"]), segmentation=o["segmentation"],
        min_pixels=o["min_pixels"], min_visible_fraction=o["min_visible_fraction"], min_extent=o["min_extent"],
        progress=False, info={"preset": preset["scene"]["name"], "seed": opts.seed, "generator": "rescuesynth render"}))
    line = f"annotated {s.frames} frames, {s.instances} instances"
    if s.dropped:
        line += " (dropped: " + ", ".join(f"{k} {v}" for k, v in s.dropped.items()) + ")"
    log(f"[render] {line}; COCO/VIA in {out / 'annotations'}, preview {out / 'preview.png'}")
    for w in s.warnings:
        log(f"[render] warning: {w}")
    return line
