"""R26 end to end: the demo's nights with customers at the SES mailbox simulator, through the real
state machine, handlers and the RecordDeliveryEvents handler in the local runtime."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from autodispatch import wiring
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import InvoiceKey
from autodispatch_cli.local.night_run import run_scenario
from autodispatch_cli.local.runtime import LocalAws

pytestmark = pytest.mark.e2e

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"
NIGHTS = [date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12)]
SIMULATOR = {
    "k-1002": "bounce@simulator.amazonses.com",  # complete address, PRINT enabled: printed next night
    "k-1003": "success@simulator.amazonses.com",
    "k-1010": "bounce+k1010@simulator.amazonses.com",  # no postal address: FAILED at once
}


@pytest.fixture(scope="module")
def feedback_run() -> dict[str, Any]:
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    for invoice in data["invoices"]:
        if invoice["invoice_id"] in SIMULATOR:
            invoice["customer"]["email"] = SIMULATOR[invoice["invoice_id"]]
    delivered: list[dict[str, Any]] = []
    with LocalAws() as local:
        drain = local.mailbox.drain

        def recording_drain() -> list[dict[str, Any]]:
            events = drain()
            delivered.extend(events)
            return events

        local.mailbox.drain = recording_drain  # type: ignore[method-assign]
        report = run_scenario(parse_scenario(data), NIGHTS, local=local)
        store = wiring.invoice_store()
        k1002 = InvoiceKey(tenant_id="kahvila", invoice_id="k-1002")
        before = store.get_record(k1002)
        bounce = next(
            event
            for event in delivered
            if event["detail"]["eventType"] == "Bounce"
            and SIMULATOR["k-1002"] in event["detail"]["mail"]["destination"]
        )
        local.mailbox.offer_again(bounce)
        local.deliver_mail_events()
        after_duplicate = store.get_record(k1002)
    return {"report": report, "unchanged": before == after_duplicate}


def invoice(report: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    return next(i for i in report["invoices"] if i["invoice_id"] == invoice_id)


def test_r26_bounced_email_is_printed_the_next_night_and_never_emailed_again(
    feedback_run: dict[str, Any],
) -> None:
    report = feedback_run["report"]
    k1002 = invoice(report, "k-1002")
    assert (k1002["auto_dispatch"], k1002["channel"], k1002["sent_on"]) == ("SENT", "PRINT", "2026-03-11")
    deliveries = [(d["channel"], d["kind"]) for d in report["deliveries"] if d["invoice_id"] == "k-1002"]
    assert sorted(deliveries) == [("EMAIL", "INVOICE"), ("PRINT", "INVOICE")]
    events = [h["event"] for h in k1002["history"]]
    assert events.index("EMAIL_BOUNCED") < len(events) - 1
    assert events[-1] == "SENT"


def test_r26_delivery_is_recorded_on_the_invoice(feedback_run: dict[str, Any]) -> None:
    k1003 = invoice(feedback_run["report"], "k-1003")
    assert k1003["history"][-1]["event"] == "EMAIL_DELIVERED"
    assert (k1003["auto_dispatch"], k1003["channel"]) == ("SENT", "EMAIL")


def test_r21_r26_bounce_without_a_next_channel_fails_and_is_in_the_next_notification(
    feedback_run: dict[str, Any],
) -> None:
    report = feedback_run["report"]
    k1010 = invoice(report, "k-1010")
    assert (k1010["status"], k1010["auto_dispatch"]) == ("UNSENT", "FAILED")
    assert k1010["message"].startswith(
        "Automatic dispatch failed: the email to bounce+k1010@simulator.amazonses.com bounced: smtp; 550"
    )
    # The bounce came back while the night of 11 March was still running: that night's
    # notification is the next one, and it carries the bounce once.
    telling = [
        (n["run_date"], n["tenant_id"])
        for n in report["notifications"]
        if n["kind"] == "EMAIL" and "bounce+k1010@simulator.amazonses.com bounced" in n["body"]
    ]
    assert telling == [("2026-03-11", "kahvila")]


def test_r26_a_duplicate_bounce_event_changes_nothing(feedback_run: dict[str, Any]) -> None:
    assert feedback_run["unchanged"]
