"""The panel's operators. They only gather settings and call the engine (blender_addon.engine):
the same RenderJob as `render.py`, so a frame from the panel equals the CLI's frame byte for byte.

User mistakes (bad preset, unwritable folder, ...) are `UserError`s from the engine or the preset
code; operators turn them into one ERROR report line and return CANCELLED.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import bpy

from blender_addon.addon import mapping
from blender_addon.scene_objects import CLASS_PROPERTY, check_categories
from trainer.errors import UserError

SOURCE_KEY = "rescuesynth_source"  # on the engine's scene: the artist's scene it was made from
SKIP_TYPES = {"CAMERA", "LIGHT", "LIGHT_PROBE", "SPEAKER", "ARMATURE", "LATTICE"}


# ---------------------------------------------------------------- settings -> engine options

def artist_scene(context) -> bpy.types.Scene:
    """The scene whose settings the panel shows; while the engine's scene is on screen, its source."""
    scene = context.scene
    if scene.get("rescuesynth_engine"):
        src = bpy.data.scenes.get(scene.get(SOURCE_KEY, ""))
        if src is not None:
            return src
    return scene


def settings_of(context):
    return artist_scene(context).rescuesynth


def preset_path(s) -> Path:
    if s.preset in ("", "NONE"):
        raise UserError("no preset selected (no *.toml files in the presets folder)", bpy.path.abspath(s.presets_dir))
    return Path(bpy.path.abspath(s.presets_dir)) / f"{s.preset}.toml"


def load_into(s) -> bool:
    """Fill the panel from the selected preset file; errors go to s.status (one line)."""
    from blender_addon.preset import load_preset

    try:
        path = preset_path(s)
        p = load_preset(path)
    except UserError as exc:
        s.status = f"error: {exc}"
        return False
    r, o = p["render"], p["output"]
    s.resolution_x, s.resolution_y = r["resolution"]
    s.quality = r["quality"]  # first: choosing a quality sets the samples field
    s.samples = r["samples"]
    s.device = r["device"]
    s.segmentation = o["segmentation"]
    s.min_pixels = o["min_pixels"]
    s.min_visible_fraction = o["min_visible_fraction"]
    s.min_extent = o["min_extent"]
    for name in mapping.TOGGLES:
        setattr(s, f"rand_{name}", True)
    s.camera_mode = "preset"
    s.loaded = str(path)
    s.status = f"loaded {path.name}: {p['scene']['description'] or p['scene']['name']}"
    return True


def panel_preset(s):
    """(path, preset dict) as the panel shows it: the file's values with the panel's choices. Not
    validated here: the engine validates it once when it makes the job (saving validates too)."""
    from blender_addon.preset import load_preset

    path = preset_path(s)
    if s.loaded != str(path) and not load_into(s):
        raise UserError(s.status.removeprefix("error: "))
    base = load_preset(path)
    data = mapping.apply_panel(
        base.data,
        toggles={name: getattr(s, f"rand_{name}") for name in mapping.TOGGLES},
        camera_mode=s.camera_mode,
        filters={"segmentation": s.segmentation, "min_pixels": s.min_pixels,
                 "min_visible_fraction": round(s.min_visible_fraction, 6), "min_extent": s.min_extent},
        render={"resolution": [s.resolution_x, s.resolution_y], "samples": s.samples, "device": s.device,
                **mapping.quality_render(s.quality, (base.given or {}).get("render", {}))})
    return path, data


def formats_of(s) -> tuple[str, ...]:
    return tuple(f for f, on in (("coco", s.fmt_coco), ("via", s.fmt_via)) if on)


def collect_scene_objects(scene: bpy.types.Scene) -> list[dict]:
    """The artist's renderable objects as pure data (sorted by name, so pass indices are stable)."""
    items = []
    for obj in sorted(scene.objects, key=lambda o: o.name):
        if obj.type in SKIP_TYPES or obj.hide_render:
            continue
        cat = obj.get(CLASS_PROPERTY)
        if cat and obj.type != "MESH":
            raise UserError(f"object {obj.name!r} is labelled {cat!r} but is a {obj.type.lower()}; "
                            "only mesh objects can be labelled")
        items.append({"source": obj.name, "category": str(cat) if cat else None,
                      "matrix_world": [list(row) for row in obj.matrix_world]})
    return items


def make_options(context, *, count: int, start: int = 0, out: Path | None = None, annotate: bool = True):
    from blender_addon.engine import RenderOptions

    s = settings_of(context)
    path, data = panel_preset(s)
    formats = formats_of(s)
    if annotate and not formats:
        raise UserError("choose at least one annotation format (COCO or VIA)")
    if out is None:
        if not s.output_dir.strip():
            raise UserError("no output folder set")
        out = Path(bpy.path.abspath(s.output_dir))
    items = None
    if s.include_scene_objects:
        items = collect_scene_objects(artist_scene(context))
        problem = check_categories(items, data["output"]["categories"])
        if problem:
            raise UserError(problem)
    opts = RenderOptions(preset=path, out=out, count=count, seed=s.seed, start=start, preset_data=data,
                         formats=formats or ("coco", "via"), annotate=annotate)
    return opts, items


def new_job(context, opts, items, log):
    from blender_addon.engine import RenderJob

    source = artist_scene(context)
    job = RenderJob(opts, log, reset=False, scene_objects=items)
    job.start()
    job.scene[SOURCE_KEY] = source.name
    return job


# ---------------------------------------------------------------- generation state (for the panel)

@dataclass
class Progress:
    running: bool = False
    cancel: bool = False
    done: int = 0
    total: int = 0
    seconds_per_frame: float = 0.0
    eta: float = 0.0
    out: str = ""
    message: str = ""

    def text(self) -> str:
        return (f"RescueSynth: frame {self.done}/{self.total}, {self.seconds_per_frame:.1f} s/frame, "
                f"ETA {fmt_seconds(self.eta)} (Esc cancels)")


PROGRESS = Progress()


def fmt_seconds(s: float) -> str:
    s = round(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def _log(line: str) -> None:
    print(line, flush=True)  # the engine's progress lines go to Blender's console


def _redraw(context) -> None:
    wm = context.window_manager
    for win in wm.windows:
        for area in win.screen.areas:
            if area.type in ("VIEW_3D", "STATUSBAR"):
                area.tag_redraw()


def _status(context, text: str | None) -> None:
    ws = getattr(context, "workspace", None)
    if ws is not None:
        ws.status_text_set(text)


# ---------------------------------------------------------------- operators

class RESCUESYNTH_OT_preset_load(bpy.types.Operator):
    """Load the selected preset's values into the panel (randomizers back on)"""
    bl_idname = "rescuesynth.preset_load"
    bl_label = "Load preset"

    def execute(self, context):
        s = settings_of(context)
        if not load_into(s):
            self.report({"ERROR"}, s.status.removeprefix("error: "))
            return {"CANCELLED"}
        self.report({"INFO"}, s.status)
        return {"FINISHED"}


class RESCUESYNTH_OT_preset_save(bpy.types.Operator):
    """Write the panel's settings as a preset (scene TOML) into the presets folder"""
    bl_idname = "rescuesynth.preset_save"
    bl_label = "Save preset"

    def execute(self, context):
        from blender_addon.preset import save_preset

        s = settings_of(context)
        name = s.save_name.strip()
        try:
            if not name or "/" in name or "\\" in name or name.startswith("."):
                raise UserError(f"preset name {name!r}: use a plain file name")
            _, data = panel_preset(s)
            data["scene"]["name"] = name
            target = Path(bpy.path.abspath(s.presets_dir)) / f"{name}.toml"
            save_preset(data, target)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        s.preset = name  # reloads it: the panel shows what the file now says
        self.report({"INFO"}, f"saved {target}")
        return {"FINISHED"}


class RESCUESYNTH_OT_randomize(bpy.types.Operator):
    """Build one sampled frame (the preview frame index) in the scene "rescuesynth_render" and show it.
    Your own scene is not touched; randomizing again replaces the sample"""
    bl_idname = "rescuesynth.randomize"
    bl_label = "Randomize scene"

    @classmethod
    def poll(cls, context):
        return not PROGRESS.running

    def execute(self, context):
        from blender_addon.engine import RenderJob

        s = settings_of(context)
        source = artist_scene(context)
        try:
            opts, items = make_options(context, count=1, start=s.preview_frame, out=Path(bpy.app.tempdir))
            job = RenderJob(opts, _log, reset=False, scene_objects=items)
            desc = job.build(s.preview_frame)
            job.scene[SOURCE_KEY] = source.name
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        scene = job.scene
        if context.window is not None:
            context.window.scene = scene
        people = len(desc["objects"])
        self.report({"INFO"}, f"frame {s.preview_frame} (seed {s.seed}): {people} labelled objects, "
                              f"{len(desc['debris'])} debris, {desc['camera']['mode']} camera, "
                              f"{desc['weather'].get('condition', 'clear')}; shown in scene {scene.name!r}")
        return {"FINISHED"}


class RESCUESYNTH_OT_back(bpy.types.Operator):
    """Show your own scene again (the sample stays in scene "rescuesynth_render")"""
    bl_idname = "rescuesynth.back"
    bl_label = "Back to my scene"

    @classmethod
    def poll(cls, context):
        return bool(context.window and context.scene.get("rescuesynth_engine"))

    def execute(self, context):
        context.window.scene = artist_scene(context)
        return {"FINISHED"}


class RESCUESYNTH_OT_clear(bpy.types.Operator):
    """Delete the add-on's scene "rescuesynth_render" and everything built in it"""
    bl_idname = "rescuesynth.clear"
    bl_label = "Remove sample scene"

    @classmethod
    def poll(cls, context):
        from blender_addon.engine import RENDER_SCENE

        return not PROGRESS.running and RENDER_SCENE in bpy.data.scenes

    def execute(self, context):
        from blender_addon.builders import cleanup
        from blender_addon.engine import RENDER_SCENE

        scene = bpy.data.scenes[RENDER_SCENE]
        source = bpy.data.scenes.get(scene.get(SOURCE_KEY, "")) or next(
            (x for x in bpy.data.scenes if x != scene), None)
        if source is None:
            self.report({"ERROR"}, "cannot remove the only scene")
            return {"CANCELLED"}
        for win in context.window_manager.windows:
            if win.scene == scene:
                win.scene = source
        with context.temp_override(scene=scene, view_layer=scene.view_layers[0]):
            cleanup.clear_frame()
        world = scene.world
        bpy.data.scenes.remove(scene)
        if world is not None and world.users == 0:
            bpy.data.worlds.remove(world)
        self.report({"INFO"}, "removed scene rescuesynth_render")
        return {"FINISHED"}


class RESCUESYNTH_OT_preview(bpy.types.Operator):
    """Render the preview frame with the engine and show it with its mask overlay
    (image "RescueSynth Preview")"""
    bl_idname = "rescuesynth.preview"
    bl_label = "Render preview"

    @classmethod
    def poll(cls, context):
        return not PROGRESS.running

    def execute(self, context):
        from blender_addon.addon import preview

        s = settings_of(context)
        out = Path(bpy.app.tempdir) / "rescuesynth_preview"
        shutil.rmtree(out, ignore_errors=True)
        try:
            opts, items = make_options(context, count=1, start=s.preview_frame, out=out, annotate=False)
            job = new_job(context, opts, items, _log)
            try:
                job.step()
            finally:
                job.close()
            stem = f"frame_{s.preview_frame:06d}"
            img = preview.load_overlay(out / "images" / f"{stem}.png", out / "masks" / f"{stem}.png",
                                       out / "preview_overlay.png")
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        shown = preview.show_image(context, img)
        objs = job.last_frame["objects"] if job.last_frame else []
        visible = sum(1 for o in objs if o.get("visible_px"))
        self.report({"INFO"}, f"preview: {visible} of {len(objs)} labelled objects visible, "
                              f"{job.summary.frame_seconds[-1]:.1f} s; image {img.name!r}"
                              + ("" if shown else " (open an Image Editor to see it)"))
        return {"FINISHED"}


class RESCUESYNTH_OT_generate(bpy.types.Operator):
    """Render the dataset with the engine, one frame at a time (Esc cancels; finished frames are kept
    and annotated)"""
    bl_idname = "rescuesynth.generate"
    bl_label = "Generate dataset"

    _timer = None
    _job = None

    @classmethod
    def poll(cls, context):
        return not PROGRESS.running

    def _begin(self, context) -> bool:
        s = settings_of(context)
        try:
            opts, items = make_options(context, count=s.count)
            self._job = new_job(context, opts, items, _log)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return False
        PROGRESS.running, PROGRESS.cancel = True, False
        PROGRESS.done, PROGRESS.total = 0, len(self._job.todo)
        PROGRESS.seconds_per_frame = PROGRESS.eta = 0.0
        PROGRESS.out = str(opts.out)
        PROGRESS.message = (f"{self._job.summary.skipped} frames already there, resuming"
                            if self._job.summary.skipped else "starting")
        return True

    def _step(self) -> str | None:
        """One frame; returns an error line or None."""
        try:
            self._job.step()
        except (UserError, RuntimeError, OSError) as exc:
            return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        PROGRESS.done = self._job.done
        PROGRESS.seconds_per_frame = self._job.mean_seconds()
        PROGRESS.eta = self._job.eta()
        return None

    def _end(self, context, error: str | None = None, cancelled: bool = False) -> set[str]:
        job = self._job
        PROGRESS.running = False
        job.close()
        note = ""
        try:
            note = job.annotate() if job.done + job.summary.skipped else "no frames"
        except UserError as exc:
            error = error or str(exc)
        where = f"{job.done} new frames ({job.summary.skipped} already there) in {job.out}"
        if error:
            PROGRESS.message = f"stopped by an error after {where}: {error}"
            self.report({"ERROR"}, f"{error} ({job.done} frames finished in {job.out})")
            return {"CANCELLED"}
        PROGRESS.message = f"{'cancelled: ' if cancelled else 'done: '}{where}; {note}"
        self.report({"WARNING" if cancelled else "INFO"}, PROGRESS.message)
        return {"CANCELLED"} if cancelled else {"FINISHED"}

    def execute(self, context):
        """Blocking run (background mode, scripts): the same steps without the event loop."""
        if not self._begin(context):
            return {"CANCELLED"}
        while self._job.remaining > 0:
            error = self._step()
            if error:
                return self._end(context, error)
        return self._end(context)

    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        if not self._begin(context):
            return {"CANCELLED"}
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.05, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, max(1, PROGRESS.total))
        _status(context, PROGRESS.text())
        return {"RUNNING_MODAL"}

    def _finish_modal(self, context, error=None, cancelled=False):
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        _status(context, None)
        result = self._end(context, error, cancelled)
        _redraw(context)
        return result

    def modal(self, context, event):
        if (event.type == "ESC" and event.value == "PRESS") or PROGRESS.cancel:
            return self._finish_modal(context, cancelled=True)
        if event.type == "Z" and (event.ctrl or event.oskey):
            self.report({"WARNING"}, "undo is off while a dataset is generating (Esc cancels)")
            return {"RUNNING_MODAL"}  # undo would swap the datablocks the engine is building
        if event.type == "TIMER" and event.timer is self._timer:
            if self._job.remaining <= 0:
                return self._finish_modal(context)
            t0 = time.perf_counter()
            error = self._step()
            if error:
                return self._finish_modal(context, error)
            PROGRESS.message = f"last frame {time.perf_counter() - t0:.1f} s"
            context.window_manager.progress_update(PROGRESS.done)
            _status(context, PROGRESS.text())
            _redraw(context)
            if self._job.remaining <= 0:
                return self._finish_modal(context)
        return {"PASS_THROUGH"}


class RESCUESYNTH_OT_cancel(bpy.types.Operator):
    """Stop generating after the frame in flight (finished frames are kept and annotated)"""
    bl_idname = "rescuesynth.cancel"
    bl_label = "Cancel"

    @classmethod
    def poll(cls, context):
        return PROGRESS.running

    def execute(self, context):
        PROGRESS.cancel = True
        return {"FINISHED"}


class RESCUESYNTH_OT_label_set(bpy.types.Operator):
    """Label the selected mesh objects with the chosen class (custom property rescuesynth_class)"""
    bl_idname = "rescuesynth.label_set"
    bl_label = "Label selected"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 (Blender reads a set)

    def execute(self, context):
        cls = settings_of(context).label_class
        objs = [o for o in context.selected_objects if o.type == "MESH"]
        if not objs:
            self.report({"ERROR"}, "select one or more mesh objects to label")
            return {"CANCELLED"}
        for o in objs:
            o[CLASS_PROPERTY] = cls
        self.report({"INFO"}, f"labelled {len(objs)} objects {cls!r}")
        return {"FINISHED"}


class RESCUESYNTH_OT_label_clear(bpy.types.Operator):
    """Remove the class label from the selected objects"""
    bl_idname = "rescuesynth.label_clear"
    bl_label = "Clear label"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 (Blender reads a set)

    def execute(self, context):
        n = 0
        for o in context.selected_objects:
            if CLASS_PROPERTY in o:
                del o[CLASS_PROPERTY]
                n += 1
        self.report({"INFO"}, f"cleared {n} labels")
        return {"FINISHED"}


CLASSES = (RESCUESYNTH_OT_preset_load, RESCUESYNTH_OT_preset_save, RESCUESYNTH_OT_randomize, RESCUESYNTH_OT_back,
           RESCUESYNTH_OT_clear, RESCUESYNTH_OT_preview, RESCUESYNTH_OT_generate, RESCUESYNTH_OT_cancel,
           RESCUESYNTH_OT_label_set, RESCUESYNTH_OT_label_clear)
