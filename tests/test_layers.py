"""The layers hold: pure sampling never reaches Blender, builders only look down, the trainer never
reaches back into the renderer, the annotation core stays free of torch and bpy, and no modules
import each other in a circle. Static checks walk every import (lazy ones inside functions
too); the `python -c` checks import the real modules in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
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


def _reaches(g: dict[str, set[str]], start: str, prefix: str) -> list[str]:
    """Modules under `prefix` that `start` imports, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for m in g.get(todo.pop(), ()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return sorted(m for m in seen if m == prefix or m.startswith(prefix + "."))


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


def test_no_import_cycles():
    """No modules of ours import each other in a circle (lazy imports included: a circle broken only
    by importing inside a function is still two layers that need each other)."""
    found = cycles(graph(PACKAGES))
    assert not found, "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_cycle_finder_sees_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
