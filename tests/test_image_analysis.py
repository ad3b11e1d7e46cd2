"""What a photo tells search: pixel statistics offline, Gemini vision (the fake) online."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from duka.images.analysis import analyze_image
from duka.images.findings import ImageUnreadable
from duka.images.pixels import analyze_pixels
from duka_local.demo.synthetic import garment_photo
from duka_local.sandboxes.gemini_fake import FakeGemini, Reply, ServerError

DEMO_IMAGES = Path(__file__).parents[1] / "shared" / "duka_local" / "demo" / "images"


@pytest.fixture()
def gemini_online(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    """Online mode against the loopback fake: GEMINI_API_KEY set, every cache rebuilt."""
    from duka.config import get_settings
    from duka.embeddings import get_embedder
    from duka.llm import get_gemini_client

    caches = (get_settings, get_gemini_client, get_embedder)
    with FakeGemini(api_key="vision-key") as fake:
        monkeypatch.setenv("GEMINI_API_KEY", "vision-key")
        monkeypatch.setenv("GEMINI_BASE_URL", fake.base_url)
        monkeypatch.setenv("EMBEDDINGS", "local")
        for cache in caches:
            cache.cache_clear()
        yield fake
        monkeypatch.undo()
        for cache in caches:
            cache.cache_clear()


@pytest.mark.parametrize(
    ("garment", "colours", "pattern", "expected_colours", "expected_pattern"),
    [
        ("dress", ["red"], "plain", ("red",), "plain"),
        ("skirt", ["black"], "plain", ("black",), "plain"),
        ("trousers", ["navy"], "plain", ("navy",), "plain"),
        ("top", ["yellow", "green"], "dotted", ("yellow", "green"), "patterned"),
        ("skirt", ["red", "yellow"], "striped", ("yellow", "red"), "patterned"),
    ],
)
def test_pixel_analysis_names_the_garments_colours_and_tells_plain_from_patterned(
    garment: str,
    colours: list[str],
    pattern: str,
    expected_colours: tuple[str, ...],
    expected_pattern: str,
) -> None:
    analysis = analyze_pixels(garment_photo(garment, colours, pattern=pattern, seed=3))
    assert set(analysis.colors) == set(expected_colours)
    assert analysis.pattern == expected_pattern
    assert analysis.garment is None and analysis.source == "pixels"


def test_pixel_analysis_ignores_an_even_backdrop_of_another_colour() -> None:
    on_dark = garment_photo("dress", ["yellow"], backdrop=(35, 35, 40), seed=5)
    assert analyze_pixels(on_dark).colors == ("yellow",)


def test_demo_swatches_read_as_their_catalogue_colours() -> None:
    assert analyze_pixels((DEMO_IMAGES / "NY-D002.png").read_bytes()).colors == ("red",)
    striped = analyze_pixels((DEMO_IMAGES / "NY-S004.png").read_bytes())
    assert set(striped.colors) == {"red", "yellow"} and striped.pattern == "patterned"


def test_bytes_that_are_not_a_picture_are_refused_clearly() -> None:
    with pytest.raises(ImageUnreadable):
        analyze_image(b"<html>not an image</html>", "image/jpeg")


def test_offline_analysis_uses_pixels_without_calling_any_model() -> None:
    analysis = analyze_image(garment_photo("dress", ["green"], seed=1), "image/jpeg")
    assert analysis.source == "pixels" and analysis.colors == ("green",)


def test_gemini_vision_answer_is_folded_into_canonical_words(gemini_online: FakeGemini) -> None:
    gemini_online.script(
        Reply(
            {
                "garment": "Gauni",
                "colors": ["Nyekundu", "burgundy"],
                "pattern": "solid",
                "style": "Bodycon",
                "sleeves": "sleeveless",
                "length": "knee-length",
            }
        )
    )
    photo = garment_photo("dress", ["red"], seed=2)

    analysis = analyze_image(photo, "image/jpeg")

    assert analysis.source == "gemini"
    assert (analysis.garment, analysis.colors, analysis.pattern, analysis.style) == (
        "dress",
        ("red", "maroon"),
        "plain",
        "bodycon",
    )
    assert "red" in analysis.description and "dress" in analysis.description
    (request,) = gemini_online.requests_for("generateContent")
    assert request.inline_data == [("image/jpeg", photo)]


def test_gemini_failure_falls_back_to_the_pixel_analysis(gemini_online: FakeGemini) -> None:
    gemini_online.script(ServerError(503))
    analysis = analyze_image(garment_photo("dress", ["blue"], seed=4), "image/jpeg")
    assert analysis.source == "pixels" and analysis.colors == ("blue",)
