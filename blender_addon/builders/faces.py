"""Faces painted on the skin shader: eyes (sclera and iris, in darker sockets), brows, lips and a
beard for some men (generators.people.sample_face draws them).

The shipped bodies have ~500 vertices on the head and no face texture, so rendered heads were
blank mannequins; a detector trained on them segmented real people's clothes and missed their
faces (docs/sim2real.md, E11). Features are drawn in the head's own frame (the body's
`head_center`, crown axis and face direction, all in object space, in head radii), so they follow
the head through every pose and scale, as 2D ellipses on the plane across the face, only where the
surface faces forward.
"""

from __future__ import annotations

import numpy as np

from blender_addon.assets.bodies import head_frame
from blender_addon.builders.garments import math_node, mix_color, noise, obj_coord, ramp

MOUTH = (0.0, -0.47, 0.21, 0.05)  # centre across, up; half width, half height (head radii)
EYE_HALF = (0.13, 0.055)  # the eye opening's half width, half height
IRIS_RADIUS = 0.05
SOCKET_HALF = (0.22, 0.13)  # the shadowed hollow round each eye
SCLERA = (0.5, 0.47, 0.44)  # linear albedo: never paper white
LIPS = (0.78, 0.5, 0.5)  # multiplies the skin


def _axis_value(nt, vector, direction, scale: float):
    """dot(vector, direction) * scale: a coordinate in the head frame."""
    n = nt.nodes.new("ShaderNodeVectorMath")
    n.operation = "DOT_PRODUCT"
    nt.links.new(vector, n.inputs[0])
    n.inputs[1].default_value = [float(x) * scale for x in direction]
    return n.outputs["Value"]


def _ellipse(nt, x, y, x0: float, y0: float, a: float, b: float):
    """1 inside the ellipse about (x0, y0) with half axes a, b, 0 outside, a soft edge between."""
    dx = math_node(nt, "MULTIPLY_ADD", x, 1.0 / a)
    dx.node.inputs[2].default_value = -x0 / a
    dy = math_node(nt, "MULTIPLY_ADD", y, 1.0 / b)
    dy.node.inputs[2].default_value = -y0 / b
    r2 = math_node(nt, "ADD", math_node(nt, "MULTIPLY", dx, dx), math_node(nt, "MULTIPLY", dy, dy))
    return ramp(nt, r2, 1.0, 0.55)


def paint(nt, color, body: dict, face: dict):
    """The skin colour socket `color` with the face of `face` drawn on the head of `body`."""
    c, ax, fwd, r = head_frame(body)
    side = np.cross(fwd, ax)
    d = nt.nodes.new("ShaderNodeVectorMath")
    d.operation = "SUBTRACT"
    nt.links.new(obj_coord(nt), d.inputs[0])
    d.inputs[1].default_value = [float(x) for x in c]
    vec = d.outputs["Vector"]
    u = _axis_value(nt, vec, side, 1.0 / r)
    v = _axis_value(nt, vec, ax, 1.0 / r)
    w = _axis_value(nt, vec, fwd, 1.0 / r)
    # the front of the head only: the face's surface lies 0.3-0.6 radii before the head centre;
    # a hand raised in front of the face (further out) is left unpainted
    front = math_node(nt, "MULTIPLY", ramp(nt, w, 0.1, 0.3), ramp(nt, w, 0.95, 0.75))
    au = math_node(nt, "ABSOLUTE", u)
    ex, ey = float(face["eye_spacing"]), float(face["eye_height"])

    def on_face(mask):
        return math_node(nt, "MULTIPLY", mask, front)

    socket = on_face(_ellipse(nt, au, v, ex, ey, *SOCKET_HALF))
    color = mix_color(nt, math_node(nt, "MULTIPLY", socket, 0.3), color, (0.55, 0.5, 0.48), "MULTIPLY")
    if face["beard"] > 0:  # jaw and chin below the mouth's corners, patchy
        patchy = math_node(nt, "MULTIPLY", ramp(nt, v, -0.3, -0.42), noise(nt, obj_coord(nt), 60.0, 2.0))
        beard = math_node(nt, "MULTIPLY", on_face(patchy), 1.6 * float(face["beard"]), clamp=True)
        color = mix_color(nt, beard, color, face["brow"])
    lips = on_face(_ellipse(nt, u, v, *MOUTH))
    color = mix_color(nt, math_node(nt, "MULTIPLY", lips, float(face["lips"])), color, LIPS, "MULTIPLY")
    color = mix_color(nt, on_face(_ellipse(nt, au, v, ex, ey, *EYE_HALF)), color, SCLERA)
    color = mix_color(nt, on_face(_ellipse(nt, au, v, ex, ey, IRIS_RADIUS, IRIS_RADIUS)), color, face["iris"])
    brow = on_face(_ellipse(nt, au, v, ex + 0.02, ey + 0.19, 0.17, float(face["brow_width"])))
    return mix_color(nt, math_node(nt, "MULTIPLY", brow, 0.9), color, face["brow"])


HAIRLINE_SOFT = 0.04  # head radii either side of the hairline over which hair thins out to skin


def hairline(nt, body: dict):
    """0..1 hair cover on a hair cap: `assets.bodies.above_hairline` evaluated per pixel in the
    head's frame (object space), 0 below the hairline, 1 above it, a soft edge between."""
    c, ax, fwd, r = head_frame(body)
    d = nt.nodes.new("ShaderNodeVectorMath")
    d.operation = "SUBTRACT"
    nt.links.new(obj_coord(nt), d.inputs[0])
    d.inputs[1].default_value = [float(x) for x in c + 0.25 * r * ax]
    up = _axis_value(nt, d.outputs["Vector"], ax, 1.0 / r)
    back = ramp(nt, _axis_value(nt, d.outputs["Vector"], fwd, -1.0 / r), -1.0, 1.0)  # clip(back, -1, 1) -> 0..1
    # above = up - (0.2 - 0.6 * clip(back)) = up - 0.8 + 1.2 * ramp(back)
    lift = math_node(nt, "MULTIPLY_ADD", back, 1.2)
    lift.node.inputs[2].default_value = -0.8
    above = math_node(nt, "ADD", lift, up)
    return ramp(nt, above, -HAIRLINE_SOFT, HAIRLINE_SOFT)
