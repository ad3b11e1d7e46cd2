"""The owner's question/answer pair form: a question, other phrasings or keywords (one a line),
the answer in English and optionally in Swahili."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from duka.dashboard.business_settings import Section

MAX_QUESTION = 300
MAX_ANSWER = 1000
MAX_PHRASINGS = 20


def parse_shop_answer(form: MultiDict[str, str]) -> Section:
    section = Section()
    question = " ".join(form.get("question", "").split())
    phrasings = [" ".join(line.split()) for line in form.get("phrasings", "").splitlines()]
    answer_en = form.get("answer_en", "").strip()
    answer_sw = form.get("answer_sw", "").strip()
    if not question:
        section.errors["question"] = "Write the question as a customer would ask it."
    elif len(question) > MAX_QUESTION:
        section.errors["question"] = f"Keep the question under {MAX_QUESTION} characters."
    if not answer_en:
        section.errors["answer_en"] = "Write the answer in English (Swahili is optional)."
    if max(len(answer_en), len(answer_sw)) > MAX_ANSWER:
        section.errors["answer_en"] = f"Keep each answer under {MAX_ANSWER} characters."
    section.values = {
        "question": question,
        "phrasings": [p[:MAX_QUESTION] for p in phrasings if p][:MAX_PHRASINGS],
        "answer_en": answer_en,
        "answer_sw": answer_sw,
    }
    return section
