"""Rain streaks / snow flakes as one semi-transparent mesh in the camera's view volume (the
geometry is generators.weather.particles; alpha < 1 keeps them out of the index pass). The
weather's effect on materials (wet, snow-capped) is builders.surfaces.weather_surface."""

from __future__ import annotations

from blender_addon.builders.objects import mesh_object, principled
from blender_addon.generators.weather import particles


def build(desc: dict, camera: dict) -> None:
    mesh = particles(desc, camera)
    if mesh is None:
        return
    if desc["condition"] == "rain":
        mat = principled("rain", (0.75, 0.8, 0.85), 0.05, alpha=0.35)
    else:
        mat = principled("snow", (0.95, 0.95, 0.97), 0.6, emission=0.3, alpha=0.9)
    mesh_object(f"weather_{desc['condition']}", mesh, [mat], smooth=False)
