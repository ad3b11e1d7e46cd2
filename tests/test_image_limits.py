"""Pixel bombs: a tiny file that decodes to a huge picture is refused from its header alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from duka.catalog.csv_import import CatalogueInvalid, parse_catalogue
from duka.images.analysis import analyze_image
from duka.images.findings import ImageUnreadable
from duka.images.product_images import ImageUnavailable, content_type_of
from tests.image_bombs import flat_png

MEMORY_BUDGET_MB = 50

# Runs in a fresh interpreter so ru_maxrss (the peak) measures only the decode paths.
CHILD = """
import json, resource, sys
from duka.images.analysis import analyze_image
from duka.images.findings import ImageUnreadable
from duka.images.pixels import analyze_pixels
from duka.images.product_images import ImageUnavailable, content_type_of

data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outcomes = {}
for name, decode, refusal in [
    ("analyze_image", lambda: analyze_image(data, "image/png"), ImageUnreadable),
    ("analyze_pixels", lambda: analyze_pixels(data), ImageUnreadable),
    ("content_type_of", lambda: content_type_of(data), ImageUnavailable),
]:
    try:
        decode()
        outcomes[name] = "decoded"
    except refusal as exc:
        outcomes[name] = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"grew_mb": (after - before) / 1024, "outcomes": outcomes}))
"""


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    path.write_bytes(flat_png())
    return path


def test_the_bomb_is_a_small_file(bomb: Path) -> None:
    assert bomb.stat().st_size < 150_000  # passes every byte limit on downloads and uploads


def test_a_9400_pixel_square_png_is_refused_without_decoding_it(bomb: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GEMINI_API_KEY"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(bomb)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    assert child.returncode == 0, child.stderr[-2000:]
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["grew_mb"] < MEMORY_BUDGET_MB, result
    for name, outcome in result["outcomes"].items():
        assert "the limit is 40 megapixels" in outcome, (name, outcome)


@pytest.mark.parametrize("side", [9_400, 7_000], ids=["88-megapixels", "49-megapixels"])
def test_every_decode_path_refuses_a_picture_over_40_megapixels(side: int) -> None:
    data = flat_png(side, side)
    with pytest.raises(ImageUnreadable, match="40 megapixels"):
        analyze_image(data, "image/png")
    with pytest.raises(ImageUnavailable, match="40 megapixels"):
        content_type_of(data)


def test_a_catalogue_row_naming_a_bomb_is_an_import_error_naming_the_file(bomb: Path) -> None:
    text = "sku,name,price,stock,images\nB1,Big photo dress,1500,2,bomb.png\n"

    with pytest.raises(CatalogueInvalid) as refused:
        parse_catalogue(text, base_dir=bomb.parent)

    assert "line 2: image file 'bomb.png'" in str(refused.value)
    assert "40 megapixels" in str(refused.value)


def test_a_normal_photo_still_decodes(tmp_path: Path) -> None:
    from duka_local.demo.synthetic import garment_photo

    assert analyze_image(garment_photo("dress", ["red"], seed=2), "image/jpeg").colors == ("red",)
    assert content_type_of(flat_png(640, 480)) == "image/png"
