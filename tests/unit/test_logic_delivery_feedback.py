"""R26 on the in-memory store (held to DynamoDB's behaviour by tests/contract): the
RecordDeliveryEvents handler with recorded SES events, delivered through SQS as deployed:
duplicates, events before the run recorded its send, a bounce that chains on and one that fails the
invoice at once and reaches the next notification."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.models.delivery_events import email_tags
from autodispatch.models.enums import (
    AutoDispatchState,
    Channel,
    DeliveryKind,
    HistoryEventKind,
    InvoiceStatus,
)
from autodispatch.models.routes import RouteName
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.port import Attempt, RunRef, RunSummary
from autodispatch_cli.local.mailbox_simulator import sqs_event
from autodispatch_cli.local.runtime import LocalLambdaContext
from record_delivery_events import handler as record_delivery_events
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.store import InMemoryInvoiceStore
from tests.notifications import notify_night
from tests.words import en

ZONE = ZoneInfo("Europe/Helsinki")
NIGHT = date(2026, 3, 10)
RUN = RunRef(run_id="night-a", run_date=NIGHT)
STARTED = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ses"
K1002 = InvoiceKey(tenant_id="kahvila", invoice_id="k-1002")  # no e-invoice address: sent by email
K1009 = InvoiceKey(tenant_id="kahvila", invoice_id="k-1009")  # factoring copy by email (R17)


@pytest.fixture
def night(loaded: InMemoryInvoiceStore, monkeypatch: pytest.MonkeyPatch) -> InMemoryInvoiceStore:
    """The demo's night of 10 March dispatched; the handler's configuration in the environment."""
    monkeypatch.setenv("TABLE_NAME", "unused")
    monkeypatch.setenv("BUCKET_NAME", "unused")
    loaded.add_run(RUN, STARTED)
    keys = [InvoiceKey(tenant_id="kahvila", invoice_id=f"k-10{n:02d}") for n in range(1, 10)]
    BatchDispatcher(loaded, ScriptedDeliverer(), ZONE, timedelta(minutes=15), lambda: STARTED).dispatch(
        RUN, keys
    )
    return loaded


def ses_event(
    name: str, key: InvoiceKey, kind: str = "INVOICE", event_id: str | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    event["detail"]["mail"]["tags"] = {
        name: [value] for name, value in email_tags(key.tenant_id, key.invoice_id, kind).items()
    }
    if event_id is not None:
        event["id"] = event_id
    return event


def deliver(store: InMemoryInvoiceStore, *events: dict[str, Any]) -> set[str]:
    """Through SQS as deployed; the ids of the messages the handler asked SQS to redeliver."""
    batch = sqs_event(list(events))
    answer = record_delivery_events.handler(batch, LocalLambdaContext("RecordDeliveryEvents"), store=store)
    failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
    return {record["body"] for record in batch["Records"] if record["messageId"] in failed}


def test_r26_permanent_bounce_returns_the_invoice_to_the_next_run_after_email(
    night: InMemoryInvoiceStore,
) -> None:
    assert night.get_record(K1002).channel is Channel.EMAIL

    assert deliver(night, ses_event("bounce_permanent", K1002)) == set()

    record = night.get_record(K1002)
    assert (record.status, record.state, record.channel) == (
        InvoiceStatus.UNSENT,
        AutoDispatchState.PENDING,
        None,
    )
    assert record.history[-1].event is HistoryEventKind.EMAIL_BOUNCED
    assert "next run sends the invoice by print service" in str(en(record.message))
    due = [entry.key for entry in night.pending(datetime(2026, 3, 10, 22, 5, tzinfo=UTC))]
    assert K1002 in due


def test_r12_r26_the_next_run_prints_and_never_emails_again(night: InMemoryInvoiceStore) -> None:
    deliver(night, ses_event("bounce_permanent", K1002))
    deliverer = ScriptedDeliverer()
    next_run = RunRef(run_id="night-b", run_date=date(2026, 3, 11))
    night.put_run(
        RunSummary(run_id="night-b", run_date=next_run.run_date, started_at=STARTED + timedelta(days=1))
    )
    BatchDispatcher(
        night, deliverer, ZONE, timedelta(minutes=15), lambda: STARTED + timedelta(days=1)
    ).dispatch(next_run, [K1002])
    record = night.get_record(K1002)
    assert deliverer.channels_tried("k-1002") == [Channel.PRINT]
    assert (record.state, record.channel, record.sent_on) == (
        AutoDispatchState.SENT,
        Channel.PRINT,
        date(2026, 3, 11),
    )


def test_r26_a_duplicate_bounce_changes_nothing(night: InMemoryInvoiceStore) -> None:
    deliver(night, ses_event("bounce_permanent", K1002))
    before = night.get_record(K1002)
    assert deliver(night, ses_event("bounce_permanent", K1002)) == set()
    assert night.get_record(K1002) == before


def test_r26_delivery_and_delay_are_recorded_once_each(night: InMemoryInvoiceStore) -> None:
    events = [ses_event("delivery_delay", K1002), ses_event("delivery", K1002), ses_event("delivery", K1002)]
    assert deliver(night, *events) == set()
    record = night.get_record(K1002)
    assert [e.event for e in record.history][-2:] == [
        HistoryEventKind.EMAIL_DELAYED,
        HistoryEventKind.EMAIL_DELIVERED,
    ]
    assert {e.route for e in record.history[-2:]} == {RouteName.EMAIL}  # R19: the route of each entry
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EMAIL)


def test_r26_transient_bounce_and_complaint_are_recorded_only(night: InMemoryInvoiceStore) -> None:
    deliver(night, ses_event("bounce_transient", K1002), ses_event("complaint", K1002))
    record = night.get_record(K1002)
    assert [e.event for e in record.history][-2:] == [
        HistoryEventKind.EMAIL_SOFT_BOUNCED,
        HistoryEventKind.EMAIL_COMPLAINED,
    ]
    assert (record.status, record.state) == (InvoiceStatus.SENT, AutoDispatchState.SENT)


def test_r23_r26_a_bounce_before_the_run_recorded_its_send_is_redelivered_later(
    loaded: InMemoryInvoiceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "unused")
    monkeypatch.setenv("BUCKET_NAME", "unused")
    attempt = Attempt(
        run_id="night-a/x", channel=Channel.EMAIL, kind=DeliveryKind.INVOICE, started_at=STARTED
    )
    loaded.claim(K1002, attempt, lease_until=STARTED + timedelta(minutes=15), events=[])
    bounce = ses_event("bounce_permanent", K1002)

    assert deliver(loaded, bounce) == {json.dumps(bounce)}
    assert loaded.get_record(K1002).state is AutoDispatchState.PENDING


def test_r21_r26_no_channel_after_email_fails_at_once_and_is_in_the_next_notification(
    night: InMemoryInvoiceStore,
) -> None:
    kahvila = night.get_tenant("kahvila")
    only_einvoice_and_email = kahvila.settings.model_copy(
        update={"channels": [Channel.EINVOICE, Channel.EMAIL]}
    )
    night.put_tenant(kahvila.model_copy(update={"settings": only_einvoice_and_email}))

    deliver(night, ses_event("bounce_permanent", K1002))

    record = night.get_record(K1002)
    assert (record.status, record.state) == (InvoiceStatus.UNSENT, AutoDispatchState.FAILED)
    assert en(record.message) == (
        "Automatic dispatch failed: the email to matti@example.fi bounced: smtp; 550 5.1.1 "
        "<matti@example.fi>: Recipient address rejected: User unknown"
    )
    [notice] = night.notices()  # R21: stored with what the notification shows, and read back
    assert en(notice.details) == en(record.details)
    assert notice.customer_name is not None
    assert notice.amount is not None
    mailbox = RecordingNotifier()
    later = RunRef(run_id="night-b", run_date=date(2026, 3, 11))
    notify_night(later, night, mailbox)
    kahvila_mail = [body for to, _, body in mailbox.emails if to == kahvila.settings.notify_email]
    assert len(kahvila_mail) == 1
    assert "bounced" in kahvila_mail[0]
    assert notice.customer_name in kahvila_mail[0]
    assert night.notices() == []  # carried once, then done


def test_r17_r26_a_bounced_factoring_copy_is_recorded_and_reported_not_chained(
    night: InMemoryInvoiceStore,
) -> None:
    deliver(night, ses_event("bounce_permanent", K1009, kind="FACTORING"))
    record = night.get_record(K1009)
    assert (record.state, record.status) == (AutoDispatchState.SENT, InvoiceStatus.SENT)
    assert record.history[-1].event is HistoryEventKind.FACTORING_BOUNCED
    [notice] = night.notices()
    assert (notice.invoice_id, notice.state) == ("k-1009", AutoDispatchState.SENT)
    assert "factoring copy" in en(notice.message)
    assert notice.customer_name is not None  # R17, R21: recognised like a failed invoice


def test_r25_a_malformed_event_is_redelivered_and_never_stops_the_others(night: InMemoryInvoiceStore) -> None:
    broken = {"id": "x", "detail-type": "Email Bounced", "time": "not a time", "detail": {}}
    assert deliver(night, broken, ses_event("delivery", K1002)) == {json.dumps(broken)}
    assert night.get_record(K1002).history[-1].event is HistoryEventKind.EMAIL_DELIVERED
