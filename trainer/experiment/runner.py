"""`trainer experiment`: for every experiment of the plan and every repeat, build the training set,
train Mask R-CNN on it (`trainer fit`'s engine) and evaluate the last checkpoint on the real test set
(`trainer evaluate`'s pipeline); then the table and the ES-vs-f plot.

The test set is never used for model selection: the last checkpoint is evaluated (validation during
training uses [data] val, or else the training set itself, for the logs only). Each finished run
leaves result.json; a rerun skips those and resumes unfinished training from its last.pt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trainer.annotation.check import load_inputs
from trainer.annotation.files import read_json, write_json_atomic
from trainer.errors import UserError
from trainer.experiment.analysis import fit_logistic, plot_es, summarise, write_table
from trainer.experiment.plan import load_plan
from trainer.experiment.sets import build_set


@dataclass
class ExperimentSummary:
    out_dir: Path
    runs: int
    reused: int
    rows: list[dict]
    logistic: dict | None


def run_experiments(real: str | Path, test: str | Path, plan_path: str | Path, out: str | Path, *,
                    score_threshold: float = 0.5) -> ExperimentSummary:
    from trainer.train import require_torch

    require_torch()
    from trainer.evaluate.pipeline import evaluate_checkpoint
    from trainer.train.config import apply, from_dict
    from trainer.train.engine import fit

    plan = load_plan(plan_path)
    real, test, out = Path(real), Path(test), Path(out)
    tags = [tag for tag in ("composite", "gan") if getattr(plan, tag)]
    # every input through check's rules (images opened) and OUT apart from them, before the first run
    real_ds, test_ds, *pool_ds = load_inputs([real, test, *(getattr(plan, tag) for tag in tags)], out=out,
                                             folder=True, pixels=True, may_hold_inputs=False)
    if not real_ds.images:
        raise UserError("real dataset has no images", real)
    if not test_ds.images:
        raise UserError("test dataset has no images", test)
    if not test_ds.num_annotations:
        raise UserError("test dataset has no annotated objects, so there is nothing to score", test)
    pools = dict(zip(tags, pool_ds))
    base = from_dict(plan.train, str(plan_path))
    results, reused = [], 0
    for exp in plan.experiments:
        for repeat in range(plan.repeats):
            run = out / exp.name / f"run{repeat}"
            done = run / "result.json"
            if done.is_file():
                results.append(read_json(done))
                reused += 1
                continue
            drawn = build_set(exp, repeat, plan.seed, real_ds, pools, run / "train_set")
            config = apply(base, {"seed": plan.seed + repeat}, "experiment repeat")
            model_dir = run / "model"
            fit(config, run / "train_set", plan.val or run / "train_set", model_dir,
                resume=(model_dir / "last.pt").is_file())
            metrics = evaluate_checkpoint(model_dir / "last.pt", test, run / "eval", score_threshold=score_threshold,
                                          device=config.device, grid_images=4).metrics
            result = {"name": exp.name, "repeat": repeat, "f": drawn.f, "real": drawn.real,
                      "composite": drawn.composite, "gan": drawn.gan, "iou": metrics["pixel_iou"]["mean"],
                      "f1": metrics["pixel_f1"]["mean"], "es": metrics["es"]["mean"]}  # ES = (IoU + F1) / 2
            write_json_atomic(done, result, indent=1)
            results.append(result)
    rows = summarise(results)
    write_table(rows, out)
    params = fit_logistic([r["f"] for r in results], [r["es"] for r in results])
    plot_es(results, params, out / "es_vs_f.png")
    write_json_atomic(out / "results.json", {"plan": str(Path(plan_path).resolve()), "real": str(real.resolve()),
                                             "test": str(test.resolve()), "runs": results, "table": rows,
                                             "logistic": params}, indent=1)
    return ExperimentSummary(out, len(results), reused, rows, params)
