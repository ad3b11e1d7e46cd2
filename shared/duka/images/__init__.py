"""Fashion photos: what a picture shows (Gemini vision online, pixel statistics offline)."""

from duka.images.analysis import analyze_image
from duka.images.findings import ImageAnalysis

__all__ = ["ImageAnalysis", "analyze_image"]
