"""Content on real (tiny) renders: body meshes render whole (no holes) and dressed, a broken
body file is skipped with a warning naming it, fog never changes the labels, exposure keeps
day, snow and night frames between black and blown out, flying shapes and faces never change a
person's own mask and long hair joins it. Skipped without bpy."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_support import ROOT, blender_marks, env
from scipy import ndimage
from test_bodies import humanoid_obj

from blender_addon.preset import preset_from_dict
from blender_addon.sampling import sample_scene

pytestmark = blender_marks()

BASE = """
[render]
resolution = [96, 72]
samples = 2
[output]
min_pixels = 0
min_extent = 0
"""


def render(tmp_path: Path, name: str, extra: str, *args: str,
           annotate: bool = False) -> tuple[Path, subprocess.CompletedProcess]:
    preset = tmp_path / f"{name}.toml"
    preset.write_text(f'[scene]\nname = "{name}"\n' + BASE + extra)
    out = tmp_path / f"out_{name}"
    r = subprocess.run([sys.executable, "-m", "blender_addon.render", "--scene", str(preset), "--out", str(out),
                        *([] if annotate else ["--no-annotate"]), *args], capture_output=True, text=True, env=env(),
                       timeout=300, cwd=ROOT, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    return out, r


def frames(out: Path):
    for f in sorted((out / "scenes").glob("*.json")):
        d = json.loads(f.read_text())
        img = np.asarray(Image.open(out / "images" / d["image"]).convert("RGB"), float)
        mask = np.asarray(Image.open(out / "masks" / d["mask"])).astype(int)
        yield d, img, mask


def test_body_meshes_render_whole_and_broken_files_are_skipped(tmp_path):
    bodies = tmp_path / "bodies"
    bodies.mkdir()
    humanoid_obj(bodies / "guy.obj")
    (bodies / "broken.glb").write_bytes(b"definitely not glTF")
    out, r = render(tmp_path, "bodies", """
[rescuers]
count = [1, 1]
body_folders = ["bodies"]
helmet_probability = 1.0
[civilians]
count = [0, 0]
[debris]
count = [0, 0]
[camera]
modes = { ground = 1.0 }
ground_distance = [4.0, 5.0]
sensor_noise = [0.0, 0.0]
[weather]
conditions = { clear = 1.0 }
fog_probability = 0.0
""", "--count", "2")
    assert "broken.glb" in r.stderr and "skipped" in r.stderr
    for d, img, mask in frames(out):
        [o] = d["objects"]
        assert o["asset"] == "bodies/guy.obj" and o["helmet_geometry"]
        m = mask == o["index"]
        assert m.sum() > 100 and o["visible_px"] == o["unoccluded_px"] == m.sum()
        # one solid silhouette: no holes (missing or back-face-culled triangles would make them)
        assert (ndimage.binary_fill_holes(m) == m).all()
        assert ndimage.label(m)[1] == 1
        # dressed: the body is not one flat colour (jacket, trousers, boots, helmet, skin)
        assert img[m].std(0).max() > 10


def test_fog_changes_the_photo_but_never_the_labels(tmp_path):
    scene = """
[rescuers]
count = [2, 2]
spread = 3.0
[debris]
count = [5, 5]
[camera]
modes = { ground = 1.0 }
[weather]
conditions = { clear = 1.0 }
fog_probability = {p}
fog_density = [0.05, 0.05]
"""
    clear, _ = render(tmp_path, "clear", scene.replace("{p}", "0.0"), "--count", "2")
    foggy, _ = render(tmp_path, "foggy", scene.replace("{p}", "1.0"), "--count", "2")
    for (d0, i0, m0), (d1, i1, m1) in zip(frames(clear), frames(foggy)):
        assert d1["weather"]["fog"] and "fog" not in d0["weather"]
        assert np.array_equal(m0, m1)
        assert np.abs(i0 - i1).mean() > 2  # the haze is there


def test_ruined_buildings_and_heaps_render_behind_a_visible_target(tmp_path):
    scene = """
[rescuers]
count = [2, 2]
[debris]
count = [0, 0]
[camera]
modes = { ground = 1.0 }
focal_length = [24.0, 24.0]
[weather]
conditions = { clear = 1.0 }
fog_probability = 0.0
[buildings]
count = [{n}, {n}]
far_count = [{n}, {n}]
heaps = [{h}, {h}]
distance = [22.0, 24.0]
"""
    bare, _ = render(tmp_path, "open", scene.replace("{n}", "0").replace("{h}", "0"), "--count", "2")
    built, _ = render(tmp_path, "ruins", scene.replace("{n}", "6").replace("{h}", "4"), "--count", "2")
    for (d0, i0, m0), (d1, i1, m1) in zip(frames(bare), frames(built)):
        kinds = {b["kind"] for b in d1["buildings"]}
        assert kinds == {"building", "heap"} and not d0["buildings"]
        sky0, sky1 = i0[: i0.shape[0] // 3], i1[: i1.shape[0] // 3]  # the skyline is no longer empty
        assert np.abs(sky0 - sky1).mean() > 5, d1["image"]
        target = next(o for o in d1["objects"] if o["name"] == d1["camera"]["target"])
        assert (m1 == target["index"]).sum() > 0  # framing still guarantees the target
        assert set(np.unique(m1)) <= {0} | {o["index"] for o in d1["objects"]}  # scenery is never labelled


def test_dogs_and_vehicles_are_labelled_only_when_listed(tmp_path):
    scene = """
categories = {cats}
[rescuers]
count = [1, 1]
spread = 1.5
[civilians]
count = [0, 0]
[distractors]
dogs = [2, 2]
vehicles = [1, 1]
[camera]
modes = {{ drone = 1.0 }}
drone_height = [9.0, 10.0]
focal_length = [24.0, 24.0]
[debris]
count = [0, 0]
"""
    # (BASE ends in [output], so `categories` above lands in it)
    labelled, _ = render(tmp_path, "labelled", scene.format(cats='["rescuer", "dog", "vehicle"]'), "--count", "2")
    plain, _ = render(tmp_path, "plain", scene.format(cats='["rescuer"]'), "--count", "2")
    dog_px = 0
    for (d0, i0, m0), (d1, _, m1) in zip(frames(labelled), frames(plain)):
        cats = {o["category"] for o in d0["objects"]}
        assert cats == {"rescuer", "dog", "vehicle"} and {o["category"] for o in d1["objects"]} == {"rescuer"}
        assert {d["kind"] for d in d1["distractors"]} == {"dog", "vehicle"} and not d0["distractors"]
        dog_px += sum(int((m0 == o["index"]).sum()) for o in d0["objects"] if o["category"] == "dog")
        assert set(np.unique(m1)) <= {0, 1}  # unlabelled: the dogs are background in the mask
    assert dog_px > 0  # dogs render and carry their own instance ids when "dog" is listed


def test_exposure_keeps_frames_between_black_and_blown_out(tmp_path):
    looks = {
        "day": "[light]\nsun_elevation = [30.0, 60.0]\n[weather]\nconditions = { clear = 1.0 }\n",
        "low_sun": "[light]\nsun_elevation = [2.0, 8.0]\n[weather]\nconditions = { clear = 1.0 }\n",
        "snow": "[weather]\nconditions = { snow = 1.0 }\n",
        "night": ("[light]\nsky = { color = 1.0 }\nsun_elevation = [-5.0, 0.0]\nsun_strength = [0.0, 0.05]\n"
                  "sky_strength = [0.01, 0.05]\nwork_lights = [2, 3]\nfires = [1, 2]\n"),
    }
    for name, extra in looks.items():
        out, _ = render(tmp_path, name, "[debris]\ncount = [5, 10]\n" + extra, "--count", "2")
        for d, img, _ in frames(out):
            lum = img.mean()
            assert 25 < lum < 225, (name, d["image"], lum)


def test_obj_and_gltf_debris_assets_render(tmp_path):
    from test_bodies import write_gltf

    rubble = tmp_path / "vehicles"
    rubble.mkdir()
    m = humanoid_obj(rubble / "thing.obj")
    write_gltf(rubble / "thing.gltf", m)
    out, _ = render(tmp_path, "assets", """
[rescuers]
count = [1, 1]
[civilians]
count = [0, 0]
[debris]
count = [6, 6]
asset_folders = ["vehicles"]
asset_probability = 1.0
""", "--count", "1")
    [(d, _img, _mask)] = list(frames(out))
    assert {x["asset"] for x in d["debris"]} <= {"vehicles/thing.obj", "vehicles/thing.gltf"}
    assert len({x["asset"] for x in d["debris"]}) == 2


def test_photo_backplate_is_used_as_the_sky(tmp_path):
    bg = tmp_path / "backgrounds"
    bg.mkdir()
    img = np.zeros((64, 128, 3), np.uint8)
    img[:] = (230, 40, 20)  # a strongly red "photo": no physical sky looks like this
    Image.fromarray(img).save(bg / "sky.png")
    out, _ = render(tmp_path, "backplate", """
[light]
background_probability = 1.0
background_folders = ["backgrounds"]
[camera]
modes = { ground = 1.0 }
ground_height = [1.5, 1.5]
[weather]
conditions = { clear = 1.0 }
fog_probability = 0.0
""", "--count", "1")
    [(d, photo, _mask)] = list(frames(out))
    assert d["light"]["background"]["file"] == "backgrounds/sky.png"
    top = photo[:8].reshape(-1, 3).mean(0)  # the top rows of a ground view are sky
    assert top[0] > top[2] + 40, top


def test_builtin_hdri_backplate_renders_offline_with_exact_labels(tmp_path):
    """A backplate frame with one of Blender's own HDRIs: the photo shows (texture, not a flat
    colour) behind the people, the shadow-catcher ground never enters the mask, and every mask
    value is a labelled person."""
    out, _ = render(tmp_path, "hdri", """
[light]
hdris = ["city"]
backplate_probability = 1.0
[camera]
modes = { close = 1.0 }
close_fill = [0.7, 0.9]
[rescuers]
count = [1, 2]
[weather]
conditions = { clear = 1.0 }
fog_probability = 0.0
""", "--count", "2")
    for d, photo, mask in frames(out):
        assert d["light"]["backplate"] and d["light"]["background"]["file"] == "builtin:city"
        assert d["ground"]["shadow_catcher"] and d["camera"]["mode"] == "close"
        assert set(np.unique(mask)) - {0} <= {o["index"] for o in d["objects"]}
        target = next(o for o in d["objects"] if o["name"] == d["camera"]["target"])
        assert (mask == target["index"]).sum() > 0.05 * mask.size  # a close-up: the subject is large
        background = photo[mask == 0]
        assert background.std(0).mean() > 12  # a photographic scene, not a flat sky or plane
        assert 25 < photo.mean() < 225


def test_upright_frames_render_upright_with_exact_labels(tmp_path):
    """`camera.portrait = 1`: every frame is rendered with width and height swapped, image and mask
    agree in size, the close-up subject is large in the upright frame, and COCO records each
    image's own size (loaded with pycocotools)."""
    from pycocotools.coco import COCO

    out, _ = render(tmp_path, "upright", """
[camera]
modes = { close = 1.0 }
close_fill = [0.8, 0.9]
portrait = 1.0
[rescuers]
count = [1, 1]
poses = { standing = 1.0 }
[civilians]
count = [0, 0]
[weather]
conditions = { clear = 1.0 }
fog_probability = 0.0
""", "--count", "2", annotate=True)
    for d, photo, mask in frames(out):
        assert (d["width"], d["height"]) == (72, 96)
        assert photo.shape[:2] == mask.shape == (96, 72)
        target = next(o for o in d["objects"] if o["name"] == d["camera"]["target"])
        ys, _ = np.nonzero(mask == target["index"])
        assert ys.max() - ys.min() > 0.6 * 96  # the subject spans most of the upright frame
    coco = COCO(str(next(out.rglob("coco.json"))))
    assert {(im["width"], im["height"]) for im in coco.imgs.values()} == {(72, 96)}
    for ann in coco.anns.values():
        assert coco.annToMask(ann).shape == (96, 72)


def test_flying_shapes_occlude_people_but_never_enter_the_mask(tmp_path):
    """The same two frames with and without flying shapes (their own random stream: everything
    else is the same scene): the shapes show in the photo, are in no mask, and only ever hide
    people's pixels (each person's mask with shapes is a subset of its mask without)."""
    scene = """
[rescuers]
count = [2, 3]
[civilians]
count = [1, 2]
[camera]
modes = { ground = 1.0 }
[weather]
conditions = { clear = 1.0 }
fog_probability = 0.0
[distractors]
shapes = [{n}, {n}]
shape_fill = [0.15, 0.4]
"""
    bare, _ = render(tmp_path, "bare", scene.replace("{n}", "0"), "--count", "2")
    shaped, _ = render(tmp_path, "shaped", scene.replace("{n}", "8"), "--count", "2")
    hidden = 0
    for (d0, i0, m0), (d1, i1, m1) in zip(frames(bare), frames(shaped)):
        kinds = [x for x in d1["distractors"] if x["kind"] == "shape"]
        assert len(kinds) >= 4 and not [x for x in d0["distractors"] if x["kind"] == "shape"]
        assert set(np.unique(m1)) - {0} <= {o["index"] for o in d1["objects"]}
        for o in d1["objects"]:
            assert not ((m1 == o["index"]) & (m0 != o["index"])).any(), o["name"]
        hidden += int(((m0 > 0) & (m1 == 0)).sum())
        assert np.abs(i0 - i1).mean() > 3  # the shapes are in the picture
    assert hidden > 0  # and they hid some person somewhere


FACE_SCRIPT = """
import json, math, sys
from pathlib import Path
import numpy as np
from blender_addon.assets.bodies import face_direction
from blender_addon.builders import cleanup, frame, settings
from blender_addon.geometry import look_at_matrix, matrix_to_quaternion, project
from blender_addon.preset import load_preset
from blender_addon.sampling import sample_scene

preset, out = load_preset(sys.argv[1]), Path(sys.argv[2])
cleanup.reset_factory()
settings.apply(preset["render"], "cpu")
desc = sample_scene(preset, 2, 0)
p = desc["objects"][0]
b, f = p["body"], p["face"]
rot = np.array([[math.cos(math.radians(p["yaw_deg"])), -math.sin(math.radians(p["yaw_deg"])), 0.0],
                [math.sin(math.radians(p["yaw_deg"])), math.cos(math.radians(p["yaw_deg"])), 0.0], [0, 0, 1.0]])
world = lambda v: rot @ (p["scale"] * np.asarray(v, float)) + np.asarray(p["location"], float)
c, ax, r = np.asarray(b["head_center"], float), np.asarray(b["head_axis"], float), b["head_radius"]
ax /= np.linalg.norm(ax)
fwd = face_direction(ax)
side = np.cross(fwd, ax)
eyes = [world(c + r * (s * f["eye_spacing"] * side + f["eye_height"] * ax + 0.45 * fwd)) for s in (-1, 1)]
head = world(c + r * 0.45 * fwd)
cam = head + rot @ fwd * 0.55  # straight in front of the face, half a metre away
desc["camera"].update(location=cam.tolist(), look_at=head.tolist(), focal_length=50.0, fstop=16.0,
                      rotation_quaternion=matrix_to_quaternion(look_at_matrix(cam, head)), sensor_noise=0.0)
desc["camera"]["focus_distance"] = float(np.linalg.norm(head - cam))
uv, _ = project(desc["camera"], np.array(eyes), desc["width"], desc["height"])
json.dump(uv.tolist(), open(out / "eyes.json", "w"))
frame.render_frame(json.loads(json.dumps(desc)), out / "face", out / "face" / ".tmp", Path("."), {})
del desc["objects"][0]["face"]
frame.render_frame(desc, out / "blank", out / "blank" / ".tmp", Path("."), {})
"""


def test_faces_paint_eyes_where_the_head_frame_puts_them(tmp_path):
    """The same frame rendered with a person's face and without it: the mask is identical (paint,
    not geometry), nothing outside the person changes, and the pixels that change most are at
    the two eyes projected from the body's head frame."""
    preset = tmp_path / "face.toml"
    preset.write_text('[scene]\nname = "face"\n' + BASE.replace("[96, 72]", "[160, 120]").replace("samples = 2", "samples = 4") + f"""
[rescuers]
count = [1, 1]
helmet_probability = 0.0
faces = true
poses = {{ standing = 1.0 }}
body_folders = ["{ROOT / 'assets' / 'rescuers'}"]
[civilians]
count = [0, 0]
[camera]
portrait = 0.0
[weather]
conditions = {{ clear = 1.0 }}
fog_probability = 0.0
[light]
background_folders = []
hdris = []
""")
    r = subprocess.run([sys.executable, "-c", FACE_SCRIPT, str(preset), str(tmp_path)], capture_output=True,
                       text=True, env=env(), timeout=300, cwd=ROOT, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    (d, with_face, m1), = frames(tmp_path / "face")
    (_, blank, m0), = frames(tmp_path / "blank")
    assert np.array_equal(m0, m1) and (m1 > 0).sum() > 0.2 * m1.size  # a close-up; the same mask
    diff = np.abs(with_face - blank).max(2)
    assert diff[m1 == 0].max() <= 12  # nothing off the person changes beyond sampling noise
    assert diff.max() > 20  # the face shows (even in a hat brim's shade)
    changed = np.argwhere(diff > 0.5 * diff.max())
    assert len(changed) >= 6
    for x, y in json.loads((tmp_path / "eyes.json").read_text()):  # each eye: changed pixels on it
        near = np.hypot(changed[:, 1] + 0.5 - x, changed[:, 0] + 0.5 - y) < 5
        assert near.sum() >= 2, (x, y)


@pytest.mark.parametrize("key, off, on, field", [("long_hair", "0.0", "1.0", "length"),
                                                  ("hair_loft", "[0.0, 0.0]", "[0.04, 0.04]", "loft")])
def test_hair_is_part_of_the_persons_mask(tmp_path, key, off, on, field):
    """The same close-up of one person with and without long hair (or hair volume): hair is the
    person's own geometry, so their mask with it holds every pixel of their mask without it and more."""
    scene = f"""
[rescuers]
count = [0, 0]
[civilians]
count = [1, 1]
poses = {{ standing = 1.0 }}
{key} = {{value}}
body_folders = ["{ROOT / 'assets' / 'rescuers'}"]
[camera]
modes = {{ close = 1.0 }}
close_fill = [1.2, 1.6]
portrait = 0.0
[weather]
conditions = {{ clear = 1.0 }}
fog_probability = 0.0
"""
    data = tomllib.loads(BASE + scene.replace("{value}", on))
    preset = preset_from_dict(data, tmp_path / "x.toml")
    seed = next(s for s in range(200) if (sample_scene(preset, s, 0)["objects"][0].get("hair") or {}).get(field))
    short, _ = render(tmp_path, "without", scene.replace("{value}", off), "--count", "1", "--seed", str(seed))
    long, _ = render(tmp_path, "with", scene.replace("{value}", on), "--count", "1", "--seed", str(seed))
    (d0, _, m0), = frames(short)
    (d1, _, m1), = frames(long)
    assert d1["objects"][0]["hair"][field] and field not in d0["objects"][0]["hair"]
    assert not ((m0 > 0) & (m1 == 0)).any()
    assert (m1 > 0).sum() > (m0 > 0).sum() + 10


def test_a_group_of_people_renders_as_touching_separate_instances(tmp_path):
    """`civilians.group = 1` with close-ups: in a group shot every member of the row is in the
    image as an instance of its own (own mask index, own COCO annotation), and members stand close
    enough that some touch or overlap in the image, as the dev photos' groups do."""
    from pycocotools.coco import COCO

    out, _ = render(tmp_path, "group", """
categories = ["rescuer", "civilian"]
[camera]
modes = { close = 1.0 }
[rescuers]
count = [0, 0]
[civilians]
count = [3, 3]
poses = { standing = 1.0 }
group = 1.0
[weather]
conditions = { clear = 1.0 }
fog_probability = 0.0
""", "--count", "4", "--resolution", "160x120", annotate=True)
    coco = COCO(str(next(out.rglob("coco.json"))))
    shots = 0
    for d, _, mask in frames(out):
        members = [o for o in d["objects"] if o.get("group")]
        assert len(members) == 3 and len({o["group"] for o in members}) == 1
        if not d["camera"].get("group"):
            continue
        shots += 1
        own = {o["index"]: mask == o["index"] for o in members}
        assert all(m.sum() > 20 for m in own.values()), {k: int(m.sum()) for k, m in own.items()}
        image = next(im for im in coco.imgs.values() if im["file_name"].endswith(d["image"]))
        assert len(coco.getAnnIds(imgIds=[image["id"]])) == 3
        near = [ndimage.binary_dilation(own[a], iterations=2) & own[b] for a in own for b in own if a < b]
        assert any(n.any() for n in near)
    assert shots >= 1
