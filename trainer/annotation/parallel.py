"""One way to spread independent items over processes, for every long job (annotate, augment, ...).

Why spawn and not fork: a forked child inherits OpenCV's thread pool in a broken state and can hang
(seen here: `cv2.setNumThreads` in a forked worker never returned), and forking a process that holds
threads or Blender is unsafe in general. Spawned workers start clean (~0.5-1 s); jobs too small to
repay that run in-process. Results come back in input order, so output never depends on the
number of workers. Ctrl-C in the parent cancels what is queued; workers ignore SIGINT so finished
results are not lost mid-write.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")
R = TypeVar("R")


def default_workers(items: int, *, min_items_per_worker: int = 32) -> int:
    """All cores for big jobs, one process for small ones or inside Blender (spawn would start Blender)."""
    if "bpy" in sys.modules:
        return 1
    return max(1, min(os.cpu_count() or 1, items // min_items_per_worker))


def _worker_start(initializer: Callable[..., Any] | None, initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import cv2

        cv2.setNumThreads(1)  # one process per core already; safe here because the process is fresh
    except ImportError:
        pass
    if initializer is not None:
        initializer(*initargs)


def process_map(fn: Callable[[T], R], items: Sequence[T], *, workers: int | None = None,
                initializer: Callable[..., Any] | None = None, initargs: tuple = (),
                desc: str = "", unit: str = "item", progress: bool = True,
                size: Callable[[R], int] | None = None, total: int | None = None) -> list[R]:
    """[fn(x) for x in items], in spawned processes when `workers` > 1; results in input order.

    `fn`, `initializer` and the items must be picklable (module-level functions). `size(result)`
    says how many units a result counts for on the progress bar (default 1), `total` how many
    units to expect (default: one per item).
    """
    workers = default_workers(len(items)) if workers is None else workers
    if "bpy" in sys.modules:
        workers = 1
    workers = max(1, min(workers, len(items)))
    bar = tqdm(total=total if total is not None else len(items), desc=desc, unit=unit,
               disable=not progress or None, file=sys.stderr)
    step = size or (lambda _result: 1)
    try:
        if workers == 1:
            if initializer is not None:
                initializer(*initargs)
            results = []
            for item in items:
                results.append(fn(item))
                bar.update(step(results[-1]))
            return results
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_start,
                                 initargs=(initializer, initargs)) as pool:
            futures: list[Future] = [pool.submit(fn, item) for item in items]
            try:
                for future in as_completed(futures):
                    bar.update(step(future.result()))
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
            return [f.result() for f in futures]
    finally:
        bar.close()
