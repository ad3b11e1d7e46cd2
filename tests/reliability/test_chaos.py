"""The load-and-chaos run (bench/reliability.py), CI-sized: nothing lost, doubled or broken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.reliability import CI, chaos_stack, report_table, run_chaos
from tests.reliability.support import point_process_at

# The run, the sales jobs phase and the settling take minutes on a loaded two-core machine.
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder: Path = tmp_path_factory.mktemp("duka-chaos")
    with chaos_stack(folder / "stack") as env, pytest.MonkeyPatch.context() as monkeypatch:
        point_process_at(env, monkeypatch)
        result = run_chaos(env, CI, folder)
        from duka.config import get_settings

        get_settings.cache_clear()
    report_table(result)
    return result


def test_under_duplicates_and_faults_every_message_is_answered_and_none_is_lost(report):
    assert report["messages"] == CI.messages
    assert report["lost"] == 0
    assert report["answered"] + report["dead_lettered"] == report["messages"]
    assert report["duplicates_suppressed"] >= CI.messages * (CI.deliveries - 1)


def test_under_duplicates_and_faults_no_reply_reaches_a_customer_twice(report):
    assert report["injected"]["twilio_faults"] > 0 and report["twilio_attempts_failed"] > 0
    assert report["replies_sent_twice"] == 0, report["sent_twice_examples"]
    assert report["replies_delivered"] == report["replies_recorded_sent"]


def test_after_the_run_no_order_is_in_an_impossible_state_and_stock_adds_up(report):
    assert sum(report["orders"].values()) > 0 and report["orders"]["paid"] > 0
    assert report["orders_in_impossible_states"] == []
    assert report["stock_mismatches"] == []


def test_with_every_job_tick_delivered_several_times_no_sales_message_goes_twice(report):
    assert report["injected"]["jobs_job_ticks"] > 0
    assert all(sent > 0 for sent in report["jobs_sent"].values()), report["jobs_sent"]
    assert report["jobs_sent_twice"] == {kind: 0 for kind in report["jobs_sent"]}
    assert report["alerts_still_waiting"] == 0  # the kaftan came back: every waiting one told
