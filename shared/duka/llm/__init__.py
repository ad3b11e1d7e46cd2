"""Gemini access: one structured call per message, and text embeddings."""

from duka.llm.embeddings import GeminiEmbedder
from duka.llm.gemini import (
    GeminiClient,
    LLMResult,
    LLMUnavailable,
    LLMUsage,
    get_gemini_client,
)

__all__ = [
    "GeminiClient",
    "GeminiEmbedder",
    "LLMResult",
    "LLMUnavailable",
    "LLMUsage",
    "get_gemini_client",
]
