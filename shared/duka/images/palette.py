"""Reference colours for naming pixels, in the colour vocabulary's canonical names.

Gold and silver are metallic: pixels cannot tell them from yellow and grey, so they have no
prototypes here (only neighbours, so a gold product still half-matches a yellow photo).

Several prototypes per name cover light, dark and shaded versions of a fabric colour; distance
is measured in CIE Lab so it follows what the eye sees rather than raw RGB.
"""

from __future__ import annotations

import math

Lab = tuple[float, float, float]

PROTOTYPES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "red": ((200, 30, 45), (220, 20, 60), (178, 34, 34), (235, 45, 40), (160, 25, 30)),
    "maroon": ((110, 20, 40), (128, 0, 32), (85, 20, 30)),
    "pink": ((240, 150, 180), (255, 105, 180), (250, 190, 200), (215, 70, 140)),
    "orange": ((240, 130, 30), (255, 140, 0), (230, 100, 40), (250, 165, 80)),
    "yellow": ((240, 200, 40), (255, 230, 60), (250, 240, 120), (195, 160, 35)),
    "green": ((30, 140, 70), (40, 110, 50), (60, 180, 110), (0, 100, 0)),
    "blue": ((40, 80, 200), (30, 144, 255), (100, 150, 220), (70, 110, 180), (135, 190, 235)),
    "navy": ((20, 30, 80), (0, 0, 128), (30, 40, 70)),
    "purple": ((110, 50, 140), (128, 0, 128), (150, 110, 200), (80, 30, 100)),
    "brown": ((120, 75, 40), (139, 69, 19), (160, 110, 70), (90, 55, 35)),
    "beige": ((220, 200, 160), (210, 180, 140), (200, 185, 150)),
    "cream": ((250, 240, 215), (255, 250, 205)),
    "white": ((245, 245, 240), (255, 255, 255), (232, 232, 232)),
    "grey": ((128, 128, 128), (155, 155, 155), (95, 95, 95)),
    "black": ((20, 20, 20), (0, 0, 0), (45, 45, 45)),
}

# Colours a shadow, a flash or a camera easily turns into one another: half credit.
NEIGHBOURS: dict[str, frozenset[str]] = {
    "red": frozenset({"maroon", "pink", "orange"}),
    "maroon": frozenset({"red", "brown", "purple"}),
    "pink": frozenset({"red", "purple"}),
    "orange": frozenset({"red", "yellow", "gold", "brown"}),
    "yellow": frozenset({"gold", "orange", "cream"}),
    "gold": frozenset({"yellow", "orange", "beige", "brown"}),
    "green": frozenset(),
    "blue": frozenset({"navy", "purple"}),
    "navy": frozenset({"blue", "black"}),
    "purple": frozenset({"maroon", "pink", "blue"}),
    "brown": frozenset({"maroon", "beige", "orange", "gold"}),
    "beige": frozenset({"cream", "brown", "gold", "white"}),
    "cream": frozenset({"white", "beige", "yellow"}),
    "white": frozenset({"cream", "grey", "beige"}),
    "grey": frozenset({"white", "black", "silver"}),
    "silver": frozenset({"grey", "white"}),
    "black": frozenset({"navy", "grey"}),
}


def rgb_to_lab(rgb: tuple[int, int, int]) -> Lab:
    """sRGB (D65) to CIE Lab."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def distance(a: Lab, b: Lab) -> float:
    return math.dist(a, b)


_PROTOTYPES_LAB: list[tuple[str, Lab]] = [
    (name, rgb_to_lab(rgb)) for name, rgbs in PROTOTYPES.items() for rgb in rgbs
]


def nearest_colour_name(lab: Lab) -> str:
    return min(_PROTOTYPES_LAB, key=lambda item: distance(lab, item[1]))[0]


def colour_affinity(wanted: str, offered: str) -> float:
    """1 for the same colour, 0.5 for an easily confused one, else 0."""
    if wanted == offered:
        return 1.0
    return 0.5 if offered in NEIGHBOURS.get(wanted, frozenset()) else 0.0
