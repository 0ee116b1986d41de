"""Labels that other tools read exactly: each polygon convention against the reader it targets.

- `--polygons coco` (default) against pycocotools itself (`COCO(...).annToMask`, what torchvision,
  detectron2, mmdet and COCOeval use);
- `--polygons pixel-centres` against a reader that rounds vertices to integers and fills each
  polygon with cv2.fillPoly, which is what supervision 0.31's `DetectionDataset.from_coco` does
  (`np.round(vertices).astype(np.int32)`, one fillPoly per polygon, parts OR-ed; compressed RLE
  decoded) and what most COCO->YOLO converters do. The reader below is written from that
  description, independently of the core's own helpers; with supervision installed, the real one
  runs too.
And VIA: its own "Export as COCO" names categories by the dropdown options' descriptions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from trainer.annotation.synthetic import make_frames

from render_support import ROOT


def trainer(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "trainer", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env)


def fillpoly_reader(segmentation, height: int, width: int) -> np.ndarray:
    """Round + cv2.fillPoly per polygon (union); RLE decoded as-is (supervision 0.31 from_coco)."""
    if isinstance(segmentation, dict):
        return mask_utils.decode({"size": segmentation["size"], "counts": segmentation["counts"].encode()}) > 0
    mask = np.zeros((height, width), bool)
    for polygon in segmentation:
        one = np.zeros((height, width), np.uint8)
        cv2.fillPoly(one, [np.round(np.asarray(polygon, dtype=np.float64).reshape(-1, 2)).astype(np.int32)], 1)
        mask |= one > 0
    return mask


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Path:
    """The same frames annotated in both conventions through the CLI, every instance kept."""
    root = tmp_path_factory.mktemp("readers")
    make_frames(root / "frames", 6, width=200, height=150, objects=10, seed=21)
    for convention in ("coco", "pixel-centres"):
        result = trainer("annotate", root / "frames", "--out", root / convention, "--polygons", convention,
                         "--min-pixels", "1", "--min-extent", "1", "--workers", "1", "--no-preview")
        assert result.returncode == 0, result.stderr
    return root


def exactness(root: Path, convention: str, reader: str) -> tuple[int, int, float]:
    """(exact instances, instances, mean IoU) of `reader` on `convention`'s coco.json vs the true masks."""
    return exactness_of(root / convention, root, reader)


def exactness_of(dataset: Path, root: Path, reader: str) -> tuple[int, int, float]:
    path = dataset / "annotations" / "coco.json"
    coco = COCO(str(path))
    exact, ious = 0, []
    for ann in coco.dataset["annotations"]:
        img = coco.imgs[ann["image_id"]]
        truth = cv2.imread(str(root / "frames" / "masks" / img["file_name"]), cv2.IMREAD_UNCHANGED) == \
            ann["attributes"]["index"]
        if reader == "pycocotools":
            got = coco.annToMask(ann) > 0
        else:
            got = fillpoly_reader(ann["segmentation"], img["height"], img["width"])
        iou = (got & truth).sum() / (got | truth).sum()
        exact += bool((got == truth).all())
        ious.append(iou)
    return exact, len(ious), float(np.mean(ious))


def test_each_convention_is_exact_in_the_reader_it_targets(labelled):
    for convention, reader in (("coco", "pycocotools"), ("pixel-centres", "fillpoly")):
        exact, n, mean = exactness(labelled, convention, reader)
        assert n > 40 and exact == n, (convention, reader, exact, n, mean)


def test_each_convention_is_not_exact_in_the_other_reader(labelled):
    """Why the option exists: the wrong pairing grows (coco + fillPoly) or shrinks (pixel-centres +
    pycocotools) polygons; only RLE (objects with holes) survives both."""
    coco = json.loads((labelled / "coco" / "annotations" / "coco.json").read_text())
    n_rle = sum(isinstance(a["segmentation"], dict) for a in coco["annotations"])
    for convention, reader in (("coco", "fillpoly"), ("pixel-centres", "pycocotools")):
        exact, n, mean = exactness(labelled, convention, reader)
        assert exact == n_rle and mean < 0.95, (convention, reader, exact, n_rle, mean)


def test_convention_is_recorded_and_read_back_by_our_own_tools(labelled):
    coco = json.loads((labelled / "pixel-centres" / "annotations" / "coco.json").read_text())
    assert coco["info"]["polygons"] == "pixel-centres"
    assert json.loads((labelled / "pixel-centres" / "run.json").read_text())["options"]["polygons"] == "pixel-centres"
    polygons = [p for a in coco["annotations"] if isinstance(a["segmentation"], list) for p in a["segmentation"]]
    assert polygons and all(float(v).is_integer() for p in polygons for v in p)
    # check, training and every other stage read the pixels the fillPoly reader sees (not pycocotools')
    result = trainer("check", labelled / "pixel-centres")
    assert result.returncode == 0 and "no problems found" in result.stdout, result.stdout
    from trainer.annotation import load_dataset

    ds = load_dataset(labelled / "pixel-centres")
    for rec in ds.images:
        index = cv2.imread(str(labelled / "frames" / "masks" / rec.file_name), cv2.IMREAD_UNCHANGED)
        for ann in rec.annotations:
            assert (ann.to_mask(rec.height, rec.width) == (index == ann.attributes["index"])).all()
    # a merge re-writes the default convention, exact for pycocotools again; augment converts too
    assert trainer("merge", labelled / "pixel-centres", "--out", labelled / "merged", "--no-preview").returncode == 0
    exact, n, _ = exactness_of(labelled / "merged", labelled, "pycocotools")
    assert exact == n
    assert trainer("merge", labelled / "coco", "--out", labelled / "merged_px", "--no-preview",
                   "--polygons", "pixel-centres").returncode == 0
    exact, n, _ = exactness_of(labelled / "merged_px", labelled, "fillpoly")
    assert exact == n
    result = trainer("augment", labelled / "coco", "--out", labelled / "aug_px", "--factor", "1", "--workers", "1",
                     "--no-preview", "--polygons", "pixel-centres")
    assert result.returncode == 0, result.stderr
    assert json.loads((labelled / "aug_px" / "run.json").read_text())["options"]["polygons"] == "pixel-centres"
    exact, n, _ = exactness_of(labelled / "aug_px", labelled, "fillpoly")
    assert exact == n


def test_real_supervision_reads_pixel_centres_exactly(labelled):
    sv = pytest.importorskip("supervision", reason="supervision not installed (measured with 0.31.2, see README)")
    for convention, expect_exact in (("pixel-centres", True), ("coco", False)):
        d = labelled / convention
        coco = json.loads((d / "annotations" / "coco.json").read_text())
        dataset = sv.DetectionDataset.from_coco(images_directory_path=str(d / "images"),
                                                annotations_path=str(d / "annotations" / "coco.json"),
                                                force_masks=True)
        by_name = {im["file_name"]: im["id"] for im in coco["images"]}
        exact = total = 0
        for image_path, _, det in dataset:
            name = Path(image_path).name
            anns = [a for a in coco["annotations"] if a["image_id"] == by_name[name]]
            index = cv2.imread(str(labelled / "frames" / "masks" / name), cv2.IMREAD_UNCHANGED)
            for ann, got in zip(anns, det.mask if anns else []):
                exact += bool((got == (index == ann["attributes"]["index"])).all())
                total += 1
        assert (exact == total) == expect_exact, (convention, exact, total)


def test_via_export_as_coco_names_every_category(labelled):
    """VIA 2.0.11's export_project_to_coco_format: for each dropdown/radio region attribute, one category
    per option, named by the option's description (options[option_id])."""
    project = json.loads((labelled / "coco" / "annotations" / "via_project.json").read_text())
    names = []
    for attr in project["_via_attributes"]["region"].values():
        if attr["type"] in ("dropdown", "radio"):
            names += [attr["options"][option_id] for option_id in attr["options"]]
    coco = json.loads((labelled / "coco" / "annotations" / "coco.json").read_text())
    assert names == [c["name"] for c in coco["categories"]] and all(names)
