"""R19: the one-line message and the detailed explanation ("hover text") of each outcome."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodispatch.models.dispatch import ChannelNote, Decision, Outcome, Verdict
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.text import Text
from autodispatch.rules.chain import decide
from autodispatch.rules.explain import (
    explain_failed,
    explain_ignored,
    explain_in_doubt,
    explain_invalid,
    explain_sent,
    outside,
)
from tests.words import en

EINVOICE, EMAIL, PRINT = Channel.EINVOICE, Channel.EMAIL, Channel.PRINT


def _fail_all_three(build):
    customer = build.consumer_customer(email="not-an-email", address=build.OMIT)
    decision = decide(build.invoice(customer=customer), build.tenant())
    assert decision.outcome is Outcome.FAIL
    return decision


def test_r19_failed_message_is_one_line(build):
    explanation = explain_failed(_fail_all_three(build))
    assert "\n" not in en(explanation.message)
    assert en(explanation.message).startswith("Automatic dispatch failed:")


def test_r19_failed_details_list_each_channel_in_order(build):
    details = en(explain_failed(_fail_all_three(build)).details)
    lines = details.splitlines()
    assert lines[0].startswith("Automatic dispatch failed:")
    assert lines[1].startswith("1. E-invoice to a business or consumer (cannot be used): ")
    assert lines[2].startswith("2. Email invoice (cannot be used): the customer's email address is not valid")
    assert lines[3].startswith("3. Print service (cannot be used): ")
    assert "postal address" in lines[3]
    assert "send the invoice manually" in lines[-1]
    assert len(lines) == 5


def test_r19_failed_details_show_where_the_chain_stopped(build):
    customer = build.business_customer(einvoice_address=build.OMIT)
    decision = decide(build.invoice(customer=customer), build.tenant({"channels": ["EINVOICE", "PRINT"]}))
    details = en(explain_failed(decision).details)
    assert (
        "1. E-invoice to a business or consumer (cannot be used): "
        "the customer has no e-invoice address and operator" in details
    )
    assert "2. Email invoice (not enabled)" in details
    assert "PRINT" not in details


def test_r19_failed_details_show_a_rejection_reason(build):
    customer = build.business_customer(email=build.OMIT, address=build.OMIT)
    decision = decide(
        build.invoice(customer=customer), build.tenant(), {EINVOICE: outside("unknown recipient 0037")}
    )
    details = en(explain_failed(decision).details)
    assert "1. E-invoice to a business or consumer (rejected): unknown recipient 0037" in details


def test_r19_failed_steps_stay_one_line_each_when_a_rejection_has_line_breaks(build):
    customer = build.business_customer(email=build.OMIT, address=build.OMIT)
    decision = decide(
        build.invoice(customer=customer), build.tenant(), {EINVOICE: outside("HTTP 400\r\nbad request\n")}
    )
    details = en(explain_failed(decision).details)
    assert "1. E-invoice to a business or consumer (rejected): HTTP 400 bad request" in details.splitlines()


def test_r19_ignored_message_and_details_name_channel_and_setting(build):
    decision = decide(
        build.invoice(delivery_channel="EMAIL"), build.tenant({"channels": ["EINVOICE", "PRINT"]})
    )
    explanation = explain_ignored(decision)
    assert en(explanation.message).startswith("Automatic dispatch ignored:")
    assert en(explanation.details).startswith("Automatic dispatch ignored:")
    assert "\n" not in en(explanation.message)
    for text in (en(explanation.message), en(explanation.details)):
        assert "“Email invoice”" in text
        assert "setting “Use only the following invoice channels”" in text
    assert "send the invoice manually" in en(explanation.details)


def test_r19_r18_ignored_direct_payment_explains_both_channels(build):
    invoice = build.invoice(payment_method="DIRECT_PAYMENT", customer=build.consumer_customer())
    explanation = explain_ignored(decide(invoice, build.tenant({"channels": ["EINVOICE", "EMAIL"]})))
    assert en(explanation.message).startswith("Automatic dispatch ignored:")
    assert "both “E-invoice to a business or consumer” and “Print service”" in en(explanation.message)
    assert "(Print service not enabled)" in en(explanation.details)


def test_r19_ignored_without_reason_still_explains():
    explanation = explain_ignored(Decision(outcome=Outcome.IGNORE))
    assert en(explanation.message).startswith("Automatic dispatch ignored: ")
    assert len(en(explanation.message)) > len("Automatic dispatch ignored: ")


def test_r19_failed_without_reason_still_explains():
    explanation = explain_failed(Decision(outcome=Outcome.FAIL))
    assert en(explanation.message) == "Automatic dispatch failed: no channel could deliver the invoice"


@pytest.mark.parametrize(
    ("channel", "name"), [(EINVOICE, "e-invoice"), (EMAIL, "email"), (PRINT, "print service")]
)
def test_r19_sent_message_names_the_channel(channel, name):
    notes = (ChannelNote(channel=channel, verdict=Verdict.CHOSEN, reason=Text.of("reason.usable")),)
    explanation = explain_sent(channel, DeliveryKind.INVOICE, notes)
    assert en(explanation.message) == f"Sent automatically by {name}"
    assert en(explanation.details).startswith(f"Invoice sent automatically by {name}.")


def test_r19_sent_after_fallback_counts_the_unusable_channels(build):
    customer = build.business_customer(einvoice_address=build.OMIT, email=build.OMIT)
    decision = decide(build.invoice(customer=customer), build.tenant())
    explanation = explain_sent(decision.channel, decision.kind, decision.notes)
    assert en(explanation.message) == "Sent automatically by print service after 2 unusable channel(s)"
    lines = en(explanation.details).splitlines()
    assert [line.split(" (")[0] for line in lines[1:]] == [
        "1. E-invoice to a business or consumer",
        "2. Email invoice",
        "3. Print service",
    ]
    assert lines[3] == "3. Print service (accepted): the channel can be used"


def test_r19_r18_sent_direct_payment_notice_says_so(build):
    invoice = build.invoice(payment_method="DIRECT_PAYMENT", customer=build.consumer_customer())
    decision = decide(invoice, build.tenant())
    explanation = explain_sent(decision.channel, decision.kind, decision.notes)
    assert en(explanation.details).startswith(
        "Direct-payment pre-notification sent automatically by print service"
    )
    assert en(explanation.message).startswith(
        "Direct-payment pre-notification sent automatically by print service"
    )


@pytest.mark.parametrize("channel", list(Channel))
def test_r19_r23_in_doubt_is_a_failure_naming_the_channel(channel):
    explanation = explain_in_doubt(channel)
    assert en(explanation.message).startswith("Automatic dispatch failed:")
    assert en(explanation.details).startswith("Automatic dispatch failed:")
    assert "\n" not in en(explanation.message)
    assert {"EINVOICE": "e-invoice", "EMAIL": "email", "PRINT": "print service"}[channel] in en(
        explanation.message
    )
    assert "not sent again" in en(explanation.message)


@pytest.mark.parametrize(
    "problem",
    [
        "field 'lines[0].quantity': Input should be a valid decimal",
        "tenant 'a', field 'x': first\nsecond",
        "line one\r\nline two\u2028three",
    ],
)
def test_r19_r25_invalid_data_message_is_one_line(problem):
    explanation = explain_invalid(problem)
    assert en(explanation.message).startswith("Automatic dispatch failed: invalid invoice data: ")
    assert en(explanation.details).startswith("Automatic dispatch failed:")
    assert "\n" not in en(explanation.message)
    assert "\r" not in en(explanation.message)
    assert "\u2028" not in en(explanation.message)
    assert problem.split()[-1] in en(explanation.message)


REASONS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    outcome=st.sampled_from([Outcome.IGNORE, Outcome.FAIL]),
    reason=st.one_of(st.none(), REASONS),
    note_reasons=st.lists(REASONS, max_size=3),
)
def test_r19_messages_never_span_lines(outcome, reason, note_reasons):
    notes = tuple(
        ChannelNote(channel=channel, verdict=Verdict.REJECTED, reason=outside(text))
        for channel, text in zip(Channel, note_reasons, strict=False)
    )
    decision = Decision(outcome=outcome, reason=outside(reason) if reason else None, notes=notes)
    explain = explain_ignored if outcome is Outcome.IGNORE else explain_failed
    explanation = explain(decision)
    assert len(en(explanation.message).splitlines()) == 1
    prefix = "Automatic dispatch ignored:" if outcome is Outcome.IGNORE else "Automatic dispatch failed:"
    assert en(explanation.message).startswith(prefix)
    assert en(explanation.details).startswith(prefix)
    if outcome is Outcome.FAIL:
        # one summary line, one line per channel, one closing line
        assert len(en(explanation.details).splitlines()) == len(notes) + 2
