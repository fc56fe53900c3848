"""The store port's contract for a run's conditional writes (R10, R23, R24), its counts, issues
and notification markers (R21), and email feedback (R26), on the fake and on DynamoDB alike."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from autodispatch.errors import ConcurrentUpdate, NotFound
from autodispatch.models.dispatch import HistoryEvent, InitialState
from autodispatch.models.enums import (
    AutoDispatchState,
    Channel,
    DeliveryKind,
    HistoryEventKind,
    InvoiceStatus,
)
from autodispatch.models.scenario import Invoice
from autodispatch.models.text import Text, verbatim
from autodispatch.store.port import Attempt, InvoiceStore, RunCounts, RunIssue, RunRef, RunSummary, Settlement

NOW = datetime(2026, 3, 9, 22, 0, tzinfo=UTC)
LEASE = timedelta(minutes=15)
RUN = RunRef(run_id="night", run_date=date(2026, 3, 10))


def stored(store: InvoiceStore, build: Any, invoice_id: str = "inv-1") -> Invoice:
    store.put_tenant(build.tenant())
    invoice = build.invoice(invoice_id=invoice_id)
    store.put_invoices([(invoice, InitialState(state=AutoDispatchState.PENDING, due_from=NOW))], NOW)
    return invoice


def attempt(claimant: str, channel: Channel = Channel.EINVOICE, at: datetime = NOW, **extra: Any) -> Attempt:
    return Attempt(run_id=claimant, channel=channel, kind=DeliveryKind.INVOICE, started_at=at, **extra)


def run_event(kind: HistoryEventKind, channel: Channel | None = None) -> HistoryEvent:
    return HistoryEvent(at=NOW, event=kind, channel=channel, run_id=RUN.run_id)


def failed(message: str = "failed") -> Settlement:
    return Settlement(
        state=AutoDispatchState.FAILED,
        message=verbatim(message),
        details=verbatim("why"),
        events=(run_event(HistoryEventKind.FAILED),),
    )


def sent(channel: Channel = Channel.EMAIL) -> Settlement:
    return Settlement(
        state=AutoDispatchState.SENT,
        channel=channel,
        sent_on=RUN.run_date,
        message=verbatim("sent"),
        details=verbatim("how"),
        events=(run_event(HistoryEventKind.SENT, channel),),
    )


def test_r23_a_live_claim_keeps_every_other_claimant_out(store: InvoiceStore, build: Any) -> None:
    invoice = stored(store, build)
    queued = run_event(HistoryEventKind.QUEUED)
    assert store.claim(invoice.key, attempt("night/a"), NOW + LEASE, [queued]) is None
    with pytest.raises(ConcurrentUpdate):
        store.claim(invoice.key, attempt("night/b", at=NOW + LEASE - timedelta(seconds=1)), NOW + LEASE, [])
    with pytest.raises(ConcurrentUpdate):
        store.settle(invoice.key, "night/b", sent())
    with pytest.raises(ConcurrentUpdate):
        store.settle_unclaimed(invoice.key, "night/b", failed(), NOW)
    with pytest.raises(ConcurrentUpdate):
        store.next_attempt(invoice.key, attempt("night/b", Channel.EMAIL), [])
    with pytest.raises(ConcurrentUpdate):
        store.release(invoice.key, "night/b", [])
    record = store.get_record(invoice.key)
    assert (record.state, record.unfinished_attempt, record.history) == (
        AutoDispatchState.PENDING,
        Channel.EINVOICE,
        (queued,),
    )


def test_r10_r23_an_expired_claim_is_taken_over_and_its_attempt_returned(
    store: InvoiceStore, build: Any
) -> None:
    invoice = stored(store, build)
    dead = attempt("night/a", Channel.EMAIL)
    store.claim(invoice.key, dead, NOW + LEASE, [])
    later = NOW + LEASE + timedelta(seconds=1)
    prior = store.claim(invoice.key, attempt("night/b", at=later), later + LEASE, [])
    assert prior == dead
    # The same claimant may claim again; the claim returns its own attempt.
    again = attempt("night/b", Channel.PRINT, at=later + timedelta(seconds=1))
    assert store.claim(invoice.key, again, later + LEASE, []) == attempt("night/b", at=later)


def test_r23_the_delivered_marker_survives_later_attempts_and_hides_the_unfinished_attempt(
    store: InvoiceStore, build: Any
) -> None:
    invoice = stored(store, build)
    store.claim(invoice.key, attempt("night/a"), NOW + LEASE, [])
    marker = Attempt(
        run_id="night/a",
        channel=Channel.EMAIL,
        kind=DeliveryKind.FACTORING,
        started_at=NOW,
        delivered=Channel.EINVOICE,
    )
    store.next_attempt(invoice.key, marker, [run_event(HistoryEventKind.SENT, Channel.EINVOICE)])
    store.next_attempt(invoice.key, marker.model_copy(update={"delivered": None}), [])
    assert store.get_record(invoice.key).unfinished_attempt is None
    assert store.get_record(invoice.key).delivered_unsettled is Channel.EINVOICE  # sent, not settled
    later = NOW + LEASE + timedelta(seconds=1)
    prior = store.claim(invoice.key, attempt("night/b", at=later), later + LEASE, [])
    assert prior is not None
    assert (prior.kind, prior.delivered) == (DeliveryKind.FACTORING, Channel.EINVOICE)


def test_r23_a_claim_keeps_the_delivered_marker_it_is_given(store: InvoiceStore, build: Any) -> None:
    invoice = stored(store, build)
    resumed = Attempt(
        run_id="night/b",
        channel=Channel.EMAIL,
        kind=DeliveryKind.FACTORING,
        started_at=NOW,
        delivered=Channel.PRINT,
    )
    store.claim(invoice.key, resumed, NOW - timedelta(seconds=1), [])
    assert store.get_record(invoice.key).unfinished_attempt is None
    assert store.claim(invoice.key, attempt("night/c"), NOW + LEASE, []) == resumed


def test_r19_settling_sent_ends_the_claim_and_takes_it_off_the_index(store: InvoiceStore, build: Any) -> None:
    invoice = stored(store, build)
    store.claim(invoice.key, attempt("night/a"), NOW + LEASE, [])
    store.settle(invoice.key, "night/a", sent(Channel.EINVOICE))
    record = store.get_record(invoice.key)
    assert (record.state, record.status, record.channel, record.sent_on, record.message, record.details) == (
        AutoDispatchState.SENT,
        InvoiceStatus.SENT,
        Channel.EINVOICE,
        RUN.run_date,
        verbatim("sent"),
        verbatim("how"),
    )
    assert record.unfinished_attempt is None
    assert list(store.pending(NOW + timedelta(days=1))) == []
    with pytest.raises(ConcurrentUpdate):
        store.claim(invoice.key, attempt("night/a"), NOW + LEASE, [])


def test_r19_a_settlement_ends_in_a_final_state(store: InvoiceStore, build: Any) -> None:
    invoice = stored(store, build)
    store.claim(invoice.key, attempt("night/a"), NOW + LEASE, [])
    pending = Settlement(state=AutoDispatchState.PENDING, message=verbatim("m"), details=verbatim("d"))
    with pytest.raises(ValueError, match="SENT, IGNORED or FAILED"):
        store.settle(invoice.key, "night/a", pending)


def test_r23_release_gives_the_claim_back_and_keeps_the_events(store: InvoiceStore, build: Any) -> None:
    invoice = stored(store, build)
    store.claim(invoice.key, attempt("night/a"), NOW + LEASE, [])
    rejected = run_event(HistoryEventKind.CHANNEL_REJECTED, Channel.EINVOICE)
    store.release(invoice.key, "night/a", [rejected])
    record = store.get_record(invoice.key)
    assert (record.state, record.unfinished_attempt, record.history) == (
        AutoDispatchState.PENDING,
        None,
        (rejected,),
    )
    store.settle_unclaimed(invoice.key, "night/b", failed(), NOW)
    assert store.get_record(invoice.key).state is AutoDispatchState.FAILED


def test_r24_what_a_run_left_is_settled_by_its_sweep_but_not_another_runs_claim(
    store: InvoiceStore, build: Any
) -> None:
    mine, theirs = stored(store, build, "mine"), stored(store, build, "theirs")
    store.claim(mine.key, attempt("night/a"), NOW + LEASE, [])
    store.claim(theirs.key, attempt("other-night/a"), NOW + LEASE, [])
    store.settle_left_by_run(mine.key, "night", "night/sweep", failed("left"), NOW)
    with pytest.raises(ConcurrentUpdate):
        store.settle_left_by_run(theirs.key, "night", "night/sweep", failed("left"), NOW)
    assert (store.get_record(mine.key).state, store.get_record(mine.key).message) == (
        AutoDispatchState.FAILED,
        verbatim("left"),
    )
    assert store.get_record(theirs.key).state is AutoDispatchState.PENDING


def test_r21_runs_count_every_outcome_and_list_newest_first(store: InvoiceStore) -> None:
    older = RunSummary(run_id="a", run_date=date(2026, 3, 9), started_at=NOW)
    newer = RunSummary(run_id="b", run_date=date(2026, 3, 10), started_at=NOW)
    store.put_run(older)
    store.put_run(newer)
    ref = RunRef(run_id="b", run_date=date(2026, 3, 10))
    store.add_run_counts(ref, RunCounts(selected=3, sent=1))
    store.add_run_counts(ref, RunCounts(failed=1, follow_ups_failed=1))
    assert store.get_run("b").counts == RunCounts(selected=3, sent=1, failed=1, follow_ups_failed=1)
    assert [run.run_id for run in store.list_runs()] == ["b", "a"]
    assert [run.run_id for run in store.list_runs(limit=1)] == ["b"]
    with pytest.raises(NotFound):
        store.add_run_counts(RunRef(run_id="nope", run_date=date(2026, 3, 10)), RunCounts(sent=1))
    with pytest.raises(NotFound):
        store.get_run("nope")


def test_r21_a_run_issue_written_again_is_kept_once(store: InvoiceStore) -> None:
    store.put_run(RunSummary(run_id=RUN.run_id, run_date=RUN.run_date, started_at=NOW))
    issue = RunIssue(
        tenant_id="seller",
        invoice_id="inv-1",
        number="1001",
        state=AutoDispatchState.FAILED,
        message=verbatim("m"),
    )
    follow_up = issue.model_copy(update={"state": AutoDispatchState.SENT, "message": verbatim("copy failed")})
    store.add_run_issues(RUN, [issue, follow_up])
    store.add_run_issues(RUN, [issue])
    assert sorted(store.run_issues(RUN.run_id), key=lambda found: found.message.model_dump_json()) == [
        follow_up,
        issue,
    ]
    assert store.run_issues("other") == []


def test_r12_r24_the_nights_first_email_account_fault_is_kept_on_the_run(store: InvoiceStore) -> None:
    store.put_run(
        RunSummary(run_id=RUN.run_id, run_date=RUN.run_date, started_at=NOW, counts=RunCounts(selected=2))
    )
    assert store.email_stop(RUN) is None
    first = Text.of("email_account.suspended")
    store.stop_email(RUN, first)
    store.stop_email(RUN, verbatim("a later cause"))  # another batch's fault: the first stays
    assert store.email_stop(RUN) == first
    assert store.get_run(RUN.run_id).counts == RunCounts(selected=2)  # the run's counts untouched
    other = RunRef(run_id="other", run_date=RUN.run_date)
    assert store.email_stop(other) is None
    store.stop_email(other, first)  # a run never put keeps nothing
    assert store.email_stop(other) is None


def test_r21_a_run_s_issues_are_listed_by_tenant_and_read_by_a_range_of_tenants(store: InvoiceStore) -> None:
    """The notification plan's listing and a chunk's read (R21): ids that are prefixes of others
    ('a', 'a1'), and `-`, `.`, `:` and `_` in ids, all sort as the plain ids do."""
    tenants = ["a", "a-b", "a.c", "a1", "a:d", "a_e", "b", "bä"]
    issues = [
        RunIssue(
            tenant_id=tenant,
            invoice_id=f"inv-{n}",
            number=str(n),
            state=AutoDispatchState.FAILED,
            message=verbatim("m"),
        )
        for n, tenant in enumerate(tenants * 2)
    ]
    store.add_run_issues(RUN, issues)
    store.add_run_issues(RunRef(run_id="other", run_date=RUN.run_date), issues[:3])
    assert store.run_issue_tenants(RUN.run_id) == [(tenant, 2) for tenant in sorted(tenants)]
    assert store.run_issue_tenants("none") == []
    ranged = store.tenant_run_issues(RUN.run_id, "a.c", "a:d")
    assert sorted((issue.tenant_id, issue.invoice_id) for issue in ranged) == sorted(
        (issue.tenant_id, issue.invoice_id) for issue in issues if issue.tenant_id in {"a.c", "a1", "a:d"}
    )
    assert [issue.tenant_id for issue in store.tenant_run_issues(RUN.run_id, "a", "a")] == ["a", "a"]
    assert {issue.tenant_id for issue in store.tenant_run_issues(RUN.run_id, "b", "bä")} == {"b", "bä"}


def test_r21_a_tenant_is_notified_once_per_run_unless_the_claim_is_given_back(store: InvoiceStore) -> None:
    assert store.claim_notification("night", "seller", "EMAIL") is True
    assert store.claim_notification("night", "seller", "EMAIL") is False
    assert store.claim_notification("night", "seller", "SMS") is True
    store.release_notification("night", "seller", "EMAIL")
    assert store.claim_notification("night", "seller", "EMAIL") is True
    assert store.claim_notification("night", "seller", "EMAIL") is False


def sent_by_email(store: InvoiceStore, build: Any) -> Invoice:
    invoice = stored(store, build)
    store.claim(invoice.key, attempt("night/a", Channel.EMAIL), NOW + LEASE, [])
    store.settle(invoice.key, "night/a", sent(Channel.EMAIL))
    return invoice


def test_r26_a_delivery_event_is_recorded_once(store: InvoiceStore, build: Any) -> None:
    invoice = sent_by_email(store, build)
    delivered = run_event(HistoryEventKind.EMAIL_DELIVERED, Channel.EMAIL)
    assert store.record_delivery_event(invoice.key, "ses-1", delivered) is True
    assert store.record_delivery_event(invoice.key, "ses-1", delivered) is False
    assert store.get_record(invoice.key).history[-1] == delivered
    assert len(store.get_record(invoice.key).history) == 2


def test_r26_a_bounce_reopens_the_invoice_once(store: InvoiceStore, build: Any) -> None:
    invoice = sent_by_email(store, build)
    bounced = run_event(HistoryEventKind.EMAIL_BOUNCED, Channel.EMAIL)
    due = NOW + timedelta(hours=1)
    assert store.reopen_after_bounce(
        invoice.key, "ses-2", due_from=due, message=verbatim("bounced"), events=[bounced]
    )
    record = store.get_record(invoice.key)
    assert (record.state, record.status, record.channel, record.sent_on, record.message, record.details) == (
        AutoDispatchState.PENDING,
        InvoiceStatus.UNSENT,
        None,
        None,
        verbatim("bounced"),
        None,
    )
    assert [entry.due_from for entry in store.pending(due + timedelta(seconds=1))] == [due]
    assert not store.reopen_after_bounce(
        invoice.key, "ses-2", due_from=due, message=verbatim("again"), events=[bounced]
    )
    with pytest.raises(ConcurrentUpdate):
        store.fail_after_bounce(
            invoice.key, "ses-3", message=verbatim("m"), details=verbatim("d"), events=[bounced]
        )


def test_r26_a_bounce_with_no_channel_after_email_fails_the_invoice(store: InvoiceStore, build: Any) -> None:
    invoice = sent_by_email(store, build)
    bounced = run_event(HistoryEventKind.EMAIL_BOUNCED, Channel.EMAIL)
    assert store.fail_after_bounce(
        invoice.key, "ses-4", message=verbatim("bounced"), details=verbatim("no print"), events=[bounced]
    )
    record = store.get_record(invoice.key)
    assert (record.state, record.status, record.channel, record.details) == (
        AutoDispatchState.FAILED,
        InvoiceStatus.UNSENT,
        None,
        verbatim("no print"),
    )
    assert not store.fail_after_bounce(
        invoice.key, "ses-4", message=verbatim("again"), details=verbatim("d"), events=[bounced]
    )


def test_r21_r26_notices_wait_for_the_next_notification_until_cleared(store: InvoiceStore) -> None:
    first = RunIssue(
        tenant_id="a", invoice_id="1", number="1", state=AutoDispatchState.FAILED, message=verbatim("bounced")
    )
    second = first.model_copy(update={"tenant_id": "b"})
    store.add_notice(first)
    store.add_notice(second)
    store.add_notice(first)
    assert store.notices() == [first, second]
    store.clear_notices([first])
    assert store.notices() == [second]


def test_r21_one_execution_holds_the_night_until_it_releases_it_or_its_lease_ends(
    store: InvoiceStore,
) -> None:
    night = date(2026, 3, 10)
    first, second = RunRef(run_id="first", run_date=night), RunRef(run_id="second", run_date=night)
    assert store.hold_night(first, NOW + LEASE, NOW) is None
    assert store.hold_night(first, NOW + LEASE, NOW) is None  # a retried step holds it still
    assert store.hold_night(second, NOW + LEASE, NOW) == "first"
    assert store.night_holder(night) == "first"
    assert store.hold_night(second, NOW + LEASE, NOW + LEASE + timedelta(seconds=1)) is None  # lease ended
    store.release_night(first)  # not the holder any more: changes nothing
    assert store.hold_night(first, NOW + LEASE, NOW) == "second"
    store.release_night(second)
    assert store.hold_night(first, NOW + LEASE, NOW) is None  # a catch-up after the night finished
