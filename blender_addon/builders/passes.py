"""Render passes: one main view layer (RGB + object index) and a few 'unoccluded' layers.

Masks: Cycles' Object Index pass, written by a compositor File Output node as a 32-bit float
EXR and read back exactly (no Viewer node, no display transform). Cycles writes data passes at a
pixel's first sample only, so values are exact pass indices, never blends.

Weather does not cut labels: the index pass skips surfaces with alpha below the view layer's
pass_alpha_threshold; we set it to 1.0 and give rain/snow alpha < 1 (labelled bodies are opaque).
(The ray continued behind a drop may land a float epsilon away: a rare silhouette pixel flips.)

Unoccluded pixel counts (for visible_fraction): labelled objects are grouped so that objects in a
group have disjoint projected boxes; each group gets a view layer holding only its objects
(no debris, ground, weather, other people), rendered at 1 sample without denoising. Same seed and
sample 0 => the same primary rays as the main layer, so each object's visible mask is a subset
of its unoccluded mask. Usually 1-3 extra layers. They render in a second call of their own with
the world switched off (`render_unoccluded`): in the main call every layer paid again for the sky
texture and the world's importance map, about 1.5 CPU s a layer at 640x480, for an index pass
that never sees the world (measured: the same counts, ~0.1 CPU s a layer).
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

MAIN_LAYER = "main"
UNOCCLUDED = "_unoccluded"  # suffix of the second compositor (5.x node group)
LABELLED = "rescuesynth_labelled"
COMPOSITOR = "rescuesynth_compositor"


def labelled_collection() -> bpy.types.Collection:
    scene = bpy.context.scene
    col = bpy.data.collections.get(LABELLED) or bpy.data.collections.new(LABELLED)
    if col.name not in scene.collection.children:
        scene.collection.children.link(col)
    return col


def object_collection(name: str) -> bpy.types.Collection:
    """Each labelled object sits in its own child collection so view layers can pick it."""
    col = bpy.data.collections.new(f"lbl_{name}")
    labelled_collection().children.link(col)
    return col


def group_disjoint(boxes: list[tuple[float, float, float, float] | None]) -> list[list[int]]:
    """Greedy colouring: indices whose (x0, y0, x1, y1) boxes do not overlap share a group.
    None = off screen (joins any group)."""
    groups: list[list[int]] = []
    for i, b in enumerate(boxes):
        for g in groups:
            if b is None or all(boxes[j] is None or b[2] < boxes[j][0] or boxes[j][2] < b[0]
                                or b[3] < boxes[j][1] or boxes[j][3] < b[1] for j in g):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def setup_layers(groups: list[list[str]], tmp_dir: Path, fog: dict | None = None) -> list[str]:
    """(Re)create the view layers and the compositor for this frame; returns the EXR names of the
    unoccluded layers in group order. groups: object names per unoccluded layer. fog: haze
    composited over the photo by the Mist pass (never touches the index passes)."""
    scene = bpy.context.scene
    main = scene.view_layers[0]
    main.name = MAIN_LAYER
    for vl in list(scene.view_layers)[1:]:
        scene.view_layers.remove(vl)
    main.use_pass_object_index = True
    main.use_pass_mist = bool(fog)
    main.pass_alpha_threshold = 1.0
    main.samples = 0
    scene.cycles.use_layer_samples = "USE"
    names = []
    for k, members in enumerate(groups):
        vl = scene.view_layers.new(f"unoccluded_{k}")
        vl.use_pass_object_index = True
        vl.pass_alpha_threshold = 1.0
        vl.samples = 1
        vl.cycles.use_denoising = False
        vl.use = False  # rendered by render_unoccluded(), not with the main layer
        keep = {f"lbl_{m}" for m in members}
        for lc in vl.layer_collection.children:
            if lc.name == LABELLED:
                for child in lc.children:
                    child.exclude = child.name not in keep
            else:
                lc.exclude = True  # ground, debris, weather, lights
        names.append(vl.name)
    main.use = True
    _compositor([MAIN_LAYER], tmp_dir, fog)
    return names


def render_unoccluded(names: list[str], tmp_dir: Path, render) -> None:
    """Render the unoccluded layers `names` (made by setup_layers) with `render()`, in a call of
    their own: main layer off, world off (it changes no index value, and costs each layer the sky
    texture and the world's importance map), a compositor writing only <layer>.exr. The scene is
    left as it was, so the next main render (or a preview) sees its world and layers again."""
    if not names:
        return
    scene = bpy.context.scene
    layers = [scene.view_layers[n] for n in names]
    main, world = scene.view_layers[MAIN_LAYER], scene.world
    main_group = getattr(scene, "compositing_node_group", None)
    try:
        main.use = False
        for vl in layers:
            vl.use = True
        scene.world = None
        _compositor(names, tmp_dir)
        render()
    finally:
        scene.world = world
        main.use = True
        for vl in layers:
            vl.use = False
        if main_group is not None:
            scene.compositing_node_group = main_group


def _fogged(ng, main, fog: dict):
    """Photo -> photo in fog/dust. Mist pass (linear, 0 at the camera, 1 where ~90% of the light
    is scattered) mixes the image towards its own heavily blurred, desaturated self, so the haze
    takes the scene's brightness and tint without a separate fog colour to expose."""
    mist = bpy.context.scene.world.mist_settings
    mist.start = 0.0
    mist.depth = 2.3 / max(fog["density"], 1e-4)
    mist.falloff = "LINEAR"
    blur = ng.nodes.new("CompositorNodeBlur")
    w = bpy.context.scene.render.resolution_x
    blur.inputs["Size"].default_value = (w / 6, w / 6)
    ng.links.new(main.outputs["Image"], blur.inputs["Image"])
    hs = ng.nodes.new("CompositorNodeHueSat")
    hs.inputs["Saturation"].default_value = 0.6 if fog.get("dust") else 0.25
    hs.inputs["Value"].default_value = 1.25
    ng.links.new(blur.outputs[0], hs.inputs["Image"])
    tint = hs.outputs[0]
    if fog.get("dust"):
        warm = ng.nodes.new("ShaderNodeMix")
        warm.data_type = "RGBA"
        warm.blend_type = "MULTIPLY"
        warm.inputs["Factor"].default_value = 1.0
        warm.inputs[7].default_value = (1.0, 0.8, 0.6, 1.0)
        ng.links.new(tint, warm.inputs[6])
        tint = warm.outputs[2]
    amount = ng.nodes.new("ShaderNodeMath")
    amount.operation = "MULTIPLY"
    amount.use_clamp = True
    amount.inputs[1].default_value = 0.75  # distant things stay faintly visible
    ng.links.new(main.outputs["Mist"], amount.inputs[0])
    mix = ng.nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    ng.links.new(amount.outputs[0], mix.inputs["Factor"])
    ng.links.new(main.outputs["Image"], mix.inputs[6])
    ng.links.new(tint, mix.inputs[7])
    return mix.outputs[2]


def _compositor(layers: list[str], tmp_dir: Path, fog: dict | None = None) -> None:
    """File Output node writing into tmp_dir: for the main layer rgb.png and index.exr, for an
    unoccluded layer <layer>.exr. Blender 5.x keeps the compositor in scene.compositing_node_group
    with File Output *items* (one group for the main call, one for the unoccluded call); 4.2-4.5
    use scene.node_tree with file *slots* (and append the frame number to each name)."""
    group = COMPOSITOR if MAIN_LAYER in layers else COMPOSITOR + UNOCCLUDED
    if hasattr(bpy.context.scene, "compositing_node_group"):
        ng, out, add = _output_node_5x(tmp_dir, group)
    else:
        ng, out, add = _output_node_4x(tmp_dir)
    fmt = out.format
    fmt.file_format = "OPEN_EXR"
    fmt.color_depth = "32"
    try:
        fmt.color_mode = "BW"  # one channel: smaller files (5.x); 4.x EXR offers RGB/RGBA only
    except TypeError:
        fmt.color_mode = "RGB"
    fmt.exr_codec = "ZIP"
    if MAIN_LAYER in layers:
        main = ng.nodes.new("CompositorNodeRLayers")
        main.layer = MAIN_LAYER
        rgb_socket, rgb_format = add("rgb", "RGBA", own_format=True)
        rgb_format.file_format = "PNG"
        rgb_format.color_mode = "RGB"
        rgb_format.color_depth = "8"
        rgb_format.compression = 15
        ng.links.new(_fogged(ng, main, fog) if fog else main.outputs["Image"], rgb_socket)
        ng.links.new(_index_socket(main), add("index", "FLOAT")[0])
    for name in layers:
        if name == MAIN_LAYER:
            continue
        rl = ng.nodes.new("CompositorNodeRLayers")
        rl.layer = name
        ng.links.new(_index_socket(rl), add(name, "FLOAT")[0])


def _index_socket(render_layers):
    """The Object Index output ('Object Index' in 5.x, 'IndexOB' in 4.x)."""
    outputs = render_layers.outputs
    return outputs["Object Index"] if "Object Index" in outputs else outputs["IndexOB"]


def _output_node_5x(tmp_dir: Path, name: str = COMPOSITOR):
    scene = bpy.context.scene
    old = bpy.data.node_groups.get(name)
    if old is not None:
        bpy.data.node_groups.remove(old)
    ng = bpy.data.node_groups.new(name, "CompositorNodeTree")
    scene.compositing_node_group = ng
    out = ng.nodes.new("CompositorNodeOutputFile")
    out.directory = str(tmp_dir) + "/"
    out.file_name = ""
    out.format.media_type = "IMAGE"

    def add(name: str, socket_type: str, own_format: bool = False):
        item = out.file_output_items.new(socket_type, name)
        fmt = None
        if own_format:
            item.override_node_format = True
            item.save_as_render = True  # the view transform applies to the photo, never to index data
            item.format.media_type = "IMAGE"
            fmt = item.format
        return out.inputs[name], fmt

    return ng, out, add


def _output_node_4x(tmp_dir: Path):
    scene = bpy.context.scene
    scene.use_nodes = True
    ng = scene.node_tree
    ng.nodes.clear()
    out = ng.nodes.new("CompositorNodeOutputFile")
    out.base_path = str(tmp_dir) + "/"
    out.file_slots.clear()

    def add(name: str, socket_type: str, own_format: bool = False):
        out.file_slots.new(name)  # returns the input socket; the slot is the last one
        slot = out.file_slots[len(out.file_slots) - 1]
        fmt = None
        if own_format:
            slot.use_node_format = False
            slot.save_as_render = True
            fmt = slot.format
        return out.inputs[len(out.file_slots) - 1], fmt

    return ng, out, add


def output_file(tmp_dir: Path, name: str, ext: str) -> Path:
    """The File Output node's file for `name` (4.x appends the frame number, always 1: rgb0001.png)."""
    for candidate in (tmp_dir / f"{name}{ext}", tmp_dir / f"{name}0001{ext}"):
        if candidate.is_file():
            return candidate
    raise RuntimeError(f"{tmp_dir}: the compositor did not write {name}{ext}")


def read_index_exr(path: Path) -> np.ndarray:
    """Float EXR written above -> (H, W) uint16 pass indices, top row first. Fails loudly on a
    non-integer value: that would mean the pass was filtered, i.e. a broken mask."""
    img = bpy.data.images.load(str(path), check_existing=False)
    try:
        img.colorspace_settings.is_data = True
        w, h = img.size
        buf = np.empty(w * h * img.channels, dtype=np.float32)
        img.pixels.foreach_get(buf)
    finally:
        bpy.data.images.remove(img)
    values = buf.reshape(h, w, -1)[::-1, :, 0]
    ints = np.rint(values)
    if np.abs(values - ints).max() > 1e-3 or ints.min() < 0 or ints.max() > 65535:
        raise RuntimeError(f"{path}: object index pass is not integral")
    return ints.astype(np.uint16)
