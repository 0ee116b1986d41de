"""Body meshes (OBJ / glTF / FBX / .blend) -> one dressed, labelled object per person.

Each file is imported once per run (cached mesh with a fake user, like debris assets); a person
gets a copy with the helmet joined in (one object = one pass index) and its own materials:
- region materials by slot name (skin, jacket, pants, boots, gloves: bodies from
  `trainer assets rescuers`), jacket/pants with reflective bands from the vertex colour R
  (stripes computed on the rest body, so they follow the limbs);
- other files: one material that picks the region by height (boots, trousers, jacket, skin) and
  puts the bands at fixed heights (right for upright bodies only);
- every cloth material: colour/roughness jitter and mud/dust from the ground up (noise).
.blend files: mesh data only (`libraries.load`), never scripts. A file that fails to import is
skipped with a warning naming it; the person falls back to the procedural humanoid.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import bmesh
import bpy
import numpy as np
from mathutils import Matrix

from blender_addon.bodies import AssetWarning, helmet_mesh
from blender_addon.builders.objects import link, new_material
from trainer.errors import UserError

REGIONS = ("skin", "jacket", "pants", "boots", "gloves")
STRIPE_COLOR = (0.8, 0.82, 0.8)


def _import_objects(path: Path) -> list[bpy.types.Object]:
    from blender_addon.builders.frame import quiet_stdout  # importers print timings on stdout

    before = set(bpy.data.objects)
    ext = path.suffix.lower()
    with quiet_stdout():
        if ext == ".obj":
            bpy.ops.wm.obj_import(filepath=str(path))
        elif ext in (".glb", ".gltf"):
            bpy.ops.import_scene.gltf(filepath=str(path))
        elif ext == ".fbx":
            bpy.ops.import_scene.fbx(filepath=str(path))
        else:
            raise UserError("unsupported body format", path)
    return [o for o in bpy.data.objects if o not in before]


def load_body_mesh(path: Path, normalize: bool) -> bpy.types.Mesh:
    """All mesh parts of the file joined into one mesh in the body frame (Z up, feet at z=0);
    `normalize`: centre x/y and (FBX/.blend) scale to height 1, as bodies.describe assumes."""
    ext = path.suffix.lower()
    parts: list = []  # (mesh, mathutils.Matrix world transform)
    new_objs: list[bpy.types.Object] = []
    try:
        if ext == ".blend":
            with bpy.data.libraries.load(str(path), link=False) as (src, dst):
                dst.meshes = list(src.meshes)
            parts = [(m, Matrix.Identity(4)) for m in dst.meshes if m is not None]
        else:
            with warnings.catch_warnings():
                new_objs = _import_objects(path)
            parts = [(o.data, o.matrix_world.copy()) for o in new_objs if o.type == "MESH"]  # importers rotate objects
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise UserError(f"cannot import ({str(exc).strip().splitlines()[-1][:160] if str(exc).strip() else type(exc).__name__})", path) from None
    if not parts:
        bpy.data.batch_remove(new_objs)
        raise UserError("no mesh in file", path)
    mesh = parts[0][0].copy()
    mesh.transform(parts[0][1])
    mesh.name = f"body:{path.name}"
    for me, mw in parts[1:]:  # several parts: append them (material slots offset)
        _append_mesh(mesh, me, mw)
    bpy.data.batch_remove(new_objs + [m for m, _ in parts if m.users == 0])
    co = np.empty(len(mesh.vertices) * 3, np.float32)
    mesh.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    if not len(co) or not np.isfinite(co).all():
        raise UserError("mesh has no usable vertices", path)
    if normalize:
        lo, hi = co.min(0), co.max(0)
        co = co - np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]], np.float32)
        if ext in (".fbx", ".blend"):
            co /= max(float(hi[2] - lo[2]), 1e-6)
        mesh.vertices.foreach_set("co", co.ravel())
        mesh.update()
    mesh.use_fake_user = True
    return mesh


def _append_mesh(mesh: bpy.types.Mesh, part: bpy.types.Mesh, mw) -> None:
    tmp = part.copy()
    tmp.transform(mw)
    offset = len(mesh.materials)
    for m in tmp.materials:
        mesh.materials.append(m)
    idx = np.empty(len(tmp.polygons), np.int32)
    tmp.polygons.foreach_get("material_index", idx)
    tmp.polygons.foreach_set("material_index", idx + offset)
    slots = np.concatenate([_polygon_slots(mesh), idx + offset])
    bm = bmesh.new()
    bm.from_mesh(mesh)
    bm.from_mesh(tmp)
    bm.to_mesh(mesh)
    bm.free()
    mesh.polygons.foreach_set("material_index", slots)
    bpy.data.meshes.remove(tmp)


def _warn(path: Path, why: str) -> None:
    msg = f"{path}: skipped ({why})"
    warnings.warn(msg, AssetWarning, stacklevel=2)
    print(f"[render] warning: {msg}", file=sys.stderr, flush=True)


def body_object(person: dict, base_dir: Path, cache: dict, collection) -> bpy.types.Object | None:
    path = Path(base_dir) / person["asset"]
    key = ("body", str(path))
    if key not in cache:
        try:
            cache[key] = load_body_mesh(path, person["body"]["normalize"])
        except UserError as exc:
            _warn(path, str(exc).split(": ", 1)[-1])
            cache[key] = None
    src = cache[key]
    if src is None:
        return None
    me = src.copy()
    me.use_fake_user = False
    me.name = person["name"]
    slots = [(m.name.split(".")[0] if m else "") for m in me.materials]
    if not slots:  # a mesh without materials: one outfit slot
        me.materials.append(None)
        slots = [""]
    if person.get("helmet_geometry"):
        _join_helmet(me, person["helmet_geometry"])
        slots.append("helmet")
    for i, m in enumerate(dress(person, slots)):  # replace in place: materials.clear() resets indices
        if i < len(me.materials):
            me.materials[i] = m
        else:
            me.materials.append(m)
    for poly in me.polygons:
        poly.use_smooth = True
    obj = bpy.data.objects.new(person["name"], me)
    s = person["scale"]
    obj.scale = (s, s, s)
    obj.location = person["location"]
    obj.rotation_euler = (0.0, 0.0, np.radians(person["yaw_deg"]))
    obj.pass_index = person["index"]
    return link(obj, collection)


def _polygon_slots(me: bpy.types.Mesh) -> np.ndarray:
    idx = np.empty(len(me.polygons), np.int32)
    me.polygons.foreach_get("material_index", idx)
    return idx


def _join_helmet(me: bpy.types.Mesh, helmet: dict) -> None:
    """Append the helmet triangles to the body mesh (bmesh keeps face order; slots are restored
    explicitly because bmesh round trips do not keep material_index in every Blender)."""
    h = helmet_mesh(helmet)
    slots = _polygon_slots(me)
    bm = bmesh.new()
    bm.from_mesh(me)
    vs = [bm.verts.new(v) for v in h.verts]
    added = 0
    for a, b, c in h.tris:
        try:
            bm.faces.new((vs[a], vs[b], vs[c])).smooth = True
            added += 1
        except ValueError:  # duplicate face at a lathe pole
            pass
    bm.to_mesh(me)
    bm.free()
    me.polygons.foreach_set("material_index", np.concatenate([slots, np.full(added, len(me.materials), np.int32)]))


def dress(person: dict, slots: list[str]) -> list[bpy.types.Material]:
    """One material per slot name; unknown names (user meshes) get the height-banded outfit."""
    c = person["colors"]
    out = []
    for i, name in enumerate(slots):
        mname = f"{person['name']}_{name or 'outfit'}_{i}"
        if name == "helmet":
            out.append(_cloth(mname, c["helmet"], 0.3, person["dirt"] * 0.5, stripes=False))
        elif name in REGIONS:
            color = c.get(name, c["jacket"])
            stripes = person["stripes"] and name in ("jacket", "pants")
            rough = 0.5 if name in ("skin",) else person["roughness"]
            out.append(_cloth(mname, color, rough, person["dirt"] if name != "skin" else 0.0, stripes=stripes,
                              stripe_source="attribute"))
        else:
            out.append(_banded(mname, person))
    return out


def _cloth(name: str, color, roughness: float, dirt: float, *, stripes: bool,
           stripe_source: str = "attribute") -> bpy.types.Material:
    mat = new_material(name)
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = roughness
    base = _rgb(nt, color)
    col_out, rough_out = base, None
    if stripes:
        attr = nt.nodes.new("ShaderNodeVertexColor")
        attr.layer_name = "Color"
        sep = nt.nodes.new("ShaderNodeSeparateColor")
        nt.links.new(attr.outputs["Color"], sep.inputs["Color"])
        mix = _mix(nt, sep.outputs[0], col_out, _rgb(nt, STRIPE_COLOR))
        col_out = mix
        rmix = nt.nodes.new("ShaderNodeMapRange")
        nt.links.new(sep.outputs[0], rmix.inputs["Value"])
        rmix.inputs["To Min"].default_value = roughness
        rmix.inputs["To Max"].default_value = 0.2
        rough_out = rmix.outputs["Result"]
        nt.links.new(col_out, bsdf.inputs["Emission Color"])
        em = nt.nodes.new("ShaderNodeMath")
        em.operation = "MULTIPLY"
        em.inputs[1].default_value = 0.25
        nt.links.new(sep.outputs[0], em.inputs[0])
        nt.links.new(em.outputs[0], bsdf.inputs["Emission Strength"])
    if dirt > 0:
        col_out = _dirt(nt, col_out, dirt)
    nt.links.new(col_out, bsdf.inputs["Base Color"])
    if rough_out is not None:
        nt.links.new(rough_out, bsdf.inputs["Roughness"])
    mat.diffuse_color = (*color[:3], 1.0)
    return mat


def _rgb(nt, color):
    n = nt.nodes.new("ShaderNodeRGB")
    n.outputs[0].default_value = (*color[:3], 1.0)
    return n.outputs[0]


def _mix(nt, fac, a, b):
    m = nt.nodes.new("ShaderNodeMix")
    m.data_type = "RGBA"
    if isinstance(fac, float):
        m.inputs["Factor"].default_value = fac
    else:
        nt.links.new(fac, m.inputs["Factor"])
    nt.links.new(a, m.inputs[6])
    nt.links.new(b, m.inputs[7])
    return m.outputs[2]


def _dirt(nt, color_out, amount: float):
    """Mud/dust: noise patches, strongest near the feet (object z), fading by ~1 m."""
    coord = nt.nodes.new("ShaderNodeTexCoord")
    noise = nt.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 7.0
    noise.inputs["Detail"].default_value = 4.0
    nt.links.new(coord.outputs["Object"], noise.inputs["Vector"])
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    nt.links.new(coord.outputs["Object"], sep.inputs["Vector"])
    fade = nt.nodes.new("ShaderNodeMapRange")
    nt.links.new(sep.outputs["Z"], fade.inputs["Value"])
    fade.inputs["From Min"].default_value = 0.0
    fade.inputs["From Max"].default_value = 1.1
    fade.inputs["To Min"].default_value = 1.0
    fade.inputs["To Max"].default_value = 0.25
    patch = nt.nodes.new("ShaderNodeMapRange")
    nt.links.new(noise.outputs["Fac"], patch.inputs["Value"])
    patch.inputs["From Min"].default_value = 0.45
    patch.inputs["From Max"].default_value = 0.65
    mul = nt.nodes.new("ShaderNodeMath")
    mul.operation = "MULTIPLY"
    nt.links.new(patch.outputs["Result"], mul.inputs[0])
    nt.links.new(fade.outputs["Result"], mul.inputs[1])
    amt = nt.nodes.new("ShaderNodeMath")
    amt.operation = "MULTIPLY"
    amt.inputs[1].default_value = amount
    nt.links.new(mul.outputs[0], amt.inputs[0])
    return _mix(nt, amt.outputs[0], color_out, _rgb(nt, (0.13, 0.1, 0.07)))


def _banded(name: str, person: dict) -> bpy.types.Material:
    """Outfit for meshes without region materials: regions by height fraction (boots < 6%,
    trousers < 47%, jacket < 83%, skin above), bands at fixed heights."""
    c = person["colors"]
    top = float(person["body"]["bbox_max"][2]) or 1.0
    mat = new_material(name)
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = person["roughness"]
    coord = nt.nodes.new("ShaderNodeTexCoord")
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    nt.links.new(coord.outputs["Object"], sep.inputs["Vector"])
    frac = nt.nodes.new("ShaderNodeMath")
    frac.operation = "DIVIDE"
    frac.inputs[1].default_value = top
    nt.links.new(sep.outputs["Z"], frac.inputs[0])
    ramp = nt.nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.interpolation = "CONSTANT"
    els = ramp.color_ramp.elements
    els[0].position, els[0].color = 0.0, (*c["boots"], 1.0)
    els[1].position, els[1].color = 0.83, (*c["skin"], 1.0)
    for pos, key in ((0.06, "pants"), (0.47, "jacket")):
        e = els.new(pos)
        e.color = (*c[key], 1.0)
    nt.links.new(frac.outputs[0], ramp.inputs["Fac"])
    col = ramp.outputs["Color"]
    if person["stripes"]:
        bands = nt.nodes.new("ShaderNodeValToRGB")
        bands.color_ramp.interpolation = "CONSTANT"
        be = bands.color_ramp.elements
        be[0].position, be[0].color = 0.0, (0, 0, 0, 1)
        be[1].position, be[1].color = 0.70, (0, 0, 0, 1)
        for lo, hi in ((0.16, 0.19), (0.225, 0.255), (0.585, 0.62), (0.665, 0.70)):
            a = be.new(lo)
            a.color = (1, 1, 1, 1)
            b = be.new(hi)
            b.color = (0, 0, 0, 1)
        nt.links.new(frac.outputs[0], bands.inputs["Fac"])
        col = _mix(nt, bands.outputs["Color"], col, _rgb(nt, STRIPE_COLOR))
    if person["dirt"] > 0:
        col = _dirt(nt, col, person["dirt"])
    nt.links.new(col, bsdf.inputs["Base Color"])
    return mat
