"""The frame profiler (blender_addon.profiling): nested stages, the Cycles status timeline split
into stages, and the table. Pure Python: the timeline is fed synthetic status messages."""

from __future__ import annotations

from blender_addon import profiling


def test_nested_stages_count_once(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(profiling.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(profiling, "cpu_seconds", lambda: clock[0] / 2)

    def work(seconds: float) -> None:
        clock[0] += seconds

    with profiling.frame(7) as rec:
        with profiling.stage("build"):
            work(0.2)
            with profiling.stage("depsgraph"):
                work(0.3)
            work(0.1)
        profiling.add("path_trace", 1.5, 3.0)
    assert rec.index == 7
    assert round(rec.wall["build"], 6) == 0.3 and round(rec.wall["depsgraph"], 6) == 0.3
    assert round(rec.cpu["build"], 6) == 0.15
    assert rec.wall["path_trace"] == 1.5 and rec.cpu["path_trace"] == 3.0
    with profiling.stage("outside"):  # no frame being recorded: a no-op
        pass
    assert "outside" not in rec.wall


def _timeline(messages: list[tuple[float, str]]) -> profiling.CyclesTimeline:
    t = profiling.CyclesTimeline()
    t.events = [(w, 2 * w, m) for w, m in messages]  # cpu = 2 x wall: two busy threads
    return t


def test_cycles_timeline_split_into_stages():
    t = _timeline([
        (0.0, "<start>"), (0.1, "Mem: 0M | Synchronizing object | ground"), (0.2, "Mem: 0M | Initializing"),
        (0.3, "Mem: 1M | Updating Scene BVH | Building"), (0.35, "Mem: 5M | Updating Scene BVH | Building BVH 0%"),
        (0.4, "Mem: 9M | Updating Mesh | Computing normals"), (0.5, "Mem: 12M | Updating Images | Loading sky"),
        (1.2, "Mem: 14M | Updating Lights | Importance map"), (1.5, "Mem: 79M | Sample 0/16"),
        (2.0, "Remaining: 00:09.01 | Mem: 103M | Sample 1/16"), (9.5, "Mem: 103M | Sample 16/16"),
        (9.5, "Mem: 103M | Finished"),
        (9.6, "Mem: 0M | Initializing"), (10.0, "Mem: 69M | Sample 0/1"), (10.1, "Mem: 81M | Finished"),
        (10.2, "Compositing"), (10.4, "<end>")])
    s = t.split()
    assert {k: round(v[0], 3) for k, v in s.items()} == {
        "sync": 0.3, "bvh": 0.1, "scene_update": 1.1, "path_trace": 8.0, "extra_layers": 0.7, "compositor": 0.2}
    assert round(sum(v[0] for v in s.values()), 6) == 10.4  # the stages add up to the whole call
    assert round(s["path_trace"][1], 3) == 16.0


def test_cycles_timeline_without_known_messages_is_all_sync():
    s = _timeline([(0.0, "<start>"), (0.5, "something else"), (1.0, "<end>")]).split()
    assert {k: round(v[0], 3) for k, v in s.items()} == {"sync": 1.0, "compositor": 0.0}


def test_table_lists_stages_in_order_with_medians():
    recs = [{"frame": 1, "wall": {"build": 1.0, "path_trace": 3.0}},
            {"frame": 2, "wall": {"build": 2.0, "path_trace": 5.0, "denoise": 1.0}}]
    text = profiling.table(recs, startup=4.0)
    lines = text.splitlines()
    assert lines[1].startswith("process start-up") and "4.00" in lines[1]
    names = [line.split("  ")[0] for line in lines[2:-1]]
    assert names == [profiling.LABELS[n] for n in ("build", "path_trace", "denoise")]
    assert "1.50" in lines[2] and "4.00" in lines[3] and "0.50" in lines[4]  # medians (a missing stage is 0)
    assert lines[-1].startswith("frame total") and lines[-1].endswith("6.00")  # median of the frame sums
