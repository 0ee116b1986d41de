"""`trainer gan fit|generate|diversity`: pix2pix mask -> image (torch imported only when run)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gan", help="pix2pix conditional GAN: learn mask -> image, generate labelled images",
                       description="A pix2pix cGAN conditioned on the object mask and a coarse background-tone "
                       "map. Needs the `gan` extra (torch, torchvision).")
    gsub = p.add_subparsers(dest="gan_command", metavar="ACTION", required=True)

    f = gsub.add_parser("fit", help="train on a dataset's (mask, image) pairs (rerun to resume)",
                        description="Train pix2pix on every image of DATA with the union of its object masks. "
                        "Writes RUN/checkpoints/last.pt, RUN/samples/epoch_*.png, RUN/log.csv, RUN/run.json.")
    f.add_argument("--data", type=Path, required=True, help="real dataset (folder or COCO/VIA JSON)")
    f.add_argument("--out", type=Path, required=True, help="run folder (rerun the command to resume)")
    f.add_argument("--size", type=int, default=256, help="square image size, a power of two >= 32 (256)")
    f.add_argument("--epochs", type=int, default=200, help="epochs; lr decays linearly over the second half (200)")
    f.add_argument("--batch-size", type=int, default=1, help="(1, as published)")
    f.add_argument("--lr", type=float, default=2e-4)
    f.add_argument("--beta1", type=float, default=0.5)
    f.add_argument("--l1-weight", type=float, default=100.0)
    f.add_argument("--ngf", type=int, default=64, help="generator base width (64)")
    f.add_argument("--ndf", type=int, default=64, help="discriminator base width (64)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--device", default="auto", help="auto (CUDA with bf16 autocast if present, else CPU), cpu, cuda")
    f.add_argument("--max-steps", type=int, help="stop after this many steps (smoke runs)")
    f.add_argument("--conditioning", choices=("mask+tone", "mask"), default="mask+tone",
                   help="generator input: mask + background-tone map (default), or the mask alone as published")
    f.add_argument("--quiet", action="store_true")
    f.set_defaults(handler=run_fit)

    g = gsub.add_parser("generate", help="one image per mask, labelled by the mask",
                        description="Generate OUT/images/<stem>.png for every mask in MASKS (index masks: "
                        "each nonzero value is one object), copy the masks to OUT/masks and write COCO + VIA, "
                        "a preview and OUT/diversity.json (generated vs real).")
    g.add_argument("run", type=Path, help="run folder from `gan fit` (or a checkpoint .pt)")
    g.add_argument("--masks", type=Path, required=True, help="folder of masks, e.g. COMPOSITES/masks")
    g.add_argument("--out", type=Path, required=True, help="output dataset folder (rerun to resume)")
    g.add_argument("--tones", type=Path, help="images giving the background tone (same stem first, e.g. "
                   "COMPOSITES/images); default: the training images' tones")
    g.add_argument("--tone-jitter", type=float, default=0.15, help="random tone change, 0..1 (0.15)")
    g.add_argument("--category", help="class name of the objects (default: the training data's only class)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--device", default="auto")
    g.add_argument("--quiet", action="store_true")
    g.set_defaults(handler=run_generate)

    d = gsub.add_parser("diversity", help="mean pairwise L1 and colour-histogram spread of image sets",
                        description="Print diversity figures (see trainer/gan/diversity.py) for each folder.")
    d.add_argument("folders", type=Path, nargs="+", help="image folders or dataset folders")
    d.add_argument("--json", type=Path, help="also write the figures here")
    d.set_defaults(handler=run_diversity)


def _torch() -> None:
    from trainer.errors import UserError

    try:
        import torch  # noqa: F401
    except ImportError:
        raise UserError("torch is not installed: pip install 'rescuesynth[gan]'") from None


def _fmt(d: dict) -> str:
    return (f"{d['images']} images: mean pairwise L1 {d['mean_pairwise_l1']:.4f}, colour-histogram spread "
            f"{d['hist_spread']:.4f}, mean-colour std {d['mean_colour_std']:.1f}")


def run_fit(args: argparse.Namespace) -> int:
    _torch()
    from trainer.gan.train import GanOptions, fit

    opts = GanOptions(size=args.size, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, beta1=args.beta1,
                      l1_weight=args.l1_weight, ngf=args.ngf, ndf=args.ndf, seed=args.seed, device=args.device,
                      max_steps=args.max_steps, conditioning=args.conditioning, progress=not args.quiet)
    s = fit(args.data, args.out, opts)
    last = s.step_losses[-1] if s.step_losses else {}
    print(f"{s.epochs_done}/{args.epochs} epochs ({s.steps} steps, resumed from epoch {s.resumed_from_epoch}) on "
          f"{s.device} in {s.seconds:.1f} s -> {args.out}")
    if last:
        print(f"  last step: G_GAN {last['G_GAN']:.3f}  G_L1 {last['G_L1']:.3f}  D_real {last['D_real']:.3f}  "
              f"D_fake {last['D_fake']:.3f}")
    print(f"  real set: {_fmt(s.real_diversity)}")
    return 0


def run_generate(args: argparse.Namespace) -> int:
    _torch()
    from trainer.gan.generate import GenerateOptions, generate

    opts = GenerateOptions(seed=args.seed, tones=args.tones, tone_jitter=args.tone_jitter, category=args.category,
                           device=args.device, progress=not args.quiet)
    s = generate(args.run, args.masks, args.out, opts)
    print(f"{s.images} images ({s.made} made, {s.resumed} already done), {s.objects} objects, "
          f"{s.seconds:.1f} s -> {args.out}")
    if s.skipped_empty:
        print(f"  skipped {len(s.skipped_empty)} empty mask(s): {', '.join(s.skipped_empty[:5])}")
    print(f"  generated: {_fmt(s.diversity)}")
    if s.real_diversity:
        print(f"  real:      {_fmt(s.real_diversity)}")
    return 0


def run_diversity(args: argparse.Namespace) -> int:
    from trainer.annotation.io import write_json_atomic
    from trainer.gan.diversity import folder_diversity

    if args.json:
        from trainer.annotation.files import check_output

        check_output(args.json, folder=False, suffixes=(".json",), inputs=args.folders)
    results = {str(folder): folder_diversity(folder) for folder in args.folders}
    for folder, d in results.items():
        print(f"{folder}: {_fmt(d)}")
    if args.json:
        write_json_atomic(args.json, results, indent=1)
    return 0
