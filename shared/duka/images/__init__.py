"""Fashion photos: what a picture shows (Gemini vision online, pixel statistics offline)."""

from duka.images.analysis import ImageAnalysis, analyze_image

__all__ = ["ImageAnalysis", "analyze_image"]
