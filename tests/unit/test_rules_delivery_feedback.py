"""R26: what each SES delivery event means for the invoice its email carried (pure rules)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodispatch.models.delivery_events import (
    NOTIFICATION_KIND,
    SesEventBridgeEvent,
    email_subject,
    email_tags,
)
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, HistoryEventKind, InvoiceStatus
from autodispatch.rules.chain import plan_dispatch
from autodispatch.rules.delivery_feedback import (
    Effect,
    explain_bounced,
    feedback,
    sent_by_automation_email,
)
from autodispatch.rules.explain import outside
from autodispatch.rules.recovery import progress
from tests.words import en

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ses"


def recorded(name: str) -> SesEventBridgeEvent:
    return SesEventBridgeEvent.model_validate(json.loads((FIXTURES / f"{name}.json").read_text("utf-8")))


@pytest.mark.parametrize(
    ("name", "event", "effect", "words"),
    [
        (
            "delivery",
            HistoryEventKind.EMAIL_DELIVERED,
            Effect.RECORD,
            "delivered to the recipient's mail server",
        ),
        ("bounce_permanent", HistoryEventKind.EMAIL_BOUNCED, Effect.EMAIL_FAILED, "User unknown"),
        (
            "bounce_transient",
            HistoryEventKind.EMAIL_SOFT_BOUNCED,
            Effect.RECORD,
            "bounced temporarily (Transient)",
        ),
        ("complaint", HistoryEventKind.EMAIL_COMPLAINED, Effect.RECORD, "marked it as spam"),
        ("reject", HistoryEventKind.EMAIL_REJECTED, Effect.EMAIL_FAILED, "Bad content"),
        ("delivery_delay", HistoryEventKind.EMAIL_DELAYED, Effect.RECORD, "TransientCommunicationFailure"),
    ],
)
def test_r26_each_recorded_ses_event_is_classified(
    name: str, event: HistoryEventKind, effect: Effect, words: str
) -> None:
    found = feedback(recorded(name).detail, "INVOICE")
    assert found is not None
    assert (found.event, found.effect) == (event, effect)
    assert words in en(found.detail)
    assert "\n" not in en(found.detail)


def test_r26_permanent_bounce_names_the_address_and_the_diagnostic() -> None:
    found = feedback(recorded("bounce_permanent").detail, "INVOICE")
    assert found is not None
    assert en(found.detail).startswith("the email to matti@example.fi bounced: smtp; 550 5.1.1")


def test_r26_a_bounced_factoring_copy_is_reported_not_chained() -> None:
    found = feedback(recorded("bounce_permanent").detail, "FACTORING")
    assert found is not None
    assert (found.effect, found.event) == (Effect.REPORT, HistoryEventKind.FACTORING_BOUNCED)


def test_r26_events_that_say_nothing_about_delivery_are_ignored() -> None:
    data = json.loads((FIXTURES / "delivery.json").read_text("utf-8"))
    data["detail"]["eventType"] = "Open"
    assert feedback(SesEventBridgeEvent.model_validate(data).detail, "INVOICE") is None


def test_r26_the_recorded_tags_name_the_invoice() -> None:
    subject = email_subject(recorded("delivery").detail.mail.tags)
    assert subject is not None
    assert (subject.tenant_id, subject.invoice_id, subject.kind) == ("kahvila", "k-1002", "INVOICE")


@given(tenant=st.text(min_size=1, max_size=60), invoice=st.text(min_size=1, max_size=60))
def test_r26_tags_carry_any_id_within_ses_tag_rules(tenant: str, invoice: str) -> None:
    tags = email_tags(tenant, invoice, "INVOICE")
    for value in tags.values():
        assert len(value) <= 256
        assert all(c.isascii() and (c.isalnum() or c in "_-") for c in value)
    subject = email_subject({name: (value,) for name, value in tags.items()})
    assert subject is not None
    assert (subject.tenant_id, subject.invoice_id) == (tenant, invoice)


def test_r26_notification_tags_carry_no_invoice_and_foreign_tags_are_not_ours() -> None:
    tags = email_tags("kahvila", None, NOTIFICATION_KIND)
    subject = email_subject({name: (value,) for name, value in tags.items()})
    assert subject is not None
    assert subject.key is None
    assert email_subject({"ses:configuration-set": ("x",)}) is None
    assert email_subject({"autodispatch-tenant": ("%%%",), "autodispatch-kind": ("INVOICE",)}) is None


def _bounced(email_sent_at_step: Any) -> list[HistoryEvent]:
    at = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
    return [
        *email_sent_at_step,
        HistoryEvent(at=at, event=HistoryEventKind.SENT, channel=Channel.EMAIL),
        HistoryEvent(at=at, event=HistoryEventKind.EMAIL_BOUNCED, channel=Channel.EMAIL, detail=REASON),
    ]


REASON = "the email to matti@example.fi bounced: smtp; 550 5.1.1 user unknown"


def test_r12_r26_after_a_bounce_the_chain_continues_after_email_never_back(build: Any) -> None:
    plan = plan_dispatch(build.invoice(delivery_channel="EINVOICE"), build.tenant())  # every channel usable
    at = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
    rejected_einvoice = HistoryEvent(at=at, event=HistoryEventKind.CHANNEL_REJECTED, channel=Channel.EINVOICE)
    done = progress(_bounced([rejected_einvoice]))
    assert done.delivered is None
    assert plan.remaining(done.rejected) == (Channel.PRINT,)
    assert en(done.rejected[Channel.EMAIL]) == REASON


def test_r12_r26_no_enabled_channel_after_email_fails_with_the_bounce_reason(build: Any) -> None:
    plan = plan_dispatch(
        build.invoice(delivery_channel="EMAIL"), build.tenant({"channels": ["EINVOICE", "EMAIL"]})
    )
    done = progress(_bounced([]))
    assert plan.remaining(done.rejected) == ()
    explanation = explain_bounced(plan.decision(done.rejected), outside(REASON))
    assert en(explanation.message) == f"Automatic dispatch failed: {REASON}"
    assert "Print service (not enabled)" in en(explanation.details)


def test_r26_a_temporary_bounce_leaves_the_invoice_delivered() -> None:
    at = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
    history = [
        HistoryEvent(at=at, event=HistoryEventKind.SENT, channel=Channel.EMAIL),
        HistoryEvent(at=at, event=HistoryEventKind.EMAIL_SOFT_BOUNCED, channel=Channel.EMAIL, detail="full"),
    ]
    assert progress(history).delivered is Channel.EMAIL


def _record(*events: tuple[HistoryEventKind, Channel], state: AutoDispatchState) -> DispatchRecord:
    at = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
    return DispatchRecord(
        tenant_id="t",
        invoice_id="i",
        status=InvoiceStatus.SENT,
        state=state,
        channel=events[-1][1] if events else None,
        history=tuple(HistoryEvent(at=at, event=kind, channel=channel) for kind, channel in events),
    )


def test_r22_r26_only_the_automations_own_email_chains_on() -> None:
    by_run = _record((HistoryEventKind.SENT, Channel.EMAIL), state=AutoDispatchState.SENT)
    manual = _record((HistoryEventKind.SENT_MANUALLY, Channel.EMAIL), state=AutoDispatchState.SENT)
    by_print = _record((HistoryEventKind.SENT, Channel.PRINT), state=AutoDispatchState.SENT)
    assert sent_by_automation_email(by_run)
    assert not sent_by_automation_email(manual)
    assert not sent_by_automation_email(by_print)
