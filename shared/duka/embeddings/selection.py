"""Which embedder is active: Gemini when a key is set (unless EMBEDDINGS=local), else MiniLM."""

from __future__ import annotations

from functools import lru_cache

from duka.config import ConfigError, get_settings
from duka.embeddings.local import LocalEmbedder
from duka.embeddings.types import MAX_INDEXED_DIMENSION, Embedder

GEMINI_EMBEDDING_MODEL = "gemini-embedding-001"


@lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    """The process-wide active embedder (EMBEDDINGS, GEMINI_EMBEDDING_DIMENSION); the local
    model itself loads on first use."""
    settings = get_settings()
    dimension = settings.gemini_embedding_dimension
    if dimension > MAX_INDEXED_DIMENSION:
        raise ConfigError(
            f"GEMINI_EMBEDDING_DIMENSION must be 1..{MAX_INDEXED_DIMENSION} (pgvector's index"
            f" limit), got {dimension}"
        )
    has_key = settings.gemini_api_key is not None
    if settings.embeddings == "gemini" and not has_key:
        raise ConfigError("EMBEDDINGS=gemini needs GEMINI_API_KEY")
    if settings.embeddings == "local" or not has_key:
        return LocalEmbedder()
    # Lazy: duka.llm imports google.genai (~0.6 s), which an offline process never needs.
    from duka.llm import GeminiEmbedder, get_gemini_client

    return GeminiEmbedder(get_gemini_client(), model=GEMINI_EMBEDDING_MODEL, dimension=dimension)
