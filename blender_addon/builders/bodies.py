"""Body meshes (OBJ / glTF / FBX / .blend) -> one dressed, labelled object per person: the mesh work.

Each file is imported once per run (cached mesh with a fake user, like debris assets); a person
gets a copy with the helmet joined in (one object = one pass index) and its own materials, one per
material slot, from builders.surfaces.dress (clothing by region name, reflective bands, dirt,
fabric folds, hair). The files themselves are described without Blender by assets.bodies.
- region bodies get cloth volume (`_thicken`: cloth regions pushed out along the normals, none on
  forearms and legs bared by a short sleeve or shorts (`bare_vertices`), feet
  kept on the ground), a hair cap on helmetless heads (`_add_hair`) and sometimes a backpack
  (`_join_backpack`), all in the one mesh of the person.
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

from blender_addon import meshes
from blender_addon.assets.bodies import (HAIRLINE_RISE, AssetWarning, above_hairline, hair_loft, hat_mesh,
                                         head_frame, helmet_mesh, long_hair_mesh, smooth_arm_flag,
                                         straight_neckline, straight_waist, waist_band)
from blender_addon.builders.objects import link
from blender_addon.builders.surfaces import dress
from blender_addon.generators.people import landmarks
from blender_addon.quiet import quiet_stdout
from trainer.errors import UserError


def _import_objects(path: Path) -> list[bpy.types.Object]:
    before = set(bpy.data.objects)
    ext = path.suffix.lower()
    with quiet_stdout():  # importers print timings on stdout
        if ext == ".obj":
            bpy.ops.wm.obj_import(filepath=str(path))
        elif ext in (".glb", ".gltf"):
            bpy.ops.import_scene.gltf(filepath=str(path))
        elif ext == ".fbx":
            bpy.ops.import_scene.fbx(filepath=str(path))
        else:
            raise UserError("unsupported body format", path)
    return [o for o in bpy.data.objects if o not in before]


def load_body_mesh(path: Path, normalize: bool, stripe_field: bool = False) -> bpy.types.Mesh:
    """All mesh parts of the file joined into one mesh in the body frame (Z up, feet at z=0);
    `normalize`: centre x/y and (FBX/.blend) scale to height 1, as bodies.describe assumes;
    `stripe_field` (an OBJ from `trainer assets rescuers` that has one): vertex colours kept
    as written in the file (`colors_as_written`)."""
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
    if stripe_field and ext == ".obj":
        colors_as_written(mesh)
        _smooth_arm_flag(mesh)
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
            cache[key] = load_body_mesh(path, person["body"]["normalize"],
                                        bool(person["body"].get("stripe_field", 0)))
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
    regions = "skin" in slots
    if regions:  # cloth geometry needs the region slots (bodies from `trainer assets rescuers`)
        person = _straighten_borders(me, slots, person)
        _thicken(me, slots, person)
        if person.get("hair") and not person.get("helmet_geometry"):
            if _add_hair(me, slots, person):
                slots.append("hair")
                if person["hair"].get("length"):  # hanging below the cap (its own slot: no hairline)
                    h = long_hair_mesh(person["body"], person["hair"]["length"], person["hair"]["volume"],
                                       person["hair"]["thickness"] / (float(person.get("scale", 1.0)) or 1.0))
                    _join_part(me, h)
                    slots.append("longhair")
        if person.get("backpack") and person.get("pose") != "lying":
            if _join_backpack(me, slots, person):
                slots.append("backpack")
    if person.get("helmet_geometry"):
        _join_helmet(me, person["helmet_geometry"])
        slots.append("helmet")
    elif (person.get("hat") or {}).get("geometry"):
        _join_part(me, hat_mesh(person["hat"]["geometry"]))
        slots.append("hat")
    for i, m in enumerate(dress(person, slots)):  # replace in place: materials.clear() resets indices
        if i < len(me.materials):
            me.materials[i] = m
        else:
            me.materials.append(m)
    me.polygons.foreach_set("use_smooth", np.ones(len(me.polygons), bool))  # no per-face Python loop
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


def _mesh_arrays(me: bpy.types.Mesh) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vertex positions and normals (N, 3), loop -> vertex and loop -> polygon indices."""
    n = len(me.vertices)
    co = np.empty(n * 3, np.float64)
    me.vertices.foreach_get("co", co)
    nor = np.empty(n * 3, np.float64)
    me.vertex_normals.foreach_get("vector", nor)
    loop_vert = np.empty(len(me.loops), np.int64)
    me.loops.foreach_get("vertex_index", loop_vert)
    total = np.empty(len(me.polygons), np.int64)
    me.polygons.foreach_get("loop_total", total)
    loop_poly = np.repeat(np.arange(len(me.polygons)), total)
    return co.reshape(-1, 3), nor.reshape(-1, 3), loop_vert, loop_poly


def _set_co(me: bpy.types.Mesh, co: np.ndarray) -> None:
    me.vertices.foreach_set("co", co.astype(np.float32).ravel())
    me.update()


def _straighten_borders(me: bpy.types.Mesh, slots: list[str], person: dict) -> dict:
    """The top's neckline and hem as straight lines (`straight_neckline`, `straight_waist`): the
    faces of the neck's skin below the one cut and of the trousers above the other move to the
    top's slot, and the person comes back with the cuts (`neck_cut`, `waist_cut`), which its top's
    shader (skin above the one, the trousers' look below the other) and the cloth volume follow.
    Bodies without the stripe field are left as they are."""
    if "jacket" not in slots or not int(person["body"].get("stripe_field", 0) or 0):
        return person
    f = field_values(me)
    if f is None:
        return person
    _, _, loop_vert, _ = _mesh_arrays(me)
    total = np.empty(len(me.polygons), np.int64)
    me.polygons.foreach_get("loop_total", total)
    faces = np.split(loop_vert, np.cumsum(total)[:-1])
    lm = landmarks(person["body"])
    g, arm, top = f[:, 1], f[:, 2] > 0.5, slots.index("jacket")
    face_slot = _polygon_slots(me)
    out = dict(person)
    if "skin" in slots:
        done = straight_neckline(g, arm, faces, face_slot, slots.index("skin"), top, lm["shoulder"])
        if done is not None:
            face_slot, out["neck_cut"] = done
    if "pants" in slots:
        hem = ((person.get("garments") or {}).get("top") or {}).get("waist_cut")
        done = straight_waist(g, arm, faces, face_slot, top, slots.index("pants"), lm["hip"], hem)
        if done is not None:
            face_slot, out["waist_cut"] = done
    me.polygons.foreach_set("material_index", face_slot.astype(np.int32))
    return out


def _vertex_max(n: int, loop_vert: np.ndarray, loop_value: np.ndarray) -> np.ndarray:
    out = np.zeros(n)
    np.maximum.at(out, loop_vert, loop_value)
    return out


def _thicken(me: bpy.types.Mesh, slots: list[str], person: dict) -> None:
    """Cloth volume: every vertex of a cloth region moves out along its normal by that region's
    thickness (a vertex shared by two regions takes the thicker, so the skin ring next to a sleeve
    or collar slopes out into a cuff). Thickness varies +-25% along the body (a slow pattern from
    the person's fold phase), so cloth bunches instead of being a uniform shell. Skin does not
    move (the head stays where the helmet placement expects it); vertices pushed below the lowest
    point are clamped to it, so the person still stands on the ground."""
    thick = person.get("cloth_thickness") or {}
    s = float(person.get("scale", 1.0)) or 1.0
    per_slot = np.array([float(thick.get(name, 0.0)) / s for name in slots])
    if not per_slot.any():
        return
    co, nor, loop_vert, loop_poly = _mesh_arrays(me)
    t = _vertex_max(len(co), loop_vert, per_slot[_polygon_slots(me)][loop_poly])
    waist = _below_waist(me, person, slots, loop_vert, loop_poly)
    if waist is not None:  # the trousers' thickness under the top's hem, as its shader draws it
        below, near = waist
        t[near] = np.where(below[near], per_slot[slots.index("pants")], per_slot[slots.index("jacket")])
    bare = bare_vertices(me, person)
    if bare is not None:  # forearms below a short sleeve, legs below shorts: skin, no cloth on it
        t[bare] = 0.0
    phase = float((person.get("folds") or {}).get("phase", 0.0))
    h = float(person["body"].get("stature", 1.8)) or 1.8
    u = co / h * 2 * np.pi
    t *= 1.0 + 0.25 * np.sin(3.0 * u[:, 2] + 1.3 * u[:, 0] + phase) * np.cos(2.0 * u[:, 1] + 0.7 * u[:, 2] + 1.7 * phase)
    zmin = co[:, 2].min()
    co = _smooth(me, co + nor * t[:, None], t > 0)
    co[:, 2] = np.maximum(co[:, 2], zmin)
    _set_co(me, co)


def _below_waist(me: bpy.types.Mesh, person: dict, slots: list[str], loop_vert: np.ndarray,
                 loop_poly: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(below the top's hem cut, in the waist band) per vertex of the top and trousers only, off the
    arms; None without a `waist_cut`."""
    cut = person.get("waist_cut")
    f = field_values(me) if cut is not None else None
    if f is None:
        return None
    slot = _polygon_slots(me)[loop_poly]
    other = np.zeros(len(f), bool)
    other[loop_vert[(slot != slots.index("jacket")) & (slot != slots.index("pants"))]] = True
    lo, hi = waist_band(landmarks(person["body"])["hip"])
    near = ~other & (f[:, 2] <= 0.5) & (f[:, 1] > lo) & (f[:, 1] < hi)
    return f[:, 1] < float(cut), near


def field_values(me: bpy.types.Mesh) -> np.ndarray | None:
    """(N, 3) per-vertex stripe field (R mask, G rest height fraction, B arm) of a body that has one
    as a point colour attribute, else None."""
    attr = me.color_attributes.get("Color")
    if attr is None or attr.domain != "POINT" or len(attr.data) != len(me.vertices):
        return None
    c = np.empty(len(attr.data) * 4, np.float32)
    attr.data.foreach_get("color", c)
    return c.reshape(-1, 4)[:, :3]


def bare_vertices(me: bpy.types.Mesh, person: dict) -> np.ndarray | None:
    """Vertices below the top's sleeve cut (arms), above its neckline (`neck_cut`) or below the
    bottom's hem (legs), by the stripe field: the same test the cloth shader makes, so the skin
    shown there has no cloth volume on it."""
    g = person.get("garments") or {}
    sleeve = (g.get("top") or {}).get("sleeve_cut")
    hem = (g.get("bottom") or {}).get("hem_cut")
    neck = person.get("neck_cut")
    if sleeve is None and hem is None and neck is None or not int((person.get("body") or {}).get("stripe_field", 0) or 0):
        return None
    f = field_values(me)
    if f is None:
        return None
    arm = f[:, 2] > 0.5
    bare = np.zeros(len(f), bool)
    if sleeve is not None:
        bare |= arm & (f[:, 1] < float(sleeve) - 0.01)
    if hem is not None:
        bare |= ~arm & (f[:, 1] < float(hem) - 0.01) & (f[:, 1] > 0.06)
    if neck is not None:
        bare |= ~arm & (f[:, 1] > float(neck))
    return bare


def _smooth(me: bpy.types.Mesh, co: np.ndarray, movable: np.ndarray, rounds: int = 4) -> np.ndarray:
    """Taubin smoothing (shrink-free) of the cloth: fabric hides the small anatomy (muscles,
    breasts, knuckles of the spine) the body mesh has. Only `movable` vertices change."""
    ev = np.empty(len(me.edges) * 2, np.int64)
    me.edges.foreach_get("vertices", ev)
    a, b = ev[0::2], ev[1::2]
    deg = np.bincount(a, minlength=len(co)) + np.bincount(b, minlength=len(co))
    w = movable[:, None] / np.maximum(deg, 1)[:, None]
    for _ in range(rounds):
        for lam in (0.5, -0.53):
            acc = np.zeros_like(co)
            np.add.at(acc, a, co[b])
            np.add.at(acc, b, co[a])
            co = co + lam * (acc * w - co * movable[:, None] * (deg > 0)[:, None])
    return co


def _add_hair(me: bpy.types.Mesh, slots: list[str], person: dict) -> bool:
    """A hair cap: the skin faces of the scalp reaching above a hairline that runs from the
    forehead over the ears to the nape (`above_hairline`) move to a new 'hair' slot, whose shader
    draws the hairline itself (skin below it, per pixel: whole faces made a sawtooth of notches
    along the forehead), and their vertices move out by the hair thickness, rising from nothing
    at the hairline (`HAIRLINE_RISE`), so the cap does not stand off the forehead like a helmet."""
    skin = slots.index("skin")
    r = float(person["body"]["head_radius"])
    co, nor, loop_vert, loop_poly = _mesh_arrays(me)
    poly_slot = _polygon_slots(me)
    above, d = above_hairline(co, person["body"])
    top = np.full(len(poly_slot), -np.inf)
    np.maximum.at(top, loop_poly, above[loop_vert])
    cen = np.zeros((len(poly_slot), 3))
    np.add.at(cen, loop_poly, co[loop_vert])
    cen /= np.bincount(loop_poly, minlength=len(poly_slot))[:, None]
    _, dc = above_hairline(cen, person["body"])
    hair = (poly_slot == skin) & (top > 0) & (np.linalg.norm(dc, axis=1) < 1.8 * r)
    if not hair.any():
        return False
    slot = len(me.materials)
    me.materials.append(None)
    poly_slot = np.where(hair, slot, poly_slot).astype(np.int32)
    me.polygons.foreach_set("material_index", poly_slot)
    s = float(person.get("scale", 1.0)) or 1.0
    on = _vertex_max(len(co), loop_vert, hair[loop_poly].astype(float)) > 0
    rise = np.clip(above / HAIRLINE_RISE, 0.0, 1.0)
    t = on * float(person["hair"]["thickness"]) / s * rise * rise * (3.0 - 2.0 * rise)
    if person["hair"].get("loft"):  # volume: more at the crown, in clumps
        t = t + on * hair_loft(co, person["body"], person["hair"]["loft"] / s, person["hair"]["loft_seed"])
    _set_co(me, co + nor * t[:, None])
    return True


def _join_backpack(me: bpy.types.Mesh, slots: list[str], person: dict) -> bool:
    """A rounded box on the upper back, under the shoulders, resting on the (thickened) jacket."""
    if "jacket" not in slots:
        return False
    c, ax, face, r = head_frame(person["body"])
    side = np.cross(ax, face)
    s = float(person.get("scale", 1.0)) or 1.0
    w, dep, hgt = (float(x) / s for x in person["backpack"]["size"])
    co, _, loop_vert, loop_poly = _mesh_arrays(me)
    jacket = np.zeros(len(co), bool)
    jacket[loop_vert[_polygon_slots(me)[loop_poly] == slots.index("jacket")]] = True
    rel = co - c
    up, lat, bk = rel @ ax, rel @ side, -(rel @ face)
    top = -2.1 * r
    torso = jacket & (up < top) & (up > top - hgt) & (np.abs(lat) < 1.6 * r)
    if torso.sum() < 8:
        return False
    mid_lat = float(np.median(lat[torso]))
    back = float(np.percentile(bk[torso], 95))
    sph = meshes.sphere(1.0, 16, 8)
    v = np.sign(sph.verts) * np.abs(sph.verts) ** 0.35 * np.array([w, dep, hgt]) / 2  # superellipsoid
    frame = np.stack([side, -face, ax], axis=1)  # local x: side, y: back, z: up
    centre = c + side * mid_lat - face * (back + dep / 2 - 0.015 / s) + ax * (top - hgt / 2)
    verts = v @ frame.T + centre
    slots_before = _polygon_slots(me)
    bm = bmesh.new()
    bm.from_mesh(me)
    vs = [bm.verts.new(p) for p in verts]
    added = 0
    for a, b, cc in sph.tris:
        try:
            bm.faces.new((vs[a], vs[b], vs[cc])).smooth = True
            added += 1
        except ValueError:  # degenerate triangle at a pole
            pass
    bm.to_mesh(me)
    bm.free()
    slot = len(me.materials)
    me.materials.append(None)
    me.polygons.foreach_set("material_index", np.concatenate([slots_before, np.full(added, slot, np.int32)]))
    return True


def _join_helmet(me: bpy.types.Mesh, helmet: dict) -> None:
    _join_part(me, helmet_mesh(helmet))


def _join_part(me: bpy.types.Mesh, h: meshes.Mesh, slot: int | None = None) -> None:
    """Append a part's triangles (helmet, hat, long hair) to the body mesh in material `slot`
    (default: a new last slot; bmesh keeps face order; slots are restored explicitly because
    bmesh round trips do not keep material_index in every Blender)."""
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
    me.polygons.foreach_set("material_index", np.concatenate(
        [slots, np.full(added, len(me.materials) if slot is None else slot, np.int32)]))


def srgb_encode(x: np.ndarray) -> np.ndarray:
    """Linear -> sRGB (the inverse of what Blender's OBJ importer applies to vertex colours)."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def _smooth_arm_flag(mesh: bpy.types.Mesh) -> None:
    """The stripe field's arm flag (B) as a ramp along the mesh (`smooth_arm_flag`), so the
    shader's armhole is a smooth line rather than a sawtooth of triangles."""
    attr = mesh.color_attributes.get("Color")
    if attr is None or attr.domain != "POINT" or len(attr.data) != len(mesh.vertices):
        return
    c = np.empty(len(attr.data) * 4, np.float32)
    attr.data.foreach_get("color", c)
    c = c.reshape(-1, 4)
    ev = np.empty(len(mesh.edges) * 2, np.int64)
    mesh.edges.foreach_get("vertices", ev)
    c[:, 2] = smooth_arm_flag(c[:, 2], ev.reshape(-1, 2))
    attr.data.foreach_set("color", c.ravel())


def colors_as_written(mesh: bpy.types.Mesh) -> None:
    """Blender's OBJ importer reads vertex colours as sRGB and stores them linear; undo that on a
    body with the stripe field so the attribute holds the file's numbers (G = f exactly) and the
    renderer interpolates f itself across a triangle: linear in height, so band edges are
    straight and exactly where `STRIPE_BANDS` puts them (interpolating the decoded values would
    bend and shift them on large triangles)."""
    for attr in mesh.color_attributes:
        if attr.data_type != "FLOAT_COLOR" or not len(attr.data):
            continue
        c = np.empty(len(attr.data) * 4, np.float32)
        attr.data.foreach_get("color", c)
        c = c.reshape(-1, 4)
        c[:, :3] = srgb_encode(c[:, :3])
        attr.data.foreach_set("color", c.ravel())
