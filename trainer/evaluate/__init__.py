"""Evaluation: metrics (pycocotools + pixel metrics, numpy only), inference and drawing (torch), report."""
