"""pix2pix conditional GAN: (object mask, coarse background-tone map) -> image.

The published pix2pix (Isola et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix) maps the mask alone
to an image; trained on a few real pairs its outputs tend to look alike (one skin colour, similar
objects). Here the generator is also conditioned on a coarse tone map (the real image with its
objects inpainted out, reduced to 8x8 colour cells), so the background colour and lighting are an
input that generation can vary (tones from other images, jittered), and dropout stays on at test
time as in the paper. `diversity` measures the effect without learned metrics (no downloads).

torch is imported only by `models`, `checkpoint`, `train` and `generate`; `data` and `diversity` are
numpy + OpenCV only.
"""
