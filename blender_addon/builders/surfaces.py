"""Procedural materials for the built environment: weathered concrete/plaster, brick, rubble.

Flat colours are what make renders look like toys; real ruins have blotchy stains, soot above
openings, mortar lines and a gravelly mix of concrete and brick fragments. These node trees do
that with texture nodes only (object-space coordinates in metres, so scale is physical), plus the
weather response shared with debris and vehicles (wet / snow-capped: `weather_surface`).
"""

from __future__ import annotations

import bpy

from blender_addon.builders.objects import new_material


def node(nt, kind: str, **inputs):
    n = nt.nodes.new(kind)
    for k, v in inputs.items():
        n.inputs[k].default_value = v
    return n


def mix(nt, fac, a, b, blend: str = "MIX"):
    """RGBA mix node: fac (socket or float), a/b (sockets or RGBA tuples) -> result socket."""
    m = nt.nodes.new("ShaderNodeMix")
    m.data_type = "RGBA"
    m.blend_type = blend
    for sock, v in ((m.inputs["Factor"], fac), (m.inputs[6], a), (m.inputs[7], b)):
        if isinstance(v, (int, float, tuple, list)):
            sock.default_value = v
        else:
            nt.links.new(v, sock)
    return m.outputs[2]


def ramp(nt, fac, lo: float, hi: float):
    """Map a texture value to 0..1 between lo and hi (a hard-ish threshold)."""
    r = node(nt, "ShaderNodeMapRange", **{"From Min": lo, "From Max": hi})
    nt.links.new(fac, r.inputs["Value"])
    return r.outputs["Result"]


def masonry(name: str, color, weather: dict, *, soot: float = 0.0, brick: bool = False,
            rubble: float | None = None, relief: bool = True) -> bpy.types.Material:
    """Weathered masonry. soot: 0..1 fire blackening (blotches); brick: brick bond with mortar;
    rubble: share of brick-red fragments in a gravelly Voronoi mix (heaps); relief: bump-mapped
    surface detail. Buildings and heaps go without relief: at 20 m and more it is invisible, heaps
    carry their relief as geometry (loose chunks), and a bump evaluates its texture three more
    times at every shading point, bounces included: a 3D Voronoi under a bump was the most
    expensive shader in the frame."""
    mat = new_material(name)
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    coord = nt.nodes.new("ShaderNodeTexCoord").outputs["Object"]
    base = (*color[:3], 1.0)
    dark = tuple(c * 0.55 for c in color[:3]) + (1.0,)
    stains = node(nt, "ShaderNodeTexNoise", Scale=0.35, Detail=2.0, Roughness=0.65)
    nt.links.new(coord, stains.inputs["Vector"])
    col = mix(nt, ramp(nt, stains.outputs["Fac"], 0.35, 0.75), dark, base)
    height = None
    if rubble is not None:  # fragments: each Voronoi cell one chunk, concrete or brick, own shade
        cells = node(nt, "ShaderNodeTexVoronoi", Scale=14.0, Randomness=1.0)
        nt.links.new(coord, cells.inputs["Vector"])
        sep = nt.nodes.new("ShaderNodeSeparateColor")
        nt.links.new(cells.outputs["Color"], sep.inputs["Color"])
        is_brick = ramp(nt, sep.outputs["Red"], 1.0 - rubble - 0.01, 1.0 - rubble)
        chunk = mix(nt, is_brick, col, (0.27, 0.14, 0.09, 1.0))
        chunk = mix(nt, 0.45, chunk, col)  # brick fragments dusted grey: no camouflage pattern
        shade = mix(nt, sep.outputs["Green"], chunk, (0.1, 0.095, 0.09, 1.0), "MULTIPLY")
        col = mix(nt, 0.35, chunk, shade)  # each fragment a little lighter or darker
        dust = node(nt, "ShaderNodeTexNoise", Scale=1.5, Detail=3.0)
        nt.links.new(coord, dust.inputs["Vector"])
        col = mix(nt, ramp(nt, dust.outputs["Fac"], 0.45, 0.7), col, base)  # dust settled between
        height = cells.outputs["Distance"]
    elif brick:
        b = node(nt, "ShaderNodeTexBrick", Scale=1.0, **{"Mortar Size": 0.012, "Brick Width": 0.25,
                                                          "Row Height": 0.075})
        nt.links.new(coord, b.inputs["Vector"])
        nt.links.new(col, b.inputs["Color1"])
        b.inputs["Color2"].default_value = dark
        b.inputs["Mortar"].default_value = (0.5, 0.48, 0.44, 1.0)
        col, height = b.outputs["Color"], b.outputs["Fac"]
    if soot > 0:  # fire blackening: large blotches, stronger with `soot`
        blot = node(nt, "ShaderNodeTexNoise", Scale=0.15, Detail=2.0)
        nt.links.new(coord, blot.inputs["Vector"])
        amount = ramp(nt, blot.outputs["Fac"], 0.62 - 0.25 * min(soot, 1.0), 0.7 - 0.2 * min(soot, 1.0))
        col = mix(nt, amount, col, (0.02, 0.018, 0.016, 1.0))
    if relief:
        if height is None:
            fine = node(nt, "ShaderNodeTexNoise", Scale=18.0, Detail=3.0)
            nt.links.new(coord, fine.inputs["Vector"])
            height = fine.outputs["Fac"]
        bump = node(nt, "ShaderNodeBump", Strength=0.35 if rubble is None else 0.8, Distance=0.02)
        nt.links.new(height, bump.inputs["Height"])
        nt.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    col, rough = weather_surface(nt, col, weather)
    nt.links.new(col, bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.9 * rough
    matt_when_dry(mat, weather)
    mat.diffuse_color = base
    return mat


def weathered(mat: bpy.types.Material, weather: dict) -> None:
    """Wet (rain) or snow-capped (snow) version of a Principled material (debris, vehicles)."""
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    link = bsdf.inputs["Base Color"].links
    if link:
        src = link[0].from_socket
    else:
        rgb = nt.nodes.new("ShaderNodeRGB")
        rgb.outputs[0].default_value = bsdf.inputs["Base Color"].default_value
        src = rgb.outputs[0]
    out, rough = weather_surface(nt, src, weather)
    if out is not src:
        nt.links.new(out, bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value *= rough


def matt_when_dry(mat: bpy.types.Material, weather: dict) -> None:
    """Dry masonry, rubble and concrete have no visible specular lobe; switching it off means no
    glossy rays are spawned from them (measured: a frame of ruins 16.3 -> 13.0 s). Rain keeps it."""
    if weather.get("condition") != "rain":
        mat.node_tree.nodes["Principled BSDF"].inputs["Specular IOR Level"].default_value = 0.0


def weather_surface(nt, color_out, weather: dict):
    """Weather on a node material: returns (colour output, roughness factor). Rain: darker,
    glossier. Snow: white where the geometry normal points up, broken by noise."""
    cond = weather.get("condition")
    if cond == "rain":
        mix = nt.nodes.new("ShaderNodeMix")
        mix.data_type = "RGBA"
        mix.inputs["Factor"].default_value = 0.35
        nt.links.new(color_out, mix.inputs[6])
        mix.inputs[7].default_value = (0.0, 0.0, 0.0, 1.0)
        return mix.outputs[2], 0.45
    if cond == "snow" and weather.get("ground_cover", 0) > 0:
        geo = nt.nodes.new("ShaderNodeNewGeometry")
        sep = nt.nodes.new("ShaderNodeSeparateXYZ")
        nt.links.new(geo.outputs["Normal"], sep.inputs["Vector"])
        up = nt.nodes.new("ShaderNodeMapRange")
        nt.links.new(sep.outputs["Z"], up.inputs["Value"])
        up.inputs["From Min"].default_value = 0.55
        up.inputs["From Max"].default_value = 0.85
        noise = nt.nodes.new("ShaderNodeTexNoise")
        noise.inputs["Scale"].default_value = 4.0
        mul = nt.nodes.new("ShaderNodeMath")
        mul.operation = "MULTIPLY"
        nt.links.new(up.outputs["Result"], mul.inputs[0])
        cover = nt.nodes.new("ShaderNodeMapRange")
        nt.links.new(noise.outputs["Fac"], cover.inputs["Value"])
        cover.inputs["From Min"].default_value = 0.6 - 0.4 * weather["ground_cover"]
        cover.inputs["From Max"].default_value = 0.65 - 0.4 * weather["ground_cover"]
        nt.links.new(cover.outputs["Result"], mul.inputs[1])
        mix = nt.nodes.new("ShaderNodeMix")
        mix.data_type = "RGBA"
        nt.links.new(mul.outputs[0], mix.inputs["Factor"])
        nt.links.new(color_out, mix.inputs[6])
        mix.inputs[7].default_value = (0.85, 0.87, 0.9, 1.0)
        return mix.outputs[2], 1.0
    return color_out, 1.0
