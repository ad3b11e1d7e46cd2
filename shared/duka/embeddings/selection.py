"""Which embedder is active: Gemini when a key is set (unless EMBEDDINGS=local), else MiniLM."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from duka.config import ConfigError, get_settings
from duka.embeddings.local import LocalEmbedder
from duka.embeddings.types import MAX_INDEXED_DIMENSION, Embedder

Choice = Literal["auto", "gemini", "local"]
GEMINI_EMBEDDING_MODEL = "gemini-embedding-001"


@dataclass(frozen=True)
class EmbeddingSettings:
    choice: Choice  # EMBEDDINGS
    gemini_dimension: int  # GEMINI_EMBEDDING_DIMENSION


@lru_cache(maxsize=1)
def get_embedding_settings() -> EmbeddingSettings:
    choice = (os.environ.get("EMBEDDINGS") or "auto").strip().lower()
    if choice not in ("auto", "gemini", "local"):
        raise ConfigError(f"EMBEDDINGS must be auto, gemini or local, got {choice!r}")
    raw = os.environ.get("GEMINI_EMBEDDING_DIMENSION") or "768"
    try:
        dimension = int(raw)
    except ValueError as exc:
        raise ConfigError(
            f"GEMINI_EMBEDDING_DIMENSION must be a whole number, got {raw!r}"
        ) from exc
    if not 1 <= dimension <= MAX_INDEXED_DIMENSION:
        raise ConfigError(
            f"GEMINI_EMBEDDING_DIMENSION must be 1..{MAX_INDEXED_DIMENSION} (pgvector's index"
            f" limit), got {dimension}"
        )
    return EmbeddingSettings(choice=choice, gemini_dimension=dimension)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    """The process-wide active embedder; the local model itself loads on first use."""
    settings = get_embedding_settings()
    has_key = get_settings().gemini_api_key is not None
    if settings.choice == "gemini" and not has_key:
        raise ConfigError("EMBEDDINGS=gemini needs GEMINI_API_KEY")
    if settings.choice == "local" or not has_key:
        return LocalEmbedder()
    from duka.llm import GeminiEmbedder, get_gemini_client

    return GeminiEmbedder(
        get_gemini_client(), model=GEMINI_EMBEDDING_MODEL, dimension=settings.gemini_dimension
    )
