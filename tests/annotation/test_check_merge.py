"""`trainer check` finds what breaks training/eval; `trainer merge` joins shards like one run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from trainer.annotation import AnnotateOptions, annotate_directory, load_dataset
from trainer.annotation.check import check_dataset
from trainer.annotation.merge import merge_datasets
from trainer.annotation.synthetic import make_frames
from trainer.errors import UserError

QUIET = AnnotateOptions(progress=False)


def test_clean_dataset_has_no_problems(frames: Path) -> None:
    annotate_directory(frames, options=QUIET)
    report = check_dataset(frames)
    assert report.errors == 0 and report.images == 12 and "no problems" in report.table()


def test_check_reports_each_kind_of_coco_error(frames: Path) -> None:
    annotate_directory(frames, options=QUIET)
    path = frames / "annotations" / "coco.json"
    coco = json.loads(path.read_text())
    anns = coco["annotations"]
    anns[1]["id"] = anns[0]["id"]  # id collision
    del anns[2]["iscrowd"]
    anns[3]["segmentation"] = [[1, 1, 5, 5]]  # 4 numbers: pycocotools would read a box
    anns[4]["category_id"] = 99
    coco["categories"].append({"id": 7, "name": "unused", "supercategory": "unused"})
    path.write_text(json.dumps(coco))
    report = check_dataset(frames)
    checks = {f.check for f in report.findings.values() if f.level == "error"}
    assert {"duplicate annotation id", "annotation lacks iscrowd", "polygon with < 3 points or odd length",
            "annotation refers to a missing category"} <= checks
    assert "category with no annotations" in report.findings


def test_check_reports_missing_truncated_and_resized_images(frames: Path) -> None:
    annotate_directory(frames, options=QUIET)
    (frames / "images" / "000000.png").unlink()
    (frames / "images" / "000001.png").write_bytes((frames / "images" / "000001.png").read_bytes()[:100])
    shutil.copy(frames / "masks" / "000002.png", frames / "images" / "000003.png")  # same size, fine
    import cv2, numpy as np
    cv2.imwrite(str(frames / "images" / "000004.png"), np.zeros((10, 10, 3), np.uint8))
    report = check_dataset(frames)
    assert report.findings["missing, unreadable or truncated image"].count == 2
    assert report.findings["image size differs from the annotation file"].count == 1
    assert report.errors == 3


def test_check_refuses_paths_escaping_the_dataset(frames: Path) -> None:
    annotate_directory(frames, options=QUIET)
    path = frames / "annotations" / "coco.json"
    coco = json.loads(path.read_text())
    coco["images"][0]["file_name"] = "../../etc/passwd"
    path.write_text(json.dumps(coco))
    assert "unsafe image path" in check_dataset(frames).findings
    with pytest.raises(UserError, match="outside the dataset"):
        ds = load_dataset(frames)
        ds.image_path(ds.images[0])


def test_merged_shards_equal_one_run(tmp_path: Path) -> None:
    whole = make_frames(tmp_path / "whole", 6, width=96, height=72, objects=5, seed=1)
    cats = ["rescuer", "civilian", "dog"]  # the renderer passes the preset's class list
    for i, part in enumerate(((0, 3), (3, 6))):
        shard = tmp_path / f"shard{i}"
        for folder, ext in (("images", ".png"), ("masks", ".png"), ("scenes", ".json")):
            (shard / folder).mkdir(parents=True)
            for n in range(*part):
                shutil.copy(whole / folder / f"{n:06d}{ext}", shard / folder)
        annotate_directory(shard, options=AnnotateOptions(progress=False, categories=cats,
                                                                info={"seed": 1, "shard": f"{i}/2"}))
    annotate_directory(whole, options=AnnotateOptions(progress=False, categories=cats, info={"seed": 1}))
    merge_datasets([tmp_path / "shard0", tmp_path / "shard1"], tmp_path / "merged")
    for name in ("coco.json", "via_regions.json"):
        assert (tmp_path / "merged" / "annotations" / name).read_bytes() == (whole / "annotations" / name).read_bytes()
    for folder in ("masks", "scenes"):
        assert sorted(p.name for p in (tmp_path / "merged" / folder).iterdir()) == \
               sorted(p.name for p in (whole / folder).iterdir())


def test_merge_renames_clashing_names_and_matches_categories_by_name(tmp_path: Path) -> None:
    a = make_frames(tmp_path / "a", 2, width=64, height=48, objects=4, seed=1)
    b = make_frames(tmp_path / "b", 2, width=64, height=48, objects=4, seed=2)
    annotate_directory(a, options=AnnotateOptions(progress=False, categories=["rescuer", "dog", "civilian"]))
    annotate_directory(b, options=AnnotateOptions(progress=False))
    result = merge_datasets([a, b], tmp_path / "m", preview=False)
    ds = load_dataset(tmp_path / "m")
    assert len(ds.images) == 4 and len(result.renamed) == 2
    assert ds.categories[:3] == ["rescuer", "dog", "civilian"]
    assert {r.file_name for r in ds.images} == {"000000.png", "000001.png", "b/000000.png", "b/000001.png"}
    assert (tmp_path / "m" / "masks" / "b" / "000000.png").is_file()
    assert ds.num_annotations == load_dataset(a).num_annotations + load_dataset(b).num_annotations
    with pytest.raises(UserError, match="already exists"):
        merge_datasets([a, b], tmp_path / "m")


def test_a_folder_without_annotations_is_named_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(UserError, match="no annotations/coco.json"):
        check_dataset(tmp_path)
