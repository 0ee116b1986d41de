"""A drawing of the sidebar tab made from the panels' own draw() code (NOT a screenshot).

bpy as a module has no UI, so this runs each panel's draw() against a recording stand-in for
bpy.types.UILayout (rows, columns, boxes, props, operators, labels, progress), reads labels and
values from the real RNA properties and operators, and paints the recorded tree with Pillow in a
flat Blender-like style (folder paths inside the add-on are shown as <rescuesynth>/...). What it shows is what draw() asks for; Blender's exact widget looks,
icons and spacing differ.

    python -m blender_addon.addon.draw_layout --out docs/images/addon-panel.png
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

W_PANEL = 380
ROW_H = 26
PAD = 8


@dataclass
class Widget:
    kind: str  # prop_bool | prop_toggle | prop_enum | prop_num | prop_text | button | label | progress
    text: str = ""
    value: str = ""
    icon: str | None = None
    factor: float = 0.0


@dataclass
class Layout:
    """Records what draw() asks for; mirrors the few UILayout methods the panels use."""

    kind: str = "column"  # column | row | box | grid
    columns: int = 1
    items: list = field(default_factory=list)

    def _child(self, kind, columns=1):
        c = Layout(kind, columns)
        self.items.append(c)
        return c

    def row(self, **_):
        return self._child("row")

    def column(self, **_):
        return self._child("column")

    def box(self):
        return self._child("box")

    def grid_flow(self, columns=2, **_):
        return self._child("grid", columns)

    def split(self, **_):
        return self._child("row")

    def separator(self, **_):
        self.items.append(Widget("label"))

    def label(self, text="", icon=None, **_):
        self.items.append(Widget("label", text, icon=icon if icon != "NONE" else None))

    def progress(self, factor=0.0, text="", **_):
        self.items.append(Widget("progress", text, factor=factor))

    def operator(self, idname, text=None, icon=None, **_):
        import bpy

        mod, name = idname.split(".")
        op = getattr(getattr(bpy.ops, mod), name)
        label = op.get_rna_type().name if text is None else text
        self.items.append(Widget("button", label, icon=icon))

    def prop(self, data, prop, text=None, toggle=False, icon=None, **_):
        rna = data.bl_rna.properties[prop]
        label = rna.name if text is None else text
        value = getattr(data, prop)
        if rna.type == "BOOLEAN":
            self.items.append(Widget("prop_toggle" if toggle else "prop_bool", label, str(value)))
        elif rna.type == "ENUM":
            names = {i.identifier: i.name for i in rna.enum_items} if rna.enum_items else {}
            self.items.append(Widget("prop_enum", label, names.get(value, str(value))))
        elif rna.type in ("INT", "FLOAT"):
            v = f"{value:.2f}" if rna.type == "FLOAT" else f"{value}{' px' if rna.subtype == 'PIXEL' else ''}"
            self.items.append(Widget("prop_num", label, v))
        else:  # paths inside the repository/extension are shortened (the drawing should not show this machine)
            root = str(Path(__file__).resolve().parents[2])
            text = "<rescuesynth>" + str(value)[len(root):] if str(value).startswith(root) else str(value)
            self.items.append(Widget("prop_text", label, text))


def record(context) -> list[tuple[str, bool, Layout]]:
    """(panel title, closed by default, recorded layout) for every panel of the tab, in screen order."""
    from blender_addon.addon import ui

    out = []
    for cls in ui.CLASSES:
        stand_in = type("P", (), {})()
        stand_in.layout = Layout()
        cls.draw(stand_in, context)
        out.append((cls.bl_label, "DEFAULT_CLOSED" in getattr(cls, "bl_options", set()), stand_in.layout))
    return out


def texts(layout: Layout) -> list[str]:
    """Every label, button and property text of a recorded layout (for tests)."""
    out = []
    for it in layout.items:
        out += texts(it) if isinstance(it, Layout) else [it.text]
    return out


# ---------------------------------------------------------------- painting

COL = {"bg": (48, 48, 48), "panel": (61, 61, 61), "header": (45, 45, 45), "field": (84, 84, 84),
       "button": (88, 88, 88), "text": (230, 230, 230), "dim": (170, 170, 170), "check": (71, 114, 179),
       "box": (53, 53, 53), "bar": (71, 114, 179)}


ICON_GLYPHS = {"FILE_REFRESH": "⟳", "FILE_TICK": "✓", "X": "✕"}  # icon-only buttons


def _font(size=12):
    from PIL import ImageFont

    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


def _height(node) -> int:
    if isinstance(node, Widget):
        return ROW_H
    if node.kind == "row":
        return max((_height(i) for i in node.items), default=0)
    if node.kind == "grid":
        rows = -(-len(node.items) // node.columns)
        return rows * ROW_H
    h = sum(_height(i) for i in node.items)
    return h + (2 * 4 if node.kind == "box" else 0)


def _fit(draw, text, font, width):
    while text and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def _paint_widget(draw, w: Widget, x, y, width, font):
    h = ROW_H - 4
    y0 = y + 2
    if w.kind == "label":
        if w.text:
            prefix = "⚠ " if w.icon == "ERROR" else ""
            draw.text((x + 4, y0 + 4), _fit(draw, prefix + w.text, font, width - 8), font=font, fill=COL["dim"])
        return
    if w.kind == "prop_bool":
        draw.rounded_rectangle((x + 4, y0 + 4, x + 18, y0 + 18), 3, fill=COL["check"] if w.value == "True"
                               else COL["field"])
        if w.value == "True":
            draw.line((x + 7, y0 + 11, x + 10, y0 + 15, x + 16, y0 + 6), fill=COL["text"], width=2)
        draw.text((x + 24, y0 + 4), _fit(draw, w.text, font, width - 28), font=font, fill=COL["text"])
        return
    fill = COL["button"]
    if w.kind == "prop_toggle" and w.value == "True":
        fill = COL["check"]
    if w.kind.startswith("prop_") and w.kind != "prop_toggle":
        fill = COL["field"]
    draw.rounded_rectangle((x + 2, y0, x + width - 2, y0 + h), 4, fill=fill)
    if w.kind == "progress":
        draw.rounded_rectangle((x + 2, y0, x + 2 + max(6, (width - 4) * w.factor), y0 + h), 4, fill=COL["bar"])
        t = _fit(draw, w.text, font, width - 8)
        draw.text((x + width / 2 - draw.textlength(t, font=font) / 2, y0 + 4), t, font=font, fill=COL["text"])
    elif w.kind in ("button", "prop_toggle"):
        t = _fit(draw, w.text or ICON_GLYPHS.get(w.icon or "", "•"), font, width - 8)
        draw.text((x + width / 2 - draw.textlength(t, font=font) / 2, y0 + 4), t, font=font, fill=COL["text"])
    elif w.kind == "prop_num":
        t = _fit(draw, f"{w.text}: {w.value}" if w.text else w.value, font, width - 24)
        draw.text((x + 8, y0 + 4), "‹", font=font, fill=COL["dim"])
        draw.text((x + width - 14, y0 + 4), "›", font=font, fill=COL["dim"])
        draw.text((x + width / 2 - draw.textlength(t, font=font) / 2, y0 + 4), t, font=font, fill=COL["text"])
    else:  # enum / text: label on the left of the field, like Blender's split property
        lab = w.text
        if lab:
            split = int(width * 0.38)
            draw.rounded_rectangle((x + 2, y0, x + split - 2, y0 + h), 4, fill=COL["panel"])
            draw.text((x + split - 6 - draw.textlength(_fit(draw, lab, font, split - 8), font=font), y0 + 4),
                      _fit(draw, lab, font, split - 8), font=font, fill=COL["dim"])
            draw.rounded_rectangle((x + split, y0, x + width - 2, y0 + h), 4, fill=fill)
            x, width = x + split, width - split
        t = _fit(draw, w.value, font, width - 26)
        draw.text((x + 6, y0 + 4), t, font=font, fill=COL["text"])
        draw.text((x + width - 16, y0 + 4), "▾" if w.kind == "prop_enum" else "…", font=font, fill=COL["dim"])


def _paint(draw, node, x, y, width, font) -> int:
    if isinstance(node, Widget):
        _paint_widget(draw, node, x, y, width, font)
        return ROW_H
    if node.kind == "row":
        n = max(1, len(node.items))
        # icon-only buttons take a small fixed width, the rest share what is left
        small = [isinstance(i, Widget) and i.kind == "button" and not i.text for i in node.items]
        rest = width - 30 * sum(small)
        share = rest / max(1, n - sum(small))
        cx = x
        for it, s in zip(node.items, small):
            w = 30 if s else share
            _paint(draw, it, cx, y, w, font)
            cx += w
        return _height(node)
    if node.kind == "grid":
        cw = width / node.columns
        for k, it in enumerate(node.items):
            _paint(draw, it, x + (k % node.columns) * cw, y + (k // node.columns) * ROW_H, cw, font)
        return _height(node)
    top = y
    if node.kind == "box":
        draw.rounded_rectangle((x, y, x + width, y + _height(node)), 5, fill=COL["box"], outline=(90, 60, 60))
        y += 4
        x, width = x + 4, width - 8
    for it in node.items:
        y += _paint(draw, it, x, y, width, font)
    return y - top + (4 if node.kind == "box" else 0)


def paint(panels: list[tuple[str, bool, Layout]], title: str):
    from PIL import Image, ImageDraw

    font, bold = _font(12), _font(13)
    body = sum(24 + _height(lay) + 2 * PAD for _, _, lay in panels)
    img = Image.new("RGB", (W_PANEL + 2 * PAD, body + 40), COL["bg"])
    d = ImageDraw.Draw(img)
    d.text((PAD, 8), title, font=bold, fill=COL["dim"])
    y = 32
    for k, (name, closed, lay) in enumerate(panels):
        indent = 0 if k == 0 else 6
        x0 = PAD + indent
        w = W_PANEL - indent
        d.rectangle((x0, y, x0 + w, y + 22), fill=COL["header"])
        d.text((x0 + 8, y + 4), "▾  " + name + ("   (closed by default)" if closed else ""), font=bold,
               fill=COL["text"])
        y += 24
        h = _height(lay) + 2 * PAD
        d.rectangle((x0, y, x0 + w, y + h), fill=COL["panel"])
        _paint(d, lay, x0 + PAD, y + PAD, w - 2 * PAD, font)
        y += h
    return img


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("docs/images/addon-panel.png"))
    args = p.parse_args(argv)
    import bpy
    from PIL import Image, ImageDraw

    from blender_addon.addon import ops, register, unregister

    register()
    try:
        bpy.ops.rescuesynth.preset_load()
        idle = paint(record(bpy.context), "Idle (preset 'default' loaded)")
        pr = ops.PROGRESS
        pr.running, pr.done, pr.total, pr.seconds_per_frame, pr.eta = True, 37, 200, 4.2, 684.6
        pr.message = "last frame 4.1 s"
        busy = paint(record(bpy.context), "While generating (37 of 200 frames)")
        pr.running, pr.message = False, ""
    finally:
        unregister()
    h = max(idle.height, busy.height) + 30
    sheet = Image.new("RGB", (idle.width + busy.width + 10, h), (30, 30, 30))
    sheet.paste(idle, (0, 0))
    sheet.paste(busy, (idle.width + 10, 0))
    ImageDraw.Draw(sheet).text((8, h - 22), "Layout drawing generated from the panels' draw() code "
                               "(blender_addon/addon/draw_layout.py), not a screenshot", font=_font(12),
                               fill=(200, 200, 120))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
