"""`duka nlu train` / `duka nlu evaluate`: fit the intent model from the labelled corpus.

scikit-learn fits a multinomial logistic regression over sublinear tf-idf features (the same
`message_features` the runtime computes), and the fitted numbers are written as plain JSON that
`duka.nlu.model` scores with the standard library. Training is deterministic: same corpus, same
rules, same file.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duka.nlu.model import MODEL_PATH, IntentModel
from duka.orchestrator.confirmation import ACTIONS
from duka.orchestrator.intents import ClassifierContext, classify, read_by_rules

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
CORPUS = (DATA / "utterances.jsonl", DATA / "corpus.jsonl")
REGULARISATION = 8.0  # C, chosen by cross-validation on the corpus (`duka nlu evaluate`)
MIN_DOCUMENTS = 2  # a feature seen in one message only is noise
SMALLEST_WEIGHT = 0.1  # smaller weights change no cross-validated reading; left out of the file


def load_rows(paths: Sequence[Path] = CORPUS) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        rows.extend(json.loads(line) for line in lines if line.strip())
    return rows


def context_of(row: dict[str, Any]) -> ClassifierContext:
    """Mid-chat unless the row says otherwise: items were shown and a cart exists."""
    return ClassifierContext(
        awaiting=row.get("awaiting"),
        has_cart=row.get("has_cart", True),
        has_shown_items=row.get("has_shown_items", True),
    )


def features_of(row: dict[str, Any]) -> list[str]:
    reading = read_by_rules(row["text"], has_media=row["has_media"], context=context_of(row))
    return reading.features()


def fit(rows: Sequence[dict[str, Any]], regularisation: float = REGULARISATION) -> dict[str, Any]:
    """The model file's content, fitted on `rows`."""
    # Imported here: scikit-learn takes a second to load and only training needs it.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer=lambda features: features,
        sublinear_tf=True,
        min_df=MIN_DOCUMENTS,
        norm="l2",
    )
    matrix = vectorizer.fit_transform([features_of(row) for row in rows])
    classifier = LogisticRegression(C=regularisation, max_iter=5000)
    classifier.fit(matrix, [row["intent"] for row in rows])
    labels = [str(label) for label in classifier.classes_]
    features: dict[str, Any] = {}
    for name, column in sorted(vectorizer.vocabulary_.items()):
        weights = {
            str(label): round(float(classifier.coef_[label][column]), 4)
            for label in range(len(labels))
            if abs(classifier.coef_[label][column]) >= SMALLEST_WEIGHT
        }
        if weights:
            features[name] = [round(float(vectorizer.idf_[column]), 4), weights]
    return {
        "labels": labels,
        "intercepts": [round(float(b), 4) for b in classifier.intercept_],
        "features": features,
        "trained_on": len(rows),
    }


@dataclass(frozen=True)
class Scored:
    """How one message was read, next to its label."""

    row: dict[str, Any]
    intent: str
    decisive: bool

    @property
    def correct(self) -> bool:
        return self.intent == self.row["intent"]

    @property
    def wrong_action(self) -> bool:
        """A cart, payment or handover action that would have been taken on a misreading."""
        return self.decisive and self.intent in ACTIONS and not self.correct


def score(model: IntentModel | None, rows: Sequence[dict[str, Any]]) -> list[Scored]:
    scored = []
    for row in rows:
        result = classify(
            row["text"], has_media=row["has_media"], context=context_of(row), model=model
        )
        scored.append(Scored(row, result.intent.value, result.decisive))
    return scored


def cross_validate(
    rows: Sequence[dict[str, Any]], folds: int = 5, regularisation: float = REGULARISATION
) -> list[Scored]:
    """Every row read by a model fitted without it; folds drawn with a fixed seed."""
    shuffled = list(rows)
    random.Random(14).shuffle(shuffled)
    scored: list[Scored] = []
    for fold in range(folds):
        train = [row for i, row in enumerate(shuffled) if i % folds != fold]
        scored += score(IntentModel(fit(train, regularisation)), shuffled[fold::folds])
    return scored


def report(title: str, scored: Sequence[Scored]) -> None:
    def share(items: Sequence[Scored]) -> str:
        return f"{sum(s.correct for s in items) / len(items):.3f} of {len(items)}"

    print(f"{title}: {share(scored)}")
    for key in ("lang", "intent"):
        groups: dict[str, list[Scored]] = {}
        for item in scored:
            groups.setdefault(item.row[key], []).append(item)
        print("  " + ", ".join(f"{name} {share(g)}" for name, g in sorted(groups.items())))
    actions = [s for s in scored if s.row["intent"] in ACTIONS]
    decisive = sum(s.decisive and s.correct for s in actions)
    print(
        f"  actions read decisively: {decisive} of {len(actions)}; "
        f"actions that would run on a misreading: {sum(s.wrong_action for s in scored)}"
    )


def cmd_train(args: argparse.Namespace) -> int:
    rows = load_rows([Path(p) for p in args.corpus])
    data = fit(rows)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    Path(args.out).write_bytes(gzip.compress(text.encode(), mtime=0))
    counts = Counter(row["intent"] for row in rows)
    print(f"trained on {len(rows)} messages, {len(data['features'])} features -> {args.out}")
    print("per intent: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    rows = load_rows([Path(p) for p in args.corpus])
    report("rules alone", score(None, rows))
    for regularisation in args.c:
        scored = cross_validate(rows, args.folds, regularisation)
        report(f"rules + model, {args.folds}-fold cross-validated, C={regularisation}", scored)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    nlu = sub.add_parser("nlu", help="the learned intent model").add_subparsers(
        dest="action", required=True
    )
    corpus = [str(path) for path in CORPUS]
    train = nlu.add_parser("train", help="fit the intent model from the labelled corpus")
    train.add_argument("--corpus", nargs="+", default=corpus)
    train.add_argument("--out", default=str(MODEL_PATH))
    train.set_defaults(func=cmd_train)
    evaluate = nlu.add_parser("evaluate", help="cross-validated accuracy on the corpus")
    evaluate.add_argument("--corpus", nargs="+", default=corpus)
    evaluate.add_argument("--folds", type=int, default=5)
    evaluate.add_argument("--c", type=float, nargs="+", default=[REGULARISATION])
    evaluate.set_defaults(func=cmd_evaluate)
