"""Text embeddings: the active model (Gemini online, local MiniLM offline), chosen once."""

from duka.embeddings.selection import EmbeddingSettings, get_embedder, get_embedding_settings
from duka.embeddings.types import Embedder, TaskType

__all__ = ["Embedder", "EmbeddingSettings", "TaskType", "get_embedder", "get_embedding_settings"]
