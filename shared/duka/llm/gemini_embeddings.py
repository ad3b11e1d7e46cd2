"""Gemini text embeddings for pgvector: batched, fixed dimension, unit length."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, cast

from google.genai import types

from duka.llm.gemini import GeminiClient, LLMUnavailable, sdk_errors_as_unavailable

TaskType = Literal["RETRIEVAL_DOCUMENT", "RETRIEVAL_QUERY"]
MAX_BATCH = 100  # batchEmbedContents refuses more requests per call


class GeminiEmbedder:
    """Embeds texts with a Gemini embedding model through the shared SDK client."""

    def __init__(
        self,
        client: GeminiClient,
        model: str = "gemini-embedding-001",
        dimension: int = 768,
        batch_size: int = MAX_BATCH,
    ):
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        self._client = client
        self.model = model
        self.dimension = dimension
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        """Identifies the vector space, so vectors from different models are never mixed."""
        return f"{self.model}@{self.dimension}"

    def embed(self, texts: Sequence[str], task_type: TaskType) -> list[list[float]]:
        """One unit-length vector per text, in order; raises LLMUnavailable."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            vectors.extend(self._embed_batch(texts[start : start + self._batch_size], task_type))
        return vectors

    def _embed_batch(self, texts: Sequence[str], task_type: TaskType) -> list[list[float]]:
        sdk = self._client.sdk_client()
        with sdk_errors_as_unavailable():
            response = sdk.models.embed_content(
                model=self.model,
                contents=cast(Any, list(texts)),
                config=types.EmbedContentConfig(
                    task_type=task_type, output_dimensionality=self.dimension
                ),
            )
        embeddings = response.embeddings or []
        if len(embeddings) != len(texts):
            raise LLMUnavailable(
                "bad_response", f"asked for {len(texts)} embeddings, got {len(embeddings)}"
            )
        return [self._unit(embedding.values or []) for embedding in embeddings]

    def _unit(self, values: Sequence[float]) -> list[float]:
        # Gemini only normalises full-size vectors; truncated ones must be scaled for cosine.
        if len(values) != self.dimension:
            raise LLMUnavailable(
                "bad_response", f"expected {self.dimension} dimensions, got {len(values)}"
            )
        norm = math.sqrt(sum(value * value for value in values))
        if norm == 0:
            raise LLMUnavailable("bad_response", "embedding is all zeros")
        return [value / norm for value in values]
