"""The DynamoDB invoice store on moto: initial states, the pending index, conditional run writes,
user actions, runs and notifications."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError

from autodispatch.errors import (
    ConcurrentUpdate,
    InputError,
    InvalidTransition,
    InvoiceSent,
    NotFound,
    TransientError,
)
from autodispatch.logic.importing import import_invoices
from autodispatch.logic.manual import restore_automatic_dispatch
from autodispatch.logic.settings import save_tenant
from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import (
    AutoDispatchState,
    Channel,
    DeliveryKind,
    HistoryEventKind,
    InvoiceStatus,
    Source,
    Timing,
)
from autodispatch.models.scenario import Invoice, InvoiceKey, Scenario, Tenant
from autodispatch.rules.due import due_from, local_date
from autodispatch.rules.messages import IMPORTED_SENT_MESSAGE, REMOVED_MESSAGE, SENT_MANUALLY_MESSAGE
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import Attempt, RunCounts, RunIssue, RunRef, RunSummary, Settlement
from autodispatch.store.table_schema import PENDING_INDEX, PENDING_SHARDS
from tests.integration.conftest import TABLE_NAME, ZONE
from tests.words import en

HELSINKI = ZoneInfo("Europe/Helsinki")
# The run of 2026-03-10 starts at 00:05 Helsinki time (UTC+2 in March).
RUN_START = datetime(2026, 3, 10, 0, 5, tzinfo=HELSINKI)
LEASE = timedelta(minutes=15)
K1001 = InvoiceKey(tenant_id="kahvila", invoice_id="k-1001")


def key(tenant_id: str, invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)


def attempt(run_id: str, at: datetime = RUN_START, channel: Channel = Channel.EINVOICE) -> Attempt:
    return Attempt(run_id=run_id, channel=channel, kind=DeliveryKind.INVOICE, started_at=at)


def event(
    kind: HistoryEventKind, at: datetime = RUN_START, run_id: str | None = "run-1", **extra: Any
) -> HistoryEvent:
    return HistoryEvent(at=at, event=kind, run_id=run_id, **extra)


def sent(channel: Channel = Channel.EINVOICE, *events: HistoryEvent) -> Settlement:
    return Settlement(
        state=AutoDispatchState.SENT,
        channel=channel,
        sent_on=date(2026, 3, 10),
        message="Sent automatically by e-invoice",
        details="Invoice sent automatically by e-invoice (EINVOICE).",
        events=events,
    )


def failed(*events: HistoryEvent) -> Settlement:
    return Settlement(
        state=AutoDispatchState.FAILED,
        message="Automatic dispatch failed: no channel",
        details="1. EINVOICE (cannot be used): no address",
        events=events,
    )


def pending_keys(store: DynamoDbInvoiceStore, before: datetime = RUN_START) -> set[InvoiceKey]:
    return {entry.key for entry in store.pending(before)}


def invoice(scenario: Scenario, invoice_id: str) -> Invoice:
    return next(found for found in scenario.invoices if found.invoice_id == invoice_id)


def tenant(scenario: Scenario, tenant_id: str) -> Tenant:
    return next(found for found in scenario.tenants if found.tenant_id == tenant_id)


def with_settings(base: Tenant, **changes: Any) -> Tenant:
    return base.model_copy(update={"settings": base.settings.model_copy(update=changes)})


# Table and tenants -----------------------------------------------------------------------------


def test_table_schema_has_sparse_pending_index_on_demand(dynamodb: Any) -> None:
    table = dynamodb.describe_table(TableName=TABLE_NAME)["Table"]
    index = table["GlobalSecondaryIndexes"][0]
    assert index["IndexName"] == PENDING_INDEX
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert set(index["Projection"]["NonKeyAttributes"]) == {"tenant_id", "invoice_id", "source", "due_from"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_r1_tenants_round_trip_by_get_batch_and_query(
    store: DynamoDbInvoiceStore, scenario: Scenario, operations: list[str]
) -> None:
    for each in scenario.tenants:
        store.put_tenant(each)
    assert store.get_tenant("kahvila") == tenant(scenario, "kahvila")
    assert store.get_tenants(["tilitoimisto", "nobody", "tilitoimisto"]) == {
        "tilitoimisto": tenant(scenario, "tilitoimisto")
    }
    assert [found.tenant_id for found in store.list_tenants()] == ["kahvila", "tilitoimisto"]
    with pytest.raises(NotFound, match="nobody"):
        store.get_tenant("nobody")
    assert "Scan" not in operations


# Initial states (import) -----------------------------------------------------------------------


def test_import_of_unknown_tenant_is_refused_naming_it_and_writes_nothing(
    store: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    store.put_tenant(tenant(scenario, "kahvila"))
    with pytest.raises(NotFound, match="'tilitoimisto'"):
        import_invoices(store, scenario.invoices, ZONE, datetime.now(UTC))
    assert store.get_invoices([K1001]) == {}
    assert store.list_records("kahvila") == []


def test_import_stores_documents_and_pending_records(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    keys = [each.key for each in scenario.invoices]
    assert loaded.get_invoices(keys) == {each.key: each for each in scenario.invoices}
    record = loaded.get_record(K1001)
    assert (record.state, record.status, en(record.message), record.history) == (
        AutoDispatchState.PENDING,
        InvoiceStatus.UNSENT,
        None,
        (),
    )
    assert len(loaded.list_records("kahvila")) == 11
    with pytest.raises(NotFound):
        loaded.get_record(key("kahvila", "nope"))


def test_r5_imported_sent_invoice_is_never_pending(loaded: DynamoDbInvoiceStore) -> None:
    k1006 = key("kahvila", "k-1006")
    record = loaded.get_record(k1006)
    assert (record.state, record.status, record.channel) == (AutoDispatchState.SENT, InvoiceStatus.SENT, None)
    assert record.message == IMPORTED_SENT_MESSAGE
    assert k1006 not in pending_keys(loaded, RUN_START + timedelta(days=30))
    with pytest.raises(ConcurrentUpdate, match="already sent"):
        loaded.claim(k1006, attempt("run-1"), RUN_START + LEASE, [])


def test_r5_reimport_as_sent_takes_pending_invoice_out_of_dispatch(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    import_invoices(
        loaded,
        [invoice(scenario, "k-1001").model_copy(update={"status": InvoiceStatus.SENT})],
        ZONE,
        datetime.now(UTC),
    )
    record = loaded.get_record(K1001)
    assert (record.state, record.status) == (AutoDispatchState.SENT, InvoiceStatus.SENT)
    assert K1001 not in pending_keys(loaded)


def test_r20_invoice_imported_with_auto_dispatch_off_starts_removed(loaded: DynamoDbInvoiceStore) -> None:
    k1007 = key("kahvila", "k-1007")
    assert loaded.get_record(k1007).state is AutoDispatchState.REMOVED
    assert k1007 not in pending_keys(loaded)


def test_r2_invoice_created_before_activation_starts_removed(
    store: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    activated = datetime(2026, 3, 9, 12, 0, tzinfo=HELSINKI)
    store.put_tenant(with_settings(tenant(scenario, "kahvila"), activated_at=activated))
    before = invoice(scenario, "k-1003")  # created 08:00
    after = invoice(scenario, "k-1001")  # created 13:00
    explicit = invoice(scenario, "k-1004").model_copy(update={"auto_dispatch": True})  # created 09:00
    import_invoices(store, [before, after, explicit], ZONE, datetime.now(UTC))
    assert store.get_record(before.key).state is AutoDispatchState.REMOVED
    assert "activated" in (en(store.get_record(before.key).message) or "")
    assert store.get_record(after.key).state is AutoDispatchState.PENDING
    assert store.get_record(explicit.key).state is AutoDispatchState.PENDING
    assert pending_keys(store) == {after.key, explicit.key}


def test_r2_activation_turns_off_older_pending_invoices_but_not_user_choices(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    k1010 = key("kahvila", "k-1010")  # created 2026-03-10 09:00, after the activation below
    k1007 = key("kahvila", "k-1007")  # removed at import; the user adds it back
    restore_automatic_dispatch(loaded, k1007, lambda: RUN_START, ZONE)
    activated = datetime(2026, 3, 10, 8, 0, tzinfo=HELSINKI)
    save_tenant(loaded, with_settings(tenant(scenario, "kahvila"), activated_at=activated), ZONE, RUN_START)
    assert loaded.get_record(K1001).state is AutoDispatchState.REMOVED
    # R19: the automation's action is on the invoice's history.
    assert [e.event for e in loaded.get_record(K1001).history] == [HistoryEventKind.TURNED_OFF_BY_ACTIVATION]
    assert loaded.get_record(k1010).state is AutoDispatchState.PENDING
    assert loaded.get_record(k1007).state is AutoDispatchState.PENDING
    assert {entry.key.tenant_id for entry in loaded.pending(RUN_START + timedelta(days=5))} >= {
        "tilitoimisto"
    }
    assert {k for k in pending_keys(loaded, RUN_START + timedelta(days=5)) if k.tenant_id == "kahvila"} == {
        k1010,
        k1007,
    }


# The pending index -----------------------------------------------------------------------------


def test_r6_r7_pending_holds_what_is_due_by_the_run(loaded: DynamoDbInvoiceStore) -> None:
    expected = (
        {key("kahvila", f"k-100{n}") for n in (1, 2, 3, 4, 5, 8, 9)}
        | {key("tilitoimisto", f"t-50{n}") for n in (1, 3, 4)}
        | {key("kahvila", "k-1011")}
    )
    assert pending_keys(loaded) == expected
    entries = {entry.key: entry for entry in loaded.pending(RUN_START)}
    assert entries[K1001].due_from == datetime(2026, 3, 10, tzinfo=HELSINKI)
    assert entries[K1001].source is Source.CONTRACT_BILLING


def test_r6_invoice_is_due_strictly_from_the_next_local_midnight(loaded: DynamoDbInvoiceStore) -> None:
    midnight = datetime(2026, 3, 10, tzinfo=HELSINKI)
    assert K1001 not in pending_keys(loaded, midnight)
    assert K1001 in pending_keys(loaded, midnight + timedelta(microseconds=1))


def test_r7_invoice_date_timing_is_due_on_its_invoice_date(loaded: DynamoDbInvoiceStore) -> None:
    t502 = key("tilitoimisto", "t-502")  # created 8.3, invoice date 11.3
    assert t502 not in pending_keys(loaded, datetime(2026, 3, 11, tzinfo=HELSINKI))
    assert t502 in pending_keys(loaded, datetime(2026, 3, 11, 0, 5, tzinfo=HELSINKI))


def test_r7_timing_change_rekeys_pending(loaded: DynamoDbInvoiceStore, scenario: Scenario) -> None:
    t502, t501 = key("tilitoimisto", "t-502"), key("tilitoimisto", "t-501")
    loaded.claim(t501, attempt("run-1"), RUN_START + LEASE, [])
    loaded.settle(t501, "run-1", sent())
    save_tenant(
        loaded, with_settings(tenant(scenario, "tilitoimisto"), timing=Timing.CREATION_DATE), ZONE, RUN_START
    )
    entries = {entry.key: entry for entry in loaded.pending(RUN_START)}
    expected = due_from(invoice(scenario, "t-502"), Timing.CREATION_DATE, ZONE)
    assert entries[t502].due_from == expected == datetime(2026, 3, 9, tzinfo=HELSINKI)
    assert t501 not in entries  # settled: the re-key must not bring it back (R9)
    assert loaded.get_record(t501).state is AutoDispatchState.SENT


def test_r6_reimport_rekeys_pending_invoice_and_keeps_final_state(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    k1002 = key("kahvila", "k-1002")
    loaded.claim(k1002, attempt("run-1"), RUN_START + LEASE, [])
    loaded.settle(k1002, "run-1", failed())
    later = datetime(2026, 3, 12, 9, 0, tzinfo=HELSINKI)
    moved = invoice(scenario, "k-1001").model_copy(update={"created_at": later, "number": "2001"})
    import_invoices(loaded, [moved, invoice(scenario, "k-1002")], ZONE, datetime.now(UTC))
    entries = {entry.key: entry for entry in loaded.pending(RUN_START + timedelta(days=10))}
    assert entries[K1001].due_from == datetime(2026, 3, 13, tzinfo=HELSINKI)
    assert loaded.get_invoices([K1001])[K1001].number == "2001"
    assert loaded.get_record(k1002).state is AutoDispatchState.FAILED
    assert k1002 not in entries


def test_pending_finds_due_invoices_across_shards_and_tenants_with_pagination(
    dynamodb: Any, scenario: Scenario, operations: list[str]
) -> None:
    store = DynamoDbInvoiceStore(TABLE_NAME, ZONE, dynamodb, query_limit=2)
    for each in scenario.tenants:
        store.put_tenant(each)
    many = [
        invoice(scenario, base).model_copy(update={"invoice_id": f"{base}-{n}"})
        for base in ("k-1001", "t-501")
        for n in range(40)
    ]
    late = invoice(scenario, "k-1010").model_copy(update={"invoice_id": "late"})
    import_invoices(store, [*many, late], ZONE, datetime.now(UTC))
    operations.clear()
    found = list(store.pending(RUN_START))
    made = list(operations)
    assert sorted(entry.key.invoice_id for entry in found) == sorted(each.invoice_id for each in many)
    assert made.count("Query") > PENDING_SHARDS  # pages of 2 items: more than one page per shard
    assert set(made) == {"Query"}
    # The test itself may look at the whole index: the entries are spread over the shards.
    items = dynamodb.scan(TableName=TABLE_NAME, IndexName=PENDING_INDEX)["Items"]
    assert len({item["gsi1pk"]["S"] for item in items}) > PENDING_SHARDS // 2


def test_r10_claimed_invoice_stays_in_pending_index(loaded: DynamoDbInvoiceStore) -> None:
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    assert K1001 in pending_keys(loaded)


def test_r8_removed_invoice_leaves_pending_index(loaded: DynamoDbInvoiceStore) -> None:
    loaded.remove_auto(K1001, REMOVED_MESSAGE, event(HistoryEventKind.REMOVED_BY_USER, run_id=None))
    record = loaded.get_record(K1001)
    assert record.state is AutoDispatchState.REMOVED
    assert record.history[-1].event is HistoryEventKind.REMOVED_BY_USER
    assert K1001 not in pending_keys(loaded, RUN_START + timedelta(days=30))
    with pytest.raises(ConcurrentUpdate, match="REMOVED"):
        loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])


# Claims and outcomes (R23) -----------------------------------------------------------------------


def test_r23_second_claim_by_other_run_is_refused(loaded: DynamoDbInvoiceStore) -> None:
    assert loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, []) is None
    with pytest.raises(ConcurrentUpdate, match=r"kahvila/k-1001.*claimed by run run-1"):
        loaded.claim(K1001, attempt("run-2", RUN_START + timedelta(minutes=1)), RUN_START + LEASE, [])


def test_r23_claim_retried_by_same_run_returns_the_attempt_in_doubt(loaded: DynamoDbInvoiceStore) -> None:
    first = attempt("run-1")
    loaded.claim(K1001, first, RUN_START + LEASE, [])
    retry = attempt("run-1", RUN_START + timedelta(minutes=2), Channel.EMAIL)
    assert loaded.claim(K1001, retry, RUN_START + LEASE, []) == first.model_copy(
        update={"started_at": first.started_at.astimezone(UTC)}
    )


def test_r10_claim_of_dead_run_is_taken_over_after_lease(loaded: DynamoDbInvoiceStore) -> None:
    dead = attempt("run-dead")
    loaded.claim(K1001, dead, RUN_START + LEASE, [])
    with pytest.raises(ConcurrentUpdate):
        loaded.claim(
            K1001, attempt("run-2", RUN_START + LEASE - timedelta(seconds=1)), RUN_START + 2 * LEASE, []
        )
    next_night = attempt("run-2", RUN_START + timedelta(days=1))
    previous = loaded.claim(K1001, next_night, next_night.started_at + LEASE, [])
    assert previous is not None
    assert (previous.run_id, previous.channel, previous.started_at) == (
        "run-dead",
        Channel.EINVOICE,
        RUN_START,
    )
    with pytest.raises(ConcurrentUpdate):
        loaded.settle(K1001, "run-dead", sent())  # the dead run lost its claim
    loaded.settle(K1001, "run-2", failed())
    assert loaded.get_record(K1001).state is AutoDispatchState.FAILED


def test_r16_settle_sent_writes_outcome_and_leaves_the_index(loaded: DynamoDbInvoiceStore) -> None:
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    loaded.settle(
        K1001, "run-1", sent(Channel.EINVOICE, event(HistoryEventKind.SENT, channel=Channel.EINVOICE))
    )
    record = loaded.get_record(K1001)
    assert (record.state, record.status, record.channel, record.sent_on) == (
        AutoDispatchState.SENT,
        InvoiceStatus.SENT,
        Channel.EINVOICE,
        date(2026, 3, 10),
    )
    assert en(record.message) == "Sent automatically by e-invoice"
    assert en(record.details) == "Invoice sent automatically by e-invoice (EINVOICE)."
    assert K1001 not in pending_keys(loaded, RUN_START + timedelta(days=30))


def test_r23_settle_without_the_claim_is_refused(loaded: DynamoDbInvoiceStore) -> None:
    with pytest.raises(ConcurrentUpdate, match="not claimed by this run"):
        loaded.settle(K1001, "run-1", sent())
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    with pytest.raises(ConcurrentUpdate, match="claimed by run run-1"):
        loaded.settle(K1001, "run-2", sent())
    assert loaded.get_record(K1001).state is AutoDispatchState.PENDING


def test_r23_claim_and_settle_of_a_sent_invoice_is_two_writes(
    loaded: DynamoDbInvoiceStore, operations: list[str]
) -> None:
    operations.clear()
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [event(HistoryEventKind.CHANNEL_TRIED)])
    loaded.settle(K1001, "run-1", sent(Channel.EINVOICE, event(HistoryEventKind.SENT)))
    assert operations == ["UpdateItem", "UpdateItem"]


def test_r9_settled_invoice_is_never_claimed_again(loaded: DynamoDbInvoiceStore) -> None:
    loaded.settle_unclaimed(K1001, "run-1", failed(event(HistoryEventKind.FAILED)), RUN_START)
    assert loaded.get_record(K1001).state is AutoDispatchState.FAILED
    assert K1001 not in pending_keys(loaded, RUN_START + timedelta(days=30))
    with pytest.raises(ConcurrentUpdate, match="FAILED"):
        loaded.claim(
            K1001, attempt("run-2", RUN_START + timedelta(days=1)), RUN_START + timedelta(days=2), []
        )
    with pytest.raises(ConcurrentUpdate):
        loaded.settle_unclaimed(K1001, "run-2", failed(), RUN_START + timedelta(days=1))


def test_r23_settle_unclaimed_is_refused_while_another_run_holds_the_lease(
    loaded: DynamoDbInvoiceStore,
) -> None:
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    with pytest.raises(ConcurrentUpdate, match="claimed by run run-1"):
        loaded.settle_unclaimed(K1001, "run-2", failed(), RUN_START + timedelta(minutes=1))
    loaded.settle_unclaimed(K1001, "run-2", failed(), RUN_START + 2 * LEASE)  # the lease ran out
    assert loaded.get_record(K1001).state is AutoDispatchState.FAILED


def test_release_gives_the_claim_back_and_keeps_the_invoice_pending(loaded: DynamoDbInvoiceStore) -> None:
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    with pytest.raises(ConcurrentUpdate):
        loaded.release(K1001, "run-2", [])
    loaded.release(K1001, "run-1", [])
    assert (
        loaded.claim(K1001, attempt("run-2", RUN_START + timedelta(minutes=1)), RUN_START + LEASE, []) is None
    )
    assert K1001 in pending_keys(loaded)


def test_r12_next_attempt_needs_the_claim_and_moves_it_to_the_next_channel(
    loaded: DynamoDbInvoiceStore,
) -> None:
    with pytest.raises(ConcurrentUpdate):
        loaded.next_attempt(K1001, attempt("run-1", channel=Channel.EMAIL), [])
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    second = attempt("run-1", RUN_START + timedelta(seconds=5), Channel.EMAIL)
    loaded.next_attempt(K1001, second, [])
    # A retried claim of the same run reports the last attempt made, which may have gone out.
    assert loaded.claim(K1001, attempt("run-1", RUN_START + timedelta(minutes=1)), RUN_START + LEASE, []) == (
        second.model_copy(update={"started_at": second.started_at.astimezone(UTC)})
    )


def test_r19_history_appends_in_order(loaded: DynamoDbInvoiceStore) -> None:
    t = [RUN_START + timedelta(seconds=n) for n in range(5)]
    loaded.claim(
        K1001,
        attempt("run-1"),
        RUN_START + LEASE,
        [
            event(HistoryEventKind.QUEUED, t[0]),
            event(HistoryEventKind.CHANNEL_TRIED, t[1], channel=Channel.EINVOICE),
        ],
    )
    loaded.next_attempt(
        K1001,
        attempt("run-1", t[2], Channel.EMAIL),
        [event(HistoryEventKind.CHANNEL_REJECTED, t[2], channel=Channel.EINVOICE, detail="unknown address")],
    )
    loaded.settle(
        K1001, "run-1", sent(Channel.EMAIL, event(HistoryEventKind.SENT, t[3], channel=Channel.EMAIL))
    )
    history = loaded.get_record(K1001).history
    assert [entry.event for entry in history] == [
        HistoryEventKind.QUEUED,
        HistoryEventKind.CHANNEL_TRIED,
        HistoryEventKind.CHANNEL_REJECTED,
        HistoryEventKind.SENT,
    ]
    assert [entry.at for entry in history] == t[:4]
    assert en(history[2].detail) == "unknown address"
    assert history[2].channel is Channel.EINVOICE
    assert history[0].run_id == "run-1"


# User actions (R20, R22) -------------------------------------------------------------------------


def test_r20_remove_is_refused_while_a_run_holds_the_invoice(loaded: DynamoDbInvoiceStore) -> None:
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    with pytest.raises(InvalidTransition, match="a run is dispatching it now"):
        loaded.remove_auto(K1001, REMOVED_MESSAGE, event(HistoryEventKind.REMOVED_BY_USER, run_id=None))
    assert loaded.get_record(K1001).state is AutoDispatchState.PENDING


def test_r20_remove_and_restore_refusals_say_why(loaded: DynamoDbInvoiceStore) -> None:
    removal = event(HistoryEventKind.REMOVED_BY_USER, run_id=None)
    with pytest.raises(InvalidTransition, match="already sent"):
        loaded.remove_auto(key("kahvila", "k-1006"), REMOVED_MESSAGE, removal)
    with pytest.raises(InvalidTransition, match="already removed"):
        loaded.remove_auto(key("kahvila", "k-1007"), REMOVED_MESSAGE, removal)
    with pytest.raises(NotFound):
        loaded.remove_auto(key("kahvila", "nope"), REMOVED_MESSAGE, removal)
    restore = event(HistoryEventKind.RESTORED_BY_USER, run_id=None)
    with pytest.raises(InvalidTransition, match="its automatic dispatch is on"):
        loaded.restore_auto(K1001, RUN_START, restore)
    with pytest.raises(NotFound):
        loaded.restore_auto(key("kahvila", "nope"), RUN_START, restore)


def test_r20_restored_invoice_is_pending_again_at_its_due_time(loaded: DynamoDbInvoiceStore) -> None:
    loaded.remove_auto(K1001, REMOVED_MESSAGE, event(HistoryEventKind.REMOVED_BY_USER, run_id=None))
    restore_automatic_dispatch(loaded, K1001, lambda: RUN_START + timedelta(hours=8), ZONE)
    record = loaded.get_record(K1001)
    assert (record.state, en(record.message)) == (AutoDispatchState.PENDING, None)
    assert [entry.event for entry in record.history] == [
        HistoryEventKind.REMOVED_BY_USER,
        HistoryEventKind.RESTORED_BY_USER,
    ]
    entries = {entry.key: entry for entry in loaded.pending(RUN_START)}
    assert entries[K1001].due_from == datetime(2026, 3, 10, tzinfo=HELSINKI)


def test_r9_failed_invoice_cannot_get_automatic_dispatch_back(loaded: DynamoDbInvoiceStore) -> None:
    loaded.settle_unclaimed(K1001, "run-1", failed(), RUN_START)
    with pytest.raises(InvalidTransition, match="its automatic dispatch failed"):
        loaded.restore_auto(K1001, RUN_START, event(HistoryEventKind.RESTORED_BY_USER, run_id=None))


def test_r22_manual_send_of_pending_invoice_ends_automatic_dispatch(loaded: DynamoDbInvoiceStore) -> None:
    at = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # already 10.3 in Helsinki
    manual = event(HistoryEventKind.SENT_MANUALLY, at, run_id=None)
    loaded.mark_sent_manually(K1001, Channel.EMAIL, local_date(at, ZONE), SENT_MANUALLY_MESSAGE, [manual])
    record = loaded.get_record(K1001)
    assert (record.state, record.status, record.channel, record.sent_on) == (
        AutoDispatchState.SENT,
        InvoiceStatus.SENT,
        Channel.EMAIL,
        date(2026, 3, 10),
    )
    assert record.history[-1].event is HistoryEventKind.SENT_MANUALLY
    assert K1001 not in pending_keys(loaded, RUN_START + timedelta(days=30))
    with pytest.raises(InvalidTransition, match="already sent"):
        loaded.mark_sent_manually(K1001, Channel.EMAIL, local_date(at, ZONE), SENT_MANUALLY_MESSAGE, [manual])


def test_r22_manual_send_of_failed_invoice_keeps_its_failed_state(loaded: DynamoDbInvoiceStore) -> None:
    loaded.settle_unclaimed(K1001, "run-1", failed(), RUN_START)
    manual = event(HistoryEventKind.SENT_MANUALLY, run_id=None)
    loaded.mark_sent_manually(K1001, Channel.PRINT, RUN_START.date(), SENT_MANUALLY_MESSAGE, [manual])
    record = loaded.get_record(K1001)
    assert (record.state, record.status, record.channel) == (
        AutoDispatchState.FAILED,
        InvoiceStatus.SENT,
        Channel.PRINT,
    )
    # The list shows that it went out; the details still explain why automatic dispatch failed.
    assert en(record.message) == "Sent manually"
    assert en(record.details) == en(failed().details)


def test_r23_manual_send_waits_for_a_live_claim_but_not_for_a_dead_one(loaded: DynamoDbInvoiceStore) -> None:
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    manual = event(HistoryEventKind.SENT_MANUALLY, RUN_START + timedelta(minutes=1), run_id=None)
    with pytest.raises(InvalidTransition, match="a run is dispatching it now"):
        loaded.mark_sent_manually(K1001, Channel.EMAIL, RUN_START.date(), SENT_MANUALLY_MESSAGE, [manual])
    later = event(HistoryEventKind.SENT_MANUALLY, RUN_START + timedelta(hours=1), run_id=None)
    loaded.mark_sent_manually(K1001, Channel.EMAIL, RUN_START.date(), SENT_MANUALLY_MESSAGE, [later])
    assert loaded.get_record(K1001).status is InvoiceStatus.SENT
    with pytest.raises(ConcurrentUpdate):
        loaded.settle(K1001, "run-1", sent())


# Records -----------------------------------------------------------------------------------------


def test_r19_records_by_batch_and_by_state(loaded: DynamoDbInvoiceStore, operations: list[str]) -> None:
    loaded.settle_unclaimed(K1001, "run-1", failed(), RUN_START)
    operations.clear()
    keys = [K1001, key("kahvila", "k-1006"), key("kahvila", "nope")]
    records = loaded.get_records(keys)
    assert set(records) == {K1001, key("kahvila", "k-1006")}
    assert operations == ["BatchGetItem"]
    assert [r.invoice_id for r in loaded.list_records("kahvila", AutoDispatchState.FAILED)] == ["k-1001"]
    assert [r.invoice_id for r in loaded.list_records("kahvila", AutoDispatchState.REMOVED)] == ["k-1007"]
    assert len(loaded.list_records("tilitoimisto", AutoDispatchState.PENDING)) == 4


def test_batch_reads_split_into_requests_of_100_keys(
    loaded: DynamoDbInvoiceStore, scenario: Scenario, operations: list[str]
) -> None:
    many = [invoice(scenario, "k-1001").model_copy(update={"invoice_id": f"m-{n:03d}"}) for n in range(130)]
    import_invoices(loaded, many, ZONE, datetime.now(UTC))
    # 130 documents, 25 per request; the import's journal: its before-images, then their deletion.
    assert operations.count("BatchWriteItem") == 6 + 2
    operations.clear()
    assert len(loaded.get_invoices(each.key for each in many)) == 130
    assert operations == ["BatchGetItem", "BatchGetItem"]


# Runs and notifications (R21) ----------------------------------------------------------------------


def test_runs_summary_counters_and_newest_first(store: DynamoDbInvoiceStore) -> None:
    first = RunRef(run_id="run-a", run_date=date(2026, 3, 9))
    second = RunRef(run_id="run-b", run_date=date(2026, 3, 10))
    for ref in (first, second):
        store.put_run(RunSummary(run_id=ref.run_id, run_date=ref.run_date, started_at=RUN_START))
    store.add_run_counts(second, RunCounts(selected=5))
    store.add_run_counts(second, RunCounts(sent=3, failed=1))
    store.add_run_counts(second, RunCounts(sent=1, ignored=1, follow_ups_failed=1))
    run = store.get_run("run-b")
    assert run.counts == RunCounts(selected=5, sent=4, ignored=1, failed=1, follow_ups_failed=1)  # R17
    assert run.started_at == RUN_START
    assert [r.run_id for r in store.list_runs()] == ["run-b", "run-a"]
    assert [r.run_id for r in store.list_runs(limit=1)] == ["run-b"]
    with pytest.raises(NotFound):
        store.get_run("run-x")
    with pytest.raises(NotFound):
        store.add_run_counts(RunRef(run_id="run-x", run_date=date(2026, 3, 10)), RunCounts(sent=1))


def test_r21_run_issues_are_kept_per_invoice_and_retry_safe(store: DynamoDbInvoiceStore) -> None:
    run = RunRef(run_id="run-1", run_date=date(2026, 3, 10))
    issues = [
        RunIssue(
            tenant_id="kahvila", invoice_id="k-1", number="1", state=AutoDispatchState.FAILED, message="a"
        ),
        RunIssue(
            tenant_id="kahvila", invoice_id="k-2", number="2", state=AutoDispatchState.IGNORED, message="b"
        ),
        RunIssue(
            tenant_id="kahvila", invoice_id="k-2", number="2", state=AutoDispatchState.FAILED, message="c"
        ),
        RunIssue(  # R21: what the notification shows of the invoice is read back too
            tenant_id="kahvila",
            invoice_id="k-3",
            number="3",
            state=AutoDispatchState.FAILED,
            message="d",
            details="d.\n1. EMAIL (cannot be used): the customer has no email address",
            customer_name="Ei Osoitetta",
            amount=Decimal("56.48"),
            currency="EUR",
        ),
    ]
    store.add_run_issues(run, issues)
    store.add_run_issues(run, issues[:1])  # a retried batch
    assert sorted(store.run_issues("run-1"), key=lambda issue: en(issue.message)) == issues
    assert store.run_issues("run-2") == []


def test_r21_notification_claimed_once(store: DynamoDbInvoiceStore) -> None:
    assert store.claim_notification("run-1", "kahvila", "EMAIL") is True
    assert store.claim_notification("run-1", "kahvila", "EMAIL") is False
    assert store.claim_notification("run-1", "kahvila", "SMS") is True
    assert store.claim_notification("run-1", "tilitoimisto", "EMAIL") is True
    assert store.claim_notification("run-2", "kahvila", "EMAIL") is True
    store.release_notification("run-1", "kahvila", "EMAIL")
    assert store.claim_notification("run-1", "kahvila", "EMAIL") is True
    assert store.claim_notification("run-1", "kahvila", "EMAIL") is False


# Errors, retries, no Scan --------------------------------------------------------------------------


class _FlakyClient:
    """Delegates to the real client, but answers chosen operations with chosen results first."""

    def __init__(self, real: Any, scripted: dict[str, list[Any]]) -> None:
        self._real = real
        self._scripted = scripted

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._real, name)
        if name not in self._scripted:
            return real

        def call(**params: Any) -> Any:
            if self._scripted[name]:
                answer = self._scripted[name].pop(0)
                if isinstance(answer, Exception):
                    raise answer
                return answer(params) if callable(answer) else answer
            return real(**params)

        return call


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    "code",
    [
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
    ],
)
def test_throttling_and_server_errors_become_transient(
    loaded: DynamoDbInvoiceStore, dynamodb: Any, code: str
) -> None:
    flaky = _FlakyClient(dynamodb, {"update_item": [_client_error(code, 400)]})
    store = DynamoDbInvoiceStore(TABLE_NAME, ZONE, flaky)  # type: ignore[arg-type]
    with pytest.raises(TransientError, match=code):
        store.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    store.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])  # the retry succeeds


def test_other_client_errors_are_not_transient(loaded: DynamoDbInvoiceStore, dynamodb: Any) -> None:
    flaky = _FlakyClient(dynamodb, {"get_item": [_client_error("ValidationException", 400)]})
    store = DynamoDbInvoiceStore(TABLE_NAME, ZONE, flaky)  # type: ignore[arg-type]
    with pytest.raises(ClientError):
        store.get_record(K1001)


def test_batch_write_retries_unprocessed_items_with_backoff(
    store: DynamoDbInvoiceStore, dynamodb: Any, scenario: Scenario
) -> None:
    def half_processed(params: dict[str, Any]) -> dict[str, Any]:
        requests = params["RequestItems"][TABLE_NAME]
        dynamodb.batch_write_item(RequestItems={TABLE_NAME: requests[:1]})
        return {"UnprocessedItems": {TABLE_NAME: requests[1:]}}

    for each in scenario.tenants:
        store.put_tenant(each)
    pauses: list[float] = []
    # The first batch is the import's journal (one item: all processed), then the documents'.
    flaky = _FlakyClient(dynamodb, {"batch_write_item": [half_processed] * 3})
    retrying = DynamoDbInvoiceStore(TABLE_NAME, ZONE, flaky, sleep=pauses.append)  # type: ignore[arg-type]
    import_invoices(retrying, scenario.invoices, ZONE, datetime.now(UTC))
    assert len(retrying.get_invoices(each.key for each in scenario.invoices)) == len(scenario.invoices)
    assert len(pauses) == 2
    assert pauses[0] < pauses[1]


def test_batch_write_gives_up_after_bounded_attempts(store: DynamoDbInvoiceStore, dynamodb: Any) -> None:
    def nothing_processed(params: dict[str, Any]) -> dict[str, Any]:
        return {"UnprocessedItems": params["RequestItems"]}

    flaky = _FlakyClient(dynamodb, {"batch_write_item": [nothing_processed] * 10})
    giving_up = DynamoDbInvoiceStore(TABLE_NAME, ZONE, flaky, max_batch_attempts=3, sleep=lambda _: None)  # type: ignore[arg-type]
    run = RunRef(run_id="run-1", run_date=date(2026, 3, 10))
    issue = RunIssue(tenant_id="t", invoice_id="i", number="1", state=AutoDispatchState.FAILED, message="m")
    with pytest.raises(TransientError, match="unprocessed"):
        giving_up.add_run_issues(run, [issue])


def test_client_is_created_lazily_from_the_environment(dynamodb: Any, scenario: Scenario) -> None:
    lazy = DynamoDbInvoiceStore(TABLE_NAME, ZONE)
    assert lazy._client is None
    lazy.put_tenant(tenant(scenario, "kahvila"))
    assert lazy.client.meta.region_name == "eu-north-1"
    assert lazy.get_tenant("kahvila").tenant_id == "kahvila"


def test_a_whole_night_never_scans(
    loaded: DynamoDbInvoiceStore, scenario: Scenario, operations: list[str]
) -> None:
    for entry in list(loaded.pending(RUN_START)):
        loaded.claim(entry.key, attempt("run-1"), RUN_START + LEASE, [event(HistoryEventKind.QUEUED)])
        loaded.settle(entry.key, "run-1", sent())
    save_tenant(
        loaded, with_settings(tenant(scenario, "kahvila"), timing=Timing.INVOICE_DATE), ZONE, RUN_START
    )
    loaded.list_records("kahvila")
    loaded.put_run(RunSummary(run_id="run-1", run_date=date(2026, 3, 10), started_at=RUN_START))
    loaded.get_run("run-1")
    loaded.list_runs()
    loaded.run_issues("run-1")
    loaded.list_tenants()
    assert operations
    assert "Scan" not in operations
    assert pending_keys(loaded) == set()


def test_run_records_expire_through_the_table_ttl(loaded: DynamoDbInvoiceStore, dynamodb: Any) -> None:
    """Runs, their issues and notification markers are deleted by DynamoDB's TTL after 400 days."""
    loaded.put_run(RunSummary(run_id="run-ttl", run_date=date(2026, 3, 10), started_at=RUN_START))
    loaded.claim_notification("run-ttl", "kahvila", "EMAIL")
    items = dynamodb.query(
        TableName=loaded.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "RUN#run-ttl"}},
    )["Items"]
    assert len(items) == 2
    pointer = next(item for item in items if item["sk"]["S"] == "RUN")
    run_expiry = datetime.fromtimestamp(int(pointer["expires_at"]["N"]), UTC).date()
    assert run_expiry == date(2027, 4, 14)
    assert all("expires_at" in item for item in items)


def test_r23_an_invoice_being_sent_cannot_be_reimported(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    """Its retry would repeat the send under a message id derived from the new document."""
    loaded.claim(K1001, attempt("run-1"), RUN_START + LEASE, [])
    corrected = next(i for i in scenario.invoices if i.key == K1001).model_copy(update={"number": "2001"})
    with pytest.raises(InputError) as refused:
        import_invoices(loaded, [corrected], ZONE, datetime.now(UTC))
    assert [(issue.tenant_id, issue.invoice_id) for issue in refused.value.issues] == [("kahvila", "k-1001")]
    assert loaded.get_invoices([K1001])[K1001].number == "1001"
    loaded.settle(K1001, "run-1", sent())
    with pytest.raises(InvoiceSent):  # once sent, the sent document stays (R5, R19)
        import_invoices(loaded, [corrected], ZONE, datetime.now(UTC))
    assert loaded.get_invoices([K1001])[K1001].number == "1001"
