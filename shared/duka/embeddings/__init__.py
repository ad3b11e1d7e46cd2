"""Text embeddings: the active model (Gemini online, local MiniLM offline), chosen once."""

from duka.embeddings.selection import get_embedder
from duka.embeddings.types import Embedder, TaskType

__all__ = ["Embedder", "TaskType", "get_embedder"]
