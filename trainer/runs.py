"""run.json: the record every long job keeps in its output folder, and the check that lets a rerun
of the same command resume there.

Render, augment, composite, gan fit / generate and fit each describe what decides their outputs
(inputs, options, seed, preset): `RunRecord(folder, record)`. Before touching anything a job may call
`refuse_other_run(keys, why)`: a run.json already in the folder that disagrees on those keys is a
different run, and mixing its items with this one's would make a dataset no command describes.
`write(**progress)` rewrites the file atomically as the record plus what the job knows so far
(status, counts, timings), so an interrupted job leaves a readable record and a finished one a
complete one. Standard library only: the renderer uses it inside Blender's own Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainer.annotation.files import write_json_atomic
from trainer.errors import UserError


class RunRecord:
    def __init__(self, folder: str | Path, record: dict[str, Any], *, name: str = "run.json", indent: int = 1):
        self.path = Path(folder) / name
        self.record = record
        self.indent = indent

    def previous(self) -> dict[str, Any] | None:
        """The record already in the folder, None when there is none."""
        if not self.path.is_file():
            return None
        try:
            old = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if not isinstance(old, dict):
            raise UserError(f"{self.path.name} is unreadable; cannot tell whether this folder may be resumed",
                            self.path)
        return old

    def refuse_other_run(self, keys: Sequence[str], why: str) -> None:
        """UserError `why` (which may name the first differing key as {key}) when the folder's
        record differs from this one on any of `keys`."""
        old = self.previous()
        if old is None:
            return
        for key in keys:
            if old.get(key) != self.record[key]:
                raise UserError(why.format(key=key), self.path)

    def write(self, **progress: Any) -> dict[str, Any]:
        """Write the record plus `progress` (after it, in that order) atomically; returns it."""
        data = {**self.record, **progress}
        write_json_atomic(self.path, data, indent=self.indent)
        return data
