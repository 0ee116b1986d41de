"""People's look and population: skin tones from a measured colorimetric range, garments with
fabric patterns for civilians, agency designs and wear for rescuers, all deterministic per seed and
recorded in the frame JSON; the shipped bodies cover the claimed poses, sexes and ages; on a real
render the shading never changes a mask. Pure Python except the marked Blender test."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from render_support import ROOT, env, needs_bpy

from blender_addon.assets import bodies
from blender_addon.generators import people
from blender_addon.preset import preset_from_dict
from blender_addon.sampling import sample_scene
from blender_addon.assets import rescuers as anny_bodies

SHIPPED = ROOT / "assets" / "rescuers" / "shipped"


def many_people(n_frames: int = 40, seed: int = 5, **extra) -> list[dict]:
    p = preset_from_dict({"rescuers": {"count": [2, 3], **extra}, "civilians": {"count": [2, 3], **extra}},
                         ROOT / "scenes" / "x.toml")
    return [o for k in range(n_frames) for o in sample_scene(p, seed, k)["objects"]]


def test_look_is_recorded_and_deterministic_per_seed():
    a, b, other = many_people(6, 1), many_people(6, 1), many_people(6, 2)
    assert json.loads(json.dumps(a)) == b  # plain JSON, and the same seed gives the same look
    keys = ("skin", "wear", "hat", "garments", "uniform")
    assert [{k: o.get(k) for k in keys} for o in a] != [{k: o.get(k) for k in keys} for o in other]
    for o in a:
        assert o["skin"]["group"] in people.SKIN_GROUPS and o["colors"]["skin"] == people.lab_to_linear_rgb(*o["skin"]["lab"])
        if o["category"] == "civilian":
            top, bottom = o["garments"]["top"], o["garments"]["bottom"]
            assert top["pattern"]["kind"] in people.TOP_PATTERNS[top["kind"]]
            assert bottom["pattern"]["kind"] in people.BOTTOM_PATTERNS[bottom["kind"]]
            assert o["colors"]["gloves"] == o["colors"]["skin"] and o.get("uniform") is None  # bare hands
        else:
            assert o["uniform"]["design"] in people.UNIFORM_DESIGNS and o["uniform"]["trim"] in people.TRIMS
            assert o.get("garments") is None
        if o.get("hat"):
            assert not o["helmet"] and o["hat"]["geometry"]["kind"] == o["hat"]["kind"]


def test_garments_patterns_and_hats_cover_the_catalogue():
    rng = np.random.default_rng(0)
    body = json.loads(next(SHIPPED.glob("*.json")).read_text()) if any(SHIPPED.glob("*.json")) else {}
    lm = people.landmarks(body)
    outfit = {"cloth_thickness": {"jacket": 0.015, "pants": 0.01}, "hair": {"color": [0, 0, 0], "thickness": 0.01}}
    seen, hats = set(), set()
    for _ in range(600):
        look = people.sample_look(rng, "civilian", False, body, outfit)
        top, bottom = look["garments"]["top"], look["garments"]["bottom"]
        seen |= {("top", top["kind"], top["pattern"]["kind"]), ("bottom", bottom["kind"], bottom["pattern"]["kind"])}
        if top["kind"] == "tshirt":  # short sleeves end on the upper arm
            assert lm["elbow"] < top["sleeve_cut"] < lm["shoulder"]
        elif top["kind"] == "shirt" and top["sleeve_cut"] is not None:  # rolled up to the forearm
            assert lm["wrist"] < top["sleeve_cut"] <= lm["elbow"] + 1e-9
        else:
            assert top["sleeve_cut"] is None
        if top["kind"] in people.SHIRTS:  # a shirt ends across the belly, a coat at the hip joint
            assert lm["hip"] < top["waist_cut"] < lm["hip"] + 0.1
        else:
            assert top["waist_cut"] is None
        assert (bottom["hem_cut"] is not None) == (bottom["kind"] == "shorts")
        if bottom["hem_cut"] is not None:
            assert lm["knee"] < bottom["hem_cut"] < lm["hip"]
        if look["hat"]:
            hats.add(look["hat"]["kind"])
    want = {("top", k, p) for k, ps in people.TOP_PATTERNS.items() for p in ps}
    want |= {("bottom", k, p) for k, ps in people.BOTTOM_PATTERNS.items() for p in ps}
    assert want <= seen, want - seen
    assert hats == set(bodies.HAT_KINDS)
    for kind in bodies.HAT_KINDS:  # hats sit on the head, crown up, a cap's visor in front of the face
        head = {"head_center": [0, 0, 1.6], "head_axis": [0, 0, 1], "head_radius": 0.1}
        hat = bodies.hat_geometry(head, kind)
        m = bodies.hat_mesh(hat)
        assert m.verts[:, 2].max() > 1.7 and m.verts[:, 2].min() > 1.5
        if kind == "cap":  # faces -Y: the visor sticks out in front of the crown it is centred on
            y = m.verts[:, 1] - hat["center"][1]
            assert y.min() < -0.17 and y.max() < 0.14


def test_skin_tones_span_the_measured_range_and_follow_ancestry():
    assert people.lab_to_linear_rgb(100, 0, 0) == pytest.approx([1, 1, 1], abs=2e-3)
    y50 = np.dot(people.lab_to_linear_rgb(50, 0, 0), [0.2126, 0.7152, 0.0722])
    assert y50 == pytest.approx(0.184, abs=3e-3)  # CIE: L* 50 is 18.4% luminance
    rng = np.random.default_rng(1)
    by = {}
    for anc in (None, {"african": 1.0}, {"asian": 1.0}, {"caucasian": 1.0}):
        draws = [people.sample_skin(rng, anc) for _ in range(400)]
        for d in draws:
            L, a, b = d["lab"]
            assert 25 <= L <= 78
            if 25 < L < 78:  # (not clipped) the recorded ITA is the colour's
                assert math.degrees(math.atan((L - 50) / b)) == pytest.approx(d["ita"], abs=1e-3)
            lo, hi = people.SKIN_GROUPS[d["group"]]
            assert lo <= d["ita"] <= hi
        by[next(iter(anc)) if anc else "any"] = draws
    assert {d["group"] for d in by["any"]} == set(people.SKIN_GROUPS)  # Fitzpatrick I..VI-like coverage
    lum = [np.dot(d["color"] if "color" in d else people.lab_to_linear_rgb(*d["lab"]), [0.2126, 0.7152, 0.0722])
           for d in by["any"]]
    assert min(lum) < 0.08 and max(lum) > 0.42  # linear albedo from dark to very light skin
    mean_l = {k: np.mean([d["lab"][0] for d in v]) for k, v in by.items()}
    assert mean_l["african"] < mean_l["asian"] < mean_l["caucasian"]
    assert {d["group"] for d in by["african"]} >= {"brown", "dark"} and {d["group"] for d in by["caucasian"]} >= {"light"}


def test_rescuers_get_agency_designs_trims_and_wear():
    ppl = [o for o in many_people(60, 3) if o["category"] == "rescuer"]
    assert {o["uniform"]["design"] for o in ppl} == set(people.UNIFORM_DESIGNS)
    assert {o["uniform"]["trim"] for o in ppl} == set(people.TRIMS)
    assert max(o["wear"]["fade"] for o in ppl) > 0.3 and max(o["wear"]["grime"] for o in ppl) > 0.4
    assert any(o["wear"]["wet"] > 0 for o in ppl) and any(o["wear"]["wet"] == 0 for o in ppl)
    for o in ppl:
        assert (o["uniform"]["second"] is None) == (o["uniform"]["design"] == "plain")


@pytest.mark.skipif(not any(SHIPPED.glob("*.json")), reason="no shipped bodies")
def test_shipped_population_covers_poses_sexes_and_ages():
    metas = [json.loads(p.read_text()) for p in sorted(SHIPPED.glob("body_*.json"))]
    assert len(metas) >= 48
    assert {m["pose"] for m in metas} == set(anny_bodies.POSES)
    for pose in ("standing", "walking", "crouching", "kneeling", "carrying", "sitting", "lying"):
        assert {m["person"]["sex"] for m in metas if m["pose"] == pose} == {"female", "male"}, pose
    ages = [m["person"]["age_years"] for m in metas]
    assert min(ages) < 18 and max(ages) > 70 and sum(18 <= a <= 60 for a in ages) > len(ages) / 2
    assert {max(m["person"]["ancestry"], key=m["person"]["ancestry"].get) for m in metas} == set(anny_bodies.ANCESTRIES)
    assert len({m["pose_variant"] for m in metas}) >= 15
    walk = sorted(m["joints"]["gait_phase"] for m in metas if m["pose"] == "walking")
    assert len(walk) >= 8 and walk[0] < 0.2 and walk[-1] > 0.8  # gait phases spread over the cycle
    for m in metas:
        assert set(m["landmarks"]) == set(anny_bodies.LANDMARK_BONES) and m["chest_uv"] and m["uv_metres"]["jacket"] > 0
        lm = m["landmarks"]
        assert lm["ankle"] < lm["knee"] < lm["hip"] < lm["wrist"] < lm["elbow"] < lm["shoulder"]
    assert sum(p.stat().st_size for p in SHIPPED.glob("*.obj")) < 300e3 * len(metas)
    # the default preset reaches the population: many different bodies over a few frames
    p = preset_from_dict({}, ROOT / "scenes" / "x.toml")
    used = {o["asset"] for k in range(60) for o in sample_scene(p, 0, k)["objects"] if o.get("category") in ("rescuer", "civilian")}
    assert len(used) > 30


def test_gait_curves_are_periodic_and_within_limits():
    for joint in anny_bodies.GAIT:
        assert anny_bodies.gait_angle(joint, 0.0) == pytest.approx(anny_bodies.gait_angle(joint, 1.0))
    hip = [anny_bodies.gait_angle("hip", t) for t in np.linspace(0, 1, 101)]
    knee = [anny_bodies.gait_angle("knee", t) for t in np.linspace(0, 1, 101)]
    assert -12 < min(hip) < -8 and 30 < max(hip) < 35 and 55 < max(knee) < 65  # Winter's normal gait
    rng = np.random.default_rng(2)
    for pose in anny_bodies.POSES:  # every variant drawn, all anatomical angles within human limits
        variants = set()
        for _ in range(60):
            j = anny_bodies.sample_joints(rng, pose)
            variants.add(int(j["variant"]))
            for s in ("l", "r"):
                assert -30 <= j[f"{s}_hip_flex"] <= 125 and 0 <= j[f"{s}_knee_flex"] <= 150
                assert -40 <= j[f"{s}_shoulder_flex"] <= 170 and 0 <= j[f"{s}_elbow_flex"] <= 145
                assert -25 <= j[f"{s}_ankle_flex"] <= 35
        assert variants == set(range(len(anny_bodies.POSE_VARIANTS[pose]))), pose


@pytest.mark.skipif(not any(SHIPPED.glob("*.obj")), reason="no shipped bodies")
@needs_bpy
def test_garment_shading_never_changes_the_masks(tmp_path):
    """Two real renders of the same frames with shipped bodies: the garments, patterns, wear and
    skin shading as sampled, and the same with every one of those shaders flattened to its base
    colour. The images differ, the 16-bit masks are byte-identical and hold exactly the people's
    pass indices. The short sleeves are geometry too: forearm vertices below the cut stay where
    the body had them while the torso's cloth is pushed out."""
    preset = tmp_path / "p.toml"
    (tmp_path / "bodies").symlink_to(SHIPPED, target_is_directory=True)  # body paths are relative to the preset
    preset.write_text(textwrap.dedent(f"""
        [scene]
        name = "look"
        [render]
        resolution = [96, 72]
        samples = 2
        [output]
        min_pixels = 0
        min_extent = 0
        [rescuers]
        count = [1, 1]
        spread = 1.2
        body_folders = ["bodies"]
        [civilians]
        count = [2, 2]
        body_folders = ["bodies"]
        [debris]
        count = [0, 0]
        [buildings]
        count = [0, 0]
        far_count = [0, 0]
        heaps = [0, 0]
        [distractors]
        dogs = [0, 0]
        vehicles = [0, 0]
        [camera]
        modes = {{ ground = 1.0 }}
        ground_distance = [3.0, 4.0]
        sensor_noise = [0.0, 0.0]
        [weather]
        conditions = {{ clear = 1.0 }}
        fog_probability = 0.0
    """))
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from blender_addon import engine
        from blender_addon.builders import garments
        tmp = Path({str(tmp_path)!r})
        def run(out):
            engine.render_dataset(engine.RenderOptions(preset=tmp / "p.toml", out=tmp / out, count=2, seed=4,
                                                       annotate=False), log=lambda s: None)
        run("look")
        garments.pattern = lambda nt, pat, region, g, b, person: garments.rgb(nt, pat["colors"][0])
        garments.wear = lambda nt, color, wear, region, g, b, body: (color, None)
        garments.uniform_design = lambda nt, color, uniform, g, b, body: color
        garments.skin_tint = lambda nt, color: color
        run("flat")
        print("DONE")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env(), timeout=600,
                       cwd=ROOT, check=False)
    assert r.returncode == 0 and "DONE" in r.stdout, r.stderr[-2000:]
    from PIL import Image

    differ = 0
    for d in sorted((tmp_path / "look" / "scenes").glob("*.json")):
        desc = json.loads(d.read_text())
        m1 = (tmp_path / "look" / "masks" / desc["mask"]).read_bytes()
        m2 = (tmp_path / "flat" / "masks" / desc["mask"]).read_bytes()
        assert m1 == m2, d.name
        mask = np.asarray(Image.open(tmp_path / "look" / "masks" / desc["mask"])).astype(int)
        people_idx = {o["index"] for o in desc["objects"]}
        assert set(np.unique(mask)) - {0} <= people_idx and len(set(np.unique(mask)) - {0}) >= 1
        assert all(o["asset"].endswith(".obj") for o in desc["objects"])
        a = np.asarray(Image.open(tmp_path / "look" / "images" / desc["image"]).convert("RGB"), float)
        b = np.asarray(Image.open(tmp_path / "flat" / "images" / desc["image"]).convert("RGB"), float)
        differ += np.abs(a - b)[mask > 0].mean() > 0.5
    assert differ >= 1  # the shading did change the people's pixels


@pytest.mark.skipif(not any(SHIPPED.glob("*.obj")), reason="no shipped bodies")
@needs_bpy
def test_short_sleeves_and_hats_are_geometry_on_real_bodies():
    script = textwrap.dedent(f"""
        import json, bpy, numpy as np
        from pathlib import Path
        from blender_addon.builders import cleanup
        from blender_addon.builders.bodies import body_object, bare_vertices, field_values
        cleanup.reset_factory()
        shipped = Path({str(SHIPPED)!r})
        meta = json.loads((shipped / "body_000.json").read_text())
        from blender_addon.assets import bodies
        d = bodies.describe(shipped / "body_000.obj")
        body = {{k: d[k] for k in ("bbox_min", "bbox_max", "head_center", "head_axis", "head_radius", "regions",
                                   "normalize", "stature", "stripe_field", "person", "landmarks", "uv_metres", "chest_uv")}}
        lm = body["landmarks"]
        person = {{"index": 1, "category": "civilian", "name": "c", "asset": "body_000.obj", "pose": "standing",
                  "location": [0, 0, 0], "yaw_deg": 0.0, "height": 1.75, "scale": 1.75 / body["stature"],
                  "helmet": False, "stripes": False, "dirt": 0.0, "roughness": 0.8, "body": body,
                  "colors": {{k: [0.5, 0.4, 0.3] for k in ("jacket", "pants", "skin", "helmet", "boots", "gloves")}},
                  "cloth_thickness": {{"jacket": 0.02, "pants": 0.01, "boots": 0.01, "gloves": 0.0}},
                  "folds": {{"scale": 8.0, "strength": 0.3, "phase": 1.0, "sheen": 0.2}}, "hair": None, "backpack": None,
                  "hat": {{"kind": "cap", "color": [0.1, 0.1, 0.1], "geometry": bodies.hat_geometry(body, "cap")}},
                  "wear": {{"fade": 0.1, "grime": 0.1, "wet": 0.0, "seed": 1.0}},
                  "garments": {{"top": {{"kind": "tshirt", "sleeve_cut": lm["elbow"] + 0.5 * (lm["shoulder"] - lm["elbow"]),
                                         "pattern": {{"kind": "stripes", "colors": [[0.5, 0.1, 0.1], [0.8, 0.8, 0.8]],
                                                      "phase": 0.0, "period": 0.04, "duty": 0.4}}}},
                               "bottom": {{"kind": "jeans", "hem_cut": None,
                                           "pattern": {{"kind": "denim", "colors": [[0.03, 0.05, 0.15], [0.1, 0.15, 0.3]],
                                                        "phase": 0.0, "fade": 0.5, "period": 0.003}}}}}}}}
        cache = {{}}
        o = body_object(person, shipped, cache, bpy.context.scene.collection)
        src = cache[("body", str(shipped / "body_000.obj"))]
        co0 = np.array([v.co for v in src.vertices]); n0 = len(co0)
        co = np.array([v.co for v in o.data.vertices])[:n0]
        f = field_values(src)
        bare = bare_vertices(src, person)
        arm = f[:, 2] > 0.5
        moved = np.linalg.norm(co - co0, axis=1)
        names = [m.name.split("_")[-2] for m in o.data.materials]
        print("RESULT", json.dumps(dict(n_bare=int(bare.sum()), bare_moved=float(moved[bare].max()),
              sleeve_moved=float(np.median(moved[arm & ~bare])), names=names, n=len(o.data.vertices), n0=n0)))
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env(), timeout=300,
                       cwd=ROOT, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    [line] = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")]
    res = json.loads(line[7:])
    assert res["n_bare"] > 30 and res["bare_moved"] < 0.004  # bare forearms: (almost) no cloth volume
    assert res["sleeve_moved"] > 0.005  # the sleeve above the cut has it
    assert "hat" in res["names"] and res["n"] > res["n0"]  # the cap is joined into the person's one mesh


def test_faces_are_drawn_for_region_bodies_from_their_own_stream(monkeypatch):
    """Every person on a shipped (region) body gets a face with plausible features, deterministic
    per seed; the face draws from a stream of its own, so without it every other value of every
    person is exactly the same (also with `faces` off, the default: then no one has a face)."""
    a = many_people(10, 3, faces=True)
    assert a == many_people(10, 3, faces=True)
    off = many_people(10, 3)
    assert not any("face" in o for o in off)
    assert [{k: v for k, v in o.items() if k != "face"} for o in a] == off
    faced = [o for o in a if "face" in o]
    assert len(faced) == len([o for o in a if (o.get("body") or {}).get("regions")]) > 20
    for o in faced:
        f = o["face"]
        assert 0.2 < f["eye_spacing"] < 0.35 and 0.1 < f["eye_height"] < 0.3 and 0 <= f["beard"] <= 1
        assert max(f["iris"]) < 0.25 and len(f["brow"]) == 3
        if f["beard"]:
            assert o["body"]["person"]["sex"] == "male"
    assert len({f["face"]["eye_height"] for f in faced}) == len(faced)  # drawn, not fixed
    monkeypatch.setattr(people, "sample_face", lambda rng, person: None)
    b = many_people(10, 3, faces=True)
    assert [{k: v for k, v in o.items() if k != "face"} for o in a] == [{k: v for k, v in o.items() if k != "face"}
                                                                        for o in b]


def test_hair_loft_stands_off_the_crown_in_clumps_and_changes_nothing_else():
    """`hair_loft` (off by default: no one changes): hatless people with short hair get a loft in the
    range from a stream of their own (faces and long hair unchanged); the loft is 0 at and below
    the hairline, largest over the crown, lumpy, and the same for the same seed."""
    assert all("loft" not in (o.get("hair") or {}) for o in many_people(10, 3))
    extra = {"faces": True, "long_hair": 0.5}
    base = many_people(20, 3, **extra)
    lofted = many_people(20, 3, **extra, hair_loft=[0.01, 0.04])
    drop = lambda o: {**o, "hair": {k: v for k, v in o["hair"].items() if not k.startswith("loft")}} if o.get("hair") else o
    assert [drop(o) for o in lofted] == base
    haired = [o for o in lofted if o.get("hair") and (o.get("body") or {}).get("regions")]
    with_loft = [o for o in haired if "loft" in o["hair"]]
    assert with_loft and all(0.01 <= o["hair"]["loft"] <= 0.04 for o in with_loft)
    assert all(("loft" in o["hair"]) == (not o.get("hat") and "length" not in o["hair"]) for o in haired)
    body = with_loft[0]["body"]
    c, ax, face, r = bodies.head_frame(body)
    skull = c + 0.25 * r * ax
    side = np.cross(face, ax)
    chin = [skull + r * (-0.6 * ax + 0.8 * face)]
    brow = [skull + r * (0.2 * ax + 0.98 * face)]  # below the forehead's hairline (0.2 + 0.6 = 0.8 r up)
    angles = np.radians(np.arange(0, 360, 15))
    crown = skull + r * (0.9 * ax + 0.4 * (np.cos(angles)[:, None] * face + np.sin(angles)[:, None] * side))
    assert bodies.hair_loft(np.array(chin + brow), body, 0.03, 7).max() == 0.0
    top = bodies.hair_loft(crown, body, 0.03, 7)
    assert np.all(top >= 0.4 * 0.03 - 1e-9) and np.all(top <= 1.6 * 0.03 + 1e-9) and top.std() > 0.002
    assert np.array_equal(top, bodies.hair_loft(crown, body, 0.03, 7))
    assert not np.array_equal(top, bodies.hair_loft(crown, body, 0.03, 8))


def test_long_hair_hangs_behind_the_face_for_the_share_asked():
    """`long_hair`: off by default (no person changes); at 0.6 about that share of women with hair
    get it and far fewer men, drawn after the face (faces unchanged); the curtain stays clear of
    the face and hangs down to the drawn length."""
    assert all("length" not in (o.get("hair") or {}) for o in many_people(10, 3))
    p = preset_from_dict({"rescuers": {"count": [2, 3], "long_hair": 0.6, "helmet_probability": 0.0, "faces": True},
                          "civilians": {"count": [2, 3], "long_hair": 0.6, "faces": True}}, ROOT / "scenes" / "x.toml")
    base = preset_from_dict({"rescuers": {"count": [2, 3], "helmet_probability": 0.0, "faces": True},
                             "civilians": {"count": [2, 3], "faces": True}}, ROOT / "scenes" / "x.toml")
    a = [o for k in range(30) for o in sample_scene(p, 4, k)["objects"]]
    b = [o for k in range(30) for o in sample_scene(base, 4, k)["objects"]]
    assert [o.get("face") for o in a] == [o.get("face") for o in b]
    haired = [o for o in a if o.get("hair") and o.get("face")]
    share = {sex: np.mean([bool(o["hair"].get("length")) for o in haired if o["body"]["person"]["sex"] == sex])
             for sex in ("female", "male")}
    assert 0.4 < share["female"] < 0.8 and share["male"] < 0.3
    for o in haired:
        if not o["hair"].get("length"):
            continue
        m = bodies.long_hair_mesh(o["body"], o["hair"]["length"], o["hair"]["volume"])
        c, r = np.asarray(o["body"]["head_center"]), o["body"]["head_radius"]
        ax = np.asarray(o["body"]["head_axis"]) / np.linalg.norm(o["body"]["head_axis"])
        fwd = bodies.face_direction(ax)
        d = m.verts - c
        up, ahead, across = d @ ax / r, d @ fwd / r, d @ np.cross(fwd, ax) / r
        on_face = (ahead > 0.2) & (np.abs(across) < 0.5) & (up > -0.8) & (up < 0.6)
        assert not on_face.any()
        assert up.min() == pytest.approx(-o["hair"]["length"], abs=1e-6)
