"""Gemini access: one structured call per message, and text embeddings."""

from duka.llm.gemini import (
    GeminiClient,
    LLMResult,
    LLMUnavailable,
    LLMUsage,
    get_gemini_client,
)
from duka.llm.gemini_embeddings import GeminiEmbedder
from duka.llm.model import ReplyModel, ReplyRequest

__all__ = [
    "GeminiClient",
    "GeminiEmbedder",
    "LLMResult",
    "LLMUnavailable",
    "LLMUsage",
    "ReplyModel",
    "ReplyRequest",
    "get_gemini_client",
]
