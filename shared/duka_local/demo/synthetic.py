"""Synthetic garment photos, drawn in code: a shaded garment on a lit backdrop, saved as JPEG.

They stand in for customers' photos of things the boutique does not sell (tests, the search
set, and `duka chat`, where any image path can be attached) without shipping binary files.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from duka.images.palette import PROTOTYPES

SIDE = 320
Shape = list[tuple[float, float]]

# Outlines on a unit square (x right, y down).
SHAPES: dict[str, Shape] = {
    "dress": [(0.38, 0.08), (0.62, 0.08), (0.66, 0.32), (0.8, 0.92), (0.2, 0.92), (0.34, 0.32)],
    "skirt": [(0.33, 0.2), (0.67, 0.2), (0.82, 0.85), (0.18, 0.85)],
    "trousers": [(0.32, 0.1), (0.68, 0.1), (0.7, 0.92), (0.53, 0.92), (0.5, 0.35), (0.47, 0.92)]
    + [(0.3, 0.92)],
    "top": [(0.3, 0.2), (0.7, 0.2), (0.85, 0.35), (0.76, 0.43), (0.7, 0.38), (0.7, 0.78)]
    + [(0.3, 0.78), (0.3, 0.38), (0.24, 0.43), (0.15, 0.35)],
}


def garment_photo(
    garment: str,
    colours: list[str],
    *,
    pattern: str = "plain",
    backdrop: tuple[int, int, int] = (236, 234, 230),
    seed: int = 0,
) -> bytes:
    """A JPEG of one garment; pattern "plain", "striped" or "dotted" (in the later colours)."""
    rng = random.Random(seed)
    rgb = [PROTOTYPES[c][0] for c in colours]
    mask = Image.new("L", (SIDE, SIDE), 0)
    draw = ImageDraw.Draw(mask)
    draw.polygon([(x * SIDE, y * SIDE) for x, y in SHAPES[garment]], fill=255)
    fabric = Image.new("RGB", (SIDE, SIDE), rgb[0])
    if pattern != "plain" and len(rgb) > 1:
        _print(fabric, rgb[1:], pattern, rng)
    fabric = ImageChops.multiply(fabric, _lighting(rng))
    photo = Image.composite(fabric, _backdrop(backdrop), mask.filter(ImageFilter.GaussianBlur(1)))
    # Sensor grain from the seeded generator, so the same arguments give the same photo.
    grain = Image.frombytes("L", (SIDE, SIDE), rng.randbytes(SIDE * SIDE))
    photo = ImageChops.multiply(photo, grain.point(lambda v: 235 + v * 20 // 255).convert("RGB"))
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _print(
    fabric: Image.Image, colours: list[tuple[int, int, int]], kind: str, rng: random.Random
) -> None:
    draw = ImageDraw.Draw(fabric)
    if kind == "striped":
        width = rng.randint(10, 16)
        for i, x in enumerate(range(-SIDE, SIDE * 2, width * 2)):
            colour = colours[i % len(colours)]
            draw.polygon(
                [(x, 0), (x + width, 0), (x + width + SIDE // 3, SIDE), (x + SIDE // 3, SIDE)],
                fill=colour,
            )
    else:
        for i in range(260):
            x, y, r = rng.randint(0, SIDE), rng.randint(0, SIDE), rng.randint(5, 11)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colours[i % len(colours)])


def _lighting(rng: random.Random) -> Image.Image:
    """Soft light from the top left with vertical folds: shades of the fabric, not new colours."""
    light = Image.linear_gradient("L").rotate(rng.choice((0, 15, -15))).resize((SIDE, SIDE))
    light = light.point(lambda v: 255 - v // 5)
    folds = Image.new("L", (SIDE, SIDE), 255)
    draw = ImageDraw.Draw(folds)
    for x in range(0, SIDE, rng.randint(28, 40)):
        draw.line([(x, 0), (x + rng.randint(-20, 20), SIDE)], fill=215, width=6)
    folds = folds.filter(ImageFilter.GaussianBlur(6))
    return ImageChops.multiply(light, folds).convert("RGB")


def _backdrop(colour: tuple[int, int, int]) -> Image.Image:
    shade = Image.linear_gradient("L").resize((SIDE, SIDE)).point(lambda v: 255 - v // 12)
    return ImageChops.multiply(Image.new("RGB", (SIDE, SIDE), colour), shade.convert("RGB"))
