"""Garment shading for region bodies: fabric patterns, bare forearms and legs, agency designs,
reflective trim colours and wear, as shader nodes built from the person's frame JSON
(`generators/people.py: sample_look`). Only colour, roughness and bump change: the geometry and
pass index (and so the masks) are the builder's, never these nodes'.

Coordinates a pattern can follow on a posed body:
- the stripe field in the vertex colours (G = rest height fraction f, B = arm): bands in f run
  around the torso and across the limbs in any pose (stripes, colour blocks, sleeve and hem cuts);
- Anny's UVs (one island for the body, cut down the back and under the arms): checks, plaid,
  pinstripes, dots and the chest print move with the cloth and meet at the back seam like a real
  garment's; sizes are metres through the body's `uv_metres`;
- object space: noise that needs no direction (knit speckle, fading, grime, wet patches).
"""

from __future__ import annotations

from blender_addon.generators.people import TRIM_EDGE, landmarks  # noqa: F401  (TRIM_EDGE: for the builder)

# Default metres of body per UV unit (Anny; the body's sidecar has its own).
UV_METRES = {"jacket": 1.9, "pants": 2.2}
GRIME = (0.07, 0.055, 0.04)


def math_node(nt, op: str, a, b=None, clamp: bool = False):
    n = nt.nodes.new("ShaderNodeMath")
    n.operation = op
    n.use_clamp = clamp
    for i, x in enumerate((a, b)):
        if x is None:
            continue
        if isinstance(x, (int, float)):
            n.inputs[i].default_value = float(x)
        else:
            nt.links.new(x, n.inputs[i])
    return n.outputs[0]


def rgb(nt, color):
    n = nt.nodes.new("ShaderNodeRGB")
    n.outputs[0].default_value = (*[float(c) for c in color[:3]], 1.0)
    return n.outputs[0]


def field(nt):
    """(G, B) sockets of the stripe field (rest height fraction, arm flag)."""
    attr = nt.nodes.new("ShaderNodeVertexColor")
    attr.layer_name = "Color"
    sep = nt.nodes.new("ShaderNodeSeparateColor")
    nt.links.new(attr.outputs["Color"], sep.inputs["Color"])
    return sep.outputs[1], sep.outputs[2]


def uv_xy(nt):
    coord = nt.nodes.new("ShaderNodeTexCoord")
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    nt.links.new(coord.outputs["UV"], sep.inputs["Vector"])
    return sep.outputs["X"], sep.outputs["Y"]


def obj_coord(nt):
    return nt.nodes.new("ShaderNodeTexCoord").outputs["Object"]


def noise(nt, vector, scale: float, detail: float = 2.0, offset: float = 0.0):
    n = nt.nodes.new("ShaderNodeTexNoise")
    n.inputs["Scale"].default_value = scale
    n.inputs["Detail"].default_value = detail
    if offset:
        m = nt.nodes.new("ShaderNodeMapping")
        m.inputs["Location"].default_value = (offset, offset * 0.7, offset * 0.3)
        nt.links.new(vector, m.inputs["Vector"])
        vector = m.outputs["Vector"]
    nt.links.new(vector, n.inputs["Vector"])
    return n.outputs["Fac"]


def ramp(nt, x, lo: float, hi: float):
    """0 below lo, 1 above hi, linear between (clamped)."""
    n = nt.nodes.new("ShaderNodeMapRange")
    n.inputs["From Min"].default_value = lo
    n.inputs["From Max"].default_value = hi
    nt.links.new(x, n.inputs["Value"])
    return n.outputs["Result"]


def square_wave(nt, x, freq: float, duty: float, phase: float = 0.0):
    """1 where fract(x * freq + phase) < duty."""
    t = math_node(nt, "FRACT", math_node(nt, "ADD", math_node(nt, "MULTIPLY", x, freq), phase))
    return math_node(nt, "LESS_THAN", t, duty)


def mix_color(nt, fac, a, b, blend: str = "MIX"):
    """a where fac is 0, b where 1 (colour sockets; b may be a constant RGB); blend "MULTIPLY":
    towards a * b."""
    n = nt.nodes.new("ShaderNodeMix")
    n.data_type = "RGBA"
    n.blend_type = blend
    nt.links.new(fac, n.inputs["Factor"])
    nt.links.new(a, n.inputs[6])
    if isinstance(b, (tuple, list)):
        n.inputs[7].default_value = (*[float(x) for x in b[:3]], 1.0)
    else:
        nt.links.new(b, n.inputs[7])
    return n.outputs[2]


def bare_mask(nt, g, b, region: str, cut: float | None, neck: float | None = None):
    """1 on bare skin below a sleeve cut (arms only), above a top's neckline (the torso: the
    neck's faces below the line are the top's, `straight_neckline`) or below a trouser hem (legs),
    else 0."""
    parts = []
    if cut is not None:
        below = math_node(nt, "LESS_THAN", g, float(cut))
        arm = math_node(nt, "GREATER_THAN", b, 0.5) if region == "jacket" else math_node(nt, "LESS_THAN", b, 0.5)
        parts.append(math_node(nt, "MULTIPLY", below, arm))
    if neck is not None and region == "jacket":
        parts.append(math_node(nt, "MULTIPLY", math_node(nt, "GREATER_THAN", g, float(neck)),
                               math_node(nt, "LESS_THAN", b, 0.5)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else math_node(nt, "MAXIMUM", parts[0], parts[1])


def below_waist(nt, g, b, waist: float):
    """1 below a top's hem cut off the arms (the trousers' faces above the line are the top's,
    `straight_waist`), else 0."""
    return math_node(nt, "MULTIPLY", math_node(nt, "LESS_THAN", g, float(waist)), math_node(nt, "LESS_THAN", b, 0.5))


def pattern(nt, pat: dict, region: str, g, b, person: dict):
    """Colour socket of a garment's fabric pattern (`sample_pattern`)."""
    kind = pat["kind"]
    cols = pat["colors"]
    base = rgb(nt, cols[0])
    if kind in ("solid",):
        return base
    scale = float(person.get("scale", 1.0)) or 1.0
    body = person.get("body") or {}
    uvm = float((body.get("uv_metres") or UV_METRES).get(region, UV_METRES.get(region, 2.0))) * scale
    height = float(person.get("height", 1.75))
    phase = float(pat.get("phase", 0.0))
    period = float(pat.get("period", 0.03))
    duty = float(pat.get("duty", 0.5))
    second = rgb(nt, cols[1])
    if kind == "stripes":
        return mix_color(nt, square_wave(nt, g, height / period, duty, phase), base, second)
    u, v = uv_xy(nt)
    freq = uvm / period  # cycles per UV unit
    if kind == "pinstripes":
        return mix_color(nt, square_wave(nt, u, freq, duty, phase), base, second)
    if kind == "checks":
        a = square_wave(nt, u, freq, 0.5, phase)
        c = square_wave(nt, v, freq, 0.5, phase * 0.37)
        return mix_color(nt, math_node(nt, "MULTIPLY", math_node(nt, "ADD", a, c), 0.5), base, second)
    if kind == "plaid":
        a = square_wave(nt, u, freq, duty, phase)
        c = square_wave(nt, v, freq, duty, phase * 0.61)
        col = mix_color(nt, math_node(nt, "MULTIPLY", math_node(nt, "ADD", a, c), 0.45), base, second)
        la = square_wave(nt, u, freq, 0.06, phase + 0.5)
        lc = square_wave(nt, v, freq, 0.06, phase * 0.61 + 0.5)
        return mix_color(nt, math_node(nt, "MULTIPLY", math_node(nt, "MAXIMUM", la, lc), 0.8), col, rgb(nt, cols[2]))
    if kind == "dots":
        vec = nt.nodes.new("ShaderNodeCombineXYZ")
        nt.links.new(math_node(nt, "MULTIPLY", u, freq), vec.inputs["X"])
        nt.links.new(math_node(nt, "MULTIPLY", v, freq), vec.inputs["Y"])
        vor = nt.nodes.new("ShaderNodeTexVoronoi")
        vor.voronoi_dimensions = "2D"
        vor.inputs["Scale"].default_value = 1.0
        vor.inputs["Randomness"].default_value = 0.25
        nt.links.new(vec.outputs["Vector"], vor.inputs["Vector"])
        return mix_color(nt, math_node(nt, "LESS_THAN", vor.outputs["Distance"], duty), base, second)
    if kind == "logo":
        return mix_color(nt, _logo(nt, u, v, pat, body, uvm), base, second)
    if kind == "blocks":
        return mix_color(nt, _block(nt, pat, g, b, body), base, second)
    obj = obj_coord(nt)
    if kind == "heather":  # fine speckle of a lighter yarn, slow mottling
        fine = noise(nt, obj, scale / period * 0.5, 1.0, phase)
        speck = ramp(nt, fine, 0.45, 0.75)
        slow = noise(nt, obj, 3.0 * scale, 2.0, phase + 7.0)
        fac = math_node(nt, "MULTIPLY", math_node(nt, "ADD", speck, math_node(nt, "MULTIPLY", slow, 0.4)),
                        float(pat.get("contrast", 0.5)))
        return mix_color(nt, fac, base, second)
    if kind == "denim":  # indigo with white weft speckle, faded in patches on the thighs and knees
        weft = ramp(nt, noise(nt, obj, scale / period * 0.5, 1.0, phase), 0.5, 0.8)
        col = mix_color(nt, math_node(nt, "MULTIPLY", weft, 0.3), base, second)
        blotch = ramp(nt, noise(nt, obj, 2.5 * scale, 3.0, phase + 3.0), 0.4, 0.7)
        lm = landmarks(body)
        knee, hip = lm["knee"], lm["hip"]
        thigh = math_node(nt, "MULTIPLY", ramp(nt, g, knee - 0.06, knee + 0.02),
                          math_node(nt, "SUBTRACT", 1.0, ramp(nt, g, hip - 0.06, hip)))
        fade = math_node(nt, "MULTIPLY", math_node(nt, "MAXIMUM", blotch, math_node(nt, "MULTIPLY", thigh, 0.7)),
                         0.55 * float(pat.get("fade", 0.5)))
        return mix_color(nt, fade, col, second)
    return base


def _logo(nt, u, v, pat: dict, body: dict, uvm: float):
    """0/1 print on the chest: a shape of `size` metres centred on the body's chest UV."""
    cu, cv = (body.get("chest_uv") or [0.5, 0.62])[:2]
    dx = math_node(nt, "MULTIPLY", math_node(nt, "SUBTRACT", u, float(cu)), uvm / float(pat["size"]) * 2)
    dy = math_node(nt, "MULTIPLY", math_node(nt, "SUBTRACT", v, float(cv)), uvm / float(pat["size"]) * 2)
    ax, ay = math_node(nt, "ABSOLUTE", dx), math_node(nt, "ABSOLUTE", dy)
    r = math_node(nt, "SQRT", math_node(nt, "ADD", math_node(nt, "MULTIPLY", dx, dx), math_node(nt, "MULTIPLY", dy, dy)))
    shape = pat.get("shape", "disc")
    if shape == "disc":
        return math_node(nt, "LESS_THAN", r, 1.0)
    if shape == "ring":
        return math_node(nt, "MULTIPLY", math_node(nt, "LESS_THAN", r, 1.0), math_node(nt, "GREATER_THAN", r, 0.68))
    if shape == "bar":  # a line of text, as a bar
        return math_node(nt, "MULTIPLY", math_node(nt, "LESS_THAN", ax, 1.0), math_node(nt, "LESS_THAN", ay, 0.3))
    if shape == "square":
        return math_node(nt, "LESS_THAN", math_node(nt, "MAXIMUM", ax, ay), 0.8)
    if shape == "star":  # five points: the radius limit swings with the angle
        ang = math_node(nt, "ARCTAN2", dy, dx)
        lim = math_node(nt, "MULTIPLY_ADD", math_node(nt, "COSINE", math_node(nt, "MULTIPLY", ang, 5.0)), 0.35)
        lim.node.inputs[2].default_value = 0.65  # 0.65 +- 0.35
        return math_node(nt, "LESS_THAN", r, lim)
    # chevron: a V of thick strokes
    d = math_node(nt, "ABSOLUTE", math_node(nt, "SUBTRACT", dy, math_node(nt, "MULTIPLY", ax, -0.9)))
    return math_node(nt, "MULTIPLY", math_node(nt, "LESS_THAN", d, 0.28), math_node(nt, "LESS_THAN", ax, 1.0))


def _block(nt, pat: dict, g, b, body: dict):
    """0/1 second-colour area of a colour-blocked top: the sleeves, a yoke over the shoulders, or
    a band at the hem."""
    lm = landmarks(body)
    shoulder, hip = lm["shoulder"], lm["hip"]
    cut = float(pat.get("cut", 0.5))
    part = pat.get("part", "sleeves")
    if part == "sleeves":
        return math_node(nt, "GREATER_THAN", b, 0.5)
    if part == "yoke":
        return math_node(nt, "GREATER_THAN", g, shoulder - 0.03 - 0.05 * cut)
    return math_node(nt, "MULTIPLY", math_node(nt, "LESS_THAN", g, hip + 0.05 + 0.06 * cut),
                     math_node(nt, "LESS_THAN", b, 0.5))


def uniform_design(nt, color, uniform: dict | None, g, b, body: dict):
    """Agency two-tone: dark (or hi-vis) shoulders and upper sleeves ('yoke') or a dark hem band
    ('lower') over the scheme's jacket colour."""
    if not uniform or uniform.get("design", "plain") == "plain" or not uniform.get("second"):
        return color
    pat = {"part": "yoke" if uniform["design"] == "yoke" else "lower", "cut": uniform.get("cut", 0.5)}
    return mix_color(nt, _block(nt, pat, g, b, body), color, rgb(nt, uniform["second"]))


def wear(nt, color, wear: dict | None, region: str, g, b, body: dict):
    """Faded patches (lighter, greyer), grime (knees, forearms, the lower front) and wet patches
    (darker and glossier; returned as a 0..1 socket for the roughness). Object-space noise."""
    if not wear:
        return color, None
    obj = obj_coord(nt)
    seed = float(wear.get("seed", 0.0))
    fade = float(wear.get("fade", 0.0))
    if fade > 0:
        m = math_node(nt, "MULTIPLY", ramp(nt, noise(nt, obj, 2.2, 3.0, seed), 0.35, 0.75), fade)
        washed = nt.nodes.new("ShaderNodeMix")
        washed.data_type = "RGBA"
        washed.blend_type = "SCREEN"
        washed.inputs["Factor"].default_value = 0.25
        nt.links.new(color, washed.inputs[6])
        washed.inputs[7].default_value = (0.55, 0.55, 0.55, 1.0)
        color = mix_color(nt, m, color, washed.outputs[2])
    grime = float(wear.get("grime", 0.0))
    if grime > 0 and g is not None:
        lm = landmarks(body)
        knee, elbow = lm["knee"], lm["elbow"]
        if region == "pants":
            where = math_node(nt, "SUBTRACT", 1.0, math_node(nt, "ABSOLUTE", math_node(nt, "MULTIPLY",
                              math_node(nt, "SUBTRACT", g, knee), 10.0)), clamp=True)
        else:  # forearms and the lower torso
            fore = math_node(nt, "MULTIPLY", math_node(nt, "GREATER_THAN", b, 0.5), math_node(nt, "LESS_THAN", g, elbow))
            low = math_node(nt, "MULTIPLY", math_node(nt, "LESS_THAN", b, 0.5),
                            math_node(nt, "LESS_THAN", g, lm["hip"] + 0.1))
            where = math_node(nt, "MAXIMUM", fore, math_node(nt, "MULTIPLY", low, 0.6))
        patch = ramp(nt, noise(nt, obj, 9.0, 4.0, seed + 11.0), 0.45, 0.62)
        m = math_node(nt, "MULTIPLY", math_node(nt, "MULTIPLY", patch,
                                                math_node(nt, "ADD", math_node(nt, "MULTIPLY", where, 0.8), 0.2)), grime)
        color = mix_color(nt, m, color, rgb(nt, GRIME))
    wet = float(wear.get("wet", 0.0))
    wet_mask = None
    if wet > 0:
        wet_mask = math_node(nt, "MULTIPLY", ramp(nt, noise(nt, obj, 4.0, 3.0, seed + 23.0), 0.5, 0.6), wet)
        dark = nt.nodes.new("ShaderNodeMix")
        dark.data_type = "RGBA"
        dark.blend_type = "MULTIPLY"
        dark.inputs["Factor"].default_value = 1.0
        nt.links.new(color, dark.inputs[6])
        dark.inputs[7].default_value = (0.55, 0.55, 0.55, 1.0)
        color = mix_color(nt, wet_mask, color, dark.outputs[2])
    return color, wet_mask


def skin_tint(nt, color):
    """Skin albedo with a little mottling (redder and darker patches), so faces and arms are not
    one flat colour."""
    obj = obj_coord(nt)
    n = noise(nt, obj, 18.0, 3.0, 5.0)
    var = nt.nodes.new("ShaderNodeMapRange")
    nt.links.new(n, var.inputs["Value"])
    var.inputs["To Min"].default_value = 0.9
    var.inputs["To Max"].default_value = 1.08
    comb = nt.nodes.new("ShaderNodeCombineColor")
    nt.links.new(var.outputs["Result"], comb.inputs[0])
    nt.links.new(math_node(nt, "MULTIPLY", var.outputs["Result"], 0.97), comb.inputs[1])
    nt.links.new(math_node(nt, "MULTIPLY", var.outputs["Result"], 0.96), comb.inputs[2])
    tint = nt.nodes.new("ShaderNodeMix")
    tint.data_type = "RGBA"
    tint.blend_type = "MULTIPLY"
    tint.inputs["Factor"].default_value = 1.0
    nt.links.new(color, tint.inputs[6])
    nt.links.new(comb.outputs["Color"], tint.inputs[7])
    return tint.outputs[2]
