"""Image tools: fetch a customer's photo safely, describe it, embed text."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from duka.media import Media, download_media
from duka.orchestrator.context import ToolContext
from duka.orchestrator.tools.registry import tool


class DownloadArgs(BaseModel):
    media_url: str


class AnalyzeArgs(BaseModel):
    media_url: str


class EmbeddingArgs(BaseModel):
    text: str


@tool("image", DownloadArgs)
def download_whatsapp_image(ctx: ToolContext, args: DownloadArgs) -> Media:
    """Download the customer's WhatsApp photo (Twilio credentials only to Twilio's API host)."""
    return download_media(args.media_url)


@tool("image", AnalyzeArgs)
def analyze_image(ctx: ToolContext, args: AnalyzeArgs) -> Any:
    """Describe a fashion photo: garment type, colours, pattern, style."""
    from duka.images.analysis import analyze_image as analyze

    media = download_whatsapp_image(ctx, DownloadArgs(media_url=args.media_url))
    return analyze(media.data, media.content_type)


@tool("image", EmbeddingArgs)
def generate_embedding(ctx: ToolContext, args: EmbeddingArgs) -> list[float]:
    """Embed text with the active embedding model."""
    from duka.catalog.search import embed_query

    return embed_query(args.text)
