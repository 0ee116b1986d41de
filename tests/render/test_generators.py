"""Every generator is a pure function of its seed (same seed -> same data, other seed -> other
data); debris settles on the ground or on earlier pieces; ruined buildings and rubble heaps stay
off the people and never hide the camera's target; the body OBJ writer round-trips."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from blender_addon import meshes
from blender_addon.assets import bodies
from blender_addon.assets import rescuers as anny_bodies
from blender_addon.generators import buildings, camera, debris, distractors, ground, light, people, weather
from blender_addon.generators.site import Site
from blender_addon.preset import preset_from_dict

PRESET = preset_from_dict({"distractors": {"dogs": [1, 2], "vehicles": [1, 2]},
                           "debris": {"count": [30, 30], "kinds": {"rock": 1, "slab": 1, "beam": 1, "brick": 1,
                                                                     "rebar": 1, "wall": 1, "car": 1}},
                           "camera": {"modes": {"ground": 1, "drone": 1}},
                           "weather": {"conditions": {"clear": 1, "rain": 1, "snow": 1}, "fog_probability": 0.5},
                           "light": {"fires": [0, 3], "work_lights": [0, 2]}}, Path("/nonexistent/x.toml"))


def run_all(seed: int) -> str:
    """Every sampler alone, in sample_scene's order, each handed only what its signature asks for."""
    rng = lambda k: np.random.default_rng([seed, k])
    site = Site(spread=6.0)
    out: dict = {}
    out["rescuers"], site = people.sample(rng(0), PRESET["rescuers"], site, "rescuer")
    out["civilians"], site = people.sample(rng(1), PRESET["civilians"], site, "civilian")
    out["labelled"], out["distractors"], site = distractors.sample(rng(8), PRESET["distractors"], site,
                                                                   ["rescuer", "dog"])
    vehicles = [d for d in out["labelled"] + out["distractors"] if d["kind"] == "vehicle"]
    out["debris"] = debris.sample(rng(2), PRESET["debris"], site)
    out["buildings"] = buildings.sample(rng(7), PRESET["buildings"], site)
    out["ground"] = ground.sample(rng(3), PRESET["ground"])
    out["light"] = light.sample(rng(4), PRESET["light"], site.spread)
    out["weather"] = weather.sample(rng(5), PRESET["weather"])
    out["camera"] = camera.sample(rng(6), PRESET["camera"], width=320, height=240,
                                  objects=out["rescuers"] + out["civilians"] + out["labelled"],
                                  debris=out["debris"], buildings=out["buildings"], vehicles=vehicles)
    return json.dumps(out, sort_keys=True)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_every_generator_is_deterministic_per_seed(seed):
    a, b = json.loads(run_all(seed)), json.loads(run_all(seed))
    other = json.loads(run_all(seed + 100))
    for key in a:
        assert a[key] == b[key], key
        if key not in ("civilians", "labelled"):  # civilians may be zero on both seeds
            assert a[key] != other[key], key


def test_debris_settles_on_the_ground_or_on_earlier_pieces():
    d = json.loads(run_all(3))["debris"]
    kinds = {x["kind"] for x in d}
    assert {"wall", "car", "brick", "slab"} & kinds
    for x in d:
        m = debris.procedural_mesh(x)
        rot = meshes.euler_xyz(*x["rotation_euler"])
        v = m.transformed(rot, x["location"]).verts
        assert v[:, 2].min() > -0.35 * max(x["size"], 0.3), x["name"]  # never sunk deep into the ground
        if x["kind"] in ("wall", "car"):
            assert x["location"][2] == 0.0 and np.hypot(*x["location"][:2]) > 6.0  # at the site's edge


def test_buildings_ring_the_site_and_heaps_stay_off_the_people():
    for seed in range(6):
        out = json.loads(run_all(seed))
        people_xy = [p["location"][:2] for p in out["rescuers"] + out["civilians"]]
        found = {b["kind"] for b in out["buildings"]}
        assert found == {"building", "heap"}, seed
        for b in out["buildings"]:
            m = buildings.mesh(b)
            rot = meshes.euler_xyz(0, 0, b["yaw"])
            v = m.transformed(rot, b["location"]).verts
            assert v[:, 2].min() > (-0.3 if b["kind"] == "building" else -0.5), b["name"]  # on the ground, not sunk
            if b["kind"] == "building":  # a real block: several storeys of slabs, columns and panels
                assert len(m.tris) >= 12 * 3 * sum(b["standing"])  # slab + facade boxes per standing storey
                assert v[:, 2].max() > 0.9 * max(b["standing"]) * b["storey"]
                assert b["storeys"] >= max(b["standing"]) and min(b["standing"]) >= 0
            for xy in people_xy:  # nobody stands inside a building or a heap
                assert not buildings.obstacle(b).contains([*xy, 0.9], margin=0.2), (seed, b["name"])
                if b["kind"] == "building":
                    assert np.hypot(*np.subtract(xy, b["location"][:2])) > 15.0


def test_camera_is_never_inside_scenery_and_sees_its_target_past_it():
    for seed in range(12):
        out = json.loads(run_all(seed))
        cam = out["camera"]
        target = next(p for p in out["rescuers"] if p["name"] == cam["target"])
        centre = people.bbox_corners(target).mean(0)
        for b in out["buildings"]:
            box = buildings.obstacle(b)
            assert not box.contains(cam["location"], margin=0.5), (seed, b["name"])
            assert not box.hit_by(cam["location"], centre), (seed, b["name"])


def test_segment_box_test_is_exact_on_a_known_block():
    b = {"kind": "building", "bays": 4, "depth_bays": 2, "bay": 3.0, "storeys": 3, "storey": 3.0,
         "location": [0.0, 20.0, 0.0], "yaw": 0.0}  # x in [-6, 6], y in [20, 26], z in [0, 9]
    box = buildings.obstacle(b)
    assert box.contains([0, 23, 4]) and not box.contains([0, 30, 4])
    assert box.hit_by([0, 0, 1.5], [0, 40, 1.5])  # straight through
    assert not box.hit_by([0, 0, 1.5], [0, 19, 1.5])  # stops short of the facade
    assert not box.hit_by([0, 0, 12], [0, 40, 12])  # passes over the roof
    assert not box.hit_by([8, 0, 1.5], [8, 40, 1.5])  # passes beside it
    turned = buildings.obstacle({**b, "location": [20.0, 0.0, 0.0], "yaw": -np.pi / 2})  # facade faces -x
    assert turned.hit_by([0, 0, 1.5], [40, 0, 1.5]) and not turned.hit_by([0, 8, 1.5], [40, 8, 1.5])


def test_distractors_are_labelled_only_when_their_class_is_listed_and_stand_clear():
    for seed in range(6):
        out = json.loads(run_all(seed))
        dogs = [d for d in out["labelled"] + out["distractors"] if d["kind"] == "dog"]
        vehicles = [d for d in out["labelled"] + out["distractors"] if d["kind"] == "vehicle"]
        assert dogs and vehicles
        assert all(d["category"] == "dog" and d["index"] > 0 for d in out["labelled"])  # "dog" is listed
        assert all(d["kind"] == "vehicle" and "index" not in d for d in out["distractors"])  # "vehicle" is not
        people_xy = [p["location"][:2] for p in out["rescuers"] + out["civilians"]]
        indices = [p["index"] for p in out["rescuers"] + out["civilians"] + out["labelled"]]
        assert len(set(indices)) == len(indices)  # unique pass indices
        for d in dogs + vehicles:
            v = distractors.mesh(d).verts
            assert abs(v[:, 2].min()) < 1e-6, d["name"]  # paws / wheels on the ground
            for xy in people_xy:
                gap = np.hypot(*np.subtract(xy, d["location"][:2]))
                assert gap >= (0.89 if d["kind"] == "dog" else d["length"] / 2 + 2.0), (seed, d["name"])
        cam = out["camera"]
        target = next(p for p in out["rescuers"] if p["name"] == cam["target"])
        for v in vehicles:  # never between the camera and its target
            assert not distractors.obstacle(v).hit_by(cam["location"], people.bbox_corners(target).mean(0))
        for d in out["debris"]:  # debris keeps off the vehicles
            for v in vehicles:
                assert np.hypot(*np.subtract(d["location"][:2], v["location"][:2])) > v["length"] / 2, d["name"]


def test_body_obj_writer_round_trips(tmp_path):
    m = meshes.humanoid(1.8, people.sample_pose(np.random.default_rng(0), "kneeling"), False)
    n = len(m.verts)
    uvs = np.random.default_rng(0).uniform(0, 1, (n, 2))
    stripes = (np.arange(n) % 7 == 0).astype(float)
    regions = np.array(["skin", "jacket", "pants", "boots"])[m.mat]
    anny_bodies.write_obj(tmp_path / "b.obj", m.verts, m.tris, uvs, m.tris, stripes, regions, "b.mtl")
    anny_bodies.write_mtl(tmp_path / "b.mtl")
    back = bodies.read_obj(tmp_path / "b.obj")
    assert np.allclose(back.verts, m.verts, atol=1e-4)
    assert len(back.tris) == len(m.tris)
    text = (tmp_path / "b.obj").read_text()
    assert all(f"usemtl {r}" in text for r in ("skin", "jacket", "pants"))
    assert bodies.describe(tmp_path / "b.obj")["normalize"]  # no sidecar: normalised by the renderer
    meta = {"bbox_min": m.verts.min(0).tolist(), "bbox_max": m.verts.max(0).tolist(), "stature": 1.8,
            "head_center": [0, 0, 1.6], "head_axis": [0, 0, 1], "head_radius": 0.1, "pose": "kneeling"}
    (tmp_path / "b.json").write_text(json.dumps(meta))
    d = bodies.describe(tmp_path / "b.obj")
    assert d["regions"] and not d["normalize"] and d["pose"] == "kneeling"
    assert copy.deepcopy(d) == d


GROUPED = preset_from_dict({"rescuers": {"count": [2, 2]},
                            "civilians": {"count": [3, 4], "poses": {"standing": 1, "walking": 1}, "group": 1.0},
                            "camera": {"modes": {"close": 1}}}, Path("/nonexistent/x.toml"))


def grouped_people(seed: int, cfg=GROUPED) -> tuple[list[dict], list[dict]]:
    """Rescuers scattered, then civilians (standing together when cfg says so), as sample_scene runs them."""
    rescuers, site = people.sample(np.random.default_rng([seed, 0]), cfg["rescuers"], Site(spread=6.0), "rescuer")
    civilians, _ = people.sample(np.random.default_rng([seed, 1]), cfg["civilians"], site, "civilian",
                                 group_rng=np.random.default_rng([seed, 2]))
    return rescuers, civilians


@pytest.mark.parametrize("seed", range(6))
def test_grouped_people_stand_shoulder_to_shoulder_facing_about_the_same_way(seed):
    """`group = 1`: every civilian joins the first one's row: each stands a row gap (plus at most
    GROUP_DEPTH in front or behind) from a neighbour, never nearer than GROUP_MIN_GAP to another
    member, MIN_GAP from everyone else, turned like the first member within 4 SD; same seed, same row."""
    rescuers, civilians = grouped_people(seed)
    assert json.dumps(grouped_people(seed)) == json.dumps((rescuers, civilians))
    assert {p.get("group") for p in civilians} == {civilians[0]["name"]}
    xy = np.array([p["location"][:2] for p in civilians])
    d = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(len(xy)) * 99
    reach = np.hypot(people.GROUP_GAP[1], 2 * people.GROUP_DEPTH)
    assert d.min() >= people.GROUP_MIN_GAP - 1e-4 and np.all(d.min(1) <= reach + 1e-4)
    for p in rescuers:
        assert np.all(np.linalg.norm(xy - np.array(p["location"][:2]), axis=1) >= people.MIN_GAP - 1e-4)
    turn = [(p["yaw_deg"] - civilians[0]["yaw_deg"] + 180) % 360 - 180 for p in civilians]
    assert max(abs(t) for t in turn) <= 4 * people.GROUP_TURN_SD


def test_people_keep_their_draws_without_groups_and_lying_people_never_join():
    """`group = 0` (the schema's default) draws exactly what it drew before groups existed, with no
    group recorded; a row takes upright people only, so lying people stay apart and unmarked."""
    off = preset_from_dict({"civilians": {"count": [3, 4], "group": 0.0}}, Path("/nonexistent/x.toml"))
    site = Site(spread=6.0)
    with_stream, _ = people.sample(np.random.default_rng(3), off["civilians"], site, "civilian",
                                   group_rng=np.random.default_rng(4))
    without, _ = people.sample(np.random.default_rng(3), off["civilians"], site, "civilian")
    assert json.dumps(with_stream) == json.dumps(without)
    assert not any("group" in p for p in without)
    lying = preset_from_dict({"civilians": {"count": [3, 3], "poses": {"lying": 1}, "group": 1.0}},
                             Path("/nonexistent/x.toml"))
    out, _ = people.sample(np.random.default_rng(3), lying["civilians"], site, "civilian",
                           group_rng=np.random.default_rng(4))
    assert not any("group" in p for p in out)


def test_a_group_shot_frames_every_member_of_the_group():
    """Half the close-ups of a group member frame the whole row (camera records the group): then
    every member's box projects inside the image; the other close-ups frame the member alone."""
    from blender_addon.geometry import inside_frame

    shots = {"group": 0, "member": 0}
    for seed in range(12):
        rescuers, civilians = grouped_people(seed)
        for w, h in ((320, 240), (240, 320)):
            cam = camera.sample(np.random.default_rng([seed, w]), GROUPED["camera"], width=w, height=h,
                                objects=civilians)
            if cam.get("group"):
                shots["group"] += 1
                assert cam["group"] == civilians[0]["group"]
                for p in civilians:
                    assert inside_frame(cam, people.bbox_corners(p), w, h), (seed, p["name"])
            else:
                shots["member"] += 1
    assert shots["group"] >= 6 and shots["member"] >= 6, shots
