"""Running a trained model: batches of images -> ImagePrediction (binarised masks as RLE)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch
from tqdm import tqdm

from trainer.evaluate.metrics import ImagePrediction, encode_masks

MASK_THRESHOLD = 0.5  # torchvision's paste_masks output is a probability map per instance


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        from trainer.errors import UserError

        raise UserError(f"device {name} asked for, but torch sees no CUDA GPU (use --device cpu)")
    return torch.device(name)


def to_prediction(output: dict[str, torch.Tensor], index: int) -> ImagePrediction:
    masks = (output["masks"][:, 0] >= MASK_THRESHOLD).cpu().numpy()
    return ImagePrediction(image_index=index, boxes=output["boxes"].float().cpu().numpy(),
                           scores=output["scores"].float().cpu().numpy(),
                           labels=output["labels"].cpu().numpy(), rles=encode_masks(masks))


@torch.inference_mode()
def predict_images(model: torch.nn.Module, batches: Iterable[tuple[Sequence[torch.Tensor], Sequence[int]]],
                   device: torch.device, *, progress: bool = False, total: int | None = None) -> list[ImagePrediction]:
    """`batches` yields (images, indices); the model is put in eval mode (and left there)."""
    model.eval()
    out: list[ImagePrediction] = []
    for images, indices in tqdm(batches, total=total, disable=not progress, desc="predict", leave=False):
        outputs = model([img.to(device, non_blocking=True) for img in images])
        out.extend(to_prediction(o, int(i)) for o, i in zip(outputs, indices))
    return out


def dataset_batches(loader: Iterable) -> Iterable[tuple[list[torch.Tensor], list[int]]]:
    """Adapt a DataLoader over DetectionDataset (images, targets) to (images, indices)."""
    for images, targets in loader:
        yield list(images), [int(t["image_index"]) for t in targets]


def read_rgb_tensor(path) -> tuple[np.ndarray, torch.Tensor]:
    from trainer.annotation.io import read_image

    rgb = np.ascontiguousarray(read_image(path)[:, :, ::-1])
    return rgb, torch.from_numpy(rgb).permute(2, 0, 1).float().div_(255)
