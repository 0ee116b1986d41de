"""Copy-paste compositing: cut foregrounds out of a few real images by their masks and paste them,
randomly transformed and blended, onto background images to grow a segmentation dataset.

Nothing here is specific to skin: any "foreground defect on a background" task works the same way
(only the defaults and docs mention lesions). Labels come from the final composited index masks
through the annotation core, never from the pasted shapes.
"""

from trainer.composite.runner import CompositeOptions, CompositeSummary, run_composite

__all__ = ["CompositeOptions", "CompositeSummary", "run_composite"]
