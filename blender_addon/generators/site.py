"""What one sampler hands the next, as a typed value instead of a shared dict.

`sample_scene` runs the samplers in a fixed order. The ones that place things on the ground (people,
then distractors) take the `Site` so far and return a new one with their additions; the later
samplers (debris, buildings) only read it, and the camera gets the finished lists as arguments.
So every input a sampler depends on is in its signature, and a test can run one sampler alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Site:
    spread: float  # radius (m) of the people's area, from rescuers.spread
    taken: tuple[tuple[float, float], ...] = ()  # (x, y) of everyone standing there (people, dogs)
    next_index: int = 1  # the next free pass index for a labelled object
    keep_out: tuple[tuple[float, float, float], ...] = ()  # (x, y, r) discs debris avoids (vehicles)

    def stand(self, x: float, y: float) -> Site:
        return replace(self, taken=(*self.taken, (x, y)))

    def label(self) -> tuple[int, Site]:
        """A pass index for a labelled object, and the site with it used."""
        return self.next_index, replace(self, next_index=self.next_index + 1)

    def keep_clear(self, x: float, y: float, r: float) -> Site:
        return replace(self, keep_out=(*self.keep_out, (x, y, r)))


@dataclass(frozen=True)
class Setting:
    """Where a frame is set, drawn before anything is placed (generators.light.sample_setting): on
    the site (ruins, the site's ground and sun) or inside a backplate (a background whose own ground,
    horizon and light replace the ruins; the ground plane only catches shadows)."""

    backplate: bool = False
    exposure: float = 0.0  # stops of exposure error on whatever background the frame shows
    background: dict | None = field(default=None, compare=False)  # the backplate ({file, rotation_deg, exposure})
    debris_keep: float | None = None  # share of the sampled debris a backplate frame keeps
