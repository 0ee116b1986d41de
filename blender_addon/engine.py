"""The render engine: frames [start, start+count) (or one shard of them) -> a dataset folder.

Shared by the batch CLI (render.py) and the add-on panel. Resumable: a frame is finished when
its scene JSON exists (written last, after image and mask, each by temp + rename), so a rerun of
the same command skips finished frames and Ctrl-C loses at most the frame in flight.
Annotations (COCO, VIA, preview) are rebuilt from what exists by the annotation core.
"""

from __future__ import annotations

import copy
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

from blender_addon import profiling
from blender_addon.assets.files import scan_assets
from blender_addon.preset import Preset, preset_from_dict, read_preset_data
from blender_addon.sampling import frame_stem, sample_scene
from trainer.annotation.files import check_formats, check_output
from trainer.errors import UserError
from trainer.runs import RunRecord

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
    quality: str | None = None  # "draft" | "default" | "final": overrides the preset's [render] quality
    device: str | None = None
    annotate: bool = True
    # The add-on passes the preset it edited in memory (validated like a file); None = read `preset`.
    preset_data: dict | None = None
    # Annotation files to keep: "coco" (annotations/coco.json) and/or "via" (via_project.json, via_regions.json).
    formats: tuple[str, ...] = ("coco", "via")


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
    # where the time went: per frame {"frame", "wall": {stage: s}, "cpu": {stage: s}, "datablocks": {...}}
    stages: list[dict] = field(default_factory=list)
    startup_seconds: float | None = None  # process start -> engine ready (CLI runs; None if unknown)
    annotate_seconds: float = 0.0


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
    """The job's preset, validated once, here: the file's (or the panel's) data with the command
    line's overrides. A mistake is one PresetError line naming the file and key."""
    data = copy.deepcopy(opts.preset_data) if opts.preset_data is not None else read_preset_data(opts.preset)
    overrides = {k: v for k, v in (("resolution", list(opts.resolution) if opts.resolution else None),
                                    ("samples", opts.samples), ("quality", opts.quality),
                                    ("device", opts.device)) if v}
    if overrides and isinstance(data, dict) and isinstance(data.get("render", {}), dict):
        data["render"] = {**data.get("render", {}), **overrides}
    return preset_from_dict(data, opts.preset)


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
    # the same check as every trainer command (stdlib only: works in Blender); it probes writability
    # with a uniquely named temp file, so shards starting into one folder at once do not collide
    check_output(out, folder=True)
    try:
        for sub in ("images", "masks", "scenes"):
            (out / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"output folder is not writable ({exc.strerror})", out) from None


def _fmt_eta(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


RENDER_SCENE = "rescuesynth_render"


def new_render_scene():
    """A fresh scene that only the engine builds into: the CLI and the add-on both render in one
    made this way (never in the artist's scene), so they start from identical settings."""
    import bpy

    old = bpy.data.scenes.get(RENDER_SCENE)
    if old is not None:
        other = bpy.data.scenes.get(old.get("rescuesynth_source", "")) or next(
            (x for x in bpy.data.scenes if x != old), None)
        for win in bpy.context.window_manager.windows:
            if win.scene == old and other is not None:  # never leave a window showing a removed scene
                win.scene = other
        bpy.data.scenes.remove(old)
    scene = bpy.data.scenes.new(RENDER_SCENE)
    scene["rescuesynth_engine"] = True
    # scenes.new() differs from the factory-startup scene the engine used to render in (measured
    # with an RNA diff on bpy 5.0.1 and 4.2.0) on these render-relevant settings; pin them to the factory
    # values so frames stay byte-identical to runs made before the engine had its own scene.
    pins = [(scene.view_settings, "use_curve_mapping", False),
            (scene.view_settings, "use_white_balance", False),  # 4.3+
            (scene.view_settings, "white_balance_temperature", 6500.0),
            (scene.view_settings, "white_balance_tint", 10.0)]
    if bpy.app.version >= (5, 0, 0):  # 4.2's factory scene and scenes.new() both say AUTOMATIC
        pins.append((scene.cycles, "sampling_pattern", "TABULATED_SOBOL"))
    for owner, attr, value in pins:
        if hasattr(owner, attr):
            setattr(owner, attr, value)
    return scene


class RenderJob:
    """render_dataset() cut into steps, so a UI can render one frame per timer tick:

        job = RenderJob(opts, log); job.start()
        while job.step(): ...          # one frame per call; job.done / job.todo / job.eta()
        job.close(); job.annotate()    # close() also runs after a cancel; finished frames stay

    `reset=False` keeps the open .blend (the add-on): nothing is built outside the engine's own
    scene. `scene_objects`: labelled objects from the artist's scene (see blender_addon.scene_objects),
    appended to every frame description; None for the CLI.
    """

    def __init__(self, opts: RenderOptions, log: Callable[[str], None] = print, *, reset: bool = True,
                 scene_objects: list[dict] | None = None) -> None:
        self.opts = opts
        self.log = log
        self.reset = reset
        self.scene_objects = scene_objects
        _check_formats(opts.formats)
        self.preset = _effective_preset(opts)  # the one validation of this job's preset
        self.assets = scan_assets(self.preset)  # once: sampling a frame never walks a folder
        self.indices = shard_indices(opts.start, opts.count, opts.shard)
        self.out = Path(opts.out)
        self.summary = RenderSummary(out=self.out, indices=self.indices)
        self.todo: list[int] = []
        self.done = 0
        self.scene = None
        self.started = False
        self.closed = False
        self.timings: dict | None = None  # run.json's timings, once the render is closed
        self.last_frame: dict | None = None
        self.cache: dict = {}  # asset meshes loaded once per job

    def open_scene(self, device: str | None = None) -> str:
        """A fresh engine scene with the preset's render settings (on `device`, default the
        preset's); returns the device Cycles got."""
        check_blender()
        from blender_addon.builders import cleanup, settings

        if self.reset:
            cleanup.reset_factory()
        self.scene = new_render_scene()
        with self.context():
            return settings.apply(self.preset["render"], device or self.preset["render"]["device"])

    def build(self, i: int) -> dict:
        """Build frame i in the engine's scene without rendering it (the panel's Randomize scene),
        in a fresh scene set up for the CPU (nothing renders) unless the job was started; returns
        the frame description."""
        from blender_addon.builders import frame

        if self.scene is None:
            self.open_scene("cpu")
        desc = self.describe(i)
        with self.context():
            frame.build_scene(desc, self.preset.base_dir, self.cache)
        return desc

    def start(self) -> None:
        opts, preset, indices, out, log = self.opts, self.preset, self.indices, self.out, self.log
        _prepare_out(out)
        version = check_blender()
        self.todo = [i for i in indices if not frame_complete(out, frame_stem(i))]
        self.summary.skipped = len(indices) - len(self.todo)
        if self.summary.skipped:
            log(f"[render] {self.summary.skipped} of {len(indices)} frames already finished in {out}; skipping them")
        device = self.open_scene()
        if preset["render"]["device"] == "gpu" and device == "cpu":
            log("[render] warning: --device gpu but no CUDA/OptiX/HIP/oneAPI/Metal device found; rendering on CPU")
        r = preset["render"]
        log(f"[render] Blender {version}, Cycles {device}, {r['resolution'][0]}x{r['resolution'][1]}, "
            f"quality {r['quality']}: {r['samples']} spp, denoise={r['denoise']}({r['denoise_prefilter']}), adaptive={r['adaptive_threshold']}, "
            f"light_tree={r['light_tree']}, frames {indices[0] if indices else '-'}..{indices[-1] if indices else '-'} "
            f"seed {opts.seed}")
        self.run = RunRecord(out, _run_record(opts, preset, version, device, indices))
        if any((out / "scenes").glob("*.json")):  # frames of another preset or seed must not mix in
            if self.run.previous() is None:  # frames from elsewhere (annotate/composite): resuming would relabel them
                raise UserError("holds frames (scenes/*.json) that no render run.json describes; use another --out", out)
            self.run.refuse_other_run(("seed", "preset"), "this folder holds frames rendered with a different {key}; "
                                      "use another --out (or the same options to resume)")
        self.run.write()
        self.tmp_root = _private_tmp(out)
        self.t_start = time.perf_counter()
        self.started = True
        age = profiling.process_age()
        self.summary.startup_seconds = round(age, 3) if age is not None else None

    def context(self):
        """Every bpy call of the engine runs with the engine's scene as the context scene."""
        import bpy

        # Looked up by name each time: in the UI an undo step may have replaced the datablock.
        scene = bpy.data.scenes.get(RENDER_SCENE)
        if scene is None or not scene.get("rescuesynth_engine"):
            raise UserError(f"the engine's scene {RENDER_SCENE!r} was removed while rendering")
        self.scene = scene
        return bpy.context.temp_override(scene=scene, view_layer=scene.view_layers[0])

    def describe(self, i: int) -> dict:
        """The frame description of frame i (pure data): the sampler's, plus the artist's objects."""
        desc = sample_scene(self.preset, self.opts.seed, i, self.assets)
        if self.scene_objects:
            from blender_addon.scene_objects import add_scene_objects

            desc = add_scene_objects(desc, self.scene_objects)
        return desc

    @property
    def remaining(self) -> int:
        return len(self.todo) - self.done

    def mean_seconds(self) -> float:
        f = self.summary.frame_seconds
        return sum(f) / len(f) if f else 0.0

    def eta(self) -> float:
        return self.mean_seconds() * self.remaining

    def step(self) -> bool:
        """Render the next unfinished frame; returns whether frames remain."""
        if self.remaining <= 0:
            return False
        from blender_addon.builders import cleanup, frame

        i = self.todo[self.done]
        t0 = time.perf_counter()
        with profiling.frame(i) as record:
            with profiling.stage("sample"):
                desc = self.describe(i)
            with self.context():
                self.last_frame = frame.render_frame(desc, self.out, self.tmp_root, self.preset.base_dir, self.cache)
        dt = time.perf_counter() - t0
        s = self.summary
        s.stages.append({**record.as_dict(), "datablocks": cleanup.datablock_counts()})
        s.frame_seconds.append(round(dt, 3))
        s.rss_mib.append(round(current_rss_mib(), 1))
        s.rendered += 1
        self.done += 1
        n = self.done
        self.log(f"[render] frame {n}/{len(self.todo)} ({frame_stem(i)}) {dt:.2f} s, {self.mean_seconds():.2f} s/frame, "
                 f"ETA {_fmt_eta(self.eta())}, rss {s.rss_mib[-1]:.0f} MiB")
        sys.stdout.flush()
        return self.remaining > 0

    def close(self) -> None:
        """Timings into run.json, temp files away. Safe to call twice, also after an error."""
        if self.closed or not self.started:
            return
        self.closed = True
        s = self.summary
        s.seconds = round(time.perf_counter() - self.t_start, 3)
        shutil.rmtree(self.tmp_root, ignore_errors=True)
        try:
            self.tmp_root.parent.rmdir()  # only if no other process is using it
        except OSError:
            pass
        self.timings = {"rendered": s.rendered, "skipped": s.skipped, "seconds": s.seconds,
                        "frame_seconds": s.frame_seconds, "rss_mib": s.rss_mib,
                        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                        "startup_seconds": s.startup_seconds, "stages": s.stages}
        self.run.write(timings=self.timings)

    def annotate(self) -> str:
        if self.opts.annotate:
            t0 = time.perf_counter()
            self.summary.annotations = annotate(self.out, self.preset, self.opts, self.log)
            self.summary.annotate_seconds = round(time.perf_counter() - t0, 3)
            if self.timings is not None:  # run.json also says what annotation cost
                self.timings["annotate_seconds"] = self.summary.annotate_seconds
                self.run.write(timings=self.timings)
        return self.summary.annotations


def render_dataset(opts: RenderOptions, log: Callable[[str], None] = print) -> RenderSummary:
    """Render the selected frames (skipping finished ones), then annotate the whole folder."""
    job = RenderJob(opts, log)
    job.start()
    try:
        stop = _CtrlC()
        more = job.remaining > 0
        while more:
            stop.install()
            more = job.step()
            if stop.requested and more:
                raise KeyboardInterrupt
    finally:
        job.close()
    job.annotate()
    return job.summary


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
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(opts).items() if k != "preset_data"},
        "versions": {"blender": version, "python": platform.python_version(), "numpy": _numpy_version(),
                     "rescuesynth": _package_version()},
        "device": device,
        "mask": {"pass": "Cycles Object Index (sample 0, exact integers)",
                 "weather_in_mask": False, "unoccluded": "per-group view layers, 1 spp, in a render call of their own without the world"},
    }


def _numpy_version() -> str:
    import numpy

    return numpy.__version__


def _package_version() -> str:
    try:
        from trainer import __version__

        return __version__
    except ImportError:
        return "unknown"


def _check_formats(formats: tuple[str, ...]) -> None:
    check_formats(formats)  # stdlib-only: works in a stock Blender before anything renders


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
        progress=False, formats=opts.formats,
        info={"preset": preset["scene"]["name"], "seed": opts.seed, "generator": "rescuesynth render"}))
    line = f"annotated {s.frames} frames, {s.instances} instances"
    if s.dropped:
        line += " (dropped: " + ", ".join(f"{k} {v}" for k, v in s.dropped.items()) + ")"
    log(f"[render] {line}; COCO/VIA in {out / 'annotations'}, preview {out / 'preview.png'}")
    for w in s.warnings:
        log(f"[render] warning: {w}")
    return line
