"""Training sets for an experiment: a random draw of real images plus synthetic images drawn from
the pools, linked (or copied) into one dataset folder with the labels carried over unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.annotation import Dataset, ImageRecord, write_dataset
from trainer.annotation.files import link_or_copy
from trainer.errors import UserError
from trainer.experiment.plan import Experiment


@dataclass
class Drawn:
    real: int
    composite: int
    gan: int

    @property
    def f(self) -> float:
        """D_syn / D_orig of the set actually built (after rounding)."""
        return (self.composite + self.gan) / self.real


def counts(exp: Experiment, n_real: int) -> Drawn:
    real = max(1, round(exp.real * n_real))
    return Drawn(real, round(exp.composite * real), round(exp.gan * real))


def _draw(pool: Dataset, n: int, rng: np.random.Generator, what: str) -> list[ImageRecord]:
    if n > len(pool.images):
        raise UserError(f"{what} pool has {len(pool.images)} images but {n} are needed", pool.source or pool.images_dir)
    return [pool.images[i] for i in sorted(rng.choice(len(pool.images), n, replace=False))]


def build_set(exp: Experiment, repeat: int, seed: int, real: Dataset, pools: dict[str, Dataset | None],
              out: Path) -> Drawn:
    """Write the training set of (experiment, repeat) under `out`; the draw depends only on the seed,
    the experiment's name and the repeat, so a rerun rebuilds the same set."""
    drawn = counts(exp, len(real.images))
    rng = np.random.default_rng([seed, repeat, *exp.name.encode("utf-8")])
    parts = [("real", real, _draw(real, drawn.real, rng, "real"))]
    for tag, n in (("composite", drawn.composite), ("gan", drawn.gan)):
        if n:
            pool = pools.get(tag)
            assert pool is not None, "load_plan checks that used pools are set"
            parts.append((tag, pool, _draw(pool, n, rng, tag)))
    records, categories = [], []
    for tag, dataset, chosen in parts:
        categories += [c for c in dataset.categories if c not in categories]
        for rec in chosen:
            new = copy.deepcopy(rec)
            new.file_name = f"{tag}/{rec.file_name}"
            new.attributes = {**rec.attributes, "pool": tag}
            link_or_copy(dataset.image_path(rec), out / "images" / new.file_name)
            records.append(new)
    info = {"experiment": exp.name, "repeat": repeat, "seed": seed, "real": drawn.real,
            "composite": drawn.composite, "gan": drawn.gan, "f": drawn.f}
    write_dataset(Dataset(records, categories, out / "images", info=info), out, preview=False)
    return drawn
