"""Where a frame's time goes: wall and CPU seconds per stage, for every frame the engine renders.

The engine times its own steps with `stage(name)` (sampling, building, depsgraph, file writes)
and reads the Cycles render as a timeline of Cycles' status messages (`bpy.app.handlers.
render_stats`). Every view layer goes through the same messages:

    Synchronizing object ... | Updating Scene BVH ... | Updating Images / Lights ... | Sample 0/N | Finished

and the compositor runs after the last layer ("Compositing"). `CyclesTimeline.split()` turns that
into sync, BVH, scene update (images such as the sky texture, light and world importance maps),
path tracing, extra view layers and compositor seconds. Cycles says nothing when it denoises (it
is inside 'Sample N/N' .. 'Finished'), so denoising is measured apart (bench/render.py --profile).

Recording is always on and costs a few microseconds per stage; the per-frame records go into
RenderSummary.stages and run.json ("timings" -> "stages"). Pure Python: bpy is only imported by
`CyclesTimeline.attach`.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import time
from collections.abc import Iterator

# Table order. "denoise" and "annotate" are filled in by the benchmark (measured apart).
STAGES = ("startup", "sample", "build", "depsgraph", "sync", "bvh", "scene_update", "path_trace", "denoise",
          "extra_layers", "compositor", "files", "annotate")
LABELS = {"startup": "process start-up", "sample": "sampling (pure data)", "build": "building objects/materials",
          "depsgraph": "depsgraph evaluation", "sync": "Cycles sync (objects, shaders)", "bvh": "BVH build",
          "scene_update": "scene update (sky image, light/world maps)", "path_trace": "path tracing",
          "denoise": "denoising", "extra_layers": "extra view layers (unoccluded)",
          "compositor": "compositor (EXR/PNG out)", "files": "reading EXR, PNG/JSON writes",
          "annotate": "annotation (COCO/VIA)"}


def cpu_seconds() -> float:
    """CPU time of the whole process (all threads: Cycles renders on several)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class FrameRecord:
    """Stage -> [wall s, cpu s] for one frame."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.open: list[list[float]] = []  # time already given to stages nested in each open stage

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall[name] = self.wall.get(name, 0.0) + max(wall, 0.0)
        self.cpu[name] = self.cpu.get(name, 0.0) + max(cpu, 0.0)
        if self.open:
            self.open[-1][0] += wall
            self.open[-1][1] += cpu

    def as_dict(self) -> dict:
        return {"frame": self.index, "wall": {k: round(v, 4) for k, v in self.wall.items()},
                "cpu": {k: round(v, 4) for k, v in self.cpu.items()}}


_current: FrameRecord | None = None


@contextlib.contextmanager
def frame(index: int) -> Iterator[FrameRecord]:
    """Record the stages of frame `index` (nested `stage()` calls anywhere in the engine)."""
    global _current
    rec, outer = FrameRecord(index), _current
    _current = rec
    try:
        yield rec
    finally:
        _current = outer


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Time a block as stage `name` of the frame being recorded (a no-op outside `frame()`).
    Stages nest: an outer stage is charged only the time its inner stages did not take."""
    rec = _current
    if rec is None:
        yield
        return
    w0, c0 = time.perf_counter(), cpu_seconds()
    rec.open.append([0.0, 0.0])
    try:
        yield
    finally:
        inner = rec.open.pop()  # nested stages count once, as themselves
        rec.add(name, time.perf_counter() - w0 - inner[0], cpu_seconds() - c0 - inner[1])


def add(name: str, wall: float, cpu: float) -> None:
    if _current is not None:
        _current.add(name, wall, cpu)


def process_age() -> float | None:
    """Seconds since this process started (Linux /proc), or None where that is unknown."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class CyclesTimeline:
    """Cycles' status messages with wall and CPU timestamps, split into render stages."""

    def __init__(self) -> None:
        self.events: list[tuple[float, float, str]] = []
        self._handler = None

    @contextlib.contextmanager
    def attach(self) -> Iterator[CyclesTimeline]:
        """Listen to render_stats while the block runs (one bpy.ops.render.render call)."""
        import bpy

        @bpy.app.handlers.persistent
        def on_stats(text) -> None:
            self.events.append((time.perf_counter(), cpu_seconds(), str(text)))

        self.events.clear()
        bpy.app.handlers.render_stats.append(on_stats)
        self.events.append((time.perf_counter(), cpu_seconds(), "<start>"))
        try:
            yield self
        finally:
            self.events.append((time.perf_counter(), cpu_seconds(), "<end>"))
            with contextlib.suppress(ValueError):
                bpy.app.handlers.render_stats.remove(on_stats)

    def split(self) -> dict[str, tuple[float, float]]:
        """Stage -> (wall, cpu) for the render call. The first view layer is the main one; time
        spent on later layers is 'extra_layers'. Unrecognised messages stay in their layer's
        sync time, so the stages always add up to the whole call."""
        ev = self.events
        if len(ev) < 2:
            return {}
        out: dict[str, list[float]] = {}

        def put(name: str, a: tuple, b: tuple) -> None:
            acc = out.setdefault(name, [0.0, 0.0])
            acc[0] += b[0] - a[0]
            acc[1] += b[1] - a[1]

        comp = next((k for k, e in enumerate(ev) if e[2].startswith("Compositing")), len(ev) - 1)
        main_end = next((k for k in range(comp) if ev[k][2].endswith("Finished")), comp)
        # main layer: start .. 'Scene BVH' .. (images, lights) .. 'Sample 0/N' .. 'Finished'
        seg = range(main_end + 1)
        bvh = next((k for k in seg if "Scene BVH" in ev[k][2]), None)
        post = next((k for k in seg if bvh is not None and k > bvh and "BVH" not in ev[k][2]), None)
        trace = next((k for k in seg if "Sample 0/" in ev[k][2]), None)
        points = [(0, "sync")]
        for k, name in ((bvh, "bvh"), (post, "scene_update"), (trace, "path_trace")):
            if k is not None and k > points[-1][0]:
                points.append((k, name))
        for (a, name), (b, _) in zip(points, points[1:] + [(main_end, "")]):
            put(name, ev[a], ev[b])
        if comp > main_end:
            put("extra_layers", ev[main_end], ev[comp])
        put("compositor", ev[comp], ev[-1])
        return {k: (v[0], v[1]) for k, v in out.items()}


def medians(records: list[dict], key: str = "wall") -> dict[str, float]:
    names = {n for r in records for n in r.get(key, {})}
    return {n: statistics.median(r.get(key, {}).get(n, 0.0) for r in records) for n in names}


def table(records: list[dict], key: str = "wall", startup: float | None = None, per_frame: bool = True) -> str:
    """Text table, one row per stage: each frame's seconds (if per_frame), the median and its share
    of the median frame. `startup` (once per process) is shown apart from the per-frame sum."""
    rows = [n for n in STAGES if any(n in r.get(key, {}) for r in records)]
    med = medians(records, key)
    totals = [sum(r.get(key, {}).values()) for r in records]
    total = statistics.median(totals) if totals else 0.0
    head = f"{'stage (' + key + ' s)':46s}" + ("".join(f"{'f' + str(r['frame']):>9s}" for r in records)
                                                if per_frame else "") + f"{'median':>9s}{'share':>8s}"
    lines = [head]
    if startup is not None:
        lines.append(f"{LABELS['startup'] + ' (once)':46s}" + (" " * 9 * len(records) if per_frame else "")
                     + f"{startup:9.2f}")
    for n in rows:
        cells = "".join(f"{r.get(key, {}).get(n, 0.0):9.2f}" for r in records) if per_frame else ""
        share = f"{100 * med[n] / total:7.1f}%" if total else ""
        lines.append(f"{LABELS.get(n, n):46s}{cells}{med[n]:9.2f}{share}")
    lines.append(f"{'frame total':46s}" + ("".join(f"{v:9.2f}" for v in totals) if per_frame else "")
                 + f"{total:9.2f}")
    return "\n".join(lines)
