"""The learned intent model: current with its corpus, light to ship, and never the only voice
behind an action on a message it is unsure of."""

import json
import subprocess
import sys
from collections import Counter

from duka.nlu.model import IntentModel, load_intent_model
from duka.orchestrator.intents import ClassifierContext, Intent, classify
from duka_local.nlu_training import ACTIONS, fit, load_rows, score

ROWS = load_rows()


def test_the_corpus_has_1500_messages_in_every_language_and_intent() -> None:
    assert len(ROWS) >= 1500
    languages = Counter(row["lang"] for row in ROWS)
    intents = Counter(row["intent"] for row in ROWS)
    assert {"en", "sw", "sheng", "mixed"} <= set(languages)
    assert min(languages[lang] for lang in ("en", "sw", "sheng", "mixed")) >= 150, languages
    assert set(intents) == {intent.value for intent in Intent}
    assert min(intents.values()) >= 40, intents


def test_the_shipped_model_is_the_one_the_corpus_trains() -> None:
    """Edit the corpus or the rules without `duka nlu train` and this fails."""
    shipped = load_intent_model()
    assert shipped is not None
    retrained = IntentModel(fit(ROWS))
    shipped_reading = [s.intent for s in score(shipped, ROWS)]
    retrained_reading = [s.intent for s in score(retrained, ROWS)]
    assert shipped_reading == retrained_reading


def test_deployed_code_reads_the_model_without_scikit_learn_numpy_or_torch() -> None:
    probe = (
        "import json, sys\n"
        "from duka.orchestrator.intents import classify\n"
        "result = classify('nimelipa lakini sijapata message')\n"
        "print(json.dumps([result.intent.value, sorted(m for m in ('sklearn', 'numpy', 'torch')"
        " if m in sys.modules)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    intent, heavy = json.loads(out.stdout)
    assert intent == "payment_status"
    assert heavy == []


def test_training_twice_writes_the_same_model() -> None:
    first, second = fit(ROWS[:400]), fit(ROWS[:400])
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_a_message_the_rules_miss_is_read_by_the_model_but_not_acted_on_unconfirmed() -> None:
    mid_chat = ClassifierContext(has_cart=True, has_shown_items=True)
    result = classify("hiyo jacket wacha, pesa imeisha", context=mid_chat)
    assert result.intent is Intent.REMOVE_FROM_CART
    assert not result.decisive


def test_a_clear_instruction_is_decisive() -> None:
    mid_chat = ClassifierContext(has_cart=True, has_shown_items=True)
    assert classify("remove #2 from my cart", context=mid_chat).decisive
    assert classify("nimelipa, code ni QHX7ABC12D", context=mid_chat).decisive


def test_on_the_corpus_no_action_is_decisive_on_a_misreading_more_than_rarely() -> None:
    scored = score(load_intent_model(), ROWS)
    actions = [s for s in scored if s.row["intent"] in ACTIONS]
    assert sum(s.wrong_action for s in scored) <= 0.01 * len(actions)
