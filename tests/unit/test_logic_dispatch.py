"""BatchDispatcher on in-memory fakes (no AWS, no network): the channel chain as a run carries it
out (R11-R18), what it records (R19) and how it recovers from crashes and errors (R10, R23, R24)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autodispatch.channels import documents
from autodispatch.errors import AccountFault, PermanentRejection, TransientError
from autodispatch.i18n import render
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.logic.unfinished import settle_unfinished
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind
from autodispatch.models.scenario import Invoice, Tenant
from autodispatch.models.text import Text
from autodispatch.store.port import Attempt, RunCounts, RunRef
from tests.fakes.channels import Parts
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.store import InMemoryInvoiceStore
from tests.words import en

ZONE = ZoneInfo("Europe/Helsinki")
RUN = RunRef(run_id="night-1", run_date=date(2026, 3, 10))
STARTED = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
LEASE = timedelta(minutes=15)
FACTORING = {
    "financier_name": "Rahoitus Oy",
    "agreement_id": "FA-1",
    "email": "factoring@rahoitus.example",
}


class Clock:
    def __init__(self) -> None:
        self.now = STARTED

    def __call__(self) -> datetime:
        return self.now


class World:
    """A tenant, its invoices in the fake store, a scripted deliverer and the dispatcher."""

    def __init__(self, tenant: Tenant, *invoices: Invoice) -> None:
        self.store = InMemoryInvoiceStore()
        self.store.add_tenant(tenant)
        self.store.add_run(RUN, STARTED)
        for invoice in invoices:
            self.store.add_invoice(invoice)
        self.deliverer = ScriptedDeliverer()
        self.clock = Clock()

    def dispatch(self, *invoice_ids: str, run: RunRef = RUN) -> Any:
        keys = [key for key in self.store.items if not invoice_ids or key.invoice_id in invoice_ids]
        dispatcher = BatchDispatcher(self.store, self.deliverer, ZONE, LEASE, self.clock)
        return dispatcher.dispatch(run, keys)

    def record(self, invoice_id: str = "inv-1") -> Any:
        return self.store.record(next(key for key in self.store.items if key.invoice_id == invoice_id))

    def events(self, invoice_id: str = "inv-1") -> list[str]:
        return [event.event.value for event in self.record(invoice_id).history]

    def hold(
        self, invoice_id: str, claimant: str, channel: Channel, delivered: Channel | None = None
    ) -> None:
        key = next(key for key in self.store.items if key.invoice_id == invoice_id)
        attempt = Attempt(
            run_id=claimant,
            channel=channel,
            kind=DeliveryKind.FACTORING if delivered else DeliveryKind.INVOICE,
            started_at=self.clock.now,
            delivered=delivered,
        )
        self.store.hold(key, attempt, self.clock.now + LEASE)


def test_r12_chain_starts_at_the_invoices_own_channel_and_skips_unusable_ones(build: Any) -> None:
    customer = build.business_customer(einvoice_address=None)
    world = World(build.tenant(), build.invoice(customer=customer))
    result = world.dispatch()
    record = world.record()
    assert (record.state, record.channel, record.sent_on) == (
        AutoDispatchState.SENT,
        Channel.EMAIL,
        RUN.run_date,
    )
    assert world.deliverer.channels_tried("inv-1") == [Channel.EMAIL]
    assert world.events() == ["QUEUED", "CHANNEL_SKIPPED", "CHANNEL_TRIED", "SENT"]
    assert en(record.message) == "Sent automatically by email after 1 unusable channel(s)"
    assert result.counts == RunCounts(sent=1)
    assert result.sent_by_channel == {Channel.EMAIL: 1}


def test_r12_an_own_channel_later_in_the_chain_never_goes_back_to_earlier_ones(build: Any) -> None:
    world = World(build.tenant(), build.invoice(delivery_channel="PRINT"))
    world.dispatch()
    assert world.deliverer.channels_tried("inv-1") == [Channel.PRINT]
    assert world.record().channel is Channel.PRINT


def test_r12_rejection_moves_on_to_the_next_enabled_channel(build: Any) -> None:
    world = World(build.tenant(), build.invoice())
    world.deliverer.fail("inv-1", Channel.EINVOICE, PermanentRejection("unknown e-invoice address"))
    world.dispatch()
    record = world.record()
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EMAIL)
    assert world.deliverer.channels_tried("inv-1") == [Channel.EINVOICE, Channel.EMAIL]
    assert world.events() == ["QUEUED", "CHANNEL_TRIED", "CHANNEL_REJECTED", "CHANNEL_TRIED", "SENT"]
    rejected = world.record().history[2]
    assert (rejected.channel, en(rejected.detail)) == (Channel.EINVOICE, "unknown e-invoice address")
    assert en(record.details) is not None
    assert "E-invoice to a business or consumer (rejected): unknown e-invoice address" in en(record.details)
    # the store saw the new attempt before the email was sent
    assert world.store.writes == ["claim", "next_attempt", "settle", "add_run_counts"]


def test_r12_fallback_stops_at_a_channel_that_is_not_enabled(build: Any) -> None:
    tenant = build.tenant(settings={"channels": ["EINVOICE", "PRINT"]})
    world = World(tenant, build.invoice())
    world.deliverer.fail("inv-1", Channel.EINVOICE, PermanentRejection("operator refused"))
    result = world.dispatch()
    record = world.record()
    assert record.state is AutoDispatchState.FAILED
    assert world.deliverer.channels_tried("inv-1") == [Channel.EINVOICE]  # PRINT is never tried
    assert en(record.message) == ("Automatic dispatch failed: the e-invoice rejected it; email not enabled")
    assert en(record.details) is not None
    assert (
        "2. Email invoice (not enabled): not enabled in the setting "
        "“Use only the following invoice channels”, so the chain stops" in en(record.details)
    )
    assert result.counts == RunCounts(failed=1)
    assert [issue.invoice_id for issue in world.store.run_issues(RUN.run_id)] == ["inv-1"]


def test_r12_no_usable_channel_fails_without_claiming_or_sending(build: Any) -> None:
    customer = build.business_customer(einvoice_address=None, email=None, address=None)
    world = World(build.tenant(), build.invoice(customer=customer))
    world.dispatch()
    assert world.record().state is AutoDispatchState.FAILED
    assert world.deliverer.calls == []
    assert world.store.writes == ["settle_unclaimed", "add_run_issues", "add_run_counts"]
    assert world.events() == ["QUEUED", "CHANNEL_SKIPPED", "CHANNEL_SKIPPED", "CHANNEL_SKIPPED", "FAILED"]


def test_r11_own_channel_not_enabled_is_ignored_and_nothing_is_sent(build: Any) -> None:
    tenant = build.tenant(settings={"channels": ["EMAIL", "PRINT"]})
    world = World(tenant, build.invoice())
    result = world.dispatch()
    record = world.record()
    assert record.state is AutoDispatchState.IGNORED
    assert en(record.message) is not None
    assert "delivery channel “E-invoice to a business or consumer” is not enabled" in en(record.message)
    assert world.deliverer.calls == []
    assert result.counts == RunCounts(ignored=1)
    assert [issue.state for issue in world.store.run_issues(RUN.run_id)] == [AutoDispatchState.IGNORED]


def test_r18_direct_payment_goes_as_a_pre_notification_by_print_without_consent(build: Any) -> None:
    invoice = build.invoice(customer=build.consumer_customer(), payment_method="DIRECT_PAYMENT")
    world = World(build.tenant(), invoice)
    world.dispatch()
    assert world.deliverer.calls == [("inv-1", Channel.PRINT, DeliveryKind.DIRECT_PAYMENT_NOTICE)]
    assert (
        en(world.record().message)
        == "Direct-payment pre-notification sent automatically by print service after 1 unusable channel(s)"
    )


def test_r18_direct_payment_is_ignored_unless_einvoice_and_print_are_enabled(build: Any) -> None:
    invoice = build.invoice(customer=build.consumer_customer(), payment_method="DIRECT_PAYMENT")
    world = World(build.tenant(settings={"channels": ["EINVOICE", "EMAIL"]}), invoice)
    world.dispatch()
    record = world.record()
    assert record.state is AutoDispatchState.IGNORED
    assert en(record.message) is not None
    assert "(Print service not enabled)" in en(record.message)
    assert world.deliverer.calls == []


def test_r17_factoring_copy_follows_the_sent_invoice(build: Any) -> None:
    tenant = build.tenant(factoring=FACTORING)
    world = World(tenant, build.invoice(factoring=True))
    world.dispatch()
    assert world.record().state is AutoDispatchState.SENT
    assert world.deliverer.factoring_calls == [("inv-1", Channel.EMAIL)]
    assert world.events()[-2:] == ["SENT", "FACTORING_SENT"]
    # the delivered marker is written before the financier's copy goes
    assert world.store.writes == ["claim", "next_attempt", "settle", "add_run_counts"]


def test_r17_failed_factoring_copy_keeps_the_invoice_sent_and_counts_as_a_failure(
    build: Any, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(build.tenant(factoring=FACTORING), build.invoice(factoring=True))
    world.deliverer.fail_factoring(PermanentRejection("mailbox full of Liisa's mail"))
    result = world.dispatch()
    # Logged with its ids and the error's type only: the error's text may carry personal data.
    (logged,) = [r for r in caplog.records if r.getMessage() == "factoring copy not sent"]
    assert (logged.run_id, logged.tenant_id, logged.invoice_id, logged.error_type) == (  # type: ignore[attr-defined]
        RUN.run_id,
        "seller",
        "inv-1",
        "PermanentRejection",
    )
    assert all("Liisa" not in r.getMessage() and "Liisa" not in str(r.__dict__) for r in caplog.records)
    assert world.record().state is AutoDispatchState.SENT
    assert world.events()[-1] == "FACTORING_FAILED"
    issue = world.store.run_issues(RUN.run_id)[0]
    assert (issue.state, en(issue.message)) == (
        AutoDispatchState.SENT,
        "Sent, but the factoring message to Rahoitus Oy failed: mailbox full of Liisa's mail",
    )
    assert issue.customer_name is not None
    assert issue.amount is not None
    # The invoice counts as sent and its failed factoring message as a failure of the run.
    assert result.counts == RunCounts(sent=1, follow_ups_failed=1)


def test_r23_email_left_unfinished_by_a_crashed_run_ends_failed_in_doubt(build: Any) -> None:
    world = World(build.tenant(), build.invoice(delivery_channel="EMAIL"))
    world.hold("inv-1", "dead/1", Channel.EMAIL)
    world.clock.now += timedelta(hours=1)  # its lease ran out
    world.dispatch()
    record = world.record()
    assert record.state is AutoDispatchState.FAILED
    assert en(record.message) == (
        "Automatic dispatch failed: sending by email was cut off (a run stopped, or the service did "
        "not answer); it is unknown whether the invoice reached the customer, so it is not sent again "
        "automatically"
    )
    assert world.deliverer.calls == []


def test_r23_email_timing_out_after_sending_ends_failed_in_doubt(build: Any) -> None:
    world = World(build.tenant(), build.invoice(delivery_channel="EMAIL"))
    world.deliverer.fail("inv-1", Channel.EMAIL, TransientError("no answer", in_doubt=True))
    result = world.dispatch()
    assert world.record().state is AutoDispatchState.FAILED
    assert world.deliverer.channels_tried("inv-1") == [Channel.EMAIL]
    assert result.counts == RunCounts(failed=1)


def test_r10_r23_claim_of_a_dead_run_is_taken_over_after_its_lease(build: Any) -> None:
    world = World(build.tenant(), build.invoice())
    world.hold("inv-1", "dead/1", Channel.EINVOICE)
    world.clock.now += timedelta(hours=1)
    world.dispatch()
    # An e-invoice carries a deterministic message id: sending it again cannot duplicate it.
    assert world.record().state is AutoDispatchState.SENT
    assert world.deliverer.channels_tried("inv-1") == [Channel.EINVOICE]


def test_r23_a_live_claim_of_another_invocation_is_left_alone(build: Any) -> None:
    world = World(build.tenant(), build.invoice())
    world.hold("inv-1", f"{RUN.run_id}/other", Channel.EINVOICE)
    result = world.dispatch()
    assert world.deliverer.calls == []
    assert result.counts == RunCounts()
    assert world.record().state is AutoDispatchState.PENDING


def test_r17_r23_after_a_crash_during_the_factoring_copy_neither_is_sent_again(build: Any) -> None:
    world = World(build.tenant(factoring=FACTORING), build.invoice(factoring=True))
    world.hold("inv-1", "dead/1", Channel.EMAIL, delivered=Channel.EINVOICE)
    world.clock.now += timedelta(hours=1)
    world.dispatch()
    record = world.record()
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EINVOICE)
    assert (world.deliverer.calls, world.deliverer.factoring_calls) == ([], [])
    assert world.events()[-1] == "FACTORING_FAILED"


def test_r24_transient_error_gives_the_claim_back_and_the_retried_batch_sends_once(build: Any) -> None:
    world = World(build.tenant(), build.invoice(delivery_channel="EMAIL"))
    world.deliverer.fail("inv-1", Channel.EMAIL, TransientError("throttled", in_doubt=False))
    with pytest.raises(TransientError):
        world.dispatch()
    assert (world.record().state, world.record().unfinished_attempt) == (AutoDispatchState.PENDING, None)
    assert world.store.writes == ["claim", "release"]
    world.dispatch()
    assert world.record().state is AutoDispatchState.SENT
    assert world.deliverer.channels_tried("inv-1") == [Channel.EMAIL, Channel.EMAIL]


def test_r24_one_bad_invoice_does_not_stop_the_others(build: Any) -> None:
    invoices = [build.invoice(invoice_id=f"inv-{n}", number=str(1000 + n)) for n in (1, 2, 3)]
    world = World(build.tenant(), *invoices)
    world.deliverer.fail("inv-2", Channel.EINVOICE, RuntimeError("renderer bug"))
    world.store.invalid[invoices[2].key] = "lines[0].quantity: not a number"
    del world.store.documents[invoices[2].key]
    result = world.dispatch()
    states = {n: world.record(f"inv-{n}").state for n in (1, 2, 3)}
    assert states == {1: AutoDispatchState.SENT, 2: AutoDispatchState.FAILED, 3: AutoDispatchState.FAILED}
    assert en(world.record("inv-2").message) == (
        "Automatic dispatch failed: an unexpected error (RuntimeError) stopped the dispatch of this "
        "invoice; it may or may not have reached the customer, so it is not sent again automatically"
    )
    assert en(world.record("inv-3").message) == (
        "Automatic dispatch failed: invalid invoice data: lines[0].quantity: not a number"
    )
    assert result.counts == RunCounts(sent=1, failed=2)
    assert [issue.invoice_id for issue in world.store.run_issues(RUN.run_id)] == ["inv-2", "inv-3"]


def test_r12_r25_a_document_that_cannot_be_rendered_moves_the_chain_on_and_is_never_in_doubt(
    build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the real deliverer: the invoice PDF cannot be built from the invoice's data, so the
    email is refused for good before anything leaves; the letter goes by print."""

    def unbuildable(*_: Any) -> bytes:
        raise ValueError("no room for the text")

    monkeypatch.setattr(documents, "render_invoice_pdf", unbuildable)
    parts = Parts()
    world = World(build.tenant(), build.invoice(delivery_channel="EMAIL"))
    dispatcher = BatchDispatcher(world.store, parts.deliverer, ZONE, LEASE, world.clock)
    dispatcher.dispatch(RUN, list(world.store.items))
    record = world.record()
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.PRINT)
    assert parts.email.sent == []
    assert len(parts.print.submitted) == 1
    rejected = next(event for event in record.history if event.event.value == "CHANNEL_REJECTED")
    assert rejected.channel is Channel.EMAIL
    assert en(rejected.detail) == (
        "the invoice by email could not be built from the invoice data (ValueError)"
    )


class Crash(BaseException):
    """The process dies on the spot: nothing after it runs, no handler catches it."""


def restart(world: World, run: RunRef = RUN) -> Any:
    """A later invocation, once the dead one's lease has run out."""
    world.clock.now += timedelta(hours=1)
    return world.dispatch(run=run)


def test_r12_r23_a_restarted_invoice_never_returns_to_a_channel_that_rejected_it(build: Any) -> None:
    world = World(build.tenant(), build.invoice(customer=build.business_customer(email=None)))
    world.deliverer.fail("inv-1", Channel.EINVOICE, PermanentRejection("unknown address"))
    world.deliverer.fail("inv-1", Channel.PRINT, Crash())
    with pytest.raises(Crash):
        world.dispatch()
    restart(world)
    record = world.record()
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.PRINT)
    assert world.deliverer.channels_tried("inv-1") == [Channel.EINVOICE, Channel.PRINT, Channel.PRINT]
    assert en(record.details) is not None
    assert "E-invoice to a business or consumer (rejected): unknown address" in en(record.details)


def test_r12_r24_rejections_survive_a_released_claim(build: Any) -> None:
    world = World(build.tenant(), build.invoice(customer=build.business_customer(email=None)))
    world.deliverer.fail("inv-1", Channel.EINVOICE, PermanentRejection("unknown address"))
    world.deliverer.fail("inv-1", Channel.PRINT, TransientError("throttled", in_doubt=False))
    with pytest.raises(TransientError):
        world.dispatch()
    world.dispatch()  # the retried batch
    assert world.record().state is AutoDispatchState.SENT
    assert world.deliverer.channels_tried("inv-1") == [Channel.EINVOICE, Channel.PRINT, Channel.PRINT]


def test_r23_after_an_unknown_outcome_a_rejected_retry_never_moves_to_the_next_channel(build: Any) -> None:
    world = World(build.tenant(), build.invoice())
    world.deliverer.fail(
        "inv-1",
        Channel.EINVOICE,
        TransientError("no answer from the operator", in_doubt=True),
        PermanentRejection("duplicate message id"),
    )
    with pytest.raises(TransientError):
        world.dispatch()
    assert world.record().unfinished_attempt is Channel.EINVOICE  # kept for the next owner
    world.dispatch()  # the retried batch: the hand-over ended the lease
    record = world.record()
    assert record.state is AutoDispatchState.FAILED
    assert world.deliverer.channels_tried("inv-1") == [Channel.EINVOICE, Channel.EINVOICE]
    assert en(record.message) == (
        "Automatic dispatch failed: an earlier attempt by e-invoice had an unknown outcome and the retry "
        "was rejected (duplicate message id); it is unknown whether the invoice reached the customer, "
        "so it is not sent again automatically"
    )


def test_r23_an_unfinished_einvoice_whose_plan_changed_ends_in_doubt_not_ignored(build: Any) -> None:
    """A dead run was sending the e-invoice; meanwhile EINVOICE was switched off. Nothing may say
    "nothing was sent", and no other channel may be tried."""
    world = World(build.tenant(settings={"channels": ["EMAIL", "PRINT"]}), build.invoice())
    world.hold("inv-1", "dead/1", Channel.EINVOICE)
    restart(world)
    record = world.record()
    assert record.state is AutoDispatchState.FAILED
    assert en(record.message) is not None
    assert "sending by e-invoice was cut off (a run stopped, or the service did not answer)" in en(
        record.message
    )
    assert world.deliverer.calls == []


def test_r23_an_email_service_error_is_explained_as_an_unclear_answer_not_a_stopped_run(build: Any) -> None:
    world = World(build.tenant(), build.invoice(delivery_channel="EMAIL"))
    ses_500 = TransientError(
        "the email service failed and may have accepted the message (InternalFailure)", in_doubt=True
    )
    world.deliverer.fail("inv-1", Channel.EMAIL, ses_500)
    world.dispatch()
    record = world.record()
    assert record.state is AutoDispatchState.FAILED
    assert en(record.message) == (
        "Automatic dispatch failed: sending by email got no clear answer (the email service failed and "
        "may have accepted the message (InternalFailure)); it is unknown whether the invoice reached the "
        "customer, so it is not sent again automatically"
    )
    assert world.deliverer.channels_tried("inv-1") == [Channel.EMAIL]


def test_r23_a_confirmed_email_whose_outcome_write_fails_is_settled_sent_by_the_retry(build: Any) -> None:
    world = World(build.tenant(), build.invoice(delivery_channel="EMAIL"))
    world.store.fail("settle", TransientError("DynamoDB UpdateItem failed temporarily"))
    with pytest.raises(TransientError):
        world.dispatch()
    assert world.store.writes == ["claim", "claim"]  # the claim, then one more write: the hand-over
    world.dispatch()  # the retried batch
    record = world.record()
    assert (record.state, record.channel, record.sent_on) == (
        AutoDispatchState.SENT,
        Channel.EMAIL,
        RUN.run_date,
    )
    assert world.deliverer.delivered == [("inv-1", Channel.EMAIL)]  # one email, never a second
    assert en(record.message) == "Sent automatically by email"


@pytest.mark.parametrize(
    ("step", "state"),
    [
        ("claim", AutoDispatchState.SENT),  # nothing happened: sent normally
        ("deliver EINVOICE", AutoDispatchState.FAILED),  # unknown e-invoice outcome, retry rejected
        ("next_attempt", AutoDispatchState.FAILED),  # the rejection was not recorded: as above
        ("deliver EMAIL", AutoDispatchState.FAILED),  # the email may have gone: in doubt
        ("settle", AutoDispatchState.FAILED),  # sent, but nobody recorded it: in doubt
    ],
)
def test_r12_r23_a_crash_at_any_step_of_the_chain_never_delivers_twice(
    build: Any, step: str, state: AutoDispatchState
) -> None:
    """EINVOICE rejects the invoice for good and EMAIL takes it; the process dies at `step`."""
    world = World(build.tenant(), build.invoice())
    refusal = PermanentRejection("operator refused")
    if step == "deliver EINVOICE":
        world.deliverer.fail("inv-1", Channel.EINVOICE, Crash())
    world.deliverer.fail("inv-1", Channel.EINVOICE, refusal, refusal)  # every later attempt
    if step == "deliver EMAIL":
        world.deliverer.fail("inv-1", Channel.EMAIL, Crash())
    elif not step.startswith("deliver "):
        world.store.fail(step, Crash())
    with pytest.raises(Crash):
        world.dispatch()
    restart(world)
    record = world.record()
    assert record.state is state
    assert len(world.deliverer.delivered) <= 1  # never through two channels, never twice
    assert world.deliverer.channels_tried("inv-1").count(Channel.EMAIL) <= 1  # no second email


def test_r23_an_unknown_outcome_is_resolved_on_its_own_channel_even_if_the_plan_now_starts_earlier(
    build: Any,
) -> None:
    """A dead run was sending a letter (the e-invoice details were added since): repeating the
    letter is safe (deterministic id), sending an e-invoice too would deliver twice."""
    world = World(build.tenant(), build.invoice())
    world.hold("inv-1", "dead/1", Channel.PRINT)
    restart(world)
    record = world.record()
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.PRINT)
    assert world.deliverer.channels_tried("inv-1") == [Channel.PRINT]
    assert en(record.details) == "Invoice sent automatically by print service."  # steps unknown


def test_r17_r24_a_throttled_factoring_copy_is_retried_within_the_run(build: Any) -> None:
    """Issue 21: a throttle certainly sent nothing; the copy goes with the retried batch instead of
    being reported FACTORING_FAILED, and the invoice is not sent again."""
    world = World(build.tenant(factoring=FACTORING), build.invoice(factoring=True))
    world.deliverer.fail_factoring(TransientError("throttled", in_doubt=False))
    with pytest.raises(TransientError):
        world.dispatch()
    assert world.record().state is AutoDispatchState.PENDING
    result = world.dispatch()  # the state machine's retry of the batch
    record = world.record()
    assert (record.state, record.channel, record.sent_on) == (
        AutoDispatchState.SENT,
        Channel.EINVOICE,
        RUN.run_date,
    )
    assert world.deliverer.channels_tried("inv-1") == [Channel.EINVOICE]
    assert world.deliverer.factoring_calls == [("inv-1", Channel.EMAIL), ("inv-1", Channel.EMAIL)]
    assert world.events()[-1] == "FACTORING_SENT"
    assert "FACTORING_FAILED" not in world.events()
    assert result.counts == RunCounts(sent=1)
    assert world.store.run_issues(RUN.run_id) == []


def test_issue21_an_ses_account_fault_stops_email_for_the_night_and_sends_nothing_on_paper(
    build: Any,
) -> None:
    """SES will not send for the sender's account: no customer's fault, so the chain does not go on
    to print; the batch stops trying email; each invoice ends FAILED saying why in words."""
    tenant = build.tenant()
    world = World(
        tenant,
        build.invoice(delivery_channel="EMAIL"),
        build.invoice(invoice_id="inv-2", number="1002", delivery_channel="EMAIL"),
    )
    world.deliverer.fail("inv-1", Channel.EMAIL, AccountFault.said(Text.of("email_account.suspended")))
    result = world.dispatch()
    assert world.deliverer.calls == [("inv-1", Channel.EMAIL, DeliveryKind.INVOICE)]  # no paper, one SES call
    assert result.counts == RunCounts(failed=2)
    assert result.email_account_faults == 2
    for invoice_id in ("inv-1", "inv-2"):
        record = world.record(invoice_id)
        assert record.state is AutoDispatchState.FAILED
        assert en(record.message) == (
            "Automatic dispatch failed: the email service would not send for the company's account "
            "(sending is suspended for the sender's account); nothing was sent, and the operator has "
            "been alerted"
        )
        assert "utskicket är avstängt för avsändarens konto" in render(record.message, "sv")
    assert {issue.invoice_id for issue in world.store.run_issues(RUN.run_id)} == {"inv-1", "inv-2"}


def test_r12_r24_an_account_fault_in_one_batch_stops_email_in_the_nights_later_batches_without_an_ses_call(
    build: Any,
) -> None:
    """Issue 21: the fault is the night's, not the invocation's: batch 1 meets it, and batch 2 (another
    invocation, maybe another process) reads it from the run and leaves its email invoices FAILED
    with the same words, no paper and not one SES call; its invoices still count for the alarm."""
    world = World(
        build.tenant(),
        build.invoice(delivery_channel="EMAIL"),
        build.invoice(invoice_id="inv-2", number="1002", delivery_channel="EMAIL"),
        build.invoice(invoice_id="inv-3", number="1003"),  # by e-invoice: unaffected
    )
    world.deliverer.fail("inv-1", Channel.EMAIL, AccountFault.said(Text.of("email_account.paused")))
    world.dispatch("inv-1")
    assert world.store.email_stop(RUN) == Text.of("email_account.paused")
    calls = len(world.deliverer.calls)

    second = world.dispatch("inv-2", "inv-3")

    assert world.deliverer.calls[calls:] == [("inv-3", Channel.EINVOICE, DeliveryKind.INVOICE)]
    assert second.counts == RunCounts(sent=1, failed=1)
    assert second.email_account_faults == 1
    assert world.record("inv-2").state is AutoDispatchState.FAILED
    assert world.record("inv-2").message == world.record("inv-1").message
    assert "the email service would not send for the company's account" in en(world.record("inv-2").message)
    # Another night's email is not stopped by it.
    assert world.store.email_stop(RunRef(run_id="night-2", run_date=date(2026, 3, 11))) is None


def test_r17_r23_a_copy_cut_off_and_its_repeats_throttled_stays_in_doubt_never_not_sent(build: Any) -> None:
    """Issue 21: a dead run was sending the financier's copy by e-invoice (safe to repeat: the same
    message id); both repeats are throttled. A refusal of a repeat says nothing of the first attempt,
    so the hand-over keeps the marker and the sweep says the copy is in doubt, not "not sent"."""
    financier = {
        "financier_name": "Rahoitus Oy",
        "agreement_id": "FA-1",
        "einvoice_address": "0216:003712345671",
    }
    world = World(build.tenant(factoring=financier), build.invoice(factoring=True))
    world.hold("inv-1", "dead/1", Channel.EINVOICE, delivered=Channel.EINVOICE)
    for _ in range(2):
        world.deliverer.fail_factoring(TransientError("throttled", in_doubt=False))
        with pytest.raises(TransientError):
            restart(world)
        assert world.record().delivered_unsettled is Channel.EINVOICE  # the marker stays on the claim
    assert world.deliverer.factoring_calls == [("inv-1", Channel.EINVOICE)] * 2
    assert world.deliverer.calls == []  # the invoice itself is never sent again
    settle_unfinished(RUN, list(world.store.items), world.store, ZONE, world.clock, "Runtime.ExitError")
    record = world.record()
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EINVOICE)
    copy_events = [name for name in world.events() if name.startswith("FACTORING")]
    assert copy_events == ["FACTORING_DEFERRED", "FACTORING_DEFERRED", "FACTORING_FAILED"]
    assert en(record.history[-1].detail) == (
        "factoring message to Rahoitus Oy may or may not have been sent: a run stopped while sending it"
    )
