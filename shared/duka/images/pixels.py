"""The offline photo analysis: dominant colours and a plain/patterned measure from pixels.

Much weaker than Gemini vision: it cannot tell a dress from a skirt, misreads colours under
coloured light, and only separates the garment from a fairly even background. It is what a
photo can still tell us with no model at all, and it is used as filters and boosts.
"""

from __future__ import annotations

from collections import Counter

from PIL import Image, ImageOps, UnidentifiedImageError

from duka.images.findings import ImageAnalysis, ImageUnreadable
from duka.images.limits import decode_reduced, open_image
from duka.images.palette import Lab, colour_affinity, distance, nearest_colour_name, rgb_to_lab

SIDE = 80  # analyse a small copy: colours and texture survive, cost stays a few ms
DRAFT_SIDE = 4 * SIDE  # a JPEG's reduced decode: small, yet fine stripes stay unblended
CLUSTERS = 12
MIN_SHARE = 0.12  # a colour must cover this much of the garment to be named
MAX_COLOURS = 3
BACKGROUND_BORDER_SHARE = 0.6  # the border is "background" when one cluster covers this much
BACKGROUND_DELTA_E = 15.0
MIN_FOREGROUND = 0.15  # below this the "background" was the garment itself (a close-up)
EDGE_DELTA_E = 30.0  # neighbouring clusters further apart than this form a visible edge
PATTERN_EDGE_DENSITY = 0.04  # share of neighbouring garment pixels across an edge


def analyze_pixels(data: bytes) -> ImageAnalysis:
    indices, palette = _quantized(data)
    foreground = _foreground(indices, palette)
    counts = Counter(indices[i] for i in foreground)
    total = sum(counts.values())
    shares: dict[str, float] = {}
    for index, count in counts.items():
        name = nearest_colour_name(palette[index])
        shares[name] = shares.get(name, 0.0) + count / total
    by_share = sorted(shares, key=lambda name: (-shares[name], name))
    ranked = [name for name in by_share if shares[name] >= MIN_SHARE]
    colors = tuple(ranked[:MAX_COLOURS]) or (by_share[0],)
    patterned = _distinct_colours(ranked) or _edge_density(indices, palette, set(foreground)) > (
        PATTERN_EDGE_DENSITY
    )
    pattern = "patterned" if patterned else "plain"
    return ImageAnalysis(
        garment=None,
        colors=colors,
        pattern=pattern,
        style=None,
        description=f"{' and '.join(colors)} {pattern}",
        source="pixels",
    )


def _quantized(data: bytes) -> tuple[list[int], list[Lab]]:
    """Cluster index of every pixel of a SIDE x SIDE copy, and each cluster's Lab colour."""
    try:
        with open_image(data) as opened:
            # A JPEG decodes at a reduced scale (at least DRAFT_SIDE), anything else in full;
            # only the small copy is rotated and converted. Nearest-neighbour keeps a print's
            # real colours; smoothing would invent blends (orange from red and yellow stripes).
            small = decode_reduced(opened, (DRAFT_SIDE, DRAFT_SIDE)).resize(
                (SIDE, SIDE), Image.Resampling.NEAREST
            )
        image = ImageOps.exif_transpose(small).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageUnreadable(f"not a readable image: {exc}") from exc
    quantized = image.quantize(colors=CLUSTERS, method=Image.Quantize.MEDIANCUT)
    raw = quantized.getpalette() or []
    palette = [rgb_to_lab((raw[i], raw[i + 1], raw[i + 2])) for i in range(0, len(raw), 3)]
    return list(quantized.tobytes()), palette


def _foreground(indices: list[int], palette: list[Lab]) -> list[int]:
    """Pixel positions of the garment: everything but an even border colour, if there is one."""
    border = [
        y * SIDE + x
        for y in range(SIDE)
        for x in range(SIDE)
        if x < 2 or y < 2 or x >= SIDE - 2 or y >= SIDE - 2
    ]
    border_counts = Counter(indices[i] for i in border)
    top = border_counts.most_common(1)[0][0]
    # A lit backdrop is a gradient: take every cluster close to the commonest border colour.
    background = {
        c for c in border_counts if distance(palette[c], palette[top]) < BACKGROUND_DELTA_E
    }
    everything = list(range(len(indices)))
    if sum(border_counts[c] for c in background) < BACKGROUND_BORDER_SHARE * len(border):
        return everything
    garment = [i for i in everything if indices[i] not in background]
    return garment if len(garment) >= MIN_FOREGROUND * len(indices) else everything


def _distinct_colours(names: list[str]) -> bool:
    """Two prominent colours that light and shadow cannot explain (not red and maroon)."""
    return any(colour_affinity(a, b) == 0 for a in names for b in names)


def _edge_density(indices: list[int], palette: list[Lab], foreground: set[int]) -> float:
    """Share of neighbouring pixel pairs inside the garment that cross a colour edge.

    Only the garment's interior counts: its outline blends into the backdrop and would make
    every plain garment look patterned.
    """
    interior = {
        i
        for i in foreground
        if all(j in foreground for j in (i - 1, i + 1, i - SIDE, i + SIDE))
        and 0 < i % SIDE < SIDE - 1
    }
    pairs = edges = 0
    for i in interior:
        for j in (i + 1, i + SIDE):
            if j in interior:
                pairs += 1
                if distance(palette[indices[i]], palette[indices[j]]) > EDGE_DELTA_E:
                    edges += 1
    return edges / pairs if pairs else 0.0
