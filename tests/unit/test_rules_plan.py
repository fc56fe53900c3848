"""The rules' plan for one invoice (R11-R18) and the progress read back from the history (R23), as
pure functions (the recovery decision itself: test_rules_recovery.py)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from autodispatch.models.dispatch import HistoryEvent, Verdict
from autodispatch.models.enums import Channel, DeliveryKind, HistoryEventKind
from autodispatch.rules.chain import chosen_channel_refusal, plan_dispatch
from autodispatch.rules.recovery import Progress, progress

EINVOICE, EMAIL, PRINT = Channel.EINVOICE, Channel.EMAIL, Channel.PRINT


def test_r12_plan_lists_the_usable_channels_in_chain_order_from_the_own_channel(build: Any) -> None:
    customer = build.business_customer(email=None)
    plan = plan_dispatch(build.invoice(customer=customer), build.tenant())
    assert plan.channels == (EINVOICE, PRINT)
    assert [(n.channel, n.verdict) for n in plan.judgements] == [
        (EINVOICE, Verdict.CHOSEN),
        (EMAIL, Verdict.UNUSABLE),
        (PRINT, Verdict.CHOSEN),
    ]
    # reaching PRINT records the email passed over, then PRINT itself
    assert [(n.channel, n.verdict) for n in plan.reaching(PRINT)] == [
        (EMAIL, Verdict.UNUSABLE),
        (PRINT, Verdict.CHOSEN),
    ]


def test_r12_plan_stops_at_the_first_channel_that_is_not_enabled(build: Any) -> None:
    plan = plan_dispatch(build.invoice(), build.tenant({"channels": ["EINVOICE", "PRINT"]}))
    assert plan.channels == (EINVOICE,)
    assert plan.judgements[-1].verdict is Verdict.NOT_ENABLED
    failed = plan.failed({EINVOICE: "operator refused"})
    assert failed.message == "Automatic dispatch failed: the e-invoice rejected it; email not enabled"
    assert "1. EINVOICE (rejected): operator refused" in failed.details


def test_r16_sent_explanation_counts_the_channels_before_the_one_that_accepted(build: Any) -> None:
    plan = plan_dispatch(build.invoice(), build.tenant())
    assert plan.sent(EINVOICE, {}).message == "Sent automatically by e-invoice"
    after = plan.sent(EMAIL, {EINVOICE: "unknown address"})
    assert after.message == "Sent automatically by email after 1 unusable channel(s)"
    assert "1. EINVOICE (rejected): unknown address\n2. EMAIL (accepted)" in after.details


def test_r11_plan_of_an_invoice_whose_channel_is_not_enabled_sends_nothing(build: Any) -> None:
    plan = plan_dispatch(build.invoice(), build.tenant({"channels": ["EMAIL"]}))
    assert plan.channels == ()
    assert plan.ignored is not None
    assert plan.unsent().message.startswith(
        "Automatic dispatch ignored: the invoice's delivery channel EINVOICE"
    )


def test_r17_r18_plan_carries_the_kind_and_the_factoring_route(build: Any) -> None:
    tenant = build.tenant(
        factoring={"financier_name": "Rahoitus Oy", "agreement_id": "F", "email": "f@r.example"}
    )
    invoice = build.invoice(
        customer=build.consumer_customer(), payment_method="DIRECT_PAYMENT", factoring=True
    )
    plan = plan_dispatch(invoice, tenant)
    assert (plan.kind, plan.channels) == (DeliveryKind.DIRECT_PAYMENT_NOTICE, (PRINT,))
    assert plan.factoring is not None
    assert plan.factoring.channel is EMAIL


@pytest.mark.parametrize(
    ("channel", "refusal"),
    [
        (EMAIL, "a direct-payment invoice goes as a pre-notification by e-invoice or print service (R18)"),
        (EINVOICE, "the consumer has not accepted e-invoices from this company in their online bank"),
        (PRINT, None),
    ],
)
def test_r18_r22_a_user_chosen_channel_is_judged_by_one_rule(
    build: Any, channel: Channel, refusal: Any
) -> None:
    invoice = build.invoice(customer=build.consumer_customer(), payment_method="DIRECT_PAYMENT")
    assert chosen_channel_refusal(invoice, build.tenant({"channels": ["EMAIL"]}), channel) == refusal


def _event(kind: str, channel: Channel | None = None, detail: str | None = None) -> HistoryEvent:
    return HistoryEvent(
        at=datetime(2026, 3, 9, 22, 5, tzinfo=UTC),
        event=HistoryEventKind(kind),
        channel=channel,
        detail=detail,
    )


def test_r12_r23_progress_reads_rejections_and_the_delivery_back_from_the_history() -> None:
    history = [
        _event("QUEUED"),
        _event("CHANNEL_TRIED", EINVOICE),
        _event("CHANNEL_REJECTED", EINVOICE, "unknown address"),
        _event("CHANNEL_TRIED", EMAIL),
        _event("SENT", EMAIL, "Sent automatically by email"),
    ]
    done = progress(history)
    assert done.rejected == {EINVOICE: "unknown address"}
    assert (done.delivered, done.follow_up_done) == (EMAIL, False)
    assert progress([*history, _event("FACTORING_SENT", EMAIL)]).follow_up_done


def test_r20_r23_a_users_action_starts_the_automatic_dispatch_afresh() -> None:
    history = [
        _event("CHANNEL_REJECTED", EINVOICE, "unknown address"),
        _event("REMOVED_BY_USER"),
        _event("RESTORED_BY_USER"),
    ]
    assert progress(history) == Progress()
