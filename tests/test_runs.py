"""The run record every long job keeps (trainer.runs.RunRecord): what a rerun may resume, and how
the record grows while the job runs."""

from __future__ import annotations

import json

import pytest

from trainer.errors import UserError
from trainer.runs import RunRecord


def test_record_then_progress_in_order(tmp_path):
    run = RunRecord(tmp_path, {"command": "x", "seed": 1})
    run.write(status="running")
    assert json.loads((tmp_path / "run.json").read_text()) == {"command": "x", "seed": 1, "status": "running"}
    run.write(status="complete", seconds=2.5)
    text = (tmp_path / "run.json").read_text()
    assert list(json.loads(text)) == ["command", "seed", "status", "seconds"] and text.startswith('{\n "command"')


def test_a_different_run_is_refused_naming_the_key(tmp_path):
    RunRecord(tmp_path, {"seed": 1, "preset": {"a": 1}, "timings": 3}).write()
    RunRecord(tmp_path, {"seed": 1, "preset": {"a": 1}, "timings": 9}).refuse_other_run(("seed", "preset"), "no")
    with pytest.raises(UserError, match=r"run\.json: different preset$"):
        RunRecord(tmp_path, {"seed": 1, "preset": {"a": 2}}).refuse_other_run(("seed", "preset"), "different {key}")
    RunRecord(tmp_path / "empty", {"seed": 5}).refuse_other_run(("seed",), "never: no record yet")


def test_an_unreadable_record_is_one_line(tmp_path):
    (tmp_path / "run.json").write_text("{half")
    with pytest.raises(UserError, match="unreadable; cannot tell whether this folder may be resumed"):
        RunRecord(tmp_path, {"seed": 1}).refuse_other_run(("seed",), "x")
