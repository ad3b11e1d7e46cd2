"""A linear intent model read from a JSON file: tf-idf weighted features, one weight per intent.

The file is written by `duka nlu train` (scikit-learn, in the local harness only); reading and
scoring need nothing but the standard library, so deployed functions carry no scikit-learn, no
numpy and no torch. Scoring is a few hundred dictionary lookups: well under a millisecond.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MODEL_PATH = Path(__file__).with_name("intent_model.json.gz")


@dataclass(frozen=True)
class Prediction:
    intent: str
    probability: float


class IntentModel:
    """Multinomial logistic regression over sublinear tf-idf features, l2-normalised."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.labels: list[str] = data["labels"]
        self.intercepts: list[float] = data["intercepts"]
        # feature -> (idf, {label index: weight}); weights too small to matter were dropped.
        self.features: dict[str, tuple[float, dict[int, float]]] = {
            name: (idf, {int(k): w for k, w in weights.items()})
            for name, (idf, weights) in data["features"].items()
        }

    def predict(self, features: list[str]) -> list[Prediction]:
        """Every intent with its probability, most likely first."""
        counts = Counter(f for f in features if f in self.features)
        values = {f: (1.0 + math.log(n)) * self.features[f][0] for f, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        scores = list(self.intercepts)
        for feature, value in values.items():
            for label, weight in self.features[feature][1].items():
                scores[label] += weight * value / norm
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        ranked = sorted(zip(self.labels, exps, strict=True), key=lambda p: (-p[1], p[0]))
        return [Prediction(label, e / total) for label, e in ranked]


@cache
def load_intent_model(path: Path = MODEL_PATH) -> IntentModel | None:
    """The trained model, or None when no model file ships (the rules then decide alone)."""
    if not path.exists():
        return None
    return IntentModel(json.loads(gzip.decompress(path.read_bytes())))
