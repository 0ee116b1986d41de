"""Procedural materials: the built environment (weathered concrete/plaster, brick, rubble), the
weather's response on any material, and people's clothing.

Flat colours are what make renders look like toys; real ruins have blotchy stains, soot above
openings, mortar lines and a gravelly mix of concrete and brick fragments. These node trees do
that with texture nodes only (object-space coordinates in metres, so scale is physical), plus the
weather response shared with debris and vehicles (wet / snow-capped: `weather_surface`).

Clothing (`dress`: one material per body slot, builders.bodies calls it): region materials by
slot name (skin, jacket, pants, boots, gloves: bodies from `trainer assets rescuers`), jacket and
pants with reflective bands from the vertex colours (computed on the rest body, so they follow the
limbs): bodies with the stripe field (sidecar `stripe_field`) get crisp bands thresholded in the
shader from G (rest height fraction) and B (arm), others use the 0/1 mask in R as it interpolates.
Other files get one material that picks the region by height (boots, trousers, jacket, skin) and
puts the bands at fixed heights (right for upright bodies only). Every cloth material has
colour/roughness jitter, mud/dust from the ground up (noise), fabric folds (bump from a distorted
wave ring pattern plus fine noise) and a little sheen.
"""

from __future__ import annotations

import bpy

from blender_addon.assets.bodies import REGIONS, STRIPE_BANDS
from blender_addon.builders import faces, garments
from blender_addon.builders.objects import new_material

STRIPE_COLOR = (0.8, 0.82, 0.8)  # reflective bands on jackets and trousers


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


def math_node(nt, op: str, a, b):
    """Math node `op` of a and b (sockets or numbers) -> result socket."""
    n = nt.nodes.new("ShaderNodeMath")
    n.operation = op
    for i, x in enumerate((a, b)):
        if isinstance(x, (int, float)):
            n.inputs[i].default_value = float(x)
        else:
            nt.links.new(x, n.inputs[i])
    return n.outputs[0]


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


PATTERN_NODES = {"noise": ("ShaderNodeTexNoise", "Fac"), "voronoi": ("ShaderNodeTexVoronoi", "Distance"),
                 "checker": ("ShaderNodeTexChecker", "Fac"), "wave": ("ShaderNodeTexWave", "Fac"),
                 "magic": ("ShaderNodeTexMagic", "Fac"), "brick": ("ShaderNodeTexBrick", "Fac")}


def pattern(name: str, texture: dict) -> bpy.types.Material:
    """A domain-randomization surface (generators.shapes._texture): one procedural pattern in
    object space, at `scale` cycles per metre, blending two colours; "plain" is the first colour."""
    mat = new_material(name)
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = texture["roughness"]
    bsdf.inputs["Metallic"].default_value = texture["metallic"]
    a, b = ((*c[:3], 1.0) for c in texture["colors"])
    mat.diffuse_color = a
    if texture["pattern"] not in PATTERN_NODES:
        bsdf.inputs["Base Color"].default_value = a
        return mat
    kind, out = PATTERN_NODES[texture["pattern"]]
    tex = node(nt, kind, Scale=texture["scale"])
    nt.links.new(garments.obj_coord(nt), tex.inputs["Vector"])
    nt.links.new(mix(nt, tex.outputs[out], a, b), bsdf.inputs["Base Color"])
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
        return mix(nt, 0.35, color_out, (0.0, 0.0, 0.0, 1.0)), 0.45
    if cond == "snow" and weather.get("ground_cover", 0) > 0:
        geo = nt.nodes.new("ShaderNodeNewGeometry")
        sep = nt.nodes.new("ShaderNodeSeparateXYZ")
        nt.links.new(geo.outputs["Normal"], sep.inputs["Vector"])
        up = ramp(nt, sep.outputs["Z"], 0.55, 0.85)
        noise = node(nt, "ShaderNodeTexNoise", Scale=4.0)
        cover = weather["ground_cover"]
        cover = ramp(nt, noise.outputs["Fac"], 0.6 - 0.4 * cover, 0.65 - 0.4 * cover)
        return mix(nt, math_node(nt, "MULTIPLY", up, cover), color_out, (0.85, 0.87, 0.9, 1.0)), 1.0
    return color_out, 1.0


# ---------------------------------------------------------------- clothing

def dress(person: dict, slots: list[str]) -> list[bpy.types.Material]:
    """One material per slot name; unknown names (user meshes) get the height-banded outfit."""
    c = person["colors"]
    folds = person.get("folds")
    field = int((person.get("body") or {}).get("stripe_field", 0) or 0) >= 1
    out = []
    for i, name in enumerate(slots):
        mname = f"{person['name']}_{name or 'outfit'}_{i}"
        if name == "helmet":
            out.append(_cloth(mname, c["helmet"], 0.3, person["dirt"] * 0.5, stripes=False))
        elif name == "hat":
            knit = {**(folds or {}), "strength": 0.5} if person["hat"]["kind"] == "beanie" else folds
            out.append(_cloth(mname, person["hat"]["color"], 0.8, person["dirt"] * 0.3, stripes=False, folds=knit))
        elif name in ("hair", "longhair"):  # the cap draws its hairline over the skin
            out.append(_hair(mname, person["hair"]["color"],
                             hairline=(person["body"], c["skin"]) if name == "hair" else None))
        elif name == "backpack":
            out.append(_cloth(mname, person["backpack"]["color"], 0.75, person["dirt"], stripes=False, folds=folds))
        elif name in REGIONS:
            color = c.get(name, c["jacket"])
            stripes = person["stripes"] and name in ("jacket", "pants")
            rough = 0.5 if name in ("skin",) else person["roughness"]
            bare = name == "skin" or (name == "gloves" and person.get("category") == "civilian")
            out.append(_cloth(mname, color, rough, person["dirt"] if name != "skin" else 0.0, stripes=stripes,
                              stripe_source=f"field:{name}" if field else "attribute", folds=None if bare else folds,
                              fine=0.5 if name in ("boots", "gloves") else 1.0,
                              look=_look(person, name, field)))
        else:
            out.append(_banded(mname, person))
    return out


def _look(person: dict, region: str, field: bool) -> dict | None:
    """What `_cloth` needs of the person's look for one region slot (see garments.py)."""
    if region == "skin":
        return {"region": "skin", "person": person, "face": person.get("face")}
    if region not in ("jacket", "pants"):
        return None
    look = {"region": region, "person": person, "field": field, "wear": person.get("wear"),
            "trim": (person.get("uniform") or {}).get("trim")}
    if field:
        g = (person.get("garments") or {}).get("top" if region == "jacket" else "bottom") or {}
        look.update(pattern=g.get("pattern"), cut=g.get("sleeve_cut" if region == "jacket" else "hem_cut"),
                    neck=person.get("neck_cut") if region == "jacket" else None,
                    skin=person["colors"]["skin"], uniform=person.get("uniform") if region == "jacket" else None)
        if region == "jacket" and person.get("waist_cut") is not None:  # the trousers below the hem
            bottom = (person.get("garments") or {}).get("bottom") or {}
            look.update(waist=person["waist_cut"], bottom={"pattern": bottom.get("pattern"),
                                                           "color": person["colors"].get("pants", person["colors"]["jacket"])})
    return look


def _cloth(name: str, color, roughness: float, dirt: float, *, stripes: bool,
           stripe_source: str = "attribute", folds: dict | None = None, fine: float = 1.0,
           look: dict | None = None) -> bpy.types.Material:
    """A region's material. `look` (`_look`) adds the person's garment pattern, agency design,
    trim colours, wear, bare skin below a sleeve or hem cut or above the neckline and the trousers
    below the top's hem (bodies with the stripe field), or the skin's mottling."""
    mat = new_material(name)
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = roughness
    base = _rgb(nt, color)
    look = look or {}
    person = look.get("person") or {}
    body = person.get("body") or {}
    g = b = bare = lower = None
    if look.get("region") == "skin":
        base = garments.skin_tint(nt, base)
        if look.get("face") and body.get("head_radius"):
            base = faces.paint(nt, base, body, look["face"])
    elif look.get("field"):
        g, b = garments.field(nt)
        if look.get("pattern"):
            base = garments.pattern(nt, look["pattern"], look["region"], g, b, person)
        base = garments.uniform_design(nt, base, look.get("uniform"), g, b, body)
        if look.get("waist") is not None:  # the top's hem, straight (`straight_waist`)
            below = look["bottom"]
            other = (garments.pattern(nt, below["pattern"], "pants", g, b, person) if below.get("pattern")
                     else _rgb(nt, below["color"]))
            lower = garments.below_waist(nt, g, b, look["waist"])
            base = garments.mix_color(nt, lower, base, other)
        bare = garments.bare_mask(nt, g, b, look["region"], look.get("cut"), look.get("neck"))
    col_out, rough_out = base, None
    if stripes:
        attr = nt.nodes.new("ShaderNodeVertexColor")
        attr.layer_name = "Color"
        sep = nt.nodes.new("ShaderNodeSeparateColor")
        nt.links.new(attr.outputs["Color"], sep.inputs["Color"])
        if stripe_source.startswith("field:"):  # exact bands from the rest-height field (G, B)
            band = _stripe_bands(nt, sep.outputs[1], sep.outputs[2], stripe_source.split(":", 1)[1])
        else:  # R: the 0/1 mask, blurred across coarse triangles; threshold its 0.5 iso-line
            crisp = nt.nodes.new("ShaderNodeMapRange")
            crisp.inputs["From Min"].default_value = 0.42
            crisp.inputs["From Max"].default_value = 0.52
            nt.links.new(sep.outputs[0], crisp.inputs["Value"])
            band = crisp.outputs["Result"]
        edge = garments.TRIM_EDGE.get(look.get("trim") or "")
        if edge and stripe_source.startswith("field:"):  # coloured edges, silver between them
            inner = _stripe_bands(nt, sep.outputs[1], sep.outputs[2], stripe_source.split(":", 1)[1], shrink=0.3)
            col_out = mix(nt, band, col_out, _rgb(nt, edge))
            col_out = mix(nt, inner, col_out, _rgb(nt, STRIPE_COLOR))
        else:
            col_out = mix(nt, band, col_out, _rgb(nt, STRIPE_COLOR))
        rmix = nt.nodes.new("ShaderNodeMapRange")
        nt.links.new(band, rmix.inputs["Value"])
        rmix.inputs["To Min"].default_value = roughness
        rmix.inputs["To Max"].default_value = 0.2
        rough_out = rmix.outputs["Result"]
        nt.links.new(col_out, bsdf.inputs["Emission Color"])
        em = nt.nodes.new("ShaderNodeMath")
        em.operation = "MULTIPLY"
        em.inputs[1].default_value = 0.25
        nt.links.new(band, em.inputs[0])
        nt.links.new(em.outputs[0], bsdf.inputs["Emission Strength"])
    worn, wet = garments.wear(nt, col_out, look.get("wear"), look.get("region", ""), g, b, body)
    if lower is not None and look.get("wear"):  # below the hem the trousers' wear (knees), not the top's
        worn = mix(nt, lower, worn, garments.wear(nt, col_out, look["wear"], "pants", g, b, body)[0])
    col_out = worn
    if bare is not None:  # skin below the sleeve / hem: no fabric colour, folds or sheen there
        col_out = mix(nt, bare, col_out, garments.skin_tint(nt, _rgb(nt, look["skin"])))
    if dirt > 0:
        col_out = _dirt(nt, col_out, dirt)
    if folds:
        rough_var = _fabric(nt, bsdf, folds, fine,
                            keep=None if bare is None else math_node(nt, "SUBTRACT", 1.0, bare))
        if rough_out is None:  # roughness varies with the weave noise (bands keep their own)
            rr = nt.nodes.new("ShaderNodeMapRange")
            nt.links.new(rough_var, rr.inputs["Value"])
            rr.inputs["To Min"].default_value = max(roughness - 0.12, 0.05)
            rr.inputs["To Max"].default_value = min(roughness + 0.08, 1.0)
            rough_out = rr.outputs["Result"]
        bsdf.inputs["Sheen Weight"].default_value = float(folds.get("sheen", 0.2))
        bsdf.inputs["Sheen Roughness"].default_value = 0.5
        if bare is not None:
            nt.links.new(math_node(nt, "MULTIPLY", math_node(nt, "SUBTRACT", 1.0, bare), float(folds.get("sheen", 0.2))),
                         bsdf.inputs["Sheen Weight"])
    if wet is not None:  # wet cloth is glossier
        rough_out = mix_value(nt, wet, rough_out if rough_out is not None else roughness, 0.22)
    if bare is not None:
        rough_out = mix_value(nt, bare, rough_out if rough_out is not None else roughness, 0.5)
    nt.links.new(col_out, bsdf.inputs["Base Color"])
    if rough_out is not None:
        nt.links.new(rough_out, bsdf.inputs["Roughness"])
    mat.diffuse_color = (*color[:3], 1.0)
    return mat


def _stripe_bands(nt, g, b, region: str, shrink: float = 0.0):
    """0/1 band mask from the stripe field: G = rest height fraction (as written in the file, see
    `colors_as_written`), B = arm. Thresholds of a linearly interpolated field are straight lines
    across each triangle, so band edges stay crisp on coarse (decimated) bodies. Ranges are
    `STRIPE_BANDS`, the ones `assets.rescuers.stripe_mask` uses."""
    def inside(ranges):
        out = None
        for lo, hi in ranges:
            lo, hi = lo + shrink * (hi - lo), hi - shrink * (hi - lo)  # shrink > 0: the band's middle
            sel = math_node(nt, "MULTIPLY", math_node(nt, "GREATER_THAN", g, lo), math_node(nt, "LESS_THAN", g, hi))
            out = sel if out is None else math_node(nt, "MAXIMUM", out, sel)
        return out

    if region == "pants":
        return inside(STRIPE_BANDS["pants"])
    arm = math_node(nt, "GREATER_THAN", b, 0.5)
    torso = math_node(nt, "LESS_THAN", b, 0.5)
    return math_node(nt, "MAXIMUM", math_node(nt, "MULTIPLY", torso, inside(STRIPE_BANDS["torso"])),
                     math_node(nt, "MULTIPLY", arm, inside(STRIPE_BANDS["arm"])))


def mix_value(nt, fac, a, b):
    """a * (1 - fac) + b * fac for value sockets or numbers."""
    n = nt.nodes.new("ShaderNodeMix")
    n.data_type = "FLOAT"
    nt.links.new(fac, n.inputs["Factor"])
    for sock, x in ((n.inputs[2], a), (n.inputs[3], b)):
        if isinstance(x, (int, float)):
            sock.default_value = float(x)
        else:
            nt.links.new(x, sock)
    return n.outputs[0]


def _fabric(nt, bsdf, folds: dict, fine: float = 1.0, keep=None):
    """Folds: a noise stretched across the body's height (object space: slow in X/Y, fast in Z),
    so its ridges run around upright limbs and the torso like creases, folded into sharp ridges
    (1 - |2n - 1|), plus a fine noise for the weave; both drive one Bump node. Returns the weave
    noise (0..1) for roughness variation."""
    coord = nt.nodes.new("ShaderNodeTexCoord")
    mapping = nt.nodes.new("ShaderNodeMapping")
    k = float(folds.get("scale", 7.0))
    mapping.inputs["Scale"].default_value = (0.35 * k, 0.35 * k, 1.6 * k)
    mapping.inputs["Location"].default_value = (float(folds.get("phase", 0.0)), 0.0, 0.0)
    nt.links.new(coord.outputs["Object"], mapping.inputs["Vector"])
    crease = nt.nodes.new("ShaderNodeTexNoise")
    crease.inputs["Scale"].default_value = 1.0
    crease.inputs["Detail"].default_value = 1.5
    crease.inputs["Distortion"].default_value = 0.6
    nt.links.new(mapping.outputs["Vector"], crease.inputs["Vector"])
    ridge = nt.nodes.new("ShaderNodeMath")  # |2n - 1|: 0 on the ridge lines
    ridge.operation = "MULTIPLY_ADD"
    ridge.use_clamp = False
    nt.links.new(crease.outputs["Fac"], ridge.inputs[0])
    ridge.inputs[1].default_value = 2.0
    ridge.inputs[2].default_value = -1.0
    absn = nt.nodes.new("ShaderNodeMath")
    absn.operation = "ABSOLUTE"
    nt.links.new(ridge.outputs[0], absn.inputs[0])
    weave = nt.nodes.new("ShaderNodeTexNoise")
    weave.inputs["Scale"].default_value = 60.0
    weave.inputs["Detail"].default_value = 1.0
    nt.links.new(coord.outputs["Object"], weave.inputs["Vector"])
    height = nt.nodes.new("ShaderNodeMath")
    height.operation = "MULTIPLY_ADD"
    nt.links.new(weave.outputs["Fac"], height.inputs[0])
    height.inputs[1].default_value = 0.15
    nt.links.new(absn.outputs[0], height.inputs[2])
    bump = nt.nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = float(folds.get("strength", 0.35)) * fine
    if keep is not None:  # no folds on bare skin
        nt.links.new(math_node(nt, "MULTIPLY", keep, float(folds.get("strength", 0.35)) * fine), bump.inputs["Strength"])
    bump.inputs["Distance"].default_value = 0.02
    nt.links.new(height.outputs[0], bump.inputs["Height"])
    nt.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return weave.outputs["Fac"]


def _hair(name: str, color, hairline: tuple[dict, tuple] | None = None) -> bpy.types.Material:
    """Hair: rough, a little sheen, a fine streaky bump (noise stretched along the crown axis).
    `hairline` (body, skin colour): the cap's faces reach below the hairline, which this draws
    per pixel with a soft edge, skin below it (`faces.hairline`)."""
    mat = new_material(name)
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = 0.55
    bsdf.inputs["Sheen Weight"].default_value = 0.3
    coord = nt.nodes.new("ShaderNodeTexCoord")
    mapping = nt.nodes.new("ShaderNodeMapping")
    mapping.inputs["Scale"].default_value = (8.0, 8.0, 1.0)
    nt.links.new(coord.outputs["Object"], mapping.inputs["Vector"])
    noise = nt.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 40.0
    noise.inputs["Detail"].default_value = 3.0
    nt.links.new(mapping.outputs["Vector"], noise.inputs["Vector"])
    bump = nt.nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = 0.6
    bump.inputs["Distance"].default_value = 0.005
    nt.links.new(noise.outputs["Fac"], bump.inputs["Height"])
    nt.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    ramp = nt.nodes.new("ShaderNodeMapRange")  # strands: darker and lighter streaks
    nt.links.new(noise.outputs["Fac"], ramp.inputs["Value"])
    ramp.inputs["To Min"].default_value = 0.6
    ramp.inputs["To Max"].default_value = 1.3
    tint = nt.nodes.new("ShaderNodeMix")
    tint.data_type = "RGBA"
    tint.blend_type = "MULTIPLY"
    tint.inputs["Factor"].default_value = 1.0
    nt.links.new(_rgb(nt, color), tint.inputs[6])
    comb = nt.nodes.new("ShaderNodeCombineColor")
    for k in range(3):
        nt.links.new(ramp.outputs["Result"], comb.inputs[k])
    nt.links.new(comb.outputs["Color"], tint.inputs[7])
    col = tint.outputs[2]
    if hairline is not None:
        body, skin = hairline
        cover = faces.hairline(nt, body)
        col = mix(nt, cover, garments.skin_tint(nt, _rgb(nt, skin)), col)
        nt.links.new(math_node(nt, "MULTIPLY", cover, 0.6), bump.inputs["Strength"])
        nt.links.new(math_node(nt, "MULTIPLY", cover, 0.3), bsdf.inputs["Sheen Weight"])
    nt.links.new(col, bsdf.inputs["Base Color"])
    mat.diffuse_color = (*color[:3], 1.0)
    return mat


def _rgb(nt, color):
    n = nt.nodes.new("ShaderNodeRGB")
    n.outputs[0].default_value = (*color[:3], 1.0)
    return n.outputs[0]


def _dirt(nt, color_out, amount: float):
    """Mud/dust: noise patches, strongest near the feet (object z), fading by ~1 m."""
    coord = nt.nodes.new("ShaderNodeTexCoord")
    noise = node(nt, "ShaderNodeTexNoise", Scale=7.0, Detail=4.0)
    nt.links.new(coord.outputs["Object"], noise.inputs["Vector"])
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    nt.links.new(coord.outputs["Object"], sep.inputs["Vector"])
    fade = node(nt, "ShaderNodeMapRange", **{"From Min": 0.0, "From Max": 1.1, "To Min": 1.0, "To Max": 0.25})
    nt.links.new(sep.outputs["Z"], fade.inputs["Value"])
    patch = ramp(nt, noise.outputs["Fac"], 0.45, 0.65)
    amt = math_node(nt, "MULTIPLY", math_node(nt, "MULTIPLY", patch, fade.outputs["Result"]), amount)
    return mix(nt, amt, color_out, _rgb(nt, (0.13, 0.1, 0.07)))


def _banded(name: str, person: dict) -> bpy.types.Material:
    """Outfit for meshes without region materials: regions by height fraction (boots < 6%,
    trousers < 47%, jacket < 83%, skin above), bands at fixed heights."""
    c = person["colors"]
    top = float(person["body"]["bbox_max"][2]) or 1.0
    mat = new_material(name)
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = person["roughness"]
    coord = nt.nodes.new("ShaderNodeTexCoord")
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    nt.links.new(coord.outputs["Object"], sep.inputs["Vector"])
    frac = nt.nodes.new("ShaderNodeMath")
    frac.operation = "DIVIDE"
    frac.inputs[1].default_value = top
    nt.links.new(sep.outputs["Z"], frac.inputs[0])
    ramp = nt.nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.interpolation = "CONSTANT"
    els = ramp.color_ramp.elements
    els[0].position, els[0].color = 0.0, (*c["boots"], 1.0)
    els[1].position, els[1].color = 0.83, (*c["skin"], 1.0)
    for pos, key in ((0.06, "pants"), (0.47, "jacket")):
        e = els.new(pos)
        e.color = (*c[key], 1.0)
    nt.links.new(frac.outputs[0], ramp.inputs["Fac"])
    col = ramp.outputs["Color"]
    if person["stripes"]:
        bands = nt.nodes.new("ShaderNodeValToRGB")
        bands.color_ramp.interpolation = "CONSTANT"
        be = bands.color_ramp.elements
        be[0].position, be[0].color = 0.0, (0, 0, 0, 1)
        be[1].position, be[1].color = 0.70, (0, 0, 0, 1)
        for lo, hi in STRIPE_BANDS["pants"] + STRIPE_BANDS["torso"]:
            a = be.new(lo)
            a.color = (1, 1, 1, 1)
            b = be.new(hi)
            b.color = (0, 0, 0, 1)
        nt.links.new(frac.outputs[0], bands.inputs["Fac"])
        col = mix(nt, bands.outputs["Color"], col, _rgb(nt, STRIPE_COLOR))
    if person["dirt"] > 0:
        col = _dirt(nt, col, person["dirt"])
    nt.links.new(col, bsdf.inputs["Base Color"])
    return mat
