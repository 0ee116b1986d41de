"""COCO and VIA files: what pycocotools and VIA 2.0.x actually need, checked on real written files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from trainer.annotation import AnnotateOptions, annotate_directory, load_dataset
from trainer.annotation.coco import to_coco
from trainer.annotation.io import read_mask


@pytest.fixture
def dataset_dir(frames: Path) -> Path:
    annotate_directory(frames, options=AnnotateOptions(min_pixels=1, min_extent=1, progress=False))
    return frames


@pytest.mark.parametrize("iou_type", ["segm", "bbox"])
def test_cocoeval_scores_one_against_itself(dataset_dir: Path, iou_type: str) -> None:
    gt = COCO(str(dataset_dir / "annotations" / "coco.json"))
    results = [{"image_id": a["image_id"], "category_id": a["category_id"], "score": 1.0,
                "segmentation": a["segmentation"], "bbox": a["bbox"]} for a in gt.dataset["annotations"]]
    ev = COCOeval(gt, gt.loadRes(results), iou_type)
    ev.evaluate(); ev.accumulate(); ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)  # AP@[.5:.95]


def test_coco_fields_follow_the_rules(dataset_dir: Path) -> None:
    coco = json.loads((dataset_dir / "annotations" / "coco.json").read_text())
    assert [c["id"] for c in coco["categories"]] == list(range(1, len(coco["categories"]) + 1))
    assert [a["id"] for a in coco["annotations"]] == list(range(1, len(coco["annotations"]) + 1))
    assert coco["info"]["version"] and coco["info"]["generator"].startswith("rescuesynth")
    api = COCO(str(dataset_dir / "annotations" / "coco.json"))
    by_name = {img["file_name"]: img for img in coco["images"]}
    for name, img in by_name.items():
        index = read_mask(dataset_dir / "masks" / name)
        for ann in api.loadAnns(api.getAnnIds(imgIds=[img["id"]])):
            assert ann["iscrowd"] == 0 and all(isinstance(v, float) for v in ann["bbox"])
            pixels = index == ann["attributes"]["index"]
            assert (api.annToMask(ann).astype(bool) == pixels).all()  # exact, via pycocotools itself
            assert ann["area"] == pixels.sum()
            if isinstance(ann["segmentation"], list):
                assert all(len(p) >= 6 for p in ann["segmentation"])  # never read as a box


def test_coco_reader_accepts_uncompressed_rle_and_polygons(dataset_dir: Path, tmp_path: Path) -> None:
    coco = json.loads((dataset_dir / "annotations" / "coco.json").read_text())
    ann = next(a for a in coco["annotations"] if isinstance(a["segmentation"], list))
    img = next(i for i in coco["images"] if i["id"] == ann["image_id"])
    m = COCO(str(dataset_dir / "annotations" / "coco.json")).annToMask(ann).astype(bool)
    flat = m.ravel(order="F")  # uncompressed RLE: alternating 0/1 run lengths, column-major, 0s first
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    counts = ([0] if flat[0] else []) + np.diff(bounds).tolist()
    ann["segmentation"] = {"size": [img["height"], img["width"]], "counts": counts}
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(coco))
    ds = load_dataset(path, images_dir=dataset_dir / "images")
    loaded = [a for r in ds.images for a in r.annotations if a.rle is not None and r.file_name == img["file_name"]]
    assert any((a.to_mask(img["height"], img["width"]) == m).all() for a in loaded)
    written = [a["segmentation"] for a in to_coco(ds)["annotations"] if isinstance(a["segmentation"], dict)]
    assert written and all(isinstance(s["counts"], str) for s in written)  # compressed on the way out


def test_via_project_has_exactly_the_structure_via_expects(dataset_dir: Path) -> None:
    project = json.loads((dataset_dir / "annotations" / "via_project.json").read_text())
    assert set(project) == {"_via_settings", "_via_img_metadata", "_via_attributes",
                            "_via_data_format_version", "_via_image_id_list"}
    settings = project["_via_settings"]
    assert set(settings) == {"ui", "core", "project"}
    assert isinstance(settings["ui"]["annotation_editor_height"], int)
    assert isinstance(settings["ui"]["image_grid"]["show_region_shape"], bool)
    assert settings["core"]["default_filepath"].endswith("/") and isinstance(settings["core"]["filepath"], dict)
    assert isinstance(settings["project"]["name"], str)
    assert project["_via_data_format_version"] == "2.0.10"
    attrs = project["_via_attributes"]
    assert set(attrs) == {"region", "file"} and attrs["region"]["class"]["type"] == "dropdown"
    assert set(attrs["region"]["class"]["options"]) == {"rescuer", "civilian", "dog"} & set(
        attrs["region"]["class"]["options"])
    assert project["_via_image_id_list"] == list(project["_via_img_metadata"])
    regions_file = json.loads((dataset_dir / "annotations" / "via_regions.json").read_text())
    assert regions_file == project["_via_img_metadata"]
    for key, entry in project["_via_img_metadata"].items():
        size = os.path.getsize(dataset_dir / "images" / entry["filename"])
        assert key == f"{entry['filename']}{size}" and entry["size"] == size  # VIA's image id
        assert set(entry) == {"filename", "size", "regions", "file_attributes"}
        for region in entry["regions"]:
            shape = region["shape_attributes"]
            assert shape["name"] == "polygon"
            xs, ys = shape["all_points_x"], shape["all_points_y"]
            assert len(xs) == len(ys) >= 3 and all(type(v) is int for v in xs + ys)
            assert (xs[0], ys[0]) != (xs[-1], ys[-1])  # not closed
            assert set(region["region_attributes"]) == {"class", "instance"}


def test_via_round_trip_matches_coco(dataset_dir: Path) -> None:
    """Reading the VIA export back gives the same objects (integer points: IoU >= 0.98 for big ones)."""
    coco_ds = load_dataset(dataset_dir)
    via_ds = load_dataset(dataset_dir / "annotations" / "via_project.json")
    assert [r.file_name for r in via_ds.images] == [r.file_name for r in coco_ds.images]
    ious = []
    for a_rec, b_rec in zip(coco_ds.images, via_ds.images):
        assert len(a_rec.annotations) == len(b_rec.annotations)
        for a, b in zip(a_rec.annotations, b_rec.annotations):
            assert a.category == b.category
            if a.area >= 1024 and not a.attributes.get("has_holes"):
                ma, mb = a.to_mask(a_rec.height, a_rec.width), b.to_mask(b_rec.height, b_rec.width)
                ious.append((ma & mb).sum() / (ma | mb).sum())
    assert ious and np.mean(ious) >= 0.98


def test_via_reader_takes_rect_circle_and_groups_instances(tmp_path: Path) -> None:
    import cv2
    (tmp_path / "images").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((50, 80, 3), np.uint8))
    size = (tmp_path / "images" / "a.png").stat().st_size
    export = {f"a.png{size}": {"filename": "a.png", "size": size, "file_attributes": {}, "regions": [
        {"shape_attributes": {"name": "rect", "x": 10, "y": 10, "width": 20, "height": 10},
         "region_attributes": {"class": "rescuer", "instance": "1"}},
        {"shape_attributes": {"name": "rect", "x": 40, "y": 10, "width": 5, "height": 5},
         "region_attributes": {"class": "rescuer", "instance": "1"}},
        {"shape_attributes": {"name": "circle", "cx": 60, "cy": 35, "r": 8},
         "region_attributes": {"type": "dog"}},
        {"shape_attributes": {"name": "point", "cx": 1, "cy": 1}, "region_attributes": {}}]}}
    (tmp_path / "via.json").write_text(json.dumps(export))
    ds = load_dataset(tmp_path / "via.json")
    anns = ds.images[0].annotations
    assert [a.category for a in anns] == ["rescuer", "dog"]
    assert anns[0].area == 20 * 10 + 5 * 5 and anns[0].bbox == (10.0, 10.0, 35.0, 10.0)
    assert abs(anns[1].area - np.pi * 64) < 12
