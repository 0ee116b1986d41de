"""`annotate_directory` on real files: every input form, filters, determinism, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from trainer.annotation import AnnotateOptions, annotate_directory, load_dataset
from trainer.annotation.io import read_mask, write_json_atomic
from trainer.errors import UserError

QUIET = dict(progress=False)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_visible_object_is_annotated_exactly(frames: Path) -> None:
    summary = annotate_directory(frames, options=AnnotateOptions(min_pixels=1, min_extent=1, **QUIET))
    ds = load_dataset(frames)
    assert summary.frames == 12 and summary.instances == ds.num_annotations > 0
    for record in ds.images:
        index = read_mask(frames / "masks" / record.file_name)
        meta = json.loads((frames / "scenes" / record.file_name.replace(".png", ".json")).read_text())
        visible = {o["index"] for o in meta["objects"]} & set(np.unique(index).tolist())
        assert {a.attributes["index"] for a in record.annotations} == visible
        for ann in record.annotations:
            assert (ann.to_mask(record.height, record.width) == (index == ann.attributes["index"])).all()
            assert 0 < ann.attributes["visible_fraction"] <= 1
            assert ann.attributes["unoccluded_px"] >= ann.area


def test_filters_drop_and_count(frames: Path) -> None:
    loose = annotate_directory(frames, frames.parent / "loose", AnnotateOptions(min_pixels=1, min_extent=1, **QUIET))
    strict = annotate_directory(frames, frames.parent / "strict",
                                AnnotateOptions(min_pixels=200, min_extent=3, min_visible_fraction=0.6, **QUIET))
    dropped = sum(v for k, v in strict.dropped.items() if not k.startswith("not visible"))
    assert dropped > 0 and strict.instances + dropped == loose.instances
    for record in load_dataset(frames.parent / "strict").images:
        for ann in record.annotations:
            assert ann.area >= 200 and min(ann.bbox[2:]) >= 3 and ann.attributes["visible_fraction"] >= 0.6


def test_output_does_not_depend_on_worker_count(frames: Path, tmp_path: Path) -> None:
    annotate_directory(frames, tmp_path / "one", AnnotateOptions(workers=1, **QUIET))
    annotate_directory(frames, tmp_path / "two", AnnotateOptions(workers=2, **QUIET))
    one, two = _files(tmp_path / "one" / "annotations"), _files(tmp_path / "two" / "annotations")
    assert one["coco.json"] == two["coco.json"] and one["via_regions.json"] == two["via_regions.json"]
    assert (tmp_path / "one" / "images" / "000000.png").stat().st_ino == (frames / "images" / "000000.png").stat().st_ino


def test_penn_fudan_layout_without_metadata(tmp_path: Path) -> None:
    src = tmp_path / "PennFudanPed"
    (src / "PNGImages").mkdir(parents=True); (src / "PedMasks").mkdir()
    mask = np.zeros((60, 90), np.uint8); mask[5:50, 5:30] = 1; mask[10:55, 40:70] = 2
    cv2.imwrite(str(src / "PNGImages" / "FudanPed00001.png"), np.full((60, 90, 3), 90, np.uint8))
    cv2.imwrite(str(src / "PedMasks" / "FudanPed00001_mask.png"), mask)
    summary = annotate_directory(src, tmp_path / "out", AnnotateOptions(default_category="pedestrian", **QUIET))
    ds = load_dataset(tmp_path / "out")
    assert summary.instances == 2 and ds.categories == ["pedestrian"]
    assert [a.area for a in ds.images[0].annotations] == [45 * 25, 45 * 30]


def test_per_object_masks_and_colour_masks(tmp_path: Path) -> None:
    src = tmp_path / "seed"
    (src / "images").mkdir(parents=True); (src / "masks" / "a").mkdir(parents=True)
    cv2.imwrite(str(src / "images" / "a.png"), np.zeros((40, 50, 3), np.uint8))
    cv2.imwrite(str(src / "images" / "b.png"), np.zeros((40, 50, 3), np.uint8))
    m1 = np.zeros((40, 50), np.uint8); m1[2:20, 2:20] = 255
    m2 = np.zeros((40, 50), np.uint8); m2[10:30, 10:45] = 255  # overlaps m1: per-object masks may overlap
    cv2.imwrite(str(src / "masks" / "a" / "rescuer_1.png"), m1)
    cv2.imwrite(str(src / "masks" / "a" / "dog_2.png"), m2)
    colour = np.zeros((40, 50, 3), np.uint8); colour[0:10, 0:10] = (0, 0, 255); colour[20:40, 20:50] = (0, 255, 0)
    cv2.imwrite(str(src / "masks" / "b.png"), colour)
    annotate_directory(src, options=AnnotateOptions(**QUIET))
    ds = load_dataset(src)
    a, b = ds.images
    assert sorted((x.category, x.area) for x in a.annotations) == [("dog", 20 * 35), ("rescuer", 18 * 18)]
    assert sorted(x.area for x in b.annotations) == [100, 600]


def test_bad_frames_are_skipped_counted_and_named(frames: Path, capsys) -> None:
    (frames / "images" / "000001.png").write_bytes((frames / "images" / "000001.png").read_bytes()[:200])
    mask = read_mask(frames / "masks" / "000002.png")
    cv2.imwrite(str(frames / "masks" / "000002.png"), mask[:-10])  # other size than its image
    meta_path = frames / "scenes" / "000003.json"
    meta = json.loads(meta_path.read_text()); meta["objects"] = meta["objects"][1:]
    write_json_atomic(meta_path, meta)  # an index without metadata
    cv2.imwrite(str(frames / "masks" / "000004.png"), np.zeros_like(mask))  # empty mask: a negative frame
    bad_name = os.fsencode(frames / "images") + b"/\xff.png"
    with open(bad_name, "wb") as f:
        f.write((frames / "images" / "000000.png").read_bytes())
    summary = annotate_directory(frames, options=AnnotateOptions(**QUIET))
    assert summary.frames == 9 and summary.empty_frames == 1
    assert sum(summary.skipped.values()) == 4
    text = "\n".join(summary.warnings)
    for name in ("000001.png", "000002.png", "000003.json", "file name not UTF-8"):
        assert name in text
    assert all("\n" not in w for w in summary.warnings)
    assert len(load_dataset(frames).images) == 9


def test_existing_output_is_refused_and_kept(frames: Path) -> None:
    annotate_directory(frames, options=AnnotateOptions(**QUIET))
    before = (frames / "annotations" / "coco.json").read_bytes()
    with pytest.raises(UserError, match="already exists"):
        annotate_directory(frames, options=AnnotateOptions(**QUIET))
    assert (frames / "annotations" / "coco.json").read_bytes() == before


def test_a_failed_write_leaves_the_previous_file_whole(frames: Path, monkeypatch) -> None:
    annotate_directory(frames, options=AnnotateOptions(**QUIET))
    before = (frames / "annotations" / "coco.json").read_bytes()
    import trainer.annotation.files as files

    def explode(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(files.os, "replace", explode)
    with pytest.raises(OSError):
        annotate_directory(frames, options=AnnotateOptions(overwrite=True, **QUIET))
    assert (frames / "annotations" / "coco.json").read_bytes() == before
    assert not [p for p in (frames / "annotations").iterdir() if p.name.endswith(".tmp")]


def test_no_mask_folder_and_unwritable_output(tmp_path: Path, frames: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no masks folder"):
        annotate_directory(tmp_path / "empty", options=AnnotateOptions(**QUIET))
    blocked = frames / "images" / "000000.png" / "out"  # a path under a file: cannot be created, even as root
    with pytest.raises(UserError, match="not writable"):
        annotate_directory(frames, blocked, AnnotateOptions(**QUIET))


def test_formats_write_only_what_is_asked_and_drop_stale_files(frames: Path) -> None:
    annotate_directory(frames, options=AnnotateOptions(**QUIET))
    annotate_directory(frames, options=AnnotateOptions(overwrite=True, formats=("via",), **QUIET))
    names = sorted(p.name for p in (frames / "annotations").iterdir())
    assert names == ["via_project.json", "via_regions.json"]  # the old coco.json no longer lies about the data
    with pytest.raises(UserError, match="non-empty subset of coco, via"):
        annotate_directory(frames, options=AnnotateOptions(overwrite=True, formats=("yolo",), **QUIET))


def test_class_map_relabels_without_touching_the_masks(frames: Path, tmp_path: Path, capsys) -> None:
    """`--class-map a=b,c=b` merges classes as frames are read: same instances and pixels, new names,
    recorded in the COCO info; a malformed map is one line."""
    from pycocotools.coco import COCO

    from trainer.annotation.synthetic import CATEGORIES
    from trainer.cli import main

    plain = tmp_path / "plain"
    merged = tmp_path / "merged"
    assert main(["annotate", str(frames), "--out", str(plain), "--no-preview"]) == 0
    pairs = ",".join(f"{c}=thing" for c in CATEGORIES[:-1])
    assert main(["annotate", str(frames), "--out", str(merged), "--no-preview", "--class-map", pairs]) == 0
    a, b = COCO(str(plain / "annotations" / "coco.json")), COCO(str(merged / "annotations" / "coco.json"))
    assert sorted(c["name"] for c in b.loadCats(b.getCatIds())) == sorted({"thing", CATEGORIES[-1]})
    assert len(a.getAnnIds()) == len(b.getAnnIds()) > 0
    for ann_a, ann_b in zip(a.loadAnns(a.getAnnIds()), b.loadAnns(b.getAnnIds())):
        name_a = a.loadCats(ann_a["category_id"])[0]["name"]
        name_b = b.loadCats(ann_b["category_id"])[0]["name"]
        assert name_b == ("thing" if name_a in CATEGORIES[:-1] else name_a)
        assert (a.annToMask(ann_a) == b.annToMask(ann_b)).all()
    assert json.loads((merged / "annotations" / "coco.json").read_text())["info"]["class_map"][CATEGORIES[0]] == "thing"
    capsys.readouterr()
    assert main(["annotate", str(frames), "--out", str(tmp_path / "bad"), "--class-map", "rescuer"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--class-map expects SRC=DST" in err[0]


def test_preview_sheets_keep_upright_frames_at_the_scale_of_landscape_ones():
    """A sheet of 320x240 and 240x320 frames (a third of the default preset's are upright) showed
    the upright ones blown up to 320x427 and every landscape one in a cell 427 tall; now each
    frame's longer side is the tile width and cells are as large as the largest frame."""
    from trainer.annotation.preview import tile_sheet

    land = np.full((240, 320, 3), 200, np.uint8)
    up = np.full((320, 240, 3), 100, np.uint8)
    sheet = tile_sheet([land, up, land, up], tile_width=320, gap=2)
    assert sheet.shape == (2 * (320 + 2) + 2, 2 * (320 + 2) + 2, 3)
    assert (sheet == 200).all(axis=2).sum() == 2 * 240 * 320 and (sheet == 100).all(axis=2).sum() == 2 * 320 * 240
    assert tile_sheet([land] * 4, tile_width=320, gap=2).shape == (2 * 242 + 2, 2 * 322 + 2, 3)
    half = tile_sheet([np.full((480, 640, 3), 50, np.uint8)], tile_width=320, gap=0)
    assert half.shape == (240, 320, 3) and (half == 50).all()
