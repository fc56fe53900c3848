"""The dispatch and notification use cases on the real store (moto) with a scripted deliverer:
fallback on rejection, transient errors, crashes in doubt, factoring follow-ups and notifications."""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autodispatch.channels.port import DeliveryReceipt
from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.logic.notification import notify_failures
from autodispatch.logic.settings import save_tenant
from autodispatch.models.dispatch import FactoringRoute
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import Attempt, RunCounts, RunRef, RunSummary
from tests.fakes.notifier import RecordingNotifier

ZONE = ZoneInfo("Europe/Helsinki")
NIGHT = date(2026, 3, 10)
RUN = RunRef(run_id="night-a", run_date=NIGHT)
Script = Callable[[str, Channel], None]


def ok(invoice_id: str, channel: Channel) -> None:
    return None


class ScriptedDeliverer:
    """Delivers unless the script raises for an (invoice, channel); records every call."""

    def __init__(self, script: Script = ok) -> None:
        self.script = script
        self.calls: list[tuple[str, Channel, DeliveryKind]] = []
        self.factoring_calls: list[str] = []
        self.factoring_error: Exception | None = None

    def deliver(
        self, invoice: Invoice, tenant: Tenant, channel: Channel, kind: DeliveryKind
    ) -> DeliveryReceipt:
        self.calls.append((invoice.invoice_id, channel, kind))
        self.script(invoice.invoice_id, channel)
        return DeliveryReceipt(
            channel=channel, kind=kind, message_id=f"m-{invoice.invoice_id}", archive_key="a"
        )

    def deliver_factoring(self, invoice: Invoice, tenant: Tenant, route: FactoringRoute) -> DeliveryReceipt:
        self.factoring_calls.append(invoice.invoice_id)
        if self.factoring_error is not None:
            raise self.factoring_error
        return DeliveryReceipt(
            channel=route.channel, kind=DeliveryKind.FACTORING, message_id="f", archive_key="a"
        )

    def flush_archive(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def claim_by(
    store: DynamoDbInvoiceStore, k: InvoiceKey, claimant: str, channel: Channel, at: datetime
) -> None:
    """Another invocation (live, or dead once its 15-minute lease runs out) holds the invoice."""
    attempt = Attempt(run_id=claimant, channel=channel, kind=DeliveryKind.INVOICE, started_at=at)
    store.claim(k, attempt, lease_until=at + timedelta(minutes=15), events=[])


def key(tenant_id: str, invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)


def dispatcher(
    store: DynamoDbInvoiceStore, deliverer: ScriptedDeliverer, clock: Clock | None = None
) -> BatchDispatcher:
    return BatchDispatcher(store, deliverer, ZONE, timedelta(minutes=15), clock or Clock())


def events(store: DynamoDbInvoiceStore, k: InvoiceKey) -> list[HistoryEventKind]:
    return [event.event for event in store.get_record(k).history]


@pytest.fixture(autouse=True)
def runs(loaded: DynamoDbInvoiceStore) -> None:
    """The selector records each run before its batches are dispatched."""
    for run_id, run_date in (
        ("night-a", NIGHT),
        ("night-b", date(2026, 3, 11)),
        ("night-c", date(2026, 3, 11)),
    ):
        loaded.put_run(RunSummary(run_id=run_id, run_date=run_date, started_at=Clock()()))


def test_r12_rejected_einvoice_falls_back_to_enabled_email(loaded: DynamoDbInvoiceStore) -> None:
    def reject_einvoice(invoice_id: str, channel: Channel) -> None:
        if channel is Channel.EINVOICE:
            raise PermanentRejection("the operator does not know the address")

    deliverer = ScriptedDeliverer(reject_einvoice)
    k = key("kahvila", "k-1001")
    result = dispatcher(loaded, deliverer).dispatch(RUN, [k])
    record = loaded.get_record(k)
    assert (record.state, record.channel, record.sent_on) == (AutoDispatchState.SENT, Channel.EMAIL, NIGHT)
    assert [c[1] for c in deliverer.calls] == [Channel.EINVOICE, Channel.EMAIL]
    assert HistoryEventKind.CHANNEL_REJECTED in events(loaded, k)
    assert result.counts.sent == 1


def test_r12_rejection_fails_when_next_channel_is_disabled(loaded: DynamoDbInvoiceStore) -> None:
    def reject(invoice_id: str, channel: Channel) -> None:
        raise PermanentRejection("the operator refused the message")

    deliverer = ScriptedDeliverer(reject)
    k = key("tilitoimisto", "t-502")
    run = RunRef(run_id="night-b", run_date=date(2026, 3, 11))
    result = dispatcher(loaded, deliverer).dispatch(run, [k])
    record = loaded.get_record(k)
    assert record.state is AutoDispatchState.FAILED
    assert [c[1] for c in deliverer.calls] == [Channel.EINVOICE]  # PRINT is never tried
    assert record.details is not None
    assert "the operator refused the message" in record.details
    assert "EMAIL (not enabled)" in record.details
    assert result.counts.failed == 1
    assert [issue.invoice_id for issue in loaded.run_issues("night-b")] == ["t-502"]


def test_r23_transient_error_releases_claim_and_retry_sends_once(loaded: DynamoDbInvoiceStore) -> None:
    failures = {"left": 1}

    def throttled_once(invoice_id: str, channel: Channel) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise TransientError("throttled", in_doubt=False)

    deliverer = ScriptedDeliverer(throttled_once)
    k = key("kahvila", "k-1003")
    with pytest.raises(TransientError):
        dispatcher(loaded, deliverer).dispatch(RUN, [k])
    assert loaded.get_record(k).state is AutoDispatchState.PENDING
    dispatcher(loaded, deliverer).dispatch(RUN, [k])
    assert loaded.get_record(k).state is AutoDispatchState.SENT
    assert [c[0] for c in deliverer.calls] == ["k-1003", "k-1003"]


def test_r23_in_doubt_email_ends_failed_instead_of_resending(loaded: DynamoDbInvoiceStore) -> None:
    def timeout(invoice_id: str, channel: Channel) -> None:
        raise TransientError("timed out after sending", in_doubt=True)

    deliverer = ScriptedDeliverer(timeout)
    k = key("kahvila", "k-1003")
    result = dispatcher(loaded, deliverer).dispatch(RUN, [k])
    record = loaded.get_record(k)
    assert record.state is AutoDispatchState.FAILED
    assert record.message is not None
    assert "unknown whether the invoice reached the customer" in record.message
    assert len(deliverer.calls) == 1
    assert result.counts.failed == 1


def test_r23_in_doubt_idempotent_einvoice_is_retried_by_the_same_run(loaded: DynamoDbInvoiceStore) -> None:
    failures = {"left": 1}

    def timeout_once(invoice_id: str, channel: Channel) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise TransientError("timed out", in_doubt=True)

    deliverer = ScriptedDeliverer(timeout_once)
    k = key("kahvila", "k-1001")
    with pytest.raises(TransientError):
        dispatcher(loaded, deliverer).dispatch(RUN, [k])
    dispatcher(loaded, deliverer).dispatch(RUN, [k])
    record = loaded.get_record(k)
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EINVOICE)


def test_r23_invoice_claimed_by_a_live_run_is_skipped(loaded: DynamoDbInvoiceStore) -> None:
    k = key("kahvila", "k-1001")
    now = Clock()()
    claim_by(loaded, k, "other", Channel.EINVOICE, now)
    deliverer = ScriptedDeliverer()
    result = dispatcher(loaded, deliverer).dispatch(RUN, [k])
    assert deliverer.calls == []
    assert result.counts == RunCounts()


def test_r10_claim_of_a_dead_run_is_taken_over_after_its_lease(loaded: DynamoDbInvoiceStore) -> None:
    k = key("kahvila", "k-1001")
    clock = Clock()
    claim_by(loaded, k, "dead", Channel.EINVOICE, clock.now)
    clock.now += timedelta(hours=1)
    deliverer = ScriptedDeliverer()
    dispatcher(loaded, deliverer, clock).dispatch(RUN, [k])
    # E-invoices carry a deterministic message id: re-sending an in-doubt one cannot duplicate it.
    assert loaded.get_record(k).state is AutoDispatchState.SENT
    assert len(deliverer.calls) == 1


def test_r9_settled_invoice_is_not_dispatched_again(loaded: DynamoDbInvoiceStore) -> None:
    deliverer = ScriptedDeliverer()
    k = key("kahvila", "k-1005")
    dispatcher(loaded, deliverer).dispatch(RUN, [k])
    second = dispatcher(loaded, deliverer).dispatch(RunRef(run_id="night-c", run_date=date(2026, 3, 11)), [k])
    assert second.counts == RunCounts()
    assert events(loaded, k).count(HistoryEventKind.FAILED) == 1


def test_r17_failed_factoring_message_keeps_invoice_sent_and_is_reported(
    loaded: DynamoDbInvoiceStore,
) -> None:
    deliverer = ScriptedDeliverer()
    deliverer.factoring_error = PermanentRejection("mailbox unavailable")
    k = key("kahvila", "k-1009")
    dispatcher(loaded, deliverer).dispatch(RUN, [k])
    record = loaded.get_record(k)
    assert record.state is AutoDispatchState.SENT
    assert events(loaded, k)[-1] is HistoryEventKind.FACTORING_FAILED
    issues = loaded.run_issues(RUN.run_id)
    assert [(issue.invoice_id, issue.state) for issue in issues] == [("k-1009", AutoDispatchState.SENT)]


def test_r21_each_tenant_notified_once_even_when_the_step_is_retried(loaded: DynamoDbInvoiceStore) -> None:
    keys = [
        key("kahvila", "k-1005"),
        key("tilitoimisto", "t-501"),
        key("tilitoimisto", "t-503"),
        key("kahvila", "k-1001"),
    ]
    dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, keys)
    notifier = RecordingNotifier()
    first = notify_failures(RUN, loaded, notifier)
    retried = notify_failures(RUN, loaded, notifier)
    assert (first.tenants_notified, retried.tenants_notified) == (2, 0)
    assert sorted(to for to, _, _ in notifier.emails) == [
        "laskutus@kahvila-aurinko.fi",
        "toimisto@kuusi.example",
    ]
    # Only kahvila has a notification phone; its SMS names the one invoice that failed.
    assert notifier.sms == [
        (
            "+358401234567",
            "Automatic dispatch 2026-03-10 (Kahvila Aurinko Oy): 1 failed. Invoices: 1005. "
            "Details by email or in the invoice list.",
        )
    ]
    tilitoimisto = next(body for to, _, body in notifier.emails if to == "toimisto@kuusi.example")
    assert "501 (IGNORED)" in tilitoimisto
    assert "503 (FAILED)" in tilitoimisto


def test_r21_tenant_with_nothing_to_report_gets_nothing(loaded: DynamoDbInvoiceStore) -> None:
    dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, [key("kahvila", "k-1001")])
    notifier = RecordingNotifier()
    assert notify_failures(RUN, loaded, notifier).tenants_notified == 0
    assert (notifier.emails, notifier.sms) == ([], [])


def test_cost_sent_invoice_takes_two_dynamodb_writes(
    loaded: DynamoDbInvoiceStore, operations: list[str]
) -> None:
    operations.clear()
    dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, [key("kahvila", "k-1001")])
    writes = [op for op in operations if op in {"PutItem", "UpdateItem", "BatchWriteItem", "DeleteItem"}]
    # claim (with the attempt) + settle, and the batch's one counter update
    assert len(writes) == 3
    assert "Scan" not in operations


def test_r24_one_bad_invoice_does_not_stop_the_batch(loaded: DynamoDbInvoiceStore) -> None:
    def reject_k1001(invoice_id: str, channel: Channel) -> None:
        if invoice_id == "k-1001":
            raise PermanentRejection("rejected")

    keys = [key("kahvila", i) for i in ("k-1001", "k-1002", "k-1003", "k-1004", "k-1005")]
    result = dispatcher(loaded, ScriptedDeliverer(reject_k1001)).dispatch(RUN, keys)
    outcomes = {k.invoice_id: (r.state, r.channel) for k, r in loaded.get_records(keys).items()}
    assert outcomes == {
        "k-1001": (AutoDispatchState.FAILED, None),  # every channel rejected it
        "k-1002": (AutoDispatchState.SENT, Channel.EMAIL),
        "k-1003": (AutoDispatchState.SENT, Channel.EMAIL),
        "k-1004": (AutoDispatchState.SENT, Channel.PRINT),
        "k-1005": (AutoDispatchState.FAILED, None),
    }
    assert (result.counts.sent, result.counts.failed) == (3, 2)


def test_r25_invalid_stored_invoice_fails_alone_with_the_field_named(
    loaded: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    """A document changed behind the system's back (here: a quantity that is no number) reaches a
    run: that invoice ends FAILED naming the field, the rest of the batch is sent."""
    item = dynamodb.get_item(
        TableName=loaded.table_name, Key={"pk": {"S": "TENANT#kahvila"}, "sk": {"S": "DOC#k-1003"}}
    )
    document = json.loads(item["Item"]["doc"]["S"])
    document["lines"][0]["quantity"] = "lots"
    dynamodb.put_item(TableName=loaded.table_name, Item={**item["Item"], "doc": {"S": json.dumps(document)}})
    deliverer = ScriptedDeliverer()
    keys = [key("kahvila", "k-1001"), key("kahvila", "k-1003")]
    result = dispatcher(loaded, deliverer).dispatch(RUN, keys)
    record = loaded.get_record(key("kahvila", "k-1003"))
    assert record.state is AutoDispatchState.FAILED
    assert record.message is not None
    assert "invalid invoice data" in record.message
    assert "lines[0].quantity" in record.message
    assert [call[0] for call in deliverer.calls] == ["k-1001"]
    assert (result.counts.sent, result.counts.failed) == (1, 1)
    assert [issue.invoice_id for issue in loaded.run_issues(RUN.run_id)] == ["k-1003"]


def test_r23_duplicate_invocation_of_the_same_batch_cannot_take_a_live_claim(
    loaded: DynamoDbInvoiceStore,
) -> None:
    """Express child executions are at-least-once: a duplicate of a batch of the same run must not
    send an invoice another invocation is sending right now."""
    k = key("kahvila", "k-1003")
    now = Clock()()
    claim_by(loaded, k, f"{RUN.run_id}/first", Channel.EMAIL, now)
    deliverer = ScriptedDeliverer()
    result = dispatcher(loaded, deliverer).dispatch(RUN, [k])
    assert deliverer.calls == []
    assert result.counts == RunCounts()


def test_r24_unexpected_error_fails_only_that_invoice(loaded: DynamoDbInvoiceStore) -> None:
    def crash_on_k1003(invoice_id: str, channel: Channel) -> None:
        if invoice_id == "k-1003":
            raise RuntimeError("renderer bug with a customer's name in it")

    keys = [key("kahvila", i) for i in ("k-1001", "k-1003", "k-1004")]
    result = dispatcher(loaded, ScriptedDeliverer(crash_on_k1003)).dispatch(RUN, keys)
    record = loaded.get_record(key("kahvila", "k-1003"))
    assert record.state is AutoDispatchState.FAILED
    assert record.message is not None
    assert "unexpected error (RuntimeError)" in record.message
    assert "customer's name" not in record.message
    assert (result.counts.sent, result.counts.failed) == (2, 1)
    assert [issue.number for issue in loaded.run_issues(RUN.run_id)] == ["1003"]


def test_r24_batch_short_of_time_records_what_it_did_and_leaves_the_rest_for_the_retry(
    loaded: DynamoDbInvoiceStore,
) -> None:
    budget = iter([120.0, 5.0, 5.0])
    keys = [key("kahvila", i) for i in ("k-1001", "k-1002", "k-1003")]
    short = BatchDispatcher(
        loaded, ScriptedDeliverer(), ZONE, timedelta(minutes=15), Clock(), lambda: next(budget)
    )
    with pytest.raises(TransientError):
        short.dispatch(RUN, keys)
    assert [loaded.get_record(k).state for k in keys] == [
        AutoDispatchState.SENT,
        AutoDispatchState.PENDING,
        AutoDispatchState.PENDING,
    ]
    assert loaded.get_run(RUN.run_id).counts.sent == 1
    retried = dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, keys)
    assert retried.counts.sent == 2


def test_r25_missing_invoice_document_fails_the_invoice_instead_of_waiting_forever(
    loaded: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    dynamodb.delete_item(
        TableName=loaded.table_name, Key={"pk": {"S": "TENANT#kahvila"}, "sk": {"S": "DOC#k-1002"}}
    )
    result = dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, [key("kahvila", "k-1002")])
    record = loaded.get_record(key("kahvila", "k-1002"))
    assert record.state is AutoDispatchState.FAILED
    assert record.message is not None
    assert "document is missing" in record.message
    assert result.counts.failed == 1
    assert [issue.number for issue in loaded.run_issues(RUN.run_id)] == ["1002"]


class FlakyNotifier(RecordingNotifier):
    """Fails the first email to one address, temporarily or for good."""

    def __init__(self, address: str, error: Exception) -> None:
        super().__init__()
        self.address, self.error, self.failed = address, error, False

    def send_email(
        self,
        to: str,
        subject: str,
        body: str,
        headers: dict[str, str],
        tags: dict[str, str],
        *,
        html: str | None = None,
    ) -> None:
        if to == self.address and not self.failed:
            self.failed = True
            raise self.error
        super().send_email(to, subject, body, headers, tags, html=html)


FAILING_KEYS = [key("kahvila", "k-1005"), key("tilitoimisto", "t-501"), key("tilitoimisto", "t-503")]


def test_r21_email_that_failed_temporarily_is_sent_once_by_the_retried_step(
    loaded: DynamoDbInvoiceStore,
) -> None:
    dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, FAILING_KEYS)
    notifier = FlakyNotifier("laskutus@kahvila-aurinko.fi", TransientError("throttled"))
    with pytest.raises(TransientError):
        notify_failures(RUN, loaded, notifier)
    notify_failures(RUN, loaded, notifier)
    assert sorted(to for to, _, _ in notifier.emails) == [
        "laskutus@kahvila-aurinko.fi",
        "toimisto@kuusi.example",
    ]
    assert len(notifier.sms) == 1  # the SMS went the first time and is not repeated


def test_r21_email_in_doubt_is_not_sent_again(loaded: DynamoDbInvoiceStore) -> None:
    dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, FAILING_KEYS)
    notifier = FlakyNotifier("laskutus@kahvila-aurinko.fi", TransientError("timed out", in_doubt=True))
    notify_failures(RUN, loaded, notifier)
    notify_failures(RUN, loaded, notifier)
    assert [to for to, _, _ in notifier.emails] == ["toimisto@kuusi.example"]


def test_r24_a_rejected_recipient_does_not_keep_other_tenants_from_their_notification(
    loaded: DynamoDbInvoiceStore,
) -> None:
    dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, FAILING_KEYS)
    notifier = FlakyNotifier("laskutus@kahvila-aurinko.fi", PermanentRejection("MessageRejected"))
    summary = notify_failures(RUN, loaded, notifier)
    assert [to for to, _, _ in notifier.emails] == ["toimisto@kuusi.example"]
    assert (summary.tenants_notified, summary.emails, summary.sms) == (2, 1, 1)


def test_r24_a_tenant_with_an_invalid_stored_document_does_not_stop_the_others(
    loaded: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    item = dynamodb.get_item(
        TableName=loaded.table_name, Key={"pk": {"S": "TENANTS"}, "sk": {"S": "TENANT#kahvila"}}
    )
    document = json.loads(item["Item"]["doc"]["S"])
    document["settings"]["notify_email"] = "not an address"
    dynamodb.put_item(TableName=loaded.table_name, Item={**item["Item"], "doc": {"S": json.dumps(document)}})
    assert [tenant.tenant_id for tenant in loaded.list_tenants()] == ["tilitoimisto"]
    deliverer = ScriptedDeliverer()
    result = dispatcher(loaded, deliverer).dispatch(
        RunRef(run_id="night-b", run_date=date(2026, 3, 11)),
        [key("kahvila", "k-1001"), key("tilitoimisto", "t-502")],
    )
    assert [call[0] for call in deliverer.calls] == ["t-502"]
    assert result.counts.sent == 1
    assert loaded.get_record(key("kahvila", "k-1001")).state is AutoDispatchState.PENDING


def test_r23_unfinished_email_of_a_dead_run_fails_in_doubt_even_if_now_ignored(
    loaded: DynamoDbInvoiceStore,
) -> None:
    """A run died while emailing k-1003; meanwhile EMAIL was switched off. The next run must not
    record it IGNORED ("nothing was sent"): it may have been sent, so it is FAILED in doubt."""
    k = key("kahvila", "k-1003")
    clock = Clock()
    claim_by(loaded, k, "dead/1", Channel.EMAIL, clock.now)
    tenant = loaded.get_tenant("kahvila")
    settings = tenant.settings.model_copy(update={"channels": [Channel.EINVOICE, Channel.PRINT]})
    save_tenant(loaded, tenant.model_copy(update={"settings": settings}), ZONE, clock.now)
    clock.now += timedelta(hours=1)
    deliverer = ScriptedDeliverer()
    dispatcher(loaded, deliverer, clock).dispatch(RUN, [k])
    record = loaded.get_record(k)
    assert record.state is AutoDispatchState.FAILED
    assert record.message is not None
    assert "unknown whether the invoice reached the customer" in record.message
    assert deliverer.calls == []


class Crash(BaseException):
    """The function dies on the spot; nothing after it runs."""


def test_r17_r23_run_dying_during_the_factoring_copy_neither_resends_the_invoice_nor_the_copy(
    loaded: DynamoDbInvoiceStore,
) -> None:
    k = key("kahvila", "k-1009")  # by e-invoice; its factoring copy goes to the financier by email
    dying = ScriptedDeliverer()
    dying.factoring_error = Crash()
    with pytest.raises(Crash):
        dispatcher(loaded, dying).dispatch(RUN, [k])
    assert HistoryEventKind.SENT in events(loaded, k)  # known delivered before the copy was tried
    clock = Clock()
    clock.now += timedelta(hours=1)  # the dead run's lease has run out
    later = ScriptedDeliverer()
    dispatcher(loaded, later, clock).dispatch(RunRef(run_id="night-b", run_date=date(2026, 3, 11)), [k])
    record = loaded.get_record(k)
    assert (record.state, record.channel, record.sent_on) == (AutoDispatchState.SENT, Channel.EINVOICE, NIGHT)
    assert later.calls == []  # the invoice is not sent again
    assert later.factoring_calls == []  # nor is an email copy that may have gone out
    assert events(loaded, k)[-1] is HistoryEventKind.FACTORING_FAILED
    assert [issue.invoice_id for issue in loaded.run_issues("night-b")] == ["k-1009"]


def test_r17_factoring_invoice_costs_one_more_write(
    loaded: DynamoDbInvoiceStore, operations: list[str]
) -> None:
    operations.clear()
    dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, [key("kahvila", "k-1009")])
    writes = [op for op in operations if op in {"PutItem", "UpdateItem", "BatchWriteItem", "DeleteItem"}]
    assert len(writes) == 4  # claim, delivered-before-the-copy, settle, the batch's counters


def test_r23_an_unknown_einvoice_outcome_is_handed_over_and_a_rejected_retry_never_moves_on(
    loaded: DynamoDbInvoiceStore,
) -> None:
    """On the real store: the attempt stays on the claim with its lease ended, the retried batch
    takes it at once, and the e-invoice's rejection of the retry does not lead to an email."""
    answers = iter([TransientError("no answer from the operator", in_doubt=True), PermanentRejection("dup")])

    def unclear_then_rejected(invoice_id: str, channel: Channel) -> None:
        raise next(answers)

    deliverer = ScriptedDeliverer(unclear_then_rejected)
    k = key("kahvila", "k-1001")
    with pytest.raises(TransientError):
        dispatcher(loaded, deliverer).dispatch(RUN, [k])
    assert loaded.get_record(k).unfinished_attempt is Channel.EINVOICE
    dispatcher(loaded, deliverer).dispatch(RUN, [k])
    record = loaded.get_record(k)
    assert record.state is AutoDispatchState.FAILED
    assert [c[1] for c in deliverer.calls] == [Channel.EINVOICE, Channel.EINVOICE]
    assert record.message is not None
    assert "the retry was rejected (dup)" in record.message


def test_r23_a_confirmed_email_whose_outcome_write_fails_is_settled_sent_by_the_retry(
    loaded: DynamoDbInvoiceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle = loaded.settle
    failures = {"left": 1}

    def throttled_once(*args: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise TransientError("DynamoDB UpdateItem failed temporarily (ThrottlingException)")
        settle(*args)

    monkeypatch.setattr(loaded, "settle", throttled_once)
    deliverer = ScriptedDeliverer()
    k = key("kahvila", "k-1003")  # by email: a second send would arrive twice
    with pytest.raises(TransientError):
        dispatcher(loaded, deliverer).dispatch(RUN, [k])
    dispatcher(loaded, deliverer).dispatch(RUN, [k])
    record = loaded.get_record(k)
    assert (record.state, record.channel, record.sent_on) == (AutoDispatchState.SENT, Channel.EMAIL, NIGHT)
    assert deliverer.calls == [("k-1003", Channel.EMAIL, DeliveryKind.INVOICE)]
    assert events(loaded, k).count(HistoryEventKind.SENT) == 1
