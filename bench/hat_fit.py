"""Hat fit: derive `bodies.HAT_FIT` from the shipped heads and print how the shipped shells sit.

    PYTHONPATH=. python bench/hat_fit.py [--spare 0.1]

For each hat kind, the least-volume tilted egg (an ellipsoid whose front half may be longer than
its back) that holds every scalp vertex of the upright shipped heads above the hat's rim plane with
`--spare` head radii to spare, in the head frame (head radii). Printed next to it, for the shells
`HAT_FIT` ships: the front rim's height on the head axis (painted brows are at 0.36-0.46 r, eyes
0.17-0.27 r), the share of scalp vertices poking through, and the median gap between the rim and
the skin, front and all round. Re-run it when the shipped bodies change.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.spatial import cKDTree

from blender_addon.assets import bodies

SHIPPED = Path(__file__).resolve().parents[1] / "assets" / "rescuers" / "shipped"
RIMS = {"beanie": ((0.6, 0.45), (-0.3, -1.45)), "cap": ((0.6, 0.45), (-0.1, -1.45))}  # (v, w) front, back


def shipped_heads() -> list[tuple[dict, np.ndarray]]:
    """(body, head vertices in the head frame, head radii) of the upright shipped bodies."""
    return [(body, bodies.head_coordinates(body, v[bodies.head_vertices(body, v)]))
            for _, body, v in bodies.upright_bodies(SHIPPED)]


def fit(points: np.ndarray, kind: str, spare: float) -> dict:
    """The HAT_FIT entry of `kind` for pooled head-frame points."""
    (fv, fw), (bv, bw) = RIMS[kind]
    tilt = math.atan2(fv - bv, fw - bw)
    q = points[points[:, 1] > fv + (points[:, 2] - fw) * math.tan(tilt)]  # above the rim plane
    ct, st = math.cos(tilt), math.sin(tilt)

    def local(p: np.ndarray, v0: float, w0: float) -> np.ndarray:
        dv, dw = p[:, 1] - v0, p[:, 2] - w0
        return np.stack([p[:, 0], -(st * dv + ct * dw), ct * dv - st * dw], 1)  # x side, y back, z crown

    def cost(x: np.ndarray) -> float:
        v0, w0, a, bf, bb, c = x
        loc = local(q, v0, w0)
        semi = np.stack([np.full(len(loc), a), np.where(loc[:, 1] > 0, bb, bf), np.full(len(loc), c)], 1)
        n = np.linalg.norm(loc, axis=1)
        rho = np.linalg.norm(loc / semi, axis=1) * (n + spare) / np.maximum(n, 1e-6)
        return a * (bf + bb) / 2 * c + 2e4 * float(np.mean(np.maximum(0.0, rho - 0.98) ** 2))

    x = minimize(cost, [0.35, -0.45, 1.0, 1.2, 1.2, 1.1], method="Nelder-Mead",
                 options={"maxiter": 6000, "xatol": 1e-4, "fatol": 1e-7}).x
    v0, w0, a, bf, bb, c = x
    rim = local(np.array([[0.0, fv, fw]]), v0, w0)[0, 2] / c
    return {"lift": round(v0, 3), "back": round(-w0, 3), "tilt": round(math.degrees(tilt), 1),
            "size": tuple(round(s, 3) for s in (a, bf, bb, c)), "rim": round(rim, 3)}


def how_it_sits(heads: list[tuple[dict, np.ndarray]], kind: str) -> dict:
    """Medians over heads of the shipped shell's front rim height, poke-through share and rim gaps."""
    front_v, poke, gap, gap_front = [], [], [], []
    for body, h in heads:
        c, ax, face, r = bodies.head_frame(body)
        hat = bodies.hat_geometry(body, kind)
        w = bodies.head_coordinates(body, bodies.hat_mesh(hat, visor=False).verts)
        front_v.append(w[w[:, 2] > 0.3][:, 1].min())
        d, _ = cKDTree(h).query(w)
        low = w[:, 1] < np.percentile(w[:, 1], 35)
        gap.append(np.median(d[low]))
        gap_front.append(np.median(d[low & (w[:, 2] > 0.3)]))
        pts = c + r * (h[:, :1] * np.cross(face, ax) + h[:, 1:2] * ax + h[:, 2:] * face)  # the body frame
        loc = (pts - np.asarray(hat["center"])) @ bodies._wear_frame(hat["axis"], hat["face"])
        sx, sf, sb = hat["shape"]
        up = loc[loc[:, 2] > hat["rim"] * hat["radius"] + 0.1 * r]
        semi = np.stack([np.full(len(up), sx), np.where(up[:, 1] < 0, sf, sb), np.ones(len(up))], 1) * hat["radius"]
        poke.append(float((np.linalg.norm(up / semi, axis=1) > 1.0).mean()))
    return {k: float(np.median(v)) for k, v in
            {"front rim (r up)": front_v, "poking through": poke, "rim gap": gap, "front rim gap": gap_front}.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spare", type=float, default=0.1, help="head radii between scalp and shell")
    args = ap.parse_args()
    heads = shipped_heads()
    pooled = np.concatenate([h for _, h in heads])
    print(f"{len(heads)} upright shipped heads")
    for kind in ("beanie", "cap"):
        print(f"{kind}: fitted {fit(pooled, kind, args.spare)}")
        print(f"{kind}: shipped {bodies.HAT_FIT[kind]}")
        print("    " + ", ".join(f"{k} {v:.3f}" for k, v in how_it_sits(heads, kind).items()))


if __name__ == "__main__":
    main()
