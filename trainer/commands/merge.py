"""`trainer merge A B ... --out DIR`: join datasets (e.g. render shards) with ids remapped."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge", help="join datasets (render shards, exports) into one",
                       description="Join COCO/VIA datasets into one dataset folder: ids renumbered, categories "
                       "matched by name, images (and their masks/frame descriptions) linked or copied.")
    p.add_argument("datasets", type=Path, nargs="+", help="dataset folders or COCO/VIA JSON files")
    p.add_argument("--out", type=Path, required=True, help="new dataset folder")
    p.add_argument("--overwrite", action="store_true", help="replace annotations already in --out")
    p.add_argument("--no-preview", action="store_true", help="skip preview.png")
    p.add_argument("--polygons", choices=("coco", "pixel-centres"), default="coco",
                   help="polygon convention of coco.json: coco (default, pycocotools) or pixel-centres "
                   "(cv2.fillPoly readers such as supervision); see README")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from trainer.annotation.merge import merge_datasets

    result = merge_datasets(args.datasets, args.out, overwrite=args.overwrite, preview=not args.no_preview,
                            polygons=args.polygons)
    ds = result.dataset
    print(f"{len(ds.images)} images, {ds.num_annotations} annotations, {len(ds.categories)} categories -> {args.out}")
    if result.duplicates:
        print(f"  {len(result.duplicates)} identical image(s) seen twice, kept once: {', '.join(result.duplicates[:5])}")
    if result.renamed:
        print(f"  {len(result.renamed)} name clash(es) renamed: {', '.join(result.renamed[:5])}")
    return 0
